//! The background task that turns the connection's items into [`CustomerEvent`]s,
//! learning on the way what they tell about the chats and the token.

use crate::connection::CustomerConnection;
use crate::event::{Connected, CustomerEvent, Disconnected, Reconnecting, Stopped};
use crate::recovery::{self, ChatReader};
use crate::shared::Shared;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use lc_protocol::customer::{self, CustomerPush, LoginResponse};
use lc_protocol::id::UserId;
use lc_protocol::recovery::{CATCH_UP_RETRY, ChatLedger, LedgerPush};
use lc_protocol::{PushSet, Transport};
use lc_rtm::RtmEvent;
use std::sync::Arc;

/// Runs until the connection's stream ends (or the client is destroyed).
///
/// Every push is given once; after each reconnection (or when this task fell behind)
/// the customer's chats are read and what was missed is given as
/// [`CustomerEvent::Recovered`], before newer pushes. The reads it makes now and then are
/// boxed, so that the idle task does not keep room for them.
pub(crate) async fn run<T: CustomerConnection>(
    transport: T,
    shared: Arc<Shared>,
    mut events: BoxStream<'static, RtmEvent<CustomerPush>>,
) {
    let reader = shared.reader();
    let mut ledger = ChatLedger::new();
    let mut started = false;
    let mut behind = false;
    let mut connected = false;
    let mut failures = 0u32;
    // Boxed: kept across waits, and as large as a customer.
    let mut login: Option<Box<LoginResponse>> = None;
    loop {
        // A catch-up that failed while connected is tried again after a pause, without
        // waiting for another reconnection.
        let item = if behind && connected {
            let pause = CATCH_UP_RETRY.delay(failures, 1.0);
            match tokio::time::timeout(pause, events.next()).await {
                Ok(item) => item,
                Err(_) => {
                    let me = shared.me().unwrap_or_default();
                    behind = !Box::pin(recover(&*reader, &shared, &mut ledger, &me)).await;
                    failures = if behind {
                        failures.saturating_add(1)
                    } else {
                        0
                    };
                    continue;
                }
            }
        } else {
            events.next().await
        };
        let Some(item) = item else { break };
        let event = match item {
            RtmEvent::LoggedIn { response } => {
                match serde_json::from_str::<Box<LoginResponse>>(response.get()) {
                    Ok(decoded) => login = Some(decoded),
                    Err(err) => tracing::warn!(%err, "login response not understood"),
                }
                continue;
            }
            RtmEvent::Connected => {
                let announced = match login.take() {
                    Some(login) => Connected::from_login(*login, shared.group),
                    None => match Box::pin(fetch_login(&transport, &shared)).await {
                        Some(connected) => connected,
                        None => continue,
                    },
                };
                let me = UserId::from(announced.customer.id.to_string());
                shared.emit(CustomerEvent::Connected(announced));
                connected = true;
                if !started {
                    // What is there at the start is not news after a reconnection.
                    // If that fails, the next catch-up takes everything as missed.
                    started = true;
                    behind = Box::pin(recovery::baseline(&*reader, &mut ledger))
                        .await
                        .is_err();
                } else if behind {
                    behind = !Box::pin(recover(&*reader, &shared, &mut ledger, &me)).await;
                }
                failures = u32::from(behind);
                continue;
            }
            RtmEvent::Disconnected { reason } => {
                connected = false;
                behind = true;
                CustomerEvent::Disconnected(Disconnected { reason })
            }
            RtmEvent::Reconnecting { attempt, delay } => {
                CustomerEvent::Reconnecting(Reconnecting { attempt, delay })
            }
            RtmEvent::Stopped { reason } => CustomerEvent::Stopped(Stopped { reason }),
            RtmEvent::Missed(count) => {
                // This task fell behind: what it missed is read from the server.
                tracing::warn!(count, "customer event pump fell behind; catching up");
                let me = shared.me().unwrap_or_default();
                behind = !Box::pin(recover(&*reader, &shared, &mut ledger, &me)).await;
                continue;
            }
            RtmEvent::Push { push, .. } => {
                if !push.record(&mut ledger) {
                    tracing::debug!(push = push.name(), "duplicate push dropped");
                    continue;
                }
                shared.observe(&push);
                tracing::debug!(push = push.name(), "customer push");
                CustomerEvent::Push(push)
            }
            _ => continue,
        };
        shared.emit(event);
    }
}

/// Gives what was missed as recovered events; false if the chats could not be read.
async fn recover(
    reader: &dyn ChatReader,
    shared: &Shared,
    ledger: &mut ChatLedger,
    me: &UserId,
) -> bool {
    match recovery::catch_up(reader, ledger, me).await {
        Ok(pushes) => {
            for push in pushes {
                shared.observe(&push);
                shared.emit(CustomerEvent::Recovered(push));
            }
            true
        }
        Err(err) => {
            tracing::warn!(%err, "could not catch up after a reconnection; will retry");
            false
        }
    }
}

/// The connected event of a transport that does not pass the login response on: the
/// customer as `get_customer` returns it (the availability is then unknown: offline).
async fn fetch_login<T: Transport>(transport: &T, shared: &Shared) -> Option<Connected> {
    let customer = transport.call(&customer::GetCustomer::new()).await.ok()?;
    let login = LoginResponse {
        customer,
        ..LoginResponse::default()
    };
    Some(Connected::from_login(login, shared.group))
}
