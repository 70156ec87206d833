//! OpenAI-compatible chat completions client (OpenAI, Ollama, vLLM, llama.cpp, OpenRouter): one
//! streaming call to `POST {base}/chat/completions` with usage requested in the last chunk.

use std::fmt;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::{Deserialize, Serialize};

use super::sse::{self, AuthHint, Endpoint};
use super::{DeltaSink, LlmError, LlmRequest, LlmResponse, Output, Role, Usage};

/// Where the OpenAI API lives unless `OPENAI_BASE_URL` says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
const PROVIDER: &str = "OpenAI-compatible API";
const AUTH: AuthHint = AuthHint {
    provider: "OpenAI",
    env_var: "OPENAI_API_KEY",
};

/// A client of an OpenAI-compatible chat completions API. Cheap to clone.
#[derive(Clone)]
pub struct OpenAiClient {
    endpoint: Endpoint,
    has_key: bool,
    auth_header: Option<HeaderValue>,
}

impl fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("base_url", &self.endpoint.base_url())
            .field("api_key", &self.has_key.then_some("[redacted]"))
            .field("read_timeout", &self.endpoint.read_timeout())
            .finish_non_exhaustive()
    }
}

impl OpenAiClient {
    /// A client for `base_url` (e.g. [`DEFAULT_BASE_URL`] or `http://localhost:11434/v1`). Without a
    /// key (or with an empty one) no `Authorization` header is sent, as local servers expect.
    pub fn new(base_url: impl Into<String>, api_key: Option<String>) -> Result<Self, LlmError> {
        let api_key = api_key
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty());
        let secret = api_key.clone().unwrap_or_default();
        let endpoint = Endpoint::new(base_url.into(), "chat/completions", secret, PROVIDER, AUTH)?;
        let auth_header = api_key
            .as_ref()
            .map(|key| endpoint.secret_header(&format!("Bearer {key}")))
            .transpose()?;
        Ok(Self {
            endpoint,
            has_key: api_key.is_some(),
            auth_header,
        })
    }

    /// Sets how long the server may stay silent (before answering, or mid-stream) before the call
    /// fails with [`LlmError::Timeout`]. Default 120 s.
    pub fn with_read_timeout(mut self, read_timeout: Duration) -> Self {
        self.endpoint.set_read_timeout(read_timeout);
        self
    }

    /// The base URL as given.
    pub fn base_url(&self) -> &str {
        self.endpoint.base_url()
    }

    /// One streaming call, no retries. `on_delta` receives each content fragment as it arrives.
    pub async fn stream(
        &self,
        req: &LlmRequest,
        on_delta: DeltaSink<'_>,
    ) -> Result<LlmResponse, LlmError> {
        let mut request = self
            .endpoint
            .post()
            .header(CONTENT_TYPE, "application/json")
            .json(&request_body(req));
        if let Some(auth) = &self.auth_header {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let mut events = self.endpoint.open(request).await?;
        let mut state = StreamState::default();
        while let Some(event) = events.next().await {
            let event = event?;
            if state.handle(&event.data, on_delta)? == Flow::Done {
                break;
            }
        }
        state.finish(req)
    }
}

/// The JSON body of a chat completions call.
#[derive(Debug, Serialize)]
struct RequestBody<'a> {
    model: &'a str,
    messages: Vec<MessageBody>,
    max_tokens: u32,
    stream: bool,
    stream_options: StreamOptions,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<ResponseFormat<'a>>,
}

#[derive(Debug, Serialize)]
struct MessageBody {
    role: &'static str,
    content: String,
}

#[derive(Debug, Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Debug, Serialize)]
struct ResponseFormat<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    json_schema: JsonSchema<'a>,
}

#[derive(Debug, Serialize)]
struct JsonSchema<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    schema: &'a serde_json::Value,
    strict: bool,
}

