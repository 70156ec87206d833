//! Whole runs through the engine and the real HTTP clients against our mock server on 127.0.0.1.

mod support;

use std::time::Duration;

use huddle::engine::protocol::{MESSAGE_TOOL, PLAN_TOOL, header};
use huddle::engine::{Command, Engine, EngineConfig, Event, Status, Target, USER};
use huddle::llm::anthropic::AnthropicClient;
use huddle::llm::openai::OpenAiClient;
use huddle::llm::retry::RetryPolicy;
use huddle::llm::{Client, LlmRequest, Usage};
use huddle::team;
use support::{MockServer, Reply, Responder, SimResponder, run_task as run};

const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";

fn config(team: &str) -> EngineConfig {
    let mut cfg = EngineConfig::new(team::preset(team).unwrap(), "claude-sonnet-4-5");
    cfg.auto_approve = true;
    cfg.retry = RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    };
    cfg
}

fn anthropic(server: &MockServer) -> Client {
    Client::Anthropic(AnthropicClient::new(server.anthropic_base_url(), "sk-test-key").unwrap())
}

fn run_done(events: &[Event]) -> (&Status, &str, huddle::engine::Totals) {
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

fn workspace_status(events: &[Event]) -> Vec<(String, Status)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::WorkspaceDone {
                workspace, status, ..
            } => Some((workspace.clone(), status.clone())),
            _ => None,
        })
        .collect()
}

fn is_plan(req: &LlmRequest) -> bool {
    req.output_name() == Some(PLAN_TOOL)
}

fn is_turn_of(req: &LlmRequest, workspace: &str) -> bool {
    req.output_name() == Some(MESSAGE_TOOL)
        && req
            .system_text()
            .contains(&format!("{}\n{workspace}:", header::WORKSPACE))
}

fn sum_calls(events: &[Event]) -> Usage {
    let mut u = Usage::default();
    for e in events {
        if let Event::UsageUpdated { call, .. } = e {
            u.add(call);
        }
    }
    u
}

