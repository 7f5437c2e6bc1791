//! The state's indexes (connections by user, active chats per agent) against a rebuild
//! from scratch, across logins, disconnects and the chat lifecycle.

#![allow(clippy::unwrap_used)]

use crate::chat_ops::{self, NewThread};
use crate::state::{
    AgentRec, ChatUserRec, ConnId, ConnRec, CustomerRec, Principal, Settings, State,
};
use lc_protocol::id::{AgentId, ChatId, CustomerId};
use lc_protocol::types::{Agent, Customer, Event, MessageEvent, RoutingStatus, Visibility};
use lc_protocol::{Api, ApiVersion};

fn state() -> State {
    let mut state = State::new(Settings {
        organization_id: "390e44e6-f1e6-0368-c1ba-3b48b1ba6be0".into(),
        license_id: "104130623".into(),
        multiple_chats_per_customer: true,
        bot_token_lifetime: crate::bots::DEFAULT_TOKEN_LIFETIME,
    });
    for id in ["a@example.com", "b@example.com"] {
        state.agents.insert(
            AgentId::new(id),
            AgentRec {
                profile: Agent {
                    id: AgentId::new(id),
                    ..Agent::default()
                },
                groups: Vec::new(),
                routing_status: RoutingStatus::AcceptingChats,
                login: Default::default(),
            },
        );
    }
    for id in ["c1", "c2"] {
        state.customers.insert(
            CustomerId::new(id),
            CustomerRec::new(Customer {
                id: CustomerId::new(id),
                ..Customer::default()
            }),
        );
    }
    state
}

/// Opens a connection (not logged in) and returns its id.
fn connect(state: &mut State, api: Api) -> ConnId {
    state.next_conn += 1;
    let id = state.next_conn;
    let cutoff = crate::cutoff::Cutoff::new();
    let (tx, _) = crate::out_queue::out_queue(cutoff.clone(), crate::out_queue::MAX_QUEUED_BYTES);
    state.conns.insert(
        id,
        ConnRec {
            api,
            version: ApiVersion::V3_6,
            principal: None,
            pushes: None,
            away: false,
            session: Default::default(),
            tx,
            cutoff,
            chaos_armed: false,
        },
    );
    id
}

fn agent(id: &str) -> AgentId {
    AgentId::new(id)
}

#[track_caller]
fn consistent(state: &State) {
    assert_eq!(state.index_mismatch(), None);
}

#[test]
fn connections_by_user_follow_logins_and_disconnects() {
    let mut state = state();
    let a = Principal::Agent(agent("a@example.com"));
    let c1 = Principal::Customer(CustomerId::new("c1"));
    let first = connect(&mut state, Api::Agent);
    let second = connect(&mut state, Api::Agent);
    let customer = connect(&mut state, Api::Customer);
    consistent(&state);
    assert!(!state.agent_online(&agent("a@example.com")));

    // Logged in out of id order: the index keeps id order.
    state.set_principal(second, a.clone());
    state.set_principal(first, a.clone());
    state.set_principal(customer, c1.clone());
    consistent(&state);
    assert_eq!(state.conns_of_user("a@example.com"), [first, second]);
    assert_eq!(state.agent_conns(&agent("a@example.com")), [first, second]);
    assert_eq!(state.conns_of_user("c1"), [customer]);
    assert!(state.customer_online(&CustomerId::new("c1")));
    assert!(!state.agent_online(&agent("b@example.com")));

    // A second login on a connection replaces the first principal in the index.
    state.set_principal(second, Principal::Agent(agent("b@example.com")));
    consistent(&state);
    assert_eq!(state.conns_of_user("a@example.com"), [first]);
    assert_eq!(state.conns_of_user("b@example.com"), [second]);

    // Away: all away only when every connection of the agent is.
    state.conns.get_mut(&first).unwrap().away = true;
    assert!(state.all_away(&agent("a@example.com")));
    assert!(!state.all_away(&agent("b@example.com")));

    state.on_connection_closed(first);
    consistent(&state);
    assert!(state.conns_of_user("a@example.com").is_empty());
    assert!(!state.agent_online(&agent("a@example.com")));
    assert!(!state.all_away(&agent("a@example.com")));
    state.on_connection_closed(customer);
    state.on_connection_closed(second);
    consistent(&state);
    assert!(!state.customer_online(&CustomerId::new("c1")));
}

