//! A fake Coralogix ingress on loopback, faithful to the documented `/logs/v1/singles` API:
//! `POST`, `Content-Type: application/json`, `Authorization: Bearer <Send-Your-Data key>`, a
//! JSON array of log objects with the documented fields only, and the 2 MB request cap.
//! It can be scripted to fail: status codes (with or without `Retry-After`), slow answers and
//! dropped connections; it can speak TLS with a certificate of its own, and refuse gzip
//! bodies with 415 as an endpoint without compression support would.

use std::collections::VecDeque;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// Documented request cap of /logs/v1/singles.
pub const CAP: usize = 2_000_000;

/// What the ingress does with one request instead of accepting it.
#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    /// Status with a `Retry-After` header.
    RetryAfter(u16, String),
    /// Status with a response body.
    StatusBody(u16, String),
    /// Answer (normally) only after this long.
    Slow(Duration),
    /// Answer (normally) only once the test lets it go.
    Hold(Arc<tokio::sync::Notify>),
    /// Close the connection without answering.
    Drop,
    /// Refuse (400) any request holding an entry whose JSON (or text, when `text` is a string)
    /// contains this text, naming the entry's position in the request, as an API refusing one
    /// entry would.
    RefuseEntriesWith(String),
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub status: u16,
    /// Uncompressed body size.
    pub bytes: usize,
    pub wire_bytes: usize,
    pub entries: usize,
    pub gzip: bool,
}

struct State {
    key: String,
    cap: Mutex<usize>,
    script: Mutex<VecDeque<Fault>>,
    always: Mutex<Option<Fault>>,
    entries: Mutex<Vec<Value>>,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Requests that arrived, and a signal for each.
    arrived: AtomicUsize,
    arrival: tokio::sync::Notify,
    /// Answer 415 to `Content-Encoding: gzip`.
    refuse_gzip: AtomicBool,
}

#[derive(Clone)]
pub struct Ingress {
    pub addr: SocketAddr,
    state: Arc<State>,
    /// The certificate (PEM) it serves TLS with, if it does.
    tls_cert: Option<String>,
}

impl Ingress {
    pub async fn start(key: &str) -> Ingress {
        Self::start_with(key, None).await
    }

    /// The same API over TLS, with a fresh self-signed certificate for 127.0.0.1 that the
    /// handler trusts only through `EXTRA_CA_CERTS` (see `certificate_pem`).
    pub async fn start_tls(key: &str) -> Ingress {
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
            .unwrap();
        let pem = cert.cert.pem();
        let der_key =
            rustls::pki_types::PrivateKeyDer::try_from(cert.key_pair.serialize_der()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], der_key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let mut ingress = Self::start_with(key, Some(acceptor)).await;
        ingress.tls_cert = Some(pem);
        ingress
    }

    /// The PEM certificate a TLS ingress serves (for `EXTRA_CA_CERTS`).
    pub fn certificate_pem(&self) -> &str {
        self.tls_cert.as_deref().expect("a TLS ingress")
    }

    async fn start_with(key: &str, tls: Option<tokio_rustls::TlsAcceptor>) -> Ingress {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            key: key.to_owned(),
            cap: Mutex::new(CAP),
            script: Mutex::new(VecDeque::new()),
            always: Mutex::new(None),
            entries: Mutex::new(Vec::new()),
            seen: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            arrived: AtomicUsize::new(0),
            arrival: tokio::sync::Notify::new(),
            refuse_gzip: AtomicBool::new(false),
        });
        let s = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let s = Arc::clone(&s);
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let s = Arc::clone(&s);
                        async move {
                            let now = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                            s.max_in_flight.fetch_max(now, Ordering::SeqCst);
                            s.arrived.fetch_add(1, Ordering::SeqCst);
                            s.arrival.notify_waiters();
                            let answer = handle(Arc::clone(&s), req).await;
                            s.in_flight.fetch_sub(1, Ordering::SeqCst);
                            answer
                        }
                    });
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                let _ = http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            }
                        }
                        None => {
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                    }
                });
            }
        });
        Ingress {
            addr,
            state,
            tls_cert: None,
        }
    }

    /// The base URL to give the handler as `CORALOGIX_ENDPOINT`.
    pub fn url(&self) -> String {
        let scheme = if self.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// From now on, answer 415 to gzip bodies (an endpoint without compression support).
    pub fn refuse_gzip(&self) {
        self.state.refuse_gzip.store(true, Ordering::SeqCst);
    }

    /// Faults for the next requests, in order; then requests are accepted.
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.script.lock().unwrap().extend(faults);
    }

    /// A fault for every request (after the script), or `None` to accept again.
    pub fn always(&self, fault: Option<Fault>) {
        *self.state.always.lock().unwrap() = fault;
    }

    /// Lowers the request cap, to provoke 413s.
    pub fn set_cap(&self, cap: usize) {
        *self.state.cap.lock().unwrap() = cap;
    }

    /// Every entry accepted so far.
    pub fn entries(&self) -> Vec<Value> {
        self.state.entries.lock().unwrap().clone()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests have arrived (a gate instead of a sleep).
    pub async fn wait_until_arrived(&self, n: usize) {
        loop {
            let arrival = self.state.arrival.notified();
            if self.state.arrived.load(Ordering::SeqCst) >= n {
                return;
            }
            arrival.await;
        }
    }

    /// The most requests that were being handled at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn clear(&self) {
        self.state.entries.lock().unwrap().clear();
        self.state.seen.lock().unwrap().clear();
    }
}

