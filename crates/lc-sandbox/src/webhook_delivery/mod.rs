//! Webhook delivery: what the sandbox POSTs to the URLs applications registered
//! (`register_webhook`, kept in [`crate::webhook_registry`]) when something happens.
//!
//! - Selection, under the state lock ([`select::offer`], called by
//!   [`crate::push::deliver`] for every queued push): the registrations of the push's
//!   action whose type is on ([`filters::gate_open`]) and whose filters pass
//!   ([`filters::passes`]); their envelopes ([`envelope::build`]) go to a bounded queue
//!   ([`queue::Queue`]) without waiting — a full queue drops the delivery (logged).
//! - Sending, off the lock ([`sender::run`], started with the sandbox by [`start`]):
//!   concurrently, up to a bound, each attempted until HTTP 200 or the retries run out.
//! - Every attempt goes to the delivery log ([`log`]), read with
//!   [`Sandbox::webhook_deliveries`](crate::Sandbox::webhook_deliveries).

mod api;
pub(crate) mod config;
#[cfg(test)]
mod e2e_tests;
mod envelope;
#[cfg(test)]
mod filter_tests;
mod filters;
mod http;
pub(crate) mod log;
mod occurrence;
pub(crate) mod queue;
#[cfg(test)]
mod scene;
pub(crate) mod select;
mod sender;
#[cfg(test)]
mod sender_tests;
#[cfg(test)]
mod tests;

/// Starts the sender task (it stops at `shutdown`) and returns the queue to keep in the
/// state.
pub(crate) fn start(
    config: config::DeliveryConfig,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> queue::Queue {
    let (queue, jobs) = queue::Queue::new(&config);
    tokio::spawn(sender::run(jobs, config, queue.log.clone(), shutdown));
    queue
}
