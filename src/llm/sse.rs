//! HTTP plumbing shared by the Anthropic and OpenAI-compatible clients: building the HTTP client,
//! sending a request, turning a non-2xx response into an [`LlmError`], and reading a server-sent
//! event stream with an idle timeout.

use std::error::Error as StdError;
use std::time::Duration;

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::stream::{BoxStream, Stream, StreamExt};
use reqwest::header::HeaderValue;
use serde::Deserialize;

use super::{LlmError, parse_retry_after};

/// How long to wait for a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a response may stay silent (before its headers, or between two reads of its body)
/// before the call counts as stalled.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(120);
/// How much of an unrecognised error body goes into an error message.
const BODY_EXCERPT_CHARS: usize = 300;

/// What a provider calls itself in an authentication error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AuthHint {
    pub provider: &'static str,
    pub env_var: &'static str,
}

/// Where and how a client calls its API: the URL, the shared HTTP client, the read timeout, the
/// secret to keep out of messages, and how to name the provider in errors.
#[derive(Clone)]
pub(crate) struct Endpoint {
    base_url: String,
    url: reqwest::Url,
    http: reqwest::Client,
    read_timeout: Duration,
    secret: String,
    provider: &'static str,
    auth: AuthHint,
}

impl Endpoint {
    /// `base_url` joined with `path`; `secret` (the API key, or empty) is redacted from errors.
    pub fn new(
        base_url: String,
        path: &str,
        secret: String,
        provider: &'static str,
        auth: AuthHint,
    ) -> Result<Self, LlmError> {
        let url = endpoint(&base_url, path)?;
        Ok(Self {
            base_url,
            url,
            http: http_client()?,
            read_timeout: DEFAULT_READ_TIMEOUT,
            secret,
            provider,
            auth,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    pub fn set_read_timeout(&mut self, read_timeout: Duration) {
        self.read_timeout = read_timeout;
    }

    /// A POST to the endpoint, to which the caller adds its headers and body.
    pub fn post(&self) -> reqwest::RequestBuilder {
        tracing::debug!(url = %self.url, provider = self.provider, "request");
        self.http.post(self.url.clone())
    }

    /// A header value holding a secret, marked sensitive; a key that cannot be sent in a header
    /// is an authentication error with status 0, naming the variable to fix.
    pub fn secret_header(&self, value: &str) -> Result<HeaderValue, LlmError> {
        let mut header = HeaderValue::from_str(value).map_err(|_| LlmError::Auth {
            provider: self.auth.provider,
            status: 0,
            env_var: self.auth.env_var,
        })?;
        header.set_sensitive(true);
        Ok(header)
    }

    /// Sends the request and opens its event stream; any other answer is the error it stands for.
    pub async fn open(&self, request: reqwest::RequestBuilder) -> Result<Events, LlmError> {
        let response = send(request, self.read_timeout, self.provider).await?;
        if !response.status().is_success() {
            return Err(status_error(response, self.auth, self.read_timeout, &self.secret).await);
        }
        if is_json_response(&response) {
            return Err(non_stream_error(response, self.read_timeout, &self.secret).await);
        }
        Ok(Events::new(
            response,
            self.read_timeout,
            self.provider,
            &self.secret,
        ))
    }
}

/// An HTTP client with the connect timeout set; read timeouts are applied per call.
pub(crate) fn http_client() -> Result<reqwest::Client, LlmError> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| LlmError::Connect(format!("cannot set up the HTTP client: {}", chain(&e))))
}

/// `base` joined with `path`, whether or not `base` ends in `/`; `base` may carry a path prefix.
pub(crate) fn endpoint(base: &str, path: &str) -> Result<reqwest::Url, LlmError> {
    let joined = format!(
        "{}/{}",
        base.trim().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    let url = reqwest::Url::parse(&joined)
        .map_err(|e| LlmError::Connect(format!("invalid base URL {base:?}: {e}")))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(LlmError::Connect(format!(
            "invalid base URL {base:?}: scheme {other} is not http or https"
        ))),
    }
}

/// Sends the request and waits for the response headers, at most `read_timeout`.
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    read_timeout: Duration,
    provider: &str,
) -> Result<reqwest::Response, LlmError> {
    match tokio::time::timeout(read_timeout, request.send()).await {
        Err(_) => Err(LlmError::Timeout(format!(
            "{provider} sent no response within {} s",
            read_timeout.as_secs_f32()
        ))),
        Ok(Err(e)) if e.is_timeout() => Err(LlmError::Timeout(chain(&e))),
        Ok(Err(e)) => Err(LlmError::Connect(chain(&e))),
        Ok(Ok(response)) => Ok(response),
    }
}

