//! Catching up after a reconnection: reading the customer's chats and turning what a
//! [`ChatLedger`] says was missed into customer pushes.

use futures_util::future::BoxFuture;
use lc_protocol::customer::push::{
    ChatDeactivated, IncomingChat, IncomingEvent, UserAddedToChat, UserRemovedFromChat,
};
use lc_protocol::customer::{self, CustomerPush};
use lc_protocol::id::UserId;
use lc_protocol::recovery::{ChatLedger, Missed};
use lc_protocol::types::Chat;
use lc_protocol::{Error, Transport};

/// Chats read per `list_chats` page, and pages read at most.
const PAGE: u32 = 25;
const MAX_PAGES: usize = 20;

/// Reads the latest state of the customer's chats.
pub(crate) trait ChatReader: Send + Sync {
    /// Every chat of the customer with its latest thread and that thread's events.
    fn chats(&self) -> BoxFuture<'_, Result<Vec<Chat>, Error>>;
}

/// A [`ChatReader`] over the client's connection.
pub(crate) struct Reader<T>(pub(crate) T);

impl<T: Transport + 'static> ChatReader for Reader<T> {
    fn chats(&self) -> BoxFuture<'_, Result<Vec<Chat>, Error>> {
        Box::pin(async move {
            let mut ids = Vec::new();
            let mut page_id = None;
            for _ in 0..MAX_PAGES {
                let mut request = customer::ListChats::new().limit(PAGE);
                request.page_id = page_id;
                let page = self.0.call(&request).await?;
                ids.extend(page.chats_summary.into_iter().map(|c| c.id));
                page_id = page.next_page_id;
                if page_id.is_none() {
                    break;
                }
            }
            let mut chats = Vec::with_capacity(ids.len());
            for id in ids {
                let chat = self.0.call(&customer::GetChat::new(id)).await?;
                chats.push(Chat {
                    id: chat.id,
                    users: chat.users,
                    thread: chat.thread,
                    properties: chat.properties,
                    access: chat.access,
                    ..Chat::default()
                });
            }
            Ok(chats)
        })
    }
}

/// Records what `push` delivers; false if it was delivered already.
pub(crate) fn record(ledger: &mut ChatLedger, push: &CustomerPush) -> bool {
    match push {
        CustomerPush::IncomingChat(p) => ledger.chat(&p.chat),
        CustomerPush::IncomingEvent(p) => ledger.event(&p.chat_id, &p.thread_id, &p.event),
        CustomerPush::ChatDeactivated(p) => ledger.deactivated(&p.chat_id, &p.thread_id),
        CustomerPush::UserAddedToChat(p) => {
            ledger.user_added(&p.chat_id, &p.user);
            true
        }
        CustomerPush::UserRemovedFromChat(p) => {
            ledger.user_removed(&p.chat_id, &p.user_id);
            true
        }
        _ => true,
    }
}

/// Records the customer's chats as they are when the client starts.
pub(crate) async fn baseline(
    reader: &dyn ChatReader,
    ledger: &mut ChatLedger,
) -> Result<(), Error> {
    for chat in reader.chats().await? {
        ledger.baseline(&chat);
    }
    Ok(())
}

/// What was missed of the customer's chats, as pushes, in order; `me` is the
/// customer's id (the requester of a recovered `incoming_chat`).
pub(crate) async fn catch_up(
    reader: &dyn ChatReader,
    ledger: &mut ChatLedger,
    me: &UserId,
) -> Result<Vec<CustomerPush>, Error> {
    let mut pushes = Vec::new();
    for chat in reader.chats().await? {
        pushes.extend(ledger.catch_up(&chat).into_iter().map(|m| to_push(m, me)));
    }
    if !pushes.is_empty() {
        tracing::info!(recovered = pushes.len(), "customer pushes recovered");
    }
    Ok(pushes)
}

/// The push that would have told `missed`.
fn to_push(missed: Missed, me: &UserId) -> CustomerPush {
    match missed {
        Missed::Chat(chat) => CustomerPush::IncomingChat(IncomingChat {
            requester_id: me.clone(),
            chat,
            extra: Default::default(),
        }),
        Missed::Event {
            chat_id,
            thread_id,
            event,
        } => CustomerPush::IncomingEvent(IncomingEvent {
            chat_id,
            thread_id,
            event,
            extra: Default::default(),
        }),
        Missed::UserAdded {
            chat_id,
            thread_id,
            user,
        } => CustomerPush::UserAddedToChat(UserAddedToChat {
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
        } => CustomerPush::UserRemovedFromChat(UserRemovedFromChat {
            chat_id,
            thread_id,
            user_id,
            reason: "recovered".to_owned(),
            requester_id: None,
            extra: Default::default(),
        }),
        Missed::Deactivated { chat_id, thread_id } => {
            CustomerPush::ChatDeactivated(ChatDeactivated {
                chat_id,
                thread_id,
                user_id: None,
                extra: Default::default(),
            })
        }
    }
}
