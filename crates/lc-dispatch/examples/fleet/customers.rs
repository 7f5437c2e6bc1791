//! The customers: each starts a chat and writes its messages at its own pace, without
//! waiting for answers.

use crate::Result;
use lc_customer::{CustomerClient, CustomerConfig};
use lc_protocol::id::ChatId;
use lc_protocol::types::Event;
use lc_sandbox::{NewCustomer, Sandbox};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;

/// One customer's chat.
pub(crate) struct Chat {
    pub(crate) customer: String,
    pub(crate) id: ChatId,
}

/// The customers' tasks.
pub(crate) type Writing = Vec<JoinHandle<Result<Chat>>>;

/// Starts `customers` chats and sends `messages` messages in each (`c{i} m{n}`), a
/// customer's messages about `pace` apart; `sent` counts the messages sent.
pub(crate) fn start(
    sandbox: &Sandbox,
    customers: usize,
    messages: usize,
    pace: Duration,
    sent: &Arc<AtomicUsize>,
) -> Writing {
    let mut tasks = Vec::new();
    for i in 0..customers {
        let customer = sandbox.create_customer(NewCustomer::new().name(format!("Customer {i}")));
        let config = CustomerConfig::new(sandbox.organization_id())
            .base_urls(sandbox.ws_url(), sandbox.http_url());
        let sent = sent.clone();
        tasks.push(tokio::spawn(async move {
            // Start at different times, then keep a pace of about `pace` (± 25 %).
            let spread = pace.mul_f64((i % 20) as f64 / 20.0);
            tokio::time::sleep(spread).await;
            let client = CustomerClient::connect(config, customer.token.clone());
            let started = client.start_chat().await?;
            for n in 0..messages {
                client
                    .send_event(
                        started.chat_id.clone(),
                        Event::message(format!("c{i} m{n}")),
                    )
                    .await?;
                sent.fetch_add(1, Ordering::SeqCst);
                let jitter = 0.75 + ((i * 7 + n * 13) % 10) as f64 / 20.0;
                tokio::time::sleep(pace.mul_f64(jitter)).await;
            }
            client.destroy();
            Ok(Chat {
                customer: customer.id.to_string(),
                id: started.chat_id,
            })
        }));
    }
    tasks
}

/// The customers' chats, once they have written everything.
pub(crate) async fn finish(writing: Writing) -> Result<Vec<Chat>> {
    let mut chats = Vec::new();
    for task in writing {
        chats.push(task.await??);
    }
    Ok(chats)
}
