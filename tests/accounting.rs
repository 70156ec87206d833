//! Accounting: the report's summary table against the usage the server reported, call by call,
//! through the real Anthropic client; and the same table on stdout of a headless run.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use huddle::engine::protocol::header;
use huddle::engine::{EngineConfig, Event, Status};
use huddle::llm::anthropic::AnthropicClient;
use huddle::llm::retry::RetryPolicy;
use huddle::llm::{Client, LlmRequest, Usage};
use huddle::team;
use support::{MockServer, run_task};

const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";

/// claude-sonnet-4 prices per million tokens (input, output, cache write, cache read), written
/// out here rather than read from the pricing table, so the table is checked too.
const SONNET: [f64; 4] = [3.0, 15.0, 3.75, 0.30];

fn cost(u: &Usage) -> f64 {
    (u.input_tokens as f64 * SONNET[0]
        + u.output_tokens as f64 * SONNET[1]
        + u.cache_write_tokens as f64 * SONNET[2]
        + u.cache_read_tokens as f64 * SONNET[3])
        / 1e6
}

/// The workspace and agent a request was made for, read from its prompt: the `# Workspace`
/// section names the workspace, "You are name@team" the agent. Planner requests have neither.
fn owner(req: &LlmRequest) -> Option<(String, String)> {
    let system = req.system_text();
    let all = format!(
        "{system}\n{}",
        req.messages
            .iter()
            .map(|m| m.text())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let after = all.split(&format!("{}\n", header::WORKSPACE)).nth(1)?;
    let workspace = after.split(':').next()?.trim().to_string();
    let agent = match system.strip_prefix("You are ") {
        Some(rest) if !rest.starts_with("the coordinator") => rest.split('@').next()?.to_string(),
        _ => "coordinator".to_string(),
    };
    Some((workspace, agent))
}

/// The report's Usage table as rows of cells, keyed by (workspace, agent); agent "" is the
/// workspace's own row.
fn table(report: &str) -> BTreeMap<(String, String), Vec<String>> {
    let usage = report.split("## Usage").nth(1).expect("a Usage section");
    let mut rows = BTreeMap::new();
    let mut workspace = String::new();
    for line in usage.lines().filter(|l| l.starts_with("| ")).skip(1) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        let key = match cells[0].strip_prefix("↳ ") {
            Some(agent) => (workspace.clone(), agent.to_string()),
            None => {
                workspace = cells[0].clone();
                (workspace.clone(), String::new())
            }
        };
        rows.insert(key, cells);
    }
    rows
}

