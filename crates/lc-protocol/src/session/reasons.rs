//! What each documented disconnect reason means for the connection: one table per API.

use super::rules::Disconnect;
use crate::types::{AgentDisconnectReason, CustomerDisconnectReason};
use serde_json::Value;
use std::time::Duration;

/// What a client does when the server closes its connection for a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectPolicy {
    /// Connect again (after backoff, and not before a wait the server gives) and log in
    /// again.
    Reconnect,
    /// The token expired or was revoked: connect again with a fresh token.
    RenewToken,
    /// Connect again to the region the server names; stop when it names none.
    SwitchRegion,
    /// Stop for good: reconnecting would not help.
    Stop,
}

impl AgentDisconnectReason {
    /// What an agent connection does after this reason, as the API documents it;
    /// reasons this crate does not know stop the connection.
    pub fn policy(&self) -> DisconnectPolicy {
        use AgentDisconnectReason as R;
        use DisconnectPolicy as P;
        match self {
            R::AccessTokenExpired => P::RenewToken,
            R::ConnectionTimeout => P::Reconnect,
            R::InternalError => P::Reconnect,
            R::TooManyUnauthorizedConnections => P::Reconnect,
            R::RolePermissionsChanged => P::Reconnect,
            R::MisdirectedConnection => P::SwitchRegion,
            R::AgentDisconnectedByServer => P::Stop,
            R::AgentLoggedOutRemotely => P::Stop,
            R::AccessTokenRevoked => P::Stop,
            R::ConnectionEvicted => P::Stop,
            R::LicenseExpired => P::Stop,
            R::LicenseNotFound => P::Stop,
            R::UnsupportedVersion => P::Stop,
            R::TooManyConnections => P::Stop,
            R::Unknown(_) => P::Stop,
        }
    }
}

impl CustomerDisconnectReason {
    /// What a customer connection does after this reason, as the API documents it;
    /// reasons this crate does not know stop the connection.
    pub fn policy(&self) -> DisconnectPolicy {
        use CustomerDisconnectReason as R;
        use DisconnectPolicy as P;
        match self {
            R::AccessTokenRevoked => P::RenewToken,
            R::AccessTokenExpired => P::RenewToken,
            R::ConnectionEvicted => P::Reconnect,
            R::ConnectionTimeout => P::Reconnect,
            R::InternalError => P::Reconnect,
            R::ServiceTemporarilyUnavailable => P::Reconnect,
            R::TooManyUnauthorizedConnections => P::Reconnect,
            R::CustomerTemporarilyBlocked => P::Reconnect,
            R::MisdirectedConnection => P::SwitchRegion,
            R::LicenseNotFound => P::Stop,
            R::LicenseExpired => P::Stop,
            R::UnsupportedVersion => P::Stop,
            R::TooManyConnections => P::Stop,
            R::LoggedOutRemotely => P::Stop,
            R::Unknown(_) => P::Stop,
        }
    }
}

impl DisconnectPolicy {
    /// The decision for a disconnect of `reason` with this policy, the `region` the server
    /// named and the wait (`timeout`) it gave.
    pub(super) fn decide(
        self,
        reason: &str,
        region: Option<&str>,
        timeout: Option<&Value>,
    ) -> Disconnect {
        let reason = reason.to_owned();
        match self {
            Self::Reconnect => match timeout.and_then(seconds) {
                Some(at_least) => Disconnect::ReconnectAfter { reason, at_least },
                None => Disconnect::Reconnect { reason },
            },
            Self::RenewToken => Disconnect::RenewToken { reason },
            Self::SwitchRegion => match region {
                Some(region) => Disconnect::SwitchRegion {
                    reason,
                    region: region.to_owned(),
                },
                None => Disconnect::Stop { reason },
            },
            Self::Stop => Disconnect::Stop { reason },
        }
    }
}

/// A wait the server gives in `data.timeout` (its format is undocumented): seconds, as a
/// number or a numeric string; nonsense (negative, not a number) is no wait.
fn seconds(value: &Value) -> Option<Duration> {
    let seconds = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    // At most a day: `try_from_secs_f64` refuses NaN, negatives and overflow.
    Duration::try_from_secs_f64(seconds.min(86_400.0)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_customers_wait_the_timeout_they_are_given() {
        assert_eq!(
            seconds(&serde_json::json!(30)),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            seconds(&serde_json::json!("1.5")),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(seconds(&serde_json::json!(-1)), None);
        assert_eq!(
            seconds(&serde_json::json!(1e300)),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(seconds(&serde_json::json!({"s": 1})), None);
    }

    #[test]
    fn every_documented_reason_has_a_policy() {
        for reason in AgentDisconnectReason::KNOWN {
            let _ = reason.policy();
        }
        assert_eq!(
            AgentDisconnectReason::from("something_new").policy(),
            DisconnectPolicy::Stop
        );
        assert_eq!(
            CustomerDisconnectReason::CustomerTemporarilyBlocked.policy(),
            DisconnectPolicy::Reconnect
        );
    }
}
