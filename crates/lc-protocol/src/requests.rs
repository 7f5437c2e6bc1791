//! Constructors of the parts of requests that are awkward to build field by field.

use crate::generated::agent::TransferChatTarget;
use crate::generated::common::TransferTargetType;
use crate::id::{AgentId, GroupId};
use serde_json::Value;

impl TransferChatTarget {
    /// A `transfer_chat` target of these agents.
    ///
    /// ```
    /// use lc_protocol::agent::TransferChatTarget;
    ///
    /// let ann = TransferChatTarget::agents(["ann@example.com"]);
    /// assert_eq!(ann.ids, [serde_json::json!("ann@example.com")]);
    /// ```
    pub fn agents<I: Into<AgentId>>(ids: impl IntoIterator<Item = I>) -> Self {
        Self {
            kind: TransferTargetType::Agent,
            ids: ids
                .into_iter()
                .map(|id| Value::String(id.into().as_str().to_owned()))
                .collect(),
        }
    }

    /// A `transfer_chat` target of these groups.
    ///
    /// ```
    /// use lc_protocol::agent::TransferChatTarget;
    ///
    /// let sales = TransferChatTarget::groups([1]);
    /// assert_eq!(sales.ids, [serde_json::json!(1)]);
    /// ```
    pub fn groups<I: Into<GroupId>>(ids: impl IntoIterator<Item = I>) -> Self {
        Self {
            kind: TransferTargetType::Group,
            ids: ids.into_iter().map(|id| Value::from(id.into().0)).collect(),
        }
    }
}
