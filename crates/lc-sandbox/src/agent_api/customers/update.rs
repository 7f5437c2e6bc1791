//! Agent actions that write a customer: `create_customer` (3.3–3.5), `update_customer`
//! (with the merge rules shared with the Customer API's `update_customer`) and
//! `ban_customer`.

use super::monitoring::push_to_watchers;
use super::view::agent_view;
use crate::handler::{Ctx, invalid, not_found};
use crate::outbox::Audience;
use crate::state::{ConnId, CustomerRec, Principal};
use lc_protocol::agent::push::CustomerUpdated;
use lc_protocol::agent::{self, UpdateCustomerOmnichannel};
use lc_protocol::error::ApiError;
use lc_protocol::id::CustomerId;
use lc_protocol::types::{
    Address, Customer, Omnichannel, OmnichannelFbMessenger, SessionFields, UserType,
};
use lc_protocol::{ApiVersion, Empty};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The disconnect reason a banned customer's connections get. The documented customer
/// reasons have no `customer_banned` (that is the login error); `customer_temporarily_blocked`
/// is the closest one.
const BAN_REASON: &str = "customer_temporarily_blocked";
/// Longest ban the sandbox counts (a century): longer bans are as good as permanent.
const MAX_BAN_DAYS: u32 = 36_500;

// ---------------------------------------------------------------------------------------
// create_customer

