//! Catching up after a reconnection: the agent's push hub and its [`Pushes`] streams.
//!
//! One task per RTM client reads the engine's items, drops pushes it delivered already
//! and, after every reconnection (or when it fell behind), reads the agent's chats
//! (`list_chats`, `get_chat`) and delivers what happened meanwhile as
//! [`RtmEvent::Recovered`] items before the newer pushes.

use futures_util::{Stream, StreamExt};
use lc_protocol::agent::push::{
    ChatDeactivated, IncomingChat, IncomingEvent, UserAddedToChat, UserRemovedFromChat,
};
use lc_protocol::agent::{self, AgentPush};
use lc_protocol::recovery::{ChatLedger, Missed};
use lc_protocol::types::Chat;
use lc_protocol::{Error, Transport};
use lc_rtm::{AgentSession, PushStream, RtmClient, RtmEvent};
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
    let mut started = false;
    let mut behind = false;
    let emit = |event| {
        // No subscriber is fine.
        let _ = sender.send(event);
    };
    while let Some(item) = engine.next().await {
        match item {
            RtmEvent::LoggedIn { response } => {
                if let Ok(login) = serde_json::from_str::<agent::LoginResponse>(response.get()) {
                    let _ = me.set(login.my_profile.id.to_string());
                }
                emit(RtmEvent::LoggedIn { response });
            }
            RtmEvent::Connected => {
                emit(RtmEvent::Connected);
                if !started {
                    // What is there at the start is not news after a reconnection.
                    started = baseline(&rtm, me.get().map(String::as_str), &mut ledger)
                        .await
                        .is_ok();
                } else if behind {
                    behind = catch_up(&rtm, me.get().map(String::as_str), &mut ledger, &emit)
                        .await
                        .is_err();
                }
            }
            RtmEvent::Disconnected { reason } => {
                behind = true;
                emit(RtmEvent::Disconnected { reason });
            }
            RtmEvent::Missed(count) => {
                // The hub itself fell behind: what it missed is read from the server.
                tracing::warn!(count, "agent push hub fell behind; catching up");
                behind = catch_up(&rtm, me.get().map(String::as_str), &mut ledger, &emit)
                    .await
                    .is_err();
            }
            RtmEvent::Push { push, request_id } => {
                if record(&mut ledger, &push) {
                    emit(RtmEvent::Push { push, request_id });
                } else {
                    tracing::debug!(push = push_name(&push), "duplicate push dropped");
                }
            }
            other => emit(other),
        }
    }
}

fn push_name(push: &AgentPush) -> &str {
    lc_protocol::PushSet::name(push)
}

/// Records what `push` delivers; false if it was delivered already.
fn record(ledger: &mut ChatLedger, push: &AgentPush) -> bool {
    match push {
        AgentPush::IncomingChat(p) => ledger.chat(&p.chat),
        AgentPush::IncomingEvent(p) => ledger.event(&p.chat_id, &p.thread_id, &p.event),
        AgentPush::ChatDeactivated(p) => ledger.deactivated(&p.chat_id, &p.thread_id),
        AgentPush::UserAddedToChat(p) => {
            ledger.user_added(&p.chat_id, &p.user);
            true
        }
        AgentPush::UserRemovedFromChat(p) => {
            ledger.user_removed(&p.chat_id, &p.user_id);
            true
        }
        _ => true,
    }
}

/// Records the agent's chats as they are when the client starts.
async fn baseline(rtm: &Rtm, me: Option<&str>, ledger: &mut ChatLedger) -> Result<(), Error> {
    for chat in my_chats(rtm, me, ledger).await? {
        ledger.baseline(&chat);
    }
    Ok(())
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
                push: to_push(missed),
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
        let mut request = agent::ListChats::new().limit(PAGE);
        request.page_id = page_id;
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
        let chat = rtm.call(&agent::GetChat::new(summary.id.clone())).await?;
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

/// The push that would have told `missed`.
fn to_push(missed: Missed) -> AgentPush {
    match missed {
        Missed::Chat(chat) => AgentPush::IncomingChat(IncomingChat {
            chat,
            ..IncomingChat::default()
        }),
        Missed::Event {
            chat_id,
            thread_id,
            event,
        } => AgentPush::IncomingEvent(IncomingEvent {
            chat_id,
            thread_id,
            event,
            extra: Default::default(),
        }),
        Missed::UserAdded {
            chat_id,
            thread_id,
            user,
        } => AgentPush::UserAddedToChat(UserAddedToChat {
            chat_id,
            thread_id,
            user,
            reason: "recovered".to_owned(),
            requester_id: None,
            extra: Default::default(),
        }),
        Missed::UserRemoved {
            chat_id,
            thread_id,
            user_id,
        } => AgentPush::UserRemovedFromChat(UserRemovedFromChat {
            chat_id,
            thread_id,
            user_id,
            reason: "recovered".to_owned(),
            ..UserRemovedFromChat::default()
        }),
        Missed::Deactivated { chat_id, thread_id } => AgentPush::ChatDeactivated(ChatDeactivated {
            chat_id,
            thread_id,
            ..ChatDeactivated::default()
        }),
    }
}

/// The pushes and lifecycle items of one subscriber (see
/// [`AgentClient::pushes`](crate::AgentClient::pushes)): live pushes, each once, and
/// after a reconnection the [`RtmEvent::Recovered`] ones.
///
/// A subscriber that reads too slowly gets [`RtmEvent::Missed`]; it can then call
/// [`catch_up`](Pushes::catch_up) to get what it missed of its chats.
pub struct Pushes {
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
    /// the stream then counts them as given. Call it after [`RtmEvent::Missed`].
    ///
    /// # Errors
    /// The errors of `list_chats` and `get_chat`.
    pub async fn catch_up(&mut self) -> Result<Vec<RtmEvent<AgentPush>>, Error> {
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

impl Stream for Pushes {
    type Item = RtmEvent<AgentPush>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        Pin::new(&mut this.inner).poll_next(cx).map(|item| {
            item.map(|result| match result {
                Ok(event) => {
                    if let RtmEvent::Push { push, .. } | RtmEvent::Recovered { push } = &event {
                        record(&mut this.ledger, push);
                    }
                    event
                }
                Err(BroadcastStreamRecvError::Lagged(missed)) => RtmEvent::Missed(missed),
            })
        })
    }
}
