//! The mock LLM server of `huddle bench`: the Anthropic Messages API over plain HTTP/1.1 on
//! 127.0.0.1, streaming SSE with a set time to first token and a set streaming speed, and scripted
//! replies that give a run an exact shape.
//!
//! It tells calls apart by their structured output, never by their prose: `submit_plan` gets the
//! scenario's plan, `send_message` a message to the next teammate (never to USER, so that every
//! leaf runs to its turn limit), and a call for free text (a final result or an aggregation) a
//! text. It lives in the bench process, so its own CPU time is not counted as huddle's.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::engine::protocol::{MESSAGE_TOOL, PLAN_TOOL, header};
use crate::llm::estimate_tokens;

/// How one reply is paced: nothing for `first_token`, then one chunk of `chunk_tokens` tokens
/// every `chunk_tokens / tokens_per_sec`, and the stream ends one interval after the last chunk.
/// A reply of `n` chunks so takes exactly `first_token + n * interval`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub first_token: Duration,
    pub tokens_per_sec: f64,
    pub chunk_tokens: u64,
}

impl Timing {
    /// Time between two chunks.
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(self.chunk_tokens as f64 / self.tokens_per_sec)
    }

    /// Chunks a reply of `tokens` tokens is streamed in (at least one).
    pub fn chunks(&self, tokens: u64) -> u64 {
        tokens.div_ceil(self.chunk_tokens.max(1)).max(1)
    }

    /// How long a reply of `tokens` tokens takes, from the request to the end of its stream.
    pub fn call_time(&self, tokens: u64) -> Duration {
        self.first_token + self.interval() * self.chunks(tokens) as u32
    }
}

/// What the server answers, and how fast.
#[derive(Debug, Clone)]
pub struct Script {
    /// The plan, as the JSON text of the `submit_plan` tool input.
    pub plan_json: String,
    /// Pacing of the planner's reply.
    pub planner: Timing,
    /// Pacing of every other reply (agent turns, final results, aggregations).
    pub agent: Timing,
    /// Tokens of every reply but the plan.
    pub reply_tokens: u64,
}

/// Calls served so far, by kind.
#[derive(Debug, Default)]
struct Counters {
    plans: AtomicU64,
    turns: AtomicU64,
    texts: AtomicU64,
    /// Agent turns whose sender or teammates could not be read from the prompt (answered to ALL).
    unscripted: AtomicU64,
}

/// Calls served, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Served {
    pub plans: u64,
    pub turns: u64,
    /// Final results and aggregations.
    pub texts: u64,
    pub unscripted: u64,
}

impl Served {
    pub fn calls(&self) -> u64 {
        self.plans + self.turns + self.texts
    }
}

/// A running mock server; it stops when dropped.
pub struct MockServer {
    addr: SocketAddr,
    counters: Arc<Counters>,
    shutdown: CancellationToken,
}

impl MockServer {
    /// Listens on an ephemeral port of 127.0.0.1. Must be called inside a tokio runtime.
    pub async fn start(script: Script) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let shutdown = CancellationToken::new();
        let script = Arc::new(script);
        tokio::spawn(accept_loop(
            listener,
            script,
            counters.clone(),
            shutdown.clone(),
        ));
        Ok(Self {
            addr,
            counters,
            shutdown,
        })
    }

    /// The base URL to give the Anthropic client (`ANTHROPIC_BASE_URL`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn served(&self) -> Served {
        let c = &self.counters;
        Served {
            plans: c.plans.load(Ordering::Relaxed),
            turns: c.turns.load(Ordering::Relaxed),
            texts: c.texts.load(Ordering::Relaxed),
            unscripted: c.unscripted.load(Ordering::Relaxed),
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn accept_loop(
    listener: TcpListener,
    script: Arc<Script>,
    counters: Arc<Counters>,
    shutdown: CancellationToken,
) {
    loop {
        let conn = tokio::select! {
            _ = shutdown.cancelled() => return,
            c = listener.accept() => c,
        };
        let Ok((conn, _)) = conn else { continue };
        let _ = conn.set_nodelay(true);
        let (script, counters, shutdown) = (script.clone(), counters.clone(), shutdown.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                r = serve(conn, &script, &counters) => if let Err(e) = r {
                    tracing::debug!("bench mock connection ended: {e}");
                },
            }
        });
    }
}

