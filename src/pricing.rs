//! Cost of a call from its token usage and the pricing table in `assets/pricing.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::llm::Usage;

/// USD per million tokens of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
pub struct Rates {
    pub input: f64,
    pub output: f64,
    #[serde(default)]
    pub cache_write: f64,
    #[serde(default)]
    pub cache_read: f64,
}

/// Rates by model-name prefix.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Pricing {
    models: BTreeMap<String, Rates>,
}

impl Pricing {
    /// The table shipped in the binary.
    pub fn builtin() -> Self {
        toml::from_str(include_str!("../assets/pricing.toml"))
            .expect("assets/pricing.toml is valid")
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
}
