//! [`Envelope`]: an event with the chat it belongs to and the key that tells it apart,
//! made from webhooks, RTM pushes and Inbenta chat pushes.

use lc_protocol::PushSet;
use lc_protocol::agent::AgentPush;
use lc_protocol::inbenta::InbentaPush;
use lc_protocol::webhook::Webhook;

/// One event for a [`Dispatcher`](crate::Dispatcher): the chat whose events are handled
/// in order, the key by which repeats are recognised, and the event itself.
///
/// ```
/// use lc_dispatch::Envelope;
/// let envelope = Envelope::new("PJ0MRSHTDG", "incoming_event:K600PKZON8_1", "Hello".to_owned());
/// assert_eq!(envelope.chat, "PJ0MRSHTDG");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<E> {
    /// The chat id: events with the same one are handled one after another.
    pub chat: String,
    /// The deduplication key: an event with a key already handled is not handled again.
    pub key: String,
    /// The event.
    pub event: E,
}

impl<E> Envelope<E> {
    /// An envelope with your own chat id and key.
    pub fn new(chat: impl Into<String>, key: impl Into<String>, event: E) -> Self {
        Self {
            chat: chat.into(),
            key: key.into(),
            event,
        }
    }
}

impl Envelope<Webhook> {
    /// A webhook's envelope: its chat and [`push_key`] (the action with the event id,
    /// or chat + thread + action where the payload has no event); `None` for a webhook
    /// about no chat (an agent's status, a customer, the configuration).
    ///
    /// A webhook and the RTM push of the same happening get the same key.
    ///
    /// ```
    /// use lc_dispatch::Envelope;
    /// use lc_protocol::webhook::Webhook;
    /// let webhook = Webhook::from_json(br#"{"webhook_id": "w1", "secret_key": "s", "action": "incoming_event",
    ///     "payload": {"chat_id": "C1", "thread_id": "T1",
    ///         "event": {"id": "T1_1", "type": "message", "text": "hi"}}}"#)?;
    /// let envelope = Envelope::from_webhook(webhook).unwrap();
    /// assert_eq!((envelope.chat.as_str(), envelope.key.as_str()), ("C1", "incoming_event:C1:T1_1"));
    /// # Ok::<(), lc_protocol::FrameError>(())
    /// ```
    pub fn from_webhook(webhook: Webhook) -> Option<Self> {
        let (chat, key) = push_key(&webhook.payload)?;
        Some(Self {
            chat,
            key,
            event: webhook,
        })
    }
}

impl Envelope<AgentPush> {
    /// An RTM push's envelope (`AgentClient::pushes`, `RtmEvent::Push`): its chat and
    /// [`push_key`]; `None` for a push about no chat.
    ///
    /// ```
    /// use lc_dispatch::Envelope;
    /// use lc_protocol::PushSet;
    /// use lc_protocol::agent::AgentPush;
    /// let payload = serde_json::json!({"chat_id": "C1", "thread_id": "T1", "user_id": "a@b.c"});
    /// let push = AgentPush::decode("chat_deactivated", &payload.to_string()).unwrap();
    /// let envelope = Envelope::from_push(push).unwrap();
    /// assert_eq!(envelope.key, "chat_deactivated:C1:T1");
    /// ```
    pub fn from_push(push: AgentPush) -> Option<Self> {
        let (chat, key) = push_key(&push)?;
        Some(Self {
            chat,
            key,
            event: push,
        })
    }
}

impl Envelope<InbentaPush> {
    /// An Inbenta chat push's envelope: the chat of the message (`message.chat`) or
    /// `chat` when the push does not say, keyed by the message id; other pushes (a user
    /// joining, the chat closing, ...) are keyed by their name and content.
    ///
    /// ```
    /// use lc_dispatch::Envelope;
    /// use lc_protocol::PushSet;
    /// use lc_protocol::inbenta::InbentaPush;
    /// let payload = serde_json::json!({"message": {"id": "m-7", "chat": "chat-3", "message": "hello"}});
    /// let push = InbentaPush::decode("message:received", &payload.to_string()).unwrap();
    /// let envelope = Envelope::from_inbenta("chat-3", push);
    /// assert_eq!(envelope.key, "message:received:chat-3:m-7");
    /// ```
    pub fn from_inbenta(chat: &str, push: InbentaPush) -> Self {
        let (chat, key) = match &push {
            InbentaPush::MessageReceived(received) => {
                let chat = received.message.chat.as_deref().unwrap_or(chat).to_owned();
                let key = format!("{}:{chat}:{}", push.name(), received.message.id);
                (chat, key)
            }
            other => {
                let key = format!("{}:{chat}:{:016x}", other.name(), payload_hash(other));
                (chat.to_owned(), key)
            }
        };
        Self {
            chat,
            key,
            event: push,
        }
    }
}

