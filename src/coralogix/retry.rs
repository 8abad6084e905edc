//! What to do after each attempt to send a request: the retry policy as a type.
//!
//! Coralogix documents no status codes for `/logs/v1/singles` (coralogix-ingestion.md 1.8), so
//! the policy follows HTTP semantics and what Coralogix's own clients do:
//!
//! | answer                                   | verdict                                         |
//! |------------------------------------------|-------------------------------------------------|
//! | 2xx                                      | accepted                                        |
//! | 401, 403                                 | fatal: the key or region is wrong; stop sending |
//! | 404, 3xx                                 | fatal: the endpoint is wrong; stop sending      |
//! | 413                                      | split the request in two and send both halves   |
//! | 400 and other 4xx                        | split, to isolate the entries it refuses; one   |
//! |                                          | refused entry is a permanent failure            |
//! | 408, 429, 5xx, timeout, connection error | retry with exponential backoff and jitter,      |
//! |                                          | honouring `Retry-After`                         |

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// The result of one attempt, as seen on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// The server answered.
    Answered {
        status: u16,
        retry_after: Option<Duration>,
        /// The start of the response body, for error messages.
        detail: String,
    },
    /// No answer: timeout, refused or reset connection, TLS failure.
    Transport { timeout: bool, detail: String },
}

impl Attempt {
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
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// Send the two halves separately (or, for a single entry, fail it permanently).
    Split {
        reason: String,
    },
    /// Nothing will succeed until the configuration is fixed: stop sending.
    Fatal {
        reason: String,
    },
}

/// Exponential backoff with jitter between `min_delay` and `max_delay`; the invocation's
/// delivery budget bounds the number of attempts.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub min_delay: Duration,
    pub max_delay: Duration,
}

impl RetryPolicy {
    pub fn classify(&self, attempt: &Attempt) -> Verdict {
        match attempt {
            Attempt::Transport { timeout, detail } => Verdict::Retry {
                after: None,
                reason: if *timeout {
                    format!("no answer from Coralogix in time ({detail})")
                } else {
                    format!("could not reach Coralogix ({detail})")
                },
            },
            Attempt::Answered {
                status,
                retry_after,
                detail,
            } => {
                let said = |what: &str| {
                    if detail.is_empty() {
                        format!("HTTP {status}: {what}")
                    } else {
                        format!("HTTP {status}: {what}; Coralogix said: {detail}")
                    }
                };
                match status {
                    200..=299 => Verdict::Accepted,
                    401 | 403 => Verdict::Fatal {
                        reason: said(
                            "Coralogix refused the API key. Check that CORALOGIX_PRIVATE_KEY is a Send-Your-Data API key of the account and that CORALOGIX_REGION (or CORALOGIX_DOMAIN / CORALOGIX_ENDPOINT) is the account's region",
                        ),
                    },
                    404 => Verdict::Fatal {
                        reason: said(
                            "the ingestion endpoint was not found. Check CORALOGIX_ENDPOINT / CORALOGIX_DOMAIN",
                        ),
                    },
                    300..=399 => Verdict::Fatal {
                        reason: said(
                            "the endpoint redirects instead of accepting logs. Check CORALOGIX_ENDPOINT / CORALOGIX_DOMAIN",
                        ),
                    },
                    413 => Verdict::Split {
                        reason: said("the request is larger than Coralogix accepts"),
                    },
                    408 | 429 => Verdict::Retry {
                        after: *retry_after,
                        reason: said(if *status == 429 {
                            "Coralogix is throttling"
                        } else {
                            "request timeout"
                        }),
                    },
                    400..=499 => Verdict::Split {
                        reason: said("Coralogix refused the entries"),
                    },
                    _ => Verdict::Retry {
                        after: *retry_after,
                        reason: said("Coralogix had a server error"),
                    },
                }
            }
        }
    }

    /// The delays between attempts of one request.
    pub fn backoff(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        ExponentialBuilder::new()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
            .build()
            .map({
                let max = self.max_delay;
                // backon's jitter adds up to one delay more; keep the cap a cap.
                move |d| d.min(max)
            })
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
        assert!(matches!(v(401), Verdict::Fatal { .. }));
        assert!(matches!(v(403), Verdict::Fatal { .. }));
        assert!(matches!(v(404), Verdict::Fatal { .. }));
        assert!(matches!(v(302), Verdict::Fatal { .. }));
        assert!(matches!(v(413), Verdict::Split { .. }));
        assert!(matches!(v(400), Verdict::Split { .. }));
        assert!(matches!(v(422), Verdict::Split { .. }));
        assert!(matches!(v(429), Verdict::Retry { after: None, .. }));
        assert!(matches!(v(408), Verdict::Retry { .. }));
        assert!(matches!(v(500), Verdict::Retry { .. }));
        assert!(matches!(v(503), Verdict::Retry { .. }));
        let t = p.classify(&Attempt::Transport {
            timeout: true,
            detail: "x".into(),
        });
        assert!(matches!(t, Verdict::Retry { .. }));
    }

    #[test]
    fn retry_after_is_kept() {
        let v = policy().classify(&Attempt::Answered {
            status: 429,
            retry_after: Some(Duration::from_secs(3)),
            detail: "slow down".into(),
        });
        match v {
            Verdict::Retry { after, reason } => {
                assert_eq!(after, Some(Duration::from_secs(3)));
                assert!(reason.contains("slow down"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_stays_capped() {
        let delays: Vec<Duration> = policy().backoff().take(12).collect();
        assert!(delays[0] >= Duration::from_millis(100) && delays[0] <= Duration::from_millis(200));
        assert!(delays[3] >= Duration::from_millis(800));
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(2)));
        assert_eq!(delays.len(), 12);
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
