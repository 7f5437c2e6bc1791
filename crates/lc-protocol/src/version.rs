//! API versions and ranges of versions.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A version of the LiveChat Agent and Customer Chat APIs.
///
/// The version is chosen by the URL path (`/v3.6/...`); it decides which actions
/// exist. 3.6 is the current stable version and the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum ApiVersion {
    /// Version 3.3 (2021-03-30).
    V3_3,
    /// Version 3.4 (2021-12-22); the version `@livechat/lc-sdk-js` 4 speaks.
    V3_4,
    /// Version 3.5 (2022-11-23), now legacy.
    V3_5,
    /// Version 3.6 (2025-08-07), the current stable version.
    #[default]
    V3_6,
}

impl ApiVersion {
    /// Every version, oldest first.
    pub const ALL: &'static [ApiVersion] = &[Self::V3_3, Self::V3_4, Self::V3_5, Self::V3_6];

    /// The version as written in URLs and envelopes (`"3.6"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V3_3 => "3.3",
            Self::V3_4 => "3.4",
            Self::V3_5 => "3.5",
            Self::V3_6 => "3.6",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not a supported API version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported API version `{0}` (supported: 3.3, 3.4, 3.5, 3.6)")]
pub struct UnsupportedVersion(pub String);

impl FromStr for ApiVersion {
    type Err = UnsupportedVersion;

    /// Parses `"3.6"` or `"v3.6"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bare = s.strip_prefix('v').unwrap_or(s);
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == bare)
            .ok_or_else(|| UnsupportedVersion(s.to_owned()))
    }
}

impl Serialize for ApiVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ApiVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The versions that have an action, a push or a field: `since..=until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionRange {
    /// The first version that has it.
    pub since: ApiVersion,
    /// The last version that has it; `None` while the current version still does.
    pub until: Option<ApiVersion>,
}

impl VersionRange {
    /// Every version.
    pub const ALL: VersionRange = VersionRange {
        since: ApiVersion::V3_3,
        until: None,
    };

    /// Whether `version` is in the range.
    pub fn contains(&self, version: ApiVersion) -> bool {
        version >= self.since && self.until.is_none_or(|until| version <= until)
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.until {
            None => write!(f, "{}+", self.since),
            Some(until) if until == self.since => write!(f, "{}", self.since),
            Some(until) => write!(f, "{}–{}", self.since, until),
        }
    }
}
