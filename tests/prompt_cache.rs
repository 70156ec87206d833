//! Prompt caching and context growth: whole runs against the mock server measuring the share of
//! input read from the cache per agent turn, and the prompt size per turn with and without the
//! context window.
//! Run with `--nocapture` to see the measured figures.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use huddle::engine::protocol::MESSAGE_TOOL;
use huddle::engine::{EngineConfig, Event, Status};
use huddle::llm::anthropic::AnthropicClient;
use huddle::llm::retry::RetryPolicy;
use huddle::llm::{Client, LlmRequest, Usage};
use huddle::team;
use support::{MockServer, Reply, SimResponder, run_task};

const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";

/// Agents that keep working until the turn limit: every turn is a message to ALL of about 180
/// tokens, different each time (so no loop is detected); everything else is the simulation's.
struct Chatter;

const WORDS: [&str; 24] = [
    "venue",
    "budget",
    "catering",
    "speakers",
    "sponsors",
    "badges",
    "stage",
    "wifi",
    "tickets",
    "schedule",
    "keynote",
    "breakout",
    "hotel",
    "shuttle",
    "signage",
    "volunteers",
    "streaming",
    "security",
    "lunch",
    "posters",
    "panels",
    "insurance",
    "permits",
    "feedback",
];

impl support::Responder for Chatter {
    fn reply(&self, req: &LlmRequest) -> Reply {
        if req.output_name() != Some(MESSAGE_TOOL) {
            return SimResponder { seed: 7 }.reply(req);
        }
        let n = req.messages[0].parts.len() as u64;
        let me = req.system_text().len() as u64;
        let mut content = format!("Update {n}:");
        for i in 0..110u64 {
            let pick = (n * 31 + me * 7 + i * i * 13) % WORDS.len() as u64;
            content.push_str(&format!(" {} {}", WORDS[pick as usize], (n * 17 + i) % 997));
        }
        Reply::text(serde_json::json!({"to": ["ALL"], "content": content}).to_string())
    }
}

fn config(max_turns: u32, context_tokens: u64) -> EngineConfig {
    let mut cfg = EngineConfig::new(team::preset("conference").unwrap(), "claude-sonnet-4-5");
    cfg.auto_approve = true;
    cfg.max_turns = max_turns;
    cfg.context_tokens = context_tokens;
    // One call at a time, so the server's requests and usages line up with the events.
    cfg.concurrency = 1;
    cfg.retry = RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    };
    cfg
}

/// One agent call as measured: its workspace turn, the agent's own turn, and its usage.
#[derive(Debug)]
struct Measured {
    turn: u32,
    agent_turn: u32,
    usage: Usage,
}

impl Measured {
    fn prompt(&self) -> u64 {
        self.usage.input_tokens + self.usage.cache_read_tokens + self.usage.cache_write_tokens
    }
    fn share(&self) -> f64 {
        self.usage.cache_read_tokens as f64 / self.prompt().max(1) as f64
    }
}

/// Agent calls in order (summaries and aggregations are not agent turns), and the number of
/// summaries made.
fn measure(events: &[Event]) -> (Vec<Measured>, usize) {
    let mut turn: HashMap<String, u32> = HashMap::new();
    let mut agent_turns: HashMap<(String, String), u32> = HashMap::new();
    let mut out = Vec::new();
    let mut summaries = 0;
    for e in events {
        match e {
            Event::TurnStarted {
                workspace,
                agent,
                turn: t,
            } => {
                turn.insert(workspace.clone(), *t);
                *agent_turns
                    .entry((workspace.clone(), agent.clone()))
                    .or_default() += 1;
            }
            // An aggregation names its lead but is not a turn.
            Event::UsageUpdated {
                workspace: Some(ws),
                agent: Some(agent),
                call,
                ..
            } => {
                if let Some(&agent_turn) = agent_turns.get(&(ws.clone(), agent.clone())) {
                    out.push(Measured {
                        turn: turn[ws],
                        agent_turn,
                        usage: *call,
                    });
                }
            }
            Event::ContextSummarized { .. } => summaries += 1,
            _ => {}
        }
    }
    (out, summaries)
}

async fn run(max_turns: u32, context_tokens: u64) -> (Vec<Event>, MockServer) {
    run_with(max_turns, context_tokens, |server| {
        Client::Anthropic(AnthropicClient::new(server.anthropic_base_url(), "sk-test").unwrap())
    })
    .await
}

