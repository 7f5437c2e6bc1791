//! Errors: the API's error object, frame decoding errors and the SDK-wide [`Error`].

use crate::action::{Api, TransportKind};
use crate::version::{ApiVersion, VersionRange};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

crate::string_enum! {
    /// The `type` of an API error object (LiveChat docs, error table).
    pub enum ErrorType {
        /// Invalid or expired token.
        Authentication = "authentication",
        /// The requester may not perform the action.
        Authorization = "authorization",
        /// Bad or missing parameters.
        Validation = "validation",
        /// The resource does not exist.
        NotFound = "not_found",
        /// No access to the resource.
        MissingAccess = "missing_access",
        /// The action needs an active thread.
        ChatInactive = "chat_inactive",
        /// The chat was anonymized.
        ChatAnonymized = "chat_anonymized",
        /// The action is not allowed.
        NotAllowed = "not_allowed",
        /// The resource already exists.
        AlreadyExists = "already_exists",
        /// The change would exceed a limit.
        LimitReached = "limit_reached",
        /// Rate limited; retry later.
        TooManyRequests = "too_many_requests",
        /// More than 10 requests pending on one WebSocket.
        PendingRequestsLimitReached = "pending_requests_limit_reached",
        /// The server gave up after 15 s.
        RequestTimeout = "request_timeout",
        /// Internal server error.
        Internal = "internal",
        /// The service is temporarily not accepting requests.
        ServiceUnavailable = "service_unavailable",
        /// The upload exceeds 10 MB.
        EntityTooLarge = "entity_too_large",
        /// Wrong region; `data.region` names the right one.
        MisdirectedRequest = "misdirected_request",
        /// The API version is not supported.
        UnsupportedVersion = "unsupported_version",
        /// The license expired.
        LicenseExpired = "license_expired",
        /// The license does not exist.
        LicenseNotFound = "license_not_found",
        /// The license is a LiveChat 2 license.
        WrongProductVersion = "wrong_product_version",
        /// The agent is offline.
        AgentOffline = "agent_offline",
        /// The method is only for logged-in (RTM) agents.
        RequesterAlreadyOffline = "requester_already_offline",
        /// The requester awaits approval.
        RequesterAwaitingApproval = "requester_awaiting_approval",
        /// The requester is suspended.
        RequesterSuspended = "requester_suspended",
        /// No seat left for this agent (login).
        SeatsLimitExceeded = "seats_limit_exceeded",
        /// Too many online customers (customer login).
        UsersLimitReached = "users_limit_reached",
        /// The customer is banned.
        CustomerBanned = "customer_banned",
        /// The group does not exist.
        GroupNotFound = "group_not_found",
        /// The group is offline.
        GroupOffline = "group_offline",
        /// No agent of the group is available.
        GroupUnavailable = "group_unavailable",
        /// Every group is offline.
        GroupsOffline = "groups_offline",
        /// The greeting does not exist.
        GreetingNotFound = "greeting_not_found",
    }
}

impl ErrorType {
    /// The message the docs give for this error type.
    pub fn default_message(&self) -> &str {
        match self {
            Self::Authentication => "Authentication error",
            Self::Authorization => "Authorization error",
            Self::Validation => "Wrong format of request",
            Self::NotFound => "Not found",
            Self::MissingAccess => "Missing access",
            Self::ChatInactive => "Chat is inactive",
            Self::ChatAnonymized => "Chat anonymized",
            Self::NotAllowed => "Not allowed",
            Self::AlreadyExists => "Already exists",
            Self::LimitReached => "Limit reached",
            Self::TooManyRequests => "Too many requests",
            Self::PendingRequestsLimitReached => "Requests limit reached",
            Self::RequestTimeout => "Request timed out",
            Self::Internal => "Internal server error",
            Self::ServiceUnavailable => "Service unavailable",
            Self::EntityTooLarge => "Upload limit exceeded (10MB).",
            Self::MisdirectedRequest => "Wrong region",
            Self::UnsupportedVersion => "Cannot call unsupported API versions.",
            Self::LicenseExpired => "License expired",
            Self::LicenseNotFound => "License not found",
            Self::WrongProductVersion => "Wrong product version",
            Self::AgentOffline => "Agent offline",
            Self::RequesterAlreadyOffline => "Requester is already offline",
            Self::RequesterAwaitingApproval => "Requester awaiting approval",
            Self::RequesterSuspended => "Requester suspended",
            Self::SeatsLimitExceeded => "Seats limit exceeded",
            Self::UsersLimitReached => "Users limit reached",
            Self::CustomerBanned => "Customer is banned",
            Self::GroupNotFound => "Group not found",
            Self::GroupOffline => "Group is offline",
            Self::GroupUnavailable => "No agent available for group",
            Self::GroupsOffline => "Groups offline",
            Self::GreetingNotFound => "Greeting not found",
            Self::Unknown(other) => other,
        }
    }

    /// Whether the same request may succeed later without change.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::TooManyRequests
                | Self::PendingRequestsLimitReached
                | Self::RequestTimeout
                | Self::Internal
                | Self::ServiceUnavailable
        )
    }
}

