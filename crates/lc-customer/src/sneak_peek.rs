//! Sneak peeks: what the customer is typing, sent to the agents at most once per interval
//! and chat (a throttle with leading and trailing sends: the first text goes at once, the
//! last text of an interval at its end), and only while the chat is active.

use crate::connection::CustomerConnection;
use crate::shared::Shared;
use lc_protocol::customer;
use lc_protocol::id::ChatId;
use lc_protocol::{Error, Transport};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::{Instant, sleep_until};

/// The handle `set_sneak_peek` writes to. The throttle task starts with the first text:
/// most clients never send one, and an idle task with its channel costs about 2.8 KiB
/// per client.
pub(crate) struct SneakPeeks {
    interval: Duration,
    /// The runtime the client was made in: texts may be set from outside it.
    runtime: Handle,
    started: OnceLock<Started>,
}

/// The running throttle.
struct Started {
    sender: mpsc::UnboundedSender<(ChatId, String)>,
    task: AbortHandle,
}

impl SneakPeeks {
    /// The handle, its task not started yet; must be called within a tokio runtime.
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval,
            runtime: Handle::current(),
            started: OnceLock::new(),
        }
    }

    /// Sets the text of `chat`; the throttle decides when it goes. Nothing once the
    /// client is destroyed.
    pub(crate) fn set<T: CustomerConnection>(
        &self,
        transport: &T,
        shared: &Arc<Shared>,
        chat: ChatId,
        text: String,
    ) {
        if shared.is_destroyed() {
            return;
        }
        let started = self.started.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            let run = run(transport.clone(), shared.clone(), self.interval, receiver);
            let task = self.runtime.spawn(run).abort_handle();
            Started { sender, task }
        });
        if shared.is_destroyed() {
            // Destroyed while the task started: `stop` may have missed it.
            started.task.abort();
            return;
        }
        // The task is gone only once the client is destroyed: nothing to send then.
        let _ = started.sender.send((chat, text));
    }

    /// Stops the task, if it started; pending texts are dropped.
    pub(crate) fn stop(&self) {
        if let Some(started) = self.started.get() {
            started.task.abort();
        }
    }
}

/// The throttle state of one chat.
struct Slot {
    /// When the next text may go.
    next: Instant,
    /// The latest text not sent yet.
    pending: Option<String>,
}

async fn run<T: CustomerConnection>(
    transport: T,
    shared: Arc<Shared>,
    interval: Duration,
    mut texts: mpsc::UnboundedReceiver<(ChatId, String)>,
) {
    let mut slots: HashMap<ChatId, Slot> = HashMap::new();
    loop {
        let due = slots
            .values()
            .filter(|slot| slot.pending.is_some())
            .map(|slot| slot.next)
            .min();
        tokio::select! {
            text = texts.recv() => {
                let Some((chat, text)) = text else { return };
                let now = Instant::now();
                let slot = slots.entry(chat.clone()).or_insert(Slot { next: now, pending: None });
                if now >= slot.next {
                    slot.next = now + interval;
                    slot.pending = None;
                    send(&transport, &shared, chat, text).await;
                } else {
                    slot.pending = Some(text);
                }
            }
            () = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                let now = Instant::now();
                let ready: Vec<(ChatId, String)> = slots
                    .iter_mut()
                    .filter(|(_, slot)| slot.next <= now)
                    .filter_map(|(chat, slot)| {
                        let text = slot.pending.take()?;
                        slot.next = now + interval;
                        Some((chat.clone(), text))
                    })
                    .collect();
                for (chat, text) in ready {
                    send(&transport, &shared, chat, text).await;
                }
                slots.retain(|_, slot| slot.pending.is_some() || slot.next > now);
            }
        }
    }
}

/// Sends one sneak peek if the chat is active; failures are only logged (nobody awaits).
async fn send<T: Transport>(transport: &T, shared: &Shared, chat: ChatId, text: String) {
    match is_active(transport, shared, &chat).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::debug!(%chat, "sneak peek not sent: the chat is not active");
            return;
        }
        Err(err) => {
            tracing::warn!(%chat, %err, "sneak peek not sent: the chat's state is unknown");
            return;
        }
    }
    let request = customer::SendSneakPeek::new(chat.clone(), text);
    if let Err(err) = transport.call(&request).await {
        tracing::warn!(%chat, %err, "sneak peek failed");
    }
}

