//! Anthropic Messages API client: one streaming call (`POST {base}/v1/messages` with `stream: true`),
//! prompt caching through `cache_control`, structured output through a forced tool.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::{Deserialize, Serialize};

use super::sse::{self, AuthHint, Endpoint};
use super::{ChatMessage, DeltaSink, LlmError, LlmRequest, LlmResponse, Output, Part, Role, Usage};

/// Where the Anthropic API lives unless `ANTHROPIC_BASE_URL` says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// The `anthropic-version` header value this client speaks.
pub const API_VERSION: &str = "2023-06-01";
/// The API accepts at most this many `cache_control` breakpoints in one request.
const MAX_CACHE_BREAKPOINTS: usize = 4;
const PROVIDER: &str = "Anthropic";
const AUTH: AuthHint = AuthHint {
    provider: PROVIDER,
    env_var: "ANTHROPIC_API_KEY",
};

/// A client of the Anthropic Messages API. Cheap to clone (the HTTP connection pool is shared).
#[derive(Clone)]
pub struct AnthropicClient {
    endpoint: Endpoint,
    key_header: HeaderValue,
}

impl fmt::Debug for AnthropicClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicClient")
            .field("base_url", &self.endpoint.base_url())
            .field("api_key", &"[redacted]")
            .field("read_timeout", &self.endpoint.read_timeout())
            .finish_non_exhaustive()
    }
}

impl AnthropicClient {
    /// A client for `base_url` (e.g. [`DEFAULT_BASE_URL`], with or without a trailing `/`, possibly
    /// with a path prefix). Fails on an unusable base URL, or on a key that cannot be sent in an
    /// HTTP header (reported as an authentication error with status 0).
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Result<Self, LlmError> {
        let api_key = api_key.into().trim().to_owned();
        let endpoint = Endpoint::new(
            base_url.into(),
            "v1/messages",
            api_key.clone(),
            PROVIDER,
            AUTH,
        )?;
        let key_header = endpoint.secret_header(&api_key)?;
        Ok(Self {
            endpoint,
            key_header,
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

    /// One streaming call, no retries. `on_delta` receives each text fragment (for
    /// [`Output::Json`], each fragment of the tool input JSON) as it arrives.
    pub async fn stream(
        &self,
        req: &LlmRequest,
        on_delta: DeltaSink<'_>,
    ) -> Result<LlmResponse, LlmError> {
        let request = self
            .endpoint
            .post()
            .header("x-api-key", self.key_header.clone())
            .header("anthropic-version", API_VERSION)
            .header(CONTENT_TYPE, "application/json")
            .json(&request_body(req));
        let mut events = self.endpoint.open(request).await?;
        let mut state = StreamState::new(req);
        while let Some(event) = events.next().await {
            let event = event?;
            if state.handle(&event.data, on_delta)? == Flow::Done {
                return Ok(state.finish(req));
            }
        }
        Err(LlmError::Stream(
            "Anthropic stream ended before message_stop".to_owned(),
        ))
    }
}

/// The JSON body of a Messages API call.
#[derive(Debug, Serialize)]
struct RequestBody<'a> {
    model: &'a str,
    max_tokens: u32,
    stream: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    system: Vec<TextBlock<'a>>,
    messages: Vec<MessageBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<[Tool<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<ToolChoice<'a>>,
}

#[derive(Debug, Serialize)]
struct TextBlock<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_control: Option<CacheControl>,
}

#[derive(Debug, Serialize)]
struct CacheControl {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct MessageBody<'a> {
    role: Role,
    content: Vec<TextBlock<'a>>,
}

#[derive(Debug, Serialize)]
struct Tool<'a> {
    name: &'a str,
    description: &'a str,
    input_schema: &'a serde_json::Value,
}

#[derive(Debug, Serialize)]
struct ToolChoice<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
}

fn request_body(req: &LlmRequest) -> RequestBody<'_> {
    let mut system = text_blocks(&req.system);
    let mut messages: Vec<MessageBody<'_>> = req
        .messages
        .iter()
        .map(|m: &ChatMessage| MessageBody {
            role: m.role,
            content: text_blocks(&m.parts),
        })
        .collect();
    keep_last_breakpoints(
        system
            .iter_mut()
            .chain(messages.iter_mut().flat_map(|m| m.content.iter_mut())),
    );
    let (tools, tool_choice) = match &req.output {
        Output::Text => (None, None),
        Output::Json {
            name,
            description,
            schema,
        } => (
            Some([Tool {
                name,
                description,
                input_schema: schema,
            }]),
            Some(ToolChoice { kind: "tool", name }),
        ),
    };
    RequestBody {
        model: &req.model,
        max_tokens: req.max_tokens,
        stream: true,
        system,
        messages,
        temperature: req.temperature,
        tools,
        tool_choice,
    }
}

