use super::*;
use crate::llm::Usage;

fn usage(input: u64, output: u64, write: u64, read: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        cache_write_tokens: write,
        cache_read_tokens: read,
    }
}

fn call(ws: Option<&str>, agent: Option<&str>, u: Usage, cost: f64, ms: u64) -> Event {
    Event::UsageUpdated {
        workspace: ws.map(str::to_string),
        agent: agent.map(str::to_string),
        model: "m".into(),
        call: u,
        cost_usd: cost,
        workspace_totals: None,
        run_totals: Totals::default(),
        elapsed_ms: ms,
    }
}

fn started(ws: &str, members: &[&str]) -> Event {
    Event::WorkspaceStarted {
        workspace: ws.into(),
        title: ws.into(),
        parent: None,
        members: members.iter().map(|m| m.to_string()).collect(),
        leaf: true,
    }
}

fn turn(ws: &str, agent: &str, turn: u32) -> Event {
    Event::TurnStarted {
        workspace: ws.into(),
        agent: agent.into(),
        turn,
    }
}

/// A small run with known usage: the planner, two workspaces of two agents, a retry.
fn run() -> Vec<Event> {
    vec![
        call(None, None, usage(900, 300, 0, 0), 0.0072, 1200),
        started("venue", &["vc", "tech"]),
        started("food", &["chef", "vc"]),
        turn("venue", "vc", 1),
        call(
            Some("venue"),
            Some("vc"),
            usage(100, 50, 1000, 0),
            0.006,
            700,
        ),
        turn("food", "chef", 1),
        call(
            Some("food"),
            Some("chef"),
            usage(120, 40, 800, 0),
            0.005,
            650,
        ),
        turn("venue", "tech", 2),
        Event::RetryScheduled {
            workspace: Some("venue".into()),
            agent: Some("tech".into()),
            attempt: 1,
            delay_ms: 10,
            error: "HTTP 529".into(),
        },
        call(
            Some("venue"),
            Some("tech"),
            usage(80, 60, 200, 1000),
            0.002,
            900,
        ),
        turn("venue", "vc", 3),
        call(
            Some("venue"),
            Some("vc"),
            usage(30, 200, 150, 1100),
            0.004,
            1500,
        ),
        Event::WorkspaceDone {
            workspace: "venue".into(),
            status: Status::Done,
            result: None,
            turns: 3,
            totals: Totals::default(),
            elapsed_ms: 3260,
        },
        call(Some("root"), Some("vc"), usage(500, 400, 0, 0), 0.01, 2000),
    ]
}

#[test]
fn a_turn_taken_again_after_a_resume_counts_once() {
    let mut events = run();
    // Interrupted during venue's turn 3; the resumed run takes it again.
    events.push(turn("venue", "vc", 3));
    let l = Ledger::from_events(&events);
    let venue = l.get("venue").expect("venue");
    assert_eq!(venue.line.turns, 3);
    assert_eq!(venue.agents[0].1.turns, 2);
}

#[test]
fn a_workspace_call_for_no_agent_has_its_own_row() {
    let mut events = run();
    events.push(call(Some("food"), None, usage(40, 20, 0, 0), 0.001, 300));
    let l = Ledger::from_events(&events);
    let food = l.get("food").expect("food");
    let summaries = food
        .agents
        .iter()
        .find(|(n, _)| n == SUMMARIES)
        .expect("row");
    assert_eq!(summaries.1.totals.usage, usage(40, 20, 0, 0));
    let calls: u64 = food.agents.iter().map(|(_, a)| a.totals.calls).sum();
    assert_eq!(calls, food.line.totals.calls);
}

