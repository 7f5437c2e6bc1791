//! InbentaClient and UserClient against lc-sandbox: users over REST, login, every client
//! event as a typed call, `call_raw`/`subscribe`/`unsubscribe` by name, `on`/`once`,
//! errors, availability and settings.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{World, config, next_where, within};
use futures_util::StreamExt;
use lc_inbenta::{InbentaClient, Method, NewUser, SubscriptionItem};
use lc_protocol::inbenta::{
    ChatsAssign, ChatsClose, ChatsCreate, ChatsGet, ChatsJoin, HistoryEntry, HistoryImport,
    InbentaActivityType, InbentaHistoryEntryType, InbentaPush, MessageReceived, MessagesRead,
    MessagesSend, UserFocus, UserJoined, UsersActivity, UsersChats,
};
use lc_protocol::{Error, ErrorType};
use lc_sandbox::{AgentBehaviour, NewInbentaAgent, NewInbentaApp};
use serde_json::{Value, json};

fn code(error: &Error) -> Option<u64> {
    error
        .api_error()
        .and_then(|e| e.data.as_ref())
        .and_then(|d| d["code"].as_u64())
}

#[tokio::test]
async fn users_are_created_over_rest_and_a_taken_external_id_is_refused() {
    let world = World::new(NewInbentaApp::new("app-users")).await;
    let created = world
        .client
        .create_user(
            NewUser::new("Bob")
                .contact("bob@example.com")
                .external_id("crm-42"),
        )
        .await
        .unwrap();
    assert!(!created.user.id.is_empty());
    assert_eq!(created.user.name.as_deref(), Some("Bob"));
    assert_eq!(created.user.contact.as_deref(), Some("bob@example.com"));
    assert!(!created.token.expose().is_empty());
    assert!(!format!("{created:?}").contains(created.token.expose()));

    let taken = world
        .client
        .create_user(NewUser::new("Bobby").external_id("crm-42"))
        .await
        .unwrap_err();
    let Error::Api {
        error, http_status, ..
    } = &taken
    else {
        panic!("not an API error: {taken:?}");
    };
    assert_eq!(*http_status, Some(409));
    assert_eq!(error.kind, ErrorType::AlreadyExists);
    assert_eq!(code(&taken), Some(409));

    // The user's own client reads the user back with its token.
    let bob = world
        .client
        .login(&created.user.id, created.token)
        .await
        .unwrap();
    assert_eq!(bob.user().id, created.user.id);
    let users = bob
        .api_request(Method::GET, "users?externalId=crm-42", None)
        .await
        .unwrap();
    assert!(users.to_string().contains(&created.user.id), "{users}");
    world.shutdown().await;
}

#[tokio::test]
async fn a_bad_token_is_refused_and_an_unknown_app_too() {
    let world = World::new(NewInbentaApp::new("app-login")).await;
    let refused = world.client.login("u-1", "not-a-token").await.unwrap_err();
    assert_eq!(
        refused.error_type(),
        Some(&ErrorType::Authentication),
        "{refused:?}"
    );
    assert_eq!(code(&refused), Some(401));
    // Realtime calls need a login: `InbentaClient` has none (a compile_fail example of
    // `InbentaClient` shows it), only the `UserClient` that `login` returns.
    // An unknown app is refused too.
    let other = InbentaClient::new(config(&world.sandbox, "no-such-app"));
    let unknown = other.create_user(NewUser::new("Eve")).await.unwrap_err();
    assert!(unknown.api_error().is_some(), "{unknown:?}");
    world.shutdown().await;
}

