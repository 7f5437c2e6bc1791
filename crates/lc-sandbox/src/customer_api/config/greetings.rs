//! Greetings: showing one (the `Sandbox::send_greeting` hook), the greeting a login
//! response carries, and `accept_greeting`, `cancel_greeting` and
//! `send_greeting_button_clicked` (3.6).

use super::groups::{customer_group, greeting_agent, message};
use crate::chat_ops;
use crate::handler::Ctx;
use crate::outbox::Audience;
use crate::state::{GreetingRec, GreetingStatus, State};
use lc_protocol::Empty;
use lc_protocol::customer;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{CustomerId, EventId};
use lc_protocol::types::{Event, Greeting};
use serde_json::json;

/// Shows a greeting with `text` to `customer` (the `Sandbox::send_greeting` hook): a
/// greeting on display is replaced (`greeting_canceled`), then `incoming_greeting` goes to
/// the customer's connections and `greetings_shown_count` grows. The greeting comes from
/// the agent a chat of the customer's group would go to, else from the group's first
/// agent, else from nobody. Returns its `unique_id` (`None`: unknown customer).
pub(crate) fn show_greeting(
    state: &mut State,
    customer: &CustomerId,
    text: &str,
) -> Option<String> {
    let group = customer_group(state, customer);
    let agent = chat_ops::pick_agent(state, &[group], &[])
        .or_else(|| {
            state
                .agents
                .iter()
                .find(|(_, rec)| group.0 == 0 || rec.groups.contains(&group))
                .map(|(id, _)| id.clone())
        })
        .map(|id| greeting_agent(state, &id));
    let created_at = state.clock.stamp();
    let rec = state.customers.get_mut(customer)?;
    let unique_id = uuid::Uuid::new_v4().simple().to_string();
    let event = agent.as_ref().map_or_else(
        || Event::message(text),
        |a| {
            message(
                EventId::new(format!("{unique_id}_1")),
                created_at,
                &a.id,
                text,
            )
        },
    );
    let greeting = Greeting {
        id: rec.login.greetings.len() as u64 + 1,
        unique_id: unique_id.clone(),
        displayed_first_time: Some(true),
        subtype: Some("announcement".to_owned()),
        is_exit_intent: Some(false),
        event: Some(event),
        agent,
        ..Default::default()
    };
    let mut replaced = Vec::new();
    for shown in &mut rec.login.greetings {
        if shown.status == GreetingStatus::Displayed {
            shown.status = GreetingStatus::Canceled;
            replaced.push(shown.greeting.unique_id.clone());
        }
    }
    rec.login.greetings.push(GreetingRec {
        greeting: greeting.clone(),
        status: GreetingStatus::Displayed,
    });
    let statistics = rec.profile.statistics.get_or_insert_with(Default::default);
    statistics.greetings_shown_count = Some(statistics.greetings_shown_count.unwrap_or(0) + 1);
    let audience = Audience::Customer(customer.clone());
    for old in replaced {
        let payload = json!({ "unique_id": old });
        state
            .outbox
            .customers(audience.clone(), "greeting_canceled", &payload);
    }
    state
        .outbox
        .customers(audience, "incoming_greeting", &greeting);
    Some(unique_id)
}

/// The greeting a login response carries: the latest one shown that was not canceled,
/// with `accepted` and `displayed_first_time: false`.
pub(crate) fn current_greeting(state: &State, customer: &CustomerId) -> Option<Greeting> {
    let rec = state.customers.get(customer)?;
    let latest = rec
        .login
        .greetings
        .iter()
        .rev()
        .find(|g| g.status != GreetingStatus::Canceled)?;
    Some(Greeting {
        accepted: Some(latest.status == GreetingStatus::Accepted),
        displayed_first_time: Some(false),
        ..latest.greeting.clone()
    })
}

/// The requester's greeting on display with `unique_id` (and, when given, configuration
/// `id`); `greeting_not_found` for any other (unknown, accepted or canceled).
fn displayed_greeting<'s>(
    state: &'s mut State,
    customer: &CustomerId,
    unique_id: &str,
    id: Option<u64>,
) -> Result<&'s mut GreetingRec, ApiError> {
    state
        .customers
        .get_mut(customer)
        .and_then(|rec| {
            rec.login.greetings.iter_mut().find(|g| {
                g.greeting.unique_id == unique_id
                    && g.status == GreetingStatus::Displayed
                    && id.is_none_or(|id| id == g.greeting.id)
            })
        })
        .ok_or_else(|| ApiError::new(ErrorType::GreetingNotFound))
}

/// `accept_greeting`: the greeting on display becomes accepted (`greeting_not_found`
/// unless `unique_id` and `greeting_id` name one); `greetings_accepted_count` grows and
/// the customer gets `greeting_accepted {unique_id}`.
pub(super) fn accept_greeting(
    ctx: &mut Ctx<'_>,
    request: customer::AcceptGreeting,
) -> Result<Empty, ApiError> {
    let me = ctx.customer_id()?;
    let shown = displayed_greeting(
        ctx.state,
        &me,
        &request.unique_id,
        Some(request.greeting_id),
    )?;
    shown.status = GreetingStatus::Accepted;
    if let Some(rec) = ctx.state.customers.get_mut(&me) {
        let statistics = rec.profile.statistics.get_or_insert_with(Default::default);
        statistics.greetings_accepted_count =
            Some(statistics.greetings_accepted_count.unwrap_or(0) + 1);
    }
    let payload = json!({ "unique_id": request.unique_id });
    ctx.state
        .outbox
        .customers(Audience::Customer(me), "greeting_accepted", &payload);
    Ok(Empty {})
}

/// `cancel_greeting`: the greeting on display is dismissed (`greeting_not_found` unless
/// `unique_id` names one); the customer gets `greeting_canceled {unique_id}`.
pub(super) fn cancel_greeting(
    ctx: &mut Ctx<'_>,
    request: customer::CancelGreeting,
) -> Result<Empty, ApiError> {
    let me = ctx.customer_id()?;
    displayed_greeting(ctx.state, &me, &request.unique_id, None)?.status = GreetingStatus::Canceled;
    let payload = json!({ "unique_id": request.unique_id });
    ctx.state
        .outbox
        .customers(Audience::Customer(me), "greeting_canceled", &payload);
    Ok(Empty {})
}

/// `send_greeting_button_clicked` (3.6): `greeting_not_found` unless the greeting on
/// display has `greeting_unique_id`. [I] The click is not recorded and pushes nothing.
pub(super) fn send_greeting_button_clicked(
    ctx: &mut Ctx<'_>,
    request: customer::SendGreetingButtonClicked,
) -> Result<Empty, ApiError> {
    let me = ctx.customer_id()?;
    displayed_greeting(ctx.state, &me, &request.greeting_unique_id, None)?;
    Ok(Empty {})
}