/// Parts as text blocks. The API rejects empty text blocks, so those are left out and their cache
/// breakpoint moves to the block before.
fn text_blocks(parts: &[Part]) -> Vec<TextBlock<'_>> {
    let mut blocks: Vec<TextBlock<'_>> = Vec::with_capacity(parts.len());
    for part in parts {
        let cache_control = part.cache.then_some(CacheControl { kind: "ephemeral" });
        if !part.text.is_empty() {
            blocks.push(TextBlock {
                kind: "text",
                text: &part.text,
                cache_control,
            });
        } else if let (Some(cc), Some(last)) = (cache_control, blocks.last_mut()) {
            last.cache_control = Some(cc);
        }
    }
    blocks
}

/// Drops all but the last [`MAX_CACHE_BREAKPOINTS`] breakpoints (the later ones cover the earlier
/// prefixes), since the API rejects requests with more.
fn keep_last_breakpoints<'b, 'a: 'b>(blocks: impl Iterator<Item = &'b mut TextBlock<'a>>) {
    let mut marked: Vec<&mut TextBlock<'_>> =
        blocks.filter(|b| b.cache_control.is_some()).collect();
    let excess = marked.len().saturating_sub(MAX_CACHE_BREAKPOINTS);
    for block in marked.iter_mut().take(excess) {
        block.cache_control = None;
    }
}

/// One event of the stream, by its `type` field.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StreamEvent {
    MessageStart {
        message: MessageStart,
    },
    ContentBlockStart {
        index: usize,
        content_block: ContentBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: MessageDelta,
        #[serde(default)]
        usage: Option<ApiUsage>,
    },
    MessageStop,
    Error {
        error: serde_json::Value,
    },
    /// `ping` and any event type added to the API later.
    #[serde(other)]
    Ignored,
}

#[derive(Debug, Deserialize)]
struct MessageStart {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<ApiUsage>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ContentBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    ToolUse {
        name: String,
        #[serde(default)]
        input: serde_json::Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct MessageDelta {
    #[serde(default)]
    stop_reason: Option<String>,
}

/// Usage as the API reports it; every field may be missing or null in a given event.
#[derive(Debug, Default, Deserialize)]
struct ApiUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
}

impl ApiUsage {
    /// Takes every value `newer` has (message_delta's counts are cumulative).
    fn update(&mut self, newer: ApiUsage) {
        self.input_tokens = newer.input_tokens.or(self.input_tokens);
        self.output_tokens = newer.output_tokens.or(self.output_tokens);
        self.cache_creation_input_tokens = newer
            .cache_creation_input_tokens
            .or(self.cache_creation_input_tokens);
        self.cache_read_input_tokens = newer
            .cache_read_input_tokens
            .or(self.cache_read_input_tokens);
    }

    fn to_usage(&self) -> Usage {
        Usage {
            input_tokens: self.input_tokens.unwrap_or(0),
            output_tokens: self.output_tokens.unwrap_or(0),
            cache_write_tokens: self.cache_creation_input_tokens.unwrap_or(0),
            cache_read_tokens: self.cache_read_input_tokens.unwrap_or(0),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    More,
    Done,
}

/// What a content block contributes to the reply.
#[derive(Debug)]
enum BlockRole {
    /// Text of a text reply.
    Text,
    /// The forced tool's input, i.e. the structured output; `streamed` once a fragment came.
    Json {
        input: serde_json::Value,
        streamed: bool,
    },
    /// Anything else (thinking, another tool, a second tool call).
    Ignored,
}

/// The reply as assembled from the events so far.
#[derive(Debug)]
struct StreamState<'r> {
    tool_name: Option<&'r str>,
    json_block_seen: bool,
    blocks: HashMap<usize, BlockRole>,
    text: String,
    usage: ApiUsage,
    stop_reason: Option<String>,
    model: Option<String>,
}

impl<'r> StreamState<'r> {
    fn new(req: &'r LlmRequest) -> Self {
        Self {
            tool_name: req.output_name(),
            json_block_seen: false,
            blocks: HashMap::new(),
            text: String::new(),
            usage: ApiUsage::default(),
            stop_reason: None,
            model: None,
        }
    }

    fn push(&mut self, fragment: &str, on_delta: DeltaSink<'_>) {
        if !fragment.is_empty() {
            self.text.push_str(fragment);
            on_delta(fragment);
        }
    }