/// Serves one keep-alive connection until the client closes it.
async fn serve(mut conn: TcpStream, script: &Script, counters: &Counters) -> io::Result<()> {
    let mut buf = Vec::new();
    while let Some(request) = super::http::read_request(&mut conn, &mut buf).await? {
        let received = Instant::now();
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            let msg = br#"{"type":"error","error":{"type":"invalid_request_error","message":"body is not JSON"}}"#;
            let head = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                msg.len()
            );
            conn.write_all(head.as_bytes()).await?;
            conn.write_all(msg).await?;
            continue;
        };
        let reply = reply(&body, script, counters);
        stream_reply(&mut conn, &body, &reply, received).await?;
    }
    Ok(())
}

/// One scripted reply.
struct Reply {
    text: String,
    timing: Timing,
    /// The tokens it is paced as (the real count may differ by a few).
    tokens: u64,
    /// The tool it answers through; `None` for text.
    tool: Option<&'static str>,
}

/// The scripted reply to a request.
fn reply(body: &Value, script: &Script, c: &Counters) -> Reply {
    match body["tool_choice"]["name"].as_str() {
        Some(PLAN_TOOL) => {
            c.plans.fetch_add(1, Ordering::Relaxed);
            Reply {
                text: script.plan_json.clone(),
                timing: script.planner,
                tokens: estimate_tokens(&script.plan_json),
                tool: Some(PLAN_TOOL),
            }
        }
        Some(MESSAGE_TOOL) => {
            let n = c.turns.fetch_add(1, Ordering::Relaxed);
            let to = next_teammate(&system_text(body)).unwrap_or_else(|| {
                c.unscripted.fetch_add(1, Ordering::Relaxed);
                crate::engine::ALL.to_string()
            });
            // The JSON around the content is about 30 characters.
            let content = filler(
                &format!("Note {n} for {to}:"),
                (script.reply_tokens * 4).saturating_sub(30),
            );
            Reply {
                text: json!({"to": [to], "content": content}).to_string(),
                timing: script.agent,
                tokens: script.reply_tokens,
                tool: Some(MESSAGE_TOOL),
            }
        }
        _ => {
            let n = c.texts.fetch_add(1, Ordering::Relaxed);
            Reply {
                text: filler(&format!("Result {n}:"), script.reply_tokens * 4),
                timing: script.agent,
                tokens: script.reply_tokens,
                tool: None,
            }
        }
    }
}

/// The system prompt, blocks joined.
fn system_text(body: &Value) -> String {
    match &body["system"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks.iter().filter_map(|b| b["text"].as_str()).collect(),
        _ => String::new(),
    }
}

/// The member after the sender in the workspace's member list, wrapping around. The sender's
/// prompt opens with `You are name@team.` and lists the members, one `- name@team: …` a line,
/// under [`header::MEMBERS`].
pub(crate) fn next_teammate(system: &str) -> Option<String> {
    let name_of = |address: &str| address.split('@').next().map(str::trim).map(str::to_string);
    let sender = name_of(system.strip_prefix("You are ")?.split_whitespace().next()?)?;
    let members: Vec<String> = system
        .lines()
        .skip_while(|l| l.trim_end() != header::MEMBERS)
        .skip(1)
        .take_while(|l| l.starts_with("- "))
        .filter_map(|l| name_of(l.trim_start_matches("- ").split(':').next()?))
        .collect();
    let at = members.iter().position(|m| *m == sender)?;
    let next = &members[(at + 1) % members.len()];
    (*next != sender).then(|| next.clone())
}

/// `lead` followed by words of its own until the text is about `chars` long. The words differ from
/// one reply to the next, so that no two messages look like a loop to the engine.
fn filler(lead: &str, chars: u64) -> String {
    let tag: String = lead.chars().filter(char::is_ascii_digit).collect();
    let mut s = lead.to_string();
    let mut i = 0;
    while (s.len() as u64) < chars {
        s.push_str(&format!(" w{tag}x{i}"));
        i += 1;
    }
    s
}

