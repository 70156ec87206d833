//! Reading a session back: the recorded events of `events.jsonl`, tolerating a torn last line
//! (what a crash in the middle of a write leaves), and the settings the run started with.

use std::fs;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::SessionError;
use crate::engine::Event;

/// One recorded event and when it was written (milliseconds since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Recorded {
    pub ts: u64,
    #[serde(flatten)]
    pub event: Event,
}

/// Longest pause between two replayed events: a run that sat paused for an hour replays on.
pub const REPLAY_MAX_GAP: Duration = Duration::from_secs(2);

/// How long a replay waits between events recorded at `from_ts` and `to_ts` (milliseconds), at
/// `speed` times the recorded pace (more than 0).
pub fn replay_delay(from_ts: u64, to_ts: u64, speed: f64) -> Duration {
    let gap = to_ts.saturating_sub(from_ts) as f64 / speed;
    Duration::from_millis(gap as u64).min(REPLAY_MAX_GAP)
}

/// A session's events as read from disk.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub events: Vec<Recorded>,
    /// Bytes of `events.jsonl` that hold whole events; anything after is a torn line.
    pub valid_len: u64,
    /// Bytes of a torn last line that were left out (0 when the file ended cleanly).
    pub torn: usize,
}

impl Loaded {
    /// The events without their times.
    pub fn events(&self) -> Vec<Event> {
        self.events.iter().map(|r| r.event.clone()).collect()
    }

    /// Whether the run had ended (its `RunDone` was recorded).
    pub fn ended(&self) -> bool {
        self.events
            .iter()
            .any(|r| matches!(r.event, Event::RunDone { .. }))
    }
}

/// Reads `events.jsonl` of a session directory. A last line without its newline is a write the
/// crash cut short: it is left out (and `torn` says how much). Any other line that is not an
/// event is an error naming the line.
pub fn load(dir: &Path) -> Result<Loaded, SessionError> {
    let path = dir.join("events.jsonl");
    let bytes = fs::read(&path).map_err(|source| SessionError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let mut events = Vec::new();
    let mut start = 0;
    let mut line_no = 0;
    while let Some(end) = bytes[start..].iter().position(|&b| b == b'\n') {
        line_no += 1;
        let line = &bytes[start..start + end];
        if !line.iter().all(u8::is_ascii_whitespace) {
            let recorded: Recorded =
                serde_json::from_slice(line).map_err(|e| SessionError::Corrupt {
                    path: path.display().to_string(),
                    line: line_no,
                    problem: e.to_string(),
                })?;
            events.push(recorded);
        }
        start += end + 1;
    }
    Ok(Loaded {
        events,
        valid_len: start as u64,
        torn: bytes.len() - start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Event;
    use crate::session::SessionWriter;

    #[test]
    fn a_torn_last_line_is_left_out_and_appending_starts_after_the_last_whole_event() {
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("s");
        let mut w = SessionWriter::create(&session).unwrap();
        w.record(&Event::PlanApproved).unwrap();
        w.record(&Event::PlanStarted {
            attempt: 1,
            feedback: None,
        })
        .unwrap();
        drop(w);
        let path = session.join("events.jsonl");
        let mut bytes = fs::read(&path).unwrap();
        let whole = bytes.len();
        bytes.extend_from_slice(br#"{"ts":1,"type":"Warni"#);
        fs::write(&path, &bytes).unwrap();

        let loaded = load(&session).unwrap();
        assert_eq!(loaded.events.len(), 2);
        assert_eq!(loaded.valid_len as usize, whole);
        assert_eq!(loaded.torn, 21);
        assert_eq!(loaded.events[0].event, Event::PlanApproved);

        let mut w = SessionWriter::append(&session).unwrap();
        w.record(&Event::PlanApproved).unwrap();
        drop(w);
        let again = load(&session).unwrap();
        assert_eq!(again.torn, 0);
        assert_eq!(again.events.len(), 3);
    }

    #[test]
    fn a_broken_line_in_the_middle_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("events.jsonl"),
            "{\"ts\":1,\"type\":\"PlanApproved\"}\nnot json\n{\"ts\":2,\"type\":\"PlanApproved\"}\n",
        )
        .unwrap();
        let e = load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        let missing = load(&dir.path().join("nope")).unwrap_err().to_string();
        assert!(missing.contains("events.jsonl"), "{missing}");
    }
}
