//! What every test starts from: a sandbox with an agent, and a Configuration API client
//! with the agent's token.

use lc_configuration::ConfigurationClient;
use lc_protocol::ErrorType;
use lc_protocol::id::Token;
use lc_protocol::session::ConfigurationSession;
use lc_sandbox::{AgentHandle, NewAgent, Sandbox};
use lc_web::WebConfig;

/// The client id of the application the tests' bots and webhooks belong to.
pub(crate) const CLIENT_ID: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

pub(crate) struct World {
    pub(crate) sandbox: Sandbox,
    pub(crate) agent: AgentHandle,
    pub(crate) config: ConfigurationClient,
}

impl World {
    pub(crate) async fn new() -> Self {
        let sandbox = Sandbox::builder().start().await.unwrap();
        let agent = sandbox.create_agent(NewAgent::new("smith@example.com").name("Smith"));
        let config = client(&sandbox, agent.token.clone());
        Self {
            sandbox,
            agent,
            config,
        }
    }

    /// A client with the agent's personal access token (Basic authorization).
    pub(crate) fn with_pat(&self) -> ConfigurationClient {
        client(
            &self.sandbox,
            Token::basic(&self.agent.account_id, self.agent.pat.expose()),
        )
    }
}

/// A Configuration API client of `sandbox` with `token`.
pub(crate) fn client(sandbox: &Sandbox, token: Token) -> ConfigurationClient {
    let session = ConfigurationSession::configuration().base_url(sandbox.http_url());
    ConfigurationClient::connect_web(session, token, WebConfig::default())
}

/// The API error type of a failed call.
pub(crate) fn error_type<T: std::fmt::Debug>(result: Result<T, lc_protocol::Error>) -> ErrorType {
    let error = result.unwrap_err();
    error
        .api_error()
        .unwrap_or_else(|| panic!("not an API error: {error:?}"))
        .kind
        .clone()
}
