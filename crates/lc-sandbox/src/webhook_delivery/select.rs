//! [`offer`]: under the state lock, for one queued push, the registrations that fire
//! and their envelopes, handed to the [`Queue`](super::queue::Queue) without waiting.

use super::envelope;
use super::filters::{gate_open, passes};
use super::occurrence::Occurrence;
use super::queue::Job;
use crate::outbox::PushOut;
use crate::state::State;

/// Queues a delivery for every registration of the push's action whose gate is open and
/// whose filters pass. Cheap when nothing is registered for the action (no decoding).
pub(crate) fn offer(state: &State, push: &PushOut) {
    let mut registrations = state.webhooks.for_action(push.name).peekable();
    if registrations.peek().is_none() {
        return;
    }
    let Some(what) = Occurrence::of_push(state, push) else {
        return;
    };
    let queue = &state.webhook_queue;
    for registration in registrations {
        if !gate_open(state, registration) || !passes(state, registration, &what) {
            continue;
        }
        let body = envelope::build(state, registration, &what, queue.status_with_spaces);
        queue.push(Job {
            webhook_id: registration.id.clone(),
            action: registration.action.clone(),
            url: registration.url.clone(),
            body,
        });
    }
}
