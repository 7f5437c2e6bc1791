//! Credentials: the [`TokenProvider`] every engine asks before logging in or sending a
//! request, so that expired tokens are refreshed without the caller's help.

use crate::error::Error;
use crate::id::Token;
use async_trait::async_trait;
use std::future::Future;

/// Gives an engine a token for every login (RTM) or request (Web).
///
/// A token is sent as is when it starts with `Bearer ` or `Basic `, and as
/// `Bearer <token>` otherwise; [`Token::basic`] builds the `Basic` form of a personal
/// access token.
#[async_trait]
pub trait TokenProvider: Send + Sync + 'static {
    /// A token to use now.
    async fn token(&self) -> Result<Token, Error>;

    /// Called when the server refused `rejected` as expired or invalid, before the engine
    /// asks [`token`](TokenProvider::token) again: a caching provider drops it here.
    async fn invalidate(&self, _rejected: &Token) {}

    /// The token itself when this provider always gives the same one (a plain
    /// [`Token`]), so that a client can send it without asking each time; `None` (the
    /// default) for a provider that may give another.
    fn fixed(&self) -> Option<&Token> {
        None
    }
}

#[async_trait]
impl TokenProvider for Token {
    async fn token(&self) -> Result<Token, Error> {
        Ok(self.clone())
    }

    fn fixed(&self) -> Option<&Token> {
        Some(self)
    }
}

/// A shared provider, e.g. one the caller keeps a handle to.
#[async_trait]
impl<T: TokenProvider + ?Sized> TokenProvider for std::sync::Arc<T> {
    async fn token(&self) -> Result<Token, Error> {
        (**self).token().await
    }

    async fn invalidate(&self, rejected: &Token) {
        (**self).invalidate(rejected).await;
    }

    fn fixed(&self) -> Option<&Token> {
        (**self).fixed()
    }
}

/// A [`TokenProvider`] from an async closure, asked every time.
///
/// ```
/// use lc_protocol::auth::token_fn;
/// use lc_protocol::id::Token;
///
/// let provider = token_fn(|| async { Ok(Token::new("Bearer dal:abc")) });
/// # let _ = provider;
/// ```
pub fn token_fn<F, Fut>(f: F) -> TokenFn<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Token, Error>> + Send + 'static,
{
    TokenFn(f)
}

/// See [`token_fn`].
pub struct TokenFn<F>(F);

impl<F> std::fmt::Debug for TokenFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenFn")
    }
}

#[async_trait]
impl<F, Fut> TokenProvider for TokenFn<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Token, Error>> + Send + 'static,
{
    async fn token(&self) -> Result<Token, Error> {
        (self.0)().await
    }
}

/// The value of an `Authorization` header (or RTM login `token`) for `token`.
///
/// ```
/// use lc_protocol::auth::authorization;
/// use lc_protocol::id::Token;
///
/// assert_eq!(authorization(&Token::new("dal:abc")), "Bearer dal:abc");
/// assert_eq!(authorization(&Token::new("Basic eDp5")), "Basic eDp5");
/// ```
pub fn authorization(token: &Token) -> String {
    let value = token.expose();
    if value.starts_with("Bearer ") || value.starts_with("Basic ") {
        value.to_owned()
    } else {
        format!("Bearer {value}")
    }
}

/// The region a token names by its prefix (`dal:...`, `fra:...`), if any.
///
/// ```
/// use lc_protocol::auth::region_of;
///
/// assert_eq!(region_of("Bearer fra:xyz"), Some("fra"));
/// assert_eq!(region_of("plain"), None);
/// ```
pub fn region_of(token: &str) -> Option<&str> {
    let bare = token.strip_prefix("Bearer ").unwrap_or(token);
    let (prefix, _) = bare.split_once(':')?;
    matches!(prefix, "dal" | "fra" | "fra-a" | "fra-b").then_some(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_token_is_fixed_and_a_shared_one_says_so_too() {
        let token = Token::new("dal:abc");
        assert_eq!(token.fixed(), Some(&token));
        let shared = std::sync::Arc::new(token.clone());
        assert_eq!(shared.fixed(), Some(&token));
        let asked = token_fn(|| async { Ok(Token::new("dal:abc")) });
        assert_eq!(asked.fixed(), None);
    }
}
