//! Errors: the API's error object, frame decoding errors and the SDK-wide [`Error`].

use crate::api::{Api, TransportKind};
use crate::version::{ApiVersion, VersionRange};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
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
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The text is not JSON (or is truncated).
    #[error("frame is not valid JSON: {0}")]
    Json(#[source] Arc<serde_json::Error>),
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
        source: Arc<serde_json::Error>,
    },
    /// The payload does not match the type of its action or push.
    #[error("payload of `{name}` does not match its type: {source}")]
    Payload {
        /// The action or push.
        name: String,
        /// What serde said.
        #[source]
        source: Arc<serde_json::Error>,
    },
}

/// Every way a call of the SDK can fail.
///
/// Branch on [`kind`](Error::kind) (what went wrong), [`is_transient`](Error::is_transient)
/// (whether the same call may succeed later) and [`applied`](Error::applied) (whether
/// the server acted on the request) rather than on the message:
///
/// ```
/// use lc_protocol::{Applied, Error, ErrorKind};
///
/// fn advice(error: &Error) -> &'static str {
///     match (error.kind(), error.applied()) {
///         (ErrorKind::InvalidInput | ErrorKind::Unsupported, _) => "fix the call",
///         (_, Applied::Yes) => "done, the answer was unreadable",
///         (_, Applied::Unknown) => "look before sending again",
///         _ if error.is_transient() => "try again later",
///         _ => "give up",
///     }
/// }
/// let lost = Error::ConnectionLost { action: "send_event".into() };
/// assert_eq!(advice(&lost), "look before sending again");
/// assert_eq!(lost.action(), Some("send_event"));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
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
        source: Arc<serde_json::Error>,
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
    #[error("{failure}: {message}")]
    Transport {
        /// Which step failed, and so whether the server saw the request.
        failure: TransportFailure,
        /// What failed, in words.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },
    /// Too many requests wait for the connection already (e.g. during an outage); this
    /// one was refused before anything was sent.
    #[error("`{action}` refused: {capacity} requests are already waiting for the connection")]
    QueueFull {
        /// The action.
        action: String,
        /// How many requests may wait at most.
        capacity: usize,
    },
    /// An event-creating call (e.g. `send_event`) ended ambiguously and finding out
    /// whether the server stored it failed too: the event may or may not be stored.
    /// Look for its `custom_id` in the chat before sending it again.
    #[error("`{action}` may or may not have been applied (custom_id {custom_id}): {source}")]
    Unresolved {
        /// The action.
        action: String,
        /// The client-made id the request carried.
        custom_id: String,
        /// Why the outcome could not be found out.
        #[source]
        source: Box<Error>,
    },
}

/// Which step of a request failed below the protocol (see [`Error::Transport`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportFailure {
    /// The connection could not be opened (DNS, refused, TLS): the server never saw the
    /// request.
    Connect,
    /// The server refused the WebSocket upgrade with this HTTP status (401, 403, 404, ...).
    Handshake {
        /// The HTTP status of the refusal.
        status: u16,
    },
    /// The connection broke after the request may have been written: the server may
    /// have acted on it.
    Dropped,
    /// The response was larger than the limit.
    TooLarge,
    /// A local resource failed (e.g. reading the file of an upload); nothing was sent.
    Local,
    /// The token provider gave no token (it failed or timed out); nothing was sent.
    Token,
}

impl std::fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect => f.write_str("cannot connect"),
            Self::Handshake { status } => write!(f, "connection refused with HTTP {status}"),
            Self::Dropped => f.write_str("connection dropped"),
            Self::TooLarge => f.write_str("response too large"),
            Self::Local => f.write_str("local failure"),
            Self::Token => f.write_str("no token"),
        }
    }
}

/// What kind of failure an [`Error`] is: a small set to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered with an API error ([`Error::api_error`] has it).
    Api,
    /// No answer came in time.
    Timeout,
    /// The network failed: the connection could not be opened, or broke.
    Connection,
    /// An answer could not be decoded.
    Decode,
    /// The action does not exist for this API, transport or version.
    Unsupported,
    /// The input was refused before anything was sent.
    InvalidInput,
    /// The server ended the session for good.
    SessionEnded,
    /// The client was closed or destroyed.
    Closed,
    /// The caller cancelled the request.
    Cancelled,
    /// Too many requests are waiting already.
    Overloaded,
}

/// Whether the server acted on a request that failed (see [`Error::applied`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Applied {
    /// Certainly not: sending it again cannot make a duplicate.
    No,
    /// Yes, but the answer was lost or unreadable.
    Yes,
    /// It may or may not have been: the connection broke or the answer did not come.
    Unknown,
}

