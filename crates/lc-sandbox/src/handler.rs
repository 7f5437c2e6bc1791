//! What every action handler works with: the context of the request ([`Ctx`]), the
//! [`Reply`], the API error helpers and the decoding and encoding of payloads.
//!
//! The router ([`crate::dispatch`]) and the handlers (`agent_api`, `customer_api`) both
//! use this module; it uses neither, so handlers never depend on the router.

use crate::state::{AuthKind, ConnId, Principal, State};
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::{ApiVersion, TransportKind};
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
    /// The client id of the application whose token made the request (accounts service
    /// tokens of an OAuth client, bot tokens); `None` for personal access tokens and the
    /// sandbox's own tokens.
    pub(crate) client_id: Option<String>,
    /// How the requester authenticated.
    pub(crate) auth: AuthKind,
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
