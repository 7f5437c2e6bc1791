//! Typed calls: the response payload decoded straight into the call's type while the
//! frame is read (when `request_id` comes before `payload`), the plain path otherwise.

use crate::common::{config, connected};
use lc_protocol::agent::{ListChats, ListChatsResponse};
use lc_protocol::wire::typed::{Answer, ResponseDecoder};
use lc_protocol::{CallOptions, Error, FrameError, RawRequest, Transport, agent};
use lc_rtm::{AgentSession, RtmClient};
use lc_sandbox::{NewAgent, Sandbox};
use std::time::Duration;

/// A `list_chats` payload with no chats and `found` as its count.
fn payload(found: u64) -> String {
    format!(r#"{{"chats_summary":[],"found_chats":{found},"next_page_id":"next-{found}"}}"#)
}

fn request() -> RawRequest {
    RawRequest {
        action: "list_chats".to_owned(),
        payload: lc_protocol::wire::empty_object(),
        method: lc_protocol::HttpMethod::Post,
    }
}

#[tokio::test]
async fn typed_calls_decode_in_one_pass_and_fall_back_for_other_frame_orders() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let agent = sandbox.create_agent(NewAgent::new("smith@example.com"));
    let client: RtmClient<AgentSession> = RtmClient::connect(
        AgentSession::agent().base_url(sandbox.ws_url()),
        agent.token.clone(),
        config(),
    );
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    // The sandbox's own answers come too late: the frames below answer first.
    sandbox.set_action_delay("list_chats", Duration::from_secs(2));
    let decoder = ResponseDecoder::of::<ListChatsResponse>();
    let typed = |n: usize| {
        let client = client.clone();
        tokio::spawn(async move {
            // Request ids are given in order on a fresh connection: "1", "2", ...
            tokio::time::sleep(Duration::from_millis(20 * n as u64)).await;
            client
                .send_decoded_with(request(), CallOptions::default(), decoder)
                .await
        })
    };
    let (first, second, third) = (typed(0), typed(1), typed(2));
    let fourth = {
        let client = client.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(60)).await;
            client.call(&ListChats::new()).await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let send = |frame: String| sandbox.send_raw_frame(agent.id.as_str(), &frame);
    // LiveChat's order: decoded during the read.
    send(format!(
        r#"{{"request_id":"1","action":"list_chats","type":"response","success":true,"payload":{}}}"#,
        payload(11)
    ));
    // A payload that does not match the type.
    send(
        r#"{"request_id":"2","action":"list_chats","type":"response","success":true,"payload":{"chats_summary":"none","found_chats":1}}"#
            .to_owned(),
    );
    // The payload before the request id: the plain path.
    send(format!(
        r#"{{"payload":{},"action":"list_chats","type":"response","success":true,"request_id":"3"}}"#,
        payload(33)
    ));
    // A typed call answered in LiveChat's order, through `call`.
    send(format!(
        r#"{{"request_id":"4","action":"list_chats","type":"response","success":true,"payload":{}}}"#,
        payload(44)
    ));

    match first.await.unwrap().unwrap() {
        Answer::Typed(typed) => {
            let response = typed.downcast::<ListChatsResponse>().unwrap();
            assert_eq!(response.found_chats, 11);
            assert!(response.chats_summary.is_empty());
            assert_eq!(
                response.next_page_id.as_ref().map(|id| id.as_str()),
                Some("next-11")
            );
        }
        Answer::Raw(raw) => panic!("decoded during the read, got it raw: {raw}"),
    }
    let err = second.await.unwrap().unwrap_err();
    match &err {
        Error::Decode {
            action,
            source: FrameError::Payload { name, source },
        } => {
            assert_eq!(action, "list_chats");
            assert_eq!(name, "list_chats");
            assert!(source.to_string().contains("invalid type"), "{source}");
        }
        other => panic!("a typed decode error, got {other:?}"),
    }
    assert!(err.to_string().contains("list_chats"), "{err}");
    match third.await.unwrap().unwrap() {
        Answer::Raw(raw) => {
            let response = decoder
                .finish::<ListChatsResponse>("list_chats", Answer::Raw(raw))
                .unwrap();
            assert_eq!(response.found_chats, 33);
        }
        Answer::Typed(_) => panic!("payload before request_id takes the plain path"),
    }
    assert_eq!(fourth.await.unwrap().unwrap().found_chats, 44);

    // The connection goes on serving: a real answer from the sandbox, typed.
    sandbox.set_action_delay("list_chats", Duration::ZERO);
    let response = client.call(&agent::ListChats::new()).await.unwrap();
    assert_eq!(response.found_chats, 0);
    client.close();
    sandbox.shutdown().await;
}
