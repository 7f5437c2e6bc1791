//! A local server speaking the LiveChat Agent Chat API and Customer Chat API — RTM
//! (WebSocket) and Web (HTTP), versions 3.3 to 3.6 — and the bot, webhook registration
//! and group/agent read actions of the Configuration API (Web), with the semantics of
//! the real service, in memory.
//!
//! It is the test bed of every integration test of livechat-rs, the embedded default of
//! the quickstart, and a way to develop a bot offline.
//!
//! It delivers webhooks to the URLs applications register, with the real service's
//! envelope, filters and retries, and logs every attempt: see
//! [`Sandbox::webhook_deliveries`] and `docs/sandbox.md`.
//!
//! The same port also emulates Inbenta Agent Chat (REST under `/v1/`, the realtime socket
//! at `/v1/ws`): see [`Sandbox::create_inbenta_app`] and `docs/sandbox.md`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
//! use lc_sandbox::{NewAgent, NewCustomer, Sandbox};
//!
//! let sandbox = Sandbox::builder().start().await?;
//! let agent = sandbox.create_agent(NewAgent::new("smith@example.com").name("Agent Smith"));
//! let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
//! println!("agents connect to {}/v3.6/agent/rtm/ws", sandbox.ws_url());
//! println!("login with {:?} / {:?}", agent.bearer(), customer.bearer());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod accounts;
mod accounts_service;
mod accounts_store;
mod agent_api;
mod auth;
mod body;
mod bots;
mod builder;
mod chaos;
mod chat_ops;
mod chats;
mod clock;
mod configuration_api;
mod console;
mod cursors;
mod customer_api;
mod cutoff;
mod dispatch;
mod error;
mod event_actions;
mod event_ops;
mod event_rules;
mod fault_hooks;
mod faults;
mod files;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod group_statuses;
mod handler;
mod inbenta;
#[cfg(test)]
mod index_tests;
mod listing;
mod lookup;
mod multipart;
mod out_queue;
mod outbox;
mod pagination;
mod periodic;
mod principal;
mod push;
mod push_shapes;
mod query;
mod queue;
mod response;
mod rtm;
mod sandbox;
mod server;
mod shared;
mod state;
mod tls;
mod upgrade;
mod views;
mod web;
mod webhook_delivery;
mod webhook_registry;
mod writer;

pub use accounts::{AgentHandle, CustomerHandle, NewAgent, NewCustomer};
pub use accounts_service::OAuthClient;
pub use builder::SandboxBuilder;
pub use chaos::{Chaos, FaultStats};
pub use error::SandboxError;
pub use inbenta::{AgentBehaviour, InbentaApp, InbentaUser, NewInbentaAgent, NewInbentaApp};
pub use sandbox::Sandbox;
pub use tls::SelfSigned;
pub use webhook_delivery::log::{DeliveryOutcome, WebhookDelivery};
