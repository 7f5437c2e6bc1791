//! Routing of one action to its handler, shared by RTM and Web: checks that the action
//! exists for the API, version and transport, then hands it to `agent_api`,
//! `customer_api` or (Web only) `configuration_api`. The handlers' context lives in
//! [`crate::handler`].

use crate::handler::{Ctx, Reply, err};
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::{Api, ApiVersion, TransportKind, meta};
use serde_json::value::RawValue;

/// Runs `action` of `api` for the requester in `ctx`. The source client id of the pushes
/// it queues is the requester's (`Outbox::source_client_id`).
pub(crate) fn dispatch(ctx: &mut Ctx<'_>, api: Api, action: &str, payload: &RawValue) -> Reply {
    check_available(api, ctx.version, ctx.transport, action)?;
    ctx.state.outbox.source_client_id = ctx.client_id.clone();
    match api {
        Api::Agent => crate::agent_api::handle(ctx, action, payload),
        Api::Customer => crate::customer_api::handle(ctx, action, payload),
        Api::Configuration => crate::configuration_api::handle(ctx, action, payload),
        Api::Inbenta => Err(err(
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