#[tokio::test]
async fn every_client_event_is_a_typed_request() {
    let world = World::new(NewInbentaApp::new("app-events")).await;
    let ann = world.agent(NewInbentaAgent::new("Ann")).await;
    let bob = world.user("Bob").await;
    let bob_id = bob.user().id.clone();
    let ann_id = ann.user().id.clone();
    let mut bob_joins = bob.subscribe_to::<UserJoined>();
    let mut ann_messages = ann.subscribe_to::<MessageReceived>();

    // chats:create
    let chat = bob
        .call(ChatsCreate::new("1", 3, bob_id.clone()).lang("en"))
        .await
        .unwrap()
        .chat;
    assert_eq!(chat.creator.as_deref(), Some(bob_id.as_str()));
    // chats:assign: Ann, the only agent, accepts.
    let assigned = within(
        "chats:assign",
        bob.call(
            ChatsAssign::new(chat.id.clone())
                .max_attempts(1)
                .interval(5),
        ),
    )
    .await
    .unwrap();
    assert_eq!(assigned.agent.map(|a| a.id), Some(ann_id.clone()));
    // chats:join: Art, an agent who came later, joins on his own.
    let art = world
        .agent(NewInbentaAgent::new("Art").behaviour(AgentBehaviour::Ignore))
        .await;
    let art_id = art.user().id.clone();
    let joined = art
        .call(ChatsJoin::new(chat.id.clone(), art_id.clone()))
        .await
        .unwrap();
    assert_eq!(joined.success, Some(true));
    next_where(&mut bob_joins, "Art's join", |item| {
        item.push().filter(|j: &UserJoined| j.user.id == art_id)
    })
    .await;
    // users:activity
    let activity = bob
        .call(UsersActivity::new(
            chat.id.clone(),
            bob_id.clone(),
            InbentaActivityType::StopWriting,
        ))
        .await
        .unwrap();
    assert_eq!(activity.success, Some(true));
    // user:focus
    let focus = bob
        .call(UserFocus::new().chat_id(chat.id.clone()))
        .await
        .unwrap();
    assert_eq!(focus.success, Some(true));
    // messages:send
    let sent = bob
        .call(MessagesSend::new(
            chat.id.clone(),
            "ev-typed-1",
            "typed hello",
        ))
        .await
        .unwrap();
    assert_eq!(sent.event_id.as_deref(), Some("ev-typed-1"));
    let got = next_where(
        &mut ann_messages,
        "the typed message",
        SubscriptionItem::push,
    )
    .await;
    assert_eq!(got.message.id, sent.message.id);
    // messages:read
    let read = ann
        .call(MessagesRead::new(sent.message.id.clone(), ann_id.clone()))
        .await
        .unwrap();
    assert_eq!(read.message.map(|m| m.id), Some(sent.message.id.clone()));
    // history:import
    let entry = HistoryEntry {
        created: 1_700_000_000,
        kind: InbentaHistoryEntryType::Text,
        message: Value::from("from the bot"),
        sender: "assistant".into(),
        extra: Default::default(),
    };
    let history = bob
        .call(HistoryImport::new(chat.id.clone(), vec![entry]))
        .await
        .unwrap()
        .history
        .unwrap_or_default();
    assert!(history.iter().any(|e| e.message == json!("from the bot")));
    // chats:get
    let got = bob
        .call(ChatsGet::new(chat.id.clone()).fields("users,history"))
        .await
        .unwrap()
        .chat;
    let users: Vec<_> = got
        .users
        .unwrap_or_default()
        .into_iter()
        .map(|u| u.id)
        .collect();
    for id in [&bob_id, &ann_id, &art_id] {
        assert!(users.contains(id), "{id} missing from {users:?}");
    }
    assert!(!got.history.unwrap_or_default().is_empty());
    // users:chats
    let chats = bob.call(UsersChats::new(bob_id.clone())).await.unwrap();
    assert!(chats.chats.contains_key(&chat.id));
    assert_eq!(bob.user_chats().await.unwrap().len(), 1);
    // chats:close
    let closed = bob
        .call(ChatsClose::new(chat.id.clone(), bob_id.clone()))
        .await
        .unwrap();
    assert_eq!(closed.success, Some(true));
    let after = bob.call(ChatsGet::new(chat.id.clone())).await.unwrap().chat;
    assert!(after.closed == Some(true) || after.status.as_deref() == Some("closed"));
    world.shutdown().await;
}