fn request_body(req: &LlmRequest) -> RequestBody<'_> {
    let system = req.system_text();
    let messages = (!system.is_empty())
        .then_some(MessageBody {
            role: "system",
            content: system,
        })
        .into_iter()
        .chain(req.messages.iter().map(|m| MessageBody {
            role: match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            },
            content: m.text(),
        }))
        .collect();
    let response_format = match &req.output {
        Output::Text => None,
        Output::Json {
            name,
            description,
            schema,
        } => Some(ResponseFormat {
            kind: "json_schema",
            json_schema: JsonSchema {
                name,
                description,
                schema,
                strict: false,
            },
        }),
    };
    RequestBody {
        model: &req.model,
        messages,
        max_tokens: req.max_tokens,
        stream: true,
        stream_options: StreamOptions {
            include_usage: true,
        },
        temperature: req.temperature,
        response_format,
    }
}

/// One `data:` chunk of the stream.
#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<ApiUsage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    delta: Option<ChoiceDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChoiceDelta {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Debug, Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

impl ApiUsage {
    fn to_usage(&self) -> Usage {
        let prompt = self.prompt_tokens.unwrap_or(0);
        let cached = self
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0);
        Usage {
            input_tokens: prompt.saturating_sub(cached),
            output_tokens: self.completion_tokens.unwrap_or(0),
            cache_write_tokens: 0,
            cache_read_tokens: cached.min(prompt),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    More,
    Done,
}

/// The reply as assembled from the chunks so far.
#[derive(Debug, Default)]
struct StreamState {
    text: String,
    usage: Option<Usage>,
    finish_reason: Option<String>,
    model: Option<String>,
    done: bool,
}

impl StreamState {
    /// Takes in the data of one event.
    fn handle(&mut self, data: &str, on_delta: DeltaSink<'_>) -> Result<Flow, LlmError> {
        if data.trim() == "[DONE]" {
            self.done = true;
            return Ok(Flow::Done);
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|e| {
            LlmError::Stream(format!(
                "malformed chunk from the {PROVIDER} ({e}): {}",
                short(data)
            ))
        })?;
        if let Some(error) = chunk.error {
            let (kind, message) = sse::error_fields(&error)
                .unwrap_or_else(|| ("error".to_owned(), error.to_string()));
            return Err(LlmError::Api {
                kind: normalized_kind(&kind).to_owned(),
                message,
            });
        }
        if chunk.model.is_some() {
            self.model = chunk.model;
        }
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            if let Some(content) = choice
                .delta
                .and_then(|d| d.content)
                .filter(|c| !c.is_empty())
            {
                self.text.push_str(&content);
                on_delta(&content);
            }
            if choice.finish_reason.is_some() {
                self.finish_reason = choice.finish_reason;
            }
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage.to_usage());
        }
        Ok(Flow::More)
    }

    /// The response, once the stream ended: with `[DONE]`, or at least after a finish reason
    /// (some servers close the stream without `[DONE]`).
    fn finish(self, req: &LlmRequest) -> Result<LlmResponse, LlmError> {
        if !self.done && self.finish_reason.is_none() && self.usage.is_none() {
            return Err(LlmError::Stream(format!(
                "{PROVIDER} stream ended before [DONE]"
            )));
        }
        Ok(LlmResponse {
            text: self.text,
            usage: self.usage.unwrap_or_default(),
            stop_reason: self.finish_reason,
            model: self.model.unwrap_or_else(|| req.model.clone()),
        })
    }
}

/// OpenAI-style error kinds in the shared (Anthropic) vocabulary, so that
/// [`LlmError::is_retryable`] reads them right.
fn normalized_kind(kind: &str) -> &str {
    match kind {
        "server_error" | "internal_error" | "internal_server_error" => "api_error",
        "rate_limit_exceeded" | "rate_limit" | "requests" | "tokens" => "rate_limit_error",
        "overloaded" | "service_unavailable" | "engine_overloaded" => "overloaded_error",
        "timeout" => "timeout_error",
        other => other,
    }
}