/// The error object of the API: `{"type", "message", "data"?}`.
///
/// It is the same inside an RTM response payload and as a Web API response body
/// (both wrap it as `{"error": {...}}`, see [`ErrorBody`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// What kind of error this is.
    #[serde(rename = "type")]
    pub kind: ErrorType,
    /// A human-readable message.
    #[serde(default)]
    pub message: String,
    /// Extra data, e.g. `{"region": "fra"}` for `misdirected_request`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ApiError {
    /// An error of `kind` with the docs' default message.
    pub fn new(kind: ErrorType) -> Self {
        let message = kind.default_message().to_owned();
        Self {
            kind,
            message,
            data: None,
        }
    }

    /// An error of `kind` with a message of your own.
    pub fn with_message(kind: ErrorType, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            data: None,
        }
    }

    /// Attaches `data` to the error.
    #[must_use]
    pub fn data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// `data.region`, as sent with `misdirected_request`.
    pub fn region(&self) -> Option<&str> {
        self.data.as_ref()?.get("region")?.as_str()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for ApiError {}

/// `{"error": {...}}`: how the API wraps its error object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error object.
    pub error: ApiError,
}

/// A frame or body from the network could not be decoded.
///
/// Every variant names what was wrong; decoding never panics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The text is not JSON (or is truncated).
    #[error("frame is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The JSON is not an object.
    #[error("frame is not a JSON object")]
    NotAnObject,
    /// A field the envelope needs is missing.
    #[error("frame has no `{0}` field")]
    MissingField(&'static str),
    /// A field of the envelope has the wrong type.
    #[error("frame field `{field}` must be {expected}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// The `type` of the frame is neither `response` nor `push`.
    #[error("unknown frame type `{0}`")]
    UnknownType(String),
    /// The frame is larger than the limit.
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An HTTP response body is not the JSON the API promises (or is truncated).
    #[error("HTTP {status} response body is not valid JSON: {source}")]
    Body {
        /// The HTTP status of the response.
        status: u16,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// The payload does not match the type of its action or push.
    #[error("payload of `{name}` does not match its type: {source}")]
    Payload {
        /// The action or push.
        name: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
}

/// Every way a call of the SDK can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an API error.
    #[error("`{action}` failed: {error}")]
    Api {
        /// The action.
        action: String,
        /// The error object the server sent.
        error: ApiError,
        /// The HTTP status, for the Web API.
        http_status: Option<u16>,
    },
    /// The action does not exist for this API, transport or version; nothing was sent.
    #[error(
        "`{action}` is not available on the {api} API over {transport} in version {version} (it is {availability})"
    )]
    Unsupported {
        /// The action.
        action: &'static str,
        /// The API of the connection.
        api: Api,
        /// The transport of the connection.
        transport: TransportKind,
        /// The version of the connection.
        version: ApiVersion,
        /// Where the action is available, e.g. "RTM and Web in 3.3–3.5".
        availability: String,
    },
    /// No answer came in time.
    #[error("`{action}` timed out after {after:?}")]
    Timeout {
        /// The action.
        action: String,
        /// The time waited.
        after: Duration,
    },
    /// The connection died while the request was in flight; it may or may not have
    /// reached the server.
    #[error("connection lost while `{action}` was in flight")]
    ConnectionLost {
        /// The action.
        action: String,
    },
    /// The client was closed; nothing more can be sent.
    #[error("the client is closed")]
    Closed,
    /// The server ended the session for a reason that reconnecting cannot fix (e.g.
    /// `agent_logged_out_remotely`, `license_expired`); the client stopped.
    #[error("the server ended the session: {reason}")]
    SessionEnded {
        /// The disconnect reason the server gave.
        reason: String,
    },
    /// The server sent something that could not be decoded.
    #[error("could not decode the answer to `{action}`: {source}")]
    Decode {
        /// The action.
        action: String,
        /// What was wrong.
        #[source]
        source: FrameError,
    },
    /// The request could not be encoded.
    #[error("could not encode `{action}`: {source}")]
    Encode {
        /// The action.
        action: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// The caller cancelled the request (e.g. an upload) before it completed.
    #[error("`{action}` was cancelled")]
    Cancelled {
        /// The action.
        action: String,
    },
    /// The client was destroyed; it accepts no further calls.
    #[error("the client was destroyed; create a new one")]
    Destroyed,
    /// The input was refused before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A network or I/O failure below the protocol.
    #[error("transport failure: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    /// The API error object, when the server answered with one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The API error type, when the server answered with an error.
    pub fn error_type(&self) -> Option<&ErrorType> {
        self.api_error().map(|e| &e.kind)
    }

    pub(crate) fn unsupported(
        action: &'static str,
        api: Api,
        transport: TransportKind,
        version: ApiVersion,
        carried_by: &str,
        versions: Option<VersionRange>,
    ) -> Self {
        let availability = match versions {
            Some(range) => format!("{carried_by} in {range}"),
            None => carried_by.to_owned(),
        };
        Error::Unsupported {
            action,
            api,
            transport,
            version,
            availability,
        }
    }
}
