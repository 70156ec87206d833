//! API keys never leak (SPEC §2): the real binary is run against mock servers with a planted key,
//! including hostile servers that echo the request's headers back in their errors, and then every
//! file it wrote (logs, events, plan, report) and everything it printed is searched for the key.

mod support;

use support::text;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use huddle::llm::Client;
use huddle::llm::anthropic::AnthropicClient;
use huddle::llm::openai::OpenAiClient;
use serde_json::json;
use support::{Fault, MockServer, Reply, Script};

const ANTHROPIC_KEY: &str = "sk-ant-PLANTED-9f8e7d6c5b4a";
const OPENAI_KEY: &str = "sk-proj-PLANTED-1a2b3c4d5e6f";
const TASK: &str = "Organize a tech conference for 300 people";

/// `huddle` with a clean environment: data, state, config and home inside `home`, plus `env`.
async fn huddle<V: AsRef<OsStr>>(home: &Path, env: &[(&str, V)], args: &[&str]) -> Output {
    let mut cmd = support::huddle_command(home);
    cmd.args(args).envs(env.iter().map(|(k, v)| (k, v)));
    // The mock servers run on this test's runtime: wait for the binary off it.
    tokio::task::spawn_blocking(move || cmd.output().expect("huddle runs"))
        .await
        .expect("the binary's wait did not panic")
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Where `key` (or its distinctive tail, in case it was cut) appears: file paths, file contents,
/// stdout and stderr.
fn leaks(home: &Path, out: &Output, key: &str) -> Vec<String> {
    let tail = &key[key.len() - 12..];
    let found = |bytes: &[u8]| {
        [key, tail]
            .iter()
            .any(|k| bytes.windows(k.len()).any(|w| w == k.as_bytes()))
    };
    let mut leaks = Vec::new();
    for path in files(home) {
        if found(path.to_string_lossy().as_bytes()) {
            leaks.push(format!("file name {}", path.display()));
        }
        if found(&std::fs::read(&path).unwrap()) {
            leaks.push(format!("contents of {}", path.display()));
        }
    }
    if found(&out.stdout) {
        leaks.push("stdout".into());
    }
    if found(&out.stderr) {
        leaks.push("stderr".into());
    }
    leaks
}

/// The run wrote what it should have (so the search above searched something): a log file and
/// a session with events and report, and a plan if planning succeeded. Returns the events.
fn written(home: &Path, planned: bool) -> String {
    let logs = files(&home.join("state/huddle/logs"));
    assert!(!logs.is_empty(), "no log file was written");
    let sessions: Vec<_> = std::fs::read_dir(home.join("data/huddle/sessions"))
        .expect("a session directory")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    for name in ["events.jsonl", "report.md"] {
        assert!(sessions[0].join(name).exists(), "no {name}");
    }
    assert_eq!(sessions[0].join("plan.json").exists(), planned);
    std::fs::read_to_string(sessions[0].join("events.jsonl")).unwrap()
}

fn anthropic_env(base_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ANTHROPIC_API_KEY", ANTHROPIC_KEY.to_owned()),
        ("ANTHROPIC_BASE_URL", base_url.to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_run_with_trace_logging_leaks_the_key_nowhere() {
    let server = MockServer::start_sim(11);
    let home = tempfile::tempdir().unwrap();
    let mut env = anthropic_env(&server.anthropic_base_url());
    env.push(("HUDDLE_LOG", "trace".to_owned()));
    let out = huddle(home.path(), &env, &["run", TASK, "--headless"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    written(home.path(), true);
    // The key was really used, so there was something to leak.
    let requests = server.requests();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.header("x-api-key") == Some(ANTHROPIC_KEY))
    );
    let log = files(&home.path().join("state/huddle/logs"))
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<String>();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "debug logging was on"
    );
    assert_eq!(
        leaks(home.path(), &out, ANTHROPIC_KEY),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_run_leaks_the_key_nowhere() {
    let server = MockServer::start_sim(12);
    let home = tempfile::tempdir().unwrap();
    let env = anthropic_env(&server.anthropic_base_url());
    let out = huddle(home.path(), &env, &["run", TASK, "--headless", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    written(home.path(), true);
    assert!(text(&out.stdout).lines().count() > 10, "events on stdout");
    assert_eq!(
        leaks(home.path(), &out, ANTHROPIC_KEY),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_quoting_the_key_are_redacted() {
    // A 500 whose body holds the key, then a stream that breaks off with an error event holding
    // it; both are retried, and the run then finishes normally.
    let server = MockServer::start(Script::new([
        Reply::status(500, format!("upstream refused key {ANTHROPIC_KEY}")),
        Reply::text("{}").with_fault(Fault::ErrorEvent {
            after: 0,
            kind: "api_error".into(),
            message: format!("proxy error for x-api-key={ANTHROPIC_KEY}"),
        }),
    ]));
    let home = tempfile::tempdir().unwrap();
    let mut env = anthropic_env(&server.anthropic_base_url());
    env.push(("HUDDLE_LOG", "debug".to_owned()));
    let out = huddle(home.path(), &env, &["run", TASK, "--headless"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let events = written(home.path(), true);
    assert!(
        events.contains("upstream refused key [redacted]"),
        "the 500 was recorded, redacted"
    );
    assert!(
        events.contains("proxy error for x-api-key=[redacted]"),
        "the error event was recorded, redacted"
    );
    assert_eq!(
        leaks(home.path(), &out, ANTHROPIC_KEY),
        Vec::<String>::new()
    );
}

/// Which API the echoing server imitates.
#[derive(Clone, Copy)]
enum Api {
    Anthropic,
    OpenAi,
}

/// A hostile server that puts every request header it received (API key included) into its
/// errors: first a 500, then a stream that fails with an error event, then a 2xx JSON error
/// instead of a stream, then 401 for good.
struct EchoServer {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl EchoServer {
    fn start(api: Api) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        // Detached: the accept loop ends with the test process.
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let counter = counter.clone();
                std::thread::spawn(move || serve(conn, api, &counter));
            }
        });
        Self { addr, hits }
    }
}

/// Answers requests on one keep-alive connection until the client closes it.
fn serve(conn: TcpStream, api: Api, hits: &AtomicUsize) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    loop {
        let mut headers = Vec::new();
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            headers.push(header.to_owned());
        }
        let length = headers
            .iter()
            .find_map(|h| {
                let (name, value) = h.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let echoed = format!("you sent: {}", headers.join("; "));
        let error = |kind: &str| match api {
            Api::Anthropic => {
                json!({"type": "error", "error": {"type": kind, "message": echoed}}).to_string()
            }
            Api::OpenAi => {
                json!({"error": {"message": echoed, "type": kind, "code": null}}).to_string()
            }
        };
        let (status, content_type, body) = match hits.fetch_add(1, Ordering::SeqCst) {
            0 => (
                "500 Internal Server Error",
                "application/json",
                error("api_error"),
            ),
            1 => {
                let event = match api {
                    Api::Anthropic => format!("event: error\ndata: {}\n\n", error("api_error")),
                    Api::OpenAi => format!("data: {}\n\n", error("api_error")),
                };
                ("200 OK", "text/event-stream", event)
            }
            2 => ("200 OK", "application/json", error("api_error")),
            _ => (
                "401 Unauthorized",
                "application/json",
                error("authentication_error"),
            ),
        };
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if conn.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_anthropic_server_echoing_the_headers_gets_no_key_into_any_file() {
    let server = EchoServer::start(Api::Anthropic);
    let home = tempfile::tempdir().unwrap();
    let mut env = anthropic_env(&format!("http://{}", server.addr));
    env.push(("HUDDLE_LOG", "trace".to_owned()));
    let out = huddle(home.path(), &env, &["run", TASK, "--headless"]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the run fails:\n{stderr}");
    assert!(
        stderr.contains("rejected the credentials"),
        "the 401 is named:\n{stderr}"
    );
    assert!(
        server.hits.load(Ordering::SeqCst) >= 4,
        "every kind of error was served"
    );
    let events = written(home.path(), false);
    assert!(
        events.contains("x-api-key: [redacted]"),
        "the echoed headers were recorded, redacted"
    );
    assert_eq!(
        leaks(home.path(), &out, ANTHROPIC_KEY),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_openai_server_echoing_the_headers_gets_no_key_into_any_file() {
    let server = EchoServer::start(Api::OpenAi);
    let home = tempfile::tempdir().unwrap();
    let base = format!("http://{}/v1", server.addr);
    let env = [
        ("OPENAI_API_KEY", OPENAI_KEY),
        ("OPENAI_BASE_URL", base.as_str()),
        ("HUDDLE_LOG", "trace"),
    ];
    let out = huddle(
        home.path(),
        &env,
        &["run", TASK, "--headless", "--json", "--provider", "openai"],
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the run fails:\n{stderr}");
    assert!(
        server.hits.load(Ordering::SeqCst) >= 4,
        "every kind of error was served"
    );
    let events = written(home.path(), false);
    assert!(
        events.contains("authorization: Bearer [redacted]"),
        "the echoed headers were recorded, redacted"
    );
    assert_eq!(leaks(home.path(), &out, OPENAI_KEY), Vec::<String>::new());
}

#[test]
fn the_debug_output_of_a_configured_client_holds_no_key() {
    let anthropic = AnthropicClient::new("http://127.0.0.1:9", ANTHROPIC_KEY).unwrap();
    let openai = OpenAiClient::new("http://127.0.0.1:9/v1", Some(OPENAI_KEY.to_owned())).unwrap();
    let shown = [
        format!("{anthropic:?} {anthropic:#?}"),
        format!("{openai:?} {openai:#?}"),
        format!("{:?}", Client::Anthropic(anthropic.clone())),
        format!("{:#?}", Client::OpenAi(openai.clone())),
    ];
    for text in shown {
        assert!(
            !text.contains(ANTHROPIC_KEY) && !text.contains(OPENAI_KEY),
            "{text}"
        );
        assert!(text.contains("[redacted]"), "{text}");
    }
}