#[test]
fn totals_add_up_per_agent_per_workspace_and_per_run() {
    let l = Ledger::from_events(&run());
    let venue = l.get("venue").expect("venue");
    let vc = &venue.agents[0];
    assert_eq!(vc.0, "vc");
    assert_eq!(vc.1.totals.usage, usage(130, 250, 1150, 1100));
    assert_eq!((vc.1.totals.calls, vc.1.turns, vc.1.wall_ms), (2, 2, 2200));
    assert!((vc.1.totals.cost_usd - 0.010).abs() < 1e-12);
    let tech = &venue.agents[1];
    assert_eq!(tech.1.totals.usage, usage(80, 60, 200, 1000));
    assert_eq!((tech.1.totals.retries, tech.1.turns), (1, 1));
    assert_eq!(venue.line.totals.usage, usage(210, 310, 1350, 2100));
    assert_eq!(venue.line.totals.calls, 3);
    assert_eq!(venue.line.totals.retries, 1);
    assert_eq!((venue.line.turns, venue.line.wall_ms), (3, 3260));
    assert_eq!(venue.status, Some(Status::Done));
    // A member that has not spoken yet is listed with nothing; one agent in two workspaces is
    // counted in each.
    let food = l.get("food").expect("food");
    assert_eq!(food.agents[1].0, "vc");
    assert_eq!(food.agents[1].1, Line::default());
    assert_eq!(food.status, None);
    // The run is the sum of every call, the planner's included.
    assert_eq!(l.planner.totals.usage, usage(900, 300, 0, 0));
    assert_eq!(l.run.totals.usage, usage(1730, 1050, 2150, 2100));
    assert_eq!((l.run.totals.calls, l.run.totals.retries), (6, 1));
    assert!((l.run.totals.cost_usd - 0.0342).abs() < 1e-12);
    let sum: u64 = l.workspaces().iter().map(|w| w.line.totals.calls).sum();
    assert_eq!(sum + l.planner.totals.calls, l.run.totals.calls);
}

#[test]
fn the_table_lists_planner_workspaces_agents_and_total_in_plan_order() {
    let l = Ledger::from_events(&run());
    let plan: Plan = serde_json::from_value(serde_json::json!({
        "id": "root", "title": "Root", "description": "",
        "agents": [], "children": [
            {"id": "food", "title": "F", "description": "", "agents": ["chef", "vc"], "children": []},
            {"id": "venue", "title": "V", "description": "", "agents": ["vc", "tech"], "children": []}
        ]
    }))
    .expect("plan");
    let t = l.table(Some(&plan));
    let rows: Vec<Vec<&str>> = t
        .lines()
        .map(|r| r.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    assert!(
        rows[1]
            .iter()
            .all(|c| c.trim_end_matches(':').chars().all(|ch| ch == '-'))
    );
    let names: Vec<&str> = rows.iter().map(|r| r[0]).skip(2).collect();
    // Children before the workspace that aggregates them, as the run goes.
    assert_eq!(
        names,
        [
            "planner",
            "food",
            "↳ chef",
            "↳ vc",
            "venue",
            "↳ vc",
            "↳ tech",
            "root",
            "↳ vc",
            "**run total**"
        ],
        "{t}"
    );
    let venue = &rows[6];
    assert_eq!(
        venue[1..],
        [
            "done", "3", "3", "210", "310", "1350", "2100", "0.0120", "3.3"
        ],
        "{t}"
    );
    assert_eq!(
        rows[7][1..],
        ["", "2", "2", "130", "250", "1150", "1100", "0.0100", "2.2"]
    );
    assert_eq!(rows[3][1], "running");
    let total = rows.last().expect("total");
    assert_eq!(total[3..9], ["6", "1730", "1050", "2150", "2100", "0.0342"]);
    // Aligned: every row has the same width in characters.
    let widths: Vec<usize> = t.lines().map(|l| l.chars().count()).collect();
    assert!(widths.iter().all(|w| *w == widths[0]), "{t}");
}

#[test]
fn a_ledger_survives_the_events_file() {
    // Recorded events read back (as resume and replay do) give the same ledger.
    let lines: Vec<String> = run()
        .iter()
        .map(|e| serde_json::to_string(e).expect("json"))
        .collect();
    let back: Vec<Event> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("event"))
        .collect();
    assert_eq!(Ledger::from_events(&back), Ledger::from_events(&run()));
    // Sessions written before elapsed_ms existed still load, with no wall time.
    let old = r#"{"type":"WorkspaceDone","workspace":"w","status":{"state":"done"},"result":null,"turns":1,"totals":{"input_tokens":0,"output_tokens":0,"cache_write_tokens":0,"cache_read_tokens":0,"cost_usd":0.0,"calls":0,"retries":0}}"#;
    let e: Event = serde_json::from_str(old).expect("old event");
    assert_eq!(
        Ledger::from_events([&e]).get("w").map(|w| w.line.wall_ms),
        Some(0)
    );
}
