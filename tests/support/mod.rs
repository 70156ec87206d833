//! A mock LLM HTTP server for integration tests: speaks the Anthropic Messages API
//! (`…/v1/messages`) and OpenAI-compatible chat completions (`…/chat/completions`) over hand-written
//! HTTP/1.1, streams replies exactly as those APIs do, reports usage the way they count it, and can
//! be scripted to fail (HTTP errors, mid-stream error events, resets, truncation, stalls).

// Each test binary uses a different part of the support code.
#![allow(dead_code)]

mod anthropic;
mod cache;
use huddle::bench::http;
mod openai;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use huddle::llm::{LlmRequest, Usage, sim};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

// Each test binary uses a different part of the support code.
#[allow(unused_imports)]
pub use cache::{AutoCache, LOOKBACK_BLOCKS, PromptCache};

/// Which API a request was sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Anthropic,
    OpenAi,
}

/// Decides how the server answers a request, given the request the client meant (rebuilt from the
/// HTTP body). Any `Fn(&LlmRequest) -> Reply` is a responder.
pub trait Responder: Send + Sync + 'static {
    fn reply(&self, req: &LlmRequest) -> Reply;
}

impl<F> Responder for F
where
    F: Fn(&LlmRequest) -> Reply + Send + Sync + 'static,
{
    fn reply(&self, req: &LlmRequest) -> Reply {
        self(req)
    }
}

/// Answers with the offline simulation's reply text (`huddle::llm::sim::reply_text`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SimResponder {
    pub seed: u64,
}

impl Responder for SimResponder {
    fn reply(&self, req: &LlmRequest) -> Reply {
        Reply::text(sim::reply_text(req, self.seed))
    }
}

/// Answers the first requests with the given replies in order, then hands over to another
/// responder (by default [`SimResponder`]).
pub struct Script {
    replies: Mutex<VecDeque<Reply>>,
    then: Box<dyn Responder>,
}

impl Script {
    pub fn new(replies: impl IntoIterator<Item = Reply>) -> Self {
        Self {
            replies: Mutex::new(replies.into_iter().collect()),
            then: Box::new(SimResponder::default()),
        }
    }

    /// Who answers once the scripted replies are used up.
    pub fn then(mut self, responder: impl Responder) -> Self {
        self.then = Box::new(responder);
        self
    }
}

impl Responder for Script {
    fn reply(&self, req: &LlmRequest) -> Reply {
        let next = lock(&self.replies).pop_front();
        next.unwrap_or_else(|| self.then.reply(req))
    }
}

/// How to answer one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The reply text (for structured output, the JSON text).
    pub text: String,
    /// Stop reason to report instead of the usual one (`end_turn`/`tool_use`; `stop`).
    pub stop_reason: Option<String>,
    /// Characters per streamed fragment.
    pub chunk_chars: usize,
    /// Pause before each event, for realistic pacing; a status reply is held this long.
    pub event_delay: Duration,
    /// Something to go wrong.
    pub fault: Option<Fault>,
}

/// Something that goes wrong with a reply. `after` counts the SSE events written before the fault
/// (pings included; the first event is number 0).
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// An HTTP error response (with the API's JSON error body) instead of a stream.
    Status {
        status: u16,
        message: String,
        retry_after: Option<String>,
        retry_after_ms: Option<String>,
    },
    /// The API's mid-stream error event, then the body ends.
    ErrorEvent {
        after: usize,
        kind: String,
        message: String,
    },
    /// The connection is reset (RST) mid-body.
    Reset { after: usize },
    /// The connection is closed (FIN) mid-body, without the final chunk.
    Close { after: usize },
    /// The body ends cleanly but the event stream is cut short.
    Truncate { after: usize },
    /// Nothing is sent for a while, then the stream carries on.
    Stall { after: usize, duration: Duration },
    /// An event whose data is not JSON.
    Garbage { after: usize },
}

