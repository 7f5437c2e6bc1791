//! Group statuses and the `groups_status_updated` push (3.5+): what each group looks
//! like to customers (`online`, `online_for_queue`, `offline`) and to agents
//! (`accepting_chats`, `not_accepting_chats`, `offline`), and the push of the groups
//! whose status changed after routing statuses or connections changed.

use crate::chat_ops;
use crate::outbox::Audience;
use crate::state::State;
use lc_protocol::id::GroupId;
use lc_protocol::types::{AgentGroupStatus, GroupStatus};
use serde_json::json;

/// The status of `group` as customers see it ([I]; group 0 counts every agent):
/// `online` — routing would give a chat of the group to an agent now
/// ([`chat_ops::pick_agent`]); `online_for_queue` — none would, but an agent of the
/// group is logged in (a chat waits until one accepts chats); `offline` — no agent of
/// the group is logged in.
pub(crate) fn group_status(state: &State, group: GroupId) -> GroupStatus {
    if chat_ops::pick_agent(state, &[group], &[]).is_some() {
        return GroupStatus::Online;
    }
    let logged_in = state
        .agents
        .iter()
        .any(|(id, rec)| (group.0 == 0 || rec.groups.contains(&group)) && state.agent_online(id));
    if logged_in {
        GroupStatus::OnlineForQueue
    } else {
        GroupStatus::Offline
    }
}

/// The same status in the Agent API's words.
fn agent_status(status: &GroupStatus) -> AgentGroupStatus {
    match status {
        GroupStatus::Online => AgentGroupStatus::AcceptingChats,
        GroupStatus::OnlineForQueue => AgentGroupStatus::NotAcceptingChats,
        _ => AgentGroupStatus::Offline,
    }
}

/// When routing statuses changed: queues `groups_status_updated` with the groups whose
/// status changed since the last push, for every logged-in customer (every group; a
/// customer may list them all) and for the agents (the groups they have access to).
pub(crate) fn queue_changes(state: &mut State) {
    if !std::mem::take(&mut state.group_statuses.dirty) {
        return;
    }
    let mut changed = Vec::new();
    for group in state.groups.keys().copied().collect::<Vec<_>>() {
        let now = group_status(state, group);
        let before = state
            .group_statuses
            .last
            .get(&group)
            .cloned()
            .unwrap_or(GroupStatus::Offline);
        if now != before {
            state.group_statuses.last.insert(group, now.clone());
            changed.push((group, now));
        }
    }
    if changed.is_empty() {
        return;
    }
    let customers: Vec<_> = changed
        .iter()
        .map(|(id, status)| json!({"id": id, "status": status}))
        .collect();
    state.outbox.customers(
        Audience::AllCustomers,
        "groups_status_updated",
        &json!({ "groups": customers }),
    );
    let online: Vec<_> = state
        .agents
        .keys()
        .filter(|id| state.agent_online(id))
        .cloned()
        .collect();
    for agent in online {
        let groups: Vec<_> = changed
            .iter()
            .filter(|(id, _)| {
                let access = lc_protocol::types::Access {
                    group_ids: vec![*id],
                    ..Default::default()
                };
                state.agent_has_access(&agent, &access)
            })
            .map(|(id, status)| json!({"id": id, "status": agent_status(status)}))
            .collect();
        if groups.is_empty() {
            continue;
        }
        state.outbox.agents(
            Audience::Agents(vec![agent]),
            "groups_status_updated",
            &json!({ "groups": groups }),
        );
    }
}
