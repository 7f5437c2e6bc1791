//! Agent actions on events: sending, previews, postbacks, properties, tags, indicators.

use crate::chat_ops;
use crate::clock;
use crate::event_actions::{self, AgentEvents};
use crate::event_ops;
use crate::handler::{Ctx, Reply, err, invalid, not_found, run};
use crate::outbox::Audience;
use crate::state::{Principal, State, ThreadRec};
use lc_protocol::Empty;
use lc_protocol::agent;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, ChatId, ThreadId};
use lc_protocol::types::{Event, Summary, SystemEvent, Visibility};
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::BTreeSet;

/// Handles the event actions; `None` for actions of other topics. The actions both APIs
/// serve alike (properties, postbacks, seen marks) are [`event_actions`]'.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    if let Some(reply) = event_actions::handle::<AgentEvents>(ctx, action, payload) {
        return Some(reply);
    }
    Some(match action {
        "send_event" => run(ctx, payload, send_event),
        "send_event_preview" => run(ctx, payload, send_event_preview),
        "tag_thread" => run(ctx, payload, tag_thread),
        "untag_thread" => run(ctx, payload, untag_thread),
        "send_typing_indicator" => run(ctx, payload, send_typing_indicator),
        "send_thinking_indicator" => run(ctx, payload, send_thinking_indicator),
        "multicast" => run(ctx, payload, multicast),
        "request_thread_summary" => run(ctx, payload, request_thread_summary),
        _ => return None,
    })
}

/// `send_event`: stores the event in the chat's active (or last) thread.
fn send_event(
    ctx: &mut Ctx<'_>,
    request: agent::SendEvent,
) -> Result<agent::SendEventResponse, ApiError> {
    let who = ctx.who.clone();
    let attach = request.attach_to_last_thread.unwrap_or(false);
    let (_, event_id) =
        chat_ops::add_event(ctx.state, &who, &request.chat_id, request.event, attach)?;
    Ok(agent::SendEventResponse {
        event_id,
        ..Default::default()
    })
}

/// `send_event_preview` (3.6): a `message` (visibility `all`) the chat's customer gets as
/// `incoming_event_preview`, without an `id`; nothing is stored. The sender must be a
/// chat user and the chat active ([I] `chat_inactive` otherwise).
fn send_event_preview(
    ctx: &mut Ctx<'_>,
    request: agent::SendEventPreview,
) -> Result<Empty, ApiError> {
    let Event::Message(message) = request.event else {
        return Err(invalid("Only `message` events can be previewed"));
    };
    if message.visibility == Some(Visibility::Agents) {
        return Err(invalid("A preview is visible to all"));
    }
    let text = message
        .text
        .ok_or_else(|| invalid("`event.text` is required"))?;
    let who = ctx.who.clone();
    let chat = chat_ops::visible_chat_mut(ctx.state, &who, &request.chat_id)?;
    event_ops::chat_user_mut(chat, &who)?;
    let thread_id = event_ops::active_thread_id(chat)?;
    let customer = chat.customer().cloned();
    let mut event = json!({
        "created_at": ctx.state.clock.stamp(),
        "type": "message",
        "text": text,
        "author_id": who.user_id(),
    });
    if let Some(custom_id) = message.custom_id {
        event["custom_id"] = json!(custom_id);
    }
    if let Some(customer) = customer {
        let payload = json!({"chat_id": request.chat_id, "thread_id": thread_id, "event": event});
        ctx.state.outbox.customers(
            Audience::Customer(customer),
            "incoming_event_preview",
            &payload,
        );
    }
    Ok(Empty {})
}

/// `tag_thread`: adds a (case-sensitive) tag. [I] Any non-empty tag is accepted (the real
/// service wants tags created in the Configuration API); a tag the thread already has is
/// ignored: the response is `{}` and nothing is pushed.
fn tag_thread(ctx: &mut Ctx<'_>, request: agent::TagThread) -> Result<Empty, ApiError> {
    if request.tag.is_empty() {
        return Err(invalid("`tag` must not be empty"));
    }
    let who = ctx.who.clone();
    let thread = event_ops::thread_mut(ctx.state, &who, &request.chat_id, &request.thread_id)?;
    if !thread.tags.contains(&request.tag) {
        thread.tags.push(request.tag.clone());
        push_tag(
            ctx.state,
            "thread_tagged",
            &request.chat_id,
            &request.thread_id,
            &request.tag,
        );
    }
    Ok(Empty {})
}

/// `untag_thread`: removes a tag; [I] `not_found` when the thread does not have it.
fn untag_thread(ctx: &mut Ctx<'_>, request: agent::UntagThread) -> Result<Empty, ApiError> {
    let who = ctx.who.clone();
    let thread = event_ops::thread_mut(ctx.state, &who, &request.chat_id, &request.thread_id)?;
    let at = thread
        .tags
        .iter()
        .position(|t| t == &request.tag)
        .ok_or_else(|| not_found(format_args!("Tag `{}`", request.tag)))?;
    thread.tags.remove(at);
    push_tag(
        ctx.state,
        "thread_untagged",
        &request.chat_id,
        &request.thread_id,
        &request.tag,
    );
    Ok(Empty {})
}