    /// Takes in the data of one event.
    fn handle(&mut self, data: &str, on_delta: DeltaSink<'_>) -> Result<Flow, LlmError> {
        let event: StreamEvent = serde_json::from_str(data).map_err(|e| {
            LlmError::Stream(format!(
                "malformed event from Anthropic ({e}): {}",
                short(data)
            ))
        })?;
        match event {
            StreamEvent::MessageStart { message } => {
                self.model = message.model;
                if let Some(usage) = message.usage {
                    self.usage.update(usage);
                }
            }
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => {
                let role = match (content_block, self.tool_name) {
                    (ContentBlock::Text { text }, None) => {
                        self.push(&text, on_delta);
                        BlockRole::Text
                    }
                    (ContentBlock::ToolUse { name, input }, Some(wanted))
                        if name == wanted && !self.json_block_seen =>
                    {
                        self.json_block_seen = true;
                        BlockRole::Json {
                            input,
                            streamed: false,
                        }
                    }
                    _ => BlockRole::Ignored,
                };
                self.blocks.insert(index, role);
            }
            StreamEvent::ContentBlockDelta { index, delta } => {
                match (self.blocks.get_mut(&index), delta) {
                    (Some(BlockRole::Text), BlockDelta::TextDelta { text }) => {
                        self.push(&text, on_delta);
                    }
                    (
                        Some(BlockRole::Json { streamed, .. }),
                        BlockDelta::InputJsonDelta { partial_json },
                    ) => {
                        *streamed = true;
                        self.push(&partial_json, on_delta);
                    }
                    _ => {}
                }
            }
            StreamEvent::ContentBlockStop { index } => {
                // A tool call whose input came whole in content_block_start, without fragments.
                if let Some(BlockRole::Json {
                    input,
                    streamed: false,
                }) = self.blocks.get(&index)
                {
                    let json = serde_json::to_string(input).unwrap_or_default();
                    self.push(&json, on_delta);
                }
            }
            StreamEvent::MessageDelta { delta, usage } => {
                if delta.stop_reason.is_some() {
                    self.stop_reason = delta.stop_reason;
                }
                if let Some(usage) = usage {
                    self.usage.update(usage);
                }
            }
            StreamEvent::MessageStop => return Ok(Flow::Done),
            StreamEvent::Error { error } => {
                let (kind, message) = sse::error_fields(&error)
                    .unwrap_or_else(|| ("error".to_owned(), error.to_string()));
                return Err(LlmError::Api { kind, message });
            }
            StreamEvent::Ignored => {}
        }
        Ok(Flow::More)
    }

