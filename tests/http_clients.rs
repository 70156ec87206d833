//! The Anthropic and OpenAI-compatible clients, and retries, against the mock LLM server.

mod support;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use huddle::llm::anthropic::AnthropicClient;
use huddle::llm::openai::OpenAiClient;
use huddle::llm::retry::{Gate, RetryNotice, RetryPolicy, call_with_retry, call_with_retry_gated};
use huddle::llm::{ChatMessage, Client, LlmError, LlmRequest, LlmResponse, Output, Part, Usage};
use serde_json::json;
use support::{Fault, MockServer, Reply, Script};
use tokio_util::sync::CancellationToken;

const KEY: &str = "sk-ant-test-0123456789-secret";

/// 4096 characters: 1024 tokens by `estimate_tokens`, the shortest prefix Sonnet caches.
fn stable_prefix() -> String {
    "S".repeat(4096)
}

fn text_request() -> LlmRequest {
    LlmRequest {
        model: "claude-mock-1".into(),
        system: vec![Part::cached(stable_prefix()), Part::new("Today: Monday.")],
        messages: vec![ChatMessage::user(vec![Part::new("What is up?")])],
        max_tokens: 300,
        output: Output::Text,
        temperature: None,
    }
}

fn json_request() -> LlmRequest {
    LlmRequest {
        output: Output::Json {
            name: "verdict".into(),
            description: "Say whether it is fine.".into(),
            schema: json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}),
        },
        ..text_request()
    }
}

fn anthropic(server: &MockServer) -> Client {
    Client::Anthropic(AnthropicClient::new(server.anthropic_base_url(), KEY).unwrap())
}

fn openai(server: &MockServer, key: Option<&str>) -> Client {
    Client::OpenAi(OpenAiClient::new(server.openai_base_url(), key.map(str::to_owned)).unwrap())
}

/// Calls `client` once, collecting the streamed fragments.
async fn call(client: &Client, req: &LlmRequest) -> (Result<LlmResponse, LlmError>, Vec<String>) {
    let deltas = Mutex::new(Vec::new());
    let result = client
        .stream(req, &|d: &str| deltas.lock().unwrap().push(d.to_owned()))
        .await;
    (result, deltas.into_inner().unwrap())
}

fn fast_policy(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    }
}

/// Calls through `call_with_retry`, collecting the retry notices.
async fn call_retrying(
    client: &Client,
    req: &LlmRequest,
    policy: &RetryPolicy,
    cancel: &CancellationToken,
) -> (Result<LlmResponse, LlmError>, Vec<RetryNotice>) {
    let notices = Mutex::new(Vec::new());
    let on_retry = |n: &RetryNotice| notices.lock().unwrap().push(n.clone());
    let result = call_with_retry(client, req, &|_| {}, policy, cancel, &on_retry).await;
    (result, notices.into_inner().unwrap())
}

