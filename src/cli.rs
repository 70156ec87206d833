//! Command line (SPEC §7). Precedence: flags > environment > `.env` > `config.toml`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A planner LLM splits your task into workspaces of specialist agents that talk in parallel;
/// watch, steer, pause and inspect them from the terminal.
#[derive(Debug, Parser)]
#[command(name = "huddle", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Cmd>,
    /// The task (opens the run with it filled in).
    pub task: Option<String>,
    #[command(flatten)]
    pub opts: RunOpts,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Plan and run a task.
    Run {
        /// What the team should do.
        task: String,
        /// Plain progress lines instead of the dashboard; the final report goes to stdout.
        #[arg(long)]
        headless: bool,
        /// With --headless: print every event as one JSON line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        opts: Box<RunOpts>,
    },
    /// Continue an interrupted run from its session directory (finished work is not redone).
    Resume {
        /// The session directory (it holds events.jsonl).
        session: PathBuf,
        /// Plain progress lines instead of the dashboard.
        #[arg(long)]
        headless: bool,
        /// With --headless: print every event as one JSON line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        opts: Box<RunOpts>,
    },
    /// Watch a recorded run again, finished or interrupted.
    Replay {
        /// The session directory (it holds events.jsonl).
        session: PathBuf,
        /// Print the progress lines instead of the dashboard.
        #[arg(long)]
        headless: bool,
        /// Playback speed: 1 as recorded, 10 ten times faster, 0 at once.
        #[arg(long, default_value_t = 4.0)]
        speed: f64,
    },
    /// List the team presets.
    Teams,
    /// Measure huddle against the LLM's own latency on a local mock server; prints each figure,
    /// its target and pass/fail.
    Bench {
        /// Small scenarios that only check the harness works (what CI runs).
        #[arg(long)]
        quick: bool,
    },
}

/// Settings of a run.
#[derive(Debug, Clone, Default, Args)]
pub struct RunOpts {
    /// Team file (TOML) or preset name; default: the preset matching the task.
    #[arg(long, env = "HUDDLE_TEAM", value_name = "FILE|PRESET")]
    pub team: Option<String>,
    /// anthropic | openai | sim; default: anthropic if ANTHROPIC_API_KEY is set, else openai if
    /// OPENAI_BASE_URL is set, else sim (offline simulation).
    #[arg(long, env = "HUDDLE_PROVIDER")]
    pub provider: Option<String>,
    /// Model of every agent without a model of its own.
    #[arg(long, env = "HUDDLE_MODEL")]
    pub model: Option<String>,
    /// Turns per workspace before the last speaker is asked for the result [default: 12].
    #[arg(long, env = "HUDDLE_MAX_TURNS")]
    pub max_turns: Option<u32>,
    /// Depth of the plan tree [default: 3].
    #[arg(long, env = "HUDDLE_MAX_DEPTH")]
    pub max_depth: Option<usize>,
    /// LLM calls in flight at once [default: 8].
    #[arg(long, env = "HUDDLE_CONCURRENCY")]
    pub concurrency: Option<usize>,
    /// Tokens of the log an agent is sent before its oldest messages are folded into a running
    /// summary; 0 always sends the whole log [default: 12000].
    #[arg(long, env = "HUDDLE_CONTEXT_TOKENS")]
    pub context_tokens: Option<u64>,
    /// Directory for this session's events.jsonl, plan.json and report.md
    /// [default: $XDG_DATA_HOME/huddle/sessions/<timestamp>-<task>].
    #[arg(long, env = "HUDDLE_SESSION_DIR")]
    pub session_dir: Option<PathBuf>,
    /// Seed of the offline simulation [default: 7].
    #[arg(long, env = "HUDDLE_SEED")]
    pub seed: Option<u64>,
    /// Simulation speed factor; 0 streams instantly [default: 1].
    #[arg(long, env = "HUDDLE_SIM_SPEED")]
    pub sim_speed: Option<f64>,
    /// Make the simulation misbehave, e.g. "protocol=0.2,http=0.1,drop=0.05".
    #[arg(long, env = "HUDDLE_SIM_FAULTS")]
    pub sim_faults: Option<String>,
    /// Pause the run when it has used this many tokens (every kind, cache reads included):
    /// 200000, 200k or 1.5m.
    #[arg(long, env = "HUDDLE_BUDGET_TOKENS", value_name = "N", value_parser = crate::engine::budget::parse_tokens)]
    pub budget_tokens: Option<u64>,
    /// Pause the run when it has cost this many USD: 2.50 or $2.50.
    #[arg(long, env = "HUDDLE_BUDGET_USD", value_name = "USD", value_parser = crate::engine::budget::parse_usd)]
    pub budget_usd: Option<f64>,
}
