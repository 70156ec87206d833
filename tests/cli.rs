//! The real binary, run as a person would from a shell.

mod support;

use support::text;

use std::path::Path;
use std::process::{Command, Output};

const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";

/// `huddle` with a clean environment (see `support::huddle_command`), run to its end.
fn huddle(home: &Path, args: &[&str]) -> Output {
    support::huddle_command(home)
        .args(args)
        .output()
        .expect("huddle runs")
}

/// Bad input: exit code 2, exactly one `huddle: …` line on stderr containing `expected`,
/// nothing on stdout.
fn assert_bad_input(home: &Path, args: &[&str], expected: &str) {
    let out = huddle(home, args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "{args:?}: one line, got {stderr}"
    );
    assert!(
        stderr.starts_with("huddle: ") && stderr.contains(expected),
        "{args:?}: {stderr}"
    );
    assert!(out.stdout.is_empty(), "{args:?}");
}

#[test]
fn headless_run_with_the_simulation_finishes_and_writes_the_session() {
    let home = tempfile::tempdir().unwrap();
    let session = home.path().join("session");
    let out = huddle(
        home.path(),
        &[
            "run",
            TASK,
            "--headless",
            "--sim-speed",
            "0",
            "--session-dir",
            session.to_str().unwrap(),
        ],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(
        stderr.contains("offline simulation"),
        "the simulation says so:\n{stderr}"
    );
    assert!(stderr.contains("▸ run done"), "{stderr}");
    assert!(
        stderr.contains(" → USER"),
        "who speaks to whom is shown:\n{stderr}"
    );
    // Colour only on a terminal.
    assert!(
        !stderr.contains('\u{1b}'),
        "no escape sequences when not on a terminal"
    );

    let report = std::fs::read_to_string(session.join("report.md")).unwrap();
    assert_eq!(stdout.trim(), report.trim(), "the report goes to stdout");
    assert!(report.contains("## Deliverable") && report.contains("## Usage"));

    let events = std::fs::read_to_string(session.join("events.jsonl")).unwrap();
    let parsed: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect();
    assert_eq!(parsed.first().unwrap()["type"], "RunStarted");
    assert_eq!(parsed.last().unwrap()["type"], "RunDone");
    let done = parsed
        .iter()
        .filter(|e| e["type"] == "WorkspaceDone" && e["status"]["state"] == "done")
        .count();
    assert!(done >= 4, "3+ leaf workspaces and the root");
    let plan: huddle::engine::plan::Plan =
        serde_json::from_str(&std::fs::read_to_string(session.join("plan.json")).unwrap()).unwrap();
    assert!(plan.children.len() >= 3);
}

#[test]
fn json_mode_prints_every_event_as_one_line() {
    let home = tempfile::tempdir().unwrap();
    let out = huddle(
        home.path(),
        &[
            "run",
            "Plan a product launch",
            "--headless",
            "--json",
            "--sim-speed",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "RunStarted");
    assert_eq!(lines[0]["team"], "launch", "the preset matching the task");
    assert_eq!(lines.last().unwrap()["type"], "RunDone");
    assert!(lines.iter().any(|l| l["type"] == "TokenDelta"));
    // The default session directory was used.
    let sessions = std::fs::read_dir(home.path().join("data/huddle/sessions"))
        .unwrap()
        .count();
    assert_eq!(sessions, 1);
}

#[test]
fn bad_input_is_one_clear_line_exit_2_and_nothing_written() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("broken.toml"),
        "name = \"x\"\n[[agents]]\nname = \"a\"\nteam = = \"t\"\n",
    )
    .unwrap();
    std::fs::write(home.path().join("a-file"), "").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["run", "  ", "--headless"], "the task is empty"),
        (
            &["run", TASK, "--headless", "--team", "broken.toml"],
            "broken.toml:4:",
        ),
        (
            &["run", TASK, "--headless", "--team", "nope"],
            "unknown team preset 'nope'",
        ),
        (
            &["run", TASK, "--headless", "--provider", "gemini"],
            "unknown provider 'gemini'",
        ),
        (
            &["run", TASK, "--headless", "--provider", "anthropic"],
            "ANTHROPIC_API_KEY",
        ),
        (
            &["run", TASK, "--headless", "--session-dir", "a-file/s"],
            "cannot create session directory",
        ),
    ];
    for (args, expected) in cases {
        assert_bad_input(home.path(), args, expected);
    }
    assert!(
        !home.path().join("data/huddle/sessions").exists(),
        "no session was started"
    );
}