#[tokio::test]
async fn anthropic_streams_text_with_cache_usage() {
    let server = MockServer::start(|_: &LlmRequest| Reply::text("Hello there, world!"));
    let client = anthropic(&server);

    let (result, deltas) = call(&client, &text_request()).await;
    let first = result.unwrap();
    assert_eq!(deltas, ["Hello", " ther", "e, wo", "rld!"]);
    assert_eq!(first.text, "Hello there, world!");
    assert_eq!(first.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(first.model, "claude-mock-1");
    // 4121 prompt characters = 1031 tokens, of which the cached prefix is 1024.
    assert_eq!(
        first.usage,
        Usage {
            input_tokens: 7,
            output_tokens: 5,
            cache_write_tokens: 1024,
            cache_read_tokens: 0
        }
    );

    let (second, _) = call(&client, &text_request()).await;
    assert_eq!(
        second.unwrap().usage,
        Usage {
            input_tokens: 7,
            output_tokens: 5,
            cache_write_tokens: 0,
            cache_read_tokens: 1024
        }
    );
    assert_eq!(server.usages().len(), 2);
    assert_eq!(
        server.total_usage(),
        Usage {
            input_tokens: 14,
            output_tokens: 10,
            cache_write_tokens: 1024,
            cache_read_tokens: 1024
        }
    );
}

#[tokio::test]
async fn anthropic_ignores_pings_between_deltas() {
    let server = MockServer::start(|_: &LlmRequest| Reply::text("abcdefghij").with_chunk_chars(1));
    let (result, deltas) = call(&anthropic(&server), &text_request()).await;
    assert_eq!(result.unwrap().text, "abcdefghij");
    assert_eq!(deltas.len(), 10);
    let sent = &server.events_sent()[0];
    assert_eq!(sent.iter().filter(|e| *e == "ping").count(), 3, "{sent:?}");
    assert_eq!(sent.first().map(String::as_str), Some("message_start"));
    assert_eq!(sent.last().map(String::as_str), Some("message_stop"));
}

#[tokio::test]
async fn anthropic_structured_output_comes_from_the_forced_tool() {
    let reply = r#"{"ok":true,"reason":"fine"}"#;
    let server = MockServer::start(move |_: &LlmRequest| Reply::text(reply).with_chunk_chars(7));
    let (result, deltas) = call(&anthropic(&server), &json_request()).await;
    let response = result.unwrap();
    assert_eq!(response.text, reply);
    assert_eq!(
        deltas,
        [r#"{"ok":t"#, r#"rue,"re"#, r#"ason":""#, r#"fine"}"#]
    );
    assert_eq!(response.stop_reason.as_deref(), Some("tool_use"));
    assert_eq!(response.usage.output_tokens, 7);
    assert_eq!(
        server.requests()[0].request.as_ref().unwrap(),
        &json_request()
    );
}

#[tokio::test]
async fn anthropic_request_shape() {
    let server = MockServer::start(|_: &LlmRequest| Reply::text("ok"));
    let prefixed = format!("{}/proxy/anthropic/", server.anthropic_base_url());
    let client = Client::Anthropic(AnthropicClient::new(prefixed, KEY).unwrap());
    let mut req = json_request();
    req.temperature = Some(0.25);
    req.messages.push(ChatMessage::assistant("Earlier answer."));
    req.messages.push(ChatMessage::user(vec![
        Part::cached("Long history."),
        Part::new("Now?"),
    ]));
    call(&client, &req).await.0.unwrap();

    let recorded = &server.requests()[0];
    assert_eq!(recorded.method, "POST");
    assert_eq!(recorded.path, "/proxy/anthropic/v1/messages");
    assert_eq!(recorded.header("x-api-key"), Some(KEY));
    assert_eq!(recorded.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(recorded.header("content-type"), Some("application/json"));
    assert_eq!(recorded.header("authorization"), None);
    assert_eq!(
        recorded.body,
        json!({
            "model": "claude-mock-1",
            "max_tokens": 300,
            "stream": true,
            "system": [
                {"type": "text", "text": stable_prefix(), "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "Today: Monday."}
            ],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "What is up?"}]},
                {"role": "assistant", "content": [{"type": "text", "text": "Earlier answer."}]},
                {"role": "user", "content": [
                    {"type": "text", "text": "Long history.", "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": "Now?"}
                ]}
            ],
            "temperature": 0.25,
            "tools": [{
                "name": "verdict",
                "description": "Say whether it is fine.",
                "input_schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
            }],
            "tool_choice": {"type": "tool", "name": "verdict"}
        })
    );
}

#[tokio::test]
async fn anthropic_error_event_mid_stream_is_an_api_error() {
    let server = MockServer::start(|_: &LlmRequest| {
        Reply::text("Hello there, world!").with_fault(Fault::ErrorEvent {
            after: 4,
            kind: "overloaded_error".into(),
            message: "Overloaded".into(),
        })
    });
    let (result, deltas) = call(&anthropic(&server), &text_request()).await;
    let err = result.unwrap_err();
    assert_eq!(
        err,
        LlmError::Api {
            kind: "overloaded_error".into(),
            message: "Overloaded".into()
        }
    );
    assert!(err.is_retryable());
    // message_start, content_block_start, ping, one delta: then the error.
    assert_eq!(deltas, ["Hello"]);
    assert!(server.usages().is_empty());
}