/// The error a non-2xx response stands for. 401 and 403 are authentication errors; the others carry
/// the API's own error message (or an excerpt of the body) and the server's requested wait.
pub(crate) async fn status_error(
    response: reqwest::Response,
    auth: AuthHint,
    read_timeout: Duration,
    secret: &str,
) -> LlmError {
    let status = response.status().as_u16();
    if status == 401 || status == 403 {
        return LlmError::Auth {
            provider: auth.provider,
            status,
            env_var: auth.env_var,
        };
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = parse_retry_after(
        header("retry-after").as_deref(),
        header("retry-after-ms").as_deref(),
    );
    let reason = response
        .status()
        .canonical_reason()
        .unwrap_or("error")
        .to_owned();
    // The body is only a courtesy: a stalled or broken body still leaves a usable error.
    let body = match tokio::time::timeout(read_timeout, response.text()).await {
        Ok(Ok(body)) => body,
        _ => String::new(),
    };
    let message = api_error(&body)
        .map(|(_, message)| message)
        .unwrap_or_else(|| excerpt(&body))
        .trim()
        .to_owned();
    let message = if message.is_empty() { reason } else { message };
    LlmError::Http {
        status,
        message: redact(&message, secret),
        retry_after,
    }
}

/// Reads a 2xx response that is not an event stream (some proxies answer errors that way).
pub(crate) async fn non_stream_error(
    response: reqwest::Response,
    read_timeout: Duration,
    secret: &str,
) -> LlmError {
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = match tokio::time::timeout(read_timeout, response.text()).await {
        Ok(Ok(body)) => body,
        _ => String::new(),
    };
    match api_error(&body) {
        Some((kind, message)) => LlmError::Api {
            kind,
            message: redact(&message, secret),
        },
        None => LlmError::Decode(format!(
            "expected an event stream, got {content_type}: {}",
            redact(&excerpt(&body), secret)
        )),
    }
}

/// Whether a 2xx response is plainly not an event stream. Lenient: a server that sends SSE without
/// a content type is still read as SSE.
pub(crate) fn is_json_response(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().starts_with("application/json"))
}

/// Kind and message of the error shapes the APIs use:
/// Anthropic `{"type":"error","error":{"type","message"}}`, OpenAI `{"error":{"message","type","code"}}`,
/// Ollama `{"error":"message"}`.
pub(crate) fn api_error(body: &str) -> Option<(String, String)> {
    #[derive(Deserialize)]
    struct Envelope {
        error: serde_json::Value,
    }
    let envelope: Envelope = serde_json::from_str(body).ok()?;
    error_fields(&envelope.error)
}

/// Kind and message of an API error object (or plain error string).
pub(crate) fn error_fields(error: &serde_json::Value) -> Option<(String, String)> {
    if let Some(message) = error.as_str() {
        return Some(("error".to_owned(), message.to_owned()));
    }
    let message = error.get("message")?.as_str()?.to_owned();
    let kind = ["type", "code"]
        .iter()
        .find_map(|key| match error.get(*key) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "error".to_owned());
    Some((kind, message))
}

/// The events of a server-sent event stream, each read within the idle timeout. Event data and
/// error messages never hold the API key: a server that echoes it back gets it blanked out.
pub struct Events {
    inner: BoxStream<'static, Result<Event, EventStreamError<LlmError>>>,
    read_timeout: Duration,
    provider: &'static str,
    secret: String,
}

impl Events {
    pub(crate) fn new(
        response: reqwest::Response,
        read_timeout: Duration,
        provider: &'static str,
        secret: &str,
    ) -> Self {
        let body = response.bytes_stream().map(|chunk| {
            chunk.map_err(|e| {
                if e.is_timeout() {
                    LlmError::Timeout(chain(&e))
                } else {
                    LlmError::Stream(chain(&e))
                }
            })
        });
        Self::from_body(body, read_timeout, provider, secret)
    }

    /// Reads the events of a body arriving as `body`, in chunks cut anywhere, exactly as a
    /// streamed response is read. `secret` (or empty) is blanked out of event data and errors.
    pub fn from_body<S, B>(
        body: S,
        read_timeout: Duration,
        provider: &'static str,
        secret: &str,
    ) -> Self
    where
        S: Stream<Item = Result<B, LlmError>> + Send + 'static,
        B: AsRef<[u8]> + Send + 'static,
    {
        Self {
            inner: normalized(body).eventsource().boxed(),
            read_timeout,
            provider,
            secret: secret.to_owned(),
        }
    }

