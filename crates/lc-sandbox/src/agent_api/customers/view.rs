//! How the Agent API shows a customer ([`agent_view`]), the customer's chats and groups,
//! and `get_customer`.

use crate::handler::{Ctx, not_found};
use crate::state::{ChatRec, State};
use crate::views;
use lc_protocol::agent;
use lc_protocol::error::ApiError;
use lc_protocol::id::{AgentId, ChatId, CustomerId, GroupId};
use lc_protocol::types::Customer;
use lc_protocol::{Api, ApiVersion};
use std::collections::BTreeSet;

/// A customer as the Agent API of `version` shows it: with statistics and the times of
/// the last agent and customer events. 3.5 and older call the visit `last_visit` and have
/// none of the 3.6 fields (`phone_number`, `omnichannel`, `address`, tickets, carts).
pub(crate) fn agent_view(state: &State, id: &CustomerId, version: ApiVersion) -> Customer {
    let mut customer = views::customer_view(state, id, Api::Agent);
    let mut statistics = views::customer_statistics(state, id);
    let (agent_last, customer_last) = last_events(state, id);
    customer.agent_last_event_created_at = agent_last;
    customer.customer_last_event_created_at = customer_last;
    if version < ApiVersion::V3_6 {
        customer.last_visit = customer.visit.take().or(customer.last_visit.take());
        customer.phone_number = None;
        customer.omnichannel = None;
        customer.address = None;
        customer.tickets = None;
        customer.carts = None;
        customer.cart = None;
        statistics.tickets_count = None;
    } else {
        customer.visit = customer.visit.take().or(customer.last_visit.take());
    }
    customer.statistics = Some(Box::new(statistics));
    customer
}

/// The customer's chats, oldest first.
pub(super) fn chats_of<'s>(state: &'s State, id: &CustomerId) -> Vec<&'s ChatRec> {
    let mut chats: Vec<_> = state
        .chats
        .values()
        .filter(|c| c.customer() == Some(id))
        .collect();
    chats.sort_by_key(|c| c.seq);
    chats
}

/// When an agent last wrote in the customer's chats, and when the customer last did.
fn last_events(state: &State, id: &CustomerId) -> (Option<String>, Option<String>) {
    let (mut agent, mut customer) = (None::<&str>, None::<&str>);
    for chat in chats_of(state, id) {
        for event in chat.threads.iter().flat_map(|t| &t.events) {
            let (Some(author), Some(at)) = (event.author_id(), event.created_at()) else {
                continue;
            };
            let slot = if author.as_str() == id.as_str() {
                &mut customer
            } else if state.agents.contains_key(&AgentId::new(author.as_str())) {
                &mut agent
            } else {
                continue;
            };
            if slot.is_none_or(|last| at > last) {
                *slot = Some(at);
            }
        }
    }
    (agent.map(str::to_owned), customer.map(str::to_owned))
}

/// The groups of the customer's chats.
pub(super) fn chat_groups(state: &State, id: &CustomerId) -> BTreeSet<GroupId> {
    chats_of(state, id)
        .iter()
        .flat_map(|c| c.access.group_ids.iter().copied())
        .collect()
}

/// The groups a customer belongs to: its own (group 0 when none) and those of its chats.
pub(super) fn groups_of(state: &State, id: &CustomerId) -> BTreeSet<GroupId> {
    let own = state
        .customers
        .get(id)
        .and_then(|c| c.group_id)
        .unwrap_or(GroupId(0));
    let mut groups = chat_groups(state, id);
    groups.insert(own);
    groups
}

// ---------------------------------------------------------------------------------------
// get_customer

/// `get_customer`: the customer with its statistics and, when it has chats, their ids.
pub(super) fn get_customer(
    ctx: &mut Ctx<'_>,
    request: agent::GetCustomer,
) -> Result<Customer, ApiError> {
    ctx.agent_id()?;
    known(ctx.state, &request.id)?;
    let mut customer = agent_view(ctx.state, &request.id, ctx.version);
    let chat_ids: Vec<ChatId> = chats_of(ctx.state, &request.id)
        .iter()
        .map(|c| c.id.clone())
        .collect();
    customer.chat_ids = (!chat_ids.is_empty()).then_some(chat_ids);
    Ok(customer)
}

/// `not_found` unless the customer exists.
pub(super) fn known(state: &State, id: &CustomerId) -> Result<(), ApiError> {
    if state.customers.contains_key(id) {
        Ok(())
    } else {
        Err(not_found(format_args!("Customer `{id}`")))
    }
}
