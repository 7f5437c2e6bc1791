//! Small runs of the chaos suite, in `cargo test`: without faults the harness finds
//! nothing wrong (it counts no false losses or duplicates), and under faults every send
//! is stored exactly once (deliveries are checked by the CI-size run, `cargo xtask chaos
//! --ci`).

use lc_chaos::{Config, Faults, run};
use std::time::Duration;

fn small(seed: u64) -> Config {
    Config {
        agents: 3,
        web_agents: 1,
        customers: 8,
        messages: 6,
        pause_ms: 20..=120,
        quiet: Duration::from_secs(3),
        bound: Duration::from_secs(60),
        ..Config::ci(seed)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_faults_everything_is_stored_and_seen_once() {
    let report = run(Config {
        faults: None,
        ..small(1)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.passed(), "{}", report.markdown());
    assert_eq!(report.stored, 96);
    assert_eq!(report.pushes, (96, 0));
    assert_eq!(report.reconnections, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_faults_every_send_is_stored_exactly_once() {
    let report = run(Config {
        faults: Some(Faults {
            send_drop: 0.15,
            frames: 10..=60,
            lifetime: Duration::from_millis(300)..=Duration::from_millis(1500),
            refuse_logins: Duration::from_millis(500),
        }),
        ..small(7)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let markdown = report.markdown();
    assert!(report.fault_stats.dropped_after_applying > 0, "{markdown}");
    assert!(report.fault_stats.random_connection_drops > 0, "{markdown}");
    assert_eq!(report.sends_failed, 0, "{markdown}");
    assert_eq!(report.sends_unfinished, 0, "{markdown}");
    assert_eq!(
        (report.stored_lost, report.stored_duplicated),
        (0, 0),
        "{markdown}"
    );
    assert_eq!(report.stored_despite_error, 0, "{markdown}");
    assert!(report.audit_errors.is_empty(), "{markdown}");
}
