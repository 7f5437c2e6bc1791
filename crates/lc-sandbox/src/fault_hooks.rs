//! Fault injection and inspection hooks of [`Sandbox`]: slow or failing actions, raw
//! answers, dropped connections (at once, after applying a request, at random), refused
//! logins, malformed frames, and the count of faults injected.

use crate::chaos::{Chaos, FaultStats};
use crate::sandbox::Sandbox;
use std::time::Duration;

impl Sandbox {
    /// Fault injection: delays the handling of every request, RTM and Web, by `delay`
    /// (zero turns it off). RTM requests then wait in a queue, in arrival order, and count
    /// as pending: the 11th unanswered request of a connection fails at once with
    /// `pending_requests_limit_reached`. A delay of at least the request timeout (15 s,
    /// see [`SandboxBuilder::request_timeout`](crate::SandboxBuilder::request_timeout)) answers `request_timeout` instead, without
    /// running the action.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// use std::time::Duration;
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// sandbox.set_response_delay(Duration::from_secs(2));
    /// // ... a client with a 1 s request timeout now times out on every call ...
    /// sandbox.set_response_delay(Duration::ZERO);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_response_delay(&self, delay: Duration) {
        self.shared.faults().set_delay(delay);
    }

    /// Fault injection: like [`set_response_delay`](Self::set_response_delay) for one
    /// action only (zero: back to the general delay).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// use std::time::Duration;
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// sandbox.set_action_delay("send_event", Duration::from_millis(500));
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_action_delay(&self, action: &str, delay: Duration) {
        self.shared.faults().set_action_delay(action, delay);
    }

    /// Fault injection: the next `count` calls of `action` (either LiveChat API, RTM or
    /// Web, `login` and `ping` included; or an Inbenta realtime event such as
    /// `messages:send`) fail with `error` and change nothing. Over Web the status is the
    /// error's usual one (429 for `too_many_requests`, with `Retry-After: 1`); Inbenta
    /// answers with the error's code.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// sandbox.fail_next("send_event", "too_many_requests", 2);
    /// // the next two send_event calls fail; the third succeeds
    /// # Ok(())
    /// # }
    /// ```
    pub fn fail_next(&self, action: &str, error: impl Into<lc_protocol::ErrorType>, count: u32) {
        let error = lc_protocol::ApiError::new(error.into());
        self.shared.faults().fail_next(action, error, count);
    }

    /// Fault injection: like [`fail_next`](Self::fail_next) with a whole error object
    /// (message and `data` included).
    pub fn fail_next_with(&self, action: &str, error: lc_protocol::ApiError, count: u32) {
        self.shared.faults().fail_next(action, error, count);
    }

    /// Fault injection: the next Web call of `action` is answered with `status` and
    /// `body` exactly as given (malformed or truncated JSON, an HTML error page, ...).
    /// Calls queue: two calls answer two calls.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// sandbox.respond_raw_next("list_chats", 200, r#"{"chats_summary":["#);
    /// # Ok(())
    /// # }
    /// ```
    pub fn respond_raw_next(&self, action: &str, status: u16, body: &str) {
        self.shared
            .faults()
            .push_raw_reply(action, status, body.to_owned());
    }

    /// Routing: Web requests whose `X-Region` header is not `region` fail with
    /// `misdirected_request` naming it in `data.region` (`None`: any region is fine).
    pub fn require_region(&self, region: Option<&str>) {
        self.shared
            .faults()
            .set_required_region(region.map(str::to_owned));
    }

    /// How many files `upload_file` has stored.
    pub fn uploaded_file_count(&self) -> usize {
        self.shared.lock().files.len()
    }

    /// How many realtime connections are open: RTM WebSockets (logged in or not) and
    /// Inbenta realtime sockets.
    pub fn realtime_connection_count(&self) -> usize {
        let rtm = self.shared.lock().conns.len();
        rtm + self.shared.inbenta.lock().conns.len()
    }

    /// Fault injection: drops every RTM connection and every Inbenta realtime socket at
    /// once, as a network failure would: no disconnect push, no close frame, and frames
    /// still queued for them are not written. Clients see the socket end. REST and Web
    /// calls are not affected.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// // ... clients connected and logged in ...
    /// sandbox.drop_connections();
    /// // ... check that they reconnect and log in again ...
    /// # Ok(())
    /// # }
    /// ```
    pub fn drop_connections(&self) {
        {
            let state = self.shared.lock();
            for conn in state.conns.values() {
                conn.cutoff.cut();
            }
        }
        self.shared.inbenta.drop_connections();
    }

    /// Fault injection: each of the next `count` requests of `action` is applied, then the
    /// requester's connection is dropped abruptly instead of answered, as a network
    /// failure right after the server acted (zero disarms it; a new call replaces the
    /// count). The request runs as usual, whatever its outcome: the state changes and the
    /// pushes it causes reach the *other* connections (other connections of the same
    /// user included); nothing more is written to the requester's connection — no
    /// response, no push, no disconnect push, no close frame.
    ///
    /// - RTM (agent and customer; `login` and `ping` included): the WebSocket is dropped.
    /// - Inbenta realtime socket: `action` is an event name (`messages:send`, ...); the
    ///   socket is dropped without a reply.
    /// - Web: the HTTP connection is closed without a response (with HTTP/2, together
    ///   with the other requests on it).
    ///
    /// A failure armed with [`fail_next`](Self::fail_next) for the same call wins: that
    /// call fails, changes nothing and is answered; a response delay delays the request
    /// before it runs. [`fault_stats`](Self::fault_stats) counts these drops.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// sandbox.drop_after_applying("send_event", 1);
    /// // the next send_event is stored and pushed to the chat's other users, but its
    /// // sender's connection ends without a response: a client that resends it blindly
    /// // after reconnecting stores it twice (the sandbox, like the real service, does
    /// // not deduplicate by `custom_id`)
    /// # Ok(())
    /// # }
    /// ```
    pub fn drop_after_applying(&self, action: &str, count: u32) {
        self.shared.faults().drop_after_applying(action, count);
    }

    /// Fault injection: arms seeded random faults (see [`Chaos`]), replacing those armed
    /// before; their draws start over, so the same seed replays the same faults. Counts
    /// armed with [`drop_after_applying`](Self::drop_after_applying) go first; connection
    /// limits apply to the connections that log in (RTM) or open (Inbenta) from now on.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// use lc_sandbox::Chaos;
    /// use std::time::Duration;
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// sandbox.set_chaos(
    ///     Chaos::seeded(7)
    ///         .drop_after_applying("send_event", 0.2)
    ///         .drop_after_lifetime(Duration::from_millis(300)..=Duration::from_millis(1500)),
    /// );
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_chaos(&self, chaos: Chaos) {
        self.shared.faults().set_chaos(Some(chaos));
    }

    /// Fault injection: disarms the faults of [`set_chaos`](Self::set_chaos). Connections
    /// already given a drop plan keep it; close them with
    /// [`drop_connections`](Self::drop_connections) if needed.
    pub fn clear_chaos(&self) {
        self.shared.faults().set_chaos(None);
    }

    /// Fault injection: for `window` from now the service is unavailable to new
    /// sessions (zero: available again at once). Every RTM `login`, agent or customer, is
    /// answered with a `service_unavailable` error, changes nothing, and the connection is
    /// then closed (a close frame after the answer); an Inbenta realtime handshake is
    /// answered `503` (`{"error": {"code": 503, ...}}`) instead of upgrading.
    /// Connections already logged in, Web and Inbenta REST calls are not affected.
    /// [`fault_stats`](Self::fault_stats) counts the refusals.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// use std::time::Duration;
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// sandbox.drop_connections();
    /// sandbox.refuse_logins_for(Duration::from_secs(2));
    /// // ... clients must back off and log in again after the window ...
    /// # Ok(())
    /// # }
    /// ```
    pub fn refuse_logins_for(&self, window: Duration) {
        self.shared.faults().refuse_logins_for(window);
    }

    /// How many faults were injected since the sandbox started: requests dropped after
    /// applying, connections dropped by a [`Chaos`] plan, refused logins. Faults armed
    /// with the other hooks ([`fail_next`](Self::fail_next),
    /// [`drop_connections`](Self::drop_connections), ...) are not counted.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// // ... a chaos run ...
    /// let stats = sandbox.fault_stats();
    /// println!(
    ///     "{} requests dropped after applying, {} connections dropped, {} logins refused",
    ///     stats.dropped_after_applying, stats.random_connection_drops, stats.refused_logins
    /// );
    /// # Ok(())
    /// # }
    /// ```
    pub fn fault_stats(&self) -> FaultStats {
        self.shared.faults().stats()
    }

    /// Fault injection: sends `text` as a text frame, unchanged (it need not be JSON), to
    /// every logged-in RTM connection of `user` (an agent id or a customer id).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// let agent = sandbox.create_agent(lc_sandbox::NewAgent::new("smith@example.com"));
    /// // ... the agent's client connected and logged in ...
    /// sandbox.send_raw_frame(agent.id.as_str(), r#"{"type":"push","action":"#);
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_raw_frame(&self, user: &str, text: &str) {
        let state = self.shared.lock();
        for conn in state.conns_of_user(user) {
            if let Some(c) = state.conns.get(&conn) {
                c.send(text.to_owned());
            }
        }
    }
}
