//! [`InbentaConfig`]: which app, which server, and how the engines behave.

use lc_protocol::id::Token;
use lc_rtm::RtmConfig;
use lc_web::WebConfig;

/// The port Inbenta's servers (and `ICF.init`) use when none is given.
pub const DEFAULT_PORT: u16 = 8000;

/// Where the server is: one of Inbenta's regions, or any URL.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Server {
    Region(String),
    Url(String),
}

/// The configuration of an [`InbentaClient`](crate::InbentaClient): the JS
/// `ICF.init({appId, region | server, port})`, plus the optional server-side credentials
/// and the engines' settings.
///
/// The REST base is `<server>:<port>/v1/` and the realtime channel
/// `ws[s]://<host>:<port>/v1/ws`:
///
/// - [`region`](InbentaConfig::region) `eu` or `us` → `https://agentchat-{region}.inbenta.chat`;
/// - [`server`](InbentaConfig::server) → that URL (`http://` for a local server such as
///   lc-sandbox);
/// - the port is the one [`port`](InbentaConfig::port) sets, else the one in the server
///   URL, else [`DEFAULT_PORT`] (8000), as in `ICF.init`.
///
/// ```
/// use lc_inbenta::InbentaConfig;
///
/// let config = InbentaConfig::region("my-app-id", "eu");
/// assert_eq!(config.rest_base(), "https://agentchat-eu.inbenta.chat:8000/v1");
/// assert_eq!(config.ws_url(), "wss://agentchat-eu.inbenta.chat:8000/v1/ws");
///
/// let local = InbentaConfig::server("my-app-id", "http://127.0.0.1:4321");
/// assert_eq!(local.rest_base(), "http://127.0.0.1:4321/v1");
/// assert_eq!(local.ws_url(), "ws://127.0.0.1:4321/v1/ws");
///
/// let proxied = InbentaConfig::server("my-app-id", "https://chat.example.com").port(443);
/// assert_eq!(proxied.rest_base(), "https://chat.example.com:443/v1");
/// ```
#[derive(Debug, Clone)]
pub struct InbentaConfig {
    app_id: String,
    server: Server,
    port: Option<u16>,
    pub(crate) secret: Option<Token>,
    pub(crate) domain_key: Option<Token>,
    pub(crate) rtm: RtmConfig,
    pub(crate) web: WebConfig,
}

impl InbentaConfig {
    /// The app `app_id` on Inbenta's servers of `region` (`eu` or `us`).
    pub fn region(app_id: impl Into<String>, region: impl Into<String>) -> Self {
        Self::with(app_id.into(), Server::Region(region.into()))
    }

    /// The app `app_id` on the server at `url` (`https://host[:port]`, or `http://` for
    /// a local server).
    pub fn server(app_id: impl Into<String>, url: impl Into<String>) -> Self {
        let url = url.into().trim_end_matches('/').to_owned();
        Self::with(app_id.into(), Server::Url(url))
    }

    fn with(app_id: String, server: Server) -> Self {
        Self {
            app_id,
            server,
            port: None,
            secret: None,
            domain_key: None,
            rtm: RtmConfig::default(),
            web: WebConfig::default(),
        }
    }

    /// The port (default: the server URL's, else 8000).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The app's secret, sent as `x-hyper-secret` on REST calls made before a user logs
    /// in. For servers only: never ship it to a browser or an app.
    #[must_use]
    pub fn secret(mut self, secret: impl Into<Token>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// A domain key, sent as `x-hyper-key` on REST calls made before a user logs in (it
    /// allows only creating users, availability and settings).
    #[must_use]
    pub fn domain_key(mut self, key: impl Into<Token>) -> Self {
        self.domain_key = Some(key.into());
        self
    }

    /// Settings of the realtime engine (timeouts, heartbeat, reconnection).
    #[must_use]
    pub fn rtm_config(mut self, config: RtmConfig) -> Self {
        self.rtm = config;
        self
    }

    /// Settings of the HTTP engine (timeouts, retries, TLS).
    #[must_use]
    pub fn web_config(mut self, config: WebConfig) -> Self {
        self.web = config;
        self
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// `scheme://host:port`, without a trailing slash.
    fn origin(&self) -> String {
        let url = match &self.server {
            Server::Region(region) => format!("https://agentchat-{region}.inbenta.chat"),
            Server::Url(url) => url.clone(),
        };
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url.as_str()));
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        let host = match authority.rsplit_once(':') {
            // A port, unless the colon belongs to an IPv6 address.
            Some((host, port)) if !port.contains(']') && port.parse::<u16>().is_ok() => {
                match self.port {
                    Some(_) => host,
                    None => return format!("{scheme}://{authority}{path}"),
                }
            }
            _ => authority,
        };
        let port = self.port.unwrap_or(DEFAULT_PORT);
        format!("{scheme}://{host}:{port}{path}")
    }

    /// The REST base URL, ending in `/v1`.
    pub fn rest_base(&self) -> String {
        format!("{}/v1", self.origin())
    }

    /// The realtime WebSocket URL (`ws://` or `wss://`, path `/v1/ws`), without
    /// credentials.
    pub fn ws_url(&self) -> String {
        let origin = self.origin();
        let origin = match origin.split_once("://") {
            Some(("http", rest)) => format!("ws://{rest}"),
            Some(("https", rest)) => format!("wss://{rest}"),
            _ => origin,
        };
        format!("{origin}/v1/ws")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_use_inbentas_hosts_on_port_8000() {
        let us = InbentaConfig::region("app", "us");
        assert_eq!(us.rest_base(), "https://agentchat-us.inbenta.chat:8000/v1");
        assert_eq!(
            us.clone().port(443).ws_url(),
            "wss://agentchat-us.inbenta.chat:443/v1/ws"
        );
    }

    #[test]
    fn server_urls_keep_their_port_unless_one_is_set() {
        let local = InbentaConfig::server("app", "http://127.0.0.1:9/");
        assert_eq!(local.rest_base(), "http://127.0.0.1:9/v1");
        assert_eq!(local.clone().port(10).ws_url(), "ws://127.0.0.1:10/v1/ws");
        let bare = InbentaConfig::server("app", "https://chat.example.com");
        assert_eq!(bare.ws_url(), "wss://chat.example.com:8000/v1/ws");
        let v6 = InbentaConfig::server("app", "http://[::1]");
        assert_eq!(v6.rest_base(), "http://[::1]:8000/v1");
    }

    #[test]
    fn secrets_are_redacted() {
        let config = InbentaConfig::region("app", "eu")
            .secret("s3cr3t")
            .domain_key("k3y");
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("s3cr3t") && !debug.contains("k3y"),
            "{debug}"
        );
    }
}
