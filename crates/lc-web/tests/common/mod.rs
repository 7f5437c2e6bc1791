//! Shared set-up of the lc-web tests.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use async_trait::async_trait;
use lc_protocol::Error;
use lc_protocol::auth::TokenProvider;
use lc_protocol::id::Token;
use lc_sandbox::{AgentHandle, NewAgent, Sandbox};
use lc_web::{AgentSession, WebClient, WebConfig};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::Notify;

/// A sandbox with one agent.
pub(crate) async fn start() -> (Sandbox, AgentHandle) {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let agent = sandbox.create_agent(NewAgent::new("smith@example.com"));
    (sandbox, agent)
}

/// An agent Web client of `sandbox`.
pub(crate) fn agent_client(
    sandbox: &Sandbox,
    tokens: impl TokenProvider,
    config: WebConfig,
) -> WebClient {
    WebClient::new(
        AgentSession::agent().base_url(sandbox.http_url()),
        tokens,
        config,
    )
}

/// Hands out the given tokens in turn (the last one forever) and counts calls.
#[derive(Clone)]
pub(crate) struct RecordingTokens {
    tokens: Arc<Vec<Token>>,
    asked: Arc<AtomicUsize>,
    invalidated: Arc<AtomicUsize>,
}

impl RecordingTokens {
    pub(crate) fn new(tokens: impl IntoIterator<Item = Token>) -> Self {
        Self {
            tokens: Arc::new(tokens.into_iter().collect()),
            asked: Arc::default(),
            invalidated: Arc::default(),
        }
    }

    pub(crate) fn asked(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }

    pub(crate) fn invalidated(&self) -> usize {
        self.invalidated.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TokenProvider for RecordingTokens {
    async fn token(&self) -> Result<Token, Error> {
        let n = self.asked.fetch_add(1, Ordering::SeqCst);
        Ok(self.tokens[n.min(self.tokens.len() - 1)].clone())
    }

    async fn invalidate(&self, _rejected: &Token) {
        self.invalidated.fetch_add(1, Ordering::SeqCst);
    }
}

/// A reader that gives one 64 KiB chunk, signals it, then never gives more.
pub(crate) struct SlowReader {
    left: usize,
    sent_first: bool,
    first: Arc<Notify>,
}

impl SlowReader {
    pub(crate) fn new(len: usize) -> (Self, Arc<Notify>) {
        let first = Arc::new(Notify::new());
        let reader = Self {
            left: len,
            sent_first: false,
            first: first.clone(),
        };
        (reader, first)
    }
}

impl AsyncRead for SlowReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.sent_first {
            return Poll::Pending;
        }
        let n = buf.remaining().min(64 * 1024).min(self.left);
        buf.put_slice(&vec![1u8; n]);
        self.left -= n;
        self.sent_first = true;
        self.first.notify_one();
        Poll::Ready(Ok(()))
    }
}

/// Log lines captured from `tracing` on the current thread.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<Mutex<Vec<u8>>>);

pub(crate) fn capture_logs() -> Logs {
    Logs::default()
}

impl Logs {
    /// Routes this thread's logs here until the guard drops.
    pub(crate) fn install(&self) -> tracing::subscriber::DefaultGuard {
        let sink = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
