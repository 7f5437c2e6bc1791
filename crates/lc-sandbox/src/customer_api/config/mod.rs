//! Customer configuration, status and greeting actions.
//!
//! The widget configuration of a group ([I]; the sandbox has no Configuration API): one
//! text button, the forms enabled with `Sandbox::set_form_enabled` (none by default; the
//! forms are [`default_form`](forms::default_form)'s), no integrations, and the group and
//! license properties. Its `config_version` is a digest of that configuration, so it
//! changes whenever the configuration does; the phrases of `get_localization` are a small
//! English set ([`PHRASES`]) whatever the language asked.
//!
//! This file holds the dispatcher, properties, configuration, localization, goals, URL
//! previews and e-mail verification; `forms` the forms, `groups` group statuses, agent
//! predictions and the welcome message, `greetings` the greetings.

mod forms;
mod greetings;
mod groups;

use crate::handler::{Ctx, Reply, invalid, run};
use crate::state::State;
use forms::{enabled_form, get_form};
use greetings::{accept_greeting, cancel_greeting, send_greeting_button_clicked};
use groups::{get_predicted_agent, group, list_group_statuses, request_welcome_message};
use lc_protocol::customer::{self, GetFormType};
use lc_protocol::error::ApiError;
use lc_protocol::id::{GroupId, OrganizationId};
use lc_protocol::types::Properties;
use lc_protocol::{ApiVersion, Empty};
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub(crate) use greetings::{current_greeting, show_greeting};
pub(crate) use groups::online_groups;

/// The language of every group.
const LANGUAGE: &str = "en";
/// The phrases `get_localization` returns.
const PHRASES: &[(&str, &str)] = &[
    (
        "Agents_currently_not_available",
        "Our agents are not available right now.",
    ),
    ("Chat_now", "Chat now"),
    ("Leave_message", "Leave a message"),
    ("Welcome_title", "Welcome to our LiveChat!"),
    ("Type_message", "Write a message…"),
    ("Send_message", "Send"),
    ("Chat_closed", "The chat has been closed."),
    ("Rate_chat", "Rate this chat"),
];

/// Handles the configuration actions; `None` for actions of other topics.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "list_license_properties" => run(ctx, payload, list_license_properties),
        "list_group_properties" => run(ctx, payload, list_group_properties),
        "get_dynamic_configuration" => run(ctx, payload, get_dynamic_configuration),
        "get_configuration" => run(ctx, payload, get_configuration),
        "get_localization" => run(ctx, payload, get_localization),
        "list_group_statuses" => run(ctx, payload, list_group_statuses),
        "check_goals" => run(ctx, payload, check_goals),
        "get_form" => run(ctx, payload, get_form),
        "get_predicted_agent" => run(ctx, payload, get_predicted_agent),
        "request_welcome_message" => run(ctx, payload, request_welcome_message),
        "get_url_info" => run(ctx, payload, get_url_info),
        "accept_greeting" => run(ctx, payload, accept_greeting),
        "cancel_greeting" => run(ctx, payload, cancel_greeting),
        "send_greeting_button_clicked" => run(ctx, payload, send_greeting_button_clicked),
        "request_email_verification" => run(ctx, payload, request_email_verification),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Properties

/// `list_license_properties` (GET, no authorization): the license properties, narrowed
/// to `namespace` and/or `name`. [I] Customers may read every license property.
fn list_license_properties(
    ctx: &mut Ctx<'_>,
    request: customer::ListLicenseProperties,
) -> Result<Properties, ApiError> {
    Ok(narrowed(
        &ctx.state.license_properties,
        request.namespace.as_deref(),
        request.name.as_deref(),
    ))
}

/// `list_group_properties` (GET, no authorization): the properties of group `id`
/// (`group_not_found` if there is none), narrowed to `namespace` and/or `name`.
fn list_group_properties(
    ctx: &mut Ctx<'_>,
    request: customer::ListGroupProperties,
) -> Result<Properties, ApiError> {
    let group = group(ctx.state, request.id)?;
    Ok(narrowed(
        &group.properties,
        request.namespace.as_deref(),
        request.name.as_deref(),
    ))
}

