//! Pushes in the shape of the connection's API version. The sandbox renders every push
//! in the 3.6 shape; a connection logged in on 3.5 or older gets it in its own shape
//! where the two differ (the v3.5 → v3.6 changes of the API changelog):
//!
//! - the Customer structure (`incoming_customer`, `customer_updated`): `visit` was
//!   `last_visit`; `phone_number`, `omnichannel`, `address`, `tickets`, `carts`, `cart`
//!   and `statistics.tickets_count` do not exist;
//! - the Thread structure (`incoming_chat`): no `customer_visit`, no `summary`;
//! - `incoming_rich_message_postback`: the postback has no `button_type`,
//!   `button_value` nor `ecommerce`.

use lc_protocol::Api;
use serde_json::Value;
use serde_json::value::RawValue;

/// The fields of the Customer structure that exist from 3.6 on.
const CUSTOMER_FIELDS_3_6: &[&str] = &[
    "phone_number",
    "omnichannel",
    "address",
    "tickets",
    "carts",
    "cart",
];

/// Whether the push `name` of `api` has a different shape before 3.6.
pub(crate) fn differs_before_3_6(api: Api, name: &str) -> bool {
    match api {
        Api::Agent => matches!(
            name,
            "incoming_customer"
                | "customer_updated"
                | "incoming_chat"
                | "incoming_rich_message_postback"
        ),
        Api::Customer => matches!(
            name,
            "customer_updated" | "incoming_chat" | "incoming_rich_message_postback"
        ),
        Api::Inbenta | Api::Configuration => false,
    }
}

/// The push `name` (3.6 shape) in the shape of the versions before 3.6 (`None`: the
/// same, or not JSON the sandbox can reshape).
pub(crate) fn before_3_6(api: Api, name: &str, payload: &RawValue) -> Option<Box<RawValue>> {
    if !differs_before_3_6(api, name) {
        return None;
    }
    let mut value: Value = serde_json::from_str(payload.get()).ok()?;
    match name {
        "incoming_customer" | "customer_updated" => old_customer(&mut value),
        "incoming_chat" => {
            if let Some(thread) = value
                .pointer_mut("/chat/thread")
                .and_then(Value::as_object_mut)
            {
                thread.remove("customer_visit");
                thread.remove("summary");
            }
        }
        "incoming_rich_message_postback" => {
            if let Some(postback) = value.get_mut("postback").and_then(Value::as_object_mut) {
                for field in ["button_type", "button_value", "ecommerce"] {
                    postback.remove(field);
                }
            }
        }
        _ => {}
    }
    serde_json::value::to_raw_value(&value).ok()
}

/// A Customer structure as 3.5 and older have it.
fn old_customer(customer: &mut Value) {
    let Some(fields) = customer.as_object_mut() else {
        return;
    };
    for field in CUSTOMER_FIELDS_3_6 {
        fields.remove(*field);
    }
    if let Some(visit) = fields.remove("visit") {
        fields.insert("last_visit".to_owned(), visit);
    }
    if let Some(statistics) = fields.get_mut("statistics").and_then(Value::as_object_mut) {
        statistics.remove("tickets_count");
    }
}
