//! Codec micro-benchmarks: the LiveChat RTM envelope codec (`wire::livechat`) with typed
//! payloads, against `serde_json::Value` as the baseline, on two typical frames — an
//! `incoming_event` push (the fixture of `tests/fixtures/`) and a `list_chats` response
//! of 25 chats (the fixture's chat summary, varied 25 times).
//!
//! Each group has two functions, `baseline` and `sdk`; `cargo xtask bench` turns their
//! medians into the ratios of `docs/benchmarks.md`.
//!
//! - decode, baseline: `serde_json::from_str::<Value>` of the whole frame;
//!   sdk: `LiveChat::<AgentPush>::decode` (envelope and typed push), or the one pass of a
//!   typed call over RTM (`ResponseDecoder::of::<ListChatsResponse>`: the envelope and
//!   the payload straight into the response type).
//! - encode, baseline: `serde_json::to_string` of the frame as a `Value`;
//!   sdk: the typed payload to raw JSON, then the envelope (`encode_push`/`encode_success`).
//!
//! Times are the CPU time of the thread that runs the code (criterion's statistics over
//! it), so that the other processes of a shared machine count less. Each side of a decode
//! group decodes on a thread of its own ([`Side`]), on a heap of its own.

use criterion::Criterion;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use lc_protocol::agent::{AgentPush, ListChatsResponse};
use lc_protocol::transport::decode_response;
use lc_protocol::wire::livechat::{LiveChat, encode_push, encode_success};
use lc_protocol::wire::typed::ResponseDecoder;
use lc_protocol::wire::{Dialect, Incoming};
use lc_protocol::{ApiVersion, PushSet};
use serde_json::Value;
use serde_json::value::RawValue;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

const INCOMING_EVENT: &str = include_str!("../tests/fixtures/pushes/agent/incoming_event.json");
const LIST_CHATS: &str = include_str!("../tests/fixtures/responses/agent/list_chats.json");

/// A fixture as compact raw JSON.
fn compact(fixture: &str) -> Box<RawValue> {
    let value: Value = serde_json::from_str(fixture).expect("the fixture is JSON");
    serde_json::value::to_raw_value(&value).expect("a Value encodes")
}

/// The `incoming_event` push frame, as a server sends it.
fn incoming_event_frame() -> String {
    encode_push(
        ApiVersion::V3_6,
        None,
        "incoming_event",
        &compact(INCOMING_EVENT),
    )
}

/// How many chat summaries the `list_chats` response of the bench has (the API's default
/// page size).
const LIST_CHATS_PAGE: usize = 25;

/// The `list_chats` payload with [`LIST_CHATS_PAGE`] chats: the fixture's chat summary
/// repeated, each copy with its own ids, names and texts (so no two chats are the same
/// text, as in a real page).
fn list_chats_payload() -> Value {
    let mut payload: Value = serde_json::from_str(LIST_CHATS).expect("the fixture is JSON");
    let template = payload["chats_summary"][0].clone();
    let chats = (0..LIST_CHATS_PAGE)
        .map(|n| vary_chat(&template, n))
        .collect();
    payload["chats_summary"] = Value::Array(chats);
    payload
}

/// The chat summary `template` made the `n`th of a page: chat, thread, event and customer
/// ids, the customer's name and e-mail, the message text and the queue figures changed.
fn vary_chat(template: &Value, n: usize) -> Value {
    let text = serde_json::to_string(template).expect("a Value encodes");
    let text = text
        .replace("PJ0MRSHTDG", &format!("PJ0MRSH{n:03}"))
        .replace("K600PKZON8", &format!("K600PKZ{n:03}"))
        .replace("QA37PVJ75B", &format!("QA37PVJ{n:03}"))
        .replace(
            "a0c22fdd-fb71-40b5-bfc6-a8a0bc3117f5",
            &format!("a0c22fdd-fb71-40b5-bfc6-a8a0bc31{n:04x}"),
        )
        .replace("Thomas Anderson", &format!("Customer {n}"))
        .replace(
            "t.anderson@example.com",
            &format!("customer{n}@example.com"),
        )
        .replace("10452", &format!("{}", 10452 + n))
        .replace(
            "Sure! Has the order been shipped already?",
            &format!("Sure! Has order #{} been shipped already?", 10452 + n),
        );
    let mut chat: Value = serde_json::from_str(&text).expect("still JSON");
    chat["last_thread_summary"]["queue"]["position"] = Value::from(n % 5 + 1);
    chat["last_thread_summary"]["queue"]["wait_time"] = Value::from(30 + 7 * n);
    chat["is_followed"] = Value::Bool(n % 3 == 0);
    chat
}

