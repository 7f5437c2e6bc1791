//! One token provider shared by the RTM and Web engines, which remembers the token it
//! handed out last so that a disconnect for an expired token can invalidate it.

use async_trait::async_trait;
use lc_protocol::Error;
use lc_protocol::auth::TokenProvider;
use lc_protocol::id::Token;
use std::sync::{Arc, Mutex, PoisonError};

/// The user's provider, shared; clones hand out from the same provider.
#[derive(Clone)]
pub(crate) struct SharedTokens {
    inner: Arc<Shared>,
}

struct Shared {
    provider: Box<dyn TokenProvider>,
    last: Mutex<Option<Token>>,
}

impl SharedTokens {
    pub(crate) fn new(provider: impl TokenProvider) -> Self {
        Self {
            inner: Arc::new(Shared {
                provider: Box::new(provider),
                last: Mutex::new(None),
            }),
        }
    }

    /// The server said the last token expired or was revoked: a caching provider drops
    /// it, so that the next login gets a fresh one.
    pub(crate) async fn invalidate_last(&self) {
        let last = self
            .inner
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(token) = last {
            self.inner.provider.invalidate(&token).await;
        }
    }
}

#[async_trait]
impl TokenProvider for SharedTokens {
    async fn token(&self) -> Result<Token, Error> {
        let token = self.inner.provider.token().await?;
        *self
            .inner
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(token.clone());
        Ok(token)
    }

    async fn invalidate(&self, rejected: &Token) {
        {
            let mut last = self
                .inner
                .last
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last
                .as_ref()
                .is_some_and(|t| t.expose() == rejected.expose())
            {
                *last = None;
            }
        }
        self.inner.provider.invalidate(rejected).await;
    }
}
