//! What most programs need, in one import: `use livechat::prelude::*;`.
//!
//! The clients of the enabled features, their sessions and configurations, the event
//! and push enums, [`Token`], [`Event`], [`Error`], and [`StreamExt`](futures_util::StreamExt)
//! for reading event streams with `.next().await`.

pub use crate::{Error, EventStream, SendOnce, Subscription};
pub use futures_util::StreamExt as _;
pub use lc_protocol::id::{ChatId, Token};
pub use lc_protocol::types::Event;
pub use lc_rtm::{RtmConfig, RtmEvent};
pub use lc_web::{Upload, WebConfig};

#[cfg(feature = "agent")]
pub use crate::agent::{AgentClient, AgentEvent, AgentPush, AgentSession};
#[cfg(feature = "configuration")]
pub use crate::configuration::{ConfigurationClient, ConfigurationSession};
#[cfg(feature = "customer")]
pub use crate::customer::{CustomerClient, CustomerConfig, CustomerEvent, CustomerPush};
#[cfg(feature = "inbenta")]
pub use crate::inbenta::{Chat, ChatEvent, ChatOptions, InbentaClient, InbentaConfig, UserClient};
#[cfg(feature = "sandbox")]
pub use crate::sandbox::{NewAgent, NewCustomer, Sandbox};
