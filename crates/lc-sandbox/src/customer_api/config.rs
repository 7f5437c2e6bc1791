//! Customer configuration, status and greeting actions.

use crate::dispatch::{Ctx, Reply};
use serde_json::value::RawValue;

/// Handles the configuration actions; `None` for actions of other topics.
pub(super) fn handle(_ctx: &mut Ctx<'_>, action: &str, _payload: &RawValue) -> Option<Reply> {
    match action {
        _ => None,
    }
}
