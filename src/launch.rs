//! Everything a run needs before it starts, shared by the dashboard and the headless front end:
//! settings merged and checked up front (so bad input fails before anything opens), then, per
//! task, the team, the engine settings and a fresh session directory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cli::RunOpts;
use crate::config;
use crate::engine::{EngineConfig, Event};
use crate::llm::Client;
use crate::pricing::Pricing;
use crate::session::{self, SessionWriter};
use crate::team::Team;

/// The settings a run started with, kept in its session (`settings.json`) so that `resume`
/// continues it with the same team, provider, model, seed and limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub task: String,
    pub team: Team,
    pub provider: String,
    pub model: String,
    pub seed: Option<u64>,
    pub sim_speed: Option<f64>,
    pub sim_faults: Option<String>,
    pub max_turns: Option<u32>,
    pub max_depth: Option<usize>,
    pub concurrency: Option<usize>,
    #[serde(default)]
    pub budget_tokens: Option<u64>,
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// Absent in sessions recorded before the context window existed.
    #[serde(default)]
    pub context_tokens: Option<u64>,
}

/// An interrupted run, ready to go on.
pub struct Resumed {
    pub prepared: Prepared,
    /// Its events so far, in order.
    pub events: Vec<Event>,
    /// Bytes of a torn last line that were dropped.
    pub torn: usize,
}

/// Checked settings: the provider client and model, and the options they came from.
pub struct Launcher {
    opts: RunOpts,
    client: Client,
    model: String,
    /// The team of a resumed run, as it was.
    team: Option<Team>,
    /// The shipped rates with the person's pricing.toml over them.
    pricing: Pricing,
}

/// What one run needs: engine settings, the client, and its open session.
pub struct Prepared {
    pub config: EngineConfig,
    pub client: Client,
    pub session: SessionWriter,
}

impl Launcher {
    /// Reads config.toml under the flags and environment, picks the provider and checks its key,
    /// and loads `--team` if given. Every error is one sentence for the person.
    pub fn new(opts: RunOpts) -> Result<Self, String> {
        let file = match config::config_path()
            .map(|p| config::read_config(&p))
            .transpose()
        {
            Ok(f) => f.unwrap_or_default(),
            Err(e) => return Err(e.to_string()),
        };
        let opts = config::merge(opts, file.into());
        let pricing = match Pricing::user_path() {
            Some(path) => Pricing::builtin().with_file(&path)?,
            None => Pricing::builtin(),
        };
        let (client, model) = config::client(&opts).map_err(|e| e.to_string())?;
        if opts.team.is_some() {
            config::team(&opts, "").map_err(|e| e.to_string())?;
        }
        // Catch bad numbers before a task is typed.
        config::engine_config(&opts, crate::team::preset_for_task(""), model.clone())
            .map_err(|e| e.to_string())?;
        Ok(Self {
            opts,
            client,
            model,
            team: None,
            pricing,
        })
    }

    /// Opens an interrupted session to continue it: its events and settings, under any flags
    /// given now (`--provider`, `--sim-speed`, ...). A run that ended is not resumed.
    pub fn resume(dir: &Path, flags: RunOpts) -> Result<(Self, Resumed), String> {
        let loaded = session::load(dir).map_err(|e| match e {
            session::SessionError::Read { .. } => format!(
                "{} is not a huddle session (no readable events.jsonl)",
                dir.display()
            ),
            other => other.to_string(),
        })?;
        if loaded.ended() {
            return Err(format!(
                "the run in {} already ended; watch it again with huddle replay {0}",
                dir.display()
            ));
        }
        let path = dir.join("settings.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let settings: Settings = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not valid: {e}", path.display()))?;
        let events = loaded.events();
        // The budget last in force (raised in the dashboard, say) unless a flag gives a new one.
        let (run_budget, workspace_budgets) = crate::engine::budget::recorded(&events);
        let run_budget = run_budget.unwrap_or(crate::engine::budget::Limits {
            tokens: settings.budget_tokens,
            usd: settings.budget_usd,
        });
        let recorded = RunOpts {
            provider: Some(settings.provider.clone()),
            model: Some(settings.model.clone()),
            max_turns: settings.max_turns,
            max_depth: settings.max_depth,
            concurrency: settings.concurrency,
            context_tokens: settings.context_tokens,
            seed: settings.seed,
            sim_speed: settings.sim_speed,
            sim_faults: settings.sim_faults.clone(),
            budget_tokens: run_budget.tokens,
            budget_usd: run_budget.usd,
            ..RunOpts::default()
        };
        let mut opts = config::merge(flags, recorded);
        // The session is the one being resumed, wherever HUDDLE_SESSION_DIR points.
        opts.session_dir = None;
        let team_flag = opts.team.is_some();
        let mut launcher = Self::new(opts)?;
        if !team_flag {
            let mut team = settings.team;
            team.limits.workspaces.extend(workspace_budgets);
            launcher.team = Some(team);
        }
        let team = match &launcher.team {
            Some(t) => t.clone(),
            None => config::team(&launcher.opts, &settings.task).map_err(|e| e.to_string())?,
        };
        let config = launcher.engine_config(team)?;
        let session = SessionWriter::append(dir).map_err(|e| e.to_string())?;
        let resumed = Resumed {
            prepared: Prepared {
                config,
                client: launcher.client.clone(),
                session,
            },
            events,
            torn: loaded.torn,
        };
        Ok((launcher, resumed))
    }

    fn engine_config(&self, team: Team) -> Result<EngineConfig, String> {
        let mut config = config::engine_config(&self.opts, team, self.model.clone())
            .map_err(|e| e.to_string())?;
        config.pricing = self.pricing.clone();
        Ok(config)
    }

    /// Provider and model in a few words, e.g. "sim · sim-1 (offline simulation)".
    pub fn describe(&self) -> String {
        let simulated = if self.client.is_simulated() {
            " (offline simulation: no API key set)"
        } else {
            ""
        };
        format!("{} · {}{simulated}", self.client.provider(), self.model)
    }

    /// The team, engine settings and a new session directory for this task.
    pub fn prepare(&self, task: &str) -> Result<Prepared, String> {
        if task.trim().is_empty() {
            return Err(
                "the task is empty: say what the team should do, e.g. \"Plan a product launch\""
                    .into(),
            );
        }
        let team = match &self.team {
            Some(t) => t.clone(),
            None => config::team(&self.opts, task).map_err(|e| e.to_string())?,
        };
        let config = self.engine_config(team.clone())?;
        let dir: PathBuf = match self.opts.session_dir.clone() {
            Some(d) => d,
            None => session::default_root()
                .map(|r| session::new_dir(&r, task))
                .map_err(|e| e.to_string())?,
        };
        let session = SessionWriter::create(&dir).map_err(|e| e.to_string())?;
        let settings = Settings {
            task: task.to_string(),
            team,
            provider: self.client.provider().to_string(),
            model: self.model.clone(),
            seed: self.opts.seed,
            sim_speed: self.opts.sim_speed,
            sim_faults: self.opts.sim_faults.clone(),
            max_turns: self.opts.max_turns,
            max_depth: self.opts.max_depth,
            concurrency: self.opts.concurrency,
            budget_tokens: self.opts.budget_tokens,
            budget_usd: self.opts.budget_usd,
            context_tokens: self.opts.context_tokens,
        };
        let json = serde_json::to_string_pretty(&settings).map_err(|e| e.to_string())?;
        session
            .write_file("settings.json", json.as_bytes())
            .map_err(|e| e.to_string())?;
        Ok(Prepared {
            config,
            client: self.client.clone(),
            session,
        })
    }
}
