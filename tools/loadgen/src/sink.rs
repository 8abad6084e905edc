//! A stand-in for Coralogix: answers 200 to `POST /logs/v1/singles` once it has read the body,
//! and counts what arrived, over HTTPS on loopback (as Coralogix is reached, with a
//! certificate made at start that the handler is told to trust) or plain HTTP. It can also
//! refuse the next requests with a 500 and a large error body, to see how much of an error
//! answer the handler reads, and keep copies of the bodies it receives (`--gzip-levels`).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

/// What the sink has received so far.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    /// Body bytes as sent (compressed when gzip).
    pub wire_bytes: AtomicU64,
    /// Body bytes of JSON (for gzip, the size the gzip trailer records).
    pub json_bytes: AtomicU64,
    /// Entries counted in uncompressed bodies (gzip bodies are not inflated, to keep the sink
    /// cheap; the handler's own summary line counts those). Refused requests are not counted.
    pub entries: AtomicU64,
    /// Requests answered 500 so far.
    pub refused: AtomicU64,
    /// How many of the next requests to answer 500 with `error_body`.
    refuse_next: AtomicU64,
    error_body: Mutex<Bytes>,
    /// Uncompressed bodies kept while `keep` says so, up to its count.
    kept: Mutex<Vec<Bytes>>,
    keep: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Snapshot {
    pub requests: u64,
    pub wire_bytes: u64,
    pub json_bytes: u64,
    pub entries: u64,
}

impl Counters {
    /// Keeps copies of the next `n` uncompressed bodies (see `take_kept`).
    pub fn keep_next(&self, n: u64) {
        self.keep.store(n, Relaxed);
    }

    /// The bodies kept so far, in arrival order.
    pub fn take_kept(&self) -> Vec<Bytes> {
        std::mem::take(&mut *self.kept.lock().expect("not poisoned"))
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            requests: self.requests.load(Relaxed),
            wire_bytes: self.wire_bytes.load(Relaxed),
            json_bytes: self.json_bytes.load(Relaxed),
            entries: self.entries.load(Relaxed),
        }
    }

    /// Answers the next `n` requests with a 500 and an error body of `body_bytes` bytes (sent
    /// with its Content-Length); the requests after them are accepted again.
    pub fn refuse_next(&self, n: u64, body_bytes: usize) {
        let mut body = self.error_body.lock().expect("not poisoned");
        if body.len() != body_bytes {
            let mut text = br#"{"error":"internal error","detail":""#.to_vec();
            text.resize(body_bytes.saturating_sub(2), b'x');
            text.extend_from_slice(br#""}"#);
            text.truncate(body_bytes);
            *body = Bytes::from(text);
        }
        self.refuse_next.store(n, Relaxed);
    }
}

impl std::ops::Sub for Snapshot {
    type Output = Snapshot;
    fn sub(self, earlier: Snapshot) -> Snapshot {
        Snapshot {
            requests: self.requests - earlier.requests,
            wire_bytes: self.wire_bytes - earlier.wire_bytes,
            json_bytes: self.json_bytes - earlier.json_bytes,
            entries: self.entries - earlier.entries,
        }
    }
}

/// A running sink.
pub struct Sink {
    /// The base URL for the handler's `CORALOGIX_ENDPOINT`.
    pub url: String,
    /// With TLS: the certificate it serves (PEM), for the handler's `EXTRA_CA_CERTS`.
    pub ca_pem: Option<String>,
    pub counters: Arc<Counters>,
}

impl Sink {
    pub fn tls(&self) -> bool {
        self.ca_pem.is_some()
    }
}

/// Starts the sink on a loopback port, over TLS with a fresh certificate or plain HTTP.
pub async fn start(tls: bool) -> Result<Sink, String> {
    let counters = Arc::new(Counters::default());
    let app = Router::new()
        .route("/logs/v1/singles", post(singles))
        .layer(DefaultBodyLimit::disable())
        .with_state(Arc::clone(&counters));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("starting the sink: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("starting the sink: {e}"))?
        .port();
    if !tls {
        tokio::spawn(async move { axum::serve(listener, app).await });
        return Ok(Sink {
            url: format!("http://127.0.0.1:{port}"),
            ca_pem: None,
            counters,
        });
    }
    let (pem, config) = crate::tls::certificate()?;
    let listener = crate::tls::TlsListener::new(listener, config)
        .map_err(|e| format!("starting the sink: {e}"))?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Sink {
        url: format!("https://127.0.0.1:{port}"),
        ca_pem: Some(pem),
        counters,
    })
}

async fn singles(State(c): State<Arc<Counters>>, headers: HeaderMap, body: Bytes) -> Response {
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    c.requests.fetch_add(1, Relaxed);
    c.wire_bytes.fetch_add(body.len() as u64, Relaxed);
    if c.refuse_next
        .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1))
        .is_ok()
    {
        c.refused.fetch_add(1, Relaxed);
        let error = c.error_body.lock().expect("not poisoned").clone();
        return (StatusCode::INTERNAL_SERVER_ERROR, error).into_response();
    }
    if gzip {
        // ISIZE: the last four bytes of a gzip stream hold the uncompressed length.
        let isize = body
            .len()
            .checked_sub(4)
            .map(|at| u32::from_le_bytes(body[at..].try_into().expect("4 bytes")))
            .unwrap_or(0);
        c.json_bytes.fetch_add(u64::from(isize), Relaxed);
    } else {
        if c.keep
            .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1))
            .is_ok()
        {
            c.kept.lock().expect("not poisoned").push(body.clone());
        }
        c.json_bytes.fetch_add(body.len() as u64, Relaxed);
        // Every entry the handler writes starts with its applicationName.
        let n = memchr::memmem::find_iter(&body, b"{\"applicationName\":").count();
        c.entries.fetch_add(n as u64, Relaxed);
    }
    StatusCode::OK.into_response()
}