#[tokio::test]
async fn send_and_subscribe_by_name_and_unsubscribe() {
    let world = World::new(NewInbentaApp::new("app-raw")).await;
    world
        .sandbox
        .create_inbenta_agent(&world.app.app_id, NewInbentaAgent::new("Ann"));
    let bob = world.user("Bob").await;
    let bob_id = bob.user().id.clone();
    let mut joins = bob.subscribe("user:joined");
    let mut everything = bob.events();
    let unsubscribed = bob.subscribe("user:joined");
    bob.unsubscribe(unsubscribed);

    let created = bob
        .call_raw(
            "chats:create",
            json!({"room": "1", "source": 3, "creator": bob_id}),
        )
        .await
        .unwrap();
    let chat_id = created["chat"]["id"].as_str().unwrap().to_owned();
    let reply = bob
        .call_raw("chats:assign", json!({"chatId": chat_id}))
        .await
        .unwrap();
    assert!(reply["agent"]["id"].is_string(), "{reply}");
    let push = next_where(&mut joins, "user:joined by name", |item| match item {
        SubscriptionItem::Missed(missed) => panic!("missed {missed} pushes"),
        item => item.push(),
    })
    .await;
    let InbentaPush::UserJoined(joined) = push else {
        panic!("the subscription is for user:joined only: {push:?}");
    };
    assert_eq!(joined.chat_id.as_deref(), Some(chat_id.as_str()));
    // The raw stream carries it too, among lifecycle items.
    next_where(&mut everything, "the same push on events()", |e| match e {
        lc_rtm::RtmEvent::Push {
            push: InbentaPush::UserJoined(j),
            ..
        } => Some(j),
        _ => None,
    })
    .await;
    // Closing ends the subscriptions.
    bob.close();
    within("the end of the subscription", async {
        while joins.next().await.is_some() {}
    })
    .await;
    let closed = bob.call_raw("users:chats", json!({"userId": bob_id})).await;
    assert!(matches!(closed, Err(Error::Closed)), "{closed:?}");
    world.shutdown().await;
}

#[tokio::test]
async fn bad_input_gets_the_error_shape_and_the_connection_stays_usable() {
    let world = World::new(NewInbentaApp::new("app-errors")).await;
    let bob = world.user("Bob").await;
    let eve = world.user("Eve").await;
    let bob_id = bob.user().id.clone();

    let unknown = bob.call_raw("no:such:event", json!({})).await.unwrap_err();
    assert_eq!(code(&unknown), Some(400), "{unknown:?}");
    assert_eq!(unknown.error_type(), Some(&ErrorType::Validation));

    let missing = bob.call(ChatsGet::new("no-such-chat")).await.unwrap_err();
    assert_eq!(code(&missing), Some(404), "{missing:?}");

    let malformed = bob
        .call_raw("chats:get", json!({"chatId": 42}))
        .await
        .unwrap_err();
    assert_eq!(code(&malformed), Some(400), "{malformed:?}");

    let chat = bob
        .call(ChatsCreate::new("1", 3, bob_id.clone()))
        .await
        .unwrap()
        .chat;
    let twice = bob
        .call(ChatsCreate::new("1", 3, bob_id.clone()))
        .await
        .unwrap_err();
    assert_eq!(code(&twice), Some(409), "{twice:?}");
    assert_eq!(
        twice.api_error().unwrap().message,
        "User already has a chat"
    );

    let stranger = eve.call(ChatsGet::new(chat.id.clone())).await.unwrap_err();
    assert_eq!(code(&stranger), Some(403), "{stranger:?}");
    assert_eq!(stranger.error_type(), Some(&ErrorType::Authorization));

    // Still the same working connection.
    let still = bob.call(ChatsGet::new(chat.id.clone())).await.unwrap();
    assert_eq!(still.chat.id, chat.id);
    world.shutdown().await;
}

