//! Webhook registrations and the state of an application's `license` webhooks.

use crate::{Call, ConfigurationClient};
use lc_protocol::Transport;
use lc_protocol::configuration::{
    DisableLicenseWebhooks, EnableLicenseWebhooks, GetLicenseWebhooksState, ListWebhookNames,
    ListWebhooks, RegisterWebhook, UnregisterWebhook, WebhookType,
};
use lc_protocol::id::Token;

impl<T: Transport> ConfigurationClient<T> {
    /// `register_webhook`: from now on, LiveChat POSTs each `action` (e.g.
    /// `incoming_event`) to `url`, with `secret_key` in the body so that the receiver can
    /// tell the delivery is genuine (`lc_webhooks::WebhookReceiver` checks it). `bot`
    /// webhooks arrive while a bot of `owner_client_id` is not offline, `license` ones
    /// on every license that installed the application. Filters and additional data are
    /// set on the call. At most 3 webhooks per action and application.
    pub fn register_webhook(
        &self,
        action: impl Into<String>,
        secret_key: impl Into<Token>,
        url: impl Into<String>,
        owner_client_id: impl Into<String>,
        kind: WebhookType,
    ) -> Call<'_, T, RegisterWebhook> {
        self.call(RegisterWebhook::new(
            action,
            secret_key,
            url,
            owner_client_id,
            kind,
        ))
    }

    /// `list_webhooks`: the webhooks an application registered (without their secret
    /// keys).
    pub fn list_webhooks(&self, owner_client_id: impl Into<String>) -> Call<'_, T, ListWebhooks> {
        self.call(ListWebhooks::new(owner_client_id))
    }

    /// `unregister_webhook`: removes a registration.
    pub fn unregister_webhook(
        &self,
        id: impl Into<String>,
        owner_client_id: impl Into<String>,
    ) -> Call<'_, T, UnregisterWebhook> {
        self.call(UnregisterWebhook::new(id, owner_client_id))
    }

    /// `list_webhook_names`: every action webhooks can report, with the filters and
    /// additional data each accepts (`version` on the call; default: the session's).
    pub fn list_webhook_names(&self) -> Call<'_, T, ListWebhookNames> {
        self.call(ListWebhookNames::new())
    }

    /// `enable_license_webhooks`: turns the application's `license` webhooks on for the
    /// caller's license (`owner_client_id` on the call with a personal access token).
    pub fn enable_license_webhooks(&self) -> Call<'_, T, EnableLicenseWebhooks> {
        self.call(EnableLicenseWebhooks::new())
    }

    /// `disable_license_webhooks`: turns them off, even across reinstalls.
    pub fn disable_license_webhooks(&self) -> Call<'_, T, DisableLicenseWebhooks> {
        self.call(DisableLicenseWebhooks::new())
    }

    /// `get_license_webhooks_state`: whether they are on.
    pub fn get_license_webhooks_state(&self) -> Call<'_, T, GetLicenseWebhooksState> {
        self.call(GetLicenseWebhooksState::new())
    }
}
