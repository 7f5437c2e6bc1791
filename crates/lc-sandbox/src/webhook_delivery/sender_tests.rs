//! Unit tests of sending, against a real HTTP receiver on 127.0.0.1: success on 200,
//! retries on 500, on a timeout and on a refused connection (then giving up), an
//! unusable URL, and the sender task with its bounded number in flight.

#![allow(clippy::unwrap_used)]

use super::config::DeliveryConfig;
use super::http::Poster;
use super::log::{DeliveryLog, DeliveryOutcome};
use super::queue::Job;
use super::sender::deliver;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy)]
pub(super) enum Answer {
    Status(u16),
    /// Answers 200 only after a minute.
    Hang,
}

/// What the receiver got: the `Content-Type` header and the body, per request.
pub(super) type Hits = Arc<Mutex<Vec<(String, Value)>>>;

/// A receiver answering `script` in order, then `then` for ever.
pub(super) async fn receiver(script: Vec<Answer>, then: Answer) -> (SocketAddr, Hits) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits: Hits = Arc::default();
    let seen = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (hits, script) = (seen.clone(), script.clone());
            let service = service_fn(move |req: Request<Incoming>| {
                let (hits, script) = (hits.clone(), script.clone());
                async move {
                    let kind = req
                        .headers()
                        .get(http::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let n = {
                        let mut hits = hits.lock().unwrap();
                        hits.push((kind, body));
                        hits.len() - 1
                    };
                    let answer = script.get(n).copied().unwrap_or(then);
                    let status = match answer {
                        Answer::Status(status) => status,
                        Answer::Hang => {
                            tokio::time::sleep(Duration::from_secs(60)).await;
                            200
                        }
                    };
                    let response = Response::builder()
                        .status(status)
                        .body(Full::new(Bytes::new()))
                        .unwrap();
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, hits)
}

fn fast() -> DeliveryConfig {
    DeliveryConfig {
        timeout: Duration::from_millis(300),
        retry_delays: vec![Duration::from_millis(10); 3],
        ..DeliveryConfig::default()
    }
}

fn job(url: String) -> Job {
    Job {
        webhook_id: "wh1".into(),
        action: "incoming_event".into(),
        url,
        body: json!({"webhook_id": "wh1", "secret_key": "s", "action": "incoming_event",
                     "payload": {"chat_id": "C"}, "additional_data": {}}),
    }
}

/// Delivers one job to a receiver answering `script` then `then`; the log's records
/// as (attempt, outcome, last), and the receiver's hits.
async fn run_one(
    script: Vec<Answer>,
    then: Answer,
) -> (Vec<(u32, DeliveryOutcome, bool)>, Vec<(String, Value)>) {
    let (addr, hits) = receiver(script, then).await;
    let log = DeliveryLog::new(100);
    let job = job(format!("http://{addr}/hook"));
    deliver(&Poster::new(), &fast(), &log, job.clone()).await;
    let records = log.snapshot();
    assert!(
        records
            .iter()
            .all(|r| r.body == job.body && r.url == job.url)
    );
    let records = records
        .into_iter()
        .map(|r| (r.attempt, r.outcome, r.last))
        .collect();
    let hits = hits.lock().unwrap().clone();
    (records, hits)
}

fn failed(status: u16) -> DeliveryOutcome {
    DeliveryOutcome::Failed {
        status: Some(status),
        error: format!("the receiver answered HTTP {status}"),
    }
}

#[tokio::test]
async fn a_200_is_delivered_at_once_as_json() {
    let (records, hits) = run_one(vec![], Answer::Status(200)).await;
    assert_eq!(
        records,
        [(1, DeliveryOutcome::Delivered { status: 200 }, true)]
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].0, "application/json");
    assert_eq!(hits[0].1["webhook_id"], "wh1");
}

#[tokio::test]
async fn a_500_is_retried_with_the_same_body_until_a_200() {
    let script = vec![Answer::Status(500), Answer::Status(500)];
    let (records, hits) = run_one(script, Answer::Status(200)).await;
    assert_eq!(
        records,
        [
            (1, failed(500), false),
            (2, failed(500), false),
            (3, DeliveryOutcome::Delivered { status: 200 }, true),
        ]
    );
    assert_eq!(hits.len(), 3);
    assert!(hits.iter().all(|hit| hit.1 == hits[0].1));
}

#[tokio::test]
async fn any_status_but_200_fails_and_three_retries_then_give_up() {
    let (records, hits) = run_one(vec![Answer::Status(204)], Answer::Status(500)).await;
    assert_eq!(
        records,
        [
            (1, failed(204), false),
            (2, failed(500), false),
            (3, failed(500), false),
            (4, failed(500), true),
        ]
    );
    assert_eq!(hits.len(), 4);
}

#[tokio::test]
async fn a_receiver_that_does_not_answer_is_retried_three_times_then_given_up() {
    let (records, hits) = run_one(vec![], Answer::Hang).await;
    assert_eq!(records.len(), 4, "{records:?}");
    for (n, (attempt, outcome, last)) in records.iter().enumerate() {
        assert_eq!(*attempt as usize, n + 1);
        assert_eq!(*last, n == 3);
        assert!(
            matches!(outcome, DeliveryOutcome::Failed { status: None, error } if error.contains("no answer")),
            "{outcome:?}"
        );
    }
    assert_eq!(hits.len(), 4);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_given_up() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let log = DeliveryLog::new(100);
    deliver(
        &Poster::new(),
        &fast(),
        &log,
        job(format!("http://{addr}/")),
    )
    .await;
    let records = log.snapshot();
    assert_eq!(records.len(), 4);
    assert!(
        records
            .iter()
            .all(|r| matches!(&r.outcome, DeliveryOutcome::Failed { status: None, .. }))
    );
    assert!(records[3].last);
}

#[tokio::test]
async fn an_unusable_url_fails_once_without_retries() {
    for url in ["ftp://example.com/hook", "not a url", "/relative"] {
        let log = DeliveryLog::new(100);
        deliver(&Poster::new(), &fast(), &log, job(url.into())).await;
        let records = log.snapshot();
        assert_eq!(records.len(), 1, "{url}");
        assert!(records[0].last);
        assert!(matches!(
            &records[0].outcome,
            DeliveryOutcome::Failed { status: None, error } if error.contains(url)
        ));
    }
}

#[tokio::test]
async fn no_retry_delays_means_a_single_attempt() {
    let (addr, hits) = receiver(vec![], Answer::Status(503)).await;
    let log = DeliveryLog::new(100);
    let config = DeliveryConfig {
        retry_delays: Vec::new(),
        ..fast()
    };
    deliver(
        &Poster::new(),
        &config,
        &log,
        job(format!("http://{addr}/")),
    )
    .await;
    assert_eq!(log.snapshot().len(), 1);
    assert_eq!(hits.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_sender_task_delivers_concurrently_within_its_bound_and_stops_at_shutdown() {
    let (slow, _) = receiver(vec![], Answer::Hang).await;
    let (quick, quick_hits) = receiver(vec![], Answer::Status(200)).await;
    let (shutdown_tx, shutdown) = tokio::sync::watch::channel(false);
    let config = DeliveryConfig {
        timeout: Duration::from_secs(30),
        max_in_flight: 2,
        ..fast()
    };
    let queue = super::start(config, shutdown);
    // One slot is held by a receiver that does not answer; the other serves the rest.
    queue.push(job(format!("http://{slow}/")));
    for _ in 0..3 {
        queue.push(job(format!("http://{quick}/")));
    }
    assert!(queue.log.wait_for(3, Duration::from_secs(10)).await);
    let records = queue.log.snapshot();
    assert_eq!(records.len(), 3, "the slow one is still in flight");
    assert!(
        records
            .iter()
            .all(super::log::WebhookDelivery::is_delivered)
    );
    assert_eq!(quick_hits.lock().unwrap().len(), 3);
    shutdown_tx.send(true).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    queue.push(job(format!("http://{quick}/")));
    let last = queue.log.snapshot().pop().unwrap();
    assert!(
        matches!(last.outcome, DeliveryOutcome::Dropped { .. }),
        "{last:?}"
    );
    assert_eq!(queue.log.recorded(), 4);
}

#[tokio::test]
async fn any_2xx_counts_as_delivered_only_when_asked() {
    let (addr, hits) = receiver(vec![], Answer::Status(204)).await;
    let log = DeliveryLog::new(100);
    let config = DeliveryConfig {
        any_2xx: true,
        ..fast()
    };
    deliver(
        &Poster::new(),
        &config,
        &log,
        job(format!("http://{addr}/")),
    )
    .await;
    let records = log.snapshot();
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].outcome,
        DeliveryOutcome::Delivered { status: 204 }
    );
    assert_eq!(hits.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn https_urls_are_spoken_with_tls_and_untrusted_certificates_fail() {
    let tls = crate::SelfSigned::localhost().unwrap();
    let sandbox = crate::Sandbox::builder()
        .tls_pem(tls.cert_pem, tls.key_pem)
        .start()
        .await
        .unwrap();
    let log = DeliveryLog::new(100);
    let config = DeliveryConfig {
        retry_delays: Vec::new(),
        ..fast()
    };
    let url = format!("{}/hook", sandbox.http_url());
    assert!(url.starts_with("https://"));
    deliver(&Poster::new(), &config, &log, job(url)).await;
    let records = log.snapshot();
    assert_eq!(records.len(), 1);
    assert!(
        matches!(&records[0].outcome,
            DeliveryOutcome::Failed { status: None, error } if error.to_lowercase().contains("certificate")),
        "{:?}",
        records[0].outcome
    );
    sandbox.shutdown().await;
}
