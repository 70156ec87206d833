//! Prompt caching as the providers count it, for the mock server's usage fields.
//!
//! Anthropic ([`PromptCache`]): the prompt is tools, then system blocks, then message blocks.
//! Each `cache_control` breakpoint writes the prefix up to and including its block, if that
//! prefix reaches the model's minimum length. On lookup, each breakpoint checks its own block
//! boundary and the [`LOOKBACK_BLOCKS`] boundaries before it for the longest prefix already
//! cached. `cache_read_input_tokens` is that prefix, `cache_creation_input_tokens` the rest up to
//! the last breakpoint, `input_tokens` what follows the last breakpoint.
//!
//! OpenAI ([`AutoCache`]): no breakpoints; the longest prefix an earlier request sent is cached,
//! in steps of 128 tokens from 1024 on.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use huddle::llm::sim::min_cacheable_tokens;
use huddle::llm::{LlmRequest, Output, Role, Usage, estimate_tokens};

/// Block boundaries before a breakpoint that the API checks for a cached prefix.
pub const LOOKBACK_BLOCKS: usize = 20;

/// One block boundary of a prompt: the hash of everything up to it, and its length in tokens.
struct Boundary {
    hash: u64,
    tokens: u64,
    breakpoint: bool,
}

/// The Anthropic prompt cache of one mock server.
#[derive(Debug, Default)]
pub struct PromptCache {
    entries: HashSet<u64>,
    /// Shortest cacheable prefix in tokens; `None`: the model's, as the API has it.
    pub minimum: Option<u64>,
}

impl PromptCache {
    /// A cache whose shortest cacheable prefix is `minimum` tokens for every model.
    pub fn with_minimum(minimum: u64) -> Self {
        Self {
            entries: HashSet::new(),
            minimum: Some(minimum),
        }
    }

    /// The usage the API reports for `req` answered with `reply`, and the cache writes it makes.
    pub fn usage(&mut self, req: &LlmRequest, reply: &str) -> Usage {
        let minimum = self
            .minimum
            .unwrap_or_else(|| min_cacheable_tokens(&req.model));
        let (boundaries, total) = boundaries(req);
        let output_tokens = estimate_tokens(reply);
        let breakpoints: Vec<usize> = (0..boundaries.len())
            .filter(|&i| boundaries[i].breakpoint && boundaries[i].tokens >= minimum)
            .collect();
        let Some(&last) = breakpoints.last() else {
            return Usage {
                input_tokens: total,
                output_tokens,
                ..Usage::default()
            };
        };
        let read = breakpoints
            .iter()
            .filter_map(|&b| {
                (b.saturating_sub(LOOKBACK_BLOCKS)..=b)
                    .rev()
                    .find(|&j| self.entries.contains(&boundaries[j].hash))
                    .map(|j| boundaries[j].tokens)
            })
            .max()
            .unwrap_or(0);
        self.entries
            .extend(breakpoints.iter().map(|&b| boundaries[b].hash));
        let cached = boundaries[last].tokens;
        Usage {
            input_tokens: total - cached,
            output_tokens,
            cache_write_tokens: cached - read,
            cache_read_tokens: read,
        }
    }
}

/// Every block boundary of the prompt in cache order (tools, system, messages), and the prompt's
/// length in tokens. The model and the tools belong to every prefix: a cache is per model, and
/// other tools change every prefix after them.
fn boundaries(req: &LlmRequest) -> (Vec<Boundary>, u64) {
    let mut hasher = DefaultHasher::new();
    req.model.hash(&mut hasher);
    let mut text = match &req.output {
        Output::Json {
            name,
            description,
            schema,
        } => serde_json::json!({"name": name, "description": description, "input_schema": schema})
            .to_string(),
        Output::Text => String::new(),
    };
    text.hash(&mut hasher);
    let blocks = req
        .system
        .iter()
        .map(|p| ("system", p))
        .chain(req.messages.iter().flat_map(|m| {
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            m.parts.iter().map(move |p| (role, p))
        }));
    let mut out = Vec::new();
    for (role, part) in blocks {
        (role, &part.text).hash(&mut hasher);
        text.push_str(&part.text);
        out.push(Boundary {
            hash: hasher.clone().finish(),
            tokens: estimate_tokens(&text),
            breakpoint: part.cache,
        });
    }
    (out, estimate_tokens(&text))
}

/// Tokens per step of OpenAI's automatic prefix cache.
const AUTO_STEP_TOKENS: u64 = 128;

/// The automatic prompt cache of an OpenAI-compatible mock server.
#[derive(Debug, Default)]
pub struct AutoCache {
    entries: HashSet<u64>,
    /// Shortest cached prefix in tokens; `None`: 1024, as OpenAI has it.
    pub minimum: Option<u64>,
}

impl AutoCache {
    /// The usage the API reports for `req` answered with `reply`: the longest prefix of the
    /// prompt, in whole steps, that an earlier request sent is cached.
    pub fn usage(&mut self, req: &LlmRequest, reply: &str) -> Usage {
        let minimum = self.minimum.unwrap_or(1024);
        let mut prompt = req.system_text();
        for m in &req.messages {
            prompt.push_str(&m.text());
        }
        let chars: Vec<char> = prompt.chars().collect();
        let total = estimate_tokens(&prompt);
        // estimate_tokens counts four characters a token.
        let step_chars = (AUTO_STEP_TOKENS * 4) as usize;
        let mut hasher = DefaultHasher::new();
        req.model.hash(&mut hasher);
        let mut cached = 0;
        let mut seen_now = Vec::new();
        for (k, step) in chars.chunks(step_chars).enumerate() {
            if step.len() < step_chars {
                break;
            }
            step.hash(&mut hasher);
            let hash = hasher.clone().finish();
            let tokens = (k as u64 + 1) * AUTO_STEP_TOKENS;
            if tokens >= minimum && self.entries.contains(&hash) {
                cached = tokens;
            }
            seen_now.push(hash);
        }
        self.entries.extend(seen_now);
        Usage {
            input_tokens: total - cached,
            output_tokens: estimate_tokens(reply),
            cache_write_tokens: 0,
            cache_read_tokens: cached,
        }
    }
}
