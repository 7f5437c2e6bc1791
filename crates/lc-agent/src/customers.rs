//! Customers: get, list, create, update, ban, follow, subscribe.

use crate::{AgentClient, Call};
use lc_protocol::agent;
use lc_protocol::id::CustomerId;
use lc_protocol::types::Ban;
use lc_protocol::{RtmTransport, Transport};

impl<T: Transport> AgentClient<T> {
    /// `get_customer`: a customer's profile and statistics.
    /// (JS: lc-sdk-js `getCustomer`.)
    pub fn get_customer(&self, id: impl Into<CustomerId>) -> Call<'_, T, agent::GetCustomer> {
        self.call(agent::GetCustomer::new(id))
    }

    /// `list_customers` (API 3.3–3.5): customers, with filters and pagination.
    /// (JS: lc-sdk-js `listCustomers`.)
    pub fn list_customers(&self) -> Call<'_, T, agent::ListCustomers> {
        self.call(agent::ListCustomers::new())
    }

    /// `create_customer` (API 3.3–3.5): creates a customer (`name`, `email`, ... through
    /// set on the call).
    /// (JS: lc-sdk-js `createCustomer`.)
    pub fn create_customer(&self) -> Call<'_, T, agent::CreateCustomer> {
        self.call(agent::CreateCustomer::new())
    }

    /// `update_customer`: changes a customer's profile (fields set on the call).
    /// (JS: lc-sdk-js `updateCustomer`.)
    pub fn update_customer(&self, id: impl Into<CustomerId>) -> Call<'_, T, agent::UpdateCustomer> {
        self.call(agent::UpdateCustomer::new(id))
    }

    /// `ban_customer`: bans a customer for `days` days.
    /// (JS: lc-sdk-js `banCustomer`.)
    pub fn ban_customer(
        &self,
        id: impl Into<CustomerId>,
        days: u32,
    ) -> Call<'_, T, agent::BanCustomer> {
        let ban = Ban {
            days,
            ..Ban::default()
        };
        self.call(agent::BanCustomer::new(id, ban))
    }

    /// `follow_customer` (API 3.3 only): the agent receives the customer's pushes.
    /// (JS: lc-sdk-js `followCustomer`.)
    pub fn follow_customer(&self, id: impl Into<CustomerId>) -> Call<'_, T, agent::FollowCustomer> {
        self.call(agent::FollowCustomer::new(id))
    }

    /// `unfollow_customer` (API 3.3 only): stops following a customer.
    /// (JS: lc-sdk-js `unfollowCustomer`.)
    pub fn unfollow_customer(
        &self,
        id: impl Into<CustomerId>,
    ) -> Call<'_, T, agent::UnfollowCustomer> {
        self.call(agent::UnfollowCustomer::new(id))
    }
}

/// Customer subscriptions live on an RTM connection.
impl<T: RtmTransport> AgentClient<T> {
    /// `subscribe_customers` (API 3.6): subscribes to pushes about matching customers.
    pub fn subscribe_customers(&self) -> Call<'_, T, agent::SubscribeCustomers> {
        self.call(agent::SubscribeCustomers::new())
    }

    /// `unsubscribe_customers` (API 3.6): ends a `subscribe_customers` subscription.
    pub fn unsubscribe_customers(
        &self,
        subscription_id: impl Into<String>,
    ) -> Call<'_, T, agent::UnsubscribeCustomers> {
        self.call(agent::UnsubscribeCustomers::new(subscription_id))
    }
}
