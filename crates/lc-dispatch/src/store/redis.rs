//! [`RedisStore`]: the store replicas share, on a Redis server.

use super::contract::{Lease, Store, StoreError};
use async_trait::async_trait;
use redis::Script;
use redis::aio::ConnectionManager;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// Grants the lease if nobody holds it: the value is `owner:token`, the token from one
/// counter that only grows.
static ACQUIRE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('exists', KEYS[1]) == 1 then return false end
local token = redis.call('incr', KEYS[2])
redis.call('set', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token",
    )
});

/// Extends the lease if it still holds the value granted.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0",
    )
});

/// Deletes the lease if it still holds the value granted.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0",
    )
});

/// A [`Store`] on a Redis server (or anything speaking its protocol: Valkey, KeyDB,
/// ...), shared by every replica of a bot. Seen keys are `SET NX PX`, leases are
/// compare-and-set Lua scripts with a fencing counter, state is `SET PX`. Expiry is the
/// server's: replicas need no common clock. Reconnects by itself (a redis
/// `ConnectionManager`); cheap to clone.
///
/// Keys start with a prefix (`lc-dispatch` by default): `PREFIX:seen:KEY`,
/// `PREFIX:lease:CHAT`, `PREFIX:state:CHAT`, `PREFIX:fence`.
///
/// ```no_run
/// use lc_dispatch::RedisStore;
/// # async fn demo() -> Result<(), lc_dispatch::StoreError> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379/").await?.prefix("echo-bot");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: Arc<str>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: it is not kept.
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the server at `url` (`redis://[:password@]host:port/db`).
    ///
    /// # Errors
    /// The URL is not valid or the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(redis_error)?;
        let connection = ConnectionManager::new(client).await.map_err(redis_error)?;
        Ok(Self {
            connection,
            prefix: Arc::from("lc-dispatch"),
        })
    }

    /// Starts every key with `prefix`: bots sharing one server each take their own.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = Arc::from(prefix);
        self
    }

    fn key(&self, kind: &str, name: &str) -> String {
        format!("{}:{kind}:{name}", self.prefix)
    }

    fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }
}

#[async_trait]
impl Store for RedisStore {
    async fn is_seen(&self, key: &str) -> Result<bool, StoreError> {
        redis::cmd("EXISTS")
            .arg(self.key("seen", key))
            .query_async(&mut self.connection())
            .await
            .map_err(redis_error)
    }

    async fn mark_seen(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key("seen", key))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut self.connection())
            .await
            .map_err(redis_error)?;
        Ok(set.is_some())
    }

    async fn acquire_lease(
        &self,
        chat: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let token: Option<u64> = ACQUIRE
            .key(self.key("lease", chat))
            .key(format!("{}:fence", self.prefix))
            .arg(owner)
            .arg(millis(ttl))
            .invoke_async(&mut self.connection())
            .await
            .map_err(redis_error)?;
        Ok(token.map(|token| Lease {
            chat: chat.to_owned(),
            owner: owner.to_owned(),
            token,
        }))
    }

    async fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<bool, StoreError> {
        let renewed: i64 = RENEW
            .key(self.key("lease", &lease.chat))
            .arg(lease_value(lease))
            .arg(millis(ttl))
            .invoke_async(&mut self.connection())
            .await
            .map_err(redis_error)?;
        Ok(renewed == 1)
    }

    async fn release_lease(&self, lease: &Lease) -> Result<bool, StoreError> {
        let released: i64 = RELEASE
            .key(self.key("lease", &lease.chat))
            .arg(lease_value(lease))
            .invoke_async(&mut self.connection())
            .await
            .map_err(redis_error)?;
        Ok(released == 1)
    }

    async fn state(&self, chat: &str) -> Result<Option<Vec<u8>>, StoreError> {
        redis::cmd("GET")
            .arg(self.key("state", chat))
            .query_async(&mut self.connection())
            .await
            .map_err(redis_error)
    }

    async fn set_state(&self, chat: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        redis::cmd("SET")
            .arg(self.key("state", chat))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .query_async::<()>(&mut self.connection())
            .await
            .map_err(redis_error)
    }

    async fn delete_state(&self, chat: &str) -> Result<(), StoreError> {
        redis::cmd("DEL")
            .arg(self.key("state", chat))
            .query_async::<()>(&mut self.connection())
            .await
            .map_err(redis_error)
    }
}

/// The value a granted lease is stored with.
fn lease_value(lease: &Lease) -> String {
    format!("{}:{}", lease.owner, lease.token)
}

/// `ttl` in whole milliseconds, at least 1 (Redis refuses 0).
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn redis_error(error: redis::RedisError) -> StoreError {
    StoreError::new(error.to_string())
}
