//! Coralogix: entries, size-bounded requests, and delivery with a retry policy.

pub mod batch;
pub mod client;
pub mod delivery;
pub mod entry;
pub mod limits;
pub mod retry;

pub use batch::{Batcher, Request};
pub use client::HttpSink;
pub use delivery::{Delivery, Failed, Plan, Sink, deliver};
pub use entry::{Entry, Text};
pub use retry::{Attempt, RetryPolicy};