    /// The next event; `None` when the body ended.
    pub async fn next(&mut self) -> Option<Result<Event, LlmError>> {
        let item = match tokio::time::timeout(self.read_timeout, self.inner.next()).await {
            Err(_) => {
                return Some(Err(LlmError::Timeout(format!(
                    "{} stream was silent for {} s",
                    self.provider,
                    self.read_timeout.as_secs_f32()
                ))));
            }
            Ok(item) => item?,
        };
        let secret = self.secret.as_str();
        Some(match item {
            Ok(mut event) => {
                if !secret.is_empty() && event.data.contains(secret) {
                    event.data = redact(&event.data, secret);
                }
                Ok(event)
            }
            Err(EventStreamError::Transport(e)) => Err(e),
            Err(EventStreamError::Utf8(e)) => Err(LlmError::Stream(format!(
                "invalid UTF-8 in the stream: {e}"
            ))),
            Err(EventStreamError::Parser(e)) => Err(LlmError::Stream(format!(
                "unreadable event stream: {}",
                redact(&excerpt(&e.to_string()), secret)
            ))),
        })
    }
}

/// The UTF-8 byte order mark, which an event stream may start with.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The body as eventsource-stream 0.2.3 must see it, however it is cut into chunks:
/// - without its leading byte order mark, and behind a comment line of our own: the crate strips
///   a BOM itself but slices it off as one byte and panics, so its input must never start with one
///   (not even a second BOM, which the SSE rules leave in the stream);
/// - with a final `\n` after a trailing lone `\r`: the crate waits for the `\n` of a `\r\n` that
///   will never come, and would drop the stream's last event.
fn normalized<S, B>(body: S) -> impl Stream<Item = Result<Vec<u8>, LlmError>>
where
    S: Stream<Item = Result<B, LlmError>> + Send + 'static,
    B: AsRef<[u8]> + Send + 'static,
{
    struct Body {
        inner: BoxStream<'static, Result<Vec<u8>, LlmError>>,
        /// The first bytes, held back until they show whether they start with a BOM.
        head: Option<Vec<u8>>,
        ends_in_cr: bool,
        done: bool,
    }
    let body = Body {
        inner: body.map(|chunk| chunk.map(|b| b.as_ref().to_vec())).boxed(),
        head: Some(Vec::new()),
        ends_in_cr: false,
        done: false,
    };
    futures_util::stream::unfold(body, |mut body| async move {
        if body.done {
            return None;
        }
        let bytes = match body.inner.next().await {
            Some(Ok(bytes)) => bytes,
            Some(Err(e)) => return Some((Err(e), body)),
            None => {
                body.done = true;
                return body.ends_in_cr.then(|| (Ok(b"\n".to_vec()), body));
            }
        };
        let out = match body.head.as_mut() {
            None => bytes,
            Some(held) => {
                held.extend_from_slice(&bytes);
                if held.len() < BOM.len() && BOM.starts_with(held) {
                    return Some((Ok(Vec::new()), body));
                }
                let held = body.head.take().unwrap_or_default();
                let rest = held.strip_prefix(BOM).unwrap_or(&held);
                [b":\n", rest].concat()
            }
        };
        if let Some(&last) = out.last() {
            body.ends_in_cr = last == b'\r';
        }
        Some((Ok(out), body))
    })
}

/// An error and its sources, joined: reqwest's own message alone ("error sending request") hides
/// the cause.
pub(crate) fn chain(err: &dyn StdError) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// `text` with every occurrence of `secret` blanked out.
pub(crate) fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "[redacted]")
    }
}

/// The start of a body, for an error message.
fn excerpt(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(BODY_EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &body[..cut]),
        None => body.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_joins_with_or_without_slash_and_prefix() {
        let url = |b: &str| endpoint(b, "/v1/messages").map(|u| u.to_string());
        assert_eq!(
            url("https://api.anthropic.com").unwrap(),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            url("https://api.anthropic.com/").unwrap(),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            url("http://127.0.0.1:9/anthropic/").unwrap(),
            "http://127.0.0.1:9/anthropic/v1/messages"
        );
        assert!(matches!(url("ftp://x"), Err(LlmError::Connect(_))));
        assert!(matches!(url("not a url"), Err(LlmError::Connect(_))));
    }

    #[test]
    fn api_error_reads_each_shape() {
        let anthropic =
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(
            api_error(anthropic),
            Some(("overloaded_error".into(), "Overloaded".into()))
        );
        let openai =
            r#"{"error":{"message":"Slow down","type":null,"code":"rate_limit_exceeded"}}"#;
        assert_eq!(
            api_error(openai),
            Some(("rate_limit_exceeded".into(), "Slow down".into()))
        );
        assert_eq!(
            api_error(r#"{"error":"model not found"}"#),
            Some(("error".into(), "model not found".into()))
        );
        assert_eq!(api_error("<html>bad gateway</html>"), None);
    }

    #[test]
    fn excerpt_cuts_long_bodies_on_a_char_boundary() {
        let long = "é".repeat(BODY_EXCERPT_CHARS + 10);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), BODY_EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn redact_blanks_the_secret() {
        assert_eq!(
            redact("bad key sk-1 here", "sk-1"),
            "bad key [redacted] here"
        );
        assert_eq!(redact("text", ""), "text");
    }
}
