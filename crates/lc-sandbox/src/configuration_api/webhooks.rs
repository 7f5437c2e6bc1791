//! The webhook registration actions (§3.2, §3.3, Q25): `register_webhook`,
//! `list_webhooks`, `unregister_webhook`, and the per-application state of `license`
//! webhooks (`enable_license_webhooks`, `disable_license_webhooks`,
//! `get_license_webhooks_state`). They write [`crate::webhook_registry`]; delivery reads
//! it elsewhere.
//!
//! [G] choices: an action the URL's version cannot report, a filter the action does not
//! take, `values` with `exclude_values`, an empty or over-500-character `url` are
//! `validation`; a fourth registration of one action for one application is
//! `limit_reached`; unregistering an unknown id or another application's is `not_found`.
//! Any non-empty `owner_client_id` is accepted.

use super::access::{deny_bot_token, owner_client_id};
use super::webhook_names::{WebhookAction, find};
use crate::bots::hex32;
use crate::handler::{Ctx, Reply, err, invalid, not_found, run};
use crate::webhook_registry::{MAX_PER_ACTION, Registration};
use lc_protocol::Empty;
use lc_protocol::configuration::{
    DisableLicenseWebhooks, EnableLicenseWebhooks, GetLicenseWebhooksState,
    GetLicenseWebhooksStateResponse, ListWebhooks, RegisterWebhook, RegisterWebhookResponse,
    RegisteredWebhook, UnregisterWebhook, WebhookFilters,
};
use lc_protocol::error::{ApiError, ErrorType};
use serde_json::value::RawValue;

/// The longest `url` accepted.
const MAX_URL: usize = 500;

/// Handles the registration actions; `None` for other actions. Bot tokens may call none
/// of them.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    let handler: fn(&mut Ctx<'_>, &RawValue) -> Reply = match action {
        "register_webhook" => |ctx: &mut Ctx<'_>, p: &RawValue| run(ctx, p, register_webhook),
        "list_webhooks" => |ctx: &mut Ctx<'_>, p: &RawValue| run(ctx, p, list_webhooks),
        "unregister_webhook" => |ctx: &mut Ctx<'_>, p: &RawValue| run(ctx, p, unregister_webhook),
        "enable_license_webhooks" => |ctx: &mut Ctx<'_>, p: &RawValue| run(ctx, p, enable),
        "disable_license_webhooks" => |ctx: &mut Ctx<'_>, p: &RawValue| run(ctx, p, disable),
        "get_license_webhooks_state" => |ctx: &mut Ctx<'_>, p: &RawValue| run(ctx, p, get_state),
        _ => return None,
    };
    Some(deny_bot_token(ctx, action).and_then(|()| handler(ctx, payload)))
}

/// `register_webhook`: validates, then stores the registration with the URL's version.
fn register_webhook(
    ctx: &mut Ctx<'_>,
    request: RegisterWebhook,
) -> Result<RegisterWebhookResponse, ApiError> {
    let owner = owner_client_id(ctx, Some(&request.owner_client_id))?;
    let action = find(ctx.version, &request.action).ok_or_else(|| {
        invalid(format!(
            "`{}` is not a webhook action of version {}",
            request.action, ctx.version
        ))
    })?;
    if request.url.trim().is_empty() || request.url.chars().count() > MAX_URL {
        return Err(invalid(format!("`url` must be 1 to {MAX_URL} characters")));
    }
    if request.secret_key.expose().is_empty() {
        return Err(invalid("`secret_key` must not be empty"));
    }
    if request.kind.is_unknown() {
        return Err(invalid(format!("Unknown webhook type `{}`", request.kind)));
    }
    let filters = request.filters.unwrap_or_default();
    check_filters(action, &filters)?;
    let additional_data = request.additional_data.unwrap_or_default();
    if let Some(unknown) = additional_data.iter().find(|d| d.is_unknown()) {
        return Err(invalid(format!("Unknown additional data `{unknown}`")));
    }
    if !additional_data.is_empty() && !action.additional_data {
        return Err(invalid(format!(
            "`{}` webhooks take no additional data",
            action.name
        )));
    }
    let registry = &mut ctx.state.webhooks;
    let taken = registry
        .for_action(action.name)
        .filter(|r| r.owner_client_id == owner)
        .count();
    if taken >= MAX_PER_ACTION {
        return Err(err(
            ErrorType::LimitReached,
            format!(
                "At most {MAX_PER_ACTION} webhooks per action and application (`{}`)",
                action.name
            ),
        ));
    }
    let id = hex32();
    registry.registrations.insert(
        id.clone(),
        Registration {
            id: id.clone(),
            action: action.name.to_owned(),
            secret_key: request.secret_key.expose().to_owned(),
            url: request.url,
            owner_client_id: owner,
            kind: request.kind,
            description: request.description,
            filters,
            additional_data,
            version: ctx.version,
        },
    );
    Ok(RegisterWebhookResponse {
        id,
        extra: Default::default(),
    })
}