/// Queues `thread_tagged` / `thread_untagged` for the chat's agents.
fn push_tag(
    state: &mut State,
    name: &'static str,
    chat_id: &ChatId,
    thread_id: &ThreadId,
    tag: &str,
) {
    let payload = json!({"chat_id": chat_id, "thread_id": thread_id, "tag": tag});
    state
        .outbox
        .agents(Audience::ChatAgents(chat_id.clone()), name, &payload);
}

/// `send_typing_indicator`: `incoming_typing_indicator` for the chat's other users;
/// `visibility: agents` (3.3: `recipients`) keeps it from the customer. Customers get
/// the field as `recipients`, as in the Customer API samples. [I] The chat must be active.
fn send_typing_indicator(
    ctx: &mut Ctx<'_>,
    request: agent::SendTypingIndicator,
) -> Result<Empty, ApiError> {
    let visibility = request
        .visibility
        .or(request.recipients)
        .unwrap_or(Visibility::All);
    let who = ctx.who.clone();
    let chat = chat_ops::visible_chat(ctx.state, &who, &request.chat_id)?;
    let thread_id = event_ops::active_thread_id(chat)?;
    let timestamp = clock::unix(ctx.state.clock.tick());
    let agent = json!({
        "chat_id": request.chat_id,
        "thread_id": thread_id,
        "typing_indicator": {
            "author_id": who.user_id(),
            "visibility": visibility,
            "timestamp": timestamp,
            "is_typing": request.is_typing,
        },
    });
    let customer = (visibility == Visibility::All).then(|| {
        let mut customer = agent.clone();
        customer["typing_indicator"]["recipients"] = json!(visibility);
        if let Some(indicator) = customer["typing_indicator"].as_object_mut() {
            indicator.remove("visibility");
        }
        customer
    });
    event_ops::push_to_others(
        ctx.state,
        &who,
        &request.chat_id,
        "incoming_typing_indicator",
        &agent,
        customer.as_ref(),
    );
    Ok(Empty {})
}

/// `send_thinking_indicator` (3.6): `incoming_thinking_indicator` for the chat's other
/// users (agents only with `visibility: agents`). [I] The chat must be active.
fn send_thinking_indicator(
    ctx: &mut Ctx<'_>,
    request: agent::SendThinkingIndicator,
) -> Result<Empty, ApiError> {
    let who = ctx.who.clone();
    let chat = chat_ops::visible_chat(ctx.state, &who, &request.chat_id)?;
    let thread_id = event_ops::active_thread_id(chat)?;
    let mut payload = json!({
        "chat_id": request.chat_id,
        "thread_id": thread_id,
        "author_id": who.user_id(),
        "sent_at": ctx.state.clock.stamp(),
    });
    for (field, value) in [
        ("title", request.title),
        ("description", request.description),
        ("custom_id", request.custom_id),
    ] {
        if let Some(value) = value {
            payload[field] = json!(value);
        }
    }
    let public = request.visibility.unwrap_or(Visibility::All) == Visibility::All;
    let customer = public.then_some(&payload);
    event_ops::push_to_others(
        ctx.state,
        &who,
        &request.chat_id,
        "incoming_thinking_indicator",
        &payload,
        customer,
    );
    Ok(Empty {})
}

/// `multicast`: `incoming_multicast` for the agents named by `recipients.agents` (all,
/// ids, groups); nothing is stored. `recipients.customers` was removed from every
/// version, so without `agents` there is no recipient type: `validation`. [I] Unknown
/// agent ids and empty groups simply reach nobody.
fn multicast(ctx: &mut Ctx<'_>, request: agent::Multicast) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    let audience = multicast_audience(ctx.state, request.recipients.agents)?;
    let mut payload = json!({"author_id": me, "content": request.content});
    if let Some(kind) = request.kind {
        payload["type"] = json!(kind);
    }
    ctx.state
        .outbox
        .agents(audience, "incoming_multicast", &payload);
    Ok(Empty {})
}

/// The agents `recipients.agents` names; `validation` when it names no recipient type.
fn multicast_audience(
    state: &State,
    agents: Option<agent::MulticastAgents>,
) -> Result<Audience, ApiError> {
    let agents = agents.unwrap_or_default();
    if agents.all.is_none() && agents.ids.is_none() && agents.groups.is_none() {
        return Err(invalid("At least one recipients type is required"));
    }
    if agents.all == Some(true) {
        return Ok(Audience::AllAgents);
    }
    let groups = agents.groups.unwrap_or_default();
    let mut ids: BTreeSet<AgentId> = agents.ids.unwrap_or_default().into_iter().collect();
    ids.extend(
        state
            .agents
            .iter()
            .filter(|(_, rec)| rec.groups.iter().any(|g| groups.contains(g)))
            .map(|(id, _)| id.clone()),
    );
    Ok(Audience::Agents(ids.into_iter().collect()))
}