#[test]
fn teams_lists_the_presets() {
    let home = tempfile::tempdir().unwrap();
    let out = huddle(home.path(), &["teams"]);
    let stdout = text(&out.stdout);
    for name in ["conference", "launch", "content", "festival"] {
        assert!(
            stdout.lines().any(|l| l.starts_with(name)),
            "{name} missing:\n{stdout}"
        );
    }
    assert!(stdout.contains("venue_coordinator@venue_team"));
}

#[test]
fn ctrl_c_cancels_the_run_and_the_session_records_it() {
    let home = tempfile::tempdir().unwrap();
    let session = home.path().join("session");
    let child = Command::new(env!("CARGO_BIN_EXE_huddle"))
        .args([
            "run",
            TASK,
            "--headless",
            "--session-dir",
            session.to_str().unwrap(),
        ])
        .current_dir(home.path())
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Realistic pacing: wait until agents are talking, then interrupt.
    let events = session.join("events.jsonl");
    let started = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::fs::read_to_string(&events).is_ok_and(|t| t.contains("\"TurnStarted\""))
    });
    assert!(started, "the run never got going");
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a cancelled run exits 1:\n{stderr}"
    );
    assert!(stderr.contains("interrupt: cancelling the run"), "{stderr}");
    let lines = std::fs::read_to_string(&events).unwrap();
    let last: serde_json::Value = serde_json::from_str(lines.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "RunDone");
    assert_eq!(last["status"]["state"], "cancelled");
    assert!(
        session.join("report.md").exists(),
        "a cancelled run still leaves its report"
    );
}

#[test]
fn bad_team_files_are_one_clear_line_exit_2_and_nothing_written() {
    let home = tempfile::tempdir().unwrap();
    let agent = |name: &str| {
        format!("\n[[agents]]\nname = \"{name}\"\nteam = \"t\"\ndescription = \"d\"\n")
    };
    let files = [
        (
            "dup.toml",
            format!("name = \"x\"\n{}{}", agent("a"), agent("a")),
        ),
        (
            "case.toml",
            format!("name = \"x\"\n{}{}", agent("Ann"), agent("ann")),
        ),
        (
            "reserved.toml",
            format!("name = \"x\"\n{}{}", agent("a"), agent("user")),
        ),
        ("one.toml", format!("name = \"solo\"\n{}", agent("a"))),
    ];
    for (name, text) in &files {
        std::fs::write(home.path().join(name), text).unwrap();
    }
    let session = home.path().join("session");
    let cases: &[(&str, &str)] = &[
        (
            "missing.toml",
            "missing.toml: cannot read team file: No such file",
        ),
        (
            "dup.toml",
            "dup.toml:9:8: duplicate agent name 'a': names are unique in a roster",
        ),
        (
            "case.toml",
            "case.toml:9:8: duplicate agent name 'ann' (same as 'Ann' ignoring case)",
        ),
        (
            "reserved.toml",
            "reserved.toml:9:8: 'user' is reserved for addressing",
        ),
        (
            "one.toml",
            "one.toml:3:1: a team needs at least 2 agents, this one has 1",
        ),
    ];
    for (team, expected) in cases {
        let args = [
            "run",
            TASK,
            "--headless",
            "--team",
            team,
            "--session-dir",
            session.to_str().unwrap(),
        ];
        assert_bad_input(home.path(), &args, expected);
        assert!(
            !session.exists(),
            "{team}: the session directory was created"
        );
    }
    assert!(
        !home.path().join("data").exists(),
        "nothing was written to the data directory"
    );
}

#[test]
fn other_bad_input_leaves_the_given_session_directory_unmade() {
    let home = tempfile::tempdir().unwrap();
    let session = home.path().join("session");
    let dir = session.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["run", "", "--headless", "--session-dir", dir],
            "the task is empty",
        ),
        (
            &[
                "run",
                TASK,
                "--headless",
                "--provider",
                "gemini",
                "--session-dir",
                dir,
            ],
            "unknown provider 'gemini'",
        ),
        (
            &[
                "run",
                TASK,
                "--headless",
                "--provider",
                "anthropic",
                "--session-dir",
                dir,
            ],
            "ANTHROPIC_API_KEY",
        ),
    ];
    for (args, expected) in cases {
        assert_bad_input(home.path(), args, expected);
        assert!(
            !session.exists(),
            "{args:?}: the session directory was created"
        );
    }
    assert!(
        !home.path().join("data").exists(),
        "nothing was written to the data directory"
    );
}

#[test]
fn a_broken_pricing_file_is_bad_input_naming_file_line_and_column() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config").join("huddle");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("pricing.toml"),
        "[models.\"my-model\"]\ninput = 1.0\noutput = \"two\"\n",
    )
    .unwrap();
    assert_bad_input(
        home.path(),
        &["run", TASK, "--headless", "--sim-speed", "0"],
        "pricing.toml:3:10",
    );
}