/// The start of an event's data, for an error message.
fn short(data: &str) -> String {
    match data.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &data[..cut]),
        None => data.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::llm::{ChatMessage, Part};

    fn request(output: Output) -> LlmRequest {
        LlmRequest {
            model: "llama3".into(),
            system: vec![Part::cached("Be brief. "), Part::new("No lists.")],
            messages: vec![ChatMessage::user(vec![
                Part::new("Hi "),
                Part::new("there"),
            ])],
            max_tokens: 100,
            output,
            temperature: None,
        }
    }

    fn run(data: &[&str]) -> (Result<LlmResponse, LlmError>, Vec<String>) {
        let deltas = Mutex::new(Vec::new());
        let sink = |d: &str| deltas.lock().unwrap().push(d.to_owned());
        let mut state = StreamState::default();
        for item in data {
            match state.handle(item, &sink) {
                Ok(Flow::More) => {}
                Ok(Flow::Done) => break,
                Err(e) => return (Err(e), deltas.into_inner().unwrap()),
            }
        }
        (
            state.finish(&request(Output::Text)),
            deltas.into_inner().unwrap(),
        )
    }

    #[test]
    fn body_joins_system_parts_and_asks_for_usage() {
        let body = serde_json::to_value(request_body(&request(Output::Text))).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "llama3",
                "messages": [
                    {"role": "system", "content": "Be brief. No lists."},
                    {"role": "user", "content": "Hi there"}
                ],
                "max_tokens": 100,
                "stream": true,
                "stream_options": {"include_usage": true}
            })
        );
    }

    #[test]
    fn body_requests_json_schema() {
        let schema = json!({"type": "object"});
        let req = request(Output::Json {
            name: "plan".into(),
            description: String::new(),
            schema: schema.clone(),
        });
        let body = serde_json::to_value(request_body(&req)).unwrap();
        assert_eq!(
            body["response_format"],
            json!({"type": "json_schema", "json_schema": {"name": "plan", "schema": schema, "strict": false}})
        );
    }

    #[test]
    fn chunks_usage_and_finish_without_done() {
        let (result, deltas) = run(&[
            r#"{"model":"llama3:8b","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":1,"delta":{"content":"other choice"},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":" you"},"finish_reason":"length"}],"usage":null}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":50,"completion_tokens":2,"total_tokens":52,"prompt_tokens_details":{"cached_tokens":32}}}"#,
        ]);
        let response = result.unwrap();
        assert_eq!(deltas, ["Hi", " you"]);
        assert_eq!(response.text, "Hi you");
        assert_eq!(response.model, "llama3:8b");
        assert_eq!(response.stop_reason.as_deref(), Some("length"));
        assert_eq!(
            response.usage,
            Usage {
                input_tokens: 18,
                output_tokens: 2,
                cache_write_tokens: 0,
                cache_read_tokens: 32
            }
        );
    }

    #[test]
    fn stream_without_finish_or_done_is_broken() {
        let (result, _) = run(&[r#"{"choices":[{"index":0,"delta":{"content":"Hi"}}]}"#]);
        assert!(
            matches!(result, Err(LlmError::Stream(ref m)) if m.contains("[DONE]")),
            "{result:?}"
        );
    }

    #[test]
    fn error_chunks_and_malformed_data() {
        let (result, _) =
            run(&[r#"{"error":{"message":"boom","type":"server_error","code":null}}"#]);
        assert_eq!(
            result.unwrap_err(),
            LlmError::Api {
                kind: "api_error".into(),
                message: "boom".into()
            }
        );
        let (result, _) = run(&[r#"{"choices":["#]);
        assert!(matches!(result, Err(LlmError::Stream(_))), "{result:?}");
    }

    #[test]
    fn debug_hides_the_key_and_empty_key_means_none() {
        let client = OpenAiClient::new(DEFAULT_BASE_URL, Some("sk-proj-secret".into())).unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("sk-proj-secret"), "{shown}");
        let client = OpenAiClient::new("http://localhost:11434/v1/", Some("  ".into())).unwrap();
        assert!(client.auth_header.is_none());
        assert_eq!(
            client.endpoint.post().build().unwrap().url().as_str(),
            "http://localhost:11434/v1/chat/completions"
        );
    }
}
