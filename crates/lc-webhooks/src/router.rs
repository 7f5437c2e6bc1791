//! The receiver in an axum app (feature `axum`).

use crate::WebhookReceiver;

impl WebhookReceiver {
    /// An axum [`Router`](axum::Router) that receives the deliveries POSTed to `path`
    /// (the URL you registered), answering as [`handle`](Self::handle) does; merge it
    /// into your app:
    ///
    /// ```no_run
    /// use axum::Router;
    /// use axum::routing::get;
    /// use lc_webhooks::WebhookReceiver;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let (receiver, webhooks) = WebhookReceiver::new("the secret_key you registered");
    /// let app = Router::new()
    ///     .route("/health", get(|| async { "ok" }))
    ///     .merge(receiver.into_router("/livechat/webhooks"));
    /// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    /// tokio::spawn(async move { axum::serve(listener, app).await });
    /// // ... read `webhooks`, a stream of typed deliveries
    /// # drop(webhooks);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// The router has no state of its own, so it merges into a router of any state `S`.
    /// Equivalent to `Router::new().route_service(path, receiver)`: the receiver is a
    /// `tower` service, which also mounts anywhere axum takes one (`nest_service`,
    /// `fallback_service`, a `MethodRouter`).
    ///
    /// # Panics
    /// As [`Router::route_service`](axum::Router::route_service): when `path` is not a
    /// valid route (it must start with `/`).
    pub fn into_router<S>(self, path: &str) -> axum::Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        axum::Router::new().route_service(path, self)
    }
}
