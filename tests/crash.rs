//! Crash safety with the real binary: `kill -9` in the middle of a run, a torn last line in
//! events.jsonl, then `huddle resume` finishes the run with the report an uninterrupted run of the
//! same seed writes, and `huddle replay` shows the recording again.

mod support;

use support::text;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";

fn huddle(home: &Path, args: &[&str]) -> Command {
    let mut cmd = support::huddle_command(home);
    cmd.args(args).env("HUDDLE_SEED", "11");
    cmd
}

fn output(mut cmd: Command) -> Output {
    cmd.output().expect("huddle runs")
}

/// Every posted message per workspace as (seq, from, to, content).
fn messages(events: &[Value]) -> BTreeMap<String, Vec<(u64, String, String, String)>> {
    let mut out: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for e in events.iter().filter(|e| e["type"] == "MessagePosted") {
        let m = &e["message"];
        out.entry(m["workspace"].as_str().unwrap().to_string())
            .or_default()
            .push((
                m["seq"].as_u64().unwrap(),
                m["from"].to_string(),
                m["to"].to_string(),
                m["content"].to_string(),
            ));
    }
    out
}

fn deliverable(report: &str) -> String {
    report
        .split("\n## Usage")
        .next()
        .unwrap_or(report)
        .to_string()
}

fn wait_for_messages(session: &Path, child: &mut Child, n: usize) {
    for _ in 0..600 {
        std::thread::sleep(Duration::from_millis(100));
        let count = std::fs::read_to_string(session.join("events.jsonl"))
            .map(|t| t.matches("\"MessagePosted\"").count())
            .unwrap_or(0);
        if count >= n {
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be interrupted"
        );
    }
    panic!("the run never posted {n} messages");
}

#[test]
fn kill_9_then_resume_finishes_with_the_uninterrupted_report_and_replay_shows_it() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();

    // The uninterrupted run, instantly paced.
    let whole = home.join("whole");
    let out = output(huddle(
        home,
        &[
            "run",
            TASK,
            "--headless",
            "--sim-speed",
            "0",
            "--session-dir",
            whole.to_str().unwrap(),
        ],
    ));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let whole_report = std::fs::read_to_string(whole.join("report.md")).unwrap();

    // The same run at a realistic pace, killed with SIGKILL while agents talk.
    let cut = home.join("cut");
    let mut child = huddle(
        home,
        &[
            "run",
            TASK,
            "--headless",
            "--sim-speed",
            "2",
            "--session-dir",
            cut.to_str().unwrap(),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    wait_for_messages(&cut, &mut child, 6);
    child.kill().unwrap();
    child.wait().unwrap();
    let before = support::recorded_events(&cut);
    assert!(
        !before.iter().any(|e| e["type"] == "RunDone"),
        "killed before the end"
    );
    // A crash in the middle of a write leaves a torn line.
    let path = cut.join("events.jsonl");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"ts":1,"type":"TokenDelta","workspace":"ven"#);
    std::fs::write(&path, bytes).unwrap();
    assert!(!cut.join("report.md").exists());

    let out = output(huddle(
        home,
        &["resume", cut.to_str().unwrap(), "--headless"],
    ));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("cut short by the interruption"), "{stderr}");
    assert!(stderr.contains("▸ resumed:"), "{stderr}");

    // The report equals the uninterrupted run's (usage apart: the interrupted call is paid
    // twice and the prompt cache starts cold).
    let resumed_report = std::fs::read_to_string(cut.join("report.md")).unwrap();
    assert_eq!(deliverable(&resumed_report), deliverable(&whole_report));
    // One session file for the whole run: every message once, in order, as uninterrupted.
    let after = support::recorded_events(&cut);
    assert_eq!(
        messages(&after),
        messages(&support::recorded_events(&whole))
    );
    assert_eq!(after.iter().filter(|e| e["type"] == "RunDone").count(), 1);
    assert_eq!(
        after.iter().filter(|e| e["type"] == "RunResumed").count(),
        1
    );
    // Turns that finished before the kill are not taken again.
    let turns = |evs: &[Value]| evs.iter().filter(|e| e["type"] == "TurnStarted").count();
    assert!(
        turns(&after) <= turns(&support::recorded_events(&whole)) + 3,
        "at most the turns in flight again"
    );

    // An ended run is not resumed; it is replayed.
    let out = output(huddle(
        home,
        &["resume", cut.to_str().unwrap(), "--headless"],
    ));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("huddle replay"),
        "{}",
        text(&out.stderr)
    );
    let out = output(huddle(
        home,
        &[
            "replay",
            cut.to_str().unwrap(),
            "--headless",
            "--speed",
            "0",
        ],
    ));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("▸ resumed:"));
    assert_eq!(text(&out.stdout).trim(), resumed_report.trim());
}

#[test]
fn resume_and_replay_refuse_what_is_not_a_session() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    for args in [
        vec!["resume", "nowhere", "--headless"],
        vec!["replay", "nowhere", "--headless"],
    ] {
        let out = output(huddle(home, &args));
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("nowhere"), "{stderr}");
    }
}
