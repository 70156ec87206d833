//! Budgets through the engine and the real Anthropic client against our mock server: a run or a
//! workspace pauses before the call after its limit, what it spent is exactly what the server
//! reported, and raising the budget lets the run finish.

mod support;

use std::time::Duration;

use huddle::engine::budget::{BudgetKind, Limits};
use huddle::engine::{Command, Engine, EngineConfig, Event, Status, Target};
use huddle::llm::Client;
use huddle::llm::anthropic::AnthropicClient;
use huddle::pricing::Pricing;
use huddle::team;
use support::{MockServer, run_task};

const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";
/// A priced model, so that a run costs something.
const MODEL: &str = "claude-sonnet-4-5";

fn config() -> EngineConfig {
    let mut cfg = EngineConfig::new(team::preset("conference").unwrap(), MODEL);
    cfg.auto_approve = true;
    cfg
}

fn anthropic(server: &MockServer) -> Client {
    Client::Anthropic(AnthropicClient::new(server.anthropic_base_url(), "sk-test-key").unwrap())
}

/// Tokens and cost of the whole run without a budget, to set limits that fall mid-run.
async fn unbudgeted() -> (u64, f64) {
    let server = MockServer::start_sim(7);
    let events = run_task(config(), anthropic(&server), TASK).await;
    match events.last() {
        Some(Event::RunDone { totals, .. }) => (totals.usage.total(), totals.cost_usd),
        other => panic!("no RunDone: {other:?}"),
    }
}

/// Calls finished so far, by the events: (count, tokens of every kind, cost).
fn spent(events: &[Event]) -> (usize, u64, f64) {
    let pricing = Pricing::builtin();
    events.iter().fold((0, 0, 0.0), |(n, t, c), e| match e {
        Event::UsageUpdated { call, model, .. } => {
            (n + 1, t + call.total(), c + pricing.cost(model, call))
        }
        _ => (n, t, c),
    })
}

/// Runs the task, handing every event to `steer` (which may send commands), until `RunDone`.
async fn steer_run(
    cfg: EngineConfig,
    server: &MockServer,
    mut steer: impl FnMut(&Event, &[Event], &huddle::engine::EngineHandle),
) -> Vec<Event> {
    let (engine, mut rx) = Engine::spawn(cfg, anthropic(server));
    engine.send(Command::StartTask { task: TASK.into() });
    let mut events = Vec::new();
    loop {
        let e = tokio::time::timeout(Duration::from_secs(90), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("the run stalled; last events: {:#?}", tail(&events)))
            .expect("engine alive");
        steer(&e, &events, &engine);
        let done = matches!(e, Event::RunDone { .. });
        events.push(e);
        if done {
            engine.send(Command::Shutdown);
            return events;
        }
    }
}

fn tail(events: &[Event]) -> &[Event] {
    &events[events.len().saturating_sub(6)..]
}

/// Checks a run-budget pause when `BudgetReached` arrives, then raises the budget.
fn on_run_budget(
    e: &Event,
    before: &[Event],
    engine: &huddle::engine::EngineHandle,
    server: &MockServer,
    reached: &mut Option<(BudgetKind, f64, f64)>,
) {
    if let Event::BudgetReached {
        scope: Target::Run,
        kind,
        limit,
        spent: at,
    } = e
    {
        let (calls, tokens, cost) = spent(before);
        // Every call that started was finished and counted: none is in flight, none started
        // while the run is held, and `spent` is the sum of what the server reported.
        assert_eq!(server.requests().len(), calls);
        assert_eq!(server.total_usage().total(), tokens);
        match kind {
            BudgetKind::Tokens => assert_eq!(*at, tokens as f64),
            BudgetKind::Usd => assert!((at - cost).abs() < 1e-9, "{at} vs {cost}"),
        }
        assert!(at >= limit, "{at} < {limit}");
        *reached = Some((*kind, *limit, *at));
        engine.send(Command::SetBudget {
            target: Target::Run,
            tokens: None,
            usd: None,
        });
    }
}

