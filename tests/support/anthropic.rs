//! The Anthropic Messages API as the mock server speaks it: request bodies read back into an
//! `LlmRequest`, and the exact SSE event sequence of a streamed reply (usage: `super::cache`).

use huddle::llm::{ChatMessage, LlmRequest, Output, Part, Role, Usage};
use serde_json::{Value, json};

use super::{Reply, SseEvent, chunks};

/// Rebuilds the request the client meant from a Messages API body.
pub fn parse_request(body: &Value) -> Result<LlmRequest, String> {
    let model = body["model"].as_str().ok_or("model: missing")?.to_owned();
    let max_tokens = body["max_tokens"].as_u64().ok_or("max_tokens: missing")? as u32;
    let system = match &body["system"] {
        Value::Null => Vec::new(),
        Value::String(text) => vec![Part::new(text.clone())],
        Value::Array(blocks) => blocks.iter().map(block_part).collect::<Result<_, _>>()?,
        _ => return Err("system: neither text nor blocks".into()),
    };
    let messages = body["messages"]
        .as_array()
        .ok_or("messages: missing")?
        .iter()
        .map(|m| {
            let role = match m["role"].as_str() {
                Some("user") => Role::User,
                Some("assistant") => Role::Assistant,
                other => return Err(format!("messages.role: {other:?}")),
            };
            let parts = match &m["content"] {
                Value::String(text) => vec![Part::new(text.clone())],
                Value::Array(blocks) => blocks.iter().map(block_part).collect::<Result<_, _>>()?,
                _ => return Err("messages.content: neither text nor blocks".into()),
            };
            Ok(ChatMessage { role, parts })
        })
        .collect::<Result<_, String>>()?;
    let output = match body["tool_choice"]["name"].as_str() {
        None => Output::Text,
        Some(name) => {
            let tool = body["tools"]
                .as_array()
                .and_then(|tools| tools.iter().find(|t| t["name"] == name))
                .ok_or("tool_choice names no tool in tools")?;
            Output::Json {
                name: name.to_owned(),
                description: tool["description"].as_str().unwrap_or("").to_owned(),
                schema: tool["input_schema"].clone(),
            }
        }
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

fn block_part(block: &Value) -> Result<Part, String> {
    let text = block["text"].as_str().ok_or("content block without text")?;
    if text.is_empty() {
        return Err("text content blocks must be non-empty".into());
    }
    Ok(Part {
        text: text.to_owned(),
        cache: block.get("cache_control").is_some(),
    })
}

fn event(name: &str, data: Value) -> SseEvent {
    SseEvent {
        label: name.to_owned(),
        bytes: format!("event: {name}\ndata: {data}\n\n").into_bytes(),
        usage: None,
    }
}

fn ping() -> SseEvent {
    // The real API writes this one with a space after the colon.
    SseEvent {
        label: "ping".into(),
        bytes: b"event: ping\ndata: {\"type\": \"ping\"}\n\n".to_vec(),
        usage: None,
    }
}

/// The events of a streamed reply: message_start, the content block (text, or tool_use whose
/// input JSON comes in several fragments), pings in between, message_delta, message_stop.
pub fn events(req: &LlmRequest, reply: &Reply, usage: Usage, n: usize) -> Vec<SseEvent> {
    let api_usage = |output_tokens: u64| {
        json!({
            "input_tokens": usage.input_tokens,
            "cache_creation_input_tokens": usage.cache_write_tokens,
            "cache_read_input_tokens": usage.cache_read_tokens,
            "output_tokens": output_tokens,
        })
    };
    let tool = req.output_name();
    let mut out = vec![event(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": format!("msg_mock{n:04}"), "type": "message", "role": "assistant", "content": [],
            "model": req.model, "stop_reason": null, "stop_sequence": null, "usage": api_usage(1),
        }}),
    )];
    let block = match tool {
        Some(name) => {
            json!({"type": "tool_use", "id": format!("toolu_mock{n:04}"), "name": name, "input": {}})
        }
        None => json!({"type": "text", "text": ""}),
    };
    out.push(event(
        "content_block_start",
        json!({"type": "content_block_start", "index": 0, "content_block": block}),
    ));
    out.push(ping());
    let delta = |fragment: &str| match tool {
        Some(_) => json!({"type": "input_json_delta", "partial_json": fragment}),
        None => json!({"type": "text_delta", "text": fragment}),
    };
    let mut fragments = chunks(&reply.text, reply.chunk_chars);
    if tool.is_some() {
        // The real API opens a tool input with an empty fragment.
        fragments.insert(0, String::new());
    }
    for (i, fragment) in fragments.iter().enumerate() {
        out.push(event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": delta(fragment)}),
        ));
        if i % 4 == 3 {
            out.push(ping());
        }
    }
    out.push(event(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    ));
    let stop_reason = reply.stop_reason.clone().unwrap_or_else(|| {
        if tool.is_some() {
            "tool_use"
        } else {
            "end_turn"
        }
        .to_owned()
    });
    let mut message_delta = event(
        "message_delta",
        json!({"type": "message_delta",
               "delta": {"stop_reason": stop_reason, "stop_sequence": null},
               "usage": api_usage(usage.output_tokens)}),
    );
    message_delta.usage = Some(usage);
    out.push(message_delta);
    out.push(event("message_stop", json!({"type": "message_stop"})));
    out
}

/// The `error` event the API sends when a stream fails midway.
pub fn error_event(kind: &str, message: &str) -> SseEvent {
    event(
        "error",
        json!({"type": "error", "error": {"type": kind, "message": message}}),
    )
}

/// The JSON body of an HTTP error.
pub fn error_body(status: u16, message: &str) -> Value {
    let kind = match status {
        400 | 413 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
    json!({"type": "error", "error": {"type": kind, "message": message}})
}