/// The `list_chats` response frame (25 chats), as a server sends it.
fn list_chats_frame() -> String {
    let payload = serde_json::value::to_raw_value(&list_chats_payload()).expect("encodes");
    encode_success(Some("42"), "list_chats", &payload)
}

fn decode_typed_push(dialect: &LiveChat<AgentPush>, frame: &str) -> AgentPush {
    match dialect.decode(frame).expect("the push decodes") {
        Incoming::Push(push) => push.push,
        Incoming::Reply(_) => unreachable!("a push frame"),
    }
}

/// The plain path: the envelope read, the payload copied raw, then decoded again (what
/// the engine does for frames whose `payload` comes before `request_id`).
fn decode_list_chats_two_pass(dialect: &LiveChat<AgentPush>, frame: &str) -> ListChatsResponse {
    match dialect.decode(frame).expect("the response decodes") {
        Incoming::Reply(reply) => {
            let raw = reply.result.expect("a success");
            decode_response::<ListChatsResponse>("list_chats", &raw).expect("typed")
        }
        Incoming::Push(_) => unreachable!("a response frame"),
    }
}

/// The one-pass path of a typed call over RTM: the envelope read and the payload decoded
/// straight into the response type by the request's decoder.
fn decode_list_chats(decoder: &ResponseDecoder, frame: &str) -> ListChatsResponse {
    let reply = decoder
        .decode(frame)
        .expect("the response decodes")
        .expect("a plain response");
    let answer = reply.result.expect("a success");
    decoder
        .finish::<ListChatsResponse>("list_chats", answer)
        .expect("typed")
}

/// A thread that runs one side of a decode group, so that each side decodes on a heap of
/// its own: glibc gives each thread its own arena, so neither side's timing follows the
/// chunks the other side (or the setup) left behind, whichever runs first. Both sides are
/// run the same way; each decode's result is dropped inside the timed loop, as
/// criterion's `iter` does.
struct Side {
    runs: mpsc::Sender<u64>,
    took: mpsc::Receiver<Duration>,
}

impl Side {
    /// Starts the thread of a side that runs `decode` on `frame`.
    fn start<O, F>(frame: &Arc<str>, decode: F) -> Side
    where
        F: Fn(&str) -> O + Send + 'static,
    {
        let (runs, jobs) = mpsc::channel::<u64>();
        let (done, took) = mpsc::channel();
        let frame = Arc::clone(frame);
        std::thread::spawn(move || {
            for iterations in jobs {
                let started = ThreadCpu::now();
                for _ in 0..iterations {
                    drop(black_box(decode(black_box(&frame))));
                }
                if done.send(ThreadCpu::now().saturating_sub(started)).is_err() {
                    break;
                }
            }
        });
        Side { runs, took }
    }

    /// The CPU time the side's thread took for `iterations` decodes.
    fn run(&self, iterations: u64) -> Duration {
        self.runs.send(iterations).expect("the side's thread runs");
        self.took.recv().expect("the side's thread answers")
    }
}

