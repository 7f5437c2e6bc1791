//! The webhooks applications registered (`register_webhook`) and the per-application
//! state of their `license` webhooks: what the Configuration API writes and webhook
//! delivery reads.

use lc_protocol::ApiVersion;
use lc_protocol::configuration::{WebhookAdditionalData, WebhookFilters, WebhookType};
use std::collections::{BTreeMap, BTreeSet};

/// At most this many webhooks per action and application.
pub(crate) const MAX_PER_ACTION: usize = 3;

/// One registration.
#[derive(Debug, Clone)]
pub(crate) struct Registration {
    /// Its id: the `webhook_id` of its deliveries.
    pub(crate) id: String,
    /// The action it reports.
    pub(crate) action: String,
    /// Echoed in every delivery.
    pub(crate) secret_key: String,
    /// Where deliveries go.
    pub(crate) url: String,
    /// The application it belongs to.
    pub(crate) owner_client_id: String,
    /// `bot` or `license`.
    pub(crate) kind: WebhookType,
    pub(crate) description: Option<String>,
    pub(crate) filters: WebhookFilters,
    pub(crate) additional_data: Vec<WebhookAdditionalData>,
    /// The API version of the URL it was registered with: its payloads have that shape.
    pub(crate) version: ApiVersion,
}

/// Every registration, and which applications turned their `license` webhooks off.
#[derive(Debug, Default)]
pub(crate) struct WebhookRegistry {
    /// By id, in registration order of ids.
    pub(crate) registrations: BTreeMap<String, Registration>,
    /// Client ids whose `license` webhooks are off (`disable_license_webhooks`).
    pub(crate) license_disabled: BTreeSet<String>,
}

impl WebhookRegistry {
    /// The registrations reporting `action`.
    pub(crate) fn for_action<'a>(
        &'a self,
        action: &'a str,
    ) -> impl Iterator<Item = &'a Registration> + 'a {
        self.registrations
            .values()
            .filter(move |r| r.action == action)
    }
}