/// `request_thread_summary` (3.6). The sandbox has no AI: the summary is derived from
/// the thread's message texts at once ([`summary_text`]), stored on the thread (get_chat
/// and list_threads show it to agents), added as a `system` event (source `messaging`,
/// subtype `summary`, visible to agents) and pushed as `thread_summary_set` to the
/// chat's agents and the requester. An inactive thread can be summarised only once:
/// `already_exists` (HTTP 409) on a repeat. [I] A thread without messages cannot be
/// summarised: the response is `{}` and the requester gets `incoming_error`.
fn request_thread_summary(
    ctx: &mut Ctx<'_>,
    request: agent::RequestThreadSummary,
) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    let who = ctx.who.clone();
    let (chat_id, thread_id) = (request.chat_id, request.thread_id);
    let now = ctx.state.clock.stamp();
    let thread = event_ops::thread_mut(ctx.state, &who, &chat_id, &thread_id)?;
    if !thread.active && thread.summary.is_some() {
        return Err(err(
            ErrorType::AlreadyExists,
            "The thread is inactive and already summarised",
        ));
    }
    let Some(text) = summary_text(thread) else {
        let payload =
            json!({"action": "set_thread_summary", "chat_id": chat_id, "thread_id": thread_id});
        ctx.state
            .outbox
            .agents(Audience::Agents(vec![me]), "incoming_error", &payload);
        return Ok(Empty {});
    };
    let summary = Summary {
        status: Some("ok".into()),
        text: Some(text),
        updated_at: Some(now.clone()),
        ..Summary::default()
    };
    thread.summary = Some(summary.clone());
    let event = summary_event(thread, &summary, now);
    thread.events.push(event.clone());
    let audience = Audience::Agents(summary_recipients(ctx.state, &chat_id, me));
    let payload = json!({"chat_id": chat_id, "thread_id": thread_id, "summary": summary});
    ctx.state
        .outbox
        .agents(audience.clone(), "thread_summary_set", &payload);
    let payload = json!({"chat_id": chat_id, "thread_id": thread_id, "event": event});
    ctx.state
        .outbox
        .agents(Audience::ChatAgents(chat_id), "incoming_event", &payload);
    Ok(Empty {})
}

/// A short summary of the thread's (not deleted) messages: how many there are and the
/// first and last texts, clipped; `None` without messages.
fn summary_text(thread: &ThreadRec) -> Option<String> {
    let texts: Vec<&str> = thread
        .events
        .iter()
        .filter(|e| !e.is_deleted())
        .filter_map(|e| match e {
            Event::Message(message) => message.text.as_deref(),
            _ => None,
        })
        .collect();
    let (first, last) = (clip(texts.first()?), clip(texts.last()?));
    Some(match texts.len() {
        1 => format!("1 message: \"{first}\"."),
        n => format!("{n} messages, from \"{first}\" to \"{last}\"."),
    })
}

/// `text` cut to 60 characters, with an ellipsis when cut.
fn clip(text: &str) -> String {
    const MAX: usize = 60;
    let mut clipped: String = text.chars().take(MAX).collect();
    if text.chars().nth(MAX).is_some() {
        clipped.push('…');
    }
    clipped
}

/// The `system` event recording `summary` in `thread` (stamped `created_at`).
fn summary_event(thread: &mut ThreadRec, summary: &Summary, created_at: String) -> Event {
    Event::System(SystemEvent {
        id: Some(thread.next_event_id()),
        created_at: Some(created_at),
        visibility: Some(Visibility::Agents),
        source: Some("messaging".into()),
        subtype: Some("summary".into()),
        version: Some(1),
        details: Some(json!({"summary": summary}).to_string()),
        ..SystemEvent::default()
    })
}

/// The chat's agents and followers, and `requester`.
fn summary_recipients(state: &State, chat_id: &ChatId, requester: AgentId) -> Vec<AgentId> {
    let mut ids = BTreeSet::from([requester]);
    if let Some(chat) = state.chats.get(chat_id) {
        ids.extend(chat.followers.iter().cloned());
        ids.extend(chat.users.iter().filter_map(|u| match &u.principal {
            Principal::Agent(id) => Some(id.clone()),
            Principal::Customer(_) => None,
        }));
    }
    ids.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_keeps_short_texts_and_cuts_long_ones() {
        assert_eq!(clip("hello"), "hello");
        let long = "é".repeat(61);
        assert_eq!(clip(&long), format!("{}…", "é".repeat(60)));
    }
}
