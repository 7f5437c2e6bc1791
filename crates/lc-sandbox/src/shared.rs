//! What every connection task shares ([`Shared`]): the state and the armed faults, each
//! behind its lock, the Inbenta hub, the timing rules and the shutdown signal.

use crate::faults::Faults;
use crate::inbenta::hub::Hub;
use crate::state::State;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

/// Connection-level timing rules (§1.2 of the notes); shorter in tests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// Time allowed between connecting and a successful `login`.
    pub(crate) login_deadline: Duration,
    /// Time without any frame after which a logged-in connection is closed.
    pub(crate) idle_timeout: Duration,
    /// Time after which a request still unanswered gets `request_timeout` (15 s in the
    /// real service; only a response delay set with `Sandbox::set_response_delay` makes a
    /// request that slow).
    pub(crate) request_timeout: Duration,
    /// Time an HTTP connection may sit without a byte read or written before it is
    /// closed ([`IDLE_TIMEOUT`](crate::server::IDLE_TIMEOUT) unless the builder says
    /// otherwise).
    pub(crate) http_idle_timeout: Duration,
}

/// What every connection task shares.
pub(crate) struct Shared {
    state: Mutex<State>,
    faults: Mutex<Faults>,
    pub(crate) base_url: String,
    pub(crate) timing: Timing,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// The Inbenta side (its own state and lock).
    pub(crate) inbenta: Arc<Hub>,
    /// The console: admin token, journal, state file (off unless the builder sets it).
    pub(crate) console: crate::console::settings::Console,
}

impl Shared {
    pub(crate) fn new(
        state: State,
        base_url: String,
        timing: Timing,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            state: Mutex::new(state),
            faults: Mutex::new(Faults::default()),
            base_url,
            timing,
            inbenta: Hub::new(shutdown.clone()),
            shutdown,
            console: Default::default(),
        }
    }

    /// Locks the state; a handler that panicked does not poison the sandbox.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Locks the armed faults (a lock of its own: taking it never waits for an action).
    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