fn message(text: &str) -> Event {
    Event::Message(MessageEvent {
        text: Some(text.to_owned()),
        ..MessageEvent::default()
    })
}

/// A customer chat with an active thread, routed.
fn routed_chat(state: &mut State, customer: &str) -> (ChatId, Option<AgentId>) {
    let who = Principal::Customer(CustomerId::new(customer));
    let users = chat_ops::initial_users(state, &who, &[]).unwrap();
    let chat = chat_ops::create_chat(state, users, None, None);
    let new = NewThread {
        events: vec![message("hi")],
        properties: None,
        active: true,
    };
    chat_ops::open_thread(state, &chat, &who, new).unwrap();
    let routed = chat_ops::route(state, &chat);
    consistent(state);
    (chat, routed)
}

#[test]
fn active_chats_per_agent_follow_the_chat_lifecycle() {
    let mut state = state();
    let (a, b) = (agent("a@example.com"), agent("b@example.com"));
    for (conn_of, id) in [(Api::Agent, &a), (Api::Agent, &b)] {
        let conn = connect(&mut state, conn_of);
        state.set_principal(conn, Principal::Agent(id.clone()));
    }

    // Routing balances on the counts: two chats go to two agents.
    let (first, to_first) = routed_chat(&mut state, "c1");
    let (second, to_second) = routed_chat(&mut state, "c2");
    assert_eq!(to_first.as_ref(), Some(&a));
    assert_eq!(to_second.as_ref(), Some(&b));
    assert_eq!(chat_ops::active_chats_of(&state, &a), 1);
    assert_eq!(chat_ops::active_chats_of(&state, &b), 1);

    // An agent joining (as `add_user_to_chat` or a transfer does) counts at once.
    state
        .chats
        .get_mut(&second)
        .unwrap()
        .users
        .push(ChatUserRec {
            principal: Principal::Agent(a.clone()),
            visibility: Visibility::All,
            present: true,
            events_seen_up_to: None,
        });
    consistent(&state);
    assert_eq!(chat_ops::active_chats_of(&state, &a), 2);

    // Messages change nothing; deactivating uncounts the chat for both its agents.
    let who = Principal::Agent(a.clone());
    chat_ops::add_event(&mut state, &who, &second, message("re"), false).unwrap();
    consistent(&state);
    chat_ops::deactivate(&mut state, &second, Some(&who)).unwrap();
    consistent(&state);
    assert_eq!(chat_ops::active_chats_of(&state, &a), 1);
    assert_eq!(chat_ops::active_chats_of(&state, &b), 0);

    // A new active thread counts again; removing an agent uncounts it for that agent.
    let new = NewThread {
        events: vec![message("again")],
        properties: None,
        active: true,
    };
    chat_ops::open_thread(&mut state, &second, &who, new).unwrap();
    consistent(&state);
    assert_eq!(chat_ops::active_chats_of(&state, &a), 2);
    assert_eq!(chat_ops::active_chats_of(&state, &b), 1);
    state
        .chats
        .get_mut(&second)
        .unwrap()
        .users
        .retain(|u| u.principal != who);
    consistent(&state);
    assert_eq!(chat_ops::active_chats_of(&state, &a), 1);

    // Replacing a chat wholesale (a failed transfer restores it) and removing it.
    let before = state.chats.get(&first).unwrap().clone();
    state.chats.get_mut(&first).unwrap().users.clear();
    assert_eq!(chat_ops::active_chats_of(&state, &a), 0);
    state.chats.insert(first.clone(), before);
    consistent(&state);
    assert_eq!(chat_ops::active_chats_of(&state, &a), 1);
    state.chats.remove(&first);
    state.chats.remove(&second);
    consistent(&state);
    assert_eq!(chat_ops::active_chats_of(&state, &a), 0);
    assert_eq!(chat_ops::active_chats_of(&state, &b), 0);
}
