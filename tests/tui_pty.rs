//! End to end: the real `huddle` binary in a pseudo-terminal with the offline simulation, driven
//! like a person would (type a task, approve the plan, select and pause a workspace, quit), read
//! through a vt100 parser; then the terminal must be restored and the session on disk must tell
//! the same story (SPEC §6-7).
#![cfg(unix)]

#[path = "support/pty.rs"]
mod pty;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pty::Pty;
use serde_json::Value;

const COLS: u16 = 100;
const ROWS: u16 = 30;
/// The tree's width at 100 columns (3/10 of the width, see the layout).
const TREE_WIDTH: u16 = 30;
/// The row of the header line over the log (under the top bar and the tabs).
const HEADER_ROW: usize = 2;
const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";
const LEAVES: [&str; 3] = ["venue", "content", "marketing"];

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The tree's row of workspace `name` (its name is a whole word on the row and it shows a turn
/// counter; agent rows such as `venue_coordinator` do not match).
fn tree_row(t: &Pty, name: &str) -> Option<String> {
    t.columns(0, TREE_WIDTH).into_iter().skip(2).find(|row| {
        let words: Vec<&str> = row.split_whitespace().collect();
        words.contains(&name) && words.iter().any(|w| turns_of(w).is_some())
    })
}

/// `t` of a `t/max` counter.
fn turns_of(word: &str) -> Option<u32> {
    let (t, max) = word.split_once('/')?;
    max.parse::<u32>().ok()?;
    t.parse().ok()
}

/// The turn count on the tree row of workspace `name`.
fn tree_turns(t: &Pty, name: &str) -> Option<u32> {
    tree_row(t, name)?.split_whitespace().find_map(turns_of)
}

/// The header line over the log.
fn header(t: &Pty) -> String {
    t.columns(TREE_WIDTH, COLS - TREE_WIDTH)
        .get(HEADER_ROW)
        .cloned()
        .unwrap_or_default()
}

fn top_bar(t: &Pty) -> String {
    t.rows().first().cloned().unwrap_or_default()
}

fn find(haystack: &[u8], needle: &str) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|w| w == needle.as_bytes())
}

/// After the binary exited: every terminal mode the dashboard turned on is off again, the
/// sequences that turn them off were written after the ones that turned them on, and the pty's
/// line discipline is back in cooked mode.
fn assert_restored(t: &Pty) {
    let raw = t.raw();
    let tail = t.raw_tail();
    {
        let parser = t.parser();
        let screen = parser.screen();
        assert!(
            !screen.alternate_screen(),
            "still in the alternate screen; output tail: {tail}"
        );
        assert!(
            !screen.hide_cursor(),
            "the cursor is still hidden; output tail: {tail}"
        );
        assert_eq!(
            screen.mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "mouse capture is still on; output tail: {tail}"
        );
        assert!(
            !screen.bracketed_paste(),
            "bracketed paste is still on; output tail: {tail}"
        );
    }
    // Each mode was turned on, and turned off after it was last turned on.
    for (what, on, off) in [
        ("the alternate screen", "\x1b[?1049h", "\x1b[?1049l"),
        (
            "mouse capture (normal tracking)",
            "\x1b[?1000h",
            "\x1b[?1000l",
        ),
        ("mouse capture (any motion)", "\x1b[?1003h", "\x1b[?1003l"),
        ("mouse capture (SGR encoding)", "\x1b[?1006h", "\x1b[?1006l"),
        ("bracketed paste", "\x1b[?2004h", "\x1b[?2004l"),
        ("the hidden cursor", "\x1b[?25l", "\x1b[?25h"),
    ] {
        let on_at = find(&raw, on).unwrap_or_else(|| panic!("{what} was never turned on"));
        let off_at = find(&raw, off)
            .unwrap_or_else(|| panic!("{what} was never turned off; output tail: {tail}"));
        assert!(
            off_at > on_at,
            "{what} was turned on again after it was turned off; output tail: {tail}"
        );
    }
    let flags = t.local_flags();
    for flag in ["ICANON", "ECHO"] {
        assert!(
            flags.contains(&flag),
            "the pty is not back in cooked mode: {flag} is off (local flags: {flags:?})"
        );
    }
}

/// The directory of the `session: <dir>` line printed after the terminal was restored.
fn session_dir(t: &Pty) -> PathBuf {
    let raw = t.raw();
    let after = find(&raw, "\x1b[?1049l").map_or(0, |i| i + 1);
    let text = String::from_utf8_lossy(&raw[after..]).to_string();
    let line = text
        .lines()
        .find_map(|l| l.split_once("session: ").map(|(_, dir)| dir))
        .unwrap_or_else(|| {
            panic!(
                "no `session: <dir>` line after the dashboard closed; output tail: {}",
                t.raw_tail()
            )
        });
    PathBuf::from(line.trim())
}

