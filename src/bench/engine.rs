//! Engine benchmarks: parallel efficiency, CPU per LLM call and peak memory, through the real
//! HTTP client against a local mock LLM server.
//!
//! Each scenario runs the huddle binary itself as a child process (`huddle run --headless
//! --provider anthropic`) against the mock server, which stays in this process so that its own
//! CPU is not counted. Wall time is spawn to exit; CPU time and peak RSS come from the kernel's
//! accounting of the child (`wait4`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::mock::{MockServer, Served};
use super::scenario::Scenario;
use super::{BenchOpts, Row};

/// What one run of the binary cost.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub wall: Duration,
    /// User plus system CPU time of the child.
    pub cpu: Duration,
    /// Peak resident set size of the child, in bytes.
    pub max_rss: u64,
    pub served: Served,
    pub ideal: Duration,
}

impl Measured {
    pub fn efficiency(&self) -> f64 {
        self.wall.as_secs_f64() / self.ideal.as_secs_f64()
    }

    /// The raw figures behind the rows, for the person reading the table.
    pub fn summary(&self, name: &str) -> String {
        format!(
            "{name}: {} calls, wall {:.3} s, ideal {:.3} s, CPU {:.3} s, peak RSS {:.1} MB",
            self.served.calls(),
            self.wall.as_secs_f64(),
            self.ideal.as_secs_f64(),
            self.cpu.as_secs_f64(),
            self.max_rss as f64 / (1024.0 * 1024.0)
        )
    }

    /// CPU time per LLM call served, in milliseconds.
    pub fn cpu_per_call_ms(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e3 / self.served.calls().max(1) as f64
    }
}

/// The engine rows of the table; an error means the harness could not run a scenario.
pub fn rows(opts: BenchOpts) -> Result<Vec<Row>, String> {
    let conference = measure(&Scenario::conference(opts.quick))?;
    eprintln!("{}", conference.summary("conference plan"));
    let wide = measure(&Scenario::wide(opts.quick))?;
    eprintln!("{}", wide.summary("wide plan"));
    Ok(vec![
        Row::at_most(
            "conference plan: wall / ideal",
            conference.efficiency(),
            "x",
            1.05,
        ),
        Row::at_most("wide plan: wall / ideal", wide.efficiency(), "x", 1.05),
        Row::at_most(
            "wide plan: CPU per LLM call",
            wide.cpu_per_call_ms(),
            "ms",
            0.5,
        ),
        Row::at_most(
            "wide plan: peak RSS",
            wide.max_rss as f64 / (1024.0 * 1024.0),
            "MB",
            150.0,
        ),
    ])
}

/// Runs one scenario with the binary against a fresh mock server.
pub fn measure(scenario: &Scenario) -> Result<Measured, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the huddle binary: {e}"))?;
    let dir = Scratch::new(scenario.name)?;
    // One worker is plenty for the mock; the rest of the machine is the child's.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let server = runtime
        .block_on(MockServer::start(scenario.script()))
        .map_err(|e| format!("cannot start the mock LLM server: {e}"))?;
    let team = match (scenario.preset, scenario.team_toml()) {
        (Some(preset), _) => preset.to_string(),
        (None, Some(toml)) => {
            let path = dir.0.join("team.toml");
            std::fs::write(&path, toml).map_err(|e| format!("cannot write the team file: {e}"))?;
            path.display().to_string()
        }
        (None, None) => return Err("a scenario needs a preset or a team file".into()),
    };
    let session = dir.0.join("session");
    let mut cmd = Command::new(exe);
    cmd.args(["run", "Benchmark the engine", "--headless", "--provider"])
        .args(["anthropic", "--team", &team, "--max-depth", "3"])
        .args(["--max-turns", &scenario.turns.to_string()])
        .args(["--concurrency", &scenario.concurrency.to_string()])
        .arg("--session-dir")
        .arg(&session);
    clean_env(&mut cmd, &dir.0)
        .env("ANTHROPIC_BASE_URL", server.url())
        .env("ANTHROPIC_API_KEY", "bench-dummy-key")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let stderr_path = dir.0.join("stderr.log");
    let stderr =
        std::fs::File::create(&stderr_path).map_err(|e| format!("cannot write a log: {e}"))?;
    cmd.stderr(stderr);

    let started = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start the huddle binary: {e}"))?;
    let watchdog = Watchdog::start(child.id(), scenario.ideal().time() * 4 + LEEWAY);
    let usage = wait(child.id());
    let wall = started.elapsed();
    let usage = usage?;
    if watchdog.stop() {
        return Err(format!(
            "{}: the run took over {:.0} s and was stopped",
            scenario.name,
            wall.as_secs_f64()
        ));
    }
    let served = server.served();
    drop(server);
    let failed = |why: String| {
        let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!("{}: {why}\n{}", scenario.name, tail.join("\n")))
    };
    if usage.code != Some(0) {
        return failed(format!("the run exited with {:?}", usage.code));
    }
    if !session.join("report.md").is_file() {
        return failed("the run wrote no report.md".into());
    }
    if served.unscripted > 0 || served.calls() != scenario.calls() {
        return failed(format!(
            "the mock served {served:?}, not the {} calls of the scenario",
            scenario.calls()
        ));
    }
    Ok(Measured {
        wall,
        cpu: usage.cpu,
        max_rss: usage.max_rss,
        served,
        ideal: scenario.ideal().time(),
    })
}

