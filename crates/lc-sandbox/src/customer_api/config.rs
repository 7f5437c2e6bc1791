//! Customer configuration, status and greeting actions.
//!
//! The widget configuration of a group ([I]; the sandbox has no Configuration API): one
//! text button, the forms enabled with `Sandbox::set_form_enabled` (none by default; the
//! forms are [`default_form`]'s), no integrations, and the group and license
//! properties. Its `config_version` is a digest of that configuration, so it changes
//! whenever the configuration does; the phrases of `get_localization` are a small
//! English set ([`PHRASES`]) whatever the language asked.

use crate::chat_ops;
use crate::dispatch::{Ctx, Reply, err, invalid, run};
use crate::push::Audience;
use crate::state::{GreetingRec, GreetingStatus, GroupRec, State};
use lc_protocol::customer::{self, GetFormType};
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, CustomerId, EventId, GroupId, OrganizationId, UserId};
use lc_protocol::types::{
    Event, Form, FormField, FormFieldOption, FormFieldType, Greeting, GreetingAgent, GroupStatus,
    MessageEvent, Properties, UserType,
};
use lc_protocol::{ApiVersion, Empty};
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

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
/// The text of the welcome message (`request_welcome_message`).
const WELCOME_TEXT: &str = "Hello! How can I help you today?";

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

