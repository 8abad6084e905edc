//! The custom-handler wire: what the Functions host sends and what it expects back.

mod metadata;
pub mod request;
pub mod response;
pub mod trigger;

pub use request::{DecodeError, Event, EventMeta, Invocation, Partition, RetryContext, decode};
pub use trigger::{DataType, TriggerShape};
