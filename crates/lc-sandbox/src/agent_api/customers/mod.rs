//! Agent actions on customers: reading, listing (3.3–3.5), creating (3.3–3.5), updating,
//! banning, following (3.3) and subscribing (3.6); and who hears about a customer.
//!
//! Who hears about a customer ([I]; the notes name the pushes, not their audience): the
//! connections of agents whose customer monitoring level covers it
//! ([`monitors`](monitoring::monitors)) or who follow it (3.3), the connections
//! subscribed to its group (3.6), and the requester's own connection. Customer pushes
//! (`incoming_customer`, `customer_updated`, `customer_banned`) go to those connections.
//!
//! One file per topic: `view` (how the Agent API shows a customer, `get_customer`),
//! `listing` (`list_customers` with its filters and order), `update` (`create_customer`,
//! `update_customer`, `ban_customer`) and `monitoring` (who hears about a customer,
//! following and subscriptions). This file holds the dispatcher; the helpers they share
//! are in `view` ([`known`](view::known)) and `monitoring`
//! ([`push_to_watchers`](monitoring::push_to_watchers)).

mod listing;
mod monitoring;
mod update;
mod view;

use crate::handler::{Ctx, Reply, run};
use listing::list_customers;
use monitoring::{follow_customer, subscribe_customers, unfollow_customer, unsubscribe_customers};
use serde_json::value::RawValue;
use update::{ban_customer, create_customer, update_customer};
use view::get_customer;

pub(crate) use monitoring::{
    announce_left, announce_online, announce_statistics, monitored_customers,
    queue_subscription_totals, watchers,
};
pub(crate) use update::apply_update;

/// Handles the customer actions; `None` for actions of other topics.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "get_customer" => run(ctx, payload, get_customer),
        "list_customers" => run(ctx, payload, list_customers),
        "create_customer" => run(ctx, payload, create_customer),
        "update_customer" => run(ctx, payload, update_customer),
        "ban_customer" => run(ctx, payload, ban_customer),
        "follow_customer" => run(ctx, payload, follow_customer),
        "unfollow_customer" => run(ctx, payload, unfollow_customer),
        "subscribe_customers" => run(ctx, payload, subscribe_customers),
        "unsubscribe_customers" => run(ctx, payload, unsubscribe_customers),
        _ => return None,
    })
}
