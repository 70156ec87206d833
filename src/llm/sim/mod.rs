//! The offline simulated provider `sim`: a deterministic, protocol-following stand-in for a model,
//! used when no API key is set (demo), in tests, and by the mock HTTP servers in `tests/`.
//!
//! [`reply_text`] reads a request the way a model would, by the section headers of
//! [`crate::engine::protocol`], and writes the planner's plan, an agent's next message, a final
//! result or an aggregation. [`SimClient`] streams that text with realistic pacing and token
//! usage (prompt caching included), and can be told to misbehave through [`SimFaults`].

mod agent;
mod docs;
mod facts;
mod planner;
mod read;
mod rng;
mod task;
#[cfg(test)]
mod tests;
mod topics;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use self::rng::{Rng, hash_parts};
use super::{DeltaSink, LlmError, LlmRequest, LlmResponse, Output, Usage, estimate_tokens};
use crate::engine::event::USER;
use crate::engine::protocol::{MESSAGE_TOOL, PLAN_TOOL, header};

/// What kind of call a request is, as a model would tell from the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plan,
    Turn,
    Final,
    Aggregate,
    Summary,
    Other,
}

fn kind(req: &LlmRequest) -> Kind {
    let last = read::last_user(req);
    let last_has = |h: &str| last.lines().any(|l| l.trim_end() == h);
    match req.output_name() {
        Some(PLAN_TOOL) => return Kind::Plan,
        // The final result is a send_message too.
        Some(MESSAGE_TOOL) if !last_has(header::FINAL_RESULT) => return Kind::Turn,
        _ => {}
    }
    if last_has(header::TO_SUMMARIZE) {
        Kind::Summary
    } else if last_has(header::FINAL_RESULT) {
        Kind::Final
    } else if read::has_header(req, header::CHILD_RESULTS) {
        Kind::Aggregate
    } else if read::has_header(req, header::ROSTER) && read::has_header(req, header::TASK) {
        // The planner without structured output: the same JSON, as text.
        Kind::Plan
    } else if read::has_header(req, header::CONVERSATION)
        && (last_has(header::YOUR_TURN) || last_has(header::PROTOCOL_ERROR))
    {
        Kind::Turn
    } else {
        Kind::Other
    }
}

/// The simulated model's full reply text to `req` (JSON text for structured output). Always
/// follows the protocol; the same request and seed give the same text.
pub fn reply_text(req: &LlmRequest, seed: u64) -> String {
    match kind(req) {
        Kind::Plan => serde_json::to_string(&planner::plan(req, seed)).unwrap_or_default(),
        Kind::Turn => serde_json::to_string(&agent::turn(req, seed)).unwrap_or_default(),
        Kind::Final => {
            let text = agent::final_text(req, seed);
            match req.output {
                Output::Json { .. } => serde_json::to_string(&agent::Turn {
                    to: vec![USER.into()],
                    content: text,
                })
                .unwrap_or_default(),
                Output::Text => text,
            }
        }
        Kind::Aggregate => docs::aggregate(req, seed),
        Kind::Summary => docs::running_summary(req),
        Kind::Other => {
            let answer = docs::short_answer(req);
            match req.output {
                Output::Json { .. } => serde_json::json!({ "answer": answer }).to_string(),
                Output::Text => answer,
            }
        }
    }
}

/// A reply that breaks the protocol, for fault injection. A re-ask (or a re-plan with problems)
/// is never broken, so the engine's single re-ask always succeeds.
fn broken(req: &LlmRequest, text: &str, rng: &mut Rng) -> String {
    match kind(req) {
        Kind::Turn if !read::has_header(req, header::PROTOCOL_ERROR) => {
            let content = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| {
                    v.get("content")
                        .and_then(|c| c.as_str())
                        .map(str::to_string)
                })
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(|| "I think we are nearly there.".to_string());
            match rng.below(3) {
                0 => content,
                1 => {
                    let members = read::agent_prompt(&req.system_text()).members;
                    let stranger = ["project_manager", "coordinator", "team_assistant"]
                        .into_iter()
                        .find(|s| !members.iter().any(|m| m.name == *s))
                        .unwrap_or("nobody_here");
                    serde_json::json!({ "to": [stranger], "content": content }).to_string()
                }
                _ => String::new(),
            }
        }
        Kind::Plan if !read::has_header(req, header::PROBLEMS) => planner::flawed(text),
        _ => text.to_string(),
    }
}

/// How fast the simulation streams.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    /// Typical wait before the first token; each call varies it by ±40% (seeded).
    pub first_token: Duration,
    /// Output speed; not finite or not positive means no waiting between tokens.
    pub tokens_per_sec: f64,
}

impl Pacing {
    /// Like a hosted model: first token after 300–700 ms, then about 90 tokens a second.
    pub fn realistic() -> Self {
        Pacing {
            first_token: Duration::from_millis(500),
            tokens_per_sec: 90.0,
        }
    }