impl Reply {
    /// A normal streamed reply.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            stop_reason: None,
            chunk_chars: 5,
            event_delay: Duration::ZERO,
            fault: None,
        }
    }

    /// An HTTP error response with the API's error body.
    pub fn status(status: u16, message: impl Into<String>) -> Self {
        Self::text("").with_fault(Fault::Status {
            status,
            message: message.into(),
            retry_after: None,
            retry_after_ms: None,
        })
    }

    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// Adds a `retry-after` header (seconds) to a [`Reply::status`] reply.
    pub fn with_retry_after(mut self, value: impl Into<String>) -> Self {
        if let Some(Fault::Status { retry_after, .. }) = &mut self.fault {
            *retry_after = Some(value.into());
        }
        self
    }

    /// Adds a `retry-after-ms` header to a [`Reply::status`] reply.
    pub fn with_retry_after_ms(mut self, value: impl Into<String>) -> Self {
        if let Some(Fault::Status { retry_after_ms, .. }) = &mut self.fault {
            *retry_after_ms = Some(value.into());
        }
        self
    }

    pub fn with_stop_reason(mut self, stop_reason: impl Into<String>) -> Self {
        self.stop_reason = Some(stop_reason.into());
        self
    }

    pub fn with_chunk_chars(mut self, chunk_chars: usize) -> Self {
        self.chunk_chars = chunk_chars.max(1);
        self
    }

    pub fn with_event_delay(mut self, event_delay: Duration) -> Self {
        self.event_delay = event_delay;
        self
    }
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `None` for a path the server does not serve.
    pub api: Option<Api>,
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The JSON body (`Null` if it was not JSON).
    pub body: Value,
    /// The request rebuilt from the body, if it was a valid one.
    pub request: Option<LlmRequest>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One SSE event ready to be written, as one HTTP chunk.
pub(crate) struct SseEvent {
    /// Event name (Anthropic) or kind of chunk (OpenAI), for the log of events sent.
    pub label: String,
    pub bytes: Vec<u8>,
    /// The usage this event reports as final, if it does.
    pub usage: Option<Usage>,
}

struct State {
    responder: Box<dyn Responder>,
    requests: Mutex<Vec<RecordedRequest>>,
    usages: Mutex<Vec<Usage>>,
    events: Mutex<Vec<Vec<String>>>,
    anthropic_cache: Mutex<PromptCache>,
    openai_cache: Mutex<AutoCache>,
}

/// The mock server; it stops when dropped.
pub struct MockServer {
    pub addr: SocketAddr,
    state: Arc<State>,
    shutdown: CancellationToken,
    accept: JoinHandle<()>,
}

impl MockServer {
    /// Starts a server on an ephemeral port of 127.0.0.1. Must be called inside a tokio runtime.
    pub fn start(responder: impl Responder) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let listener = TcpListener::from_std(listener).expect("tokio listener");
        let state = Arc::new(State {
            responder: Box::new(responder),
            requests: Mutex::default(),
            usages: Mutex::default(),
            events: Mutex::default(),
            anthropic_cache: Mutex::default(),
            openai_cache: Mutex::default(),
        });
        let shutdown = CancellationToken::new();
        let accept = tokio::spawn(accept_loop(listener, state.clone(), shutdown.clone()));
        Self {
            addr,
            state,
            shutdown,
            accept,
        }
    }

    /// Starts a server that answers with the offline simulation's replies.
    pub fn start_sim(seed: u64) -> Self {
        Self::start(SimResponder { seed })
    }

    /// Base URL for the Anthropic client (it appends `/v1/messages`).
    pub fn anthropic_base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Base URL for the OpenAI-compatible client (it appends `/chat/completions`).
    pub fn openai_base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Sets the shortest prefix, in tokens, that the prompt caches of both APIs keep (by default
    /// the providers' own: 1024, or 2048 for Anthropic's Haiku models).
    pub fn set_cache_minimum(&self, tokens: u64) {
        lock(&self.state.anthropic_cache).minimum = Some(tokens);
        lock(&self.state.openai_cache).minimum = Some(tokens);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    /// The usage of every reply streamed up to its final usage event, in order.
    pub fn usages(&self) -> Vec<Usage> {
        lock(&self.state.usages).clone()
    }

    /// The sum of [`MockServer::usages`].
    pub fn total_usage(&self) -> Usage {
        let mut total = Usage::default();
        for usage in lock(&self.state.usages).iter() {
            total.add(usage);
        }
        total
    }

    /// For every streamed reply, the labels of the events written (event names for Anthropic,
    /// `chunk`/`error`/`[DONE]` for OpenAI).
    pub fn events_sent(&self) -> Vec<Vec<String>> {
        lock(&self.state.events).clone()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
        self.accept.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `text` in pieces of `size` characters.
pub(crate) fn chunks(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(size.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, shutdown: CancellationToken) {
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            // Out of file descriptors or similar: try again shortly rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let state = state.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = serve_connection(conn, state) => {}
            }
        });
    }
}

