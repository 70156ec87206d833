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
    ExitCode::from(tui::run(launcher, task, start) as u8)
}

fn run_headless(task: String, opts: RunOpts, json: bool) -> ExitCode {
    let prepared = Launcher::new(opts).and_then(|l| l.prepare(&task));
    let mut prepared = match prepared {
        Ok(p) => p,
        Err(e) => return bad_input(e),
    };
    prepared.config.auto_approve = true;
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return bad_input(format!("cannot start the async runtime: {e}")),
    };
    let code = runtime.block_on(headless::run(
        prepared.config,
        prepared.client,
        task,
        prepared.session,
        json,
    ));
    ExitCode::from(code as u8)
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
