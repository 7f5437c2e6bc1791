//! [`SendOnce`]: an event-creating request (e.g. `send_event`) that creates its event
//! exactly once, however the network misbehaves.
//!
//! The request carries a client-made `custom_id`. When its outcome is ambiguous (the
//! connection broke after the request may have been written, no answer came in time,
//! the server answered `internal`), the request is neither given up nor blindly sent
//! again: the chat's latest threads are looked up (`list_threads`, which waits for the
//! connection to come back) and the stored event is returned if it is there; if it is
//! not, the request is sent again with the same `custom_id`. This does not rely on the
//! server deduplicating `custom_id`s (LiveChat does not promise to).

use crate::action::Action;
use crate::backoff::Backoff;
use crate::call::{CallOptions, Dispatch, ResponseFuture};
use crate::error::{Applied, Error};
use crate::generated::{agent, customer};
use crate::id::{ChatId, EventId};
use crate::types::Event;
use std::future::IntoFuture;
use std::hash::{BuildHasher, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How a [`SendOnce`] finds out an ambiguous outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolvePolicy {
    /// How long to keep finding out before giving up with [`Error::Unresolved`]
    /// (default 60 s).
    pub within: Duration,
    /// How long after a request was sent the server may still apply it (default 15 s,
    /// LiveChat's own request deadline, after which it answers `request_timeout`). An
    /// event not found stored is sent again only once this has passed since the
    /// earlier attempt, so that the two cannot both be stored.
    pub server_deadline: Duration,
}

impl Default for ResolvePolicy {
    fn default() -> Self {
        Self {
            within: Duration::from_secs(60),
            server_deadline: Duration::from_secs(15),
        }
    }
}

impl ResolvePolicy {
    /// Sets [`within`](ResolvePolicy::within).
    #[must_use]
    pub fn within(mut self, within: Duration) -> Self {
        self.within = within;
        self
    }

    /// Sets [`server_deadline`](ResolvePolicy::server_deadline): shorten it only for a
    /// server known to give up on requests sooner (e.g. an lc-sandbox started with a
    /// shorter request timeout).
    #[must_use]
    pub fn server_deadline(mut self, deadline: Duration) -> Self {
        self.server_deadline = deadline;
        self
    }
}

/// How many of the chat's latest threads are searched for the event.
const THREADS_SEARCHED: u32 = 3;

/// A request that creates one event in a chat: it can carry a client-made id and be
/// found again by it.
pub trait CreatesEvent: Action + Clone {
    /// The request that lists the chat's latest threads with their events.
    type Lookup: Action;

    /// The chat the event goes to.
    fn chat_id(&self) -> &ChatId;

    /// The event sent.
    fn event(&self) -> &Event;

    /// The event sent, to change it.
    fn event_mut(&mut self) -> &mut Event;

    /// The lookup of the chat's latest threads.
    fn lookup(&self) -> Self::Lookup;

    /// The id of the event carrying `custom_id` in a lookup's response, if it is there.
    fn find(response: &<Self::Lookup as Action>::Response, custom_id: &str) -> Option<EventId>;

    /// The response the request would have had, for an event found stored.
    fn response(event_id: EventId) -> Self::Response;
}

macro_rules! creates_event {
    ($api:ident) => {
        impl CreatesEvent for $api::SendEvent {
            type Lookup = $api::ListThreads;

            fn chat_id(&self) -> &ChatId {
                &self.chat_id
            }

            fn event(&self) -> &Event {
                &self.event
            }

            fn event_mut(&mut self) -> &mut Event {
                &mut self.event
            }

            fn lookup(&self) -> $api::ListThreads {
                $api::ListThreads::new(self.chat_id.clone())
                    .sort_order(crate::types::SortOrder::Desc)
                    .limit(THREADS_SEARCHED)
            }

            fn find(response: &$api::ListThreadsResponse, custom_id: &str) -> Option<EventId> {
                response
                    .threads
                    .iter()
                    .flat_map(|thread| thread.events.iter().flatten())
                    .find(|event| event.custom_id() == Some(custom_id))
                    .and_then(|event| event.id().cloned())
            }

            fn response(event_id: EventId) -> $api::SendEventResponse {
                $api::SendEventResponse {
                    event_id,
                    ..Default::default()
                }
            }
        }
    };
}

creates_event!(agent);
creates_event!(customer);

macro_rules! send_event_setters {
    ($api:ident) => {
        impl<D> SendOnce<'_, D, $api::SendEvent> {
            /// Sets `attach_to_last_thread` on the request (see
            /// [`SendEvent::attach_to_last_thread`]($api::SendEvent::attach_to_last_thread)).
            pub fn attach_to_last_thread(mut self, attach: bool) -> Self {
                self.request.attach_to_last_thread = Some(attach);
                self
            }
        }
    };
}

