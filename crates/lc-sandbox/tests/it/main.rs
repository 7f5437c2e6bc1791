//! The integration tests of lc-sandbox, in one test binary (one link instead of 19).

#![allow(clippy::unwrap_used)]

mod agent_chats;
mod agent_customers;
mod agent_status;
mod binary;
mod bot_routing;
mod bot_tokens;
mod common;
mod configuration;
mod configuration_webhooks;
mod connection_rules;
mod console;
mod coverage;
mod customer_api;
mod event_rules;
mod events;
mod faults;
mod inbenta;
mod inbenta_assign;
mod inbenta_errors;
mod inbenta_faults;
mod inbenta_media;
mod inbenta_members;
mod inbenta_rest;
mod load;
mod push_shapes;
mod pushes;
mod queues;
mod resources;
mod rtm_basics;
mod version_fields;
mod web;
mod webhooks;
