//! LLM providers: one request/response shape shared by the Anthropic Messages API, OpenAI-compatible
//! chat completions and the offline simulation, plus retry with backoff.

pub mod anthropic;
pub mod openai;
pub mod retry;
pub mod sim;
pub mod sse;

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Who wrote a chat message sent to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// One piece of text in a prompt. `cache` marks the end of a stable prefix: providers that support
/// prompt caching (Anthropic `cache_control`) put a cache breakpoint after this part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub text: String,
    #[serde(default)]
    pub cache: bool,
}

impl Part {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            cache: false,
        }
    }
    pub fn cached(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            cache: true,
        }
    }
}

/// One chat message sent to the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub parts: Vec<Part>,
}

impl ChatMessage {
    pub fn user(parts: Vec<Part>) -> Self {
        Self {
            role: Role::User,
            parts,
        }
    }
    pub fn assistant(text: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            parts: vec![Part::new(text)],
        }
    }
    /// All parts joined, as the model reads them.
    pub fn text(&self) -> String {
        self.parts
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("")
    }
}

/// What shape the reply must have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Output {
    /// Free text.
    Text,
    /// A JSON object matching `schema`, requested through the provider's structured-output means
    /// (Anthropic: a forced tool named `name`; OpenAI: `response_format: json_schema` named `name`).
    Json {
        name: String,
        description: String,
        schema: serde_json::Value,
    },
}

/// One call to a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmRequest {
    pub model: String,
    pub system: Vec<Part>,
    pub messages: Vec<ChatMessage>,
    pub max_tokens: u32,
    pub output: Output,
    pub temperature: Option<f32>,
}

impl LlmRequest {
    /// The system prompt as one string.
    pub fn system_text(&self) -> String {
        self.system
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("")
    }
    /// The same request asking for free text: for servers without structured output, whose reply
    /// is then read as JSON inside the text.
    pub fn as_plain_text(&self) -> LlmRequest {
        LlmRequest {
            output: Output::Text,
            ..self.clone()
        }
    }

    /// Name of the structured output, if one is requested.
    pub fn output_name(&self) -> Option<&str> {
        match &self.output {
            Output::Json { name, .. } => Some(name),
            Output::Text => None,
        }
    }
}

/// Token usage of one call, from the provider's own usage fields.
/// `input_tokens` counts uncached input only (Anthropic's meaning); cache reads and writes are separate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_write_tokens: u64,
    pub cache_read_tokens: u64,
}

impl Usage {
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
        self.cache_read_tokens += other.cache_read_tokens;
    }
    /// Every token, of every kind.
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens + self.cache_write_tokens + self.cache_read_tokens
    }
}

/// The whole reply of one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmResponse {
    /// Text reply; for [`Output::Json`] the JSON text of the structured output.
    pub text: String,
    pub usage: Usage,
    pub stop_reason: Option<String>,
    pub model: String,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("{provider} rejected the credentials (HTTP {status}): check {env_var}")]
    Auth {
        provider: &'static str,
        status: u16,
        env_var: &'static str,
    },
    #[error("HTTP {status}: {message}")]
    Http {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("stream broke off: {0}")]
    Stream(String),
    #[error("API error {kind}: {message}")]
    Api { kind: String, message: String },
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("unreadable response: {0}")]
    Decode(String),
    #[error("cancelled")]
    Cancelled,
}

impl LlmError {
    /// Whether the same call may succeed when sent again (SPEC §4: 429, 408, 409, 5xx, 529,
    /// dropped streams, overload).
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Http { status, .. } => matches!(status, 408 | 409 | 429 | 500..=599),
            LlmError::Connect(_) | LlmError::Stream(_) | LlmError::Timeout(_) => true,
            LlmError::Api { kind, .. } => matches!(
                kind.as_str(),
                "overloaded_error" | "rate_limit_error" | "api_error" | "timeout_error"
            ),
            LlmError::Auth { .. } | LlmError::Decode(_) | LlmError::Cancelled => false,
        }
    }
    /// The wait the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            LlmError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Receives streamed output text as it arrives (for [`Output::Json`], raw JSON fragments).
pub type DeltaSink<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// A configured model provider. An enum rather than a trait object: there are three, all known.
#[derive(Debug, Clone)]
pub enum Client {
    Anthropic(anthropic::AnthropicClient),
    OpenAi(openai::OpenAiClient),
    Sim(sim::SimClient),
}

impl Client {
    /// One attempt at a call, streaming. Retries live in [`retry`].
    pub async fn stream(
        &self,
        req: &LlmRequest,
        on_delta: DeltaSink<'_>,
    ) -> Result<LlmResponse, LlmError> {
        match self {
            Client::Anthropic(c) => c.stream(req, on_delta).await,
            Client::OpenAi(c) => c.stream(req, on_delta).await,
            Client::Sim(c) => c.stream(req, on_delta).await,
        }
    }
    /// Provider name as used on the command line.
    pub fn provider(&self) -> &'static str {
        match self {
            Client::Anthropic(_) => "anthropic",
            Client::OpenAi(_) => "openai",
            Client::Sim(_) => "sim",
        }
    }
    /// Whether this is the offline simulation (the UI must say so).
    pub fn is_simulated(&self) -> bool {
        matches!(self, Client::Sim(_))
    }
}

/// Parses a `retry-after` (seconds, possibly fractional) or `retry-after-ms` header value.
pub fn parse_retry_after(
    retry_after: Option<&str>,
    retry_after_ms: Option<&str>,
) -> Option<Duration> {
    if let Some(ms) = retry_after_ms.and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_micros((ms * 1000.0) as u64));
    }
    let secs = retry_after.and_then(|v| v.trim().parse::<f64>().ok())?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_millis((secs * 1000.0) as u64))
}

/// Rough token estimate (about four characters a token) used by the simulation and by mock servers.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}