/// The filters `action` takes (§3.3, the table of [`super::webhook_names`]: e.g.
/// `author_type` only on `incoming_event` and `event_updated`), `values` or
/// `exclude_values` but not both, known `source_type` values, no unknown key.
fn check_filters(action: &WebhookAction, filters: &WebhookFilters) -> Result<(), ApiError> {
    let refuse = |key: &str| {
        invalid(format!(
            "The `{key}` filter is not available for `{}`",
            action.name
        ))
    };
    if let Some(key) = filters.extra.keys().next() {
        return Err(invalid(format!("Unknown filter `{key}`")));
    }
    let given = [
        ("author_type", filters.author_type.is_some()),
        ("only_my_chats", filters.only_my_chats.is_some()),
        ("chat_presence", filters.chat_presence.is_some()),
        ("source_type", filters.source_type.is_some()),
        ("agent_ids", filters.agent_ids.is_some()),
    ];
    for (key, present) in given {
        if present && !action.filters.contains(&key) {
            return Err(refuse(key));
        }
    }
    if let Some(presence) = &filters.chat_presence {
        let ids = presence.user_ids.as_ref();
        if ids.is_some_and(|ids| ids.values.is_some() && ids.exclude_values.is_some()) {
            return Err(invalid(
                "`chat_presence.user_ids` takes `values` or `exclude_values`, not both",
            ));
        }
    }
    if let Some(unknown) = filters
        .source_type
        .iter()
        .flatten()
        .find(|s| s.is_unknown())
    {
        return Err(invalid(format!("Unknown source type `{unknown}`")));
    }
    if filters.author_type.as_ref().is_some_and(|a| {
        !matches!(
            a,
            lc_protocol::types::UserType::Agent | lc_protocol::types::UserType::Customer
        )
    }) {
        return Err(invalid("`author_type` is `agent` or `customer`"));
    }
    Ok(())
}

/// `list_webhooks`: the application's registrations, without their secrets.
fn list_webhooks(
    ctx: &mut Ctx<'_>,
    request: ListWebhooks,
) -> Result<Vec<RegisteredWebhook>, ApiError> {
    let owner = owner_client_id(ctx, Some(&request.owner_client_id))?;
    Ok(ctx
        .state
        .webhooks
        .registrations
        .values()
        .filter(|r| r.owner_client_id == owner)
        .map(|r| RegisteredWebhook {
            id: r.id.clone(),
            url: r.url.clone(),
            description: r.description.clone(),
            action: r.action.clone(),
            filters: Some(r.filters.clone()),
            additional_data: (!r.additional_data.is_empty()).then(|| r.additional_data.clone()),
            owner_client_id: Some(r.owner_client_id.clone()),
            kind: Some(r.kind.clone()),
            extra: Default::default(),
        })
        .collect())
}

/// `unregister_webhook`: `not_found` for an unknown id or another application's.
fn unregister_webhook(ctx: &mut Ctx<'_>, request: UnregisterWebhook) -> Result<Empty, ApiError> {
    let owner = owner_client_id(ctx, Some(&request.owner_client_id))?;
    let registry = &mut ctx.state.webhooks;
    match registry.registrations.get(&request.id) {
        Some(r) if r.owner_client_id == owner => {
            registry.registrations.remove(&request.id);
            Ok(Empty {})
        }
        _ => Err(not_found(format_args!("Webhook `{}`", request.id))),
    }
}

/// `enable_license_webhooks`: the application's `license` webhooks are delivered again.
fn enable(ctx: &mut Ctx<'_>, request: EnableLicenseWebhooks) -> Result<Empty, ApiError> {
    let owner = owner_client_id(ctx, request.owner_client_id.as_deref())?;
    ctx.state.webhooks.license_disabled.remove(&owner);
    Ok(Empty {})
}

/// `disable_license_webhooks`: the application's `license` webhooks are not delivered.
fn disable(ctx: &mut Ctx<'_>, request: DisableLicenseWebhooks) -> Result<Empty, ApiError> {
    let owner = owner_client_id(ctx, request.owner_client_id.as_deref())?;
    ctx.state.webhooks.license_disabled.insert(owner);
    Ok(Empty {})
}

/// `get_license_webhooks_state`: whether the application's `license` webhooks are on.
fn get_state(
    ctx: &mut Ctx<'_>,
    request: GetLicenseWebhooksState,
) -> Result<GetLicenseWebhooksStateResponse, ApiError> {
    let owner = owner_client_id(ctx, request.owner_client_id.as_deref())?;
    Ok(GetLicenseWebhooksStateResponse {
        license_webhooks_enabled: !ctx.state.webhooks.license_disabled.contains(&owner),
        extra: Default::default(),
    })
}
