//! Pushes the real service sends on a timer: `subscribed_customers_totals_updated` to
//! the agent connections whose customer subscriptions go past their limit.

use crate::shared::Shared;
use std::sync::Arc;
use std::time::Duration;

/// How often `subscribed_customers_totals_updated` goes out by default. [I] The real
/// service sends it "periodically" without saying how often.
pub(crate) const DEFAULT_TOTALS_PERIOD: Duration = Duration::from_secs(30);

/// Until shutdown: every `period`, the totals of the subscriptions past their limit.
pub(crate) async fn subscription_totals(shared: Arc<Shared>, period: Duration) {
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            _ = shutdown.changed() => return,
        }
        let mut state = shared.lock();
        if state.conns.is_empty() {
            continue;
        }
        crate::agent_api::queue_subscription_totals(&mut state);
        crate::push::deliver(&mut state, None);
    }
}