/// `create_customer` (3.3–3.5): a customer with a fresh UUID and no token (it gets one
/// from the sandbox, as from the accounts service); pushes `incoming_customer`.
pub(super) fn create_customer(
    ctx: &mut Ctx<'_>,
    request: agent::CreateCustomer,
) -> Result<agent::CreateCustomerResponse, ApiError> {
    ctx.agent_id()?;
    let id = CustomerId::new(uuid::Uuid::new_v4().to_string());
    let profile = Customer {
        id: id.clone(),
        kind: Some(UserType::Customer),
        name: request.name,
        email: request.email,
        avatar: request.avatar,
        session_fields: request.session_fields,
        created_at: Some(ctx.state.clock.stamp()),
        ..Customer::default()
    };
    ctx.state
        .customers
        .insert(id.clone(), CustomerRec::new(profile));
    // Rendered in the 3.6 shape: each watcher gets its own version's (crate::push_shapes).
    let view = agent_view(ctx.state, &id, ApiVersion::V3_6);
    push_to_watchers(ctx, &id, "incoming_customer", &view);
    Ok(agent::CreateCustomerResponse {
        customer_id: id,
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------
// update_customer

/// `update_customer`: merges the given fields into the customer (session fields by key,
/// `address` and `omnichannel` field by field) and pushes `customer_updated` with `id` and
/// the fields that changed — to the agents that hear about the customer and, as the
/// customer push, to the customer's own connections. Nothing changed: no push.
///
/// [I] No `customer_updated` system message is added to an active chat (the notes say it
/// "may" be): chat threads keep only the events clients and the sandbox's documented
/// operations add.
pub(super) fn update_customer(
    ctx: &mut Ctx<'_>,
    request: agent::UpdateCustomer,
) -> Result<Empty, ApiError> {
    ctx.agent_id()?;
    check_update(&request, ctx.version)?;
    let id = request.id.clone();
    let rec = ctx
        .state
        .customers
        .get_mut(&id)
        .ok_or_else(|| not_found(format_args!("Customer `{id}`")))?;
    let changed = apply_update(&mut rec.profile, request);
    let unchanged = CustomerUpdated {
        id: id.clone(),
        ..Default::default()
    };
    if changed != unchanged {
        push_to_watchers(ctx, &id, "customer_updated", &changed);
        ctx.state
            .outbox
            .customers(Audience::Customer(id), "customer_updated", &changed);
    }
    Ok(Empty {})
}

/// The request must name a UUIDv4 customer and at least one field; `phone_number`,
/// `omnichannel` and `address` exist from 3.6 on.
fn check_update(request: &agent::UpdateCustomer, version: ApiVersion) -> Result<(), ApiError> {
    let v4 = uuid::Uuid::parse_str(request.id.as_str()).is_ok_and(|u| u.get_version_num() == 4);
    if !v4 {
        return Err(invalid("`id` must be a UUIDv4"));
    }
    let newer = request.phone_number.is_some()
        || request.omnichannel.is_some()
        || request.address.is_some();
    if newer && version < ApiVersion::V3_6 {
        return Err(invalid(
            "`phone_number`, `omnichannel` and `address` are available from 3.6",
        ));
    }
    let any = newer
        || request.name.is_some()
        || request.email.is_some()
        || request.avatar.is_some()
        || request.session_fields.is_some();
    if any {
        Ok(())
    } else {
        Err(invalid(
            "update_customer needs at least one field besides `id`",
        ))
    }
}

/// Merges the request into `profile`; returns the push payload: `id` and each field whose
/// value changed.
pub(crate) fn apply_update(
    profile: &mut Customer,
    request: agent::UpdateCustomer,
) -> CustomerUpdated {
    let session_fields = request.session_fields.map(|update| {
        merge_session_fields(profile.session_fields.clone().unwrap_or_default(), update)
    });
    let address = request.address.map(|update| {
        Box::new(merge_address(
            profile.address.as_deref().cloned().unwrap_or_default(),
            update,
        ))
    });
    let omnichannel = request.omnichannel.map(|update| {
        Box::new(merge_omnichannel(
            profile.omnichannel.as_deref().cloned().unwrap_or_default(),
            update,
        ))
    });
    CustomerUpdated {
        id: profile.id.clone(),
        name: assign(&mut profile.name, request.name),
        email: assign(&mut profile.email, request.email),
        avatar: assign(&mut profile.avatar, request.avatar),
        phone_number: assign(&mut profile.phone_number, request.phone_number),
        session_fields: assign(&mut profile.session_fields, session_fields),
        address: assign(&mut profile.address, address).map(|address| *address),
        omnichannel: assign(&mut profile.omnichannel, omnichannel).map(|omnichannel| *omnichannel),
        ..Default::default()
    }
}

/// Stores `new` in `slot` when given and different; returns it when it changed.
fn assign<T: PartialEq + Clone>(slot: &mut Option<T>, new: Option<T>) -> Option<T> {
    let new = new?;
    if slot.as_ref() == Some(&new) {
        return None;
    }
    *slot = Some(new.clone());
    Some(new)
}

/// Session fields merged by key: known keys keep their place, new ones are appended.
fn merge_session_fields(mut fields: SessionFields, update: SessionFields) -> SessionFields {
    for (key, value) in update.into_iter().flatten() {
        match fields.iter_mut().find(|entry| entry.contains_key(&key)) {
            Some(entry) => {
                entry.insert(key, value);
            }
            None => fields.push(BTreeMap::from([(key, value)])),
        }
    }
    fields
}

/// The address with each given part replaced.
fn merge_address(current: Address, update: Address) -> Address {
    Address {
        address: update.address.or(current.address),
        city: update.city.or(current.city),
        country: update.country.or(current.country),
        state: update.state.or(current.state),
        postal_code: update.postal_code.or(current.postal_code),
        extra: current.extra.into_iter().chain(update.extra).collect(),
    }
}

/// The omnichannel identities with each given channel replaced.
fn merge_omnichannel(mut current: Omnichannel, update: UpdateCustomerOmnichannel) -> Omnichannel {
    if let Some(fb) = update.fbmessenger {
        current.fbmessenger = Some(OmnichannelFbMessenger {
            id: fb.id,
            name: fb.name,
            first_name: fb.first_name,
            last_name: fb.last_name,
            profile_pic: fb.profile_pic,
            gender: fb.gender,
            locale: fb.locale,
            is_verified_user: fb.is_verified_user,
        });
    }
    if let Some(twilio) = update.twilio {
        current.twilio = Some(json!({ "phone_number": twilio.phone_number }));
    }
    current
}

// ---------------------------------------------------------------------------------------
// ban_customer

/// `ban_customer` (§8 item 23): every RTM connection of the customer gets
/// `customer_disconnected` ([`BAN_REASON`]) and closes once the response is sent; logins
/// fail with `customer_banned` until the ban ends; `customer_banned` is pushed to the
/// agents that hear about the customer. `days` must be at least 1 ([I]).
pub(super) fn ban_customer(
    ctx: &mut Ctx<'_>,
    request: agent::BanCustomer,
) -> Result<Empty, ApiError> {
    ctx.agent_id()?;
    let days = request.ban.days;
    if days == 0 {
        return Err(invalid("`ban.days` must be at least 1"));
    }
    let id = request.id;
    let rec = ctx
        .state
        .customers
        .get_mut(&id)
        .ok_or_else(|| not_found(format_args!("Customer `{id}`")))?;
    let length = Duration::from_secs(u64::from(days.min(MAX_BAN_DAYS)) * 86_400);
    rec.banned_until = Instant::now().checked_add(length);
    let payload = json!({ "customer_id": id, "ban": { "days": days } });
    push_to_watchers(ctx, &id, "customer_banned", &payload);
    let who = Some(Principal::Customer(id.clone()));
    let conns: Vec<ConnId> = ctx
        .state
        .conns
        .iter()
        .filter(|(_, c)| c.principal == who)
        .map(|(conn, _)| *conn)
        .collect();
    for conn in conns {
        ctx.state.outbox.close_after(conn, Some(BAN_REASON));
    }
    Ok(Empty {})
}
