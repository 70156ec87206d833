//! Resolves a run's settings: flags > environment > `.env` > `$XDG_CONFIG_HOME/huddle/config.toml`,
//! then picks the provider (SPEC §5).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::RunOpts;
use crate::engine::EngineConfig;
use crate::llm::Client;
use crate::llm::anthropic::{self, AnthropicClient};
use crate::llm::openai::{self, OpenAiClient};
use crate::llm::sim::{Pacing, SimClient, SimFaults};
use crate::team::{self, Team};

/// A setting that makes the run impossible; shown as one line, exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Team(#[from] team::TeamError),
    #[error("unknown provider '{0}': use anthropic, openai or sim")]
    UnknownProvider(String),
    #[error("--provider anthropic needs ANTHROPIC_API_KEY (in the environment or .env)")]
    MissingAnthropicKey,
    #[error(
        "--provider openai needs OPENAI_BASE_URL (a local server such as http://localhost:11434/v1) or OPENAI_API_KEY"
    )]
    MissingOpenAi,
    #[error("{path}: {message}")]
    ConfigFile { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// `config.toml`: the lowest-precedence defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub team: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub max_turns: Option<u32>,
    pub max_depth: Option<usize>,
    pub concurrency: Option<usize>,
    pub seed: Option<u64>,
    pub sim_speed: Option<f64>,
    pub context_tokens: Option<u64>,
    /// A number or text such as "200k".
    #[serde(default, deserialize_with = "token_budget")]
    pub budget_tokens: Option<u64>,
    pub budget_usd: Option<f64>,
}

/// `budget_tokens = 200000` or `budget_tokens = "200k"`.
fn token_budget<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Tokens {
        Number(u64),
        Text(String),
    }
    match Option::<Tokens>::deserialize(d)? {
        None => Ok(None),
        Some(Tokens::Number(n)) => Ok(Some(n)),
        Some(Tokens::Text(t)) => crate::engine::budget::parse_tokens(&t)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

/// `$XDG_CONFIG_HOME/huddle/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("huddle").join("config.toml"))
}

/// Reads the config file; a missing file is an empty config.
pub fn read_config(path: &Path) -> Result<FileConfig, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::ConfigFile {
            path: path.display().to_string(),
            message: e.message().to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(e) => Err(ConfigError::ConfigFile {
            path: path.display().to_string(),
            message: e.to_string(),
        }),
    }
}

impl From<FileConfig> for RunOpts {
    fn from(file: FileConfig) -> Self {
        RunOpts {
            team: file.team,
            provider: file.provider,
            model: file.model,
            max_turns: file.max_turns,
            max_depth: file.max_depth,
            concurrency: file.concurrency,
            seed: file.seed,
            sim_speed: file.sim_speed,
            budget_tokens: file.budget_tokens,
            budget_usd: file.budget_usd,
            context_tokens: file.context_tokens,
            ..RunOpts::default()
        }
    }
}

/// Fills every option `opts` left open from a lower layer of settings (the config file, or the
/// settings a resumed session recorded).
pub fn merge(opts: RunOpts, lower: RunOpts) -> RunOpts {
    RunOpts {
        team: opts.team.or(lower.team),
        provider: opts.provider.or(lower.provider),
        model: opts.model.or(lower.model),
        max_turns: opts.max_turns.or(lower.max_turns),
        max_depth: opts.max_depth.or(lower.max_depth),
        concurrency: opts.concurrency.or(lower.concurrency),
        session_dir: opts.session_dir.or(lower.session_dir),
        seed: opts.seed.or(lower.seed),
        sim_speed: opts.sim_speed.or(lower.sim_speed),
        sim_faults: opts.sim_faults.or(lower.sim_faults),
        budget_tokens: opts.budget_tokens.or(lower.budget_tokens),
        budget_usd: opts.budget_usd.or(lower.budget_usd),
        context_tokens: opts.context_tokens.or(lower.context_tokens),
    }
}

