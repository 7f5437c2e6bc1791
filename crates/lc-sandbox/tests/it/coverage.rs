//! Every action of the spec tables is served, over every transport and in every version
//! that has it, and refused where it does not exist.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::web::{Web, agent_bearer, customer_bearer};
use common::{Rtm, World};
use lc_protocol::{Api, ApiVersion, meta};
use serde_json::json;

/// The error of an action the sandbox does not know how to serve.
const NOT_SERVED: &str = "is not served by lc-sandbox";

#[tokio::test]
async fn every_action_is_served_over_rtm_in_every_version_that_has_it() {
    let world = World::new().await;
    let mut checked = 0;
    for version in ApiVersion::ALL {
        let v = version.as_str();
        let mut agent = world.agent_rtm(v).await;
        let mut customer = world.customer_rtm(v).await;
        for action in meta::ACTIONS
            .iter()
            .filter(|m| m.rtm && m.name != "login" && m.name != "logout")
        {
            let rtm = match action.api {
                Api::Agent => &mut agent,
                Api::Customer => &mut customer,
                _ => continue,
            };
            let frame = rtm.request(action.name, json!({})).await;
            let message = frame["payload"]["error"]["message"].as_str().unwrap_or("");
            assert!(
                !message.contains(NOT_SERVED),
                "{} {} in {v}: {frame}",
                action.api,
                action.name
            );
            let available = action.available_in(*version);
            if !available {
                assert_eq!(
                    frame["success"], false,
                    "{} `{}` must not exist in {v}",
                    action.api, action.name
                );
                assert!(
                    message.contains("not available"),
                    "{} {} in {v}: {frame}",
                    action.api,
                    action.name
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} checks");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn every_action_is_served_over_web_in_every_version_that_has_it() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let agent = agent_bearer(&world.agent);
    let customer = customer_bearer(&world.customer);
    // Routing statuses need a logged-in agent; keep one connected.
    let _online = world.agent_rtm("3.6").await;
    for version in ApiVersion::ALL {
        let v = version.as_str();
        for action in meta::ACTIONS
            .iter()
            .filter(|m| m.web.is_some() && m.name != "logout" && m.name != "upload_file")
        {
            let reply = match action.api {
                Api::Agent => web.agent(v, action.name, &agent, json!({})).await,
                Api::Customer => web.customer(v, action.name, &customer, json!({})).await,
                Api::Configuration => {
                    let path = format!("/v{v}/configuration/action/{}", action.name);
                    web.post_json(&path, &agent, &json!({})).await
                }
                _ => continue,
            };
            let body = reply.json();
            let message = body["error"]["message"].as_str().unwrap_or("");
            assert!(
                !message.contains(NOT_SERVED),
                "{} {} in {v}: {body}",
                action.api,
                action.name
            );
            if !action.available_in(*version) {
                assert!(
                    message.contains("not available"),
                    "{} `{}` must not exist in {v}: {body}",
                    action.api,
                    action.name
                );
            }
        }
    }
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn rtm_only_actions_are_refused_over_web_and_web_only_ones_over_rtm() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let reply = web
        .agent(
            "3.6",
            "set_away_status",
            &agent_bearer(&world.agent),
            json!({"away": true}),
        )
        .await;
    assert_eq!(reply.error_type(), "validation");
    let mut rtm: Rtm = world.customer_rtm("3.6").await;
    assert_eq!(
        rtm.fails(
            "get_localization",
            json!({"group_id": 0, "language": "en", "version": "1"})
        )
        .await,
        "validation"
    );
    world.sandbox.shutdown().await;
}
