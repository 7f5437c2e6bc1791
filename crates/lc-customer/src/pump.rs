//! The background task that turns the connection's items into [`CustomerEvent`]s,
//! learning on the way what they tell about the chats and the token.

use crate::connection::CustomerConnection;
use crate::event::{Connected, CustomerEvent, Disconnected, Reconnecting, Stopped};
use crate::shared::Shared;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use lc_protocol::customer::{self, CustomerPush, LoginResponse};
use lc_protocol::{PushSet, Transport};
use lc_rtm::RtmEvent;
use std::sync::Arc;

/// Runs until the connection's stream ends (or the client is destroyed).
pub(crate) async fn run<T: CustomerConnection>(
    transport: T,
    shared: Arc<Shared>,
    mut events: BoxStream<'static, RtmEvent<CustomerPush>>,
) {
    let mut login: Option<LoginResponse> = None;
    while let Some(item) = events.next().await {
        let event = match item {
            RtmEvent::LoggedIn { response } => {
                match serde_json::from_str::<LoginResponse>(response.get()) {
                    Ok(decoded) => login = Some(decoded),
                    Err(err) => tracing::warn!(%err, "login response not understood"),
                }
                continue;
            }
            RtmEvent::Connected => {
                let connected = match login.take() {
                    Some(login) => Connected::from_login(login, shared.group),
                    None => match fetch_login(&transport, &shared).await {
                        Some(connected) => connected,
                        None => continue,
                    },
                };
                CustomerEvent::Connected(connected)
            }
            RtmEvent::Disconnected { reason } => {
                CustomerEvent::Disconnected(Disconnected { reason })
            }
            RtmEvent::Reconnecting { attempt, delay } => {
                CustomerEvent::Reconnecting(Reconnecting { attempt, delay })
            }
            RtmEvent::Stopped { reason } => CustomerEvent::Stopped(Stopped { reason }),
            RtmEvent::Missed(count) => CustomerEvent::Missed(count),
            RtmEvent::Push { push, .. } => {
                shared.observe(&push);
                tracing::debug!(push = push.name(), "customer push");
                CustomerEvent::Push(push)
            }
            _ => continue,
        };
        shared.emit(event);
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
