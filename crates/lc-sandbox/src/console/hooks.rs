//! Where the console taps the RTM connections: one call when a connection opens (its
//! outbound frames, responses and pushes, go to the journal from then on) and one for
//! each frame read from it.

use super::journal::{ConnTap, Direction};
use crate::shared::Shared;
use crate::state::{ConnId, Principal};

/// Journals what is written to connection `conn` from now on (nothing when the console
/// is off).
pub(crate) fn watch(shared: &Shared, conn: ConnId) {
    let journal = &shared.console.journal;
    if !journal.enabled() {
        return;
    }
    if let Some(rec) = shared.lock().conns.get_mut(&conn) {
        rec.tx.set_tap(ConnTap::new(journal.clone(), conn));
    }
}

/// Journals a frame read from connection `conn`, with the user logged in on it.
pub(crate) fn read(shared: &Shared, conn: ConnId, frame: &str) {
    let journal = &shared.console.journal;
    if !journal.enabled() {
        return;
    }
    let user = shared.lock().conns.get(&conn).and_then(|c| {
        c.principal
            .as_ref()
            .map(Principal::user_id_str)
            .map(str::to_owned)
    });
    journal.record(conn, user.as_deref(), Direction::In, frame);
}
