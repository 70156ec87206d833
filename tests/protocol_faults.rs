//! Model output that breaks the protocol never stalls a workspace: for each kind of bad reply,
//! a whole run through the Anthropic client against our mock server still ends, the workspace
//! is done, and what happened is said in a warning. Nothing a model writes is truncated.

mod support;

use std::time::Duration;

use huddle::engine::protocol::MESSAGE_TOOL;
use huddle::engine::{EngineConfig, Event, Status};
use huddle::llm::anthropic::AnthropicClient;
use huddle::llm::retry::RetryPolicy;
use huddle::llm::{Client, LlmRequest};
use huddle::team;
use support::{MockServer, Reply, Responder, SimResponder};

const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";

fn config() -> EngineConfig {
    let mut cfg = EngineConfig::new(team::preset("conference").unwrap(), "claude-sonnet-4-5");
    cfg.auto_approve = true;
    cfg.retry = RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    };
    cfg
}

async fn run(server: &MockServer) -> Vec<Event> {
    let client =
        Client::Anthropic(AnthropicClient::new(server.anthropic_base_url(), "sk-test").unwrap());
    support::run_task(config(), client, TASK).await
}

/// A server where `agent`'s turns in the venue workspace get `bad` and everything else the
/// simulation's replies.
fn misbehaving(agents: &'static [&'static str], bad: fn(&str) -> Reply) -> MockServer {
    MockServer::start(move |req: &LlmRequest| {
        let system = req.system_text();
        match agents.iter().find(|a| {
            req.output_name() == Some(MESSAGE_TOOL) && system.starts_with(&format!("You are {a}@"))
        }) {
            Some(agent) => bad(agent),
            None => SimResponder { seed: 3 }.reply(req),
        }
    })
}

fn venue_status(events: &[Event]) -> Option<&Status> {
    events.iter().find_map(|e| match e {
        Event::WorkspaceDone {
            workspace, status, ..
        } if workspace == "venue" => Some(status),
        _ => None,
    })
}

fn warned(events: &[Event], needle: &str) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::Warning { message, .. } if message.contains(needle)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_broken_reply_ends_with_the_workspace_done() {
    type Case = (&'static str, fn(&str) -> Reply, &'static str);
    let cases: [Case; 5] = [
        (
            "no addressee",
            |_| Reply::text(r#"{"content":"The menu is vegetarian-first."}"#),
            "broke the protocol",
        ),
        (
            "unknown agent",
            |_| Reply::text(r#"{"to":["ghost_writer"],"content":"Over to you."}"#),
            "broke the protocol",
        ),
        (
            "invalid JSON",
            |_| Reply::text(r#"{"to":["venue_coordinator"],"content":"unterminated"#),
            "broke the protocol",
        ),
        ("empty reply", |_| Reply::text(""), "broke the protocol"),
        (
            "prose, no JSON",
            |_| Reply::text("Sure! Here is my plan: lots of canapés."),
            "broke the protocol",
        ),
    ];
    let mut matrix = vec![];
    for (name, bad, warning) in cases {
        let server = misbehaving(&["catering_manager"], bad);
        let events = run(&server).await;
        let status = venue_status(&events).cloned();
        matrix.push(format!("{name:<16} venue {status:?}"));
        assert_eq!(status, Some(Status::Done), "{name}");
        assert!(warned(&events, warning), "{name}: no warning");
        assert!(
            warned(&events, "broke the protocol again"),
            "{name}: asked once more, then delivered"
        );
        // The fallback delivers the raw text to the lead, whole.
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::MessagePosted { message }
            if message.from == "catering_manager" && message.to == ["venue_coordinator"])),
            "{name}"
        );
    }
    println!("{}", matrix.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_megabyte_reply_is_delivered_whole() {
    let server = misbehaving(&["catering_manager"], |_| {
        let content = "menu ".repeat(200_000);
        Reply::text(format!(
            r#"{{"to":["venue_coordinator"],"content":"{content}"}}"#
        ))
    });
    let events = run(&server).await;
    assert_eq!(venue_status(&events), Some(&Status::Done));
    let longest = events
        .iter()
        .filter_map(|e| match e {
            Event::MessagePosted { message } if message.from == "catering_manager" => {
                Some(message.content.len())
            }
            _ => None,
        })
        .max()
        .unwrap();
    assert!(
        longest >= 999_999,
        "the 1 MB message was cut to {longest} bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_ping_pong_between_two_agents_is_broken() {
    let server = misbehaving(&["venue_coordinator", "catering_manager"], |agent| {
        let peer = if agent == "venue_coordinator" {
            "catering_manager"
        } else {
            "venue_coordinator"
        };
        Reply::text(format!(
            r#"{{"to":["{peer}"],"content":"Can you confirm the numbers once more?"}}"#
        ))
    });
    let events = run(&server).await;
    assert_eq!(venue_status(&events), Some(&Status::Done));
    assert!(warned(&events, "keep trading the same message"));
    let turns = events
        .iter()
        .filter_map(|e| match e {
            Event::TurnStarted {
                workspace, turn, ..
            } if workspace == "venue" => Some(*turn),
            _ => None,
        })
        .max()
        .unwrap();
    assert!(
        turns < 12,
        "the loop was broken before the turn limit ({turns})"
    );
}
