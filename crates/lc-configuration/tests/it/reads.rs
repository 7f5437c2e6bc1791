//! The group and agent reads a bot routes with.

use crate::common::{CLIENT_ID, World, error_type};
use lc_protocol::ErrorType;
use lc_protocol::configuration::{AgentField, GroupField};
use lc_protocol::types::{ConfigGroupMembership, ConfigGroupPriority};

#[tokio::test]
async fn groups_list_their_members_with_priorities() {
    let world = World::new().await;
    world.sandbox.create_group(1, "Sales");
    let bot = world
        .config
        .create_bot("Seller")
        .owner_client_id(CLIENT_ID)
        .groups(vec![ConfigGroupMembership::new(
            1,
            ConfigGroupPriority::First,
        )])
        .await
        .unwrap();

    let groups = world.config.list_groups().await.unwrap();
    let names: Vec<&str> = groups.iter().filter_map(|g| g.name.as_deref()).collect();
    assert!(names.contains(&"General"));
    assert!(names.contains(&"Sales"));

    let sales = world
        .config
        .get_group(1)
        .fields(vec![GroupField::AgentPriorities, GroupField::RoutingStatus])
        .await
        .unwrap();
    assert_eq!(sales.name.as_deref(), Some("Sales"));
    let priorities = sales.agent_priorities.unwrap();
    assert_eq!(
        priorities.get(bot.id.as_str()),
        Some(&ConfigGroupPriority::First)
    );
    assert!(sales.routing_status.is_some());

    let general = world
        .config
        .get_group(0)
        .fields(vec![GroupField::AgentPriorities])
        .await
        .unwrap();
    assert!(
        general
            .agent_priorities
            .unwrap()
            .contains_key(world.agent.id.as_str())
    );

    assert_eq!(
        error_type(world.config.get_group(42).await),
        ErrorType::GroupNotFound
    );
}

#[tokio::test]
async fn agents_are_listed_without_bots() {
    let world = World::new().await;
    world
        .config
        .create_bot("Echo")
        .owner_client_id(CLIENT_ID)
        .await
        .unwrap();
    let agents = world
        .config
        .list_agents()
        .fields(vec![AgentField::MaxChatsCount, AgentField::Groups])
        .await
        .unwrap();
    assert_eq!(agents.len(), 1, "bots are not agents here: {agents:?}");
    assert_eq!(agents[0].id, world.agent.id);
    assert_eq!(agents[0].name.as_deref(), Some("Smith"));

    let agent = world
        .config
        .get_agent(world.agent.id.clone())
        .await
        .unwrap();
    assert_eq!(agent.id, world.agent.id);
    let missing = world.config.get_agent("nobody@example.com").await;
    assert_eq!(error_type(missing), ErrorType::NotFound);
}
