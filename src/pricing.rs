//! Cost of a call from its token usage and the pricing table in `assets/pricing.toml`, with the
//! person's own rates from `$XDG_CONFIG_HOME/huddle/pricing.toml` over it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::llm::Usage;

/// USD per million tokens of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    pub input: f64,
    pub output: f64,
    #[serde(default)]
    pub cache_write: f64,
    #[serde(default)]
    pub cache_read: f64,
}

impl Rates {
    fn is_valid(&self) -> bool {
        [self.input, self.output, self.cache_write, self.cache_read]
            .iter()
            .all(|r| r.is_finite() && *r >= 0.0)
    }
}

/// Rates by model-name prefix.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    models: BTreeMap<String, Rates>,
}

impl Pricing {
    /// The table shipped in the binary.
    pub fn builtin() -> Self {
        toml::from_str(include_str!("../assets/pricing.toml"))
            .expect("assets/pricing.toml is valid")
    }

    /// `$XDG_CONFIG_HOME/huddle/pricing.toml`.
    pub fn user_path() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("huddle").join("pricing.toml"))
    }

    /// This table with the models of the file at `path` added, or replacing the shipped rates
    /// of the same name (a model the table lacks, a negotiated price). A missing file changes
    /// nothing; a broken one is an error naming the file, line and column.
    pub fn with_file(mut self, path: &Path) -> Result<Self, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(self),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let own: Pricing = toml::from_str(&text).map_err(|e| {
            let (line, col) = crate::team::line_col(&text, e.span().map_or(0, |s| s.start));
            format!("{}:{line}:{col}: {}", path.display(), e.message())
        })?;
        if let Some((model, _)) = own.models.iter().find(|(_, r)| !r.is_valid()) {
            return Err(format!(
                "{}: the rates of \"{model}\" must be numbers of 0 or more",
                path.display()
            ));
        }
        self.models.extend(own.models);
        Ok(self)
    }

    /// Rates of the longest listed prefix of `model`; `None` for unlisted models (free).
    pub fn rates(&self, model: &str) -> Option<Rates> {
        self.models
            .iter()
            .filter(|(prefix, _)| model.starts_with(prefix.as_str()))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, r)| *r)
    }

    /// Cost in USD of one call.
    pub fn cost(&self, model: &str, usage: &Usage) -> f64 {
        let Some(r) = self.rates(model) else {
            return 0.0;
        };
        (usage.input_tokens as f64 * r.input
            + usage.output_tokens as f64 * r.output
            + usage.cache_write_tokens as f64 * r.cache_write
            + usage.cache_read_tokens as f64 * r.cache_read)
            / 1_000_000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_every_kind_is_priced() {
        let p = Pricing::builtin();
        let u = Usage {
            input_tokens: 1_000_000,
            output_tokens: 100_000,
            cache_write_tokens: 200_000,
            cache_read_tokens: 2_000_000,
        };
        // claude-sonnet-4-5-20250929 → claude-sonnet-4: 3 + 1.5 + 0.75 + 0.6
        assert!((p.cost("claude-sonnet-4-5-20250929", &u) - 5.85).abs() < 1e-9);
        // gpt-4o-mini must not be priced as gpt-4o: 0.15 + 0.06 + 0 + 0.15
        assert!((p.cost("gpt-4o-mini", &u) - 0.36).abs() < 1e-9);
        assert_eq!(p.cost("llama3.1:8b", &u), 0.0);
        assert_eq!(p.cost("sim-1", &u), 0.0);
    }

    #[test]
    fn the_persons_file_adds_and_replaces_rates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pricing.toml");
        let p = Pricing::builtin();
        assert_eq!(
            p.clone().with_file(&path).unwrap().rates("gpt-4o"),
            p.rates("gpt-4o"),
            "no file: the shipped table"
        );
        std::fs::write(
            &path,
            "[models.\"llama3.1\"]\ninput = 0.1\noutput = 0.2\n\n[models.\"gpt-4o\"]\ninput = 2.0\noutput = 8.0\n",
        )
        .unwrap();
        let mine = p.clone().with_file(&path).unwrap();
        let u = Usage {
            input_tokens: 1_000_000,
            output_tokens: 1_000_000,
            cache_write_tokens: 0,
            cache_read_tokens: 1_000_000,
        };
        assert!((mine.cost("llama3.1:8b", &u) - 0.3).abs() < 1e-9);
        // Replaced whole: no cache-read rate given, so reads cost nothing.
        assert!((mine.cost("gpt-4o-2024-08-06", &u) - 10.0).abs() < 1e-9);
        // Others keep the shipped rates.
        assert_eq!(mine.rates("gpt-4o-mini"), p.rates("gpt-4o-mini"));

        std::fs::write(&path, "[models.x]\ninput = 1.0\nouput = 2.0\n").unwrap();
        let err = p.clone().with_file(&path).unwrap_err();
        assert!(
            err.contains("pricing.toml:3:1") && err.contains("ouput"),
            "{err}"
        );
        std::fs::write(&path, "[models.x]\ninput = -1.0\noutput = 2.0\n").unwrap();
        let err = p.with_file(&path).unwrap_err();
        assert!(err.contains("\"x\"") && err.contains("0 or more"), "{err}");
    }
}
