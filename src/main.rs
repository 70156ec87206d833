use std::process::ExitCode;

use clap::Parser;

use huddle::cli::{Cli, Cmd, RunOpts};
use huddle::launch::Launcher;
use huddle::{headless, session, team, tui};

fn main() -> ExitCode {
    session::init_local_time();
    // `.env` fills the environment without overriding it (flags > environment > .env > config.toml).
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let _log_guard = init_logging();
    match cli.command {
        Some(Cmd::Teams) => {
            list_teams();
            ExitCode::SUCCESS
        }
        Some(Cmd::Bench { quick }) => bench(quick),
        Some(Cmd::Resume {
            session,
            headless,
            json,
            opts,
        }) => resume(&session, *opts, headless || json || !is_terminal(), json),
        Some(Cmd::Replay {
            session,
            headless,
            speed,
        }) => replay(&session, speed, headless || !is_terminal()),
        Some(Cmd::Run {
            task,
            headless,
            json,
            opts,
        }) => {
            if headless || json {
                run_headless(task, *opts, json)
            } else if !is_terminal() {
                eprintln!("note: not a terminal; running headless (use --headless to say so)");
                run_headless(task, *opts, false)
            } else {
                dashboard(Some(task), *opts, true)
            }
        }
        None => {
            if !is_terminal() {
                return bad_input(
                    "the dashboard needs a terminal; use huddle run \"TASK\" --headless",
                );
            }
            dashboard(cli.task, cli.opts, false)
        }
    }
}

fn is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// Bad input: one clear line, exit code 2, nothing written.
fn bad_input(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("huddle: {message}");
    ExitCode::from(2)
}

/// The dashboard, with the task filled in (and started, for `huddle run`).
fn dashboard(task: Option<String>, opts: RunOpts, start: bool) -> ExitCode {
    if start && task.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return bad_input(
            "the task is empty: say what the team should do, e.g. huddle run \"Plan a product launch\"",
        );
    }
    let launcher = match Launcher::new(opts) {
        Ok(l) => l,
        Err(e) => return bad_input(e),
    };
    ExitCode::from(tui::run(launcher, tui::Begin::Task { task, start }) as u8)
}

/// `huddle resume`: the interrupted run goes on, in the dashboard or headless.
fn resume(dir: &std::path::Path, opts: RunOpts, headless: bool, json: bool) -> ExitCode {
    let (launcher, resumed) = match Launcher::resume(dir, opts) {
        Ok(r) => r,
        Err(e) => return bad_input(e),
    };
    if resumed.torn > 0 {
        eprintln!(
            "note: the last event in {} was cut short by the interruption ({} bytes); it is left out",
            dir.display(),
            resumed.torn
        );
    }
    if !headless {
        return ExitCode::from(tui::run(launcher, tui::Begin::Resume(Box::new(resumed))) as u8);
    }
    headless_run(
        resumed.prepared,
        huddle::engine::Command::ResumeRun {
            events: resumed.events,
        },
        json,
    )
}

/// `huddle replay`: a recorded run shown again, at `speed` times the recorded pace.
fn replay(dir: &std::path::Path, speed: f64, headless: bool) -> ExitCode {
    if !speed.is_finite() || speed < 0.0 {
        return bad_input(format!("--speed must be 0 or more, not {speed}"));
    }
    let loaded = match session::load(dir) {
        Ok(l) => l,
        Err(e) => return bad_input(e),
    };
    if loaded.events.is_empty() {
        return bad_input(format!("{} holds no events to replay", dir.display()));
    }
    if headless {
        return ExitCode::from(headless::replay(&loaded.events, speed) as u8);
    }
    ExitCode::from(tui::replay(dir, loaded.events, speed) as u8)
}

fn run_headless(task: String, opts: RunOpts, json: bool) -> ExitCode {
    match Launcher::new(opts).and_then(|l| l.prepare(&task)) {
        Ok(prepared) => headless_run(prepared, huddle::engine::Command::StartTask { task }, json),
        Err(e) => bad_input(e),
    }
}

/// A run without a screen, started (or resumed) by `start`; the plan is approved as it comes.
fn headless_run(
    mut prepared: huddle::launch::Prepared,
    start: huddle::engine::Command,
    json: bool,
) -> ExitCode {
    prepared.config.auto_approve = true;
    // One thread: the engine waits on the model nearly all the time, and on one thread an event
    // reaches the printer and the session file without waking another thread (see `huddle bench`).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return bad_input(format!("cannot start the async runtime: {e}")),
    };
    let code = runtime.block_on(headless::run(
        prepared.config,
        prepared.client,
        start,
        prepared.session,
        json,
    ));
    ExitCode::from(code as u8)
}

/// `huddle bench`: the table of figures; exit 1 when a target is missed or the harness fails
/// (`--quick` runs scenarios too small to judge, so it only fails when the harness does).
fn bench(quick: bool) -> ExitCode {
    let rows = match huddle::bench::run(huddle::bench::BenchOpts { quick }) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("huddle bench: the harness failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", huddle::bench::table(&rows));
    if quick || rows.iter().all(|r| r.pass) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn list_teams() {
    for t in team::presets() {
        println!(
            "{:<11} {} ({} agents)",
            t.name,
            t.description,
            t.agents.len()
        );
        for a in &t.agents {
            println!("    {:<34} {}", a.address(), a.description);
        }
    }
    println!("\nUse one with --team NAME, or pass your own team file with --team FILE.toml.");
}

/// Logs go to a daily file, never to the terminal.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = dirs::state_dir()
        .or_else(dirs::data_dir)?
        .join("huddle")
        .join("logs");
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::daily(dir, "huddle.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("HUDDLE_LOG")
        .unwrap_or_else(|_| "huddle=info".into());
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