#[test]
fn a_person_plans_approves_pauses_a_workspace_and_quits() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut t = Pty::spawn(COLS, ROWS, home.path(), &[]);

    // 1. The welcome screen says this is the offline simulation.
    t.wait_for(
        |s| s.contains("Welcome to huddle") && s.contains("offline simulation"),
        secs(30),
        "the welcome screen of the offline simulation",
    );

    // 2. Type the task and send it to the planner.
    t.type_text(TASK);
    t.wait_for(
        |s| s.contains("Organize a world-class tech"),
        secs(15),
        "the typed task in the input box",
    );
    t.send("\r");

    // 3. Plan review: the tree shows the planned workspaces before anything runs.
    t.wait_for(
        |s| s.contains("Review: Enter approves"),
        secs(60),
        "plan review (\"Review: Enter approves\")",
    );
    t.wait_until(
        |t| LEAVES.iter().all(|w| tree_row(t, w).is_some()),
        secs(10),
        "the planned workspaces venue, content and marketing in the tree",
    );
    t.send("\r");

    // 4. The run starts; select the root, then the first leaf, venue.
    t.wait_until(
        |t| top_bar(t).contains("running"),
        secs(30),
        "\"running\" in the top bar after approving the plan",
    );
    t.send("j");
    t.wait_until(
        |t| header(t).contains("Organize a world-class tech"),
        secs(15),
        "the root workspace in the header after the first j",
    );
    t.send("j");
    t.wait_until(
        |t| {
            let h = header(t).to_lowercase();
            h.contains("venue") && h.contains("turn ") && t.screen().contains("Message to venue")
        },
        secs(15),
        "the venue workspace in the header (and the input box addressing venue) after the second j",
    );

    // Pause it.
    t.send(" ");
    t.wait_until(
        |t| header(t).contains("paused") && tree_row(t, "venue").is_some_and(|r| r.contains('‖')),
        secs(15),
        "venue paused: \"paused\" in the header and ‖ on its tree row",
    );
    let paused_turns = tree_turns(&t, "venue").expect("venue's turn counter");
    let others = |t: &Pty| -> Vec<Option<String>> {
        LEAVES[1..]
            .iter()
            .map(|w| tree_row(t, w).map(|r| r.trim().to_string()))
            .collect()
    };
    let before = others(&t);
    let paused_at = Instant::now();
    // For at least 1.5 s, and until the other leaves have visibly moved on (or all finished),
    // venue's turn counter stands still and it stays paused.
    t.wait_until(
        |t| {
            let turns = tree_turns(t, "venue");
            assert_eq!(
                turns,
                Some(paused_turns),
                "venue's turn count changed while it was paused\nscreen:\n{}",
                t.dump()
            );
            assert!(
                header(t).contains("paused"),
                "venue stopped being paused\nscreen:\n{}",
                t.dump()
            );
            let now = others(t);
            let moved = now != before;
            let finished = now
                .iter()
                .all(|r| r.as_deref().is_some_and(|r| r.contains('✓')));
            paused_at.elapsed() >= Duration::from_millis(1500) && (moved || finished)
        },
        secs(30),
        "the other leaves (content, marketing) to keep going while venue is paused",
    );

    // 5. Quit: it asks, since the run is going.
    t.send("q");
    t.wait_for(|s| s.contains("Quit?"), secs(15), "the \"Quit?\" question");
    t.send("y");
    let status = t.wait_exit(secs(10));
    assert!(
        status.success(),
        "huddle exited with {status:?}\nscreen:\n{}\noutput tail: {}",
        t.dump(),
        t.raw_tail()
    );

    // 6. The terminal is as it was.
    assert_restored(&t);

    // 7. The session records the pause and the end of the (cancelled) run.
    let dir = session_dir(&t);
    assert!(
        dir.starts_with(home.path()),
        "the session {} is not under the test's XDG_DATA_HOME {}",
        dir.display(),
        home.path().display()
    );
    let text = std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap_or_else(|e| panic!("reading {}/events.jsonl: {e}", dir.display()));
    let events: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect();
    let paused = events.iter().any(|e| {
        e["type"] == "StatusChanged"
            && e["target"]["scope"] == "workspace"
            && e["target"]["workspace"] == "venue"
            && e["status"]["state"] == "paused"
    });
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert!(
        paused,
        "no StatusChanged event pausing workspace venue in events.jsonl; event types: {types:?}"
    );
    assert!(
        types.contains(&"RunDone"),
        "no RunDone event in events.jsonl (quitting should let the cancelled run finish writing); \
         event types: {types:?}"
    );
}

#[test]
fn a_small_terminal_asks_for_more_room_and_ctrl_c_quits() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut t = Pty::spawn(50, 12, home.path(), &[]);
    t.wait_for(
        |s| s.contains("huddle needs a bigger terminal") && s.contains("at least 60x16"),
        secs(30),
        "the notice that the terminal is too small",
    );
    t.send("\x03");
    let status = t.wait_exit(secs(10));
    assert!(
        status.success(),
        "huddle exited with {status:?} after Ctrl-C\nscreen:\n{}\noutput tail: {}",
        t.dump(),
        t.raw_tail()
    );
    assert_restored(&t);
}