#[tokio::test]
async fn availability_settings_and_domain_keys_over_rest() {
    let app = NewInbentaApp::new("app-rest")
        .domain_key("dk-1")
        .secret("s-1");
    let world = World::new(app).await;
    let ann = world
        .sandbox
        .create_inbenta_agent(&world.app.app_id, NewInbentaAgent::new("Ann").langs(["en"]));
    let public = InbentaClient::new(config(&world.sandbox, &world.app.app_id).domain_key("dk-1"));
    assert_eq!(public.agents_available("1", Some("en")).await.unwrap(), 1);
    assert_eq!(public.agents_available("1", Some("fr")).await.unwrap(), 0);
    assert!(public.agents_online("1").await.unwrap());
    assert!(!public.queue_mode().await.unwrap());
    let settings = public.settings().await.unwrap();
    assert_eq!(settings["queue"]["active"], json!(false));

    world
        .sandbox
        .set_inbenta_agent_online(&world.app.app_id, &ann.id, false);
    assert_eq!(public.agents_available("1", None).await.unwrap(), 0);
    assert!(!public.agents_online("1").await.unwrap());

    // The domain key creates users but opens nothing else.
    let bob = public.create_user(NewUser::new("Bob")).await.unwrap();
    let forbidden = public
        .api_request(Method::GET, &format!("users/{}", bob.user.id), None)
        .await
        .unwrap_err();
    assert_eq!(code(&forbidden), Some(403), "{forbidden:?}");
    // The secret does.
    let server = InbentaClient::new(config(&world.sandbox, &world.app.app_id).secret("s-1"));
    let user = server
        .api_request(Method::GET, &format!("users/{}", bob.user.id), None)
        .await
        .unwrap();
    assert_eq!(user["user"]["id"], json!(bob.user.id));
    world.shutdown().await;
}

#[tokio::test]
async fn on_and_once_take_pushes_by_type_until_turned_off() {
    let world = World::new(NewInbentaApp::new("app-on")).await;
    let ann = world.agent(NewInbentaAgent::new("Ann")).await;
    let bob = world.user("Bob").await;
    let bob_id = bob.user().id.clone();
    let (tx, mut every) = tokio::sync::mpsc::unbounded_channel();
    let on = bob.on::<UserJoined>(move |joined| {
        let _ = tx.send(joined.user.id.clone());
    });
    let (tx, mut first) = tokio::sync::mpsc::unbounded_channel();
    let once = bob.once::<UserJoined>(move |joined| {
        let _ = tx.send(joined.user.id.clone());
    });

    let chat = bob
        .call(ChatsCreate::new("1", 3, bob_id.clone()))
        .await
        .unwrap()
        .chat;
    within(
        "chats:assign",
        bob.call(ChatsAssign::new(chat.id.clone()).max_attempts(1)),
    )
    .await
    .unwrap();
    let art = world
        .agent(NewInbentaAgent::new("Art").behaviour(AgentBehaviour::Ignore))
        .await;
    let art_id = art.user().id.clone();
    art.call(ChatsJoin::new(chat.id.clone(), art_id.clone()))
        .await
        .unwrap();

    // `on` takes every join: Ann's (assigned), then Art's.
    let mut joins = Vec::new();
    while joins.last() != Some(&art_id) {
        joins.push(within("the joins", every.recv()).await.unwrap());
    }
    assert!(joins.contains(&ann.user().id), "{joins:?}");
    // `once` took the first one only, and is done.
    assert_eq!(
        within("the first join", first.recv()).await,
        joins.first().cloned()
    );
    assert_eq!(within("the end of `once`", first.recv()).await, None);
    within("`once` to finish", async {
        while !once.is_finished() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    // Turned off, `on` stops: its handler (and its sender) are gone.
    assert!(!on.is_finished());
    on.off();
    assert_eq!(within("the end of `on`", every.recv()).await, None);
    world.shutdown().await;
}
