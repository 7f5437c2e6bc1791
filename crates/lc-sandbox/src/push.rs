//! Pushes: collected while an action runs (in the state's [`Outbox`](crate::outbox::Outbox)),
//! fanned out to the connections afterwards.

use crate::outbox::Audience;
use crate::state::{ConnId, ConnRec, Principal, State};
use lc_protocol::wire::livechat;
use lc_protocol::{Api, ApiVersion, meta};
use serde_json::value::RawValue;

/// Closes the connections queued with [`Outbox::close_after`].
fn close_queued(state: &mut State) {
    for (conn, reason) in state.outbox.take_closes() {
        match reason {
            Some(reason) => crate::state::close_conn(state, conn, reason),
            None => {
                if let Some(c) = state.conns.get(&conn) {
                    c.tx.send(crate::state::Outgoing::Close);
                }
            }
        }
    }
}

/// Sends every queued push to the connections that should get it (and offers it to
/// webhook delivery first, whoever is connected). The requester's own connection
/// (`origin`) gets the request id.
pub(crate) fn deliver(state: &mut State, origin: Option<(ConnId, Option<&str>)>) {
    crate::queue::sync(state);
    crate::group_statuses::queue_changes(state);
    let mut candidates = Vec::new();
    for push in state.outbox.take() {
        crate::webhook_delivery::select::offer(state, &push);
        // The pre-3.6 shapes, made for the first older connection that needs one.
        let mut older: [Option<Option<Box<RawValue>>>; 2] = [None, None];
        candidates.clear();
        collect_candidates(state, &push.audience, push.name, &mut candidates);
        for conn_id in &candidates {
            let Some(conn) = state.conns.get(conn_id) else {
                continue;
            };
            let Some(principal) = &conn.principal else {
                continue;
            };
            if push.except.as_ref() == Some(principal) {
                continue;
            }
            let payload = match conn.api {
                Api::Agent => push.agent.as_ref(),
                Api::Customer => push.customer.as_ref(),
                Api::Inbenta | Api::Configuration => None,
            };
            let Some(mut payload) = payload else { continue };
            if !in_audience(state, &push.audience, push.name, *conn_id, principal) {
                continue;
            }
            let Some(version) = delivery_version(conn, push.name) else {
                continue;
            };
            if conn.version < ApiVersion::V3_6
                && crate::push_shapes::differs_before_3_6(conn.api, push.name)
            {
                let slot = usize::from(conn.api == Api::Customer);
                let shaped = older[slot].get_or_insert_with(|| {
                    crate::push_shapes::before_3_6(conn.api, push.name, payload)
                });
                if let Some(shaped) = shaped {
                    payload = shaped;
                }
            }
            let request_id = match origin {
                Some((origin, request_id)) if origin == *conn_id => request_id,
                _ => None,
            };
            conn.send(livechat::encode_push(
                version, request_id, push.name, payload,
            ));
        }
    }
    // What comes next (e.g. a connection closing) is no application's doing.
    state.outbox.source_client_id = None;
    close_queued(state);
    check_indexes(state);
}

/// Debug builds (every test run) check the state's indexes against a rebuild after each
/// action, while the state is small enough for that to stay cheap.
fn check_indexes(state: &State) {
    /// Above this many connections and chats, the rebuild is skipped (load tests).
    const SMALL: usize = 256;
    if cfg!(debug_assertions) && state.conns.len() + state.chats.len() <= SMALL {
        let mismatch = state.index_mismatch();
        debug_assert!(mismatch.is_none(), "stale index: {mismatch:?}");
    }
}

/// The connections that may be in `audience`, in id order, each once: the logged-in
/// connections of its users, found in the index (or every connection, for every agent).
/// [`in_audience`] decides for each.
fn collect_candidates(state: &State, audience: &Audience, name: &str, out: &mut Vec<ConnId>) {
    let mut add = |user: &str| out.extend(state.user_conns(user));
    match audience {
        Audience::Conn(id) => out.push(*id),
        Audience::AllAgents | Audience::AllCustomers => {
            out.extend(state.conns.keys());
            return;
        }
        Audience::Agents(ids) => ids.iter().for_each(|id| add(id.as_str())),
        Audience::Customer(id) => add(id.as_str()),
        Audience::Chat(chat) | Audience::ChatAgents(chat) => {
            let Some(chat) = state.chats.get(chat) else {
                return;
            };
            for user in &chat.users {
                add(user.principal.user_id_str());
            }
            chat.followers.iter().for_each(|id| add(id.as_str()));
            if KEY_PUSHES.contains(&name) {
                chat.unfollowers.iter().for_each(|id| add(id.as_str()));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
}

/// The version in which `conn` receives the push `name`, or `None` when it does not
/// receive it (§1.8, §8 item 13):
///
/// - without a login `pushes` subscription: every push that exists in the connection's
///   version, in that version;
/// - with one (`{"3.6": ["incoming_chat"], "3.5": ["all"]}`): the push is delivered when
///   some listed version names it (or `"all"`) and has it. It is delivered once, labelled
///   with the connection's version when that version's list covers it, else with the
///   oldest other listed version that does. [I] The payload has the shape of the
///   connection's version ([`crate::push_shapes`]) whatever the label; versions it does
///   not serve (`"3.7"`) are ignored.
fn delivery_version(conn: &ConnRec, name: &str) -> Option<ApiVersion> {
    let has = |version: ApiVersion| {
        meta::find_push(conn.api, name)
            .is_none_or(|m| m.versions.is_none_or(|range| range.contains(version)))
    };
    let Some(subscriptions) = &conn.pushes else {
        return has(conn.version).then_some(conn.version);
    };
    let mut listed: Vec<ApiVersion> = subscriptions
        .iter()
        .filter(|(_, names)| names.iter().any(|n| n == "all" || n == name))
        .filter_map(|(version, _)| version.parse().ok())
        .collect();
    listed.sort_by_key(|v| (*v != conn.version, *v));
    listed.into_iter().find(|v| has(*v))
}

/// The chat pushes that agents who unfollowed a chat still receive: its "key changes".
pub(crate) const KEY_PUSHES: &[&str] = &["chat_transferred", "chat_deactivated"];

fn in_audience(
    state: &State,
    audience: &Audience,
    name: &str,
    conn: ConnId,
    who: &Principal,
) -> bool {
    match (audience, who) {
        (Audience::Conn(id), _) => *id == conn,
        (Audience::AllAgents, Principal::Agent(_)) => true,
        (Audience::AllCustomers, Principal::Customer(_)) => true,
        (Audience::Agents(ids), Principal::Agent(id)) => ids.contains(id),
        (Audience::Customer(target), Principal::Customer(id)) => target == id,
        (Audience::Chat(chat) | Audience::ChatAgents(chat), Principal::Agent(id)) => {
            state.chats.get(chat).is_some_and(|c| {
                c.user(who).is_some()
                    || c.followers.contains(id)
                    || (c.unfollowers.contains(id) && KEY_PUSHES.contains(&name))
            })
        }
        (Audience::Chat(chat), Principal::Customer(id)) => state
            .chats
            .get(chat)
            .is_some_and(|c| c.customer() == Some(id)),
        _ => false,
    }
}