/// The checks every finished conference run must pass.
fn check_conference_run(events: &[Event], server: &MockServer) {
    let (status, report, totals) = run_done(events);
    assert_eq!(*status, Status::Done, "report:\n{report}");
    let done = workspace_status(events)
        .iter()
        .filter(|(_, s)| *s == Status::Done)
        .count();
    assert!(
        done >= 4,
        "3+ leaves and the root must be done: {:?}",
        workspace_status(events)
    );
    // Token totals are exactly what the server reported, call by call.
    assert_eq!(totals.usage, server.total_usage());
    assert_eq!(sum_calls(events), server.total_usage());
    assert_eq!(totals.calls as usize, server.requests().len());
    assert!(
        totals.usage.cache_read_tokens > 0,
        "successive turns read the cached prefix"
    );
    // Every message goes to members, ALL or USER, and every workspace reported to USER.
    let finished: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::MessagePosted { message }
                if message.from != USER && message.to.iter().any(|t| t == USER) =>
            {
                Some(message.workspace.clone())
            }
            _ => None,
        })
        .collect();
    assert!(finished.len() >= 3, "{finished:?}");
    assert!(
        report.contains("## Deliverable")
            && report.contains("## Usage")
            && report.contains("## Workspaces"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conference_through_the_anthropic_client_has_exact_token_totals() {
    let server = MockServer::start_sim(7);
    // The simulation's conversations are short, mostly under the API's 1024-token minimum;
    // a lower one lets the run show cache reads (tests/prompt_cache.rs measures the real one).
    server.set_cache_minimum(256);
    let events = run(config("conference"), anthropic(&server), TASK).await;
    check_conference_run(&events, &server);
    let all = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect::<String>();
    assert!(
        !all.contains("sk-test-key"),
        "the API key never reaches the events or the report"
    );
    let req = &server.requests()[1];
    assert_eq!(req.header("x-api-key"), Some("sk-test-key"));
    assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conference_through_the_openai_client_has_exact_token_totals() {
    let server = MockServer::start_sim(7);
    // The simulation's conversations are short, mostly under the API's 1024-token minimum;
    // a lower one lets the run show cache reads (tests/prompt_cache.rs measures the real one).
    server.set_cache_minimum(256);
    let client = Client::OpenAi(OpenAiClient::new(server.openai_base_url(), None).unwrap());
    let mut cfg = config("conference");
    cfg.model = "llama3.1:8b".into();
    let events = run(cfg, client, TASK).await;
    check_conference_run(&events, &server);
    let (_, _, totals) = run_done(&events);
    assert_eq!(totals.cost_usd, 0.0, "a local model costs nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_plans_run_every_level_and_aggregate_up_to_the_root() {
    let plan = serde_json::json!({
        "id": "root", "title": "FutureTech 2025", "description": "the whole conference", "agents": [],
        "children": [
            {"id": "onsite", "title": "On site", "description": "venue and tech", "agents": ["venue_coordinator"], "children": [
                {"id": "venue", "title": "Venue", "description": "book it", "agents": ["venue_coordinator", "catering_manager"], "children": []},
                {"id": "tech", "title": "Tech", "description": "AV", "agents": ["tech_setup", "program_director"], "children": []}
            ]},
            {"id": "audience", "title": "Audience", "description": "tickets", "agents": ["marketing_manager", "registration_coordinator"], "children": []}
        ]
    });
    let plan_text = plan.to_string();
    let server = MockServer::start(move |req: &LlmRequest| {
        if is_plan(req) {
            Reply::text(plan_text.clone())
        } else {
            SimResponder { seed: 3 }.reply(req)
        }
    });
    let events = run(config("conference"), anthropic(&server), TASK).await;
    let (status, report, _) = run_done(&events);
    assert_eq!(*status, Status::Done);
    let order: Vec<_> = workspace_status(&events)
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    let pos = |id: &str| {
        order
            .iter()
            .position(|w| w == id)
            .unwrap_or_else(|| panic!("{id} never finished: {order:?}"))
    };
    assert!(
        pos("venue") < pos("onsite") && pos("tech") < pos("onsite") && pos("onsite") < pos("root")
    );
    // The inner node's aggregation saw both children's full results, and the root saw the inner node's.
    let aggregations: Vec<_> = server
        .requests()
        .into_iter()
        .filter_map(|r| r.request)
        .filter(|r| r.messages[0].text().contains(header::CHILD_RESULTS))
        .collect();
    assert_eq!(aggregations.len(), 2);
    let results: std::collections::HashMap<_, _> = events
        .iter()
        .filter_map(|e| match e {
            Event::WorkspaceDone {
                workspace,
                result: Some(r),
                ..
            } => Some((workspace.clone(), r.clone())),
            _ => None,
        })
        .collect();
    let onsite_input = aggregations
        .iter()
        .find(|r| r.messages[0].text().contains("onsite: On site"))
        .unwrap()
        .messages[0]
        .text();
    assert!(
        onsite_input.contains(results["venue"].trim())
            && onsite_input.contains(results["tech"].trim())
    );
    let root_input = aggregations
        .iter()
        .find(|r| r.messages[0].text().contains("root: FutureTech 2025"))
        .unwrap()
        .messages[0]
        .text();
    assert!(
        root_input.contains(results["onsite"].trim())
            && root_input.contains(results["audience"].trim())
    );
    // The report carries the root's deliverable (its headings pushed below the report's own).
    let body: Vec<&str> = results["root"]
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert!(
        body.len() > 3 && body.iter().all(|l| report.contains(l)),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_workspace_does_not_block_the_others_and_shows_in_the_report() {
    let server = MockServer::start(|req: &LlmRequest| {
        // A non-retryable error for every turn of the first leaf the sim plans (the venue team).
        if is_turn_of(req, "venue") {
            Reply::status(400, "prompt is too long")
        } else {
            SimResponder { seed: 7 }.reply(req)
        }
    });
    let events = run(config("conference"), anthropic(&server), TASK).await;
    let statuses = workspace_status(&events);
    let venue = statuses
        .iter()
        .find(|(w, _)| w == "venue")
        .expect("a venue workspace");
    assert!(
        matches!(&venue.1, Status::Failed(r) if r.contains("prompt is too long")),
        "{venue:?}"
    );
    assert!(
        statuses
            .iter()
            .filter(|(w, s)| w != "venue" && *s == Status::Done)
            .count()
            >= 3,
        "{statuses:?}"
    );
    let (status, report, _) = run_done(&events);
    assert_eq!(
        *status,
        Status::Done,
        "the root still aggregates what finished"
    );
    assert!(
        report.contains("(failed: HTTP 400: prompt is too long)"),
        "{report}"
    );
    let root_agg = server
        .requests()
        .into_iter()
        .filter_map(|r| r.request)
        .find(|r| r.messages[0].text().contains(header::CHILD_RESULTS))
        .unwrap();
    assert!(root_agg.messages[0].text().contains("(failed)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_plan_is_asked_again_with_its_problems_then_repaired() {
    let bad = r#"{"id": "root", "title": "T", "description": "", "agents": [], "children": [
        {"id": "a", "title": "Venue", "description": "venue", "agents": ["venue_coordinator", "ghost"], "children": []},
        {"id": "a", "title": "Talks", "description": "talks", "agents": ["venue_coordinator"], "children": []}]}"#;
    let server = MockServer::start(move |req: &LlmRequest| {
        if is_plan(req) {
            Reply::text(bad)
        } else {
            SimResponder { seed: 1 }.reply(req)
        }
    });
    let events = run(config("conference"), anthropic(&server), TASK).await;
    let plans: Vec<_> = server
        .requests()
        .into_iter()
        .filter_map(|r| r.request)
        .filter(is_plan)
        .collect();
    assert_eq!(plans.len(), 2, "asked once more, not more");
    let followup = plans[1].messages.last().unwrap().text();
    assert!(
        followup.contains(header::PROBLEMS)
            && followup.contains("'ghost', who is not in the roster")
            && followup.contains("id 'a' is used by more than one node"),
        "{followup}"
    );
    let ready = events
        .iter()
        .find_map(|e| match e {
            Event::PlanReady {
                plan,
                repaired,
                notes,
            } => Some((plan.clone(), *repaired, notes.clone())),
            _ => None,
        })
        .unwrap();
    assert!(ready.1, "marked as repaired");
    assert!(
        ready
            .2
            .iter()
            .any(|n| n.contains("dropped unknown agent 'ghost'")),
        "{:?}",
        ready.2
    );
    assert!(
        huddle::engine::plan::validate(&ready.0, &team::preset("conference").unwrap(), 3)
            .is_empty()
    );
    assert_eq!(*run_done(&events).0, Status::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_breaks_the_protocol_is_asked_again_then_delivered_to_the_lead() {
    // catering_manager never follows the protocol.
    let server = MockServer::start(|req: &LlmRequest| {
        if req.output_name() == Some(MESSAGE_TOOL)
            && req.system_text().starts_with("You are catering_manager@")
        {
            Reply::text("I think the menu should be vegetarian-first.")
        } else {
            SimResponder { seed: 2 }.reply(req)
        }
    });
    let events = run(config("conference"), anthropic(&server), TASK).await;
    let reasked = server
        .requests()
        .into_iter()
        .filter_map(|r| r.request)
        .any(|r| {
            r.messages
                .last()
                .unwrap()
                .text()
                .contains(header::PROTOCOL_ERROR)
        });
    assert!(reasked);
    let fallback = events
        .iter()
        .find_map(|e| match e {
            Event::MessagePosted { message } if message.from == "catering_manager" => {
                Some(message.clone())
            }
            _ => None,
        })
        .expect("the plain text was delivered");
    assert_eq!(fallback.to, ["venue_coordinator"], "to the sender's lead");
    assert_eq!(
        fallback.content,
        "I think the menu should be vegetarian-first."
    );
    assert!(events.iter().any(|e| matches!(e, Event::Warning { message, .. } if message.contains("broke the protocol again"))));
    assert_eq!(*run_done(&events).0, Status::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_turn_limit_the_last_speaker_writes_the_result() {
    // Agents that never finish: they always write to each other.
    let server = MockServer::start(|req: &LlmRequest| {
        if is_plan(req) {
            return Reply::text(
                r#"{"id":"root","title":"T","description":"d","agents":["venue_coordinator","catering_manager"],"children":[]}"#,
            );
        }
        if req.output_name() == Some(MESSAGE_TOOL)
            && !req.messages[0].text().contains(header::FINAL_RESULT)
        {
            let me = req
                .system_text()
                .split_whitespace()
                .nth(2)
                .unwrap_or("")
                .split('@')
                .next()
                .unwrap_or("")
                .to_string();
            let other = if me == "venue_coordinator" {
                "catering_manager"
            } else {
                "venue_coordinator"
            };
            let n = req.messages[0].text().matches("### #").count();
            return Reply::text(serde_json::json!({"to": [other], "content": format!("Point {n}: another detail number {}", n * 37)}).to_string());
        }
        Reply::text("FINAL RESULT: everything agreed above.").with_stop_reason("max_tokens")
    });
    let mut cfg = config("conference");
    cfg.max_turns = 4;
    let events = run(cfg, anthropic(&server), TASK).await;
    let finals: Vec<_> = server
        .requests()
        .into_iter()
        .filter_map(|r| r.request)
        .filter(|r| r.messages[0].text().contains(header::FINAL_RESULT))
        .collect();
    assert_eq!(finals.len(), 1);
    let turns = events
        .iter()
        .filter(|e| matches!(e, Event::TurnStarted { .. }))
        .count();
    assert_eq!(
        turns, 4,
        "3 turns and the final result: never past the limit"
    );
    let result = events.iter().find_map(|e| match e {
        Event::WorkspaceDone {
            workspace, result, ..
        } if workspace == "root" => result.clone(),
        _ => None,
    });
    assert_eq!(
        result.as_deref(),
        Some("FINAL RESULT: everything agreed above.")
    );
    assert!(
        events.iter().any(|e| matches!(e, Event::Warning { message, .. } if message.contains("cut at the output limit"))),
        "a truncated reply is flagged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_inject_resume_and_cancel_steer_a_live_run() {
    // Slow replies so that the run is still going while we steer it.
    let server = MockServer::start(|req: &LlmRequest| {
        SimResponder { seed: 5 }
            .reply(req)
            .with_event_delay(Duration::from_millis(3))
    });
    let mut cfg = config("conference");
    cfg.auto_approve = false;
    let (engine, mut rx) = Engine::spawn(cfg, anthropic(&server));
    engine.send(Command::StartTask { task: TASK.into() });
    let mut events = Vec::new();
    let mut paused_at = None;
    let mut turns_while_paused = 0;
    loop {
        let e = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("event in time")
            .expect("engine alive");
        match &e {
            Event::PlanReady { .. } => engine.send(Command::ApprovePlan),
            Event::WorkspaceStarted {
                workspace,
                leaf: true,
                ..
            } if workspace == "venue" => {
                engine.send(Command::Pause {
                    target: Target::Workspace {
                        workspace: "venue".into(),
                    },
                });
                engine.send(Command::Cancel {
                    target: Target::Workspace {
                        workspace: "marketing".into(),
                    },
                });
            }
            Event::StatusChanged {
                target: Target::Workspace { workspace },
                status: Status::Paused,
            } if workspace == "venue" => paused_at = Some(events.len()),
            Event::TurnStarted { workspace, .. } if workspace == "venue" && paused_at.is_some() => {
                turns_while_paused += 1
            }
            Event::WorkspaceDone { workspace, .. } if workspace == "content" => {
                // The other leaf finished while venue was paused: speak into venue, then resume it.
                assert_eq!(
                    turns_while_paused, 0,
                    "a paused workspace takes no new turn (one in flight may finish)"
                );
                engine.send(Command::InjectMessage {
                    workspace: "venue".into(),
                    to: vec!["catering_manager".into()],
                    text: "Budget is capped at $80 per head.".into(),
                });
                engine.send(Command::Resume {
                    target: Target::Workspace {
                        workspace: "venue".into(),
                    },
                });
                paused_at = None;
            }
            _ => {}
        }
        let done = matches!(e, Event::RunDone { .. });
        events.push(e);
        if done {
            break;
        }
    }
    let statuses = workspace_status(&events);
    assert!(
        statuses.contains(&("marketing".into(), Status::Cancelled)),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&("venue".into(), Status::Done)),
        "{statuses:?}"
    );
    let injected = events.iter().position(|e| matches!(e, Event::MessagePosted { message } if message.from == USER && message.content.contains("$80 per head"))).expect("injected message posted");
    assert!(
        events[injected..].iter().any(|e| matches!(e, Event::TurnStarted { workspace, agent, .. } if workspace == "venue" && agent == "catering_manager")),
        "the addressee gets a turn"
    );
    let seen = server
        .requests()
        .into_iter()
        .filter_map(|r| r.request)
        .any(|r| {
            r.system_text().starts_with("You are catering_manager@")
                && r.messages[0].text().contains("$80 per head")
        });
    assert!(
        seen,
        "the addressee's next call carries the person's message"
    );
    engine.send(Command::Shutdown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_structured_output_gets_json_in_plain_text() {
    // Like a llama.cpp build that rejects `response_format`: 400 for structured requests.
    let server = MockServer::start(|req: &LlmRequest| {
        if req.output != huddle::llm::Output::Text {
            return Reply::status(400, "response_format is not supported");
        }
        let last = req.messages.last().map(|m| m.text()).unwrap_or_default();
        let tool = if req.system_text().starts_with("You are the planner") {
            Some(PLAN_TOOL)
        } else if last.contains(header::YOUR_TURN) || last.contains(header::PROTOCOL_ERROR) {
            Some(MESSAGE_TOOL)
        } else {
            None
        };
        let mut as_meant = req.clone();
        if let Some(name) = tool {
            as_meant.output = huddle::llm::Output::Json {
                name: name.into(),
                description: String::new(),
                schema: serde_json::Value::Null,
            };
        }
        SimResponder { seed: 4 }.reply(&as_meant)
    });
    let client = Client::OpenAi(
        OpenAiClient::new(server.openai_base_url(), Some("sk-local".into())).unwrap(),
    );
    let events = run(config("conference"), client, TASK).await;
    assert_eq!(*run_done(&events).0, Status::Done);
    let requests = server.requests();
    let refused = requests
        .iter()
        .filter(|r| r.body.get("response_format").is_some())
        .count();
    assert_eq!(
        refused, 1,
        "structured output is tried once, then never again"
    );
    assert!(events.iter().any(|e| matches!(e, Event::Warning { message, .. } if message.contains("refused structured output"))));
    assert!(
        workspace_status(&events)
            .iter()
            .filter(|(_, s)| *s == Status::Done)
            .count()
            >= 4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_replans_and_a_paused_run_takes_no_turn_until_resumed() {
    let server = MockServer::start_sim(9);
    let mut cfg = config("conference");
    cfg.auto_approve = false;
    let (engine, mut rx) = Engine::spawn(cfg, anthropic(&server));
    engine.send(Command::StartTask { task: TASK.into() });
    let next = async |rx: &mut tokio::sync::mpsc::UnboundedReceiver<Event>| {
        tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("event in time")
            .expect("engine alive")
    };
    let mut plans = Vec::new();
    while plans.len() < 2 {
        match next(&mut rx).await {
            Event::PlanReady { plan, .. } => {
                plans.push(plan);
                if plans.len() == 1 {
                    engine.send(Command::RevisePlan {
                        feedback: "without marketing".into(),
                    });
                }
            }
            Event::PlanStarted {
                attempt: 2,
                feedback,
            } => assert_eq!(feedback.as_deref(), Some("without marketing")),
            Event::WorkspaceStarted { .. } | Event::TurnStarted { .. } => {
                panic!("nothing runs before approval")
            }
            _ => {}
        }
    }
    let revised = &plans[1];
    assert!(
        plans[0]
            .all_agents()
            .iter()
            .any(|a| a.starts_with("marketing"))
    );
    assert!(
        !revised
            .all_agents()
            .iter()
            .any(|a| a.starts_with("marketing") || a == "social_media_specialist"),
        "{revised:#?}"
    );
    // The revision request carried the previous plan and the feedback.
    let replan = server
        .requests()
        .into_iter()
        .filter_map(|r| r.request)
        .nth(1)
        .unwrap();
    assert!(
        replan
            .messages
            .last()
            .unwrap()
            .text()
            .contains(header::FEEDBACK)
    );

    engine.send(Command::Pause {
        target: Target::Run,
    });
    engine.send(Command::ApprovePlan);
    let leaves = revised.nodes().iter().filter(|n| n.is_leaf()).count();
    let mut started = 0;
    while started < leaves {
        match next(&mut rx).await {
            Event::WorkspaceStarted { leaf: true, .. } => started += 1,
            Event::TurnStarted { .. } => panic!("a turn started while the run was paused"),
            _ => {}
        }
    }
    let quiet = tokio::time::timeout(Duration::from_millis(300), async {
        loop {
            if let Event::TurnStarted { .. } = next(&mut rx).await {
                return;
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "a turn started while the run was paused");
    engine.send(Command::Resume {
        target: Target::Run,
    });
    loop {
        if let Event::RunDone { status, .. } = next(&mut rx).await {
            assert_eq!(status, Status::Done);
            break;
        }
    }
    engine.send(Command::Shutdown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_sent_during_replanning_is_ignored_and_one_on_the_new_plan_is_kept() {
    let server = MockServer::start_sim(4);
    let mut cfg = config("conference");
    cfg.auto_approve = false;
    let (engine, mut rx) = Engine::spawn(cfg, anthropic(&server));
    engine.send(Command::StartTask { task: TASK.into() });
    let mut ready = 0;
    let mut ignored = 0;
    loop {
        let event = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("event in time")
            .expect("engine alive");
        match event {
            Event::PlanReady { .. } => {
                ready += 1;
                if ready == 1 {
                    // Feedback and, before the new plan is shown, an approval of the old one.
                    engine.send(Command::RevisePlan {
                        feedback: "shorter".into(),
                    });
                    engine.send(Command::ApprovePlan);
                } else {
                    // Approved the moment it is shown: this one must count.
                    engine.send(Command::ApprovePlan);
                }
            }
            Event::Warning { message, .. } if message.contains("while re-planning") => ignored += 1,
            Event::PlanApproved => break,
            _ => {}
        }
    }
    assert_eq!(ready, 2, "the stale approval did not skip the new plan");
    assert_eq!(ignored, 1);
    engine.send(Command::Cancel {
        target: Target::Run,
    });
    engine.send(Command::Shutdown);
}

/// Sends `Inspect` and returns the next event: with no run going, that is the answer.
async fn inspect(
    engine: &huddle::engine::EngineHandle,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Event>,
    workspace: &str,
    agent: &str,
) -> Event {
    engine.send(Command::Inspect {
        workspace: workspace.into(),
        agent: agent.into(),
    });
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("an answer in time")
        .expect("engine alive")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspecting_an_agent_shows_its_last_request_reply_turns_and_usage() {
    let server = MockServer::start_sim(11);
    let (engine, mut rx) = Engine::spawn(config("conference"), anthropic(&server));
    engine.send(Command::StartTask { task: TASK.into() });
    let mut events = Vec::new();
    loop {
        let e = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("the run finishes in time")
            .expect("engine alive");
        let done = matches!(e, Event::RunDone { .. });
        events.push(e);
        if done {
            break;
        }
    }
    assert_eq!(*run_done(&events).0, Status::Done);
    // A leaf agent that took turns.
    let (ws, agent) = events
        .iter()
        .find_map(|e| match e {
            Event::TurnStarted {
                workspace, agent, ..
            } => Some((workspace.clone(), agent.clone())),
            _ => None,
        })
        .expect("some agent took a turn");
    let turns = events
        .iter()
        .filter(|e| matches!(e, Event::TurnStarted { workspace, agent: a, .. } if *workspace == ws && *a == agent))
        .count();
    let mut usage = Usage::default();
    let mut calls = 0;
    for e in &events {
        if let Event::UsageUpdated {
            workspace: Some(w),
            agent: Some(a),
            call,
            ..
        } = e
            && *w == ws
            && *a == agent
        {
            usage.add(call);
            calls += 1;
        }
    }
    let profile = team::preset("conference")
        .unwrap()
        .agent(&agent)
        .cloned()
        .unwrap();

    match inspect(&engine, &mut rx, &ws, &agent).await {
        Event::AgentInspected {
            workspace,
            agent: name,
            persona,
            model,
            system,
            request,
            reply,
            turns: inspected_turns,
            totals,
        } => {
            assert_eq!(
                (workspace.as_str(), name.as_str()),
                (ws.as_str(), agent.as_str())
            );
            assert!(persona.contains(&profile.address()) && persona.contains(&profile.description));
            assert_eq!(model, "claude-sonnet-4-5");
            let system = system.expect("the agent has made calls");
            assert!(system.contains(&profile.description), "{system}");
            assert!(system.contains(header::PROTOCOL) && system.contains(header::MISSION));
            // Exactly what the server received last for this agent in this workspace.
            let sent = server
                .requests()
                .into_iter()
                .filter_map(|r| r.request)
                .rev()
                .find(|r| {
                    let s = r.system_text();
                    s.contains(&format!("You are {}.", profile.address()))
                        && s.contains(&format!("{}\n{ws}:", header::WORKSPACE))
                })
                .expect("the server saw the agent's calls");
            assert_eq!(system, sent.system_text());
            assert!(!request.is_empty());
            assert_eq!(
                request.iter().map(|m| m.text.clone()).collect::<Vec<_>>(),
                sent.messages.iter().map(|m| m.text()).collect::<Vec<_>>()
            );
            assert!(reply.is_some_and(|r| !r.trim().is_empty()));
            assert!(inspected_turns > 0);
            assert_eq!(inspected_turns as usize, turns);
            assert_eq!(totals.usage, usage);
            assert_eq!(totals.calls, calls);
        }
        other => panic!("expected AgentInspected, got {other:?}"),
    }
    engine.send(Command::Shutdown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspecting_an_unknown_agent_or_workspace_warns() {
    let server = MockServer::start_sim(3);
    let (engine, mut rx) = Engine::spawn(config("conference"), anthropic(&server));
    // Before any plan: nothing to inspect.
    match inspect(&engine, &mut rx, "venue", "venue_coordinator").await {
        Event::Warning { message, .. } => {
            assert_eq!(message, "no agent 'venue_coordinator' in workspace 'venue'")
        }
        other => panic!("expected a warning, got {other:?}"),
    }
    engine.send(Command::StartTask { task: TASK.into() });
    let root = loop {
        let e = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("event in time")
            .expect("engine alive");
        if let Event::WorkspaceStarted {
            workspace,
            parent: None,
            ..
        } = e
        {
            break workspace;
        }
    };
    engine.send(Command::Cancel {
        target: Target::Run,
    });
    loop {
        let e = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("event in time")
            .expect("engine alive");
        if matches!(e, Event::RunDone { .. }) {
            break;
        }
    }
    match inspect(&engine, &mut rx, &root, "nobody").await {
        Event::Warning { workspace, message } => {
            assert_eq!(workspace.as_deref(), Some(root.as_str()));
            assert_eq!(message, format!("no agent 'nobody' in workspace '{root}'"));
        }
        other => panic!("expected a warning, got {other:?}"),
    }
    engine.send(Command::Shutdown);
}