/// Serves requests on one keep-alive connection until the client closes it or a fault ends it.
async fn serve_connection(mut conn: TcpStream, state: Arc<State>) {
    let mut buf = Vec::new();
    while let Ok(Some(request)) = http::read_request(&mut conn, &mut buf).await {
        match answer(&mut conn, &state, request).await {
            Ok(Connection::KeepAlive) => {}
            Ok(Connection::Reset) => {
                let _ = conn.set_zero_linger();
                return;
            }
            Ok(Connection::Close) | Err(_) => return,
        }
    }
}

enum Connection {
    KeepAlive,
    Close,
    Reset,
}

async fn answer(
    conn: &mut TcpStream,
    state: &State,
    request: http::Request,
) -> std::io::Result<Connection> {
    let api = if request.path.ends_with("/v1/messages") {
        Some(Api::Anthropic)
    } else if request.path.ends_with("/chat/completions") {
        Some(Api::OpenAi)
    } else {
        None
    };
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let parsed = match api {
        Some(Api::Anthropic) => anthropic::parse_request(&body).map(|req| (Api::Anthropic, req)),
        Some(Api::OpenAi) => openai::parse_request(&body).map(|req| (Api::OpenAi, req)),
        None => Err(format!("no route for {} {}", request.method, request.path)),
    };
    let n = {
        let mut requests = lock(&state.requests);
        requests.push(RecordedRequest {
            api,
            method: request.method,
            path: request.path,
            headers: request.headers,
            body,
            request: parsed.as_ref().ok().map(|(_, req)| req.clone()),
        });
        requests.len()
    };
    let json = [("content-type", "application/json".to_owned())];
    let (api, req) = match parsed {
        Ok(parsed) => parsed,
        Err(message) => {
            let status = if api.is_some() { 400 } else { 404 };
            let body = error_body(api.unwrap_or(Api::OpenAi), status, &message);
            http::write_response(conn, status, &json, body.to_string().as_bytes()).await?;
            return Ok(Connection::KeepAlive);
        }
    };
    let reply = state.responder.reply(&req);
    if let Some(Fault::Status {
        status,
        message,
        retry_after,
        retry_after_ms,
    }) = &reply.fault
    {
        let mut headers = json.to_vec();
        if let Some(value) = retry_after {
            headers.push(("retry-after", value.clone()));
        }
        if let Some(value) = retry_after_ms {
            headers.push(("retry-after-ms", value.clone()));
        }
        let body = error_body(api, *status, message);
        // A status reply with a delay is held that long before it is written.
        if !reply.event_delay.is_zero() {
            tokio::time::sleep(reply.event_delay).await;
        }
        http::write_response(conn, *status, &headers, body.to_string().as_bytes()).await?;
        return Ok(Connection::KeepAlive);
    }
    let events = match api {
        Api::Anthropic => {
            let usage = lock(&state.anthropic_cache).usage(&req, &reply.text);
            anthropic::events(&req, &reply, usage, n)
        }
        Api::OpenAi => {
            let usage = lock(&state.openai_cache).usage(&req, &reply.text);
            openai::events(&req, &reply, usage, n)
        }
    };
    let slot = {
        let mut log = lock(&state.events);
        log.push(Vec::new());
        log.len() - 1
    };
    let sse_headers = [
        (
            "content-type",
            "text/event-stream; charset=utf-8".to_owned(),
        ),
        ("cache-control", "no-cache".to_owned()),
    ];
    http::write_stream_head(conn, 200, &sse_headers).await?;
    for (i, event) in events.iter().enumerate() {
        match &reply.fault {
            Some(Fault::ErrorEvent {
                after,
                kind,
                message,
            }) if *after == i => {
                let error = match api {
                    Api::Anthropic => anthropic::error_event(kind, message),
                    Api::OpenAi => openai::error_event(kind, message),
                };
                send_event(conn, state, slot, &error).await?;
                http::finish_chunks(conn).await?;
                return Ok(Connection::KeepAlive);
            }
            Some(Fault::Reset { after }) if *after == i => return Ok(Connection::Reset),
            Some(Fault::Close { after }) if *after == i => return Ok(Connection::Close),
            Some(Fault::Truncate { after }) if *after == i => {
                http::finish_chunks(conn).await?;
                return Ok(Connection::KeepAlive);
            }
            Some(Fault::Stall { after, duration }) if *after == i => {
                tokio::time::sleep(*duration).await
            }
            Some(Fault::Garbage { after }) if *after == i => {
                let garbage = SseEvent {
                    label: "garbage".into(),
                    bytes: b"data: {\"type\": \"content_block_delta\", \"ind\n\n".to_vec(),
                    usage: None,
                };
                send_event(conn, state, slot, &garbage).await?;
            }
            _ => {}
        }
        if !reply.event_delay.is_zero() {
            tokio::time::sleep(reply.event_delay).await;
        }
        send_event(conn, state, slot, event).await?;
    }
    http::finish_chunks(conn).await?;
    Ok(Connection::KeepAlive)
}