    /// No waiting at all (tests).
    pub fn instant() -> Self {
        Pacing {
            first_token: Duration::ZERO,
            tokens_per_sec: f64::INFINITY,
        }
    }

    fn per_token(&self) -> Option<f64> {
        (self.tokens_per_sec.is_finite() && self.tokens_per_sec > 0.0)
            .then(|| 1.0 / self.tokens_per_sec)
    }
}

/// How often the simulation misbehaves, each a probability per call (0 to 1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimFaults {
    /// The reply breaks the protocol (no or unknown addressee, empty; a plan with an unknown agent).
    pub protocol_error_rate: f64,
    /// The call fails with HTTP 529 or 429 before streaming, with a short `retry-after`.
    pub http_error_rate: f64,
    /// The stream breaks off part-way.
    pub stream_drop_rate: f64,
}

impl SimFaults {
    /// Reads `protocol=0.3,http=0.1,drop=0.05` (any subset, any order; empty means none).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut faults = SimFaults::default();
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (key, value) = item.split_once('=').ok_or_else(|| {
                format!("fault '{item}' must look like name=rate, e.g. protocol=0.3")
            })?;
            let rate: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|r: &f64| (0.0..=1.0).contains(r))
                .ok_or_else(|| {
                    format!(
                        "rate '{}' of fault '{}' must be a number from 0 to 1",
                        value.trim(),
                        key.trim()
                    )
                })?;
            match key.trim() {
                "protocol" => faults.protocol_error_rate = rate,
                "http" => faults.http_error_rate = rate,
                "drop" => faults.stream_drop_rate = rate,
                other => {
                    return Err(format!(
                        "unknown fault '{other}': use protocol, http or drop"
                    ));
                }
            }
        }
        Ok(faults)
    }
}

/// Prompt-cache entries, keyed by prefix length in bytes then by prefix hash.
type CacheIndex = BTreeMap<usize, HashSet<u64>>;

/// State shared by all clones of one client.
#[derive(Debug, Default)]
struct Shared {
    cache: CacheIndex,
    cache_entries: usize,
    /// How often each distinct request was sent, so that a retry draws new faults.
    attempts: HashMap<u64, u32>,
}

/// Bound on remembered cache prefixes; the cache starts over when it is full (like expiry).
const MAX_CACHE_ENTRIES: usize = 100_000;

/// The offline simulated model. Cheap to clone; clones share the prompt cache and call counts.
#[derive(Debug, Clone)]
pub struct SimClient {
    seed: u64,
    pacing: Pacing,
    faults: SimFaults,
    shared: Arc<Mutex<Shared>>,
}

impl SimClient {
    /// A simulation with realistic pacing and no faults.
    pub fn new(seed: u64) -> Self {
        SimClient {
            seed,
            pacing: Pacing::realistic(),
            faults: SimFaults::default(),
            shared: Arc::default(),
        }
    }

