//! OpenAI-compatible chat completions as the mock server speaks them: request bodies read back into
//! an `LlmRequest`, and the chunk sequence of a streamed reply (usage: `super::cache`).

use huddle::llm::{ChatMessage, LlmRequest, Output, Part, Role, Usage};
use serde_json::{Value, json};

use super::{Reply, SseEvent, chunks};

/// Rebuilds the request the client meant from a chat completions body.
pub fn parse_request(body: &Value) -> Result<LlmRequest, String> {
    let model = body["model"].as_str().ok_or("model: missing")?.to_owned();
    let max_tokens = body["max_tokens"]
        .as_u64()
        .or_else(|| body["max_completion_tokens"].as_u64())
        .unwrap_or(0) as u32;
    let mut system = Vec::new();
    let mut messages = Vec::new();
    for m in body["messages"].as_array().ok_or("messages: missing")? {
        let text = content_text(&m["content"])?;
        match m["role"].as_str() {
            Some("system" | "developer") => system.push(Part::new(text)),
            Some("user") => messages.push(ChatMessage {
                role: Role::User,
                parts: vec![Part::new(text)],
            }),
            Some("assistant") => messages.push(ChatMessage::assistant(text)),
            other => return Err(format!("messages.role: {other:?}")),
        }
    }
    let format = &body["response_format"];
    let output = match format["type"].as_str() {
        None | Some("text") => Output::Text,
        Some("json_schema") => Output::Json {
            name: format["json_schema"]["name"]
                .as_str()
                .ok_or("json_schema.name: missing")?
                .to_owned(),
            description: format["json_schema"]["description"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
            schema: format["json_schema"]["schema"].clone(),
        },
        Some("json_object") => Output::Json {
            name: "json_object".into(),
            description: String::new(),
            schema: json!({"type": "object"}),
        },
        Some(other) => return Err(format!("response_format.type: {other}")),
    };
    Ok(LlmRequest {
        model,
        system,
        messages,
        max_tokens,
        output,
        temperature: body["temperature"].as_f64().map(|t| t as f32),
    })
}

fn content_text(content: &Value) -> Result<String, String> {
    match content {
        Value::String(text) => Ok(text.clone()),
        Value::Array(parts) => Ok(parts.iter().filter_map(|p| p["text"].as_str()).collect()),
        _ => Err("messages.content: neither text nor parts".into()),
    }
}

fn data(chunk: Value) -> SseEvent {
    SseEvent {
        label: "chunk".into(),
        bytes: format!("data: {chunk}\n\n").into_bytes(),
        usage: None,
    }
}

/// The chunks of a streamed reply: a role chunk, content chunks, a finish chunk, the usage chunk
/// (`stream_options.include_usage`), then `data: [DONE]`.
pub fn events(req: &LlmRequest, reply: &Reply, usage: Usage, n: usize) -> Vec<SseEvent> {
    let id = format!("chatcmpl-mock{n:04}");
    let chunk = |choices: Value, usage: Value| {
        json!({"id": id, "object": "chat.completion.chunk", "created": 1_700_000_000, "model": req.model,
               "system_fingerprint": "fp_mock", "choices": choices, "usage": usage})
    };
    let choice = |delta: Value, finish: Value| json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]);
    let mut out = vec![data(chunk(
        choice(json!({"role": "assistant", "content": ""}), Value::Null),
        Value::Null,
    ))];
    for fragment in chunks(&reply.text, reply.chunk_chars) {
        out.push(data(chunk(
            choice(json!({"content": fragment}), Value::Null),
            Value::Null,
        )));
    }
    let finish = reply
        .stop_reason
        .clone()
        .unwrap_or_else(|| "stop".to_owned());
    out.push(data(chunk(choice(json!({}), json!(finish)), Value::Null)));
    let prompt = usage.input_tokens + usage.cache_read_tokens;
    let mut usage_chunk = data(chunk(
        json!([]),
        json!({"prompt_tokens": prompt, "completion_tokens": usage.output_tokens,
               "total_tokens": prompt + usage.output_tokens,
               "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
               "completion_tokens_details": {"reasoning_tokens": 0}}),
    ));
    usage_chunk.usage = Some(usage);
    out.push(usage_chunk);
    out.push(SseEvent {
        label: "[DONE]".into(),
        bytes: b"data: [DONE]\n\n".to_vec(),
        usage: None,
    });
    out
}

/// The chunk an OpenAI-compatible server sends when a stream fails midway.
pub fn error_event(kind: &str, message: &str) -> SseEvent {
    let mut event =
        data(json!({"error": {"message": message, "type": kind, "param": null, "code": null}}));
    event.label = "error".into();
    event
}

/// The JSON body of an HTTP error.
pub fn error_body(status: u16, message: &str) -> Value {
    let (kind, code) = match status {
        401 => ("invalid_request_error", json!("invalid_api_key")),
        429 => ("requests", json!("rate_limit_exceeded")),
        400..=499 => ("invalid_request_error", Value::Null),
        _ => ("server_error", Value::Null),
    };
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}
