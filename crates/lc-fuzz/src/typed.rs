//! Typed decoding of every action's request and response payload, as clients and
//! servers decode them (`serde_json` into the generated types). A test checks that the
//! table has one row per action of `lc_protocol::meta::ACTIONS`.

use lc_protocol::agent;
use lc_protocol::{Action, Api, configuration, customer, inbenta};

/// Decodes a request payload as `A` and a response payload as `A::Response`; neither may
/// panic (errors are fine).
fn decode<A: Action + serde::de::DeserializeOwned>(request: &str, response: &str) -> (bool, bool) {
    (
        serde_json::from_str::<A>(request).is_ok(),
        serde_json::from_str::<A::Response>(response).is_ok(),
    )
}

/// A decoder of one action's payloads.
pub type Decoder = fn(&str, &str) -> (bool, bool);

macro_rules! table {
    ($($api:ident :: $ty:ident),* $(,)?) => {
        /// `(api, wire name, decoder)` for every action.
        pub fn table() -> Vec<(Api, &'static str, Decoder)> {
            vec![$(
                (<$api::$ty as Action>::META.api, <$api::$ty as Action>::NAME, decode::<$api::$ty> as Decoder),
            )*]
        }
    };
}

table! {
    agent::ListChats,
    agent::ListThreads,
    agent::GetChat,
    agent::ListArchives,
    agent::StartChat,
    agent::ResumeChat,
    agent::DeactivateChat,
    agent::FollowChat,
    agent::UnfollowChat,
    agent::GrantChatAccess,
    agent::RevokeChatAccess,
    agent::TransferChat,
    agent::AddUserToChat,
    agent::RemoveUserFromChat,
    agent::SendEvent,
    agent::SendEventPreview,
    agent::UploadFile,
    agent::SendRichMessagePostback,
    agent::UpdateChatProperties,
    agent::DeleteChatProperties,
    agent::UpdateThreadProperties,
    agent::DeleteThreadProperties,
    agent::UpdateEventProperties,
    agent::DeleteEventProperties,
    agent::TagThread,
    agent::UntagThread,
    agent::GetCustomer,
    agent::ListCustomers,
    agent::CreateCustomer,
    agent::UpdateCustomer,
    agent::BanCustomer,
    agent::FollowCustomer,
    agent::UnfollowCustomer,
    agent::SubscribeCustomers,
    agent::UnsubscribeCustomers,
    agent::Login,
    agent::Logout,
    agent::SetAwayStatus,
    agent::SetRoutingStatus,
    agent::ListRoutingStatuses,
    agent::UpdateSession,
    agent::ChangePushNotifications,
    agent::MarkEventsAsSeen,
    agent::SendTypingIndicator,
    agent::SendThinkingIndicator,
    agent::Multicast,
    agent::ListAgentsForTransfer,
    agent::RequestThreadSummary,
    agent::GetLicenseInfo,
    agent::Ping,
    customer::Login,
    customer::Ping,
    customer::ListChats,
    customer::ListThreads,
    customer::GetChat,
    customer::StartChat,
    customer::ResumeChat,
    customer::DeactivateChat,
    customer::SendEvent,
    customer::DeleteEvent,
    customer::UploadFile,
    customer::SendRichMessagePostback,
    customer::SendSneakPeek,
    customer::UpdateChatProperties,
    customer::DeleteChatProperties,
    customer::UpdateThreadProperties,
    customer::DeleteThreadProperties,
    customer::UpdateEventProperties,
    customer::DeleteEventProperties,
    customer::ListLicenseProperties,
    customer::ListGroupProperties,
    customer::UpdateCustomer,
    customer::UpdateCustomerPage,
    customer::SetCustomerSessionFields,
    customer::GetCustomer,
    customer::ListGroupStatuses,
    customer::CheckGoals,
    customer::GetForm,
    customer::GetPredictedAgent,
    customer::RequestWelcomeMessage,
    customer::GetUrlInfo,
    customer::MarkEventsAsSeen,
    customer::AcceptGreeting,
    customer::CancelGreeting,
    customer::SendGreetingButtonClicked,
    customer::RequestEmailVerification,
    customer::GetDynamicConfiguration,
    customer::GetConfiguration,
    customer::GetLocalization,
    customer::ActivateCustomerPage,
    customer::DeactivateCustomerPage,
    inbenta::ChatsCreate,
    inbenta::ChatsGet,
    inbenta::ChatsAssign,
    inbenta::ChatsJoin,
    inbenta::MessagesSend,
    inbenta::UsersActivity,
    inbenta::UserFocus,
    inbenta::MessagesRead,
    inbenta::ChatsClose,
    inbenta::HistoryImport,
    inbenta::UsersChats,
    configuration::CreateBot,
    configuration::UpdateBot,
    configuration::DeleteBot,
    configuration::ListBots,
    configuration::GetBot,
    configuration::IssueBotToken,
    configuration::ResetBotSecret,
    configuration::RegisterWebhook,
    configuration::ListWebhooks,
    configuration::UnregisterWebhook,
    configuration::ListWebhookNames,
    configuration::EnableLicenseWebhooks,
    configuration::DisableLicenseWebhooks,
    configuration::GetLicenseWebhooksState,
    configuration::ListGroups,
    configuration::GetGroup,
    configuration::ListAgents,
    configuration::GetAgent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_every_action() {
        let table = table();
        for meta in lc_protocol::meta::ACTIONS {
            assert!(
                table
                    .iter()
                    .any(|(api, name, _)| *api == meta.api && *name == meta.name),
                "{} {} is missing from typed::table",
                meta.api,
                meta.name
            );
        }
        assert_eq!(table.len(), lc_protocol::meta::ACTIONS.len());
    }
}
