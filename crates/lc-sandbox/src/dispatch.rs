//! Routing of one action to its handler, shared by RTM and Web.

use crate::state::{ConnId, Principal, State};
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::{Api, ApiVersion, TransportKind, meta};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// What an action produced: its response payload or an API error.
pub(crate) type Reply = Result<Box<RawValue>, ApiError>;

/// Everything a handler may use.
pub(crate) struct Ctx<'a> {
    pub(crate) state: &'a mut State,
    pub(crate) who: Principal,
    pub(crate) version: ApiVersion,
    pub(crate) transport: TransportKind,
    pub(crate) conn: Option<ConnId>,
}

impl Ctx<'_> {
    /// The requester as an agent id, or an authorization error.
    pub(crate) fn agent_id(&self) -> Result<lc_protocol::id::AgentId, ApiError> {
        match &self.who {
            Principal::Agent(id) => Ok(id.clone()),
            Principal::Customer(_) => Err(err(ErrorType::Authorization, "Agent API only")),
        }
    }

    /// The requester as a customer id, or an authorization error.
    pub(crate) fn customer_id(&self) -> Result<lc_protocol::id::CustomerId, ApiError> {
        match &self.who {
            Principal::Customer(id) => Ok(id.clone()),
            Principal::Agent(_) => Err(err(ErrorType::Authorization, "Customer API only")),
        }
    }
}

/// Runs `action` for the requester in `ctx`.
pub(crate) fn dispatch(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Reply {
    let api = ctx.who.api();
    check_available(api, ctx.version, ctx.transport, action)?;
    match api {
        Api::Agent => crate::agent_api::handle(ctx, action, payload),
        Api::Customer => crate::customer_api::handle(ctx, action, payload),
        Api::Inbenta => Err(err(
            ErrorType::Validation,
            "Inbenta actions are not served here",
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

/// An API error of `kind` with `message`.
pub(crate) fn err(kind: ErrorType, message: impl Into<String>) -> ApiError {
    ApiError::with_message(kind, message)
}

/// `not_found` for `what`.
pub(crate) fn not_found(what: impl std::fmt::Display) -> ApiError {
    err(ErrorType::NotFound, format!("{what} not found"))
}

/// `validation` with `message`.
pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    err(ErrorType::Validation, message)
}

/// Decodes a request payload; a mismatch is a `validation` error naming the problem.
pub(crate) fn decode<T: DeserializeOwned>(payload: &RawValue) -> Result<T, ApiError> {
    serde_json::from_str(payload.get())
        .map_err(|e| invalid(format!("Wrong format of request: {e}")))
}

/// Encodes a response payload.
pub(crate) fn encode<T: Serialize>(value: &T) -> Reply {
    serde_json::value::to_raw_value(value).map_err(|e| err(ErrorType::Internal, e.to_string()))
}

/// Decodes the request as `Req`, runs `handler` and encodes its response.
pub(crate) fn run<Req, Resp>(
    ctx: &mut Ctx<'_>,
    payload: &RawValue,
    handler: fn(&mut Ctx<'_>, Req) -> Result<Resp, ApiError>,
) -> Reply
where
    Req: DeserializeOwned,
    Resp: Serialize,
{
    let request = decode::<Req>(payload)?;
    let response = handler(ctx, request)?;
    encode(&response)
}
