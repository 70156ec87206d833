//! Budgets with the real binary: a headless run stops at its budget, resumable, and says how to
//! go on; `huddle resume` with a higher budget finishes it; bad budget values are refused.

mod support;

use support::text;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";

fn huddle(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = support::huddle_command(home);
    cmd.args(args).args(["--sim-speed", "0"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("huddle runs")
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

/// Tokens of every kind of every call recorded.
fn tokens(events: &[Value]) -> u64 {
    of_type(events, "UsageUpdated")
        .iter()
        .map(|e| {
            let c = &e["call"];
            [
                "input_tokens",
                "output_tokens",
                "cache_write_tokens",
                "cache_read_tokens",
            ]
            .iter()
            .map(|k| c[k].as_u64().unwrap())
            .sum::<u64>()
        })
        .sum()
}

#[test]
fn a_headless_run_stops_at_its_budget_and_resumes_with_a_higher_one() {
    let home = tempfile::tempdir().unwrap();
    let session = home.path().join("session");
    let dir = session.to_str().unwrap();
    let out = huddle(
        home.path(),
        &["run", TASK, "--headless", "--session-dir", dir],
        &[("HUDDLE_BUDGET_TOKENS", "6k")],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty(), "no report: the run did not end");
    assert!(stderr.contains("warning: Budget reached: "), "{stderr}");
    let advice = format!("huddle resume {dir} --headless --budget-tokens ");
    assert!(stderr.contains(&advice), "{stderr}");

    // Stopped like an interruption: no RunDone, and everything spent is on record.
    let first = support::recorded_events(&session);
    assert!(of_type(&first, "RunDone").is_empty());
    let reached = of_type(&first, "BudgetReached");
    assert_eq!(reached.len(), 1);
    assert_eq!(reached[0]["limit"], 6000.0);
    let spent = tokens(&first);
    assert!(spent >= 6000, "{spent}");
    assert_eq!(reached[0]["spent"].as_f64(), Some(spent as f64));
    let settings = std::fs::read_to_string(session.join("settings.json")).unwrap();
    assert!(settings.contains("\"budget_tokens\": 6000"), "{settings}");

    // Resumed under the same budget: the spending is restored, so it stops before any call.
    let again = huddle(home.path(), &["resume", dir, "--headless"], &[]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    let second = support::recorded_events(&session);
    assert_eq!(tokens(&second), spent, "no call was made");
    assert_eq!(of_type(&second, "BudgetReached").len(), 2);

    // The higher budget on the command line wins over the recorded one, and the run finishes.
    let done = huddle(
        home.path(),
        &["resume", dir, "--headless", "--budget-tokens", "1m"],
        &[],
    );
    let stderr = text(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{stderr}");
    assert!(text(&done.stdout).contains("Deliverable"), "the report");
    let last = support::recorded_events(&session);
    let run_done = of_type(&last, "RunDone");
    assert_eq!(run_done.len(), 1);
    assert_eq!(run_done[0]["status"]["state"], "done");
    let totals = &run_done[0]["totals"];
    let total: u64 = [
        "input_tokens",
        "output_tokens",
        "cache_write_tokens",
        "cache_read_tokens",
    ]
    .iter()
    .map(|k| totals[k].as_u64().unwrap())
    .sum();
    assert_eq!(total, tokens(&last), "totals carry on across the resumes");
    assert!(total > spent);
    let raised = of_type(&last, "BudgetChanged");
    assert_eq!(raised.last().unwrap()["tokens"], 1_000_000);
}

#[test]
fn bad_budget_values_are_refused_with_exit_2() {
    let home = tempfile::tempdir().unwrap();
    /// Flags, environment, what the error says.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (&["--budget-tokens", "lots"], &[], "200k"),
        (&["--budget-tokens", "0"], &[], "at least 1"),
        (&["--budget-usd=-1"], &[], "more than 0"),
        (&["--budget-usd", "two"], &[], "$2.50"),
        (&[], &[("HUDDLE_BUDGET_USD", "free")], "$2.50"),
    ];
    for (flags, env, expected) in cases {
        let mut args = vec!["run", TASK, "--headless"];
        args.extend_from_slice(flags);
        let out = huddle(home.path(), &args, env);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(expected), "{flags:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    assert!(!home.path().join("data/huddle/sessions").exists());
}

#[test]
fn replies_of_calls_in_flight_at_a_budget_stop_are_recorded() {
    // At a realistic pace the three leaves have calls in flight when one of them reaches the
    // budget; those calls finish, are paid for, and what they post must reach the session.
    let home = tempfile::tempdir().unwrap();
    let session = home.path().join("session");
    let out = support::huddle_command(home.path())
        .args([
            "run",
            TASK,
            "--headless",
            "--sim-speed",
            "8",
            "--session-dir",
        ])
        .arg(&session)
        .env("HUDDLE_BUDGET_TOKENS", "6k")
        .output()
        .expect("huddle runs");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let events = support::recorded_events(&session);
    assert!(!of_type(&events, "BudgetReached").is_empty());
    // Every turn call of a leaf that was paid for posted its message.
    let leaves: Vec<&str> = of_type(&events, "WorkspaceStarted")
        .iter()
        .filter(|e| e["leaf"] == true)
        .filter_map(|e| e["workspace"].as_str())
        .collect();
    for ws in leaves {
        let calls = of_type(&events, "UsageUpdated")
            .iter()
            .filter(|e| e["workspace"] == ws && e["agent"].is_string())
            .count();
        let posted = of_type(&events, "MessagePosted")
            .iter()
            .filter(|e| e["message"]["workspace"] == ws && e["message"]["from"] != "USER")
            .count();
        assert_eq!(calls, posted, "{ws}: every paid reply is in the session");
    }
}