send_event_setters!(agent);
send_event_setters!(customer);

/// An event-creating request bound to `D` (a transport or a role client); `.await` sends
/// it and resolves to its response exactly once (see the [module](self)).
///
/// Set optional fields as on a [`Call`](crate::Call): with [`with`](SendOnce::with) or
/// through `Deref`/`DerefMut`. The event gets a `custom_id` of the form `lcrs-…` unless
/// it has one; the id is known before anything is sent ([`custom_id`](SendOnce::custom_id)).
///
/// ```no_run
/// # async fn demo(transport: impl lc_protocol::Transport) -> Result<(), lc_protocol::Error> {
/// use lc_protocol::SendOnce;
/// use lc_protocol::agent::SendEvent;
/// use lc_protocol::types::Event;
///
/// let sending = SendOnce::new(&transport, SendEvent::new("PJ0MRSHTDG", Event::message("Hi")));
/// println!("sending {}", sending.custom_id());
/// let sent = sending.await?; // stored exactly once, or an error that says so
/// println!("stored as {}", sent.event_id);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// An error whose [`applied`](Error::applied) is [`Applied::No`] means that nothing was
/// stored; [`Error::Unresolved`] that the outcome could not be found out within the
/// deadline (60 s by default, [`resolve_policy`](SendOnce::resolve_policy)): the event
/// may or may not be stored, under [`custom_id`](SendOnce::custom_id).
#[must_use = "a SendOnce does nothing until it is awaited"]
#[derive(Debug)]
pub struct SendOnce<'a, D, A> {
    dispatcher: &'a D,
    request: A,
    policy: ResolvePolicy,
    options: CallOptions,
}

impl<'a, D, A: CreatesEvent> SendOnce<'a, D, A> {
    /// Binds `request` to `dispatcher`, giving its event a fresh `custom_id` unless it
    /// has one.
    pub fn new(dispatcher: &'a D, mut request: A) -> Self {
        if request.event().custom_id().is_none() {
            request.event_mut().set_custom_id(Some(new_custom_id()));
        }
        Self {
            dispatcher,
            request,
            policy: ResolvePolicy::default(),
            options: CallOptions::default(),
        }
    }

    /// Sends the event as the bot `id`, with the agent's token (lc-sdk-js `setAuthorId`,
    /// for this send): Agent Chat API 3.5 and older; on 3.6 the send fails before
    /// anything is sent, pointing to bot tokens.
    pub fn author_id(mut self, id: impl Into<String>) -> Self {
        self.options = std::mem::take(&mut self.options).author_id(id);
        self
    }

    /// The settings of each attempt (timeout, author).
    pub fn options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Changes the request, typically with its generated builder methods.
    pub fn with(mut self, f: impl FnOnce(A) -> A) -> Self {
        self.request = f(self.request);
        if self.request.event().custom_id().is_none() {
            self.request
                .event_mut()
                .set_custom_id(Some(new_custom_id()));
        }
        self
    }

    /// How to find out an ambiguous outcome (by default: for up to 60 s, resending only
    /// 15 s after the earlier attempt).
    pub fn resolve_policy(mut self, policy: ResolvePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The client-made id the event carries.
    pub fn custom_id(&self) -> &str {
        self.request.event().custom_id().unwrap_or_default()
    }

    /// The request, without sending it.
    pub fn into_request(self) -> A {
        self.request
    }
}

impl<D, A> Deref for SendOnce<'_, D, A> {
    type Target = A;

    fn deref(&self) -> &A {
        &self.request
    }
}

impl<D, A> DerefMut for SendOnce<'_, D, A> {
    fn deref_mut(&mut self) -> &mut A {
        &mut self.request
    }
}

impl<'a, D: Dispatch, A: CreatesEvent + 'a> IntoFuture for SendOnce<'a, D, A> {
    type Output = Result<A::Response, Error>;
    type IntoFuture = ResponseFuture<'a, A::Response>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(send_once(
            self.dispatcher,
            self.request,
            self.policy,
            self.options,
        ))
    }
}

/// What happened to the ambiguous sends of this process, for monitoring (see
/// [`resolution_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolutionStats {
    /// Sends whose outcome was ambiguous at first.
    pub ambiguous: u64,
    /// Of those lookups, how many found the event stored.
    pub found_stored: u64,
    /// Sends made again because a lookup did not find the event.
    pub resent: u64,
    /// Sends that ended with [`Error::Unresolved`].
    pub unresolved: u64,
}

