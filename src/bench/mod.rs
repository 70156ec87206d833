//! `huddle bench`: measures huddle against the only unavoidable cost of a run, the LLM's own
//! latency, on a local mock LLM server, and prints each figure next to its target.

pub mod dashboard;
pub mod engine;
pub mod http;
pub mod mock;
pub mod scenario;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::Path;

/// One measured figure and its target.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What was measured, e.g. "wide plan: wall / ideal".
    pub name: String,
    /// The figure, in `unit`.
    pub value: f64,
    pub unit: &'static str,
    /// The target as the issue states it, e.g. "<= 1.05".
    pub target: String,
    pub pass: bool,
}

impl Row {
    /// A figure that must stay at or below `limit`.
    pub fn at_most(name: impl Into<String>, value: f64, unit: &'static str, limit: f64) -> Self {
        Row {
            name: name.into(),
            value,
            unit,
            target: format!("<= {}", trim(limit)),
            pass: value <= limit,
        }
    }

    /// A figure that must reach at least `limit`.
    pub fn at_least(name: impl Into<String>, value: f64, unit: &'static str, limit: f64) -> Self {
        Row {
            name: name.into(),
            value,
            unit,
            target: format!(">= {}", trim(limit)),
            pass: value >= limit,
        }
    }
}

/// What to run: `quick` shrinks every scenario so that CI only checks the harness works.
#[derive(Debug, Clone, Copy, Default)]
pub struct BenchOpts {
    pub quick: bool,
}

/// The environment of a huddle the bench (or a test) starts: no API key, settings file or `.env`
/// of the person running it reaches the child; home, data, state and config live in `home`, which
/// should also be its working directory. Apply after clearing the environment.
pub fn clean_env(home: &Path) -> Vec<(&'static str, OsString)> {
    vec![
        (
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        ),
        ("HOME", home.into()),
        ("XDG_DATA_HOME", home.join("data").into()),
        ("XDG_STATE_HOME", home.join("state").into()),
        ("XDG_CONFIG_HOME", home.join("config").into()),
        ("XDG_CACHE_HOME", home.join("cache").into()),
    ]
}

/// Runs every benchmark and returns its rows, in table order; an error means the harness itself
/// failed (a run that did not finish), which is no figure at all.
pub fn run(opts: BenchOpts) -> Result<Vec<Row>, String> {
    let mut rows = engine::rows(opts)?;
    rows.extend(dashboard::rows(opts));
    Ok(rows)
}

/// The table printed by `huddle bench`.
pub fn table(rows: &[Row]) -> String {
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<width$}  {:>14}  {:<12}  result",
        "figure", "value", "target"
    );
    for r in rows {
        let value = format!("{} {}", trim(r.value), r.unit);
        let verdict = if r.pass { "pass" } else { "FAIL" };
        let _ = writeln!(
            s,
            "{:<width$}  {:>14}  {:<12}  {verdict}",
            r.name, value, r.target
        );
    }
    s
}

/// A number with at most three decimals and no trailing zeros.
fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_value_target_and_verdict() {
        let rows = vec![
            Row::at_most("wall / ideal", 1.021, "x", 1.05),
            Row::at_most("frame p99", 5.25, "ms", 4.0),
        ];
        let t = table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines[1].contains("1.021 x")
                && lines[1].contains("<= 1.05")
                && lines[1].ends_with("pass"),
            "{t}"
        );
        assert!(
            lines[2].contains("5.25 ms") && lines[2].contains("<= 4") && lines[2].ends_with("FAIL"),
            "{t}"
        );
    }
}