/// The chat of an Agent Chat push (or webhook payload) and its deduplication key:
/// `ACTION:CHAT:EVENT_ID` for pushes about one event, `ACTION:CHAT:THREAD` for pushes
/// about a thread, `ACTION:CHAT:HASH` (of the payload) for the other pushes about a
/// chat; `None` for pushes about no chat.
///
/// ```
/// use lc_dispatch::push_key;
/// use lc_protocol::PushSet;
/// use lc_protocol::agent::AgentPush;
/// let payload = serde_json::json!({"chat_id": "C1", "thread_id": "T1",
///     "event": {"id": "T1_4", "type": "message", "text": "hi"}});
/// let push = AgentPush::decode("incoming_event", &payload.to_string()).unwrap();
/// assert_eq!(push_key(&push), Some(("C1".to_owned(), "incoming_event:C1:T1_4".to_owned())));
/// ```
pub fn push_key(push: &AgentPush) -> Option<(String, String)> {
    let action = push.name();
    let (chat, detail) = match push {
        AgentPush::IncomingChat(p) => {
            let thread = p.chat.thread.as_ref().map(|t| t.id.to_string());
            (p.chat.id.to_string(), thread)
        }
        AgentPush::IncomingEvent(p) => {
            (p.chat_id.to_string(), event_detail(&p.event, &p.thread_id))
        }
        AgentPush::EventUpdated(p) => (p.chat_id.to_string(), event_detail(&p.event, &p.thread_id)),
        AgentPush::EventDeleted(p) => (p.chat_id.to_string(), Some(p.event_id.to_string())),
        AgentPush::IncomingRichMessagePostback(p) => (
            p.chat_id.to_string(),
            Some(format!("{}:{}", p.event_id, p.user_id)),
        ),
        AgentPush::ChatDeactivated(p) => (p.chat_id.to_string(), Some(p.thread_id.to_string())),
        AgentPush::ThreadTagged(p) => (p.chat_id.to_string(), None),
        AgentPush::ThreadUntagged(p) => (p.chat_id.to_string(), None),
        AgentPush::ChatTransferred(p) => (p.chat_id.to_string(), None),
        AgentPush::UserAddedToChat(p) => (p.chat_id.to_string(), None),
        AgentPush::UserRemovedFromChat(p) => (p.chat_id.to_string(), None),
        AgentPush::ChatPropertiesUpdated(p) => (p.chat_id.to_string(), None),
        AgentPush::ChatPropertiesDeleted(p) => (p.chat_id.to_string(), None),
        AgentPush::ThreadPropertiesUpdated(p) => (p.chat_id.to_string(), None),
        AgentPush::ThreadPropertiesDeleted(p) => (p.chat_id.to_string(), None),
        AgentPush::EventPropertiesUpdated(p) => (p.chat_id.to_string(), None),
        AgentPush::EventPropertiesDeleted(p) => (p.chat_id.to_string(), None),
        AgentPush::ChatAccessUpdated(p) => (p.id.to_string(), None),
        _ => return None,
    };
    let detail = detail.unwrap_or_else(|| format!("{:016x}", payload_hash(push)));
    Some((chat.clone(), format!("{action}:{chat}:{detail}")))
}

/// An event's id, or its thread when the event has none.
fn event_detail(
    event: &lc_protocol::types::Event,
    thread: &lc_protocol::id::ThreadId,
) -> Option<String> {
    Some(
        event
            .id()
            .map_or_else(|| thread.to_string(), ToString::to_string),
    )
}

/// A hash of a push's payload as it would be sent.
fn payload_hash(push: &impl PushSet) -> u64 {
    push.encode_payload()
        .map_or(0, |payload| fnv(payload.get().as_bytes()))
}

/// 64-bit FNV-1a: stable across processes and versions.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
