//! Sending one invocation by hand over a fresh connection (chunked or with a
//! Content-Length), and reading the handler's answer.

use std::fmt::Write as _;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{CHUNK_BYTES, Payload};

/// What the handler said about one invocation.
pub(super) struct Answer {
    pub records: usize,
    pub entries: usize,
    pub delivered: usize,
    pub retries: usize,
}

/// Sends one invocation over a fresh connection, chunked or with a Content-Length, and reads
/// the handler's answer.
pub(super) async fn invoke(
    addr: SocketAddr,
    payload: &Payload,
    id: &str,
    chunked: bool,
) -> Result<Answer, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    let _ = stream.set_nodelay(true);
    let body = &payload.request;
    let mut head = format!(
        "POST /EventHubTrigger HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         x-azure-functions-invocationid: {id}\r\nConnection: close\r\n"
    );
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        let _ = write!(head, "Content-Length: {}\r\n\r\n", body.len());
    }
    // A write that fails (the handler answered early, e.g. 413, and closed) still leaves its
    // answer to read.
    let sent: std::io::Result<()> = async {
        stream.write_all(head.as_bytes()).await?;
        for piece in body.chunks(CHUNK_BYTES) {
            if chunked {
                stream
                    .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await?;
                stream.write_all(piece).await?;
                stream.write_all(b"\r\n").await?;
            } else {
                stream.write_all(piece).await?;
            }
        }
        if chunked {
            stream.write_all(b"0\r\n\r\n").await?;
        }
        stream.flush().await
    }
    .await;
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer).await;
    let (status, body) = parse_response(&answer).ok_or_else(|| match (&sent, &read) {
        (Err(e), _) => format!("sending the request: {e}"),
        (_, Err(e)) => format!("reading the answer: {e}"),
        _ => format!(
            "not an HTTP answer: {:?}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        ),
    })?;
    let text = String::from_utf8_lossy(&body);
    if !(200..300).contains(&status) {
        return Err(format!(
            "HTTP {status}: {}",
            text.chars().take(300).collect::<String>()
        ));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| format!("answer is not JSON: {e}"))?;
    // The first log line is the summary: "partition=0 events=100 records=6209 entries=... ".
    let line = json["Logs"][0].as_str().unwrap_or_default();
    let count = |key: &str| {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse::<usize>().ok())
    };
    match (
        count("records"),
        count("entries"),
        count("delivered"),
        count("retries"),
    ) {
        (Some(records), Some(entries), Some(delivered), Some(retries)) => Ok(Answer {
            records,
            entries,
            delivered,
            retries,
        }),
        _ => Err(format!("no summary in the answer: {line}")),
    }
}

/// The status and body of an HTTP/1.1 answer read to the end (with a Content-Length, chunked,
/// or closed by the server).
fn parse_response(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let end = memchr::memmem::find(raw, b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let rest = &raw[end + 4..];
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    };
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        let mut at = rest;
        loop {
            let line_end = memchr::memmem::find(at, b"\r\n")?;
            let size_text = std::str::from_utf8(&at[..line_end]).ok()?;
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            at = &at[line_end + 2..];
            if size == 0 {
                return Some((status, body));
            }
            body.extend_from_slice(at.get(..size)?);
            at = at.get(size + 2..)?;
        }
    }
    let body = match header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(len) => rest.get(..len)?.to_vec(),
        None => rest.to_vec(),
    };
    Some((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_with_a_length_chunked_or_closed() {
        let with_length = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n{}{}extra";
        assert_eq!(parse_response(with_length), Some((200, b"{}{}".to_vec())));
        let chunked =
            b"HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Some((502, b"abcde".to_vec())));
        let closed = b"HTTP/1.1 413 Payload Too Large\r\n\r\ntoo large";
        assert_eq!(parse_response(closed), Some((413, b"too large".to_vec())));
        assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\n"), None);
    }
}