/// Calls, input, output, cache write, cache read and cost as the table shows them.
fn figures(u: &Usage, calls: u64) -> Vec<String> {
    vec![
        calls.to_string(),
        u.input_tokens.to_string(),
        u.output_tokens.to_string(),
        u.cache_write_tokens.to_string(),
        u.cache_read_tokens.to_string(),
        format!("{:.4}", cost(u)),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_table_matches_the_usage_the_server_reported() {
    let server = MockServer::start_sim(11);
    // The sim's short conversations stay under Sonnet's 1024-token cache minimum.
    server.set_cache_minimum(256);
    let mut cfg = EngineConfig::new(team::preset("conference").unwrap(), "claude-sonnet-4-5");
    cfg.auto_approve = true;
    // One call at a time, so that the server's n-th usage belongs to its n-th request.
    cfg.concurrency = 1;
    cfg.retry = RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    };
    let client =
        Client::Anthropic(AnthropicClient::new(server.anthropic_base_url(), "sk-test").unwrap());
    let events = run_task(cfg, client, TASK).await;
    let Some(Event::RunDone { status, report, .. }) = events.last() else {
        panic!("no RunDone");
    };
    assert_eq!(*status, Status::Done, "{report}");

    let requests = server.requests();
    let usages = server.usages();
    assert_eq!(requests.len(), usages.len());
    // Expected figures, summed from what the server reported.
    let mut by_agent: BTreeMap<(String, String), (Usage, u64)> = BTreeMap::new();
    let mut by_workspace: BTreeMap<String, (Usage, u64)> = BTreeMap::new();
    let (mut planner, mut run) = ((Usage::default(), 0), (Usage::default(), 0));
    for (r, u) in requests.iter().zip(&usages) {
        let req = r.request.as_ref().expect("a valid request");
        run.0.add(u);
        run.1 += 1;
        match owner(req) {
            Some((ws, agent)) => {
                let a = by_agent.entry((ws.clone(), agent)).or_default();
                a.0.add(u);
                a.1 += 1;
                let w = by_workspace.entry(ws).or_default();
                w.0.add(u);
                w.1 += 1;
            }
            None => {
                planner.0.add(u);
                planner.1 += 1;
            }
        }
    }
    assert!(
        by_workspace.len() >= 4,
        "3 leaves and the root: {by_workspace:?}"
    );
    assert!(
        run.0.cache_read_tokens > 0 && run.0.cache_write_tokens > 0,
        "the server reports cache usage"
    );

    let rows = table(report);
    let cells = |ws: &str, agent: &str| -> Vec<String> {
        rows.get(&(ws.to_string(), agent.to_string()))
            .unwrap_or_else(|| panic!("no row for {ws}/{agent} in\n{report}"))[3..9]
            .to_vec()
    };
    for ((ws, agent), (u, calls)) in &by_agent {
        assert_eq!(cells(ws, agent), figures(u, *calls), "{ws}/{agent}");
    }
    for (ws, (u, calls)) in &by_workspace {
        assert_eq!(cells(ws, ""), figures(u, *calls), "{ws}");
        let row = &rows[&(ws.clone(), String::new())];
        assert_eq!(row[1], "done");
        let wall: f64 = row[9].parse().expect("wall seconds");
        assert!(wall > 0.0 || row[3] == "0", "{ws}: wall {wall}");
    }
    assert_eq!(cells("planner", ""), figures(&planner.0, planner.1));
    assert_eq!(cells("**run total**", ""), figures(&run.0, run.1));

    // The events say the same: the per-call cost is the table's arithmetic.
    let mut event_cost = 0.0;
    for e in &events {
        if let Event::UsageUpdated { call, cost_usd, .. } = e {
            assert!(
                (cost_usd - cost(call)).abs() < 1e-12,
                "{call:?}: {cost_usd}"
            );
            event_cost += cost_usd;
        }
    }
    assert!((event_cost - cost(&run.0)).abs() < 1e-9);
}

#[test]
fn a_headless_run_prints_the_summary_table_with_the_run_totals() {
    let home = tempfile::tempdir().unwrap();
    let session = home.path().join("session");
    let out = support::huddle_command(home.path())
        .args([
            "run",
            TASK,
            "--headless",
            "--sim-speed",
            "0",
            "--session-dir",
        ])
        .arg(&session)
        .output()
        .expect("huddle runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = huddle::session::load(&session).expect("events").events;
    let Some(Event::RunDone { totals, .. }) = events.last().map(|r| &r.event) else {
        panic!("no RunDone");
    };
    let rows = table(&stdout);
    let total = &rows[&("**run total**".to_string(), String::new())];
    assert_eq!(total[3], totals.calls.to_string(), "{stdout}");
    assert_eq!(total[4], totals.usage.input_tokens.to_string());
    assert_eq!(total[5], totals.usage.output_tokens.to_string());
    assert_eq!(total[6], totals.usage.cache_write_tokens.to_string());
    assert_eq!(total[7], totals.usage.cache_read_tokens.to_string());
    // Every agent that spoke has a row under its workspace.
    for r in &events {
        if let Event::UsageUpdated {
            workspace: Some(ws),
            agent: Some(agent),
            ..
        } = &r.event
        {
            assert!(
                rows.contains_key(&(ws.clone(), agent.clone())),
                "{ws}/{agent}"
            );
        }
    }
}
