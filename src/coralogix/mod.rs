//! Coralogix: entries, size-bounded requests, and delivery with a retry policy.

mod batch;
mod client;
mod delivery;
mod entry;
pub(crate) mod redact;
mod retry;

pub use batch::{Batcher, Request};
pub use client::{ClientError, HttpSink};
pub use delivery::{Delivery, DeliveryPlan, Failed, MAX_EXTRA_SPLITS, Reason, Sink, Stop, deliver};
pub use entry::{Entry, Parts, Text};
pub use retry::{Attempt, Fatal, FatalKind, Problem, RetryPolicy, TransportError};