/// Group `id`, or `group_not_found`.
fn group(state: &State, id: GroupId) -> Result<&GroupRec, ApiError> {
    state.groups.get(&id).ok_or_else(|| {
        err(
            ErrorType::GroupNotFound,
            format!("Group `{}` not found", id.0),
        )
    })
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
// Forms

/// `get_form`: whether the form of `type` is enabled for group `group_id`
/// (`group_not_found` if unknown) and, when it is, the form. Forms are disabled until
/// `Sandbox::set_form_enabled` enables them.
fn get_form(
    ctx: &mut Ctx<'_>,
    request: customer::GetForm,
) -> Result<customer::GetFormResponse, ApiError> {
    group(ctx.state, request.group_id)?;
    let form = enabled_form(ctx.state, request.group_id, &request.kind);
    Ok(customer::GetFormResponse {
        enabled: form.is_some(),
        form,
        ..Default::default()
    })
}

/// The form of `kind` of `group`, when enabled.
fn enabled_form(state: &State, group: GroupId, kind: &GetFormType) -> Option<Form> {
    state
        .enabled_forms
        .contains(&(group, kind.as_str().to_owned()))
        .then(|| default_form(kind))
        .flatten()
}

/// The form the sandbox shows for `kind` ([I] the real forms are configured per group):
///
/// - `prechat`: a header, `name` (optional) and `email` (required);
/// - `postchat`: a header and a required `radio` question rating the chat (good / bad);
/// - `ticket`: a header, `name` (optional), `email` (required), `subject` (optional) and
///   a required `textarea` message.
///
/// `None` for a kind the sandbox does not know.
pub(crate) fn default_form(kind: &GetFormType) -> Option<Form> {
    let fields = match kind {
        GetFormType::Prechat => vec![
            field(
                FormFieldType::Header,
                "Welcome! Please introduce yourself:",
                None,
            ),
            field(FormFieldType::Name, "Name:", Some(false)),
            field(FormFieldType::Email, "E-mail:", Some(true)),
        ],
        GetFormType::Postchat => vec![
            field(
                FormFieldType::Header,
                "Thank you for chatting with us!",
                None,
            ),
            FormField {
                options: Some(vec![option("good", "Good"), option("bad", "Bad")]),
                ..field(
                    FormFieldType::Radio,
                    "How would you rate the chat?",
                    Some(true),
                )
            },
        ],
        GetFormType::Ticket => vec![
            field(
                FormFieldType::Header,
                "Our agents are not available right now. Leave a message:",
                None,
            ),
            field(FormFieldType::Name, "Name:", Some(false)),
            field(FormFieldType::Email, "E-mail:", Some(true)),
            field(FormFieldType::Subject, "Subject:", Some(false)),
            field(FormFieldType::Textarea, "Message:", Some(true)),
        ],
        _ => return None,
    };
    let fields = fields
        .into_iter()
        .enumerate()
        .map(|(index, f)| FormField {
            id: Some(index.to_string()),
            ..f
        })
        .collect();
    Some(Form {
        id: Some(kind.as_str().to_owned()),
        fields,
        ..Default::default()
    })
}

/// A form field.
fn field(kind: FormFieldType, label: &str, required: Option<bool>) -> FormField {
    FormField {
        kind,
        id: None,
        label: Some(label.to_owned()),
        required,
        options: None,
        extra: Default::default(),
    }
}

/// A choice of a form field.
fn option(id: &str, label: &str) -> FormFieldOption {
    FormFieldOption {
        id: id.to_owned(),
        label: label.to_owned(),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------
// Group statuses and agent predictions

/// `list_group_statuses`: the status of every group (`all: true`) or of the listed
/// ones (unknown ids are left out); one of the two is required (`validation`).
fn list_group_statuses(
    ctx: &mut Ctx<'_>,
    request: customer::ListGroupStatuses,
) -> Result<customer::ListGroupStatusesResponse, ApiError> {
    let state = &*ctx.state;
    let ids: Vec<GroupId> = match (request.all, request.group_ids) {
        (Some(true), _) => state.groups.keys().copied().collect(),
        (_, Some(ids)) => ids,
        _ => return Err(invalid("`all: true` or `group_ids` is required")),
    };
    let groups_status = ids
        .into_iter()
        .filter(|id| state.groups.contains_key(id))
        .map(|id| (id.0.to_string(), group_status(state, id)))
        .collect();
    Ok(customer::ListGroupStatusesResponse {
        groups_status,
        ..Default::default()
    })
}

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

/// The groups whose status is `online`.
pub(crate) fn online_groups(state: &State) -> Vec<GroupId> {
    state
        .groups
        .keys()
        .copied()
        .filter(|g| group_status(state, *g) == GroupStatus::Online)
        .collect()
}

/// The group of the requester (its login or creation group; group 0 when none).
fn customer_group(state: &State, customer: &CustomerId) -> GroupId {
    state
        .customers
        .get(customer)
        .and_then(|c| c.group_id)
        .unwrap_or(GroupId(0))
}

/// The agent a chat of `group` would go to: `group_not_found` for an unknown group,
/// `group_unavailable` when its agents are logged in but none accepts chats,
/// `group_offline` when none is logged in.
fn predicted_agent(state: &State, group: GroupId) -> Result<GreetingAgent, ApiError> {
    self::group(state, group)?;
    if let Some(agent) = chat_ops::pick_agent(state, &[group], &[]) {
        return Ok(greeting_agent(state, &agent));
    }
    Err(match group_status(state, group) {
        GroupStatus::OnlineForQueue => ApiError::new(ErrorType::GroupUnavailable),
        _ => ApiError::new(ErrorType::GroupOffline),
    })
}

/// An agent as customers see it in predictions and greetings.
fn greeting_agent(state: &State, id: &AgentId) -> GreetingAgent {
    let profile = state.agents.get(id).map(|a| &a.profile);
    GreetingAgent {
        id: id.clone(),
        kind: Some(UserType::Agent),
        name: profile.and_then(|p| p.name.clone()),
        avatar: profile.and_then(|p| p.avatar.clone()),
        job_title: Some(
            profile
                .and_then(|p| p.job_title.clone())
                .unwrap_or_else(|| "Support Agent".to_owned()),
        ),
        is_bot: Some(profile.and_then(|p| p.is_bot).unwrap_or(false)),
        ..Default::default()
    }
}

/// `get_predicted_agent`: the agent a chat of the requester's group would go to
/// ([`predicted_agent`]). [I] `queue` is always false: the sandbox has no chat limits,
/// so an agent that accepts chats takes them at once.
fn get_predicted_agent(
    ctx: &mut Ctx<'_>,
    _request: customer::GetPredictedAgent,
) -> Result<customer::GetPredictedAgentResponse, ApiError> {
    let me = ctx.customer_id()?;
    let agent = predicted_agent(ctx.state, customer_group(ctx.state, &me))?;
    Ok(customer::GetPredictedAgentResponse {
        agent,
        queue: false,
        ..Default::default()
    })
}

/// `request_welcome_message` (3.6): predicts the agent of group `group_id` (default:
/// the requester's group; errors as [`predicted_agent`]) and answers `{id,
/// predicted_agent, queue: false}` (`id`: the request's, else a fresh one); then pushes
/// `incoming_welcome_message {id, event}` — a message from that agent — to the
/// requesting connection (over Web: every connection of the customer).
fn request_welcome_message(
    ctx: &mut Ctx<'_>,
    request: customer::RequestWelcomeMessage,
) -> Result<customer::RequestWelcomeMessageResponse, ApiError> {
    let me = ctx.customer_id()?;
    let group = request
        .group_id
        .unwrap_or_else(|| customer_group(ctx.state, &me));
    let agent = predicted_agent(ctx.state, group)?;
    let id = request
        .id
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let created_at = ctx.state.clock.stamp();
    let event = message(
        EventId::new(format!("{id}_1")),
        created_at,
        &agent.id,
        WELCOME_TEXT,
    );
    let audience = match ctx.conn {
        Some(conn) => Audience::Conn(conn),
        None => Audience::Customer(me),
    };
    let payload = json!({ "id": id, "event": event });
    ctx.state
        .outbox
        .customers(audience, "incoming_welcome_message", &payload);
    Ok(customer::RequestWelcomeMessageResponse {
        id,
        predicted_agent: agent,
        queue: false,
        ..Default::default()
    })
}

/// A message event authored by `agent`.
fn message(id: EventId, created_at: String, agent: &AgentId, text: &str) -> Event {
    Event::Message(MessageEvent {
        id: Some(id),
        created_at: Some(created_at),
        author_id: Some(UserId::new(agent.as_str())),
        text: Some(text.to_owned()),
        ..Default::default()
    })
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

// ---------------------------------------------------------------------------------------
// Greetings

/// Shows a greeting with `text` to `customer` (the `Sandbox::send_greeting` hook): a
/// greeting on display is replaced (`greeting_canceled`), then `incoming_greeting` goes to
/// the customer's connections and `greetings_shown_count` grows. The greeting comes from
/// the agent a chat of the customer's group would go to, else from the group's first
/// agent, else from nobody. Returns its `unique_id` (`None`: unknown customer).
pub(crate) fn show_greeting(
    state: &mut State,
    customer: &CustomerId,
    text: &str,
) -> Option<String> {
    let group = customer_group(state, customer);
    let agent = chat_ops::pick_agent(state, &[group], &[])
        .or_else(|| {
            state
                .agents
                .iter()
                .find(|(_, rec)| group.0 == 0 || rec.groups.contains(&group))
                .map(|(id, _)| id.clone())
        })
        .map(|id| greeting_agent(state, &id));
    let created_at = state.clock.stamp();
    let rec = state.customers.get_mut(customer)?;
    let unique_id = uuid::Uuid::new_v4().simple().to_string();
    let event = agent.as_ref().map_or_else(
        || Event::message(text),
        |a| {
            message(
                EventId::new(format!("{unique_id}_1")),
                created_at,
                &a.id,
                text,
            )
        },
    );
    let greeting = Greeting {
        id: rec.session.greetings.len() as u64 + 1,
        unique_id: unique_id.clone(),
        displayed_first_time: Some(true),
        subtype: Some("announcement".to_owned()),
        is_exit_intent: Some(false),
        event: Some(event),
        agent,
        ..Default::default()
    };
    let mut replaced = Vec::new();
    for shown in &mut rec.session.greetings {
        if shown.status == GreetingStatus::Displayed {
            shown.status = GreetingStatus::Canceled;
            replaced.push(shown.greeting.unique_id.clone());
        }
    }
    rec.session.greetings.push(GreetingRec {
        greeting: greeting.clone(),
        status: GreetingStatus::Displayed,
    });
    let statistics = rec.profile.statistics.get_or_insert_with(Default::default);
    statistics.greetings_shown_count = Some(statistics.greetings_shown_count.unwrap_or(0) + 1);
    let audience = Audience::Customer(customer.clone());
    for old in replaced {
        let payload = json!({ "unique_id": old });
        state
            .outbox
            .customers(audience.clone(), "greeting_canceled", &payload);
    }
    state
        .outbox
        .customers(audience, "incoming_greeting", &greeting);
    Some(unique_id)
}

/// The greeting a login response carries: the latest one shown that was not canceled,
/// with `accepted` and `displayed_first_time: false`.
pub(crate) fn current_greeting(state: &State, customer: &CustomerId) -> Option<Greeting> {
    let rec = state.customers.get(customer)?;
    let latest = rec
        .session
        .greetings
        .iter()
        .rev()
        .find(|g| g.status != GreetingStatus::Canceled)?;
    Some(Greeting {
        accepted: Some(latest.status == GreetingStatus::Accepted),
        displayed_first_time: Some(false),
        ..latest.greeting.clone()
    })
}

/// The requester's greeting on display with `unique_id` (and, when given, configuration
/// `id`); `greeting_not_found` for any other (unknown, accepted or canceled).
fn displayed_greeting<'s>(
    state: &'s mut State,
    customer: &CustomerId,
    unique_id: &str,
    id: Option<u64>,
) -> Result<&'s mut GreetingRec, ApiError> {
    state
        .customers
        .get_mut(customer)
        .and_then(|rec| {
            rec.session.greetings.iter_mut().find(|g| {
                g.greeting.unique_id == unique_id
                    && g.status == GreetingStatus::Displayed
                    && id.is_none_or(|id| id == g.greeting.id)
            })
        })
        .ok_or_else(|| ApiError::new(ErrorType::GreetingNotFound))
}

/// `accept_greeting`: the greeting on display becomes accepted (`greeting_not_found`
/// unless `unique_id` and `greeting_id` name one); `greetings_accepted_count` grows and
/// the customer gets `greeting_accepted {unique_id}`.
fn accept_greeting(
    ctx: &mut Ctx<'_>,
    request: customer::AcceptGreeting,
) -> Result<Empty, ApiError> {
    let me = ctx.customer_id()?;
    let shown = displayed_greeting(
        ctx.state,
        &me,
        &request.unique_id,
        Some(request.greeting_id),
    )?;
    shown.status = GreetingStatus::Accepted;
    if let Some(rec) = ctx.state.customers.get_mut(&me) {
        let statistics = rec.profile.statistics.get_or_insert_with(Default::default);
        statistics.greetings_accepted_count =
            Some(statistics.greetings_accepted_count.unwrap_or(0) + 1);
    }
    let payload = json!({ "unique_id": request.unique_id });
    ctx.state
        .outbox
        .customers(Audience::Customer(me), "greeting_accepted", &payload);
    Ok(Empty {})
}

/// `cancel_greeting`: the greeting on display is dismissed (`greeting_not_found` unless
/// `unique_id` names one); the customer gets `greeting_canceled {unique_id}`.
fn cancel_greeting(
    ctx: &mut Ctx<'_>,
    request: customer::CancelGreeting,
) -> Result<Empty, ApiError> {
    let me = ctx.customer_id()?;
    displayed_greeting(ctx.state, &me, &request.unique_id, None)?.status = GreetingStatus::Canceled;
    let payload = json!({ "unique_id": request.unique_id });
    ctx.state
        .outbox
        .customers(Audience::Customer(me), "greeting_canceled", &payload);
    Ok(Empty {})
}

/// `send_greeting_button_clicked` (3.6): `greeting_not_found` unless the greeting on
/// display has `greeting_unique_id`. [I] The click is not recorded and pushes nothing.
fn send_greeting_button_clicked(
    ctx: &mut Ctx<'_>,
    request: customer::SendGreetingButtonClicked,
) -> Result<Empty, ApiError> {
    let me = ctx.customer_id()?;
    displayed_greeting(ctx.state, &me, &request.greeting_unique_id, None)?;
    Ok(Empty {})
}