/// The properties in `namespace` (all when `None`) named `name` (all when `None`).
fn narrowed(properties: &Properties, namespace: Option<&str>, name: Option<&str>) -> Properties {
    let mut out = Properties::new();
    for (ns, values) in &properties.0 {
        if namespace.is_some_and(|wanted| wanted != ns) {
            continue;
        }
        for (key, value) in values {
            if name.is_none_or(|wanted| wanted == key) {
                out.insert(ns, key, value.clone());
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Configuration

/// `get_dynamic_configuration` (GET): for group `group_id` (default group 0,
/// `group_not_found` if unknown) — not over the customer limit, the domain allowed, the
/// online groups, the configuration and localization versions and the language. 3.6
/// nests these under `livechat` beside `organization_id`, `default_widget: livechat` and
/// `livechat_active: true`; 3.5 and older have them at the top level.
fn get_dynamic_configuration(
    ctx: &mut Ctx<'_>,
    request: customer::GetDynamicConfiguration,
) -> Result<customer::GetDynamicConfigurationResponse, ApiError> {
    let group_id = request.group_id.unwrap_or(GroupId(0));
    group(ctx.state, group_id)?;
    let online = online_groups(ctx.state);
    let livechat = customer::GetDynamicConfigurationLivechat {
        group_id,
        client_limit_exceeded: false,
        domain_allowed: true,
        online_group_ids: (!online.is_empty()).then_some(online),
        config_version: digest(&json!(configuration(ctx.state, group_id)).to_string()),
        localization_version: digest(&json!(PHRASES).to_string()),
        language: LANGUAGE.to_owned(),
        ..Default::default()
    };
    if ctx.version >= ApiVersion::V3_6 {
        return Ok(customer::GetDynamicConfigurationResponse {
            organization_id: Some(OrganizationId::new(
                ctx.state.settings.organization_id.clone(),
            )),
            default_widget: Some(customer::DynamicConfigurationWidget::Livechat),
            livechat_active: Some(true),
            livechat: Some(livechat),
            ..Default::default()
        });
    }
    Ok(customer::GetDynamicConfigurationResponse {
        group_id: Some(livechat.group_id),
        client_limit_exceeded: Some(livechat.client_limit_exceeded),
        domain_allowed: Some(livechat.domain_allowed),
        online_group_ids: livechat.online_group_ids,
        config_version: Some(livechat.config_version),
        localization_version: Some(livechat.localization_version),
        language: Some(livechat.language),
        ..Default::default()
    })
}

/// `get_configuration` (GET): the configuration of group `group_id` (`group_not_found`
/// if unknown). [I] Any `version` gets the current configuration.
fn get_configuration(
    ctx: &mut Ctx<'_>,
    request: customer::GetConfiguration,
) -> Result<customer::GetConfigurationResponse, ApiError> {
    group(ctx.state, request.group_id)?;
    Ok(configuration(ctx.state, request.group_id))
}

/// The widget configuration of `group` (see the module doc).
fn configuration(state: &State, group: GroupId) -> customer::GetConfigurationResponse {
    let properties = customer::GetConfigurationProperties {
        group: Some(
            state
                .groups
                .get(&group)
                .map(|g| g.properties.clone())
                .unwrap_or_default(),
        ),
        license: Some(state.license_properties.clone()),
        ..Default::default()
    };
    customer::GetConfigurationResponse {
        buttons: vec![customer::GetConfigurationButton {
            id: "0".to_owned(),
            kind: customer::GetConfigurationButtonType::Text,
            online_value: "Chat now".to_owned(),
            offline_value: "Leave a message".to_owned(),
            extra: serde_json::Map::new(),
        }],
        ticket_form: enabled_form(state, group, &GetFormType::Ticket),
        prechat_form: enabled_form(state, group, &GetFormType::Prechat),
        integrations: serde_json::Map::new(),
        properties,
        ..Default::default()
    }
}

/// `get_localization` (GET): the phrases for group `group_id` (`group_not_found` if
/// unknown). [I] Every language and version gets the English [`PHRASES`].
fn get_localization(
    ctx: &mut Ctx<'_>,
    request: customer::GetLocalization,
) -> Result<BTreeMap<String, String>, ApiError> {
    group(ctx.state, request.group_id)?;
    Ok(PHRASES
        .iter()
        .map(|(key, text)| ((*key).to_owned(), (*text).to_owned()))
        .collect())
}

/// A version string for `text`: `1.0.` and a digest of it (FNV-1a, hex). Like the real
/// versions (`3541.0.1.3…`) it never reads as a number in a query string.
fn digest(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("1.0.{hash:016x}")
}

// ---------------------------------------------------------------------------------------
// Goals, URL previews, e-mail verification

/// `check_goals` (Web): `group_id` must exist (`group_not_found`) and `page_url` must not
/// be empty. [I] The sandbox has no goals: nothing is recorded.
fn check_goals(ctx: &mut Ctx<'_>, request: customer::CheckGoals) -> Result<Empty, ApiError> {
    group(ctx.state, request.group_id)?;
    if request.page_url.trim().is_empty() {
        return Err(invalid("`page_url` must not be empty"));
    }
    Ok(Empty {})
}

/// `get_url_info`: a preview of an `http(s)` URL (`validation` otherwise), derived from
/// the URL alone ([I] the sandbox makes no request): the title is the last path segment
/// in words (`/blog/my-first-post.html` → `My first post`), else the host; the
/// description names the host; the image is the host's `/favicon.ico`, size unknown.
fn get_url_info(
    _ctx: &mut Ctx<'_>,
    request: customer::GetUrlInfo,
) -> Result<customer::GetUrlInfoResponse, ApiError> {
    let (host, path) =
        url_parts(&request.url).ok_or_else(|| invalid("`url` must be an http(s) URL"))?;
    let image = format!("https://{host}/favicon.ico");
    Ok(customer::GetUrlInfoResponse {
        title: Some(title_of(host, path)),
        description: Some(format!("A page of {host}")),
        image_url: Some(image.clone()),
        image_original_url: Some(image),
        url: request.url,
        ..Default::default()
    })
}

/// The host and path of an `http://` or `https://` URL.
fn url_parts(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = host_port.split(':').next().unwrap_or(host_port);
    if host.is_empty() {
        return None;
    }
    let path = tail.split(['?', '#']).next().unwrap_or("");
    Some((host, path))
}

/// The title [`get_url_info`] derives.
fn title_of(host: &str, path: &str) -> String {
    let segment = path.rsplit('/').find(|s| !s.is_empty());
    let Some(segment) = segment else {
        return host.trim_start_matches("www.").to_owned();
    };
    let stem = segment.rsplit_once('.').map_or(segment, |(stem, _)| stem);
    let words = stem.replace(['-', '_', '+'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => host.to_owned(),
    }
}

/// `request_email_verification` (Web): `callback_uri` must be an `http(s)` URL
/// (`validation`). [I] Offline, nobody confirms an e-mail: no callback is ever made.
fn request_email_verification(
    _ctx: &mut Ctx<'_>,
    request: customer::RequestEmailVerification,
) -> Result<Empty, ApiError> {
    url_parts(&request.callback_uri)
        .ok_or_else(|| invalid("`callback_uri` must be an http(s) URL"))?;
    Ok(Empty {})
}
