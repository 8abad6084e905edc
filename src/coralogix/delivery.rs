//! Sending an invocation's requests: bounded concurrency, retries within a time budget, 413
//! splits, and a clear account of what was accepted and what was not.
//!
//! Each request is retried on its own, so only requests that failed are sent again and an
//! accepted entry is never sent twice by the handler. A fatal answer (wrong key, wrong
//! endpoint) stops the invocation from sending anything more.

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::time::Instant;

use super::batch::Request;
use super::retry::{Attempt, RetryPolicy, Verdict};

/// Where requests go: Coralogix over HTTP, or stdout for `replay --dry-run`.
pub trait Sink: Sync {
    /// One attempt to deliver `request`, giving up after `timeout`.
    fn send(&self, request: &Request, timeout: Duration) -> impl Future<Output = Attempt> + Send;
}

/// How one invocation delivers.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// When the invocation's delivery budget runs out.
    pub deadline: Instant,
    pub request_timeout: Duration,
    pub concurrency: usize,
    pub policy: RetryPolicy,
}

/// A request that was not accepted, and why.
#[derive(Debug, Clone)]
pub struct Failed {
    pub request: Request,
    pub reason: String,
}

/// What happened to an invocation's requests.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Entries Coralogix accepted.
    pub accepted: usize,
    /// Bytes of the accepted requests (uncompressed JSON).
    pub accepted_bytes: usize,
    /// HTTP requests made, retries and split halves included.
    pub posts: usize,
    /// Attempts that were retries of a failed attempt.
    pub retries: usize,
    /// Requests split in two after a 413 or 4xx.
    pub splits: usize,
    pub failed: Vec<Failed>,
    /// Set when a fatal answer stopped the delivery.
    pub fatal: Option<String>,
}

impl Delivery {
    pub fn failed_entries(&self) -> usize {
        self.failed.iter().map(|f| f.request.len()).sum()
    }

    /// The reason to report for the failure: the fatal one, or the first.
    pub fn reason(&self) -> Option<&str> {
        self.fatal
            .as_deref()
            .or_else(|| self.failed.first().map(|f| f.reason.as_str()))
    }
}

enum Done {
    Accepted {
        request: Request,
        posts: usize,
        retries: usize,
    },
    Split {
        halves: (Request, Request),
        posts: usize,
        retries: usize,
    },
    Failed {
        failed: Failed,
        fatal: bool,
        posts: usize,
        retries: usize,
    },
}

/// Delivers every request, or says which were not delivered.
pub async fn deliver<S: Sink>(sink: &S, requests: Vec<Request>, plan: Plan) -> Delivery {
    let mut queue: VecDeque<Request> = requests.into();
    let mut running = FuturesUnordered::new();
    let mut out = Delivery::default();
    loop {
        while out.fatal.is_none() && running.len() < plan.concurrency {
            let Some(request) = queue.pop_front() else {
                break;
            };
            running.push(send_one(sink, request, plan));
        }
        let Some(done) = running.next().await else {
            break;
        };
        match done {
            Done::Accepted {
                request,
                posts,
                retries,
            } => {
                out.accepted += request.len();
                out.accepted_bytes += request.body().len();
                out.posts += posts;
                out.retries += retries;
            }
            Done::Split {
                halves: (a, b),
                posts,
                retries,
            } => {
                out.splits += 1;
                out.posts += posts;
                out.retries += retries;
                queue.push_front(b);
                queue.push_front(a);
            }
            Done::Failed {
                failed,
                fatal,
                posts,
                retries,
            } => {
                out.posts += posts;
                out.retries += retries;
                if fatal && out.fatal.is_none() {
                    out.fatal = Some(failed.reason.clone());
                }
                out.failed.push(failed);
            }
        }
    }
    if let Some(reason) = &out.fatal {
        for request in queue.drain(..) {
            out.failed.push(Failed {
                request,
                reason: format!("not sent: {reason}"),
            });
        }
    }
    out
}

async fn send_one<S: Sink>(sink: &S, request: Request, plan: Plan) -> Done {
    let mut backoff = plan.policy.backoff();
    let mut posts = 0;
    let mut last_reason: Option<String> = None;
    loop {
        let now = Instant::now();
        let Some(left) = plan
            .deadline
            .checked_duration_since(now)
            .filter(|d| !d.is_zero())
        else {
            let reason = match last_reason {
                Some(r) => {
                    format!("delivery budget exhausted after {posts} attempts; last error: {r}")
                }
                None => "delivery budget exhausted before the request could be sent".into(),
            };
            return failed(request, reason, false, posts);
        };
        let attempt = sink.send(&request, plan.request_timeout.min(left)).await;
        posts += 1;
        let retries = posts - 1;
        match plan.policy.classify(&attempt) {
            Verdict::Accepted => {
                return Done::Accepted {
                    request,
                    posts,
                    retries,
                };
            }
            Verdict::Fatal { reason } => return failed(request, reason, true, posts),
            Verdict::Split { reason } => {
                if request.len() >= 2 {
                    return Done::Split {
                        halves: request.split(),
                        posts,
                        retries,
                    };
                }
                return failed(request, format!("entry refused: {reason}"), false, posts);
            }
            Verdict::Retry { after, reason } => {
                let delay =
                    after.unwrap_or_else(|| backoff.next().unwrap_or(plan.policy.max_delay));
                let left = plan.deadline.saturating_duration_since(Instant::now());
                if delay >= left {
                    let why = match after {
                        Some(a) => format!(
                            "{reason}; Coralogix asked to wait {}s (Retry-After), beyond the delivery budget",
                            a.as_secs()
                        ),
                        None => {
                            format!("{reason}; delivery budget exhausted after {posts} attempts")
                        }
                    };
                    return failed(request, why, false, posts);
                }
                tokio::time::sleep(delay).await;
                last_reason = Some(reason);
            }
        }
    }
}

