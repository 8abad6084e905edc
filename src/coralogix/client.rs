//! The HTTP sink: one reused reqwest client posting to `/logs/v1/singles`.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue, RETRY_AFTER};

use super::batch::Request;
use super::delivery::Sink;
use super::redact::{cut, redact};
use super::retry::{Attempt, TransportError, parse_retry_after};
use crate::settings::{ApiKey, Compression, Settings};

/// Longest part of an error response quoted in a log line.
const MAX_DETAIL_CHARS: usize = 300;
/// The most of an error answer's body that is read: enough to quote it, never the whole of an
/// answer that could be as large as a request.
const MAX_ERROR_BODY_BYTES: usize = 4096;
/// The most of a successful answer's body that is read (to reuse the connection); a longer
/// one is dropped with its connection.
const MAX_OK_BODY_BYTES: usize = 64 * 1024;

/// Why the HTTP client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No endpoint in the settings (a dry run's settings).
    #[error("no Coralogix endpoint configured")]
    NoEndpoint,
    /// No key in the settings (a dry run's settings).
    #[error("no Coralogix API key configured")]
    NoKey,
    /// The key cannot be an HTTP header value.
    #[error("the API key is not a valid header value")]
    KeyHeader,
    /// `EXTRA_CA_CERTS` holds no certificate reqwest can use.
    #[error("EXTRA_CA_CERTS: not a PEM certificate bundle")]
    ExtraCa(#[source] reqwest::Error),
    /// reqwest refused the configuration.
    #[error("the HTTP client could not be built")]
    Build(#[source] reqwest::Error),
}

/// Posts request bodies to Coralogix. Cheap to share: the connection pool is inside.
pub struct HttpSink {
    client: reqwest::Client,
    url: Url,
    auth: HeaderValue,
    key: ApiKey,
    /// `COMPRESSION=gzip`, until Coralogix answers a gzip request with 415: from then on, for
    /// the life of the sink, requests go uncompressed (and are not compressed to begin with).
    gzip: AtomicBool,
}

impl std::fmt::Debug for HttpSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSink")
            .field("url", &self.url.as_str())
            .field("key", &self.key)
            .field("gzip", &self.gzip.load(Ordering::Relaxed))
            .finish()
    }
}

static CRYPTO: Once = Once::new();

impl HttpSink {
    /// A sink for the endpoint and key in `settings`, with one connection pool.
    pub fn new(settings: &Settings) -> Result<Self, ClientError> {
        let url = settings
            .singles_url
            .clone()
            .ok_or(ClientError::NoEndpoint)?;
        let key = settings.api_key.clone().ok_or(ClientError::NoKey)?;
        CRYPTO.call_once(|| {
            // ring: a smaller, faster-building provider than the default aws-lc-rs.
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
            .map_err(|_| ClientError::KeyHeader)?;
        auth.set_sensitive(true);
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &settings.extra_ca_certs {
            // Trusted besides the system's roots (a TLS-inspecting proxy, a private CA).
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(ClientError::ExtraCa)?;
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder
            .user_agent(concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION")
            ))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()
            .map_err(ClientError::Build)?;
        Ok(HttpSink {
            client,
            url,
            auth,
            key,
            gzip: AtomicBool::new(settings.compression == Compression::Gzip),
        })
    }

    /// What to quote of text that came from elsewhere (a server's error body, an error
    /// message): the key removed first, then cut.
    fn quote(&self, text: &str) -> String {
        cut(&redact(text.trim(), self.key.expose()), MAX_DETAIL_CHARS)
    }
}

/// Reads at most `max` bytes of a response body.
async fn read_capped(response: &mut reqwest::Response, max: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < max {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let take = chunk.len().min(max - body.len());
                body.extend_from_slice(&chunk[..take]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    body
}

impl Sink for HttpSink {
    async fn send(&self, request: &Request, timeout: Duration) -> Attempt {
        let gzip = self.compresses();
        let attempt = self.post(request, timeout, gzip).await;
        if gzip && matches!(attempt, Attempt::Answered { status: 415, .. }) {
            // The endpoint does not take gzip: say so once, and send uncompressed from now on
            // (this request too, at once).
            if self.gzip.swap(false, Ordering::Relaxed) {
                tracing::warn!(
                    "Coralogix answered 415 to a gzip request: sending uncompressed from now on (set COMPRESSION=none to stop trying gzip)"
                );
            }
            return Attempt::EncodingRefused;
        }
        attempt
    }

    fn compresses(&self) -> bool {
        self.gzip.load(Ordering::Relaxed)
    }
}

impl HttpSink {
    /// One POST of `request`, compressed or not.
    async fn post(&self, request: &Request, timeout: Duration, gzip: bool) -> Attempt {
        let builder = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(AUTHORIZATION, self.auth.clone())
            .timeout(timeout);
        let builder = if gzip {
            builder
                .header(CONTENT_ENCODING, "gzip")
                .body(request.gzip_body())
        } else {
            builder.body(request.body().clone())
        };
        match builder.send().await {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after);
                let detail = if (200..300).contains(&status) {
                    // Read the (normally empty) body so the connection goes back to the pool.
                    read_capped(&mut response, MAX_OK_BODY_BYTES).await;
                    String::new()
                } else {
                    let body = read_capped(&mut response, MAX_ERROR_BODY_BYTES).await;
                    self.quote(&String::from_utf8_lossy(&body))
                };
                Attempt::Answered {
                    status,
                    retry_after,
                    detail,
                }
            }
            Err(e) => Attempt::Transport {
                kind: if e.is_timeout() {
                    TransportError::Timeout
                } else if is_certificate_error(&e) {
                    TransportError::Certificate
                } else {
                    TransportError::Connection
                },
                detail: self.quote(&describe(&e)),
            },
        }
    }
}

/// An error and its causes on one line.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    for cause in causes(e).skip(1) {
        text.push_str(": ");
        text.push_str(&cause.to_string());
    }
    text
}

/// The error and each of its sources, including errors wrapped in an `io::Error` (whose
/// `source()` skips the error it wraps).
fn causes<'e>(
    e: &'e (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'e (dyn std::error::Error + 'static)> {
    let mut next = Some(e);
    std::iter::from_fn(move || {
        let current = next?;
        next = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static))
            .or_else(|| current.source());
        Some(current)
    })
}

/// True when the TLS handshake failed on the server's certificate: no retry can fix that.
fn is_certificate_error(e: &reqwest::Error) -> bool {
    causes(e).any(|cause| {
        matches!(
            cause.downcast_ref::<rustls::Error>(),
            Some(
                rustls::Error::InvalidCertificate(_)
                    | rustls::Error::NoCertificatesPresented
                    | rustls::Error::UnsupportedNameType
            )
        )
    })
}
