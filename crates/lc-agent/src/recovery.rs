//! Catching up after a reconnection: the agent's push hub and the sources of its event
//! streams ([`Pushes`]).
//!
//! One task per RTM client reads the engine's items, drops pushes it delivered already
//! and, after every reconnection (or when it fell behind), reads the agent's chats
//! (`list_chats`, `get_chat`) and delivers what happened meanwhile as
//! [`RtmEvent::Recovered`] items before the newer pushes.

use futures_util::{Stream, StreamExt};
use lc_protocol::agent::{self, AgentPush};
use lc_protocol::id::{ChatId, EventId};
use lc_protocol::listen::{CatchUp, EventSource};
use lc_protocol::recovery::{CATCH_UP_RETRY, ChatLedger, LedgerPush, chat_gone};
use lc_protocol::types::Chat;
use lc_protocol::{Error, PushSet, Transport};
use lc_rtm::{AgentSession, PushStream, RtmClient, RtmEvent};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use tokio::sync::broadcast;
use tokio::task::AbortHandle;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

type Rtm = RtmClient<AgentSession>;

/// Chats read per `list_chats` page, and pages read at most, when catching up.
const PAGE: u32 = 100;
const MAX_PAGES: usize = 20;

/// The push hub of one RTM client: shared by the client's handles.
#[derive(Debug)]
pub(crate) struct Hub {
    sender: broadcast::Sender<RtmEvent<AgentPush>>,
    /// The agent's id, from the login response.
    me: Arc<OnceLock<String>>,
    task: AbortHandle,
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Hub {
    /// Starts the hub of `rtm`; it subscribes at once, so nothing is missed.
    pub(crate) fn start(rtm: &Rtm, buffer: usize) -> Arc<Self> {
        let (sender, _) = broadcast::channel(buffer.max(1));
        let engine = rtm.subscribe();
        let me = Arc::new(OnceLock::new());
        let task = tokio::spawn(run(rtm.clone(), engine, sender.clone(), me.clone()));
        Arc::new(Self {
            sender,
            me,
            task: task.abort_handle(),
        })
    }

    /// A stream of every item from now on.
    pub(crate) fn subscribe(&self, rtm: &Rtm) -> Pushes {
        Pushes {
            inner: BroadcastStream::new(self.sender.subscribe()),
            rtm: rtm.clone(),
            me: self.me.clone(),
            ledger: ChatLedger::new(),
        }
    }
}

/// Runs until the engine's stream ends.
async fn run(
    rtm: Rtm,
    mut engine: PushStream<AgentPush>,
    sender: broadcast::Sender<RtmEvent<AgentPush>>,
    me: Arc<OnceLock<String>>,
) {
    let mut ledger = ChatLedger::new();
    let mut at_login = HashMap::new();
    let mut started = false;
    let mut behind = false;
    let mut connected = false;
    let mut failures = 0u32;
    let emit = |event| {
        // No subscriber is fine.
        let _ = sender.send(event);
    };
    loop {
        // A catch-up that failed while connected is tried again after a pause, without
        // waiting for another reconnection.
        let item = if behind && connected {
            let pause = CATCH_UP_RETRY.delay(failures, 1.0);
            match tokio::time::timeout(pause, engine.next()).await {
                Ok(item) => item,
                Err(_) => {
                    let me = me.get().map(String::as_str);
                    behind = catch_up(&rtm, me, &mut ledger, &emit).await.is_err();
                    failures = if behind {
                        failures.saturating_add(1)
                    } else {
                        0
                    };
                    continue;
                }
            }
        } else {
            engine.next().await
        };
        let Some(item) = item else { break };
        match item {
            RtmEvent::LoggedIn { response } => {
                if let Ok(login) = serde_json::from_str::<agent::LoginResponse>(response.get()) {
                    let _ = me.set(login.my_profile.id.to_string());
                    if !started {
                        at_login = latest_events(&login.chats_summary);
                    }
                }
                emit(RtmEvent::LoggedIn { response });
            }
            RtmEvent::Connected => {
                connected = true;
                emit(RtmEvent::Connected);
                let me = me.get().map(String::as_str);
                if !started {
                    // What is there at the start is not news after a reconnection.
                    // If that fails, the next catch-up takes everything as missed.
                    started = true;
                    behind = baseline(&rtm, me, &at_login, &mut ledger).await.is_err();
                    at_login.clear();
                } else if behind {
                    behind = catch_up(&rtm, me, &mut ledger, &emit).await.is_err();
                }
                failures = u32::from(behind);
            }
            RtmEvent::Disconnected { reason } => {
                connected = false;
                behind = true;
                emit(RtmEvent::Disconnected { reason });
            }
            RtmEvent::Missed(count) => {
                // The hub itself fell behind: what it missed is read from the server.
                tracing::warn!(count, "agent push hub fell behind; catching up");
                let me = me.get().map(String::as_str);
                behind = catch_up(&rtm, me, &mut ledger, &emit).await.is_err();
            }
            RtmEvent::Push { push, request_id } => {
                if push.record(&mut ledger) {
                    emit(RtmEvent::Push { push, request_id });
                } else {
                    tracing::debug!(push = PushSet::name(&push), "duplicate push dropped");
                }
            }
            other => emit(other),
        }
    }
}

/// Records the agent's chats as they are when the client starts; `at_login` holds each
/// chat's latest events as the first login response gave them.
async fn baseline(
    rtm: &Rtm,
    me: Option<&str>,
    at_login: &HashMap<ChatId, Vec<EventId>>,
    ledger: &mut ChatLedger,
) -> Result<(), Error> {
    for chat in my_chats(rtm, me, ledger).await? {
        let none = Vec::new();
        ledger.baseline(&chat, at_login.get(&chat.id).unwrap_or(&none));
    }
    Ok(())
}

/// Each chat's latest events (one per type) in a login response's summaries.
fn latest_events(summaries: &[lc_protocol::types::ChatSummary]) -> HashMap<ChatId, Vec<EventId>> {
    summaries
        .iter()
        .map(|summary| {
            let latest = summary.last_event_per_type.iter().flatten();
            let ids = latest.filter_map(|(_, entry)| entry.event.id().cloned());
            (summary.id.clone(), ids.collect())
        })
        .collect()
}

/// Reads the agent's chats and emits what `ledger` says was missed.
async fn catch_up(
    rtm: &Rtm,
    me: Option<&str>,
    ledger: &mut ChatLedger,
    emit: &impl Fn(RtmEvent<AgentPush>),
) -> Result<usize, Error> {
    let mut recovered = 0;
    for chat in my_chats(rtm, me, ledger).await? {
        for missed in ledger.catch_up(&chat) {
            emit(RtmEvent::Recovered {
                push: AgentPush::from_missed(missed, None),
            });
            recovered += 1;
        }
    }
    if recovered > 0 {
        tracing::info!(recovered, "pushes recovered after a reconnection");
    }
    Ok(recovered)
}

/// The latest state of the chats the agent is in, follows or knows.
async fn my_chats(rtm: &Rtm, me: Option<&str>, ledger: &ChatLedger) -> Result<Vec<Chat>, Error> {
    let mut summaries = Vec::new();
    let mut page_id = None;
    for _ in 0..MAX_PAGES {
        // The first page sets the size; later ones send only their `page_id`.
        let request = match page_id {
            None => agent::ListChats::new().limit(PAGE),
            Some(id) => agent::ListChats::new().page_id(id),
        };
        let page = rtm.call(&request).await?;
        summaries.extend(page.chats_summary);
        page_id = page.next_page_id;
        if page_id.is_none() {
            break;
        }
    }
    let mut chats = Vec::new();
    for summary in summaries {
        let mine = summary.is_followed == Some(true)
            || summary
                .users
                .iter()
                .any(|u| u.id().is_some() && u.id() == me)
            || ledger.knows(&summary.id);
        if !mine {
            continue;
        }
        let chat = match rtm.call(&agent::GetChat::new(summary.id.clone())).await {
            Ok(chat) => chat,
            // Gone or out of reach since it was listed: nothing to catch up on.
            Err(err) if chat_gone(&err) => continue,
            Err(err) => return Err(err),
        };
        chats.push(Chat {
            id: chat.id,
            users: chat.users,
            thread: chat.thread,
            properties: chat.properties,
            access: chat.access,
            is_followed: Some(chat.is_followed),
            ..Chat::default()
        });
    }
    Ok(chats)
}

/// The pushes and lifecycle items of one subscriber (the source of
/// [`AgentClient::events`](crate::AgentClient::events)): live pushes, each once, and
/// after a reconnection the [`RtmEvent::Recovered`] ones.
///
/// A subscriber that reads too slowly gets [`RtmEvent::Missed`]; it can then catch up
/// to get what it missed of its chats.
pub(crate) struct Pushes {
    inner: BroadcastStream<RtmEvent<AgentPush>>,
    rtm: Rtm,
    me: Arc<OnceLock<String>>,
    /// What this subscriber was given.
    ledger: ChatLedger,
}

impl std::fmt::Debug for Pushes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pushes").finish_non_exhaustive()
    }
}

