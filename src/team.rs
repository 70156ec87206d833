//! Team rosters: the agents a planner may staff workspaces with, loaded from TOML team files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::budget::{Limits, usd_limit};

/// One specialist agent. Its address is `name@team`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub name: String,
    pub team: String,
    pub description: String,
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Model for this agent's turns instead of the run's model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Extra instructions added to the agent's persona.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
}

impl Agent {
    /// `name@team`.
    pub fn address(&self) -> String {
        format!("{}@{}", self.name, self.team)
    }
}

/// Spending limits of the workspaces a team works in: `[limits]` in the team file. A workspace's
/// limits count its own calls (for a parent workspace, its aggregation), tokens of every kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamLimits {
    /// Tokens each workspace may spend, unless `workspaces` says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_tokens: Option<u64>,
    /// USD each workspace may spend, unless `workspaces` says otherwise.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "usd_limit"
    )]
    pub workspace_usd: Option<f64>,
    /// Limits of single workspaces by plan id; they replace the defaults.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub workspaces: BTreeMap<String, Limits>,
}

impl TeamLimits {
    /// The default limits of every workspace.
    pub fn workspace(&self) -> Limits {
        Limits {
            tokens: self.workspace_tokens,
            usd: self.workspace_usd,
        }
    }

    fn is_empty(&self) -> bool {
        self.workspace().is_none() && self.workspaces.is_empty()
    }
}

/// A roster of agents, as read from one team file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Words in a task that make this preset the natural choice.
    #[serde(default)]
    pub keywords: Vec<String>,
    pub agents: Vec<Agent>,
    /// Per-workspace spending limits.
    #[serde(default, skip_serializing_if = "TeamLimits::is_empty")]
    pub limits: TeamLimits,
}

impl Team {
    pub fn agent(&self, name: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.name == name)
    }
}

/// A team file that cannot be used, with the place of the problem.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("{path}: cannot read team file: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{col}: {message}")]
    Invalid {
        path: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("unknown team preset '{0}' (see `huddle teams`)")]
    UnknownPreset(String),
}

/// The team files shipped inside the binary: (preset name, TOML text).
pub const PRESETS: &[(&str, &str)] = &[
    (
        "conference",
        include_str!("../assets/teams/conference.toml"),
    ),
    ("launch", include_str!("../assets/teams/launch.toml")),
    ("content", include_str!("../assets/teams/content.toml")),
    ("festival", include_str!("../assets/teams/festival.toml")),
];

/// Loads a preset by name.
pub fn preset(name: &str) -> Result<Team, TeamError> {
    let (_, text) = PRESETS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| TeamError::UnknownPreset(name.to_string()))?;
    parse(text, &format!("preset:{name}"))
}

/// All presets, parsed.
pub fn presets() -> Vec<Team> {
    PRESETS.iter().filter_map(|(n, _)| preset(n).ok()).collect()
}

/// The preset whose keywords best match the task; `conference` when none match.
pub fn preset_for_task(task: &str) -> Team {
    // Whole words only: "app" must not match "happy".
    let words = crate::text::padded_words;
    let task = words(task);
    let score = |t: &Team| {
        t.keywords
            .iter()
            .filter(|k| task.contains(&words(k)))
            .count()
    };
    let teams = presets();
    let best = teams
        .iter()
        .max_by_key(|t| score(t))
        .filter(|t| score(t) > 0)
        .cloned();
    best.or_else(|| teams.into_iter().find(|t| t.name == "conference"))
        .expect("the conference preset ships with the binary")
}

/// `--team` takes a file path or a preset name.
pub fn load(spec: &str) -> Result<Team, TeamError> {
    let path = PathBuf::from(spec);
    if path.exists() || spec.contains('/') || spec.ends_with(".toml") {
        load_file(&path)
    } else {
        preset(spec)
    }
}

/// Reads and checks a team file.
pub fn load_file(path: &Path) -> Result<Team, TeamError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TeamError::Io {
        path: shown.clone(),
        source,
    })?;
    parse(&text, &shown)
}

