//! The frame writer of the realtime sockets (LiveChat RTM and Inbenta): writes what is
//! queued for a connection ([`crate::out_queue`]), and obeys its [`Cutoff`] and its
//! chaos plan.

use crate::chaos::ConnPlan;
use crate::cutoff::Cutoff;
use crate::out_queue::{OutReceiver, Outgoing};
use crate::shared::Shared;
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// The most bytes of frames a writer takes from its queue for one write, past the first:
/// frames taken leave the queue's count ([`crate::out_queue::MAX_QUEUED_BYTES`]), so a
/// client that does not read is still cut at about that bound.
const MAX_BATCH_BYTES: usize = 64 * 1024;

/// Gives a connection's writer `grace` to write what is still queued, then stops it: a
/// writer stuck on a client that does not read must not keep its queue.
pub(crate) async fn finish(mut writer: tokio::task::JoinHandle<()>, grace: std::time::Duration) {
    if tokio::time::timeout(grace, &mut writer).await.is_err() {
        writer.abort();
    }
}

/// Sleeps until `at`, forever without one.
async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Writes queued frames until the channel closes, a close is ordered or the connection is
/// cut. A cut ends it at once, without writing what is still queued and without a close
/// frame. [`Outgoing::Arm`] arms a chaos plan: after that many more frames, or that
/// long, the writer cuts the connection itself (counted in the fault stats).
pub(crate) async fn write_frames<S>(
    mut sink: SplitSink<WebSocketStream<S>, Message>,
    mut rx: OutReceiver,
    cutoff: Arc<Cutoff>,
    shared: Arc<Shared>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut frames_left: Option<u64> = None;
    let mut dies_at: Option<Instant> = None;
    let chaos_drop = |cutoff: &Cutoff| {
        if cutoff.cut() {
            shared.faults().count_random_drop();
        }
    };
    // An order met while taking the frames queued behind another: handled next.
    let mut pending: Option<Outgoing> = None;
    loop {
        let out = match pending.take() {
            Some(order) => Some(order),
            None => tokio::select! {
                biased;
                () = cutoff.cut_off() => return,
                () = sleep_until_opt(dies_at) => return chaos_drop(&cutoff),
                out = rx.recv() => out,
            },
        };
        let message = match out {
            None => break,
            Some(Outgoing::Text(text)) => Message::text(text),
            Some(Outgoing::Close) => {
                tokio::select! {
                    biased;
                    () = cutoff.cut_off() => return,
                    _ = sink.send(Message::Close(None)) => {}
                }
                break;
            }
            Some(Outgoing::Arm(ConnPlan { frames, lifetime })) => {
                frames_left = frames;
                dies_at = lifetime.map(|d| Instant::now() + d);
                continue;
            }
        };
        // Without a chaos plan counting frames, the frames already queued behind this
        // one (a response and the pushes it caused) go out in the same write: one
        // `sendto` and one wake-up of the client for all of them.
        let mut order = None;
        let sent = tokio::select! {
            biased;
            () = cutoff.cut_off() => return,
            sent = async {
                sink.feed(message).await?;
                let mut batch = 0;
                if frames_left.is_none() {
                    while batch < MAX_BATCH_BYTES {
                        let Some(next) = rx.try_recv() else {
                            break;
                        };
                        match next {
                            Outgoing::Text(text) => {
                                batch += text.len();
                                sink.feed(Message::text(text)).await?;
                            }
                            other => {
                                order = Some(other);
                                break;
                            }
                        }
                    }
                }
                sink.flush().await
            } => sent,
        };
        if sent.is_err() {
            break;
        }
        if let Some(left) = frames_left.as_mut() {
            *left = left.saturating_sub(1);
            if *left == 0 {
                return chaos_drop(&cutoff);
            }
        }
        if let Some(order) = order {
            pending = Some(order);
        }
    }
    tokio::select! {
        biased;
        () = cutoff.cut_off() => {}
        _ = sink.close() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::out_queue::out_queue;
    use futures_util::StreamExt;
    use std::time::Duration;
    use tokio_tungstenite::tungstenite::protocol::Role;

    /// Waits until `done` holds, up to 5 s.
    async fn eventually(mut done: impl FnMut() -> bool) -> bool {
        for _ in 0..250 {
            if done() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        done()
    }

    #[tokio::test]
    async fn a_write_takes_at_most_a_batch_of_frames_from_the_queue_and_sends_all_in_order() {
        let sandbox = crate::Sandbox::builder().start().await.unwrap();
        // A pipe that holds less than a frame: the first write waits for the client.
        let (client, server) = tokio::io::duplex(1024);
        let server = WebSocketStream::from_raw_socket(server, Role::Server, None).await;
        let (sink, _) = server.split();
        let cutoff = Cutoff::new();
        let (queue, rx) = out_queue(cutoff.clone(), crate::out_queue::MAX_QUEUED_BYTES);
        let size = 8 * 1024;
        for n in 0..40 {
            queue.send(Outgoing::Text(format!("{n:>size$}")));
        }
        let writer = tokio::spawn(write_frames(sink, rx, cutoff, sandbox.shared.clone()));
        // The first frame, then frames until the batch holds 64 KiB: 9 frames taken.
        let left = 31 * size;
        assert!(
            eventually(|| queue.queued() == left).await,
            "{} bytes left",
            queue.queued()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            queue.queued(),
            left,
            "nothing more taken while the write waits"
        );

        // Once the client reads, every frame arrives, in order.
        let mut client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        for n in 0..40 {
            let frame = client.next().await.unwrap().unwrap();
            assert_eq!(frame.into_text().unwrap().trim_start(), n.to_string());
        }
        drop(queue);
        writer.await.unwrap();
        sandbox.shutdown().await;
    }
}
