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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{AuthKind, Principal, Settings, State};
    use lc_protocol::id::AgentId;

    fn state() -> State {
        State::new(Settings {
            organization_id: "org".into(),
            license_id: "1".into(),
            multiple_chats_per_customer: false,
            bot_token_lifetime: crate::bots::DEFAULT_TOKEN_LIFETIME,
        })
    }

    fn run(state: &mut State, api: Api, client_id: Option<&str>, action: &str) -> Reply {
        let mut ctx = Ctx {
            state,
            who: Principal::Agent(AgentId::new("a@example.com")),
            version: ApiVersion::V3_6,
            transport: TransportKind::Web,
            conn: None,
            client_id: client_id.map(str::to_owned),
            auth: AuthKind::Bearer,
        };
        let payload = serde_json::value::to_raw_value(&serde_json::json!({}))
            .unwrap_or_else(|e| panic!("{e}"));
        dispatch(&mut ctx, api, action, &payload)
    }

    #[test]
    fn the_requesters_client_id_becomes_the_pushes_source() {
        let mut state = state();
        let reply = run(
            &mut state,
            Api::Configuration,
            Some("app-1"),
            "list_webhook_names",
        );
        assert!(reply.is_ok(), "{reply:?}");
        assert_eq!(state.outbox.source_client_id.as_deref(), Some("app-1"));
        let _ = run(&mut state, Api::Configuration, None, "list_webhook_names");
        assert_eq!(state.outbox.source_client_id, None);
    }

    #[test]
    fn an_unknown_configuration_action_is_validation() {
        let mut state = state();
        let unknown = run(
            &mut state,
            Api::Configuration,
            None,
            "enable_license_webhook",
        );
        assert_eq!(
            unknown.map(|_| ()).map_err(|e| e.kind),
            Err(ErrorType::Validation)
        );
    }
}
