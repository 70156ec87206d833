use std::process::ExitCode;

use clap::Parser;

use huddle::cli::{Cli, Cmd, RunOpts};
use huddle::{config, headless, session, team};

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
            headless: _,
            json,
            opts,
        }) => run(task, *opts, json),
        None => match cli.task {
            Some(task) => {
                eprintln!("note: the dashboard is not part of this build yet; running headless");
                run(task, cli.opts, false)
            }
            None => {
                use clap::CommandFactory;
                let _ = Cli::command().print_help();
                ExitCode::from(2)
            }
        },
    }
}

/// Bad input: one clear line, exit code 2, nothing written.
fn bad_input(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("huddle: {message}");
    ExitCode::from(2)
}

fn run(task: String, opts: RunOpts, json: bool) -> ExitCode {
    if task.trim().is_empty() {
        return bad_input(
            "the task is empty: say what the team should do, e.g. huddle run \"Plan a product launch\"",
        );
    }
    let file = match config::config_path()
        .map(|p| config::read_config(&p))
        .transpose()
    {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => return bad_input(e),
    };
    let opts = config::merge(opts, file);
    let prepared = config::team(&opts, &task).and_then(|team| {
        let (client, model) = config::client(&opts)?;
        Ok((config::engine_config(&opts, team, model)?, client))
    });
    let (mut engine_config, client) = match prepared {
        Ok(p) => p,
        Err(e) => return bad_input(e),
    };
    engine_config.auto_approve = true;
    let dir = match opts
        .session_dir
        .clone()
        .map(Ok)
        .unwrap_or_else(|| session::default_root().map(|r| session::new_dir(&r, &task)))
    {
        Ok(d) => d,
        Err(e) => return bad_input(e),
    };
    let writer = match session::SessionWriter::create(&dir) {
        Ok(w) => w,
        Err(e) => return bad_input(e),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return bad_input(format!("cannot start the async runtime: {e}")),
    };
    let code = runtime.block_on(headless::run(engine_config, client, task, writer, json));
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
