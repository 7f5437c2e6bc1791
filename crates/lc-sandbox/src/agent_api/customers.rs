//! Agent actions on customers: reading, updating, banning, following, subscribing.

use crate::dispatch::{Ctx, Reply};
use serde_json::value::RawValue;

/// Handles the customer actions; `None` for actions of other topics.
pub(super) fn handle(_ctx: &mut Ctx<'_>, action: &str, _payload: &RawValue) -> Option<Reply> {
    match action {
        _ => None,
    }
}