async fn send_event(
    conn: &mut TcpStream,
    state: &State,
    slot: usize,
    event: &SseEvent,
) -> std::io::Result<()> {
    http::write_chunk(conn, &event.bytes).await?;
    lock(&state.events)[slot].push(event.label.clone());
    if let Some(usage) = event.usage {
        lock(&state.usages).push(usage);
    }
    Ok(())
}

fn error_body(api: Api, status: u16, message: &str) -> Value {
    match api {
        Api::Anthropic => anthropic::error_body(status, message),
        Api::OpenAi => openai::error_body(status, message),
    }
}

/// Runs a task through a fresh engine to `RunDone` (90 s at most); returns every event.
pub async fn run_task(
    cfg: huddle::engine::EngineConfig,
    client: huddle::llm::Client,
    task: &str,
) -> Vec<huddle::engine::Event> {
    use huddle::engine::{Command, Engine, Event};
    let (engine, mut rx) = Engine::spawn(cfg, client);
    engine.send(Command::StartTask { task: task.into() });
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while let Ok(Some(e)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        let done = matches!(e, Event::RunDone { .. });
        events.push(e);
        if done {
            engine.send(Command::Shutdown);
            return events;
        }
    }
    panic!(
        "the run did not finish; last events: {:#?}",
        &events[events.len().saturating_sub(5)..]
    );
}

/// The `huddle` binary with a clean environment: no API keys; home, data, state and config
/// inside `home`; run from `home` so that no `.env` of the repository is read.
pub fn huddle_command(home: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_huddle"));
    cmd.current_dir(home)
        .env_clear()
        .envs(huddle::bench::clean_env(home));
    cmd
}

/// Output bytes of the binary as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The events a session recorded, as JSON values.
pub fn recorded_events(session: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(session.join("events.jsonl"))
        .expect("events.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("an event per line"))
        .collect()
}
