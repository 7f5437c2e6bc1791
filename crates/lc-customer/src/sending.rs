//! Sending: events of any type, postbacks, files (uploaded over Web, with progress and
//! cancellation), and sneak peeks.

use crate::call::Call;
use crate::client::CustomerClient;
use crate::connection::CustomerConnection;
use lc_protocol::SendOnce;
use lc_protocol::customer;
use lc_protocol::id::{ChatId, EventId, ThreadId};
use lc_protocol::types::{Event, FileEvent, Postback};
use lc_protocol::{Action, Error, TransportKind};
use lc_web::{CancellationToken, MAX_UPLOAD_BYTES, Upload};
use std::future::{Future, IntoFuture};
use std::pin::Pin;

/// A file sent with [`send_file`](CustomerClient::send_file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentFile {
    /// The file's URL.
    pub url: String,
    /// The `file` event that carries it.
    pub event_id: EventId,
}

impl<T: CustomerConnection> CustomerClient<T> {
    /// `send_event`: sends an event of any type (e.g. [`Event::message`]) to a chat;
    /// `.attach_to_last_thread(true)` on the call for an inactive chat.
    /// (JS: customer-sdk `sendEvent`.)
    ///
    /// The event is stored exactly once however the connection behaves: it carries a
    /// `custom_id` (made by the client unless you set one), and when the outcome is
    /// ambiguous (connection lost, timeout, server error) the client looks the event up
    /// once connected again and returns it if stored, or sends it again if not. An error
    /// says for certain that nothing was stored, unless it is [`Error::Unresolved`]
    /// (see [`SendOnce`]).
    pub fn send_event(
        &self,
        chat_id: impl Into<ChatId>,
        event: impl Into<Event>,
    ) -> SendOnce<'_, CustomerClient<T>, customer::SendEvent> {
        SendOnce::new(self, customer::SendEvent::new(chat_id, event))
    }

    /// customer-sdk `sendPostback`: a click on the rich message button `postback_id`,
    /// toggled on (set `postback.toggled = false` on the call to toggle it off).
    pub fn send_postback(
        &self,
        chat_id: impl Into<ChatId>,
        thread_id: impl Into<ThreadId>,
        event_id: impl Into<EventId>,
        postback_id: impl Into<String>,
    ) -> Call<'_, T, customer::SendRichMessagePostback> {
        let postback = Postback {
            id: postback_id.into(),
            toggled: true,
            ..Postback::default()
        };
        self.call(customer::SendRichMessagePostback::new(
            chat_id, thread_id, event_id, postback,
        ))
    }

    /// customer-sdk `sendFile`: uploads `file` (at most 10 MB, checked before anything is
    /// sent) over Web and sends it to the chat as a `file` event. Progress goes to
    /// [`SendFile::on_progress`] (or the upload's own callback); [`SendFile::canceller`]
    /// stops it.
    ///
    /// ```no_run
    /// # async fn demo(client: lc_customer::CustomerClient) -> Result<(), lc_protocol::Error> {
    /// use lc_customer::Upload;
    ///
    /// let sending = client
    ///     .send_file("PJ0MRSHTDG", Upload::bytes("notes.txt", b"hello".to_vec()))
    ///     .on_progress(|done| eprintln!("{:.0}%", done * 100.0));
    /// let cancel = sending.canceller();
    /// # let _ = cancel;
    /// let sent = sending.await?;
    /// println!("{}", sent.url);
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_file(&self, chat_id: impl Into<ChatId>, file: Upload) -> SendFile<'_, T> {
        SendFile {
            client: self,
            chat_id: chat_id.into(),
            upload: file,
            custom_id: None,
            cancel: CancellationToken::new(),
        }
    }

    /// customer-sdk `setSneakPeek`: what the customer is typing in `chat_id`. Nothing to
    /// await: it is sent in the background, only while the chat is active, at most once
    /// per interval (2 s by default) with the latest text winning. Does nothing once the
    /// client is destroyed.
    pub fn set_sneak_peek(&self, chat_id: impl Into<ChatId>, text: impl Into<String>) {
        let inner = &*self.inner;
        let (chat, text) = (chat_id.into(), text.into());
        inner
            .sneak_peeks
            .set(&inner.transport, &inner.shared, chat, text);
    }
}

/// A file on its way (see [`CustomerClient::send_file`]); `.await` sends it.
#[must_use = "a SendFile does nothing until it is awaited"]
pub struct SendFile<'a, T> {
    client: &'a CustomerClient<T>,
    chat_id: ChatId,
    upload: Upload,
    custom_id: Option<String>,
    cancel: CancellationToken,
}

impl<T> std::fmt::Debug for SendFile<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendFile")
            .field("chat_id", &self.chat_id)
            .field("upload", &self.upload)
            .field("custom_id", &self.custom_id)
            .finish_non_exhaustive()
    }
}

impl<T> SendFile<'_, T> {
    /// Your id for the `file` event.
    pub fn custom_id(mut self, id: impl Into<String>) -> Self {
        self.custom_id = Some(id.into());
        self
    }

    /// Called with the share of the file uploaded so far, from 0.0 to 1.0.
    pub fn on_progress(mut self, f: impl Fn(f64) + Send + Sync + 'static) -> Self {
        self.upload = self.upload.on_progress(f);
        self
    }

    /// A token that cancels the sending (customer-sdk `cancel`): the call then ends with
    /// [`Error::Cancelled`] and no event is sent. It replaces a token set with
    /// [`Upload::cancel_on`].
    pub fn canceller(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

impl<'a, T: CustomerConnection> IntoFuture for SendFile<'a, T> {
    type Output = Result<SentFile, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let client = self.client;
            client.check()?;
            if self.upload.len() > MAX_UPLOAD_BYTES {
                return Err(Error::InvalidInput(format!(
                    "a file sent to a chat is at most 10 MB ({MAX_UPLOAD_BYTES} bytes); this one has {}",
                    self.upload.len()
                )));
            }
            let Some(web) = client.web() else {
                let transport = client.transport();
                return Err(Error::Unsupported {
                    action: customer::UploadFile::NAME,
                    api: transport.api(),
                    transport: transport.kind(),
                    version: transport.version(),
                    availability: format!(
                        "{} only, and this client has no Web client",
                        TransportKind::Web
                    ),
                });
            };
            let cancelled = || Error::Cancelled {
                action: "send_file".to_owned(),
            };
            let uploaded = web
                .upload_file(self.upload.cancel_on(self.cancel.clone()))
                .await?;
            if self.cancel.is_cancelled() {
                return Err(cancelled());
            }
            let event = Event::File(FileEvent {
                url: Some(uploaded.url.clone()),
                custom_id: self.custom_id,
                ..FileEvent::default()
            });
            let sent = client.send_event(self.chat_id, event).await?;
            Ok(SentFile {
                url: uploaded.url,
                event_id: sent.event_id,
            })
        })
    }
}