impl Error {
    /// What kind of failure this is. For [`Error::Unresolved`], the kind of the failure
    /// that prevented finding out the outcome.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Api { .. } => ErrorKind::Api,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::ConnectionLost { .. } | Error::Transport { .. } => ErrorKind::Connection,
            Error::Closed | Error::Destroyed => ErrorKind::Closed,
            Error::SessionEnded { .. } => ErrorKind::SessionEnded,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Encode { .. } | Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::Cancelled { .. } => ErrorKind::Cancelled,
            Error::QueueFull { .. } => ErrorKind::Overloaded,
            Error::Unresolved { source, .. } => source.kind(),
        }
    }

    /// Whether the same call may succeed if made again later, unchanged: rate limits,
    /// server trouble, timeouts, network failures, a full queue. Check
    /// [`applied`](Error::applied) first for calls that change something.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Api { error, .. } => error.kind.is_transient(),
            Error::Timeout { .. } | Error::ConnectionLost { .. } | Error::QueueFull { .. } => true,
            Error::Transport { failure, .. } => matches!(
                failure,
                TransportFailure::Connect | TransportFailure::Dropped | TransportFailure::Token
            ),
            Error::Unresolved { source, .. } => source.is_transient(),
            _ => false,
        }
    }

    /// Whether the server acted on the request: [`Applied::No`] when it certainly did
    /// not (refused before sending, or answered with an error), [`Applied::Yes`] when it
    /// answered but the answer could not be read, [`Applied::Unknown`] when the
    /// connection broke or no answer came.
    ///
    /// Event-creating calls of the role clients (`send_event`, `send_file`, Inbenta
    /// `send_message`) resolve the unknown case themselves: they give the stored event,
    /// or [`Error::Unresolved`] only when finding out failed too.
    pub fn applied(&self) -> Applied {
        match self {
            Error::Api {
                error, http_status, ..
            } => {
                let server_trouble =
                    matches!(error.kind, ErrorType::Internal | ErrorType::RequestTimeout)
                        || http_status.is_some_and(|s| s >= 500 && s != 503);
                if server_trouble {
                    Applied::Unknown
                } else {
                    Applied::No
                }
            }
            Error::Timeout { .. }
            | Error::ConnectionLost { .. }
            | Error::SessionEnded { .. }
            | Error::Unresolved { .. } => Applied::Unknown,
            Error::Transport { failure, .. } => match failure {
                TransportFailure::Dropped => Applied::Unknown,
                TransportFailure::TooLarge => Applied::Yes,
                _ => Applied::No,
            },
            // A success payload of the wrong shape: the server acted. A frame or body
            // that cannot be read at all may have been an error or a success.
            Error::Decode { source, .. } => match source {
                FrameError::Payload { .. } => Applied::Yes,
                FrameError::Body { status, .. } if (200..300).contains(status) => Applied::Yes,
                _ => Applied::Unknown,
            },
            _ => Applied::No,
        }
    }

    /// The action the failed call sent, when there was one.
    pub fn action(&self) -> Option<&str> {
        match self {
            Error::Api { action, .. }
            | Error::Timeout { action, .. }
            | Error::ConnectionLost { action }
            | Error::Decode { action, .. }
            | Error::Encode { action, .. }
            | Error::Cancelled { action }
            | Error::QueueFull { action, .. }
            | Error::Unresolved { action, .. } => Some(action),
            Error::Unsupported { action, .. } => Some(action),
            _ => None,
        }
    }

    /// A [`Error::Transport`] of `failure`, with the underlying error.
    pub fn transport(
        failure: TransportFailure,
        message: impl Into<String>,
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Transport {
            failure,
            message: message.into(),
            source,
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn api(kind: ErrorType, http_status: Option<u16>) -> Error {
        Error::Api {
            action: "send_event".into(),
            error: ApiError::new(kind),
            http_status,
        }
    }

    #[test]
    fn api_errors_are_not_applied_unless_the_server_was_in_trouble() {
        assert_eq!(api(ErrorType::Validation, None).applied(), Applied::No);
        assert_eq!(
            api(ErrorType::ServiceUnavailable, Some(503)).applied(),
            Applied::No
        );
        assert_eq!(
            api(ErrorType::Internal, Some(500)).applied(),
            Applied::Unknown
        );
        assert_eq!(
            api(ErrorType::RequestTimeout, None).applied(),
            Applied::Unknown
        );
        assert!(api(ErrorType::TooManyRequests, Some(429)).is_transient());
        assert!(!api(ErrorType::Validation, None).is_transient());
        assert_eq!(api(ErrorType::NotFound, None).kind(), ErrorKind::Api);
    }

    #[test]
    fn network_failures_say_whether_the_server_saw_the_request() {
        let connect = Error::transport(TransportFailure::Connect, "refused", None);
        let dropped = Error::transport(TransportFailure::Dropped, "reset", None);
        assert_eq!(connect.applied(), Applied::No);
        assert_eq!(dropped.applied(), Applied::Unknown);
        assert_eq!(connect.kind(), ErrorKind::Connection);
        assert!(connect.is_transient() && dropped.is_transient());
        let refused = Error::transport(TransportFailure::Handshake { status: 403 }, "", None);
        assert!(!refused.is_transient());
        assert!(refused.to_string().contains("HTTP 403"), "{refused}");
    }

    #[test]
    fn unresolved_sends_keep_their_cause() {
        let cause = Error::Timeout {
            action: "get_chat".into(),
            after: Duration::from_secs(1),
        };
        let error = Error::Unresolved {
            action: "send_event".into(),
            custom_id: "c-1".into(),
            source: Box::new(cause),
        };
        assert_eq!(error.applied(), Applied::Unknown);
        assert_eq!(error.kind(), ErrorKind::Timeout);
        assert_eq!(error.action(), Some("send_event"));
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("`get_chat` timed out after 1s"));
        // Errors are values: they can be cloned and kept.
        let copy = error.clone();
        assert_eq!(copy.to_string(), error.to_string());
    }

    #[test]
    fn unreadable_answers_are_applied_only_when_they_were_successes() {
        let json = Arc::new(serde_json::from_str::<Value>("{").expect_err("not JSON"));
        let payload = Error::Decode {
            action: "list_chats".into(),
            source: FrameError::Payload {
                name: "list_chats".into(),
                source: json.clone(),
            },
        };
        let frame = Error::Decode {
            action: "list_chats".into(),
            source: FrameError::Json(json),
        };
        assert_eq!(payload.applied(), Applied::Yes);
        assert_eq!(frame.applied(), Applied::Unknown);
        assert_eq!(frame.kind(), ErrorKind::Decode);
    }
}
