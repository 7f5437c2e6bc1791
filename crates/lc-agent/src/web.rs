//! The agent over the Web API: the constructor and what only Web carries.

use crate::AgentClient;
use lc_protocol::Error;
use lc_protocol::auth::TokenProvider;
use lc_rtm::AgentSession;
use lc_web::{Upload, Uploaded, WebClient, WebConfig};

impl AgentClient<WebClient> {
    /// A client of the Agent Chat Web API: one HTTPS request per call, addressed by
    /// `session` (base URL, version, region, author id, as for [`connect_rtm`]), with the
    /// token from `tokens` (asked before every request; `Token::basic` for a personal
    /// access token) and `config`'s timeouts, retry policy and TLS settings.
    ///
    /// [`connect_rtm`]: AgentClient::connect_rtm
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_protocol::Error> {
    /// use lc_agent::AgentClient;
    /// use lc_protocol::id::Token;
    /// use lc_rtm::AgentSession;
    /// use lc_web::WebConfig;
    ///
    /// let session = AgentSession::agent();
    /// let client = AgentClient::connect_web(session, Token::new("dal:..."), WebConfig::default());
    /// let statuses = client.list_routing_statuses().await?;
    /// println!("{} agents", statuses.len());
    /// # Ok(())
    /// # }
    /// ```
    pub fn connect_web(
        session: AgentSession,
        tokens: impl TokenProvider,
        config: WebConfig,
    ) -> Self {
        Self::new(WebClient::new(session, tokens, config))
    }

    /// `upload_file` (Web only): uploads a file (10 MB at most) and returns its URL, to
    /// send in a `file` event. Progress and cancellation are set on the [`Upload`].
    /// (JS: lc-sdk-js `uploadFile`.)
    ///
    /// ```no_run
    /// # async fn demo(client: lc_agent::AgentClient<lc_web::WebClient>) -> Result<(), lc_protocol::Error> {
    /// use lc_protocol::types::Event;
    /// use lc_web::Upload;
    ///
    /// let uploaded = client
    ///     .upload_file(Upload::bytes("notes.txt", "hello").on_progress(|p| eprintln!("{p:.2}")))
    ///     .await?;
    /// client.send_event("PJ0MRSHTDG", Event::file(uploaded.url)).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// `Error::InvalidInput` before sending for a file over 10 MB, `Error::Cancelled`
    /// when cancelled, otherwise as any call.
    pub async fn upload_file(&self, upload: Upload) -> Result<Uploaded, Error> {
        self.transport().upload_file(upload).await
    }
}
