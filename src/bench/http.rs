//! Just enough HTTP/1.1 for the mock LLM servers (the bench's, and the tests' one in
//! `tests/support/`), written by hand so that faults can be injected at the byte level: requests
//! with a `content-length` body, fixed-length responses, and chunked bodies written one chunk at a
//! time.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// One request as received.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Reads the next request on a keep-alive connection; `None` when the client closed it cleanly.
/// `buf` carries bytes read past the previous request.
pub async fn read_request(conn: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<Option<Request>> {
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("request head too large"));
        }
        if read_more(conn, buf).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(invalid("closed mid-request"))
            };
        }
    };
    let head =
        String::from_utf8(buf[..head_end].to_vec()).map_err(|_| invalid("head not UTF-8"))?;
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let method = request_line.next().unwrap_or("").to_owned();
    let path = request_line.next().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if header("transfer-encoding").is_some() {
        return Err(invalid("chunked request bodies are not supported"));
    }
    let length: usize = match header("content-length") {
        Some(v) => v.parse().map_err(|_| invalid("bad content-length"))?,
        None => 0,
    };
    while buf.len() < length {
        if read_more(conn, buf).await? == 0 {
            return Err(invalid("closed mid-body"));
        }
    }
    let body = buf.drain(..length).collect();
    Ok(Some(Request {
        method,
        path,
        headers,
        body,
    }))
}

async fn read_more(conn: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; 8192];
    let n = conn.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

fn status_line(status: u16) -> String {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Overloaded",
        _ => "Status",
    };
    format!("HTTP/1.1 {status} {reason}\r\n")
}

/// Writes a whole response with a fixed-length body.
pub async fn write_response(
    conn: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
) -> io::Result<()> {
    let mut head = status_line(status);
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    conn.write_all(head.as_bytes()).await?;
    conn.write_all(body).await?;
    conn.flush().await
}

/// Writes the head of a chunked (streamed) response.
pub async fn write_stream_head(
    conn: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
) -> io::Result<()> {
    let mut head = status_line(status);
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("transfer-encoding: chunked\r\n\r\n");
    conn.write_all(head.as_bytes()).await?;
    conn.flush().await
}

/// Writes one chunk of a chunked body and flushes it, so the client sees it at once.
pub async fn write_chunk(conn: &mut TcpStream, data: &[u8]) -> io::Result<()> {
    conn.write_all(format!("{:x}\r\n", data.len()).as_bytes())
        .await?;
    conn.write_all(data).await?;
    conn.write_all(b"\r\n").await?;
    conn.flush().await
}

/// Ends a chunked body cleanly.
pub async fn finish_chunks(conn: &mut TcpStream) -> io::Result<()> {
    conn.write_all(b"0\r\n\r\n").await?;
    conn.flush().await
}
