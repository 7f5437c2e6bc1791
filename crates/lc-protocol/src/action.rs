//! The [`Action`] trait and the metadata of every action.

pub use crate::api::{Api, TransportKind};
use crate::error::Error;
use crate::version::{ApiVersion, VersionRange};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The HTTP method a Web action uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `POST` with a JSON body (most actions).
    Post,
    /// `GET` with the payload as query parameters.
    Get,
}

/// What the tables in `spec/` say about an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionMeta {
    /// The wire name.
    pub name: &'static str,
    /// The API it belongs to.
    pub api: Api,
    /// Whether RTM carries it.
    pub rtm: bool,
    /// How Web carries it, if it does.
    pub web: Option<HttpMethod>,
    /// Whether sending it twice does no more than sending it once (the reads): a Web
    /// request is sent again after a failure that may have reached the server only then.
    pub idempotent: bool,
    /// The versions that have it (`None` for the unversioned Inbenta API).
    pub versions: Option<VersionRange>,
    /// The pushes it triggers.
    pub pushes: &'static [&'static str],
    /// One line on what it does.
    pub doc: &'static str,
}

impl ActionMeta {
    /// Whether `transport` carries the action.
    pub fn carried_by(&self, transport: TransportKind) -> bool {
        match transport {
            TransportKind::Rtm => self.rtm,
            TransportKind::Web => self.web.is_some(),
        }
    }

    /// Whether the action exists in `version`.
    pub fn available_in(&self, version: ApiVersion) -> bool {
        self.versions.is_none_or(|range| range.contains(version))
    }

    /// Checks that a connection of `api`, `transport` and `version` can send the action.
    ///
    /// # Errors
    /// [`Error::Unsupported`], naming the action, transport and version, when it cannot.
    pub fn check(
        &self,
        api: Api,
        transport: TransportKind,
        version: ApiVersion,
    ) -> Result<(), Error> {
        if self.api == api && self.carried_by(transport) && self.available_in(version) {
            return Ok(());
        }
        let carried_by = match (self.rtm, self.web.is_some()) {
            (true, true) => "RTM and Web",
            (true, false) => "RTM only",
            (false, true) => "Web only",
            (false, false) => "on no transport",
        };
        let carried_by = if self.api == api {
            carried_by.to_owned()
        } else {
            format!("{carried_by} of the {} API", self.api)
        };
        Err(Error::unsupported(
            self.name,
            api,
            transport,
            version,
            &carried_by,
            self.versions,
        ))
    }
}

/// What the tables in `spec/` say about a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushMeta {
    /// The wire name.
    pub name: &'static str,
    /// The API that sends it.
    pub api: Api,
    /// The versions that have it (`None` for the unversioned Inbenta API).
    pub versions: Option<VersionRange>,
    /// One line on what it means.
    pub doc: &'static str,
}

/// A request the API understands: its payload is `Self`, serialized as JSON.
///
/// Implemented (by `cargo xtask codegen`) for every request struct in
/// [`crate::agent`], [`crate::customer`] and [`crate::inbenta`].
pub trait Action: Serialize + Send + Sync {
    /// What the tables say about the action.
    const META: &'static ActionMeta;
    /// The wire name of the action.
    const NAME: &'static str = Self::META.name;
    /// The payload of a successful response.
    type Response: DeserializeOwned + Send + 'static;
}

/// The empty response (or request) payload, `{}`. Any fields sent are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Empty {}
