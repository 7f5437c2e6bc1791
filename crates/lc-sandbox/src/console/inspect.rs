//! What the admin API shows of the state: agents and bots, customers, chats,
//! connections, Inbenta apps, webhook deliveries. Read-only views, as JSON.

use crate::shared::Shared;
use crate::state::{ConnRec, Principal, State};
use crate::webhook_delivery::log::{DeliveryOutcome, WebhookDelivery};
use serde_json::{Value, json};
use std::time::SystemTime;

/// A connection as the inspector shows it.
fn connection(id: u64, conn: &ConnRec) -> Value {
    json!({
        "id": id,
        "api": conn.api.as_str(),
        "version": conn.version.to_string(),
        "user": conn.principal.as_ref().map(Principal::user_id_str),
        "away": conn.away,
    })
}

/// The RTM connections logged in as `user`.
fn connections_of(state: &State, user: &str) -> Vec<Value> {
    state
        .user_conns(user)
        .iter()
        .filter_map(|id| state.conns.get(id).map(|c| connection(*id, c)))
        .collect()
}

/// Every RTM connection, logged in or not.
pub(crate) fn connections(shared: &Shared) -> Value {
    let state = shared.lock();
    let conns: Vec<Value> = state
        .conns
        .iter()
        .map(|(id, c)| connection(*id, c))
        .collect();
    json!({ "connections": conns })
}

/// Agents and bots: profile, groups, routing status, open connections.
pub(crate) fn agents(shared: &Shared) -> Value {
    let state = shared.lock();
    let agents: Vec<Value> = state
        .agents
        .iter()
        .map(|(id, rec)| {
            json!({
                "id": id,
                "name": rec.profile.name,
                "is_bot": state.is_bot(id),
                "permission": rec.profile.permission,
                "groups": rec.groups.iter().map(|g| g.0).collect::<Vec<_>>(),
                "routing_status": rec.routing_status,
                "active_chats": state.chats.active_chats_of(id),
                "connections": connections_of(&state, id.as_str()),
            })
        })
        .collect();
    json!({ "agents": agents })
}

/// Customers: profile, group, ban, open connections, chats.
pub(crate) fn customers(shared: &Shared) -> Value {
    let state = shared.lock();
    let customers: Vec<Value> = state
        .customers
        .iter()
        .map(|(id, rec)| {
            let chats: Vec<&str> = state
                .chats
                .values()
                .filter(|c| c.customer() == Some(id))
                .map(|c| c.id.as_str())
                .collect();
            json!({
                "id": id,
                "name": rec.profile.name,
                "email": rec.profile.email,
                "group_id": rec.group_id.map(|g| g.0),
                "banned": rec.banned_until.is_some_and(|until| std::time::Instant::now() < until),
                "connections": connections_of(&state, id.as_str()),
                "chats": chats,
            })
        })
        .collect();
    json!({ "customers": customers })
}

/// Chats with their users, access, properties, and threads (events, tags, properties).
pub(crate) fn chats(shared: &Shared) -> Value {
    let state = shared.lock();
    let chats: Vec<Value> = state
        .chats
        .values()
        .map(|chat| {
            let users: Vec<Value> = chat
                .users
                .iter()
                .map(|u| {
                    let name = match &u.principal {
                        Principal::Agent(id) => state.agents.get(id).and_then(|a| a.profile.name.clone()),
                        Principal::Customer(id) => state.customers.get(id).and_then(|c| c.profile.name.clone()),
                    };
                    json!({
                        "id": u.principal.user_id_str(),
                        "name": name,
                        "type": match u.principal { Principal::Agent(_) => "agent", Principal::Customer(_) => "customer" },
                        "present": u.present,
                        "visibility": u.visibility,
                    })
                })
                .collect();
            let threads: Vec<Value> = chat
                .threads
                .iter()
                .map(|t| {
                    json!({
                        "id": t.id,
                        "active": t.active,
                        "created_at": t.created_at,
                        "events": t.events,
                        "properties": t.properties,
                        "tags": t.tags,
                        "access": t.access,
                    })
                })
                .collect();
            json!({
                "id": chat.id,
                "active": chat.is_active(),
                "users": users,
                "access": chat.access,
                "properties": chat.properties,
                "threads": threads,
            })
        })
        .collect();
    json!({ "chats": chats })
}

/// Inbenta apps: rooms, users (agents marked), chats with their history, open sockets.
pub(crate) fn inbenta(shared: &Shared) -> Value {
    let inb = shared.inbenta.lock();
    let mut apps: Vec<Value> = inb
        .apps
        .iter()
        .map(|(app_id, app)| {
            let mut users: Vec<Value> = app
                .users
                .values()
                .map(|u| {
                    json!({
                        "profile": u.profile,
                        "agent": u.agent.as_ref().map(|a| json!({
                            "rooms": a.rooms, "online": a.online, "capacity": a.capacity,
                        })),
                    })
                })
                .collect();
            users.sort_by(|a, b| {
                a["profile"]["id"]
                    .to_string()
                    .cmp(&b["profile"]["id"].to_string())
            });
            let mut chats: Vec<Value> = app
                .chats
                .values()
                .map(|c| json!(app.chat_view(c, &["users", "history"])))
                .collect();
            chats.sort_by(|a, b| a["id"].to_string().cmp(&b["id"].to_string()));
            let sockets = inb.conns.values().filter(|c| &c.app == app_id).count();
            json!({
                "app_id": app_id,
                "rooms": app.config.rooms,
                "users": users,
                "chats": chats,
                "sockets": sockets,
            })
        })
        .collect();
    apps.sort_by(|a, b| a["app_id"].to_string().cmp(&b["app_id"].to_string()));
    json!({ "apps": apps })
}

/// The webhook delivery log, oldest first.
pub(crate) fn webhooks(shared: &Shared) -> Value {
    let log = shared.lock().webhook_queue.log.clone();
    let deliveries: Vec<Value> = log.snapshot().iter().map(delivery).collect();
    json!({ "deliveries": deliveries })
}

fn delivery(d: &WebhookDelivery) -> Value {
    let (outcome, status, detail) = match &d.outcome {
        DeliveryOutcome::Delivered { status } => ("delivered", Some(*status), None),
        DeliveryOutcome::Failed { status, error } => ("failed", *status, Some(error.clone())),
        DeliveryOutcome::Dropped { reason } => ("dropped", None, Some(reason.clone())),
    };
    let at_ms =
        d.at.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
    json!({
        "webhook_id": d.webhook_id,
        "action": d.action,
        "url": d.url,
        "attempt": d.attempt,
        "outcome": outcome,
        "status": status,
        "error": detail,
        "last": d.last,
        "at_ms": at_ms,
        "body": d.body,
    })
}
