//! Customer actions on events: postbacks, sneak peeks, properties, deletion, seen marks.

use crate::dispatch::{Ctx, Reply};
use serde_json::value::RawValue;

/// Handles the event actions; `None` for actions of other topics.
pub(super) fn handle(_ctx: &mut Ctx<'_>, action: &str, _payload: &RawValue) -> Option<Reply> {
    match action {
        _ => None,
    }
}