static AMBIGUOUS: AtomicU64 = AtomicU64::new(0);
static FOUND: AtomicU64 = AtomicU64::new(0);
static RESENT: AtomicU64 = AtomicU64::new(0);
static UNRESOLVED: AtomicU64 = AtomicU64::new(0);

/// Counts of ambiguous sends resolved by every [`SendOnce`] of this process so far.
pub fn resolution_stats() -> ResolutionStats {
    ResolutionStats {
        ambiguous: AMBIGUOUS.load(Ordering::Relaxed),
        found_stored: FOUND.load(Ordering::Relaxed),
        resent: RESENT.load(Ordering::Relaxed),
        unresolved: UNRESOLVED.load(Ordering::Relaxed),
    }
}

/// Sends `request`; on an ambiguous outcome, looks it up and sends it again only once
/// the server can no longer apply the earlier attempt and it is still not stored.
async fn send_once<D: Dispatch, A: CreatesEvent>(
    dispatcher: &D,
    request: A,
    policy: ResolvePolicy,
    options: CallOptions,
) -> Result<A::Response, Error> {
    let mut sent_at = Instant::now();
    let error = match dispatcher.dispatch_with(&request, options.clone()).await {
        Err(error) if error.applied() == Applied::Unknown => error,
        done => return done,
    };
    // An event type this crate does not know carries no `custom_id` it could set.
    let Some(custom_id) = request.event().custom_id().map(str::to_owned) else {
        return Err(error);
    };
    AMBIGUOUS.fetch_add(1, Ordering::Relaxed);
    let mut resolver = Resolver {
        dispatcher,
        lookup: request.lookup(),
        custom_id,
        deadline: Instant::now() + policy.within,
        last: error,
        lookups: 0,
    };
    loop {
        if let Some(event_id) = resolver.find::<A>().await? {
            FOUND.fetch_add(1, Ordering::Relaxed);
            return Ok(A::response(event_id));
        }
        // Not stored yet; the server may still be working on the earlier attempt until
        // its own deadline has passed: look once more after it.
        let settled = sent_at + policy.server_deadline;
        let now = Instant::now();
        if now < settled {
            if settled >= resolver.deadline {
                return Err(resolver.unresolved::<A>());
            }
            dispatcher.pause(settled - now).await;
            if let Some(event_id) = resolver.find::<A>().await? {
                FOUND.fetch_add(1, Ordering::Relaxed);
                return Ok(A::response(event_id));
            }
        }
        RESENT.fetch_add(1, Ordering::Relaxed);
        sent_at = Instant::now();
        match dispatcher.dispatch_with(&request, options.clone()).await {
            Err(error) if error.applied() == Applied::Unknown => resolver.last = error,
            done => return done,
        }
    }
}

/// Looks an event up by its `custom_id` until a deadline.
struct Resolver<'a, D, L> {
    dispatcher: &'a D,
    lookup: L,
    custom_id: String,
    deadline: Instant,
    /// Why the outcome is still unknown.
    last: Error,
    lookups: u32,
}

impl<D: Dispatch, L: Action> Resolver<'_, D, L> {
    /// Whether the event is stored (its id if so); transient lookup failures are
    /// retried with backoff until the deadline.
    async fn find<A: CreatesEvent<Lookup = L>>(&mut self) -> Result<Option<EventId>, Error> {
        loop {
            if Instant::now() >= self.deadline {
                return Err(self.unresolved::<A>());
            }
            match self.dispatcher.dispatch(&self.lookup).await {
                Ok(response) => return Ok(A::find(&response, &self.custom_id)),
                Err(error) if error.is_transient() => {
                    self.last = error;
                    let delay = LOOKUP_BACKOFF.delay(self.lookups, 1.0);
                    self.lookups += 1;
                    self.dispatcher.pause(delay).await;
                }
                Err(error) => {
                    self.last = error;
                    return Err(self.unresolved::<A>());
                }
            }
        }
    }

    /// The error for an outcome that could not be found out.
    fn unresolved<A: Action>(&self) -> Error {
        UNRESOLVED.fetch_add(1, Ordering::Relaxed);
        Error::Unresolved {
            action: A::META.name.to_owned(),
            custom_id: self.custom_id.clone(),
            source: Box::new(self.last.clone()),
        }
    }
}

/// Pauses between lookups that failed: 200 ms doubling to 5 s.
const LOOKUP_BACKOFF: Backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));

/// A fresh client-made id: 128 random bits from the standard library's randomly keyed
/// hasher, so that ids of different processes and restarts never meet.
pub fn new_custom_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let half = |salt: u64| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(count);
        hasher.write_u128(nanos);
        hasher.write_u64(salt);
        hasher.finish()
    };
    format!("lcrs-{:016x}{:016x}", half(1), half(2))
}
