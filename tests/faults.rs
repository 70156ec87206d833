//! Provider faults in whole runs: the engine and the real HTTP clients against our mock server,
//! one fault at a time (the fault matrix), and rate limits lowering the cap on calls in flight.
//!
//! `cargo test --test faults -- --nocapture` prints the matrix as a Markdown table.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use huddle::engine::protocol::PLAN_TOOL;
use huddle::engine::{EngineConfig, Event, Status, Totals};
use huddle::llm::anthropic::AnthropicClient;
use huddle::llm::openai::OpenAiClient;
use huddle::llm::retry::RetryPolicy;
use huddle::llm::{Client, LlmRequest, Usage};
use huddle::team::{self, Agent, Team};
use support::{Api, Fault, MockServer, Reply, Responder, SimResponder};

const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";

fn config(team: Team) -> EngineConfig {
    let mut cfg = EngineConfig::new(team, "claude-sonnet-4-5");
    cfg.auto_approve = true;
    cfg.retry = RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    };
    cfg
}

fn client(api: Api, server: &MockServer, read_timeout: Option<Duration>) -> Client {
    match api {
        Api::Anthropic => {
            let c = AnthropicClient::new(server.anthropic_base_url(), "sk-test-key").unwrap();
            Client::Anthropic(match read_timeout {
                Some(t) => c.with_read_timeout(t),
                None => c,
            })
        }
        Api::OpenAi => {
            let c =
                OpenAiClient::new(server.openai_base_url(), Some("sk-test-key".into())).unwrap();
            Client::OpenAi(match read_timeout {
                Some(t) => c.with_read_timeout(t),
                None => c,
            })
        }
    }
}

fn run_done(events: &[Event]) -> (&Status, &str, Totals) {
    match events.last() {
        Some(Event::RunDone {
            status,
            report,
            totals,
            ..
        }) => (status, report.as_str(), *totals),
        other => panic!("last event is not RunDone: {other:?}"),
    }
}

fn retries(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::RetryScheduled { .. }))
        .count()
}

fn warnings(events: &[Event]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Warning { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect()
}

fn is_plan(req: &LlmRequest) -> bool {
    req.output_name() == Some(PLAN_TOOL)
}

fn api_name(api: Api) -> &'static str {
    match api {
        Api::Anthropic => "anthropic",
        Api::OpenAi => "openai",
    }
}

// ---------------------------------------------------------------------------------------------
// Rate limits lower the cap on calls in flight.

/// Sixteen agents: enough for eight leaves of two, side by side.
fn crew() -> Team {
    let agents = (0..16)
        .map(|i| Agent {
            name: format!("agent_{i}"),
            team: format!("crew_{}", i / 2),
            description: format!("Plans part {} of the conference.", i / 2),
            capabilities: vec!["planning".into()],
            model: None,
            instructions: None,
        })
        .collect();
    Team {
        name: "crew".into(),
        description: "Eight pairs.".into(),
        keywords: vec![],
        agents,
        limits: Default::default(),
    }
}

/// Eight leaves under the root: eight calls at once when the run starts.
fn eight_leaves() -> String {
    let leaves: Vec<_> = (0..8)
        .map(|i| {
            serde_json::json!({
                "id": format!("part{i}"), "title": format!("Part {i}"),
                "description": format!("part {i} of the conference"),
                "agents": [format!("agent_{}", 2 * i), format!("agent_{}", 2 * i + 1)],
                "children": []
            })
        })
        .collect();
    serde_json::json!({
        "id": "root", "title": "FutureTech 2025", "description": "the whole conference",
        "agents": [], "children": leaves
    })
    .to_string()
}

/// One request as the throttling responder saw it arrive.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    /// Requests the server had received and not yet answered in full, this one included.
    in_flight: usize,
    /// Refused with a 429.
    refused: bool,
    /// After the last 429, before any reply since then was streamed in full.
    in_window: bool,
}

