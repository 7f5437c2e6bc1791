//! Catching up after a reconnection: reading the customer's chats and turning what a
//! [`ChatLedger`] says was missed into customer pushes.

use futures_util::future::BoxFuture;
use lc_protocol::customer::{self, CustomerPush};
use lc_protocol::id::UserId;
use lc_protocol::recovery::{ChatLedger, LedgerPush, chat_gone};
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
                // The first page sets the size; later ones send only their `page_id`.
                let request = match page_id {
                    None => customer::ListChats::new().limit(PAGE),
                    Some(id) => customer::ListChats::new().page_id(id),
                };
                let page = self.0.call(&request).await?;
                ids.extend(page.chats_summary.into_iter().map(|c| c.id));
                page_id = page.next_page_id;
                if page_id.is_none() {
                    break;
                }
            }
            let mut chats = Vec::with_capacity(ids.len());
            for id in ids {
                let chat = match self.0.call(&customer::GetChat::new(id)).await {
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
                    ..Chat::default()
                });
            }
            Ok(chats)
        })
    }
}

/// Records the customer's chats as they are when the client starts. The customer's
/// login response names no events, so none of them counts as history: a first catch-up
/// gives every event the client was not given, history included.
pub(crate) async fn baseline(
    reader: &dyn ChatReader,
    ledger: &mut ChatLedger,
) -> Result<(), Error> {
    for chat in reader.chats().await? {
        ledger.baseline(&chat, &[]);
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
        let missed = ledger.catch_up(&chat).into_iter();
        pushes.extend(missed.map(|m| CustomerPush::from_missed(m, Some(me.clone()))));
    }
    if !pushes.is_empty() {
        tracing::info!(recovered = pushes.len(), "customer pushes recovered");
    }
    Ok(pushes)
}
