//! What every test starts from: a sandbox with an agent and an OAuth app.

use lc_accounts::AgentOAuth;
use lc_protocol::Transport;
use lc_protocol::id::Token;
use lc_sandbox::{AgentHandle, NewAgent, OAuthClient, Sandbox};
use lc_web::{AgentSession, WebClient, WebConfig};
use std::time::Duration;

pub(crate) struct World {
    pub(crate) sandbox: Sandbox,
    pub(crate) agent: AgentHandle,
    pub(crate) app: OAuthClient,
}

impl World {
    /// A sandbox whose access tokens live `lifetime`, with an agent and a server-side app.
    pub(crate) async fn new(lifetime: Option<Duration>) -> Self {
        let mut builder = Sandbox::builder();
        if let Some(lifetime) = lifetime {
            builder = builder.access_token_lifetime(lifetime);
        }
        Self::with(builder).await
    }

    /// A sandbox built by `builder`, with an agent and a server-side app.
    pub(crate) async fn with(builder: lc_sandbox::SandboxBuilder) -> Self {
        let sandbox = builder.start().await.unwrap();
        let agent = sandbox.create_agent(NewAgent::new("smith@example.com"));
        let app = sandbox.create_oauth_client();
        Self {
            sandbox,
            agent,
            app,
        }
    }

    /// An [`AgentOAuth`] of the app for the agent.
    pub(crate) fn agent_tokens(&self, margin: Duration) -> AgentOAuth {
        let refresh = self
            .sandbox
            .issue_refresh_token(&self.app, &self.agent.id)
            .unwrap();
        AgentOAuth::builder(self.app.client_id.clone())
            .client_secret(self.app.client_secret.clone().unwrap())
            .accounts_url(self.sandbox.http_url())
            .refresh_margin(margin)
            .build(refresh)
    }

    /// Whether `token` works on the agent Web API now.
    pub(crate) async fn agent_token_works(&self, token: Token) -> bool {
        let session = AgentSession::agent().base_url(self.sandbox.http_url());
        let web = WebClient::new(session, token, WebConfig::default());
        web.call_raw("list_routing_statuses", serde_json::json!({}))
            .await
            .is_ok()
    }
}