/// Time a run may take beyond four times its ideal before the harness gives up on it.
const LEEWAY: Duration = Duration::from_secs(60);

/// Kills a child that runs far too long, so that a hung run fails the bench instead of hanging it.
struct Watchdog {
    done: std::sync::mpsc::Sender<()>,
    fired: std::thread::JoinHandle<bool>,
}

impl Watchdog {
    fn start(pid: u32, limit: Duration) -> Self {
        let (done, wait) = std::sync::mpsc::channel();
        let fired = std::thread::spawn(move || {
            if wait.recv_timeout(limit) != Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                return false;
            }
            if let Ok(pid) = libc::pid_t::try_from(pid) {
                // SAFETY: a plain syscall. The pid is still our child's: a child that has not
                // ended is not reaped, and one that has ended sends `done` before this fires
                // (barring a deadline met in the microseconds between the two).
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            true
        });
        Self { done, fired }
    }

    /// Whether the child had to be killed.
    fn stop(self) -> bool {
        let _ = self.done.send(());
        self.fired.join().unwrap_or(true)
    }
}

/// [`super::clean_env`], in the scratch directory.
fn clean_env<'c>(cmd: &'c mut Command, home: &Path) -> &'c mut Command {
    cmd.current_dir(home)
        .env_clear()
        .envs(super::clean_env(home))
}

/// How a child ended and what it used.
struct Usage {
    /// Exit code; `None` if a signal ended it.
    code: Option<i32>,
    cpu: Duration,
    max_rss: u64,
}

/// Waits for the child and reads its resource usage from the kernel.
fn wait(pid: u32) -> Result<Usage, String> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| "child pid out of range".to_string())?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid for writes; `pid` is our own unreaped child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("cannot wait for the huddle binary: {err}"));
        }
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    Ok(Usage {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        // Linux counts ru_maxrss in kilobytes.
        max_rss: usage.ru_maxrss.max(0) as u64 * 1024,
    })
}

/// A scratch directory for one run, removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Result<Self, String> {
        let slug: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let dir = std::env::temp_dir().join(format!(
            "huddle-bench-{}-{slug}-{}",
            std::process::id(),
            crate::engine::now_ms()
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::super::scenario::Scenario;
    use crate::engine::{Command, Engine, EngineConfig, Event, Status};
    use crate::llm::Client;
    use crate::llm::anthropic::AnthropicClient;
    use crate::team;

    #[test]
    // `wait` reaps the children, through wait4 rather than `Child::wait`.
    #[allow(clippy::zombie_processes)]
    fn the_watchdog_stops_a_hung_child_and_spares_a_finished_one() {
        let hung = std::process::Command::new("sleep")
            .arg("600")
            .spawn()
            .unwrap();
        let watchdog = super::Watchdog::start(hung.id(), std::time::Duration::ZERO);
        let usage = super::wait(hung.id()).unwrap();
        assert_eq!(usage.code, None, "ended by a signal");
        assert!(watchdog.stop());

        let quick = std::process::Command::new("true").spawn().unwrap();
        let watchdog = super::Watchdog::start(quick.id(), std::time::Duration::from_secs(600));
        assert_eq!(super::wait(quick.id()).unwrap().code, Some(0));
        assert!(!watchdog.stop());
    }

    /// The quick conference scenario, in process through the real Anthropic client: the mock's
    /// script gives the run its exact shape.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_mock_script_runs_every_leaf_to_its_turn_limit() {
        let scenario = Scenario::conference(true);
        let server = super::MockServer::start(scenario.script()).await.unwrap();
        let client = Client::Anthropic(AnthropicClient::new(server.url(), "key").unwrap());
        let mut cfg = EngineConfig::new(team::preset("conference").unwrap(), "mock-model");
        cfg.max_turns = scenario.turns;
        cfg.concurrency = scenario.concurrency;
        cfg.auto_approve = true;
        let (engine, mut rx) = Engine::spawn(cfg, client);
        engine.send(Command::StartTask {
            task: "Benchmark".into(),
        });
        let mut leaves = Vec::new();
        let mut warnings = Vec::new();
        let status = loop {
            match rx.recv().await.expect("the engine ends with RunDone") {
                Event::WorkspaceDone {
                    workspace,
                    status,
                    turns,
                    ..
                } if workspace != "root" => leaves.push((workspace, status, turns)),
                Event::Warning { message, .. } => warnings.push(message),
                Event::RunDone { status, .. } => break status,
                _ => {}
            }
        };
        engine.send(Command::Shutdown);
        assert_eq!(status, Status::Done);
        leaves.sort_by(|a, b| a.0.cmp(&b.0));
        let want: Vec<_> = (0..3)
            .map(|i| (format!("part-{i:03}"), Status::Done, scenario.turns))
            .collect();
        assert_eq!(leaves, want);
        // Only the turn limit ends a leaf: no protocol break, no loop, nobody idle.
        assert_eq!(
            warnings.len(),
            3,
            "{warnings:#?} should be the turn limit of each leaf"
        );
        assert!(warnings.iter().all(|w| w.starts_with("turn limit")));
        let served = server.served();
        assert_eq!(served.calls(), scenario.calls());
        // Final results are send_message calls too; the root's aggregation is the one text.
        assert_eq!((served.plans, served.texts, served.unscripted), (1, 1, 0));
    }
}
