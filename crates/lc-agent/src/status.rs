//! The agent's session and status: login, logout, away, routing, multicast, push
//! notifications.

use crate::{AgentClient, Call};
use lc_protocol::agent::{self, MulticastRecipients, PushNotificationsPlatform};
use lc_protocol::id::Token;
use lc_protocol::types::RoutingStatus;
use lc_protocol::{RtmTransport, Transport};
use serde_json::Value;

impl<T: Transport> AgentClient<T> {
    /// `logout`: logs the agent out.
    pub fn logout(&self) -> Call<'_, T, agent::Logout> {
        self.call(agent::Logout::new())
    }

    /// `set_routing_status`: changes the routing status of the agent (or of another
    /// agent or bot, with `agent_id` set on the call).
    /// (JS: lc-sdk-js `setRoutingStatus`.)
    pub fn set_routing_status(
        &self,
        status: RoutingStatus,
    ) -> Call<'_, T, agent::SetRoutingStatus> {
        self.call(agent::SetRoutingStatus::new(status))
    }

    /// `list_routing_statuses`: the routing statuses of the agents.
    /// (JS: lc-sdk-js `listRoutingStatuses`.)
    pub fn list_routing_statuses(&self) -> Call<'_, T, agent::ListRoutingStatuses> {
        self.call(agent::ListRoutingStatuses::new())
    }

    /// `multicast`: sends any JSON `content` to agents (not stored).
    pub fn multicast(
        &self,
        recipients: MulticastRecipients,
        content: impl Into<Value>,
    ) -> Call<'_, T, agent::Multicast> {
        self.call(agent::Multicast::new(recipients, content))
    }
}

/// What only RTM carries: the session itself.
impl<T: RtmTransport> AgentClient<T> {
    /// `login`: logs the connection in with `token` (options set on the call).
    ///
    /// An [`RtmClient`](lc_rtm::RtmClient) logs in by itself on every (re)connection
    /// with its token provider; call this only on a transport that does not.
    pub fn login(&self, token: impl Into<Token>) -> Call<'_, T, agent::Login> {
        self.call(agent::Login::new(token))
    }

    /// `update_session` (API 3.6): replaces the token of the logged-in session.
    pub fn update_session(&self, token: impl Into<Token>) -> Call<'_, T, agent::UpdateSession> {
        self.call(agent::UpdateSession::new(token))
    }

    /// `set_away_status`: puts this connection in (or out of) the away state.
    /// (JS: lc-sdk-js `setAwayStatus`.)
    pub fn set_away_status(&self, away: bool) -> Call<'_, T, agent::SetAwayStatus> {
        self.call(agent::SetAwayStatus::new(away))
    }

    /// `change_push_notifications` (API 3.3–3.4): Firebase push notification settings.
    /// (JS: lc-sdk-js `changePushNotifications`.)
    pub fn change_push_notifications(
        &self,
        firebase_token: impl Into<String>,
        platform: PushNotificationsPlatform,
        enabled: bool,
    ) -> Call<'_, T, agent::ChangePushNotifications> {
        self.call(agent::ChangePushNotifications::new(
            firebase_token,
            platform,
            enabled,
        ))
    }
}
