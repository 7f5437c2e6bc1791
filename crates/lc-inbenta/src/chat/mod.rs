//! [`Chat`]: one chat of the logged-in user (the JS Chat object).

mod events;
mod options;
mod send;
mod state;

pub use events::{ChatEvent, ChatItem};
pub use options::{ChatOptions, DEFAULT_SOURCE};
pub use send::{DEFAULT_RESOLVE_WITHIN, Resolution, SendMessage, SentMessage};

use crate::client::UserClient;
use events::ChatEvents;
use lc_protocol::inbenta::{
    ChatsAssign, ChatsClose, ChatsCloseResponse, ChatsCreate, ChatsGet, HistoryEntry,
    HistoryImport, InbentaActivityType, InbentaAgent, InbentaChat, InbentaMedia, InbentaUser,
    MessagesRead, MessagesReadResponse, MessagesSend, UsersActivity, UsersActivityResponse,
};
use lc_protocol::{Error, EventStream};
use lc_web::Upload;
use options::Target;
use serde::Deserialize;
use serde_json::{Map, Value};
use state::ChatState;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// One chat of the logged-in user: the JS Chat object (`init`, `searchAgent`,
/// `sendUserActivity`, `sendMessage`, `readMessage`, `sendMedia`, `close`,
/// `hasOtherUsers`, `getId`, `importHistory`) and its events as a typed stream.
///
/// A background task follows the connection's pushes for this chat from the moment
/// [`init`](Chat::init) starts, so that [`users`](Chat::users),
/// [`has_other_users`](Chat::has_other_users) and [`is_closed`](Chat::is_closed) stay
/// current and no event is lost: the first call to [`events`](Chat::events) gets every
/// event since `init`, later calls the events from then on. Cloning gives another
/// handle to the same chat; the task ends with the last handle.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use lc_inbenta::{Chat, ChatEvent, ChatOptions, UserClient};
/// use lc_protocol::inbenta::InbentaActivityType;
///
/// # async fn demo(client: UserClient) -> Result<(), lc_protocol::Error> {
/// let chat = Chat::init(&client, ChatOptions::new("1").lang("en").assign_max_attempts(3)).await?;
/// let mut events = chat.events();
/// match chat.search_agent().await? {
///     Some(agent) => println!("{:?} joins", agent.name),
///     None => return chat.close().await.map(drop), // forever alone
/// }
/// chat.send_user_activity(InbentaActivityType::Writing).await?;
/// let sending = chat.send_message("Hello!");
/// println!("sending {}", sending.event_id());
/// sending.await?;
/// while let Some(item) = events.next().await {
///     match item.event {
///         ChatEvent::MessageReceived(m) => {
///             chat.read_message(&m.message.id).await?;
///             println!("{:?}", m.message.message);
///         }
///         ChatEvent::ChatClosed(_) => break,
///         _ => {}
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Chat {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: UserClient,
    id: String,
    me: String,
    options: ChatOptions,
    state: Arc<ChatState>,
    /// Whether `events()` was called yet (the first call replays from `init`).
    first_events: Mutex<bool>,
    follower: JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

impl Chat {
    /// Creates a chat (`chats:create` in the options' room) or loads one by id
    /// (`chats:get`), as the logged-in user: the JS Chat object's `init(options, config,
    /// historyWatch)`. It does not look for an agent: call
    /// [`search_agent`](Chat::search_agent).
    /// (JS: Inbenta chat `init`.)
    ///
    /// # Errors
    /// [`Error::Api`], e.g.
    /// 409 `User already has a chat`, 404 for an unknown id.
    pub async fn init(client: &UserClient, options: ChatOptions) -> Result<Chat, Error> {
        let me = client.user().id.clone();
        let state = ChatState::new();
        let (id_sender, id_receiver) = oneshot::channel();
        // Subscribed before sending, so pushes the request triggers are kept.
        let follower = tokio::spawn(state::follow(
            client.transport().subscribe(),
            id_receiver,
            state.clone(),
            client.clone(),
            me.clone(),
        ));
        let chat = match &options.target {
            Target::Create { room } => {
                let mut request =
                    ChatsCreate::new(room.clone(), options.source.clone(), me.clone());
                request.lang = options.lang.clone();
                request.external_id = options.external_id.clone();
                request.history = options.history.clone();
                client
                    .call(request)
                    .await
                    .map(|reply| (reply.chat, Vec::new()))
            }
            Target::Load { id } => {
                // The messages already there are not events of this handle; a catch-up
                // and a send's lookup must know them.
                let request = ChatsGet::new(id.clone()).fields(options.fields(false));
                match client.call(request).await {
                    Ok(reply) => state::stored_messages(client, id)
                        .await
                        .map(|before| (reply.chat, before)),
                    Err(error) => Err(error),
                }
            }
        };
        let chat = match chat {
            Ok(chat) => chat,
            Err(error) => {
                follower.abort();
                return Err(error);
            }
        };
        let (chat, before) = chat;
        let id = chat.id.clone();
        state.set_data(chat, before);
        let _ = id_sender.send(id.clone());
        Ok(Chat {
            inner: Arc::new(Inner {
                client: client.clone(),
                id,
                me,
                options,
                state,
                first_events: Mutex::new(true),
                follower,
            }),
        })
    }

    /// The chat id (JS `getId`).
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The chat's data as last known: from `init`, updated by its events.
    pub fn data(&self) -> InbentaChat {
        self.inner.state.data().clone()
    }

    /// The users in the chat, as last known.
    pub fn users(&self) -> Vec<InbentaUser> {
        self.inner.state.data().users.clone().unwrap_or_default()
    }

    /// Whether anyone besides the logged-in user is in the chat (JS
    /// `hasOtherUsers`).
    pub fn has_other_users(&self) -> bool {
        let data = self.inner.state.data();
        data.users
            .iter()
            .flatten()
            .any(|user| user.id != self.inner.me)
    }

    /// Whether the chat was closed (by anyone), as last known.
    pub fn is_closed(&self) -> bool {
        let data = self.inner.state.data();
        data.closed == Some(true) || data.status.as_deref() == Some("closed")
    }

    /// The client the chat belongs to.
    pub fn client(&self) -> &UserClient {
        &self.inner.client
    }

    /// The chat's events, typed, in order and each once (JS `chat.on(...)`).
    /// The first call gets every event since [`init`](Chat::init) began; later calls
    /// get the events from then on.
    ///
    /// After the connection comes back, the chat asks the server what happened
    /// meanwhile (messages with `GET /v1/chats/{id}/messages`, users and status with
    /// `chats:get`) and delivers what it missed before the events that follow, marked
    /// [`recovered`](ChatItem::recovered): messages by id, each once, oldest first, then
    /// who joined and left, then the close. The chat keeps every delivered item in
    /// memory while a handle lives, for [`EventStream::catch_up`]: a stream read too
    /// slowly gets [`ChatEvent::Missed`], and its catch-up returns what it missed, in
    /// order and marked recovered.
    pub fn events(&self) -> EventStream<ChatItem> {
        let first = std::mem::take(
            &mut *self
                .inner
                .first_events
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let (receiver, next) = self.inner.state.subscribe();
        let from = if first { 0 } else { next };
        EventStream::new(ChatEvents::new(
            receiver,
            self.inner.state.log.clone(),
            from,
            next,
        ))
    }

    /// Catches up with the server now, as after a reconnection (see
    /// [`events`](Chat::events)): delivers what the chat's streams missed, marked
    /// recovered, and returns how many items that was. No JS counterpart.
    ///
    /// # Errors
    /// The errors of `GET /v1/chats/{id}/messages` and `chats:get`.
    pub async fn recover(&self) -> Result<usize, Error> {
        let inner = &self.inner;
        inner
            .state
            .recover(&inner.client, &inner.id, &inner.me)
            .await
    }

    /// Looks for an agent (`chats:assign` with the options' attempts and timeout), the
    /// JS `searchAgent()`. Resolves when the search ends: with the agent, who joins
    /// the chat (`user:joined`), or `None` when no agent took it (`forever:alone`).
    /// (JS: Inbenta chat `searchAgent`.)
    ///
    /// In queue mode (see [`UserClient::queue_mode`]) a chat that waits in the queue gets
    /// `None` at once: its position comes as [`ChatEvent::QueueUpdate`] and the agent,
    /// when one is free, as [`ChatEvent::UserJoined`].
    ///
    /// # Errors
    /// [`Error::Api`]; [`Error::Timeout`] after [`ChatOptions::search_timeout`].
    pub async fn search_agent(&self) -> Result<Option<InbentaAgent>, Error> {
        self.assign(None).await
    }

    /// [`search_agent`](Chat::search_agent) with a named selection algorithm (the
    /// JS `searchAgent(algorithm)`).
    ///
    /// # Errors
    /// As [`search_agent`](Chat::search_agent).
    pub async fn search_agent_with(
        &self,
        algorithm: impl Into<String>,
    ) -> Result<Option<InbentaAgent>, Error> {
        self.assign(Some(algorithm.into())).await
    }

    async fn assign(&self, algorithm: Option<String>) -> Result<Option<InbentaAgent>, Error> {
        let options = &self.inner.options;
        let mut request = ChatsAssign::new(self.id());
        request.algorithm = algorithm;
        request.max_attempts = options.assign_max_attempts;
        request.interval = options.assign_timeout;
        let reply = self
            .inner
            .client
            .call(request)
            .timeout(options.search_timeout())
            .await?;
        if let Some(agent) = &reply.agent {
            // Known now, whether or not the `user:joined` push was handled yet.
            self.inner.state.add_user(&InbentaUser {
                id: agent.id.clone(),
                name: agent.name.clone(),
                nickname: agent.nickname.clone(),
                provider_id: agent.provider_id.clone(),
                ..InbentaUser::default()
            });
        }
        Ok(reply.agent)
    }

    /// Tells the chat that the user is writing, stopped writing or is not writing
    /// (`users:activity`), JS `sendUserActivity(type)`.
    /// (JS: Inbenta chat `sendUserActivity`.)
    ///
    /// # Errors
    /// [`Error::Api`], or the transport's errors.
    pub async fn send_user_activity(
        &self,
        kind: InbentaActivityType,
    ) -> Result<UsersActivityResponse, Error> {
        let request = UsersActivity::new(self.id(), self.inner.me.clone(), kind);
        self.inner.client.call(request).await
    }

    /// A text message to send (`messages:send`), JS `sendMessage(text,
    /// onCreate)`: its event id is known at once (what `onCreate` gets), and awaiting
    /// the [`SendMessage`] sends it and resolves to the server's answer, exactly once:
    /// when the outcome is unknown (connection lost, timeout, server error), it looks
    /// the message up in the chat and sends it again only if it is not there (see
    /// [`SendMessage`]).
    /// (JS: Inbenta chat `sendMessage`.)
    pub fn send_message(&self, text: impl Into<String>) -> SendMessage {
        let request =
            MessagesSend::new(self.id(), send::new_event_id(), text).sender(self.inner.me.clone());
        SendMessage::new(
            self.inner.client.clone(),
            self.inner.state.clone(),
            request,
            self.inner.options.resolve_within,
        )
    }

    /// Marks message `message_id` as read by the user (`messages:read`), JS
    /// `readMessage(messageId)`.
    /// (JS: Inbenta chat `readMessage`.)
    ///
    /// # Errors
    /// [`Error::Api`] (404 for an unknown message), or the transport's errors.
    pub async fn read_message(&self, message_id: &str) -> Result<MessagesReadResponse, Error> {
        let request = MessagesRead::new(message_id, self.inner.me.clone());
        self.inner.client.call(request).await
    }

    /// Uploads a file into the chat (`POST /v1/media`, part `media`, fields `chatId`
    /// and `senderId`), JS `sendMedia(file, onProgress)`: set the progress
    /// callback with [`Upload::on_progress`] (and cancellation with
    /// [`Upload::cancel_on`]). The other side gets it as a `media` message.
    /// (JS: Inbenta chat `sendMedia`.)
    ///
    /// Unlike [`send_message`](Chat::send_message), an upload whose outcome is unknown
    /// ([`Error::applied`](lc_protocol::Error::applied) is `Unknown`) is not resolved
    /// here: the upload carries no client-made id, so look for a media message of the
    /// user with the file's name and size (e.g. in the chat's recovered events) before
    /// uploading again.
    ///
    /// # Errors
    /// [`Error::Api`] (e.g. 403 `File type is not allowed`), [`Error::Cancelled`], or
    /// the engine's errors.
    pub async fn send_media(&self, upload: Upload) -> Result<InbentaMedia, Error> {
        #[derive(Deserialize)]
        struct Uploaded {
            media: InbentaMedia,
        }
        let upload = upload
            .part_name("media")
            .field("chatId", self.id())
            .field("senderId", self.inner.me.clone());
        let uploaded: Uploaded = self.inner.client.rest().upload("media", upload).await?;
        Ok(uploaded.media)
    }

    /// Closes the chat (`chats:close`), JS `close()`.
    /// (JS: Inbenta chat `close`.)
    ///
    /// # Errors
    /// [`Error::Api`], or the transport's errors.
    pub async fn close(&self) -> Result<ChatsCloseResponse, Error> {
        self.close_with(None).await
    }

    /// Closes the chat with data attached (JS `close(extraData)`).
    ///
    /// # Errors
    /// As [`close`](Chat::close).
    pub async fn close_with(
        &self,
        extra_data: Option<Map<String, Value>>,
    ) -> Result<ChatsCloseResponse, Error> {
        let mut request = ChatsClose::new(self.id(), self.inner.me.clone());
        request.extra_data = extra_data;
        let reply = self.inner.client.call(request).await?;
        self.inner.state.mark_closed();
        Ok(reply)
    }

    /// Leaves the chat (`PUT /v1/chats/{id}/leave` with the user's id), e.g. an agent
    /// handing a chat back. The members who stay get [`ChatEvent::UserLeft`]; this
    /// handle drops the user from [`users`](Chat::users) at once, and the user gets no
    /// more events of the chat.
    ///
    /// # Errors
    /// [`Error::Api`] (403 when not a member, 400 for a closed chat), or the engine's
    /// errors.
    pub async fn leave(&self) -> Result<(), Error> {
        let path = format!("chats/{}/leave", lc_protocol::percent::encode(self.id()));
        let body = serde_json::json!({ "userId": self.inner.me });
        self.inner
            .client
            .rest()
            .send(http::Method::PUT, &path, Some(&body))
            .await?;
        self.inner.state.remove_user(&self.inner.me);
        Ok(())
    }

    /// Imports external history (e.g. a chatbot conversation) into the chat
    /// (`history:import`), JS `importHistory(history)`; returns the full history.
    /// (JS: Inbenta chat `importHistory`.)
    ///
    /// # Errors
    /// [`Error::Api`], or the transport's errors.
    pub async fn import_history(
        &self,
        history: Vec<HistoryEntry>,
    ) -> Result<Vec<HistoryEntry>, Error> {
        let request = HistoryImport::new(self.id(), history);
        let reply = self.inner.client.call(request).await?;
        Ok(reply.history.unwrap_or_default())
    }

    /// The chat's history as the server has it (`chats:get` with `history`).
    ///
    /// # Errors
    /// [`Error::Api`], or the transport's errors.
    pub async fn history(&self) -> Result<Vec<HistoryEntry>, Error> {
        let request = ChatsGet::new(self.id()).fields(self.inner.options.fields(true));
        let reply = self.inner.client.call(request).await?;
        Ok(reply.chat.history.unwrap_or_default())
    }
}
