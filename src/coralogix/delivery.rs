//! Sending an invocation's requests as they are built: bounded concurrency, retries within a
//! time budget, splits, and a clear account of what was accepted and what was not.
//!
//! Requests arrive through a bounded channel from the stage that builds them, so only a few
//! are in memory at once whatever the invocation's size. Each request is retried on its own,
//! so only requests that failed are sent again and an accepted entry is never sent twice by
//! the handler. A request that failed is remembered by its entry numbers only.
//!
//! Splitting after a 4xx isolates the entries Coralogix refuses, but must not turn into a
//! flood when Coralogix refuses everything (an API change, a proxy refusing the content type):
//! when both halves of a split are refused exactly as their parent was, the refusal is not
//! about particular entries and both halves fail without further splits; and one invocation
//! splits at most [`MAX_EXTRA_SPLITS`] more times than it has requests.

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::batch::Request;
use super::retry::{Attempt, Fatal, Problem, RetryPolicy, Verdict};

/// Splits one invocation may make beyond one per request it was given.
pub const MAX_EXTRA_SPLITS: usize = 64;

/// Where requests go: Coralogix over HTTP, or stdout for `replay --dry-run`.
pub trait Sink: Sync {
    /// One attempt to deliver `request`, giving up after `timeout`.
    fn send(&self, request: &Request, timeout: Duration) -> impl Future<Output = Attempt> + Send;

    /// Whether `send` will post requests gzip-compressed, so the builder should compress
    /// them as it goes (off the async runtime).
    fn compresses(&self) -> bool {
        false
    }
}

/// How one invocation delivers.
#[derive(Debug, Clone)]
pub struct DeliveryPlan {
    /// When the invocation's delivery budget runs out.
    pub deadline: Instant,
    /// The most one HTTP request may take.
    pub request_timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The backoff between attempts.
    pub policy: RetryPolicy,
    /// Becomes true when the handler is stopping: delivery ends at once.
    pub stop: Stop,
}

/// A signal to stop delivering (the process is shutting down).
#[derive(Debug, Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    /// A signal and the sender that raises it.
    pub fn new() -> (watch::Sender<bool>, Stop) {
        let (tx, rx) = watch::channel(false);
        (tx, Stop(rx))
    }

    /// A signal that is never raised.
    pub fn never() -> Stop {
        let (tx, rx) = watch::channel(false);
        // Keep the channel open for as long as the process lives.
        std::mem::forget(tx);
        Stop(rx)
    }

    /// Whether the signal is raised.
    pub fn is_raised(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the signal is raised.
    pub async fn raised(&mut self) {
        if self.0.wait_for(|s| *s).await.is_err() {
            // The sender is gone without raising it: never.
            std::future::pending::<()>().await;
        }
    }
}

/// Why entries were not delivered.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// A setting is wrong; nothing was sent after this answer.
    Fatal(Fatal),
    /// Not sent, because an earlier answer was fatal.
    NotSent(Fatal),
    /// Coralogix refuses this one entry.
    EntryRefused(Problem),
    /// Coralogix refused both halves of a request exactly as the whole: it refuses the
    /// requests, not particular entries.
    RequestsRefused(Problem),
    /// More refusals than one invocation may split to isolate.
    TooManySplits(Problem),
    /// The delivery budget ran out; the last problem seen, if any attempt was made.
    BudgetExhausted {
        /// HTTP requests made for these entries.
        attempts: usize,
        /// The last problem seen.
        last: Option<Problem>,
    },
    /// Coralogix asked to wait longer than the budget left (`after`), after `problem`.
    #[allow(missing_docs)]
    WaitBeyondBudget { after: Duration, problem: Problem },
    /// The handler is stopping.
    Stopping,
}

impl Reason {
    /// Whether a setting is wrong (no retry or redelivery can help until it is fixed).
    pub fn is_fatal(&self) -> bool {
        matches!(self, Reason::Fatal(_) | Reason::NotSent(_))
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Fatal(fatal) => write!(f, "{fatal}"),
            Reason::NotSent(fatal) => write!(f, "not sent: {fatal}"),
            Reason::EntryRefused(p) => write!(f, "entry refused: {p}"),
            Reason::RequestsRefused(p) => write!(
                f,
                "every request refused the same way, whatever entries it holds: {p}"
            ),
            Reason::TooManySplits(p) => write!(
                f,
                "too many refused requests to isolate the entries Coralogix refuses: {p}"
            ),
            Reason::BudgetExhausted {
                attempts,
                last: Some(p),
            } => write!(
                f,
                "{p}; delivery budget exhausted after {attempts} attempts"
            ),
            Reason::BudgetExhausted { last: None, .. } => {
                f.write_str("delivery budget exhausted before the request could be sent")
            }
            Reason::WaitBeyondBudget { after, problem } => write!(
                f,
                "{problem}; Coralogix asked to wait {}s (Retry-After), beyond the delivery budget",
                after.as_secs()
            ),
            Reason::Stopping => {
                f.write_str("the handler is stopping (shutdown) before delivery finished")
            }
        }
    }
}

/// Entries that were not accepted, by number, and why.
#[derive(Debug, Clone)]
pub struct Failed {
    /// The entries' numbers, in build order.
    pub entries: Range<u64>,
    /// Why they were not accepted.
    pub reason: Reason,
}

