//! The session directory: `events.jsonl` (every event, appended and flushed as it happens: the
//! single source of truth), `plan.json` and `report.md`.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::engine::Event;
use crate::engine::plan::slug;

mod history;
pub use history::{Loaded, REPLAY_MAX_GAP, Recorded, load, replay_delay};

/// Why the session directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("cannot create session directory {path}: {source}")]
    Create {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} already holds a session; choose another --session-dir")]
    Exists { path: String },
    #[error("no data directory: set XDG_DATA_HOME or HOME, or pass --session-dir")]
    NoDataDir,
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} line {line} is not an event ({problem})")]
    Corrupt {
        path: String,
        line: usize,
        problem: String,
    },
}

/// The default parent of session directories: `$XDG_DATA_HOME/huddle/sessions`.
pub fn default_root() -> Result<PathBuf, SessionError> {
    dirs::data_dir()
        .map(|d| d.join("huddle").join("sessions"))
        .ok_or(SessionError::NoDataDir)
}

/// A new session directory under `root`: `<timestamp>-<slug>`, with `-2`, `-3`, ... when a
/// session started in the same second.
pub fn new_dir(root: &Path, task: &str) -> PathBuf {
    let base = dir_name(task);
    let mut dir = root.join(&base);
    let mut n = 2;
    while dir.exists() {
        dir = root.join(format!("{base}-{n}"));
        n += 1;
    }
    dir
}

/// The local time zone, read while the process is single-threaded: later, the `time` crate
/// refuses to read it (it cannot do so soundly once threads run) and names would fall back to UTC.
static LOCAL_OFFSET: std::sync::OnceLock<time::UtcOffset> = std::sync::OnceLock::new();

/// Reads the local time zone for session names; call first thing in `main`.
pub fn init_local_time() {
    local_offset();
}

fn local_offset() -> time::UtcOffset {
    *LOCAL_OFFSET
        .get_or_init(|| time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC))
}

/// `<timestamp>-<slug>` for a new session.
pub fn dir_name(task: &str) -> String {
    let now = time::OffsetDateTime::now_utc().to_offset(local_offset());
    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_default();
    let s = slug(task);
    if s.is_empty() {
        stamp
    } else {
        format!("{stamp}-{s}")
    }
}

/// One line of `events.jsonl`: the event with the time it was recorded.
#[derive(Serialize)]
struct Line<'a> {
    /// Milliseconds since the Unix epoch.
    ts: u64,
    #[serde(flatten)]
    event: &'a Event,
}

/// Writes a session as its events arrive.
#[derive(Debug)]
pub struct SessionWriter {
    dir: PathBuf,
    events: BufWriter<File>,
}

impl SessionWriter {
    /// Creates the directory (and parents) and a new `events.jsonl`. Fails before anything runs if
    /// the place is not writable, or if it already holds a session: two runs never share one
    /// events file.
    pub fn create(dir: &Path) -> Result<Self, SessionError> {
        let create_err = |source| SessionError::Create {
            path: dir.display().to_string(),
            source,
        };
        fs::create_dir_all(dir).map_err(create_err)?;
        let path = dir.join("events.jsonl");
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| {
                if source.kind() == std::io::ErrorKind::AlreadyExists {
                    SessionError::Exists {
                        path: dir.display().to_string(),
                    }
                } else {
                    SessionError::Write {
                        path: path.display().to_string(),
                        source,
                    }
                }
            })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            events: BufWriter::new(file),
        })
    }

    /// Opens an existing session to go on writing it (`huddle resume`). A torn last line is cut
    /// off first, so that the next event starts on a line of its own.
    pub fn append(dir: &Path) -> Result<Self, SessionError> {
        let loaded = load(dir)?;
        let path = dir.join("events.jsonl");
        let werr = |source| SessionError::Write {
            path: path.display().to_string(),
            source,
        };
        let file = OpenOptions::new().write(true).open(&path).map_err(werr)?;
        file.set_len(loaded.valid_len).map_err(werr)?;
        let mut file = file;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::End(0)).map_err(werr)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            events: BufWriter::new(file),
        })
    }

    /// Writes a small file of the session whole or not at all (settings, for `resume`).
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), SessionError> {
        write_atomic(&self.dir.join(name), bytes)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends the event and flushes it to the OS, so a crash loses at most the event in flight.
    /// `PlanReady` also rewrites `plan.json`, `RunDone` writes `report.md`.
    pub fn record(&mut self, event: &Event) -> Result<(), SessionError> {
        self.record_all(std::slice::from_ref(event))
    }

    /// Appends events that arrived together and flushes them to the OS once: one write for the
    /// batch instead of one per event (a busy run sends thousands of events a second), and a
    /// crash still loses at most the batch in flight.
    pub fn record_all(&mut self, events: &[Event]) -> Result<(), SessionError> {
        let events_path = self.dir.join("events.jsonl");
        let werr = |source| SessionError::Write {
            path: events_path.display().to_string(),
            source,
        };
        let ts = crate::engine::now_ms();
        for event in events {
            serde_json::to_writer(&mut self.events, &Line { ts, event })
                .map_err(|e| werr(std::io::Error::other(e)))?;
            self.events.write_all(b"\n").map_err(werr)?;
        }
        self.events.flush().map_err(werr)?;
        for event in events {
            self.write_files(event)?;
        }
        Ok(())
    }

    /// `plan.json` and `report.md`, when the event carries them.
    fn write_files(&self, event: &Event) -> Result<(), SessionError> {
        match event {
            Event::PlanReady { plan, .. } => {
                let json = serde_json::to_string_pretty(plan).unwrap_or_default();
                write_atomic(&self.dir.join("plan.json"), json.as_bytes())?;
            }
            Event::RunDone { report, .. } => {
                write_atomic(&self.dir.join("report.md"), report.as_bytes())?
            }
            _ => {}
        }
        Ok(())
    }
}

