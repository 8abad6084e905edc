//! The HTTP sink: one reused reqwest client posting to `/logs/v1/singles`.

use std::sync::Once;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue, RETRY_AFTER};

use super::batch::Request;
use super::delivery::Sink;
use super::retry::{Attempt, parse_retry_after};
use crate::settings::{ApiKey, Compression, Settings};

/// Longest part of an error response quoted in a log line.
const MAX_DETAIL_CHARS: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no Coralogix endpoint configured")]
    NoEndpoint,
    #[error("no Coralogix API key configured")]
    NoKey,
    #[error("the HTTP client could not be built: {0}")]
    Build(String),
}

/// Posts request bodies to Coralogix. Cheap to share: the connection pool is inside.
pub struct HttpSink {
    client: reqwest::Client,
    url: Url,
    auth: HeaderValue,
    key: ApiKey,
    compression: Compression,
}

impl std::fmt::Debug for HttpSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSink")
            .field("url", &self.url.as_str())
            .field("key", &self.key)
            .field("compression", &self.compression)
            .finish()
    }
}

static CRYPTO: Once = Once::new();

impl HttpSink {
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
            .map_err(|_| ClientError::Build("the API key is not a valid header value".into()))?;
        auth.set_sensitive(true);
        let client = reqwest::Client::builder()
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
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(HttpSink {
            client,
            url,
            auth,
            key,
            compression: settings.compression,
        })
    }

    /// Removes the key from text that came from elsewhere (a server's error body).
    fn redact(&self, text: &str) -> String {
        let key = self.key.expose();
        if key.is_empty() {
            text.to_owned()
        } else {
            text.replace(key, "<redacted>")
        }
    }
}

impl Sink for HttpSink {
    async fn send(&self, request: &Request, timeout: Duration) -> Attempt {
        let mut builder = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(AUTHORIZATION, self.auth.clone())
            .timeout(timeout);
        builder = match self.compression {
            Compression::None => builder.body(request.body().clone()),
            Compression::Gzip => builder
                .header(CONTENT_ENCODING, "gzip")
                .body(request.gzip_body()),
        };
        match builder.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after);
                let detail = if (200..300).contains(&status) {
                    // Drain the body so the connection goes back to the pool.
                    let _ = response.bytes().await;
                    String::new()
                } else {
                    let body = response.bytes().await.unwrap_or_default();
                    let text = String::from_utf8_lossy(&body);
                    let text: String = text.trim().chars().take(MAX_DETAIL_CHARS).collect();
                    self.redact(&text)
                };
                Attempt::Answered {
                    status,
                    retry_after,
                    detail,
                }
            }
            Err(e) => Attempt::Transport {
                timeout: e.is_timeout(),
                detail: self.redact(&describe(&e)),
            },
        }
    }
}

/// An error and its causes on one line.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
