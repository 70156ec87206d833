//! End to end against the third-party mock server `llmock` (PyPI), which knows nothing of our
//! protocol: its replies break it, so this also checks that a run still finishes.
//! `.ci/run` installs llmock and sets HUDDLE_LLMOCK; locally the test is skipped without it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use huddle::engine::{Command, Engine, EngineConfig, Event, Status};
use huddle::llm::Client;
use huddle::llm::anthropic::AnthropicClient;
use huddle::llm::retry::RetryPolicy;

fn llmock() -> Option<PathBuf> {
    let found = std::env::var_os("HUDDLE_LLMOCK")
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join("llmock"))
                    .find(|p| p.exists())
            })
        });
    if found.is_none() {
        assert!(
            std::env::var_os("HUDDLE_REQUIRE_LLMOCK").is_none(),
            "HUDDLE_REQUIRE_LLMOCK is set but llmock was not found (pip install llmock)"
        );
        eprintln!("skipped: llmock not installed (pip install llmock, or set HUDDLE_LLMOCK)");
    }
    found
}

/// A running llmock on a free loopback port; killed when dropped.
struct Llmock {
    _child: tokio::process::Child,
    port: u16,
}

async fn start(bin: &PathBuf, extra: &[&str]) -> Llmock {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new(bin)
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--log-level",
            "warning",
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("llmock starts");
    let http = reqwest::Client::new();
    for _ in 0..150 {
        if http
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Llmock {
                _child: child,
                port,
            };
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("llmock did not come up on port {port}");
}

/// Runs the conference task to its end against `mock`; `read_timeout` replaces the client's
/// default.
async fn run_against(mock: &Llmock, read_timeout: Option<Duration>) -> Vec<Event> {
    let mut client = AnthropicClient::new(
        format!("http://127.0.0.1:{}/anthropic", mock.port),
        "sk-llmock-test",
    )
    .unwrap();
    if let Some(t) = read_timeout {
        client = client.with_read_timeout(t);
    }
    let mut cfg = EngineConfig::new(
        huddle::team::preset("conference").unwrap(),
        "claude-sonnet-4-5",
    );
    cfg.auto_approve = true;
    cfg.max_turns = 4;
    cfg.retry = RetryPolicy {
        max_retries: 8,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
    };
    let (engine, mut rx) = Engine::spawn(cfg, Client::Anthropic(client));
    engine.send(Command::StartTask {
        task: "Organize a tech conference with 500 attendees".into(),
    });
    let mut events = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_secs(120), rx.recv()).await {
        let done = matches!(e, Event::RunDone { .. });
        events.push(e);
        if done {
            return events;
        }
    }
    panic!(
        "no RunDone; last events: {:#?}",
        &events[events.len().saturating_sub(5)..]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_through_the_anthropic_client_finishes_against_llmock() {
    let Some(bin) = llmock() else { return };
    let mock = start(&bin, &[]).await;
    let events = run_against(&mock, None).await;
    let Some(Event::RunDone {
        status,
        report,
        totals,
        ..
    }) = events.last()
    else {
        unreachable!()
    };
    assert_eq!(*status, Status::Done, "{report}");
    assert!(
        totals.calls >= 3 && totals.usage.input_tokens > 0 && totals.usage.output_tokens > 0,
        "{totals:?}"
    );
    // llmock's plan is not ours: it was re-asked and repaired, and its replies were re-asked too.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::PlanReady { repaired: true, .. }))
    );
    assert!(events.iter().any(
        |e| matches!(e, Event::Warning { message, .. } if message.contains("broke the protocol"))
    ));
    let done = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::WorkspaceDone {
                    status: Status::Done,
                    ..
                }
            )
        })
        .count();
    assert!(done >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_from_llmock_are_retried_and_the_run_still_finishes() {
    let Some(bin) = llmock() else { return };
    let mock = start(
        &bin,
        &["--error-rate", "429=0.25", "--error-rate", "503=0.1"],
    )
    .await;
    let events = run_against(&mock, None).await;
    let retries = events
        .iter()
        .filter(|e| matches!(e, Event::RetryScheduled { .. }))
        .count();
    assert!(
        retries > 0,
        "with a quarter of calls refused, some were retried"
    );
    let Some(Event::RunDone { status, totals, .. }) = events.last() else {
        unreachable!()
    };
    assert_eq!(*status, Status::Done);
    assert_eq!(totals.retries as usize, retries);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_streams_from_llmock_are_retried_and_its_verdict_passes() {
    let Some(bin) = llmock() else { return };
    // About one stream in four breaks at random: dropped, cut short without a stop event,
    // carrying a line that is not JSON, or stalled for longer than the client's read timeout.
    let mock = start(
        &bin,
        &[
            "--stream-fault",
            "disconnect=0.08",
            "--stream-fault",
            "truncate=0.08",
            "--stream-fault",
            "malformed=0.08",
            "--stream-fault",
            "stall=0.04",
            "--stream-stall-seconds",
            "5",
        ],
    )
    .await;
    // And the first four streams break once each way, so that every kind is seen in every run.
    let kinds = ["disconnect", "truncate", "malformed", "stall"];
    let behaviors: Vec<_> = kinds
        .iter()
        .map(|kind| serde_json::json!({"type": "stream_fault", "kind": kind, "after_chunks": 2, "stall_seconds": 5}))
        .collect();
    let queued = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/_llmock/scenario", mock.port))
        .json(&serde_json::json!({ "behaviors": behaviors }))
        .send()
        .await
        .unwrap();
    assert!(queued.status().is_success(), "{queued:?}");
    let events = run_against(&mock, Some(Duration::from_secs(1))).await;
    let retries = events
        .iter()
        .filter(|e| matches!(e, Event::RetryScheduled { .. }))
        .count();
    let Some(Event::RunDone {
        status,
        report,
        totals,
        ..
    }) = events.last()
    else {
        unreachable!()
    };
    assert_eq!(*status, Status::Done, "{report}");
    assert_eq!(totals.retries as usize, retries);
    // llmock watched every attempt: no broken stream was taken for a whole one, no retry
    // came too early or too often.
    let verdict: serde_json::Value =
        reqwest::get(format!("http://127.0.0.1:{}/_llmock/verdict", mock.port))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let faults = verdict["faults_injected"].as_u64().unwrap_or(0);
    let codes: Vec<_> = verdict["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| format!("{} {}", f["severity"], f["code"]))
        .collect();
    println!(
        "llmock: {} calls, {} attempts, {faults} stream faults; {retries} retries; findings {codes:?}",
        verdict["calls"], verdict["attempts"]
    );
    assert_eq!(verdict["passed"], true, "{verdict:#}");
    assert!(faults >= kinds.len() as u64, "{verdict:#}");
    assert!(
        retries as u64 >= faults,
        "every broken stream was retried: {verdict:#}"
    );
}