/// Writes the reply as the Messages API streams it, paced from `received`.
async fn stream_reply(
    conn: &mut TcpStream,
    body: &Value,
    reply: &Reply,
    received: Instant,
) -> io::Result<()> {
    let (tool, timing) = (reply.tool, reply.timing);
    let model = body["model"].as_str().unwrap_or("mock");
    let input_tokens = estimate_tokens(&body["messages"].to_string());
    let output_tokens = estimate_tokens(&reply.text);
    let chars: Vec<char> = reply.text.chars().collect();
    let chunks = timing.chunks(reply.tokens) as usize;
    let per_chunk = chars.len().div_ceil(chunks).max(1);
    let fragments: Vec<String> = chars
        .chunks(per_chunk)
        .map(|c| c.iter().collect())
        .collect();

    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n";
    tokio::time::sleep_until(received + timing.first_token).await;
    let block = match tool {
        Some(name) => json!({"type": "tool_use", "id": "toolu_bench", "name": name, "input": {}}),
        None => json!({"type": "text", "text": ""}),
    };
    let mut out = head.as_bytes().to_vec();
    let mut events = sse(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": "msg_bench", "type": "message", "role": "assistant", "content": [],
            "model": model, "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1},
        }}),
    );
    events.push_str(&sse(
        "content_block_start",
        json!({"type": "content_block_start", "index": 0, "content_block": block}),
    ));
    for (k, fragment) in fragments.iter().enumerate() {
        if k > 0 {
            tokio::time::sleep_until(received + timing.first_token + timing.interval() * k as u32)
                .await;
        }
        let delta = match tool {
            Some(_) => json!({"type": "input_json_delta", "partial_json": fragment}),
            None => json!({"type": "text_delta", "text": fragment}),
        };
        events.push_str(&sse(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": delta}),
        ));
        chunk(&mut out, &events);
        conn.write_all(&out).await?;
        out.clear();
        events.clear();
    }
    tokio::time::sleep_until(received + timing.call_time(reply.tokens)).await;
    let stop_reason = if tool.is_some() {
        "tool_use"
    } else {
        "end_turn"
    };
    events.push_str(&sse(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    ));
    events.push_str(&sse(
        "message_delta",
        json!({"type": "message_delta",
               "delta": {"stop_reason": stop_reason, "stop_sequence": null},
               "usage": {"output_tokens": output_tokens}}),
    ));
    events.push_str(&sse("message_stop", json!({"type": "message_stop"})));
    chunk(&mut out, &events);
    out.extend_from_slice(b"0\r\n\r\n");
    conn.write_all(&out).await
}

fn sse(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// Appends `data` as one chunk of a chunked HTTP body.
fn chunk(out: &mut Vec<u8>, data: &str) {
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data.as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_teammate_wraps_around_the_member_list() {
        let system = format!(
            "You are b@t. Does b things.\n\n{}\nw: W\n\n{}\n- a@t: A\n- b@t: B\n- c@t: C\n\n{}\n- rules\n",
            header::WORKSPACE,
            header::MEMBERS,
            header::PROTOCOL
        );
        assert_eq!(next_teammate(&system).as_deref(), Some("c"));
        let last = system.replacen("You are b@t", "You are c@t", 1);
        assert_eq!(next_teammate(&last).as_deref(), Some("a"));
        assert_eq!(next_teammate("no persona"), None);
    }

    #[test]
    fn timing_counts_whole_chunks() {
        let t = Timing {
            first_token: Duration::from_millis(150),
            tokens_per_sec: 200.0,
            chunk_tokens: 5,
        };
        assert_eq!(t.interval(), Duration::from_millis(25));
        assert_eq!(t.chunks(60), 12);
        assert_eq!(t.chunks(61), 13);
        assert_eq!(t.call_time(60), Duration::from_millis(450));
    }

    #[test]
    fn filler_words_differ_between_replies() {
        let a = filler("Note 1 for b:", 200);
        let b = filler("Note 2 for b:", 200);
        assert!(a.len() >= 200 && a.len() < 210, "{}", a.len());
        assert!(!crate::engine::protocol::near_identical(&a, &b));
    }
}