/// What happened to an invocation's requests.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Entries Coralogix accepted.
    pub accepted: u64,
    /// Bytes of the accepted requests (uncompressed JSON).
    pub accepted_bytes: usize,
    /// HTTP requests made, retries and split halves included.
    pub posts: usize,
    /// Attempts that were retries of a failed attempt.
    pub retries: usize,
    /// Requests split in two after a 413 or 4xx.
    pub splits: usize,
    /// Entries refused as JSON and sent again with their text as a string.
    pub as_text: usize,
    /// What was not accepted, and why.
    pub failed: Vec<Failed>,
}

impl Delivery {
    /// The number of entries not accepted.
    pub fn failed_entries(&self) -> u64 {
        self.failed
            .iter()
            .map(|f| f.entries.end - f.entries.start)
            .sum()
    }

    /// The fatal answer that stopped the delivery, if any.
    pub fn fatal(&self) -> Option<&Fatal> {
        self.failed.iter().find_map(|f| match &f.reason {
            Reason::Fatal(fatal) => Some(fatal),
            _ => None,
        })
    }

    /// The reason to report for the failure: the fatal one, or the first.
    pub fn reason(&self) -> Option<&Reason> {
        self.failed
            .iter()
            .find(|f| matches!(f.reason, Reason::Fatal(_)))
            .or(self.failed.first())
            .map(|f| &f.reason)
    }
}

/// Delivers every request that arrives on `requests` until the channel closes, or says which
/// entries were not delivered.
pub async fn deliver<S: Sink>(
    sink: &S,
    mut requests: mpsc::Receiver<Request>,
    plan: DeliveryPlan,
) -> Delivery {
    let mut state = State::new();
    let warned = std::sync::atomic::AtomicBool::new(false);
    let mut running = FuturesUnordered::new();
    let mut input_open = true;
    let mut stop = plan.stop.clone();
    loop {
        let stopping = state.fatal.is_some() || stop.is_raised();
        if stopping {
            state.fail_queue(stop.is_raised());
        }
        while !stopping && running.len() < plan.concurrency {
            let Some(work) = state.queue.pop_front() else {
                break;
            };
            running.push(send_one(sink, work, &plan, &warned));
        }
        if running.is_empty() && state.queue.is_empty() && !input_open {
            break;
        }
        let want_input = input_open && state.queue.is_empty() && running.len() < plan.concurrency;
        tokio::select! {
            Some(sent) = running.next(), if !running.is_empty() => state.settle(sent),
            next = requests.recv(), if want_input || (input_open && stopping) => match next {
                Some(request) => {
                    state.received += 1;
                    state.queue.push_back(Work {
                        request,
                        half_of: None,
                        as_text: false,
                    });
                }
                None => input_open = false,
            },
            _ = stop.raised(), if !stop.is_raised() => {}
        }
    }
    state.out
}

/// Sends one request until it is accepted, refused, fatal or out of budget. The first problem
/// of the invocation worth a retry is logged at once (`warned`), so that an unreachable
/// endpoint shows in the log on the first try instead of at the end of the budget.
async fn send_one<S: Sink>(
    sink: &S,
    work: Work,
    plan: &DeliveryPlan,
    warned: &std::sync::atomic::AtomicBool,
) -> Sent {
    let mut backoff = plan.policy.backoff();
    let mut posts = 0;
    let mut last: Option<Problem> = None;
    let mut stop = plan.stop.clone();
    let failed = |work, reason, posts| Sent {
        ending: Ending::Failed { work, reason },
        posts,
    };
    loop {
        let Some(left) = plan
            .deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
        else {
            let reason = Reason::BudgetExhausted {
                attempts: posts,
                last,
            };
            return failed(work, reason, posts);
        };
        let attempt = tokio::select! {
            attempt = sink.send(&work.request, plan.request_timeout.min(left)) => attempt,
            _ = stop.raised() => return failed(work, Reason::Stopping, posts),
        };
        posts += 1;
        match plan.policy.classify(&attempt) {
            Verdict::Accepted => {
                return Sent {
                    ending: Ending::Accepted { work },
                    posts,
                };
            }
            Verdict::Resend => continue,
            Verdict::Fatal(fatal) => return failed(work, Reason::Fatal(fatal), posts),
            Verdict::Split(problem) => {
                return Sent {
                    ending: Ending::Refused { work, problem },
                    posts,
                };
            }
            Verdict::Retry { after, problem } => {
                let delay = plan.policy.delay(&mut backoff, after);
                let left = plan.deadline.saturating_duration_since(Instant::now());
                if delay >= left {
                    let reason = match after {
                        Some(after) if after >= left => Reason::WaitBeyondBudget { after, problem },
                        _ => Reason::BudgetExhausted {
                            attempts: posts,
                            last: Some(problem),
                        },
                    };
                    return failed(work, reason, posts);
                }
                if !warned.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::warn!(
                        "{problem}; retrying for up to {} s more (DELIVERY_TIMEOUT_SECONDS)",
                        left.as_secs()
                    );
                }
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stop.raised() => return failed(work, Reason::Stopping, posts),
                }
                last = Some(problem);
            }
        }
    }
}

mod state;

#[cfg(test)]
use state::text_as_string;
use state::{Ending, Sent, State, Work};

#[cfg(test)]
mod tests;
