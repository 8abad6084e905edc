//! The custom-handler wire: what the Functions host sends and what it expects back.

pub mod request;
pub mod response;

pub use request::{DecodeError, Event, EventMeta, Invocation, Partition, RetryContext, decode};