/// Whether `chat` is active: known from pushes, or asked once with `get_chat`.
async fn is_active<T: Transport>(
    transport: &T,
    shared: &Shared,
    chat: &ChatId,
) -> Result<bool, Error> {
    if let Some(active) = shared.chat_active(chat) {
        return Ok(active);
    }
    let response = transport
        .call(&customer::GetChat::new(chat.clone()))
        .await?;
    let active = response.thread.is_some_and(|t| t.active);
    shared.set_chat_active(chat.clone(), active);
    Ok(active)
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use futures_util::StreamExt;
    use futures_util::stream::BoxStream;
    use lc_protocol::customer::CustomerPush;
    use lc_protocol::{Api, ApiVersion, RawRequest, TransportKind};
    use lc_rtm::RtmEvent;
    use serde_json::value::RawValue;
    use serde_json::{Value, json};
    use std::sync::Mutex;

    /// A transport that answers `get_chat` from a table of active chats and records the
    /// sneak peeks it is asked to send, with the (paused) time they were sent at.
    #[derive(Clone, Default)]
    struct Recorder {
        active: Arc<HashMap<String, bool>>,
        sent: Arc<Mutex<Vec<(String, String, Duration)>>>,
        lookups: Arc<Mutex<Vec<String>>>,
        start: Option<Instant>,
    }

    #[async_trait]
    impl Transport for Recorder {
        fn api(&self) -> Api {
            Api::Customer
        }
        fn kind(&self) -> TransportKind {
            TransportKind::Rtm
        }
        fn version(&self) -> ApiVersion {
            ApiVersion::default()
        }
        async fn send_raw(&self, request: RawRequest) -> Result<Box<RawValue>, Error> {
            let payload: Value = serde_json::from_str(request.payload.get()).unwrap_or_default();
            let answer = match request.action.as_str() {
                "get_chat" => {
                    let chat = payload["chat_id"].as_str().unwrap_or_default().to_owned();
                    let active = self.active.get(&chat).copied().unwrap_or(false);
                    self.lookups
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(chat.clone());
                    json!({"id": chat, "users": [], "thread": {
                        "id": "T1", "active": active, "user_ids": [], "created_at": "2024-01-01T00:00:00.000000Z"
                    }})
                }
                _ => {
                    let at = self.start.map(|s| s.elapsed()).unwrap_or_default();
                    self.sent.lock().unwrap_or_else(|e| e.into_inner()).push((
                        payload["chat_id"].as_str().unwrap_or_default().to_owned(),
                        payload["sneak_peek_text"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        at,
                    ));
                    json!({})
                }
            };
            Ok(serde_json::value::to_raw_value(&answer)
                .unwrap_or_else(|_| lc_protocol::wire::empty_object()))
        }
    }

    impl CustomerConnection for Recorder {
        fn events(&self) -> BoxStream<'static, RtmEvent<CustomerPush>> {
            futures_util::stream::empty().boxed()
        }
        fn close(&self) {}
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_text_goes_at_once_the_last_at_the_end_of_the_interval() {
        let recorder = Recorder {
            active: Arc::new(HashMap::from([
                ("A".to_owned(), true),
                ("B".to_owned(), false),
            ])),
            start: Some(Instant::now()),
            ..Recorder::default()
        };
        let reader = Arc::new(crate::recovery::Reader(recorder.clone()));
        let shared = Arc::new(Shared::new(None, reader));
        let peeks = SneakPeeks::new(Duration::from_secs(2));
        let set = |chat: &str, text: String| peeks.set(&recorder, &shared, ChatId::new(chat), text);
        for n in 0..10 {
            set("A", format!("a{n}"));
            set("B", format!("b{n}"));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        set("A", "later".to_owned());
        tokio::time::sleep(Duration::from_millis(10)).await;

        let sent = recorder
            .sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let texts: Vec<_> = sent.iter().map(|(c, t, _)| format!("{c}:{t}")).collect();
        assert_eq!(
            texts,
            ["A:a0", "A:a9", "A:later"],
            "B is inactive: nothing sent"
        );
        assert_eq!(sent[0].2, Duration::ZERO);
        assert_eq!(sent[1].2, Duration::from_secs(2));
        // Each chat's state was asked once, then known.
        let lookups = recorder
            .lookups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        assert_eq!(lookups, ["A", "B"]);

        // Once the chat is known to be inactive, nothing goes; destroy stops the task.
        shared.set_chat_active(ChatId::new("A"), false);
        tokio::time::sleep(Duration::from_secs(3)).await;
        set("A", "closed".to_owned());
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(
            recorder
                .sent
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .len(),
            3
        );
        peeks.stop();
        tokio::task::yield_now().await;
        set("A", "after".to_owned()); // no task: ignored, no panic
    }

    #[tokio::test(start_paused = true)]
    async fn destroy_stops_the_throttle_and_drops_pending_texts() {
        let recorder = Recorder {
            active: Arc::new(HashMap::from([("A".to_owned(), true)])),
            start: Some(Instant::now()),
            ..Recorder::default()
        };
        let client = crate::CustomerClient::new(recorder.clone());
        client.set_sneak_peek("A", "first");
        tokio::time::sleep(Duration::from_millis(10)).await;
        client.set_sneak_peek("A", "pending");
        tokio::time::sleep(Duration::from_millis(10)).await;
        client.destroy();
        tokio::time::sleep(Duration::from_secs(5)).await;
        client.set_sneak_peek("A", "after");
        tokio::time::sleep(Duration::from_secs(5)).await;
        let sent = recorder
            .sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let texts: Vec<_> = sent.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(texts, ["first"]);
    }
}
