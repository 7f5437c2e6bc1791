//! Fault injection and inspection hooks of [`Sandbox`]: slow or failing actions, raw
//! answers, dropped connections, malformed frames.

use crate::{Sandbox, state};
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

    /// Fault injection: the next `count` calls of `action` (either API, RTM or Web; `login`
    /// and `ping` included) fail with `error` and change nothing. Over Web the status is
    /// the error's usual one (429 for `too_many_requests`, with `Retry-After: 1`).
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

    /// Fault injection: drops every RTM connection and every Inbenta realtime socket at
    /// once, as a network failure would: no disconnect push, no close frame. Clients see
    /// the socket end. REST and Web calls are not affected.
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
                let _ = conn.tx.send(state::Outgoing::Drop);
            }
        }
        self.shared.inbenta.drop_connections();
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