/// Answers the plan, then refuses the first `refusals` calls with 429 (retry-after-ms 20, each
/// held a second), then
/// answers like the simulation. Replies sent right after the 429s stall a little, so that
/// these calls overlap and the cap, not their speed, decides how many run at once.
struct Throttle {
    plan: String,
    refusals: usize,
    server: OnceLock<Weak<MockServer>>,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    refused: usize,
    /// Streams finished when the last 429 was sent.
    finished_then: Option<usize>,
    arrivals: Vec<Arrival>,
}

impl Responder for Arc<Throttle> {
    fn reply(&self, req: &LlmRequest) -> Reply {
        if is_plan(req) {
            return Reply::text(self.plan.clone());
        }
        // Received minus finished; received is read first, so this never overstates.
        let (received, finished) = self
            .server
            .get()
            .and_then(Weak::upgrade)
            .map(|s| {
                let received = s.requests().len();
                (received, s.usages().len())
            })
            .unwrap_or_default();
        let mut seen = self.seen.lock().unwrap();
        let in_flight = received.saturating_sub(finished + seen.refused);
        if seen.refused < self.refusals {
            seen.refused += 1;
            if seen.refused == self.refusals {
                seen.finished_then = Some(finished);
            }
            seen.arrivals.push(Arrival {
                in_flight,
                refused: true,
                in_window: false,
            });
            // Held for a second, so that the first calls of all leaves reach the server before
            // any 429 comes back, even on a slow machine: a burst, as the test means.
            return Reply::status(429, "rate limit reached for requests")
                .with_retry_after_ms("20")
                .with_event_delay(Duration::from_secs(1));
        }
        let in_window = seen.finished_then == Some(finished);
        seen.arrivals.push(Arrival {
            in_flight,
            refused: false,
            in_window,
        });
        let reply = SimResponder { seed: 11 }.reply(req);
        if in_window {
            reply.with_fault(Fault::Stall {
                after: 2,
                duration: Duration::from_millis(400),
            })
        } else {
            reply
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_halve_the_cap_and_successes_restore_it() {
    let throttle = Arc::new(Throttle {
        plan: eight_leaves(),
        refusals: 8,
        server: OnceLock::new(),
        seen: Mutex::default(),
    });
    let server = Arc::new(MockServer::start(throttle.clone()));
    throttle.server.set(Arc::downgrade(&server)).unwrap();
    let mut cfg = config(crew());
    cfg.concurrency = 8;
    cfg.max_turns = 4;
    let events = support::run_task(cfg, client(Api::Anthropic, &server, None), TASK).await;

    let arrivals = throttle.seen.lock().unwrap().arrivals.clone();
    let window: Vec<usize> = arrivals
        .iter()
        .filter(|a| a.in_window)
        .map(|a| a.in_flight)
        .collect();
    let peak = arrivals.iter().map(|a| a.in_flight).max().unwrap_or(0);
    println!(
        "in flight at the server: at the 429s {:?}; after the 429s, before a reply finished {window:?}; peak over the run {peak}",
        arrivals
            .iter()
            .filter(|a| a.refused)
            .map(|a| a.in_flight)
            .collect::<Vec<_>>()
    );
    let (status, report, totals) = run_done(&events);
    assert_eq!(*status, Status::Done, "{report}");
    assert_eq!(totals.usage, server.total_usage());
    assert!(retries(&events) >= 8, "every 429 was retried");
    let warnings = warnings(&events);
    assert!(
        warnings.contains(&"rate limited: at most 4 calls at once for now"),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&"rate limits eased: back to 8 calls at once"),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().filter(|w| w.starts_with("rate ")).count() <= 4,
        "told sparingly: {warnings:?}"
    );

    // Without the adaptive cap all eight retries would be in flight together here.
    assert!(window.len() >= 2, "{arrivals:?}");
    assert!(window.iter().all(|&n| n <= 4), "{window:?}");
    assert!(peak <= 8, "never above --concurrency: {arrivals:?}");
}

// ---------------------------------------------------------------------------------------------
// The fault matrix: each fault once, at the third request of a run, through both clients.

/// Output tokens of the reply that carries a stream fault: no successful reply is this long, so
/// its usage can be told apart if the server reported it although the client dropped the stream.
const FAULTY_TOKENS: u64 = 997;

fn faulty(fault: Fault) -> Reply {
    Reply::text("x".repeat(4 * FAULTY_TOKENS as usize))
        .with_chunk_chars(200)
        .with_fault(fault)
}

/// What a row must come to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// The run is done after at least one retry; `lowers` says whether the cap drops.
    Recovers { lowers: bool },
    /// The run fails at once, without retries, naming the variable that holds the key.
    FailsOnCredentials,
}

struct Row {
    fault: &'static str,
    reply: fn(Api) -> Reply,
    /// Read timeout of the client, for the stall.
    read_timeout: Option<Duration>,
    expect: fn(Api) -> Expect,
}

fn recovers(_: Api) -> Expect {
    Expect::Recovers { lowers: false }
}

fn recovers_lowering(_: Api) -> Expect {
    Expect::Recovers { lowers: true }
}

fn rows() -> Vec<Row> {
    let row = |fault, reply, expect| Row {
        fault,
        reply,
        read_timeout: None,
        expect,
    };
    vec![
        row(
            "429 + retry-after-ms: 40",
            |_| Reply::status(429, "rate limit reached").with_retry_after_ms("40"),
            recovers_lowering,
        ),
        row(
            "429 + retry-after: 1",
            |_| Reply::status(429, "rate limit reached").with_retry_after("1"),
            recovers_lowering,
        ),
        row(
            "529 overloaded",
            |_| Reply::status(529, "Overloaded"),
            recovers_lowering,
        ),
        row(
            "500 internal error",
            |_| Reply::status(500, "internal server error"),
            recovers,
        ),
        row(
            "408 request timeout",
            |_| Reply::status(408, "request timeout"),
            recovers,
        ),
        row(
            "error event mid-stream",
            |api| {
                let kind = match api {
                    Api::Anthropic => "overloaded_error",
                    Api::OpenAi => "server_error",
                };
                faulty(Fault::ErrorEvent {
                    after: 3,
                    kind: kind.into(),
                    message: "Overloaded".into(),
                })
            },
            // Anthropic's overloaded_error asks for fewer calls; OpenAI's server_error does not.
            |api| Expect::Recovers {
                lowers: api == Api::Anthropic,
            },
        ),
        row(
            "reset before the first event",
            |_| faulty(Fault::Reset { after: 0 }),
            recovers,
        ),
        row(
            "reset mid-stream",
            |_| faulty(Fault::Reset { after: 3 }),
            recovers,
        ),
        row(
            "closed mid-stream",
            |_| faulty(Fault::Close { after: 3 }),
            recovers,
        ),
        row(
            "truncated SSE",
            |_| faulty(Fault::Truncate { after: 3 }),
            recovers,
        ),
        row(
            "malformed JSON line",
            |_| faulty(Fault::Garbage { after: 3 }),
            recovers,
        ),
        Row {
            fault: "stall (read timeout 1 s)",
            reply: |_| {
                faulty(Fault::Stall {
                    after: 3,
                    duration: Duration::from_secs(60),
                })
            },
            read_timeout: Some(Duration::from_secs(1)),
            expect: recovers,
        },
        row(
            "401 bad key",
            |_| Reply::status(401, "invalid x-api-key"),
            |_| Expect::FailsOnCredentials,
        ),
    ]
}

/// Answers like the simulation, except for the third request, which gets `fault`.
struct Once {
    fault: Reply,
    seen: AtomicUsize,
}

impl Responder for Once {
    fn reply(&self, req: &LlmRequest) -> Reply {
        if self.seen.fetch_add(1, Ordering::SeqCst) == 2 {
            self.fault.clone()
        } else {
            SimResponder { seed: 7 }.reply(req)
        }
    }
}

/// What one run of the matrix came to.
struct Outcome {
    status: Status,
    report: String,
    retries: usize,
    lowered: bool,
    warnings: Vec<String>,
    /// The run's totals equal the usage the server reported for the calls that succeeded.
    totals_match: bool,
    requests: usize,
    elapsed: Duration,
}

async fn run_row(row: &Row, api: Api) -> Outcome {
    let server = MockServer::start(Once {
        fault: (row.reply)(api),
        seen: AtomicUsize::new(0),
    });
    let mut cfg = config(team::preset("conference").unwrap());
    if api == Api::OpenAi {
        cfg.model = "llama3.1:8b".into();
    }
    let started = Instant::now();
    let events = support::run_task(cfg, client(api, &server, row.read_timeout), TASK).await;
    let elapsed = started.elapsed();
    let (status, report, totals) = run_done(&events);
    // A stream the client gave up on may still have been sent to its end (after a malformed
    // line, say); its usage is not the client's to count.
    let kept: Vec<Usage> = server
        .usages()
        .into_iter()
        .filter(|u| u.output_tokens != FAULTY_TOKENS)
        .collect();
    let mut server_usage = Usage::default();
    for u in &kept {
        server_usage.add(u);
    }
    let warnings: Vec<String> = warnings(&events).into_iter().map(String::from).collect();
    Outcome {
        status: status.clone(),
        report: report.to_string(),
        retries: retries(&events),
        lowered: warnings.iter().any(|w| w.starts_with("rate limited:")),
        totals_match: totals.usage == server_usage && totals.calls as usize == kept.len(),
        warnings,
        requests: server.requests().len(),
        elapsed,
    }
}

fn short(status: &Status) -> String {
    match status {
        Status::Failed(reason) => format!("Failed: {reason}"),
        other => format!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix_whole_runs_through_both_clients() {
    let mut table = vec![
        "| fault (3rd request) | client | run | retries | cap lowered | totals = server | requests | time |".to_string(),
        "|---|---|---|---|---|---|---|---|".to_string(),
    ];
    let mut failures = vec![];
    for row in rows() {
        for api in [Api::Anthropic, Api::OpenAi] {
            let o = run_row(&row, api).await;
            table.push(format!(
                "| {} | {} | {} | {} | {} | {} | {} | {:.1} s |",
                row.fault,
                api_name(api),
                short(&o.status),
                o.retries,
                if o.lowered { "yes" } else { "no" },
                if o.totals_match { "yes" } else { "NO" },
                o.requests,
                o.elapsed.as_secs_f64(),
            ));
            let problems = check(&o, (row.expect)(api), api);
            if !problems.is_empty() {
                failures.push(format!(
                    "{} / {}: {}\nwarnings: {:?}\nreport:\n{}",
                    row.fault,
                    api_name(api),
                    problems.join("; "),
                    o.warnings,
                    o.report
                ));
            }
        }
    }
    println!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// How an outcome differs from what its row expects.
fn check(o: &Outcome, expect: Expect, api: Api) -> Vec<String> {
    let mut problems = vec![];
    let mut want = |ok: bool, what: &str| {
        if !ok {
            problems.push(what.to_string());
        }
    };
    want(o.totals_match, "totals differ from the server's usage");
    match expect {
        Expect::Recovers { lowers } => {
            want(o.status == Status::Done, "the run is not done");
            want(o.retries >= 1, "no retry");
            want(o.lowered == lowers, "cap lowered or not as expected");
        }
        Expect::FailsOnCredentials => {
            let var = match api {
                Api::Anthropic => "ANTHROPIC_API_KEY",
                Api::OpenAi => "OPENAI_API_KEY",
            };
            want(
                matches!(o.status, Status::Failed(_)),
                "the run did not fail",
            );
            want(o.retries == 0, "a refused key was retried");
            want(
                o.warnings.iter().any(|w| w.contains(var)),
                "no warning names the variable",
            );
            want(
                o.report.contains(var),
                "the report does not name the variable",
            );
            // The plan, the three first turns, and after the refusal only what was already on
            // its way (without the stop, the two other leaves would go on for many turns).
            want(o.requests <= 8, "calls went on after the key was refused");
        }
    }
    problems
}
