//! [`Hub`]: the Inbenta side's state behind its own lock, and the runtime its timers
//! run on.

use super::state::InbState;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// The Inbenta side of the sandbox: its state, behind its own lock, and what its timers
/// need to run.
pub(crate) struct Hub {
    state: Mutex<InbState>,
    runtime: Option<tokio::runtime::Handle>,
    pub(super) shutdown: watch::Receiver<bool>,
}

impl Hub {
    pub(crate) fn new(shutdown: watch::Receiver<bool>) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(InbState::default()),
            runtime: tokio::runtime::Handle::try_current().ok(),
            shutdown,
        })
    }

    /// Locks the state; a handler that panicked does not poison the sandbox.
    pub(crate) fn lock(&self) -> MutexGuard<'_, InbState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Ends every realtime socket at once, without a close frame (fault injection).
    pub(crate) fn drop_connections(&self) {
        for conn in self.lock().conns.values() {
            conn.cutoff.cut();
        }
    }

    /// Runs a timer task; it ends early when the sandbox shuts down.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let Some(runtime) = &self.runtime else {
            return;
        };
        let mut shutdown = self.shutdown.clone();
        runtime.spawn(async move {
            tokio::select! {
                () = task => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        });
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hub")
    }
}
