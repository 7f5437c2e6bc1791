//! The customer: profile, page, and what only Web carries (configuration reads, goals,
//! e-mail verification).

use crate::call::Call;
use crate::client::CustomerClient;
use crate::connection::CustomerConnection;
use lc_protocol::RtmTransport;
use lc_protocol::customer;
use lc_protocol::id::GroupId;
use lc_protocol::types::SessionFields;
use std::collections::BTreeMap;

impl<T: CustomerConnection> CustomerClient<T> {
    /// customer-sdk `updateCustomer`: the customer's `name`, `email` and string `fields`
    /// (kept as session fields, in order); any field may be left out, at least one is
    /// needed.
    ///
    /// ```no_run
    /// # async fn demo(client: lc_customer::CustomerClient) -> Result<(), lc_protocol::Error> {
    /// client
    ///     .update_customer(Some("John Doe"), Some("john.doe@example.com"), [("basket", "10usd")])
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn update_customer<K, V>(
        &self,
        name: Option<&str>,
        email: Option<&str>,
        fields: impl IntoIterator<Item = (K, V)>,
    ) -> Call<'_, T, customer::UpdateCustomer>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut request = customer::UpdateCustomer::new();
        request.name = name.map(str::to_owned);
        request.email = email.map(str::to_owned);
        let fields: Vec<BTreeMap<String, String>> = fields
            .into_iter()
            .map(|(k, v)| BTreeMap::from([(k.into(), v.into())]))
            .collect();
        if !fields.is_empty() {
            request.session_fields = Some(fields);
        }
        self.call(request)
    }

    /// `get_customer`: the customer's profile.
    pub fn get_customer(&self) -> Call<'_, T, customer::GetCustomer> {
        self.call(customer::GetCustomer::new())
    }

    /// `list_license_properties` (Web, GET): the license's public properties.
    pub fn list_license_properties(&self) -> Call<'_, T, customer::ListLicenseProperties> {
        self.call(customer::ListLicenseProperties::new())
    }

    /// `list_group_properties` (Web, GET): a group's public properties.
    pub fn list_group_properties(
        &self,
        group: impl Into<GroupId>,
    ) -> Call<'_, T, customer::ListGroupProperties> {
        self.call(customer::ListGroupProperties::new(group))
    }

    /// `get_dynamic_configuration` (Web, GET): the widget's configuration for a group and
    /// page (set on the call).
    pub fn get_dynamic_configuration(&self) -> Call<'_, T, customer::GetDynamicConfiguration> {
        self.call(customer::GetDynamicConfiguration::new())
    }

    /// `get_configuration` (Web, GET): a group's static widget configuration of
    /// `version` (the `config_version` of the dynamic configuration).
    pub fn get_configuration(
        &self,
        group: impl Into<GroupId>,
        version: impl Into<String>,
    ) -> Call<'_, T, customer::GetConfiguration> {
        self.call(customer::GetConfiguration::new(group, version))
    }

    /// `get_localization` (Web, GET): a group's phrases in `language`, of `version` (the
    /// `localization_version` of the dynamic configuration).
    pub fn get_localization(
        &self,
        group: impl Into<GroupId>,
        language: impl Into<String>,
        version: impl Into<String>,
    ) -> Call<'_, T, customer::GetLocalization> {
        self.call(customer::GetLocalization::new(group, language, version))
    }

    /// `check_goals` (Web): checks the goals of a page for an offline customer.
    pub fn check_goals(
        &self,
        session_fields: SessionFields,
        group: impl Into<GroupId>,
        page_url: impl Into<String>,
    ) -> Call<'_, T, customer::CheckGoals> {
        self.call(customer::CheckGoals::new(session_fields, group, page_url))
    }

    /// `request_email_verification` (Web): the server later POSTs the verified e-mail to
    /// `callback_uri`.
    pub fn request_email_verification(
        &self,
        callback_uri: impl Into<String>,
    ) -> Call<'_, T, customer::RequestEmailVerification> {
        self.call(customer::RequestEmailVerification::new(callback_uri))
    }
}

impl<T: CustomerConnection + RtmTransport> CustomerClient<T> {
    /// customer-sdk `updateCustomerPage` (RTM only): the page the customer is on (`title`
    /// set on the call).
    pub fn update_customer_page(
        &self,
        url: impl Into<String>,
    ) -> Call<'_, T, customer::UpdateCustomerPage> {
        self.call(customer::UpdateCustomerPage::new(url))
    }
}
