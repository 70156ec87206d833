//! `huddle bench --quick`, as CI runs it: the harness works end to end (mock server, child runs,
//! resource accounting) and prints every engine figure. The figures themselves are not judged
//! here: benchmarks are not tests.

mod support;

/// The engine rows, with the unit each value is printed in.
const ENGINE_ROWS: [(&str, &str); 4] = [
    ("conference plan: wall / ideal", "x"),
    ("wide plan: wall / ideal", "x"),
    ("wide plan: CPU per LLM call", "ms"),
    ("wide plan: peak RSS", "MB"),
];

#[test]
fn quick_bench_prints_every_engine_figure() {
    let home = tempfile::tempdir().unwrap();
    let out = support::huddle_command(home.path())
        .args(["bench", "--quick"])
        .output()
        .expect("huddle runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for (name, unit) in ENGINE_ROWS {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row '{name}' in\n{stdout}"));
        let mut words = line[name.len()..].split_whitespace();
        let value: f64 = words
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("row '{name}' has no value: {line}"));
        assert!(value.is_finite() && value > 0.0, "{line}");
        assert_eq!(words.next(), Some(unit), "{line}");
        let verdict = line.split_whitespace().last();
        assert!(matches!(verdict, Some("pass" | "FAIL")), "{line}");
    }
}