#[tokio::test]
async fn anthropic_stream_without_message_stop_is_broken() {
    // 9 events in all; cut just before message_stop.
    let server = MockServer::start(|_: &LlmRequest| {
        Reply::text("Hello there").with_fault(Fault::Truncate { after: 8 })
    });
    let (result, deltas) = call(&anthropic(&server), &text_request()).await;
    assert_eq!(
        result.unwrap_err(),
        LlmError::Stream("Anthropic stream ended before message_stop".into())
    );
    assert_eq!(deltas.concat(), "Hello there");
    assert_eq!(
        server.events_sent()[0].last().map(String::as_str),
        Some("message_delta")
    );
}

#[tokio::test]
async fn anthropic_reset_and_garbage_are_stream_errors() {
    let server = MockServer::start(Script::new([
        Reply::text("Hello there").with_fault(Fault::Reset { after: 3 }),
        Reply::text("Hello there").with_fault(Fault::Close { after: 3 }),
        Reply::text("Hello there").with_fault(Fault::Garbage { after: 3 }),
    ]));
    let client = anthropic(&server);
    for fault in ["reset", "close", "garbage"] {
        let (result, _) = call(&client, &text_request()).await;
        let err = result.unwrap_err();
        assert!(matches!(err, LlmError::Stream(_)), "{fault}: {err:?}");
        assert!(err.is_retryable());
    }
}

#[tokio::test]
async fn anthropic_stall_hits_the_read_timeout() {
    let server = MockServer::start(|_: &LlmRequest| {
        Reply::text("Hello there").with_fault(Fault::Stall {
            after: 3,
            duration: Duration::from_secs(5),
        })
    });
    let client = Client::Anthropic(
        AnthropicClient::new(server.anthropic_base_url(), KEY)
            .unwrap()
            .with_read_timeout(Duration::from_millis(200)),
    );
    let started = Instant::now();
    let (result, _) = call(&client, &text_request()).await;
    assert!(matches!(result, Err(LlmError::Timeout(_))), "{result:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn anthropic_401_names_the_variable_and_hides_the_key() {
    let server =
        MockServer::start(|_: &LlmRequest| Reply::status(401, format!("invalid x-api-key {KEY}")));
    let client = anthropic(&server);
    let (result, _) = call(&client, &text_request()).await;
    let err = result.unwrap_err();
    assert_eq!(
        err,
        LlmError::Auth {
            provider: "Anthropic",
            status: 401,
            env_var: "ANTHROPIC_API_KEY"
        }
    );
    assert!(!err.is_retryable());
    for shown in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        assert!(!shown.contains(KEY), "{shown}");
    }
    assert!(err.to_string().contains("ANTHROPIC_API_KEY"));
}

