//! The webhook actions of API 3.5 and 3.6 with the filters and additional data each
//! takes (§3.5 of the facts): the one table `register_webhook` validates against and
//! `list_webhook_names` serves. [G] Versions 3.3 and 3.4 use the 3.5 table.

use crate::handler::{Ctx, Reply, invalid, run};
use lc_protocol::ApiVersion;
use lc_protocol::configuration::{ListWebhookNames, WebhookName};
use lc_protocol::error::ApiError;
use serde_json::value::RawValue;

/// Filters of chat-scoped actions: `chat_presence`, `only_my_chats`, `source_type`.
const CHAT: &[&str] = &["chat_presence", "only_my_chats", "source_type"];
/// Filters of the event actions: the chat ones and `author_type`.
const EVENT: &[&str] = &[
    "chat_presence",
    "author_type",
    "only_my_chats",
    "source_type",
];
/// Filters of configuration actions: `source_type` only.
const SOURCE: &[&str] = &["source_type"];
/// `routing_status_set`: `agent_ids` and `source_type`.
const ROUTING: &[&str] = &["agent_ids", "source_type"];
/// `customer_session_fields_updated`: `chat_presence` and `source_type`.
const SESSION: &[&str] = &["chat_presence", "source_type"];

/// In which versions an action exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Versions {
    Both,
    /// 3.5 only (`incoming_customer`).
    Only35,
    /// 3.6 only (`event_deleted`, `thread_summary_set`).
    Only36,
}

/// One webhook action.
#[derive(Debug)]
pub(super) struct WebhookAction {
    /// Its name (`action` of registrations and deliveries).
    pub(super) name: &'static str,
    /// The filter keys it takes.
    pub(super) filters: &'static [&'static str],
    /// Whether it takes `additional_data`.
    pub(super) additional_data: bool,
    versions: Versions,
}

/// A table row.
const fn action(
    name: &'static str,
    filters: &'static [&'static str],
    additional_data: bool,
    versions: Versions,
) -> WebhookAction {
    WebhookAction {
        name,
        filters,
        additional_data,
        versions,
    }
}

/// Every webhook action of 3.5 and 3.6.
const ACTIONS: &[WebhookAction] = &[
    action("incoming_chat", CHAT, true, Versions::Both),
    action("chat_deactivated", CHAT, true, Versions::Both),
    action("chat_access_updated", CHAT, true, Versions::Both),
    action("chat_transferred", CHAT, true, Versions::Both),
    action("user_added_to_chat", CHAT, true, Versions::Both),
    action("user_removed_from_chat", CHAT, true, Versions::Both),
    action("incoming_event", EVENT, true, Versions::Both),
    action("event_deleted", CHAT, true, Versions::Only36),
    action("event_updated", EVENT, true, Versions::Both),
    action("incoming_rich_message_postback", CHAT, true, Versions::Both),
    action("chat_properties_updated", CHAT, true, Versions::Both),
    action("chat_properties_deleted", CHAT, true, Versions::Both),
    action("thread_properties_updated", CHAT, true, Versions::Both),
    action("thread_properties_deleted", CHAT, true, Versions::Both),
    action("event_properties_updated", CHAT, true, Versions::Both),
    action("event_properties_deleted", CHAT, true, Versions::Both),
    action("thread_tagged", CHAT, true, Versions::Both),
    action("thread_untagged", CHAT, true, Versions::Both),
    action("routing_status_set", ROUTING, true, Versions::Both),
    action(
        "customer_session_fields_updated",
        SESSION,
        true,
        Versions::Both,
    ),
    action("incoming_customer", SOURCE, false, Versions::Only35),
    action("agent_created", SOURCE, true, Versions::Both),
    action("agent_approved", SOURCE, true, Versions::Both),
    action("agent_updated", SOURCE, true, Versions::Both),
    action("agent_suspended", SOURCE, true, Versions::Both),
    action("agent_unsuspended", SOURCE, true, Versions::Both),
    action("agent_deleted", SOURCE, false, Versions::Both),
    action("auto_accesses_updated", SOURCE, true, Versions::Both),
    action("bot_created", SOURCE, true, Versions::Both),
    action("bot_updated", SOURCE, true, Versions::Both),
    action("bot_deleted", SOURCE, true, Versions::Both),
    action("group_created", SOURCE, true, Versions::Both),
    action("group_updated", SOURCE, true, Versions::Both),
    action("group_deleted", SOURCE, true, Versions::Both),
    action("tag_created", SOURCE, true, Versions::Both),
    action("tag_updated", SOURCE, true, Versions::Both),
    action("tag_deleted", SOURCE, true, Versions::Both),
    action("events_marked_as_seen", CHAT, true, Versions::Both),
    action("thread_summary_set", CHAT, true, Versions::Only36),
];

/// The additional data every action that takes some may ask for.
const ADDITIONAL_DATA: &[&str] = &["chat_properties", "chat_presence_user_ids"];

impl WebhookAction {
    /// Whether webhooks registered with `version` can report it.
    fn exists_in(&self, version: ApiVersion) -> bool {
        match self.versions {
            Versions::Both => true,
            Versions::Only35 => version < ApiVersion::V3_6,
            Versions::Only36 => version >= ApiVersion::V3_6,
        }
    }
}

/// The actions webhooks registered with `version` can report.
pub(super) fn actions(version: ApiVersion) -> impl Iterator<Item = &'static WebhookAction> {
    ACTIONS.iter().filter(move |a| a.exists_in(version))
}

/// The action `name` in `version`, if webhooks can report it.
pub(super) fn find(version: ApiVersion, name: &str) -> Option<&'static WebhookAction> {
    actions(version).find(|a| a.name == name)
}

/// Handles `list_webhook_names`; `None` for other actions.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    (action == "list_webhook_names").then(|| run(ctx, payload, list_webhook_names))
}

/// `list_webhook_names`: the table for `version` (`"3.5"`, `"3.6"`; default: the version
/// of the URL); a version the sandbox does not serve is `validation`.
fn list_webhook_names(
    ctx: &mut Ctx<'_>,
    request: ListWebhookNames,
) -> Result<Vec<WebhookName>, ApiError> {
    let version = match request.version.as_deref() {
        None => ctx.version,
        Some(text) => text
            .trim_start_matches('v')
            .parse::<ApiVersion>()
            .map_err(|_| invalid(format!("Unknown version `{text}`")))?,
    };
    Ok(actions(version)
        .map(|a| WebhookName {
            action: a.name.to_owned(),
            filters: Some(a.filters.iter().map(|f| (*f).to_owned()).collect()),
            additional_data: a
                .additional_data
                .then(|| ADDITIONAL_DATA.iter().map(|d| (*d).to_owned()).collect()),
            extra: Default::default(),
        })
        .collect())
}
