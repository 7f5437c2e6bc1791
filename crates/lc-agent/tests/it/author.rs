//! `set_author_id` (lc-sdk-js `setAuthorId`) against lc-sandbox, which speaks API 3.6:
//! acting as a bot with an agent token is refused there before anything is sent.

use lc_agent::AgentClient;
use lc_protocol::Error;
use lc_protocol::types::Event;
use lc_rtm::{AgentSession, RtmConfig};
use lc_sandbox::{NewAgent, Sandbox};
use lc_web::WebConfig;

#[tokio::test]
async fn on_3_6_acting_as_a_bot_is_refused_with_a_pointer_to_bot_tokens() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let agent = sandbox.create_agent(NewAgent::new("ann@example.com"));
    let session = AgentSession::agent().base_url(sandbox.ws_url());
    let mut rtm = AgentClient::connect_rtm(session, agent.token.clone(), RtmConfig::default());
    let session = AgentSession::agent().base_url(sandbox.http_url());
    let mut web = AgentClient::connect_web(session, agent.token.clone(), WebConfig::default());
    rtm.list_routing_statuses().await.unwrap();

    rtm.set_author_id(Some("bot-1"));
    web.set_author_id(Some("bot-1"));
    assert_eq!(rtm.author_id(), Some("bot-1"));
    for err in [
        rtm.send_event("C1", Event::message("hi"))
            .await
            .unwrap_err(),
        web.send_event("C1", Event::message("hi"))
            .await
            .unwrap_err(),
        rtm.list_chats().await.unwrap_err(),
        rtm.call_raw("list_chats", serde_json::json!({}))
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        assert!(err.to_string().contains("bot token"), "{err}");
    }

    rtm.set_author_id(None);
    web.set_author_id(None);
    rtm.list_chats().await.unwrap();
    web.list_chats().await.unwrap();
    sandbox.shutdown().await;
}