/// Raw shape used to keep the source positions of names for error messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeam {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    keywords: Vec<String>,
    agents: toml::Spanned<Vec<toml::Spanned<RawAgent>>>,
    #[serde(default)]
    limits: TeamLimits,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    name: toml::Spanned<String>,
    team: toml::Spanned<String>,
    description: String,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    instructions: Option<String>,
}

/// Parses and checks team-file text; `path` is only used in messages.
pub fn parse(text: &str, path: &str) -> Result<Team, TeamError> {
    let invalid = |span: Option<std::ops::Range<usize>>, message: String| {
        let (line, col) = line_col(text, span.map(|s| s.start).unwrap_or(0));
        TeamError::Invalid {
            path: path.to_string(),
            line,
            col,
            message,
        }
    };
    let raw: RawTeam =
        toml::from_str(text).map_err(|e| invalid(e.span(), e.message().to_string()))?;
    let mut agents: Vec<Agent> = Vec::with_capacity(raw.agents.get_ref().len());
    for spanned in raw.agents.get_ref() {
        let a = spanned.get_ref();
        let name = a.name.get_ref().trim();
        if !valid_name(name) {
            return Err(invalid(
                Some(a.name.span()),
                format!(
                    "agent name '{name}' must be letters, digits, '_' or '-' (no spaces or '@')"
                ),
            ));
        }
        if !valid_name(a.team.get_ref().trim()) {
            return Err(invalid(
                Some(a.team.span()),
                format!(
                    "team name '{}' must be letters, digits, '_' or '-'",
                    a.team.get_ref()
                ),
            ));
        }
        // Replies address agents ignoring case, so names must differ in more than case.
        if name.eq_ignore_ascii_case("USER") || name.eq_ignore_ascii_case("ALL") {
            return Err(invalid(
                Some(a.name.span()),
                format!("'{name}' is reserved for addressing"),
            ));
        }
        if let Some(b) = agents.iter().find(|b| b.name.eq_ignore_ascii_case(name)) {
            let detail = if b.name == name {
                String::new()
            } else {
                format!(" (same as '{}' ignoring case)", b.name)
            };
            return Err(invalid(
                Some(a.name.span()),
                format!("duplicate agent name '{name}'{detail}: names are unique in a roster"),
            ));
        }
        agents.push(Agent {
            name: name.to_string(),
            team: a.team.get_ref().trim().to_string(),
            description: a.description.trim().to_string(),
            capabilities: a.capabilities.clone(),
            model: a.model.clone(),
            instructions: a.instructions.clone(),
        });
    }
    if agents.len() < 2 {
        return Err(invalid(
            Some(raw.agents.span()),
            format!(
                "a team needs at least 2 agents, this one has {}",
                agents.len()
            ),
        ));
    }
    Ok(Team {
        name: raw.name,
        description: raw.description,
        keywords: raw.keywords,
        agents,
        limits: raw.limits,
    })
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_and_the_conference_has_the_nine_agents() {
        for (name, _) in PRESETS {
            preset(name).unwrap_or_else(|e| panic!("{e}"));
        }
        let conf = preset("conference").unwrap();
        let names: Vec<_> = conf.agents.iter().map(Agent::address).collect();
        assert_eq!(
            names,
            [
                "venue_coordinator@venue_team",
                "catering_manager@venue_team",
                "tech_setup@venue_team",
                "program_director@content_team",
                "speaker_coordinator@content_team",
                "content_reviewer@content_team",
                "marketing_manager@marketing_team",
                "social_media_specialist@marketing_team",
                "registration_coordinator@marketing_team",
            ]
        );
    }

    #[test]
    fn syntax_error_names_file_line_and_column() {
        let text = "name = \"x\"\n[[agents]]\nname = \"a\"\nteam = = \"t\"\n";
        let err = parse(text, "teams/x.toml").unwrap_err().to_string();
        assert!(err.starts_with("teams/x.toml:4:"), "{err}");
    }

    #[test]
    fn duplicate_agent_points_at_the_second_name() {
        let text = "name = \"x\"\n\n[[agents]]\nname = \"a\"\nteam = \"t\"\ndescription = \"d\"\n\n[[agents]]\nname = \"a\"\nteam = \"t\"\ndescription = \"d\"\n";
        let err = parse(text, "f.toml").unwrap_err().to_string();
        assert_eq!(
            err,
            "f.toml:9:8: duplicate agent name 'a': names are unique in a roster"
        );
    }

    #[test]
    fn missing_field_and_team_of_one_are_refused() {
        let missing = "name = \"x\"\n[[agents]]\nname = \"a\"\nteam = \"t\"\n";
        let err = parse(missing, "f.toml").unwrap_err().to_string();
        assert!(err.contains("description"), "{err}");
        let one = "name = \"x\"\n[[agents]]\nname = \"a\"\nteam = \"t\"\ndescription = \"d\"\n";
        let err = parse(one, "f.toml").unwrap_err().to_string();
        assert!(err.contains("at least 2 agents"), "{err}");
    }

    #[test]
    fn limits_set_a_default_and_single_workspaces() {
        let agents = "[[agents]]\nname = \"a\"\nteam = \"t\"\ndescription = \"d\"\n\n[[agents]]\nname = \"b\"\nteam = \"t\"\ndescription = \"d\"\n";
        let text = format!(
            "name = \"x\"\n{agents}\n[limits]\nworkspace_tokens = 60000\nworkspace_usd = 0.5\n\n[limits.workspaces.venue]\ntokens = 100000\n"
        );
        let team = parse(&text, "f.toml").unwrap();
        assert_eq!(team.limits.workspace_tokens, Some(60_000));
        assert_eq!(team.limits.workspace_usd, Some(0.5));
        assert_eq!(team.limits.workspaces["venue"].tokens, Some(100_000));
        assert_eq!(team.limits.workspaces["venue"].usd, None);
        // Kept whole in a session's settings.json.
        let json = serde_json::to_string(&team).unwrap();
        assert_eq!(serde_json::from_str::<Team>(&json).unwrap(), team);

        let negative = format!("name = \"x\"\n{agents}\n[limits]\nworkspace_usd = -1.0\n");
        let err = parse(&negative, "f.toml").unwrap_err().to_string();
        assert!(err.starts_with("f.toml:13:17:"), "{err}");
        assert!(err.contains("0 or more"), "{err}");
        let typo = format!("name = \"x\"\n{agents}\n[limits.workspaces.venue]\ntokenz = 5\n");
        let err = parse(&typo, "f.toml").unwrap_err().to_string();
        assert!(err.starts_with("f.toml:13:1:"), "{err}");
    }

    #[test]
    fn the_limits_example_in_the_conference_preset_parses() {
        let (_, text) = PRESETS[0];
        let example: String = text
            .lines()
            .skip_while(|l| !l.starts_with("# [limits]"))
            .map(|l| format!("{}\n", l.trim_start_matches("# ")))
            .collect();
        let team = parse(&format!("{text}\n{example}"), "conference.toml").unwrap();
        assert_eq!(team.limits.workspace_tokens, Some(60_000));
        assert_eq!(team.limits.workspaces["venue"].tokens, Some(100_000));
        assert_eq!(preset("conference").unwrap().limits, TeamLimits::default());
    }

    #[test]
    fn task_words_pick_the_preset() {
        assert_eq!(
            preset_for_task("Plan a product launch for our app").name,
            "launch"
        );
        assert_eq!(
            preset_for_task("Run a three-day music festival").name,
            "festival"
        );
        assert_eq!(
            preset_for_task("Organize a tech conference").name,
            "conference"
        );
        assert_eq!(preset_for_task("something unrelated").name, "conference");
    }
}
