//! What tests read of webhook delivery on a [`Sandbox`]: the delivery log, and waiting
//! for it.

use super::log::WebhookDelivery;
use crate::sandbox::Sandbox;
use std::time::Duration;

impl Sandbox {
    /// The delivery log: the last webhook delivery attempts (1,000 by default), oldest
    /// first — one record per attempt (a delivery retried twice and then delivered
    /// gives three records with the same body), plus one record per delivery dropped
    /// because the delivery queue was full. Deliveries run concurrently, so records of
    /// different deliveries come in no guaranteed order.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.delivery_log().snapshot()
    }

    /// Waits until at least `count` attempts have been recorded since the sandbox
    /// started (counting those the bounded log has forgotten), or until `timeout`, then
    /// returns [`webhook_deliveries`](Sandbox::webhook_deliveries). Check the length (or
    /// the records) of what it returns: reaching the timeout is not an error.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: &lc_sandbox::Sandbox) {
    /// use std::time::Duration;
    /// let deliveries = sandbox.wait_for_webhook_deliveries(1, Duration::from_secs(5)).await;
    /// assert!(deliveries.iter().any(|d| d.action == "incoming_event" && d.is_delivered()));
    /// # }
    /// ```
    pub async fn wait_for_webhook_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Vec<WebhookDelivery> {
        let log = self.delivery_log();
        log.wait_for(u64::try_from(count).unwrap_or(u64::MAX), timeout)
            .await;
        log.snapshot()
    }

    fn delivery_log(&self) -> std::sync::Arc<super::log::DeliveryLog> {
        self.shared.lock().webhook_queue.log.clone()
    }
}