    pub fn with_pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    pub fn with_faults(mut self, faults: SimFaults) -> Self {
        self.faults = faults;
        self
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        // A panic elsewhere while holding the lock leaves plain data behind; keep using it.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Usage as Anthropic reports it: everything up to the last cache breakpoint is a prefix that
    /// is read from the cache as far as an earlier call cached it, and written for the rest;
    /// the text after it is plain input.
    fn usage(&self, req: &LlmRequest, output: &str) -> Usage {
        let parts = req
            .system
            .iter()
            .chain(req.messages.iter().flat_map(|m| m.parts.iter()));
        let mut full = String::new();
        let mut breakpoints = Vec::new();
        let minimum = min_cacheable_tokens(&req.model);
        for p in parts {
            full.push_str(&p.text);
            // Like the API, a prefix shorter than the model's minimum is not cached at all.
            if p.cache && estimate_tokens(&full) >= minimum {
                breakpoints.push(full.len());
            }
        }
        let total = estimate_tokens(&full);
        let output_tokens = estimate_tokens(output);
        let Some(&prefix_len) = breakpoints.last() else {
            return Usage {
                input_tokens: total,
                output_tokens,
                ..Usage::default()
            };
        };
        let prefix = &full[..prefix_len];
        let bytes = prefix.as_bytes();
        let mut shared = self.shared();
        let mut read_len = 0;
        let (mut h, mut at) = (0u64, 0usize);
        for (&len, hashes) in shared.cache.range(1..=prefix_len) {
            h = prefix_hash(h, &bytes[at..len]);
            at = len;
            if hashes.contains(&h) {
                read_len = len;
            }
        }
        if shared.cache_entries >= MAX_CACHE_ENTRIES {
            shared.cache.clear();
            shared.cache_entries = 0;
        }
        let (mut h, mut at) = (0u64, 0usize);
        for &len in &breakpoints {
            h = prefix_hash(h, &bytes[at..len]);
            at = len;
            if shared.cache.entry(len).or_default().insert(h) {
                shared.cache_entries += 1;
            }
        }
        let read = estimate_tokens(&prefix[..read_len]);
        let prefix_tokens = estimate_tokens(prefix);
        Usage {
            input_tokens: total.saturating_sub(prefix_tokens),
            output_tokens,
            cache_write_tokens: prefix_tokens.saturating_sub(read),
            cache_read_tokens: read,
        }
    }

    /// One call: decides faults, computes [`reply_text`], and streams it in token-sized chunks.
    pub async fn stream(
        &self,
        req: &LlmRequest,
        on_delta: DeltaSink<'_>,
    ) -> Result<LlmResponse, LlmError> {
        let key = request_key(req);
        let attempt = {
            let mut shared = self.shared();
            let n = shared.attempts.entry(key).or_insert(0);
            *n += 1;
            *n
        };
        let mut rng = Rng::new(self.seed, &["call", &key.to_string(), &attempt.to_string()]);
        // Every draw happens whatever the rates, so one fault's rate does not shift the others.
        let first_token = self.pacing.first_token.mul_f64(0.6 + 0.8 * rng.unit());
        let (http, drop, protocol) = (rng.unit(), rng.unit(), rng.unit());
        let drop_fraction = 0.2 + 0.6 * rng.unit();
        let overloaded = rng.chance(0.5);
        let retry_ms =
            (self.pacing.first_token.as_secs_f64() * 1000.0 * (0.5 + 2.5 * rng.unit())).max(1.0);
        let start = tokio::time::Instant::now();

        if http < self.faults.http_error_rate {
            if !first_token.is_zero() {
                tokio::time::sleep(first_token / 3).await;
            }
            let (status, message) = if overloaded {
                (529, "Overloaded (simulated)")
            } else {
                (429, "Rate limit exceeded (simulated)")
            };
            return Err(LlmError::Http {
                status,
                message: message.to_string(),
                retry_after: Some(Duration::from_millis(retry_ms as u64)),
            });
        }

        let mut text = reply_text(req, self.seed);
        if protocol < self.faults.protocol_error_rate {
            text = broken(req, &text, &mut rng);
        }
        let usage = self.usage(req, &text);
        let chunks = chunk(&text, &mut rng);
        let drop_at = (drop < self.faults.stream_drop_rate)
            .then(|| ((chunks.len() as f64 * drop_fraction) as usize).max(1));
        if !first_token.is_zero() {
            tokio::time::sleep_until(start + first_token).await;
        }
        let per_token = self.pacing.per_token();
        let mut sent_chars = 0usize;
        for (k, piece) in chunks.iter().enumerate() {
            if drop_at == Some(k) {
                return Err(LlmError::Stream(format!(
                    "connection reset after {sent_chars} characters (simulated)"
                )));
            }
            if let Some(secs) = per_token {
                let due =
                    start + first_token + Duration::from_secs_f64(sent_chars as f64 / 4.0 * secs);
                tokio::time::sleep_until(due).await;
            }
            on_delta(piece);
            sent_chars += piece.chars().count();
        }
        let stop_reason = match req.output {
            Output::Json { .. } => "tool_use",
            Output::Text => "end_turn",
        };
        Ok(LlmResponse {
            text,
            usage,
            stop_reason: Some(stop_reason.to_string()),
            model: req.model.clone(),
        })
    }
}

/// The shortest prefix Anthropic caches: 2048 tokens for Haiku models, 1024 for the others.
pub fn min_cacheable_tokens(model: &str) -> u64 {
    if model.to_ascii_lowercase().contains("haiku") {
        2048
    } else {
        1024
    }
}

/// Continues a polynomial hash over `bytes`, so that the hash of every prefix length comes out
/// of one pass.
fn prefix_hash(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h = h
            .wrapping_mul(0x0100_0000_01b3)
            .wrapping_add(u64::from(*b) + 1);
    }
    h
}

/// Identity of a request, for counting attempts.
fn request_key(req: &LlmRequest) -> u64 {
    let mut texts = vec![
        req.model.clone(),
        req.system_text(),
        req.output_name().unwrap_or("text").to_string(),
    ];
    texts.extend(
        req.messages
            .iter()
            .map(|m| format!("{:?}:{}", m.role, m.text())),
    );
    hash_parts(&texts.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Token-sized pieces of about four characters (three to five), split on character boundaries.
fn chunk(text: &str, rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut size = rng.range(3, 5) as usize;
    for c in text.chars() {
        current.push(c);
        if current.chars().count() >= size {
            out.push(std::mem::take(&mut current));
            size = rng.range(3, 5) as usize;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