    fn finish(self, req: &LlmRequest) -> LlmResponse {
        LlmResponse {
            text: self.text,
            usage: self.usage.to_usage(),
            stop_reason: self.stop_reason,
            model: self.model.unwrap_or_else(|| req.model.clone()),
        }
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

    fn request(output: Output) -> LlmRequest {
        LlmRequest {
            model: "claude-test".into(),
            system: vec![
                Part::cached("You are terse."),
                Part::new("Today is Monday."),
            ],
            messages: vec![
                ChatMessage::user(vec![Part::cached("History."), Part::new("Question?")]),
                ChatMessage::assistant("Answer."),
            ],
            max_tokens: 256,
            output,
            temperature: Some(0.5),
        }
    }

    fn run(
        req: &LlmRequest,
        events: &[serde_json::Value],
    ) -> (Result<LlmResponse, LlmError>, Vec<String>) {
        let deltas = Mutex::new(Vec::new());
        let sink = |d: &str| deltas.lock().unwrap().push(d.to_owned());
        let mut state = StreamState::new(req);
        let mut result = Err(LlmError::Stream("ended before message_stop".into()));
        for event in events {
            match state.handle(&event.to_string(), &sink) {
                Ok(Flow::More) => {}
                Ok(Flow::Done) => {
                    result = Ok(state.finish(req));
                    break;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        (result, deltas.into_inner().unwrap())
    }

    #[test]
    fn body_has_cache_control_on_marked_parts_only() {
        let body = serde_json::to_value(request_body(&request(Output::Text))).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "claude-test",
                "max_tokens": 256,
                "stream": true,
                "system": [
                    {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": "Today is Monday."}
                ],
                "messages": [
                    {"role": "user", "content": [
                        {"type": "text", "text": "History.", "cache_control": {"type": "ephemeral"}},
                        {"type": "text", "text": "Question?"}
                    ]},
                    {"role": "assistant", "content": [{"type": "text", "text": "Answer."}]}
                ],
                "temperature": 0.5
            })
        );
    }

    #[test]
    fn body_forces_the_output_tool() {
        let schema = json!({"type": "object", "properties": {"ok": {"type": "boolean"}}});
        let req = request(Output::Json {
            name: "verdict".into(),
            description: "The verdict.".into(),
            schema: schema.clone(),
        });
        let body = serde_json::to_value(request_body(&req)).unwrap();
        assert_eq!(
            body["tools"],
            json!([{"name": "verdict", "description": "The verdict.", "input_schema": schema}])
        );
        assert_eq!(
            body["tool_choice"],
            json!({"type": "tool", "name": "verdict"})
        );
    }

    #[test]
    fn empty_parts_are_dropped_and_breakpoints_limited_to_four() {
        let mut req = request(Output::Text);
        req.system = vec![Part::new("a"), Part::cached("")];
        req.messages = (0..5)
            .map(|i| ChatMessage::user(vec![Part::cached(format!("m{i}"))]))
            .collect();
        let body = serde_json::to_value(request_body(&req)).unwrap();
        // The empty part's breakpoint moved onto "a"; then only the last four survive.
        assert_eq!(body["system"], json!([{"type": "text", "text": "a"}]));
        let marked: Vec<bool> = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"][0].get("cache_control").is_some())
            .collect();
        assert_eq!(marked, [false, true, true, true, true]);
    }

    #[test]
    fn usage_takes_the_latest_values_and_unknown_events_are_ignored() {
        let req = request(Output::Text);
        let (result, deltas) = run(
            &req,
            &[
                json!({"type": "message_start", "message": {"model": "claude-x", "usage": {
                    "input_tokens": 10, "cache_creation_input_tokens": 20,
                    "cache_read_input_tokens": 30, "output_tokens": 1}}}),
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                json!({"type": "ping"}),
                json!({"type": "brand_new_event", "stuff": [1, 2]}),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "citations_delta", "citation": {}}}),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}}),
                json!({"type": "content_block_stop", "index": 0}),
                json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                       "usage": {"output_tokens": 7, "cache_read_input_tokens": 31, "input_tokens": null}}),
                json!({"type": "message_stop"}),
            ],
        );
        let response = result.unwrap();
        assert_eq!(deltas, ["Hel", "lo"]);
        assert_eq!(response.text, "Hello");
        assert_eq!(response.model, "claude-x");
        assert_eq!(response.stop_reason.as_deref(), Some("end_turn"));
        assert_eq!(
            response.usage,
            Usage {
                input_tokens: 10,
                output_tokens: 7,
                cache_write_tokens: 20,
                cache_read_tokens: 31
            }
        );
    }

    #[test]
    fn json_output_is_the_forced_tool_input_only() {
        let req = request(Output::Json {
            name: "plan".into(),
            description: String::new(),
            schema: json!({}),
        });
        let (result, deltas) = run(
            &req,
            &[
                json!({"type": "message_start", "message": {"usage": {"input_tokens": 3, "output_tokens": 1}}}),
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": "Sure"}}),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}}),
                json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "t", "name": "plan", "input": {}}}),
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}}),
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"a\":"}}),
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "1}"}}),
                json!({"type": "content_block_stop", "index": 1}),
                json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "u", "name": "plan", "input": {"b": 2}}}),
                json!({"type": "content_block_stop", "index": 2}),
                json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 5}}),
                json!({"type": "message_stop"}),
            ],
        );
        let response = result.unwrap();
        assert_eq!(deltas, ["{\"a\":", "1}"]);
        assert_eq!(response.text, "{\"a\":1}");
        assert_eq!(response.model, "claude-test");
        assert_eq!(response.stop_reason.as_deref(), Some("tool_use"));
        assert_eq!(response.usage.input_tokens, 3);
        assert_eq!(response.usage.output_tokens, 5);
    }

    #[test]
    fn tool_input_without_fragments_comes_from_block_start() {
        let req = request(Output::Json {
            name: "plan".into(),
            description: String::new(),
            schema: json!({}),
        });
        let (result, deltas) = run(
            &req,
            &[
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t", "name": "plan", "input": {"a": 1}}}),
                json!({"type": "content_block_stop", "index": 0}),
                json!({"type": "message_stop"}),
            ],
        );
        assert_eq!(result.unwrap().text, "{\"a\":1}");
        assert_eq!(deltas, ["{\"a\":1}"]);
    }

    #[test]
    fn error_event_and_malformed_data() {
        let req = request(Output::Text);
        let (result, _) = run(
            &req,
            &[
                json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ],
        );
        assert_eq!(
            result.unwrap_err(),
            LlmError::Api {
                kind: "overloaded_error".into(),
                message: "Overloaded".into()
            }
        );
        let mut state = StreamState::new(&req);
        let err = state
            .handle("{\"type\": \"content_block_delta\", ", &|_| {})
            .unwrap_err();
        assert!(
            matches!(err, LlmError::Stream(ref m) if m.starts_with("malformed event")),
            "{err:?}"
        );
    }

    #[test]
    fn debug_and_errors_hide_the_key() {
        let client = AnthropicClient::new(DEFAULT_BASE_URL, "sk-ant-very-secret").unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("[redacted]"));
        let err = AnthropicClient::new(DEFAULT_BASE_URL, "bad\nkey-very-secret").unwrap_err();
        assert_eq!(
            err,
            LlmError::Auth {
                provider: "Anthropic",
                status: 0,
                env_var: "ANTHROPIC_API_KEY"
            }
        );
    }
}