fn incoming_event(c: &mut Criterion<ThreadCpu>) {
    let frame = incoming_event_frame();
    let dialect = LiveChat::<AgentPush>::new();
    assert!(
        matches!(
            decode_typed_push(&dialect, &frame),
            AgentPush::IncomingEvent(_)
        ),
        "the fixture decodes as a typed incoming_event"
    );

    let shared: Arc<str> = Arc::from(frame.as_str());
    let baseline = Side::start(&shared, |frame| {
        serde_json::from_str::<Value>(frame).expect("JSON")
    });
    let sdk = Side::start(&shared, move |frame| decode_typed_push(&dialect, frame));
    let mut group = c.benchmark_group("codec_incoming_event_decode");
    group.bench_function("baseline", |b| b.iter_custom(|n| baseline.run(n)));
    group.bench_function("sdk", |b| b.iter_custom(|n| sdk.run(n)));
    group.finish();

    let value: Value = serde_json::from_str(&frame).expect("JSON");
    let push = decode_typed_push(&LiveChat::<AgentPush>::new(), &frame);
    let mut group = c.benchmark_group("codec_incoming_event_encode");
    group.bench_function("baseline", |b| {
        b.iter(|| serde_json::to_string(black_box(&value)).expect("encodes"))
    });
    group.bench_function("sdk", |b| {
        b.iter(|| {
            let push = black_box(&push);
            let payload = push.encode_payload().expect("encodes");
            encode_push(ApiVersion::V3_6, None, push.name(), &payload)
        })
    });
    group.finish();
}

fn list_chats(c: &mut Criterion<ThreadCpu>) {
    let frame = list_chats_frame();
    let dialect = LiveChat::<AgentPush>::new();
    let decoder = ResponseDecoder::of::<ListChatsResponse>();
    let typed = decode_list_chats(&decoder, &frame);
    assert_eq!(
        serde_json::to_value(&typed).expect("encodes"),
        serde_json::to_value(decode_list_chats_two_pass(&dialect, &frame)).expect("encodes"),
        "one pass and two passes decode the same response"
    );
    assert_eq!(
        typed.chats_summary.len(),
        LIST_CHATS_PAGE,
        "a page of chat summaries"
    );
    assert!(
        typed.chats_summary.iter().all(|chat| chat.extra.is_empty()),
        "every field of the chat summaries is known"
    );

    let shared: Arc<str> = Arc::from(frame.as_str());
    let baseline = Side::start(&shared, |frame| {
        serde_json::from_str::<Value>(frame).expect("JSON")
    });
    let sdk = Side::start(&shared, move |frame| decode_list_chats(&decoder, frame));
    let mut group = c.benchmark_group("codec_list_chats_decode");
    group.bench_function("baseline", |b| b.iter_custom(|n| baseline.run(n)));
    group.bench_function("sdk", |b| b.iter_custom(|n| sdk.run(n)));
    group.finish();

    let value: Value = serde_json::from_str(&frame).expect("JSON");
    let mut group = c.benchmark_group("codec_list_chats_encode");
    group.bench_function("baseline", |b| {
        b.iter(|| serde_json::to_string(black_box(&value)).expect("encodes"))
    });
    group.bench_function("sdk", |b| {
        b.iter(|| {
            let payload = serde_json::value::to_raw_value(black_box(&typed)).expect("encodes");
            encode_success(Some("42"), "list_chats", &payload)
        })
    });
    group.finish();
}

/// The CPU time of the measuring thread (Linux; wall time elsewhere), in nanoseconds:
/// the decode is one thread's work, and on a shared machine the wall time of a sample
/// also counts the time other processes held the core.
struct ThreadCpu {
    /// Only for its duration formatter.
    wall: WallTime,
}

impl ThreadCpu {
    #[cfg(target_os = "linux")]
    fn now() -> Duration {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Duration::new(
            u64::try_from(now.tv_sec).unwrap_or(0),
            u32::try_from(now.tv_nsec).unwrap_or(0),
        )
    }

    #[cfg(not(target_os = "linux"))]
    fn now() -> Duration {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START.get_or_init(std::time::Instant::now).elapsed()
    }
}

impl Measurement for ThreadCpu {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        Self::now()
    }
    fn end(&self, started: Duration) -> Duration {
        Self::now().saturating_sub(started)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}

fn config() -> Criterion<ThreadCpu> {
    Criterion::default()
        .with_measurement(ThreadCpu { wall: WallTime })
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

fn main() {
    let mut criterion = config().configure_from_args();
    incoming_event(&mut criterion);
    list_chats(&mut criterion);
    criterion.final_summary();
}