impl Pushes {
    /// What this subscriber missed of its chats (new chats and threads, events, users,
    /// deactivations), read from the server, as [`RtmEvent::Recovered`] items in order;
    /// the stream then counts them as given.
    async fn recover(&mut self) -> Result<Vec<RtmEvent<AgentPush>>, Error> {
        let collected = Mutex::new(Vec::new());
        let emit = |event| {
            collected
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(event);
        };
        let me = self.me.get().map(String::as_str);
        catch_up(&self.rtm, me, &mut self.ledger, &emit).await?;
        Ok(collected
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner))
    }
}

impl EventSource<RtmEvent<AgentPush>> for Pushes {
    fn catch_up(&mut self) -> CatchUp<'_, RtmEvent<AgentPush>> {
        Box::pin(self.recover())
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<RtmEvent<AgentPush>>> {
        let this = self;
        Pin::new(&mut this.inner).poll_next(cx).map(|item| {
            item.map(|result| match result {
                Ok(event) => {
                    if let RtmEvent::Push { push, .. } | RtmEvent::Recovered { push } = &event {
                        push.record(&mut this.ledger);
                    }
                    event
                }
                Err(BroadcastStreamRecvError::Lagged(missed)) => RtmEvent::Missed(missed),
            })
        })
    }
}
