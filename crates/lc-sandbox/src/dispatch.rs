//! Routing of one action to its handler, shared by RTM and Web: checks that the action
//! exists for the requester's API, version and transport, then hands it to `agent_api`
//! or `customer_api`. The handlers' context lives in [`crate::handler`].

use crate::handler::{Ctx, Reply, err};
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::{Api, ApiVersion, TransportKind, meta};
use serde_json::value::RawValue;

/// Runs `action` for the requester in `ctx`.
pub(crate) fn dispatch(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Reply {
    let api = ctx.who.api();
    check_available(api, ctx.version, ctx.transport, action)?;
    match api {
        Api::Agent => crate::agent_api::handle(ctx, action, payload),
        Api::Customer => crate::customer_api::handle(ctx, action, payload),
        Api::Inbenta | Api::Configuration => Err(err(
            ErrorType::Validation,
            format!("{api} actions are not served here"),
        )),
    }
}

/// Whether `action` exists for `api` in `version` over `transport`; a `validation`
/// error naming what is missing otherwise.
pub(crate) fn check_available(
    api: Api,
    version: ApiVersion,
    transport: TransportKind,
    action: &str,
) -> Result<(), ApiError> {
    let Some(meta) = meta::find_action(api, action) else {
        return Err(err(
            ErrorType::Validation,
            format!("Unknown action `{action}`"),
        ));
    };
    if !meta.available_in(version) {
        return Err(err(
            ErrorType::Validation,
            format!("`{action}` is not available in version {version}"),
        ));
    }
    if !meta.carried_by(transport) {
        return Err(err(
            ErrorType::Validation,
            format!("`{action}` is not available over {transport}"),
        ));
    }
    Ok(())
}
