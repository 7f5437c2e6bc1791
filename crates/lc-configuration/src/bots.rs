//! Bots and their tokens.

use crate::{Call, ConfigurationClient};
use lc_protocol::Transport;
use lc_protocol::configuration::{
    CreateBot, DeleteBot, GetBot, IssueBotToken, ListBots, ResetBotSecret, UpdateBot,
};
use lc_protocol::id::{AgentId, OrganizationId, Token};

impl<T: Transport> ConfigurationClient<T> {
    /// `create_bot`: creates a bot, offline, and returns its id and secret (keep the
    /// secret: `issue_bot_token` needs it and it is not shown again). With a personal
    /// access token, set `owner_client_id` on the call.
    pub fn create_bot(&self, name: impl Into<String>) -> Call<'_, T, CreateBot> {
        self.call(CreateBot::new(name))
    }

    /// `update_bot`: changes the settings set on the call; the others keep their value.
    pub fn update_bot(&self, id: impl Into<AgentId>) -> Call<'_, T, UpdateBot> {
        self.call(UpdateBot::new(id))
    }

    /// `delete_bot`: deletes a bot; its tokens stop working.
    pub fn delete_bot(&self, id: impl Into<AgentId>) -> Call<'_, T, DeleteBot> {
        self.call(DeleteBot::new(id))
    }

    /// `list_bots`: the bots of the calling application (`all(true)` for every bot of the
    /// license), with the optional `fields` set on the call.
    pub fn list_bots(&self) -> Call<'_, T, ListBots> {
        self.call(ListBots::new())
    }

    /// `get_bot`: one bot.
    pub fn get_bot(&self, id: impl Into<AgentId>) -> Call<'_, T, GetBot> {
        self.call(GetBot::new(id))
    }

    /// `issue_bot_token`: a bot token, valid 24 hours, for the Agent Chat Web API. The
    /// bot secret is the credential. To keep a bot token fresh without thinking about
    /// it, use `lc_accounts::BotTokens` instead.
    pub fn issue_bot_token(
        &self,
        bot_id: impl Into<AgentId>,
        client_id: impl Into<String>,
        bot_secret: impl Into<Token>,
        organization_id: impl Into<OrganizationId>,
    ) -> Call<'_, T, IssueBotToken> {
        self.call(IssueBotToken::new(
            bot_id,
            client_id,
            bot_secret,
            organization_id,
        ))
    }

    /// `reset_bot_secret`: gives a bot a new secret; tokens issued before stay valid
    /// until they expire.
    pub fn reset_bot_secret(&self, id: impl Into<AgentId>) -> Call<'_, T, ResetBotSecret> {
        self.call(ResetBotSecret::new(id))
    }
}