fn run_done_status(events: &[Event]) -> Status {
    match events.last() {
        Some(Event::RunDone { status, totals, .. }) => {
            assert_eq!(totals.calls as usize, spent(events).0);
            status.clone()
        }
        other => panic!("no RunDone: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_budget_stops_the_next_call_even_one_queued_under_the_cap() {
    let (total, _) = unbudgeted().await;
    let server = MockServer::start_sim(7);
    let mut cfg = config();
    // One call at a time: the three leaves queue under the cap, and the call after the one
    // that reaches the limit must not start, though it passed the queue.
    cfg.concurrency = 1;
    cfg.budgets.run.tokens = Some(total * 2 / 5);
    let mut reached = None;
    let mut crossed_at = None;
    let events = steer_run(cfg, &server, |e, before, engine| {
        if let Event::UsageUpdated { run_totals, .. } = e
            && crossed_at.is_none()
            && run_totals.usage.total() >= total * 2 / 5
        {
            crossed_at = Some(spent(before).0 + 1);
        }
        if matches!(e, Event::BudgetReached { .. }) {
            assert_eq!(
                Some(spent(before).0),
                crossed_at,
                "with one call at a time, the call that reached the limit is the last before the pause"
            );
        }
        on_run_budget(e, before, engine, &server, &mut reached);
    })
    .await;
    let (kind, limit, _) = reached.expect("the budget was reached");
    assert_eq!(kind, BudgetKind::Tokens);
    assert_eq!(limit, (total * 2 / 5) as f64);
    assert_eq!(run_done_status(&events), Status::Done);
    // The pause showed as the run's status, and lifting the budget resumed it.
    let paused = events.iter().position(|e| {
        matches!(
            e,
            Event::StatusChanged {
                target: Target::Run,
                status: Status::Paused
            }
        )
    });
    let changed = events.iter().position(|e| {
        matches!(
            e,
            Event::BudgetChanged {
                scope: Target::Run,
                tokens: None,
                usd: None
            }
        )
    });
    let running = events.iter().rposition(|e| {
        matches!(
            e,
            Event::StatusChanged {
                target: Target::Run,
                status: Status::Running
            }
        )
    });
    assert!(
        paused < changed && changed < running,
        "{paused:?} {changed:?} {running:?}"
    );
    let warning = events.iter().any(|e| matches!(e, Event::Warning { message, .. } if message.starts_with("Budget reached: ") && message.contains(" tokens. The run is paused")));
    assert!(warning, "a clear notice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_usd_budget_pauses_with_every_call_in_flight_counted_and_a_raise_finishes_the_run() {
    let (_, cost) = unbudgeted().await;
    assert!(cost > 0.0, "{MODEL} is priced");
    let server = MockServer::start_sim(7);
    let mut cfg = config();
    let limit = cost / 2.0;
    cfg.budgets.run.usd = Some(limit);
    let mut reached = None;
    let events = steer_run(cfg, &server, |e, before, engine| {
        on_run_budget(e, before, engine, &server, &mut reached);
    })
    .await;
    let (kind, at_limit, at_spent) = reached.expect("the budget was reached");
    assert_eq!((kind, at_limit), (BudgetKind::Usd, limit));
    assert!(at_spent < cost, "paused before the end");
    assert_eq!(run_done_status(&events), Status::Done);
    let (_, _, total_cost) = spent(&events);
    assert!(total_cost > at_spent, "calls went on after the raise");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_limit_pauses_only_that_workspace_until_it_is_raised() {
    let server = MockServer::start_sim(7);
    let mut cfg = config();
    // One token: venue's first call goes, its second waits.
    cfg.budgets.workspaces.insert(
        "venue".into(),
        Limits {
            tokens: Some(1),
            usd: None,
        },
    );
    let venue = || Target::Workspace {
        workspace: "venue".into(),
    };
    let mut others_done = 0;
    let mut raised = false;
    let events = steer_run(cfg, &server, |e, before, engine| match e {
        Event::WorkspaceDone { workspace, .. } if workspace == "content" || workspace == "marketing" => {
            others_done += 1;
            if others_done == 2 {
                let venue_calls = before
                    .iter()
                    .filter(|e| matches!(e, Event::UsageUpdated { workspace: Some(w), .. } if w == "venue"))
                    .count();
                assert_eq!(venue_calls, 1, "venue paused after its first call");
                assert!(before.iter().any(|e| matches!(e, Event::BudgetReached { scope, kind: BudgetKind::Tokens, limit, .. } if *scope == venue() && *limit == 1.0)));
                assert!(!before.iter().any(|e| matches!(e, Event::StatusChanged { target: Target::Run, status: Status::Paused })), "the run itself goes on");
                engine.send(Command::SetBudget {
                    target: venue(),
                    tokens: Some(1_000_000),
                    usd: None,
                });
                raised = true;
            }
        }
        Event::WorkspaceDone { workspace, .. } if workspace == "venue" => {
            assert!(raised, "venue finishes only after its budget is raised");
        }
        _ => {}
    })
    .await;
    assert_eq!(run_done_status(&events), Status::Done);
    let announced = events.iter().any(
        |e| matches!(e, Event::BudgetChanged { scope, tokens: Some(1), .. } if *scope == venue()),
    );
    assert!(announced, "the plan's workspace limits are announced");
    assert_eq!(
        server.total_usage(),
        match events.last() {
            Some(Event::RunDone { totals, .. }) => totals.usage,
            _ => unreachable!(),
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raise_that_stays_below_the_spending_keeps_the_pause_and_says_so() {
    let server = MockServer::start_sim(7);
    let mut cfg = config();
    cfg.budgets.run.tokens = Some(1);
    let mut asked = false;
    let events = steer_run(cfg, &server, |e, _, engine| {
        if matches!(e, Event::BudgetReached { .. }) {
            engine.send(Command::SetBudget {
                target: Target::Run,
                tokens: Some(2),
                usd: None,
            });
        }
        if let Event::Warning { message, .. } = e
            && message.contains("still reached")
        {
            // A person's resume does not lift a budget's pause either.
            engine.send(Command::Resume {
                target: Target::Run,
            });
            asked = true;
        }
        if let Event::Warning { message, .. } = e
            && message.contains("still paused")
        {
            engine.send(Command::Cancel {
                target: Target::Run,
            });
        }
    })
    .await;
    assert!(asked);
    assert_eq!(spent(&events).0, 1, "only the planner's call ran");
    assert_eq!(run_done_status(&events), Status::Cancelled);
}
