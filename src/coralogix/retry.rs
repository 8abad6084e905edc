//! What to do after each attempt to send a request: the retry policy as types.
//!
//! Coralogix documents no status codes for `/logs/v1/singles` (see
//! `docs/coralogix-api.md#status-codes`), so the policy follows HTTP semantics and what
//! Coralogix's own clients do:
//!
//! | answer                                   | verdict                                         |
//! |------------------------------------------|-------------------------------------------------|
//! | 2xx                                      | accepted                                        |
//! | 401, 403                                 | fatal: the key or region is wrong; stop sending |
//! | 404, 3xx                                 | fatal: the endpoint is wrong; stop sending      |
//! | TLS certificate refused                  | fatal: the endpoint or a proxy is not trusted   |
//! | 415 to a gzip body (the sink then turns  | send the same request again at once, plain      |
//! | gzip off for good)                       |                                                 |
//! | 413                                      | split the request in two and send both halves   |
//! | 400 and other 4xx                        | split, to isolate the entries it refuses; one   |
//! |                                          | refused entry is a permanent failure            |
//! | 408, 429, 5xx, timeout, connection error | retry with exponential backoff and jitter,      |
//! |                                          | never sooner than `Retry-After` nor than the    |
//! |                                          | backoff's own delay                             |

use std::fmt;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// The result of one attempt, as seen on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// The server answered.
    Answered {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` header, read as a delay.
        retry_after: Option<Duration>,
        /// The start of the response body, for error messages (key already removed).
        detail: String,
    },
    /// The endpoint answered 415 to a gzip body: the sink has turned compression off, so the
    /// same request goes again, uncompressed, at once.
    EncodingRefused,
    /// No answer.
    Transport {
        /// What went wrong.
        kind: TransportError,
        /// The error and its causes, on one line (key already removed).
        detail: String,
    },
}

/// Why there was no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportError {
    /// No answer within the request timeout.
    Timeout,
    /// Refused or reset connection, DNS failure, and the like.
    Connection,
    /// The server's TLS certificate was not trusted: retrying cannot help.
    Certificate,
    /// The output is closed for good (`replay --dry-run | head`).
    Closed,
}

impl Attempt {
    /// An answer with this status and no body (for tests and the dry run).
    pub fn status(status: u16) -> Self {
        Attempt::Answered {
            status,
            retry_after: None,
            detail: String::new(),
        }
    }
}

/// What the policy decides.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Accepted,
    /// Send the same request again now: the sink changed how it sends.
    Resend,
    Retry {
        /// The server's `Retry-After`, if any.
        after: Option<Duration>,
        problem: Problem,
    },
    /// Send the two halves separately (or, for a single entry, fail it permanently).
    Split(Problem),
    /// Nothing will succeed until the configuration is fixed: stop sending.
    Fatal(Fatal),
}

/// An answer or transport error that is worth retrying or splitting for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Problem {
    /// An HTTP answer, with the start of its body.
    Status {
        /// The HTTP status.
        status: u16,
        /// The start of the answer's body (key removed).
        detail: String,
    },
    /// No answer within the request timeout.
    Timeout {
        /// The error, on one line.
        detail: String,
    },
    /// No connection: refused, reset, or a name that does not resolve.
    Unreachable {
        /// The error and its causes, on one line.
        detail: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Status { status, detail } => {
                let what = match status {
                    413 => "the request is larger than Coralogix accepts",
                    429 => "Coralogix is throttling",
                    408 => "request timeout",
                    400..=499 => "Coralogix refused the entries",
                    _ => "Coralogix had a server error",
                };
                write!(f, "HTTP {status}: {what}")?;
                if !detail.is_empty() {
                    write!(f, "; Coralogix said: {detail}")?;
                }
                Ok(())
            }
            Problem::Timeout { detail } => write!(f, "no answer from Coralogix in time ({detail})"),
            Problem::Unreachable { detail } => write!(f, "could not reach Coralogix ({detail})"),
        }
    }
}

/// A failure that no retry can fix: a setting is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal {
    /// Which setting it points at.
    pub kind: FatalKind,
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// The start of the answer's body, or the error (key removed).
    pub detail: String,
}

/// Which setting a fatal answer points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatalKind {
    /// 401, 403: the key or the region.
    Key,
    /// 404: the endpoint.
    NotFound,
    /// 3xx: the endpoint redirects.
    Redirect,
    /// The TLS certificate was refused.
    Certificate,
    /// The output is closed.
    Closed,
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(status) = self.status {
            write!(f, "HTTP {status}: ")?;
        }
        f.write_str(match self.kind {
            FatalKind::Key => {
                "Coralogix refused the API key. Check that CORALOGIX_PRIVATE_KEY is a Send-Your-Data API key of the account and that CORALOGIX_REGION (or CORALOGIX_DOMAIN / CORALOGIX_ENDPOINT) is the account's region"
            }
            FatalKind::NotFound => {
                "the ingestion endpoint was not found. Check CORALOGIX_ENDPOINT / CORALOGIX_DOMAIN"
            }
            FatalKind::Redirect => {
                "the endpoint redirects instead of accepting logs. Check CORALOGIX_ENDPOINT / CORALOGIX_DOMAIN"
            }
            FatalKind::Certificate => {
                "the endpoint's TLS certificate is not trusted. Check CORALOGIX_ENDPOINT; behind a TLS-inspecting proxy, trust its certificate with EXTRA_CA_CERTS"
            }
            FatalKind::Closed => "the output was closed",
        })?;
        if !self.detail.is_empty() {
            let said = if self.status.is_some() {
                "Coralogix said"
            } else {
                "error"
            };
            write!(f, "; {said}: {}", self.detail)?;
        }
        Ok(())
    }
}

/// Exponential backoff with jitter between `min_delay` and `max_delay`; the invocation's
/// delivery budget bounds the number of attempts.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The first delay, and the shortest: never 0.
    pub min_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// What to do after `attempt` (see the module's table).
    pub fn classify(&self, attempt: &Attempt) -> Verdict {
        match attempt {
            Attempt::EncodingRefused => Verdict::Resend,
            Attempt::Transport { kind, detail } => {
                let detail = detail.clone();
                match kind {
                    TransportError::Certificate => Verdict::Fatal(Fatal {
                        kind: FatalKind::Certificate,
                        status: None,
                        detail,
                    }),
                    TransportError::Closed => Verdict::Fatal(Fatal {
                        kind: FatalKind::Closed,
                        status: None,
                        detail,
                    }),
                    TransportError::Timeout => Verdict::Retry {
                        after: None,
                        problem: Problem::Timeout { detail },
                    },
                    TransportError::Connection => Verdict::Retry {
                        after: None,
                        problem: Problem::Unreachable { detail },
                    },
                }
            }
            Attempt::Answered {
                status,
                retry_after,
                detail,
            } => {
                let status = *status;
                let fatal = |kind| {
                    Verdict::Fatal(Fatal {
                        kind,
                        status: Some(status),
                        detail: detail.clone(),
                    })
                };
                let problem = Problem::Status {
                    status,
                    detail: detail.clone(),
                };
                match status {
                    200..=299 => Verdict::Accepted,
                    401 | 403 => fatal(FatalKind::Key),
                    404 => fatal(FatalKind::NotFound),
                    300..=399 => fatal(FatalKind::Redirect),
                    408 | 429 => Verdict::Retry {
                        after: *retry_after,
                        problem,
                    },
                    400..=499 => Verdict::Split(problem),
                    _ => Verdict::Retry {
                        after: *retry_after,
                        problem,
                    },
                }
            }
        }
    }

    /// The delays between attempts of one request: never below `min_delay`, whatever the
    /// jitter, and never above `max_delay`.
    pub fn backoff(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        let (min, max) = (self.min_delay, self.max_delay);
        ExponentialBuilder::new()
            .with_min_delay(min)
            .with_max_delay(max)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
            .build()
            // backon's jitter adds up to one delay more; keep the cap a cap.
            .map(move |d| d.clamp(min, max))
    }

    /// How long to wait before the next attempt: the backoff's next delay, or the server's
    /// `Retry-After` when that is longer. A `Retry-After` of 0 (or a date in the past) cannot
    /// make the handler send sooner than its own backoff.
    pub fn delay(
        &self,
        backoff: &mut impl Iterator<Item = Duration>,
        after: Option<Duration>,
    ) -> Duration {
        let own = backoff.next().unwrap_or(self.max_delay);
        after.map_or(own, |a| a.max(own))
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }

    #[test]
    fn classification() {
        let p = policy();
        let v = |s| p.classify(&Attempt::status(s));
        assert_eq!(v(200), Verdict::Accepted);
        assert_eq!(v(204), Verdict::Accepted);
        let kind = |s| match v(s) {
            Verdict::Fatal(f) => Some(f.kind),
            _ => None,
        };
        assert_eq!(kind(401), Some(FatalKind::Key));
        assert_eq!(kind(403), Some(FatalKind::Key));
        assert_eq!(kind(404), Some(FatalKind::NotFound));
        assert_eq!(kind(302), Some(FatalKind::Redirect));
        assert!(matches!(v(413), Verdict::Split(_)));
        assert!(matches!(v(400), Verdict::Split(_)));
        assert!(matches!(v(422), Verdict::Split(_)));
        assert!(matches!(v(429), Verdict::Retry { after: None, .. }));
        assert!(matches!(v(408), Verdict::Retry { .. }));
        assert!(matches!(v(500), Verdict::Retry { .. }));
        assert!(matches!(v(503), Verdict::Retry { .. }));
        let transport = |kind| {
            p.classify(&Attempt::Transport {
                kind,
                detail: "x".into(),
            })
        };
        assert!(matches!(
            transport(TransportError::Timeout),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            transport(TransportError::Connection),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            transport(TransportError::Certificate),
            Verdict::Fatal(Fatal {
                kind: FatalKind::Certificate,
                ..
            })
        ));
    }

    #[test]
    fn fatal_reasons_name_the_setting() {
        let Verdict::Fatal(f) = policy().classify(&Attempt::status(401)) else {
            panic!()
        };
        assert!(f.to_string().contains("CORALOGIX_PRIVATE_KEY"), "{f}");
        assert!(f.to_string().starts_with("HTTP 401: "), "{f}");
    }

    #[test]
    fn retry_after_is_kept() {
        let v = policy().classify(&Attempt::Answered {
            status: 429,
            retry_after: Some(Duration::from_secs(3)),
            detail: "slow down".into(),
        });
        match v {
            Verdict::Retry { after, problem } => {
                assert_eq!(after, Some(Duration::from_secs(3)));
                assert!(problem.to_string().contains("slow down"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_stays_within_its_bounds() {
        let delays: Vec<Duration> = policy().backoff().take(12).collect();
        assert!(delays[0] >= Duration::from_millis(100) && delays[0] <= Duration::from_millis(200));
        assert!(delays[3] >= Duration::from_millis(800));
        assert!(
            delays
                .iter()
                .all(|d| *d >= Duration::from_millis(100) && *d <= Duration::from_secs(2))
        );
        assert!(delays[11] >= Duration::from_secs(1), "{delays:?}");
    }

    #[test]
    fn a_zero_retry_after_never_shortens_the_wait() {
        let p = policy();
        let mut backoff = p.backoff();
        for _ in 0..50 {
            assert!(p.delay(&mut backoff, Some(Duration::ZERO)) >= p.min_delay);
        }
        let mut backoff = p.backoff();
        assert_eq!(
            p.delay(&mut backoff, Some(Duration::from_secs(60))),
            Duration::from_secs(60),
            "a longer Retry-After is honoured"
        );
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert!(parse_retry_after("soon").is_none());
    }
}
