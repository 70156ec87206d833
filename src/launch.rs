//! Everything a run needs before it starts, shared by the dashboard and the headless front end:
//! settings merged and checked up front (so bad input fails before anything opens), then, per
//! task, the team, the engine settings and a fresh session directory.

use std::path::PathBuf;

use crate::cli::RunOpts;
use crate::config;
use crate::engine::EngineConfig;
use crate::llm::Client;
use crate::session::{self, SessionWriter};

/// Checked settings: the provider client and model, and the options they came from.
pub struct Launcher {
    opts: RunOpts,
    client: Client,
    model: String,
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
        let opts = config::merge(opts, file);
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
        })
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
        let team = config::team(&self.opts, task).map_err(|e| e.to_string())?;
        let config = config::engine_config(&self.opts, team, self.model.clone())
            .map_err(|e| e.to_string())?;
        let dir: PathBuf = match self.opts.session_dir.clone() {
            Some(d) => d,
            None => session::default_root()
                .map(|r| session::new_dir(&r, task))
                .map_err(|e| e.to_string())?,
        };
        let session = SessionWriter::create(&dir).map_err(|e| e.to_string())?;
        Ok(Prepared {
            config,
            client: self.client.clone(),
            session,
        })
    }
}