/// Writes a file whole or not at all: a temporary file renamed into place.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SessionError> {
    let tmp = path.with_extension("tmp");
    let err = |source| SessionError::Write {
        path: path.display().to_string(),
        source,
    };
    fs::write(&tmp, bytes).map_err(err)?;
    fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Status, Totals};

    #[test]
    fn every_event_is_one_flushed_line_and_the_report_lands() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SessionWriter::create(&dir.path().join("s")).unwrap();
        w.record(&Event::Warning {
            workspace: None,
            message: "a\nb".into(),
        })
        .unwrap();
        // Flushed: readable before the writer is dropped.
        let text = fs::read_to_string(dir.path().join("s/events.jsonl")).unwrap();
        assert_eq!(text.lines().count(), 1);
        let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(v["type"], "Warning");
        assert_eq!(v["message"], "a\nb");
        assert!(v["ts"].as_u64().unwrap() > 1_600_000_000_000);
        w.record(&Event::RunDone {
            status: Status::Done,
            report: "# R\n".into(),
            totals: Totals::default(),
            elapsed_ms: 1,
        })
        .unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("s/report.md")).unwrap(),
            "# R\n"
        );
        assert!(!dir.path().join("s/report.tmp").exists());
    }

    #[test]
    fn a_batch_lands_whole_with_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SessionWriter::create(dir.path()).unwrap();
        let plan = crate::engine::plan::Plan {
            id: "root".into(),
            title: "T".into(),
            description: String::new(),
            agents: vec![],
            children: vec![],
        };
        let batch = [
            Event::PlanReady {
                plan,
                repaired: false,
                notes: vec![],
            },
            Event::PlanApproved,
        ];
        w.record_all(&batch).unwrap();
        // Flushed: readable before the writer is dropped.
        let text = fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
        let kinds: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["type"].to_string())
            .collect();
        assert_eq!(kinds, ["\"PlanReady\"", "\"PlanApproved\""]);
        assert!(dir.path().join("plan.json").is_file());
    }

    #[test]
    fn a_directory_that_holds_a_session_is_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = new_dir(dir.path(), "Same task");
        SessionWriter::create(&first).unwrap();
        let err = SessionWriter::create(&first).unwrap_err().to_string();
        assert!(
            err.ends_with("already holds a session; choose another --session-dir"),
            "{err}"
        );
        let second = new_dir(dir.path(), "Same task");
        assert_ne!(
            first, second,
            "a session in the same second gets its own directory"
        );
        assert!(!second.exists());
    }

    #[test]
    fn dir_name_is_timestamp_and_slug() {
        let n = dir_name("Organize FutureTech 2025");
        assert!(n.ends_with("-organize-futuretech-2025"), "{n}");
        assert_eq!(n.len(), "20261125-081431-organize-futuretech-2025".len());
    }
}