/// The default model of each provider.
pub fn default_model(provider: &str) -> &'static str {
    match provider {
        "anthropic" => "claude-sonnet-4-5",
        "openai" => "gpt-4o-mini",
        _ => "sim-1",
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Picks and builds the provider client and the model name.
pub fn client(opts: &RunOpts) -> Result<(Client, String), ConfigError> {
    let provider = match opts.provider.as_deref().map(str::trim) {
        Some(p) => p.to_ascii_lowercase(),
        None if env("ANTHROPIC_API_KEY").is_some() => "anthropic".into(),
        None if env("OPENAI_BASE_URL").is_some() => "openai".into(),
        None => "sim".into(),
    };
    let model = opts
        .model
        .clone()
        .or_else(|| {
            if provider == "openai" {
                env("OPENAI_MODEL")
            } else {
                None
            }
        })
        .unwrap_or_else(|| default_model(&provider).to_string());
    let invalid = |e: crate::llm::LlmError| ConfigError::Invalid(e.to_string());
    let client = match provider.as_str() {
        "anthropic" => {
            let key = env("ANTHROPIC_API_KEY").ok_or(ConfigError::MissingAnthropicKey)?;
            let base =
                env("ANTHROPIC_BASE_URL").unwrap_or_else(|| anthropic::DEFAULT_BASE_URL.into());
            Client::Anthropic(AnthropicClient::new(base, key).map_err(invalid)?)
        }
        "openai" => {
            let key = env("OPENAI_API_KEY");
            let base = match env("OPENAI_BASE_URL") {
                Some(b) => b,
                None if key.is_some() => openai::DEFAULT_BASE_URL.into(),
                None => return Err(ConfigError::MissingOpenAi),
            };
            Client::OpenAi(OpenAiClient::new(base, key).map_err(invalid)?)
        }
        "sim" => {
            let speed = opts.sim_speed.unwrap_or(1.0);
            if !speed.is_finite() || speed < 0.0 {
                return Err(ConfigError::Invalid(format!(
                    "--sim-speed must be 0 or more, not {speed}"
                )));
            }
            let pacing = if speed == 0.0 {
                Pacing::instant()
            } else {
                let r = Pacing::realistic();
                Pacing {
                    first_token: Duration::from_secs_f64(r.first_token.as_secs_f64() / speed),
                    tokens_per_sec: r.tokens_per_sec * speed,
                }
            };
            let faults = match &opts.sim_faults {
                Some(spec) => SimFaults::parse(spec)
                    .map_err(|e| ConfigError::Invalid(format!("--sim-faults: {e}")))?,
                None => SimFaults::default(),
            };
            Client::Sim(
                SimClient::new(opts.seed.unwrap_or(7))
                    .with_pacing(pacing)
                    .with_faults(faults),
            )
        }
        other => return Err(ConfigError::UnknownProvider(other.to_string())),
    };
    Ok((client, model))
}

/// The team for a task: `--team` (file or preset), else the preset matching the task.
pub fn team(opts: &RunOpts, task: &str) -> Result<Team, ConfigError> {
    match &opts.team {
        Some(spec) => Ok(team::load(spec)?),
        None => Ok(team::preset_for_task(task)),
    }
}

/// The engine's settings from the merged options.
pub fn engine_config(
    opts: &RunOpts,
    team: Team,
    model: String,
) -> Result<EngineConfig, ConfigError> {
    let mut cfg = EngineConfig::new(team, model);
    if let Some(t) = opts.max_turns {
        if t == 0 {
            return Err(ConfigError::Invalid(
                "--max-turns must be at least 1".into(),
            ));
        }
        cfg.max_turns = t;
    }
    if let Some(d) = opts.max_depth {
        cfg.max_depth = d;
    }
    if let Some(c) = opts.concurrency {
        if c == 0 {
            return Err(ConfigError::Invalid(
                "--concurrency must be at least 1".into(),
            ));
        }
        cfg.concurrency = c;
    }
    if let Some(usd) = opts.budget_usd
        && !(usd.is_finite() && usd > 0.0)
    {
        return Err(ConfigError::Invalid(format!(
            "--budget-usd must be more than 0, not {usd}"
        )));
    }
    cfg.budgets.run = crate::engine::budget::Limits {
        tokens: opts.budget_tokens,
        usd: opts.budget_usd,
    };
    if let Some(t) = opts.context_tokens {
        cfg.context_tokens = t;
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_config_file() {
        let opts = RunOpts {
            model: Some("flag-model".into()),
            ..RunOpts::default()
        };
        let file: FileConfig = toml::from_str("model = \"file-model\"\nmax_turns = 5\n").unwrap();
        let merged = merge(opts, file.into());
        assert_eq!(merged.model.as_deref(), Some("flag-model"));
        assert_eq!(merged.max_turns, Some(5));
    }

    #[test]
    fn budgets_come_from_the_config_file_under_the_flags() {
        let file: FileConfig =
            toml::from_str("budget_tokens = \"200k\"\nbudget_usd = 2.5\n").unwrap();
        let flags = RunOpts {
            budget_usd: Some(4.0),
            ..RunOpts::default()
        };
        let merged = merge(flags, file.into());
        assert_eq!(merged.budget_tokens, Some(200_000));
        assert_eq!(merged.budget_usd, Some(4.0));
        let cfg = engine_config(&merged, crate::team::preset_for_task(""), "m".into()).unwrap();
        assert_eq!(cfg.budgets.run.tokens, Some(200_000));
        assert_eq!(cfg.budgets.run.usd, Some(4.0));
        let number: FileConfig = toml::from_str("budget_tokens = 5000\n").unwrap();
        assert_eq!(number.budget_tokens, Some(5000));
        assert!(toml::from_str::<FileConfig>("budget_tokens = \"lots\"\n").is_err());
        let negative = RunOpts {
            budget_usd: Some(-1.0),
            ..RunOpts::default()
        };
        let err = engine_config(&negative, crate::team::preset_for_task(""), "m".into());
        assert!(err.unwrap_err().to_string().contains("--budget-usd"));
    }

    #[test]
    fn context_tokens_come_from_the_config_file_and_0_turns_the_window_off() {
        let file: FileConfig = toml::from_str("context_tokens = 0\n").unwrap();
        let merged = merge(RunOpts::default(), file.into());
        let team = crate::team::preset("conference").unwrap();
        let cfg = engine_config(&merged, team.clone(), "m".into()).unwrap();
        assert_eq!(cfg.context_tokens, 0);
        let cfg = engine_config(&RunOpts::default(), team, "m".into()).unwrap();
        assert_eq!(cfg.context_tokens, crate::engine::DEFAULT_CONTEXT_TOKENS);
    }

    #[test]
    fn bad_config_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "max_turns = \"many\"\n").unwrap();
        let err = read_config(&p).unwrap_err().to_string();
        assert!(err.starts_with(&p.display().to_string()), "{err}");
        assert!(read_config(&dir.path().join("missing.toml")).is_ok());
    }

    #[test]
    fn explicit_providers_and_their_errors() {
        let opts = |p: &str| RunOpts {
            provider: Some(p.into()),
            ..RunOpts::default()
        };
        let (c, model) = client(&opts("sim")).unwrap();
        assert!(c.is_simulated());
        assert_eq!(model, "sim-1");
        assert_eq!(
            client(&opts("gemini")).unwrap_err().to_string(),
            "unknown provider 'gemini': use anthropic, openai or sim"
        );
        let bad = RunOpts {
            sim_speed: Some(-1.0),
            ..opts("sim")
        };
        assert!(
            client(&bad)
                .unwrap_err()
                .to_string()
                .contains("--sim-speed")
        );
    }
}
