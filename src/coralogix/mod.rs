//! Coralogix: entries, size-bounded requests, and delivery with a retry policy.

pub mod batch;
pub mod client;
pub mod delivery;
pub mod entry;
pub mod redact;
pub mod retry;

pub use batch::{Batcher, Request};
pub use client::HttpSink;
pub use delivery::{Delivery, DeliveryPlan, Failed, MAX_EXTRA_SPLITS, Reason, Sink, Stop, deliver};
pub use entry::{Entry, Parts, Text};
pub use retry::{Attempt, Fatal, FatalKind, Problem, RetryPolicy, TransportError};