async fn run_with(
    max_turns: u32,
    context_tokens: u64,
    client: impl Fn(&MockServer) -> Client,
) -> (Vec<Event>, MockServer) {
    let server = MockServer::start(Chatter);
    let client = client(&server);
    let events = run_task(config(max_turns, context_tokens), client, TASK).await;
    match events.last() {
        Some(Event::RunDone { status, .. }) => assert_eq!(*status, Status::Done),
        other => panic!("{other:?}"),
    }
    (events, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_each_agents_third_turn_on_most_input_is_read_from_the_cache() {
    let (events, server) = run(12, huddle::engine::DEFAULT_CONTEXT_TOKENS).await;
    // The shape that makes it work: the system prompt cached, then the header and one block per
    // message, the breakpoint on the last message, and the ask after it.
    let body = server
        .requests()
        .into_iter()
        .map(|r| r.body)
        .rfind(|b| b["tool_choice"]["name"] == MESSAGE_TOOL)
        .unwrap();
    assert_eq!(body["system"][0]["cache_control"]["type"], "ephemeral");
    let blocks = body["messages"][0]["content"].as_array().unwrap();
    let marked: Vec<usize> = (0..blocks.len())
        .filter(|&i| blocks[i].get("cache_control").is_some())
        .collect();
    assert_eq!(marked, [blocks.len() - 2], "{blocks:#?}");
    assert!(
        blocks[blocks.len() - 2]["text"]
            .as_str()
            .unwrap()
            .starts_with("### #")
    );
    assert!(blocks.len() >= 12, "{} blocks", blocks.len());
    let share = later_share("Anthropic", &events);
    assert!(
        share >= 0.70,
        "cache share {share:.3} from the third turn on"
    );
}

/// Prints the share of prompt tokens read from the cache per agent turn; returns it summed over
/// the calls from each agent's third turn on.
fn later_share(api: &str, events: &[Event]) -> f64 {
    let (calls, _) = measure(events);
    for t in 1..=calls.iter().map(|c| c.agent_turn).max().unwrap_or(0) {
        let of: Vec<&Measured> = calls.iter().filter(|c| c.agent_turn == t).collect();
        let read: u64 = of.iter().map(|c| c.usage.cache_read_tokens).sum();
        let prompt: u64 = of.iter().map(|c| c.prompt()).sum();
        let min = of.iter().map(|c| c.share()).fold(1.0, f64::min);
        eprintln!(
            "{api} agent turn {t}: {} calls, {prompt} prompt tokens, {:.1}% read from cache (lowest call {:.1}%)",
            of.len(),
            100.0 * read as f64 / prompt.max(1) as f64,
            100.0 * min
        );
    }
    let later: Vec<&Measured> = calls.iter().filter(|c| c.agent_turn >= 3).collect();
    assert!(later.len() >= 6, "too few third turns: {calls:?}");
    let read: u64 = later.iter().map(|c| c.usage.cache_read_tokens).sum();
    let prompt: u64 = later.iter().map(|c| c.prompt()).sum();
    let share = read as f64 / prompt as f64;
    let lowest = later.iter().map(|c| c.share()).fold(1.0, f64::min);
    eprintln!(
        "{api} from the third turn on: {} calls, {read} of {prompt} prompt tokens read from cache = {:.1}% (lowest call {:.1}%)",
        later.len(),
        100.0 * share,
        100.0 * lowest
    );
    share
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_caches_the_same_stable_prefix_automatically() {
    let (events, _server) = run_with(12, huddle::engine::DEFAULT_CONTEXT_TOKENS, |server| {
        Client::OpenAi(
            huddle::llm::openai::OpenAiClient::new(server.openai_base_url(), None).unwrap(),
        )
    })
    .await;
    let share = later_share("OpenAI", &events);
    assert!(
        share >= 0.70,
        "cache share {share:.3} from the third turn on"
    );
}

/// Mean prompt tokens (input + cache read + cache write) of the agent calls at each workspace
/// turn.
fn prompt_per_turn(calls: &[Measured]) -> Vec<(u32, u64)> {
    let last = calls.iter().map(|c| c.turn).max().unwrap_or(0);
    (1..=last)
        .filter_map(|t| {
            let of: Vec<u64> = calls
                .iter()
                .filter(|c| c.turn == t)
                .map(Measured::prompt)
                .collect();
            (!of.is_empty()).then(|| (t, of.iter().sum::<u64>() / of.len() as u64))
        })
        .collect()
}

/// Tokens of the conversation in each agent turn request the server received (the message parts
/// before the ask).
fn conversation_sizes(server: &MockServer) -> Vec<u64> {
    server
        .requests()
        .into_iter()
        .filter_map(|r| r.request)
        .filter(|r| r.output_name() == Some(MESSAGE_TOOL))
        .map(|r| {
            let parts = &r.messages[0].parts;
            let log: String = parts[..parts.len() - 1]
                .iter()
                .map(|p| p.text.as_str())
                .collect();
            huddle::llm::estimate_tokens(&log)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_context_window_the_prompt_stops_growing() {
    const LIMIT: u64 = 4000;
    let (windowed, windowed_server) = run(40, LIMIT).await;
    let (whole, whole_server) = run(40, 0).await;
    let (calls, summaries) = measure(&windowed);
    let (whole_calls, none) = measure(&whole);
    assert_eq!(none, 0, "0 turns the window off");
    assert!(summaries >= 3, "{summaries} summaries");
    // Summary calls are counted like every other call.
    if let Some(Event::RunDone { totals, .. }) = windowed.last() {
        assert_eq!(totals.usage, windowed_server.total_usage());
        assert_eq!(totals.calls as usize, windowed_server.requests().len());
    }

    let with = prompt_per_turn(&calls);
    let without = prompt_per_turn(&whole_calls);
    eprintln!("workspace turn: mean prompt tokens per agent call, window {LIMIT} / no window");
    for ((t, a), (_, b)) in with.iter().zip(&without) {
        eprintln!("turn {t:>2}: {a:>6} / {b:>6}");
    }
    let sizes: Vec<u64> = windowed
        .iter()
        .filter_map(|e| match e {
            Event::ContextSummarized {
                summary,
                tokens_before,
                tokens_after,
                ..
            } => Some((
                huddle::llm::estimate_tokens(summary),
                *tokens_before,
                *tokens_after,
            )),
            _ => None,
        })
        .map(|(s, b, a)| {
            eprintln!("summary of {s} tokens: conversation {b} -> {a} tokens");
            s
        })
        .collect();
    let cache_share = |calls: &[Measured]| {
        let read: u64 = calls.iter().map(|c| c.usage.cache_read_tokens).sum();
        let prompt: u64 = calls.iter().map(Measured::prompt).sum();
        (prompt, 100.0 * read as f64 / prompt as f64)
    };
    let (p1, s1) = cache_share(&calls);
    let (p2, s2) = cache_share(&whole_calls);
    eprintln!(
        "all agent calls: {p1} prompt tokens, {s1:.1}% from cache with the window; {p2}, {s2:.1}% without"
    );

    for (name, events) in [("window", &windowed), ("no window", &whole)] {
        if let Some(Event::RunDone { totals, .. }) = events.last() {
            let u = totals.usage;
            eprintln!(
                "run with {name}: {} calls, input {} + cache write {} + cache read {} + output {} tokens, ${:.4}",
                totals.calls,
                u.input_tokens,
                u.cache_write_tokens,
                u.cache_read_tokens,
                u.output_tokens,
                totals.cost_usd
            );
        }
    }

    // What each turn is sent of the log stays within the limit; without the window it does not.
    let windowed_sizes = conversation_sizes(&windowed_server);
    let max_windowed = windowed_sizes.iter().max().copied().unwrap_or(0);
    let max_whole = conversation_sizes(&whole_server)
        .into_iter()
        .max()
        .unwrap_or(0);
    eprintln!(
        "largest conversation sent: {max_windowed} tokens with the window, {max_whole} without"
    );
    assert!(max_windowed <= LIMIT, "{max_windowed} > {LIMIT}");
    assert!(max_whole > 3 * LIMIT, "{max_whole}");
    assert!(sizes.iter().all(|&s| s <= LIMIT / 4), "{sizes:?}");

    // The prompt as the server counted it: bounded by the first turns' fixed parts plus the limit
    // with the window, growing past that without.
    let early = |per: &[(u32, u64)]| per.iter().take(3).map(|(_, p)| *p).max().unwrap_or(0);
    let bound = early(&with) + LIMIT;
    let peak = with.iter().map(|(_, p)| *p).max().unwrap_or(0);
    assert!(peak <= bound, "{peak} > {bound}");
    let late = without
        .iter()
        .rev()
        .take(5)
        .map(|(_, p)| *p)
        .min()
        .unwrap_or(0);
    assert!(
        late > bound,
        "without the window the prompt grows: {late} <= {bound}"
    );
}

#[test]
fn context_tokens_is_a_flag_and_an_environment_variable_and_is_kept_for_resume() {
    let home = tempfile::tempdir().unwrap();
    let run = |session: &str, extra: &[&str], env: Option<&str>| {
        let dir = home.path().join(session);
        let mut cmd = support::huddle_command(home.path());
        cmd.args([
            "run",
            TASK,
            "--headless",
            "--sim-speed",
            "0",
            "--session-dir",
        ])
        .arg(&dir)
        .args(extra);
        if let Some(value) = env {
            cmd.env("HUDDLE_CONTEXT_TOKENS", value);
        }
        let out = cmd.output().expect("huddle runs");
        assert_eq!(out.status.code(), Some(0));
        let settings = std::fs::read_to_string(dir.join("settings.json")).unwrap();
        let settings: serde_json::Value = serde_json::from_str(&settings).unwrap();
        (
            String::from_utf8_lossy(&out.stderr).into_owned(),
            settings["context_tokens"].clone(),
        )
    };
    let (stderr, kept) = run("flag", &["--context-tokens", "300"], Some("0"));
    assert!(stderr.contains("summarized for the agents"), "{stderr}");
    assert_eq!(kept, 300, "the flag wins over the environment");
    let (stderr, kept) = run("env", &[], Some("0"));
    assert!(!stderr.contains("summarized"), "{stderr}");
    assert_eq!(kept, 0);
}
