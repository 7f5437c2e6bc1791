//! Constructors of the Configuration API structures.

use crate::generated::common::{ConfigGroupMembership, ConfigGroupPriority};
use crate::id::GroupId;

impl ConfigGroupMembership {
    /// Membership of group `id` with routing `priority`.
    ///
    /// ```
    /// use lc_protocol::types::{ConfigGroupMembership, ConfigGroupPriority};
    ///
    /// let first_in_sales = ConfigGroupMembership::new(1, ConfigGroupPriority::First);
    /// assert_eq!(first_in_sales.id.0, 1);
    /// ```
    pub fn new(id: impl Into<GroupId>, priority: ConfigGroupPriority) -> Self {
        Self {
            id: id.into(),
            priority,
            extra: serde_json::Map::new(),
        }
    }
}