#[tokio::test]
async fn http_errors_carry_the_api_message_and_retry_after() {
    let server = MockServer::start(Script::new([
        Reply::status(529, format!("Overloaded (key {KEY})")).with_retry_after("1.5"),
        Reply::status(400, "max_tokens: too large"),
    ]));
    let client = anthropic(&server);
    let (result, _) = call(&client, &text_request()).await;
    assert_eq!(
        result.unwrap_err(),
        LlmError::Http {
            status: 529,
            message: "Overloaded (key [redacted])".into(),
            retry_after: Some(Duration::from_millis(1500)),
        }
    );
    let (result, _) = call(&client, &text_request()).await;
    let err = result.unwrap_err();
    assert_eq!(
        err,
        LlmError::Http {
            status: 400,
            message: "max_tokens: too large".into(),
            retry_after: None
        }
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn retry_honours_retry_after_then_succeeds() {
    let server = MockServer::start(Script::new([
        Reply::status(429, "Slow down").with_retry_after_ms("50"),
        Reply::text("finally"),
    ]));
    let started = Instant::now();
    let (result, notices) = call_retrying(
        &anthropic(&server),
        &text_request(),
        &fast_policy(3),
        &CancellationToken::new(),
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(result.unwrap().text, "finally");
    assert_eq!(
        notices,
        [RetryNotice {
            attempt: 1,
            delay: Duration::from_millis(50),
            error: LlmError::Http {
                status: 429,
                message: "Slow down".into(),
                retry_after: Some(Duration::from_millis(50)),
            },
        }]
    );
    assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
    assert_eq!(server.requests().len(), 2);
    assert_eq!(server.usages().len(), 1);
}

#[tokio::test]
async fn retry_recovers_from_broken_streams() {
    let server = MockServer::start(Script::new([
        Reply::text("lost").with_fault(Fault::ErrorEvent {
            after: 3,
            kind: "overloaded_error".into(),
            message: "Overloaded".into(),
        }),
        Reply::text("lost").with_fault(Fault::Reset { after: 4 }),
        Reply::text("kept"),
    ]));
    let (result, notices) = call_retrying(
        &anthropic(&server),
        &text_request(),
        &fast_policy(3),
        &CancellationToken::new(),
    )
    .await;
    assert_eq!(result.unwrap().text, "kept");
    assert_eq!(
        notices.iter().map(|n| n.attempt).collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(
        matches!(notices[0].error, LlmError::Api { ref kind, .. } if kind == "overloaded_error")
    );
    assert!(
        matches!(notices[1].error, LlmError::Stream(_)),
        "{:?}",
        notices[1].error
    );
    assert!(notices.iter().all(|n| n.delay <= Duration::from_millis(2)));
}

#[tokio::test]
async fn retry_gives_up_after_max_retries_and_skips_permanent_errors() {
    let server = MockServer::start(|_: &LlmRequest| Reply::status(503, "unavailable"));
    let (result, notices) = call_retrying(
        &anthropic(&server),
        &text_request(),
        &fast_policy(2),
        &CancellationToken::new(),
    )
    .await;
    assert!(
        matches!(result, Err(LlmError::Http { status: 503, .. })),
        "{result:?}"
    );
    assert_eq!(notices.len(), 2);
    assert_eq!(server.requests().len(), 3);

    let server = MockServer::start(|_: &LlmRequest| Reply::status(400, "bad"));
    let (result, notices) = call_retrying(
        &anthropic(&server),
        &text_request(),
        &fast_policy(2),
        &CancellationToken::new(),
    )
    .await;
    assert!(
        matches!(result, Err(LlmError::Http { status: 400, .. })),
        "{result:?}"
    );
    assert!(notices.is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn cancel_aborts_an_attempt_in_flight_and_a_wait() {
    let server = MockServer::start(Script::new([
        Reply::text("never finished").with_fault(Fault::Stall {
            after: 3,
            duration: Duration::from_secs(30),
        }),
        Reply::status(503, "busy").with_retry_after("30"),
    ]));
    let client = anthropic(&server);

    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let (result, _) = call_retrying(&client, &text_request(), &fast_policy(3), &cancel).await;
    assert_eq!(result.unwrap_err(), LlmError::Cancelled);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Cancelled while waiting out a 30 s retry-after.
    let cancel = CancellationToken::new();
    let started = Instant::now();
    let on_retry = |n: &RetryNotice| {
        assert_eq!(n.delay, Duration::from_secs(30));
        cancel.cancel();
    };
    let result = call_with_retry(
        &client,
        &text_request(),
        &|_| {},
        &fast_policy(3),
        &cancel,
        &on_retry,
    )
    .await;
    assert_eq!(result.unwrap_err(), LlmError::Cancelled);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

/// Numbers the attempts it lets through and records how each ended.
#[derive(Default)]
struct Turnstile {
    admitted: Mutex<usize>,
    settled: Mutex<Vec<(usize, Result<(), LlmError>)>>,
}

impl Gate for Turnstile {
    type Pass<'a> = usize;
    fn admit(&self) -> impl Future<Output = usize> + Send {
        let mut admitted = self.admitted.lock().unwrap();
        *admitted += 1;
        std::future::ready(*admitted)
    }
    fn settle(&self, pass: usize, outcome: Result<(), &LlmError>) {
        self.settled
            .lock()
            .unwrap()
            .push((pass, outcome.map_err(Clone::clone)));
    }
}

#[tokio::test]
async fn every_attempt_goes_through_the_gate_and_reports_how_it_ended() {
    let server = MockServer::start(Script::new([
        Reply::status(429, "Slow down").with_retry_after_ms("10"),
        Reply::text("lost").with_fault(Fault::Reset { after: 2 }),
        Reply::text("kept"),
    ]));
    let gate = Turnstile::default();
    let result = call_with_retry_gated(
        &anthropic(&server),
        &text_request(),
        &|_| {},
        &fast_policy(3),
        &CancellationToken::new(),
        &|_| {},
        &gate,
    )
    .await;
    assert_eq!(result.unwrap().text, "kept");
    let settled = gate.settled.into_inner().unwrap();
    assert_eq!(
        settled.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(matches!(
        settled[0].1,
        Err(LlmError::Http { status: 429, .. })
    ));
    assert!(matches!(settled[1].1, Err(LlmError::Stream(_))));
    assert_eq!(settled[2].1, Ok(()));
}

/// Never lets anything through.
struct Shut;

impl Gate for Shut {
    type Pass<'a> = ();
    fn admit(&self) -> impl Future<Output = ()> + Send {
        std::future::pending()
    }
    fn settle(&self, (): (), _: Result<(), &LlmError>) {}
}

#[tokio::test]
async fn a_call_waiting_at_the_gate_can_be_cancelled() {
    let server = MockServer::start(|_: &LlmRequest| Reply::text("never asked"));
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        trigger.cancel();
    });
    let result = call_with_retry_gated(
        &anthropic(&server),
        &text_request(),
        &|_| {},
        &fast_policy(3),
        &cancel,
        &|_| {},
        &Shut,
    )
    .await;
    assert_eq!(result.unwrap_err(), LlmError::Cancelled);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::Anthropic(AnthropicClient::new(base, KEY).unwrap());
    let (result, _) = call(&client, &text_request()).await;
    let err = result.unwrap_err();
    assert!(matches!(err, LlmError::Connect(_)), "{err:?}");
    assert!(!err.to_string().contains(KEY));
}

fn chat_request() -> LlmRequest {
    LlmRequest {
        model: "llama3.2".into(),
        system: vec![
            Part::cached("You are helpful. "),
            Part::new("Answer briefly."),
        ],
        messages: vec![ChatMessage::user(vec![
            Part::new("Hi"),
            Part::new(" there"),
        ])],
        max_tokens: 128,
        output: Output::Text,
        temperature: Some(0.5),
    }
}

#[tokio::test]
async fn openai_streams_text_with_cached_tokens() {
    let server = MockServer::start(|_: &LlmRequest| Reply::text("Hello! How can I help?"));
    let client = openai(&server, Some("sk-openai-secret"));

    let (result, deltas) = call(&client, &chat_request()).await;
    let first = result.unwrap();
    assert_eq!(deltas, ["Hello", "! How", " can ", "I hel", "p?"]);
    assert_eq!(first.text, "Hello! How can I help?");
    assert_eq!(first.stop_reason.as_deref(), Some("stop"));
    assert_eq!(first.model, "llama3.2");
    // System 32 characters + "Hi there" 8 = 40 characters: 10 tokens; the reply is 22 characters.
    assert_eq!(
        first.usage,
        Usage {
            input_tokens: 10,
            output_tokens: 6,
            cache_write_tokens: 0,
            cache_read_tokens: 0
        }
    );

    // Under 1024 tokens nothing is cached. A long prompt is, in steps of 128 tokens, from the
    // next request that repeats it on.
    let mut long = chat_request();
    long.system = vec![Part::new("x".repeat(4400))];
    let (result, _) = call(&client, &long).await;
    // 4400 + 8 characters: 1102 tokens.
    assert_eq!(result.unwrap().usage.cache_read_tokens, 0);
    long.messages
        .push(ChatMessage::assistant("Hello! How can I help?"));
    long.messages
        .push(ChatMessage::user(vec![Part::new("Tell me a joke.")]));
    let (result, _) = call(&client, &long).await;
    // 4408 + 22 + 15 = 4445 characters: 1112 tokens; 4096 characters repeat in whole steps.
    assert_eq!(
        result.unwrap().usage,
        Usage {
            input_tokens: 88,
            output_tokens: 6,
            cache_write_tokens: 0,
            cache_read_tokens: 1024
        }
    );
    assert_eq!(server.total_usage().cache_read_tokens, 1024);

    let recorded = &server.requests()[0];
    assert_eq!(recorded.path, "/v1/chat/completions");
    assert_eq!(
        recorded.header("authorization"),
        Some("Bearer sk-openai-secret")
    );
    assert_eq!(
        recorded.body,
        json!({
            "model": "llama3.2",
            "messages": [
                {"role": "system", "content": "You are helpful. Answer briefly."},
                {"role": "user", "content": "Hi there"}
            ],
            "max_tokens": 128,
            "stream": true,
            "stream_options": {"include_usage": true},
            "temperature": 0.5
        })
    );
}

#[tokio::test]
async fn openai_json_schema_output() {
    let reply = r#"{"ok":false}"#;
    let server = MockServer::start(move |_: &LlmRequest| Reply::text(reply));
    let mut req = json_request();
    req.model = "gpt-mock".into();
    let (result, deltas) = call(&openai(&server, None), &req).await;
    let response = result.unwrap();
    assert_eq!(response.text, reply);
    assert_eq!(deltas, [r#"{"ok""#, r#":fals"#, r#"e}"#]);
    let recorded = &server.requests()[0];
    assert_eq!(
        recorded.body["response_format"],
        json!({
            "type": "json_schema",
            "json_schema": {
                "name": "verdict",
                "description": "Say whether it is fine.",
                "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
                "strict": false
            }
        })
    );
    assert_eq!(recorded.request.as_ref().unwrap().output, req.output);
}

#[tokio::test]
async fn openai_without_key_sends_no_authorization() {
    let server = MockServer::start(|_: &LlmRequest| Reply::text("hi"));
    call(&openai(&server, None), &chat_request())
        .await
        .0
        .unwrap();
    call(&openai(&server, Some("")), &chat_request())
        .await
        .0
        .unwrap();
    for recorded in server.requests() {
        assert_eq!(recorded.header("authorization"), None);
    }
}

#[tokio::test]
async fn openai_stream_ends() {
    // Chunks: role, 1 content ("hi"), finish, usage, [DONE].
    let server = MockServer::start(Script::new([
        Reply::text("hi").with_fault(Fault::Truncate { after: 4 }),
        Reply::text("hi").with_fault(Fault::Truncate { after: 2 }),
        Reply::text("hi").with_fault(Fault::ErrorEvent {
            after: 2,
            kind: "server_error".into(),
            message: "The server had an error".into(),
        }),
    ]));
    let client = openai(&server, None);
    // Without [DONE] but after the finish reason and usage: accepted.
    let (result, _) = call(&client, &chat_request()).await;
    let response = result.unwrap();
    assert_eq!(
        (response.text.as_str(), response.stop_reason.as_deref()),
        ("hi", Some("stop"))
    );
    // Before the finish reason: broken.
    let (result, _) = call(&client, &chat_request()).await;
    assert!(
        matches!(result, Err(LlmError::Stream(ref m)) if m.contains("[DONE]")),
        "{result:?}"
    );
    // An error chunk, in the shared vocabulary so that it is retried.
    let (result, _) = call(&client, &chat_request()).await;
    let err = result.unwrap_err();
    assert_eq!(
        err,
        LlmError::Api {
            kind: "api_error".into(),
            message: "The server had an error".into()
        }
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn openai_401_names_openai_api_key() {
    let server =
        MockServer::start(|_: &LlmRequest| Reply::status(401, "Incorrect API key provided"));
    let (result, _) = call(&openai(&server, Some("sk-wrong")), &chat_request()).await;
    assert_eq!(
        result.unwrap_err(),
        LlmError::Auth {
            provider: "OpenAI",
            status: 401,
            env_var: "OPENAI_API_KEY"
        }
    );
}

#[test]
fn call_with_retry_is_send() {
    fn assert_send<T: Send>(_: T) {}
    let client = Client::OpenAi(OpenAiClient::new("http://127.0.0.1:1/v1", None).unwrap());
    let req = chat_request();
    let cancel = CancellationToken::new();
    let policy = RetryPolicy::default();
    assert_send(call_with_retry(
        &client,
        &req,
        &|_| {},
        &policy,
        &cancel,
        &|_| {},
    ));
}