type Answer = Result<Response<Full<Bytes>>, std::io::Error>;

fn answer(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Answer {
    let fault = {
        let next = state.script.lock().unwrap().pop_front();
        next.or_else(|| state.always.lock().unwrap().clone())
    };
    let gzip = req
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    let (parts, body) = req.into_parts();
    let wire = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut seen = Seen {
        status: 0,
        bytes: wire.len(),
        wire_bytes: wire.len(),
        entries: 0,
        gzip,
    };
    let record = |seen: &mut Seen, status: u16| {
        seen.status = status;
        state.seen.lock().unwrap().push(seen.clone());
    };
    match fault.clone() {
        Some(Fault::Drop) => {
            record(&mut seen, 0);
            return Err(std::io::Error::other("connection dropped by the fake"));
        }
        Some(Fault::Status(code)) => {
            record(&mut seen, code);
            return Ok(answer(code, json!({"error": "scripted failure"})));
        }
        Some(Fault::StatusBody(code, body)) => {
            record(&mut seen, code);
            return Ok(Response::builder()
                .status(code)
                .body(Full::new(Bytes::from(body)))
                .unwrap());
        }
        Some(Fault::RetryAfter(code, after)) => {
            record(&mut seen, code);
            let mut r = answer(code, json!({"error": "slow down"}));
            r.headers_mut()
                .insert("retry-after", after.parse().unwrap());
            return Ok(r);
        }
        Some(Fault::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Hold(gate)) => gate.notified().await,
        Some(Fault::RefuseEntriesWith(_)) | None => {}
    }

    // The documented contract.
    if parts.method != hyper::Method::POST {
        record(&mut seen, 405);
        return Ok(answer(405, json!({"error": "method not allowed"})));
    }
    if parts.uri.path() != "/logs/v1/singles" {
        record(&mut seen, 404);
        return Ok(answer(404, json!({"error": "not found"})));
    }
    let auth = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {}", state.key) {
        record(&mut seen, 401);
        return Ok(answer(401, json!({"error": "unauthorized"})));
    }
    let content_type = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/json") {
        record(&mut seen, 415);
        return Ok(answer(
            415,
            json!({"error": "content-type must be application/json"}),
        ));
    }
    if gzip && state.refuse_gzip.load(Ordering::SeqCst) {
        record(&mut seen, 415);
        return Ok(answer(
            415,
            json!({"error": "unsupported content-encoding"}),
        ));
    }
    let body = if gzip {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(&wire[..])
            .read_to_end(&mut out)
            .is_err()
        {
            record(&mut seen, 400);
            return Ok(answer(400, json!({"error": "bad gzip"})));
        }
        out
    } else {
        wire.to_vec()
    };
    seen.bytes = body.len();
    let cap = *state.cap.lock().unwrap();
    if body.len() > cap {
        record(&mut seen, 413);
        return Ok(answer(413, json!({"error": "payload too large"})));
    }
    let entries: Vec<Value> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(a)) => a,
        Ok(_) => {
            record(&mut seen, 400);
            return Ok(answer(400, json!({"error": "body must be a JSON array"})));
        }
        Err(e) => {
            record(&mut seen, 400);
            return Ok(answer(400, json!({"error": format!("invalid JSON: {e}")})));
        }
    };
    for (i, e) in entries.iter().enumerate() {
        if let Some(Fault::RefuseEntriesWith(marker)) = &fault {
            // Refused as JSON and as a string alike.
            let as_text = e["text"]
                .as_str()
                .is_some_and(|t| t.contains(marker.as_str()));
            if as_text || e.to_string().contains(marker.as_str()) {
                record(&mut seen, 400);
                return Ok(answer(400, json!({"error": format!("entry {i}: refused")})));
            }
        }
        if let Err(problem) = check_entry(e) {
            record(&mut seen, 400);
            return Ok(answer(
                400,
                json!({"error": format!("entry {i}: {problem}")}),
            ));
        }
    }
    seen.entries = entries.len();
    record(&mut seen, 200);
    state.entries.lock().unwrap().extend(entries);
    Ok(answer(200, json!({})))
}

/// The documented fields of a /singles entry, and nothing else.
pub fn check_entry(e: &Value) -> Result<(), String> {
    let obj = e.as_object().ok_or("not an object")?;
    for (k, v) in obj {
        let ok = match k.as_str() {
            "applicationName" | "subsystemName" => v.as_str().is_some_and(|s| !s.is_empty()),
            "text" => v.is_string() || v.is_object(),
            "timestamp" => v.is_number(),
            "hiResTimestamp" => v
                .as_str()
                .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())),
            "severity" => v.as_u64().is_some_and(|n| (1..=6).contains(&n)),
            "computerName" | "category" | "className" | "methodName" | "threadId" => v.is_string(),
            _ => return Err(format!("unknown field {k:?}")),
        };
        if !ok {
            return Err(format!("bad value for {k:?}: {v}"));
        }
    }
    for required in ["applicationName", "subsystemName", "text"] {
        if !obj.contains_key(required) {
            return Err(format!("missing {required:?}"));
        }
    }
    Ok(())
}