fn failed(request: Request, reason: String, fatal: bool, posts: usize) -> Done {
    Done::Failed {
        failed: Failed { request, reason },
        fatal,
        posts,
        retries: posts.saturating_sub(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A sink that answers from a script, then 200.
    struct Scripted {
        script: Mutex<VecDeque<Attempt>>,
        seen: Mutex<Vec<usize>>,
        max_entries: usize,
    }

    impl Scripted {
        fn new(script: Vec<Attempt>) -> Self {
            Scripted {
                script: Mutex::new(script.into()),
                seen: Mutex::new(Vec::new()),
                max_entries: usize::MAX,
            }
        }
    }

    impl Sink for Scripted {
        async fn send(&self, request: &Request, _timeout: Duration) -> Attempt {
            self.seen.lock().unwrap().push(request.len());
            if request.len() > self.max_entries {
                return Attempt::status(413);
            }
            self.script
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(Attempt::status(200))
        }
    }

    fn request(n: usize) -> Request {
        let entries: Vec<String> = (0..n).map(|i| format!("{{\"i\":{i}}}")).collect();
        Request::from_entries(entries.iter().map(|e| e.as_bytes()))
    }

    fn plan(budget_ms: u64) -> Plan {
        Plan {
            deadline: Instant::now() + Duration::from_millis(budget_ms),
            request_timeout: Duration::from_secs(1),
            concurrency: 2,
            policy: RetryPolicy {
                min_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(5),
            },
        }
    }

    #[tokio::test]
    async fn retries_then_accepts_only_the_failed_request() {
        let sink = Scripted::new(vec![Attempt::status(503), Attempt::status(429)]);
        let d = deliver(&sink, vec![request(3), request(4)], plan(5_000)).await;
        assert_eq!(d.accepted, 7);
        assert!(d.failed.is_empty());
        assert_eq!(d.retries, 2);
        assert_eq!(d.posts, 4);
    }

    #[tokio::test]
    async fn splits_until_it_fits() {
        let mut sink = Scripted::new(vec![]);
        sink.max_entries = 3;
        let d = deliver(&sink, vec![request(10)], plan(5_000)).await;
        assert_eq!(d.accepted, 10);
        assert!(d.splits >= 2);
        let seen = sink.seen.lock().unwrap();
        assert_eq!(seen[0], 10);
    }

    #[tokio::test]
    async fn a_single_refused_entry_fails_alone() {
        let sink = Scripted::new(vec![Attempt::status(400), Attempt::status(400)]);
        // 2 entries: the pair is refused, split; the first half is refused again; the second is
        // accepted.
        let d = deliver(&sink, vec![request(2)], plan(5_000)).await;
        assert_eq!(d.accepted, 1);
        assert_eq!(d.failed_entries(), 1);
        assert!(d.fatal.is_none());
    }

    #[tokio::test]
    async fn fatal_stops_everything() {
        let sink = Scripted::new(vec![Attempt::status(401); 10]);
        let mut p = plan(5_000);
        p.concurrency = 1;
        let d = deliver(&sink, vec![request(1), request(2), request(3)], p).await;
        assert_eq!(d.accepted, 0);
        assert_eq!(d.failed_entries(), 6);
        assert_eq!(
            sink.seen.lock().unwrap().len(),
            1,
            "nothing sent after a 401"
        );
        assert!(d.reason().unwrap().contains("CORALOGIX_PRIVATE_KEY"));
    }

    #[tokio::test]
    async fn budget_bounds_retries() {
        let sink = Scripted::new(vec![Attempt::status(500); 1000]);
        let started = std::time::Instant::now();
        let d = deliver(&sink, vec![request(5)], plan(200)).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(d.failed_entries(), 5);
        assert!(d.reason().unwrap().contains("budget"), "{:?}", d.reason());
    }

    #[tokio::test]
    async fn retry_after_beyond_the_budget_fails_at_once() {
        let sink = Scripted::new(vec![Attempt::Answered {
            status: 429,
            retry_after: Some(Duration::from_secs(600)),
            detail: String::new(),
        }]);
        let started = std::time::Instant::now();
        let d = deliver(&sink, vec![request(1)], plan(2_000)).await;
        assert!(started.elapsed() < Duration::from_millis(500));
        assert!(d.reason().unwrap().contains("Retry-After"));
    }
}
