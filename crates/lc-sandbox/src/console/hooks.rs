//! Where the console taps the RTM connections: one call when a connection opens (its
//! outbound frames, responses and pushes, go to the journal from then on) and one for
//! each frame read from it; and the Web API: one call for each Agent or Customer Web
//! action, whose request and response the Web handler hands to the [`WebCall`].

use super::journal::{ConnTap, Direction, WebCall};
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

/// Whether the frames read from the RTM connections are journaled (the console is on).
pub(crate) fn reading(shared: &Shared) -> bool {
    shared.console.journal.enabled()
}

/// The user logged in on connection `conn`, as the journal names it (`None`: nobody yet).
pub(crate) fn user_of(shared: &Shared, conn: ConnId) -> Option<String> {
    shared.lock().conns.get(&conn).and_then(|c| {
        c.principal
            .as_ref()
            .map(Principal::user_id_str)
            .map(str::to_owned)
    })
}

/// Journals a frame read from connection `conn`, with `user`, the user logged in on it
/// (the reader keeps it from [`user_of`] between frames).
pub(crate) fn read(shared: &Shared, conn: ConnId, user: Option<&str>, frame: &str) {
    let journal = &shared.console.journal;
    if !journal.enabled() {
        return;
    }
    journal.record(conn, user, Direction::In, frame);
}

/// Journals one Web call of the Agent or Customer API (`None`: the console is off, or
/// another API).
pub(crate) fn web_call(shared: &Shared, api: lc_protocol::Api, action: &str) -> Option<WebCall> {
    if !matches!(api, lc_protocol::Api::Agent | lc_protocol::Api::Customer) {
        return None;
    }
    shared.console.journal.web_call(action)
}
