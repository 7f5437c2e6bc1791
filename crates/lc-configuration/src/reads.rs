//! The groups and agents a bot routes chats to.

use crate::{Call, ConfigurationClient};
use lc_protocol::Transport;
use lc_protocol::configuration::{GetAgent, GetGroup, ListAgents, ListGroups};
use lc_protocol::id::{AgentId, GroupId};

impl<T: Transport> ConfigurationClient<T> {
    /// `list_groups`: every group of the license (`fields` such as `agent_priorities` on
    /// the call).
    pub fn list_groups(&self) -> Call<'_, T, ListGroups> {
        self.call(ListGroups::new())
    }

    /// `get_group`: one group.
    pub fn get_group(&self, id: impl Into<GroupId>) -> Call<'_, T, GetGroup> {
        self.call(GetGroup::new(id))
    }

    /// `list_agents`: the license's agents (bots are listed by
    /// [`list_bots`](Self::list_bots)), with `filters` and `fields` on the call.
    pub fn list_agents(&self) -> Call<'_, T, ListAgents> {
        self.call(ListAgents::new())
    }

    /// `get_agent`: one agent, by its login e-mail.
    pub fn get_agent(&self, id: impl Into<AgentId>) -> Call<'_, T, GetAgent> {
        self.call(GetAgent::new(id))
    }
}
