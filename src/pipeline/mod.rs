//! From event bodies to delivered entries, and the accounting of every record.
//!
//! Used the same way by the server (events from the Functions host) and by `replay` (events
//! from files): split each body into records, give each record its meaning, apply the
//! operator's drop rules, write one entry per kept record into size-bounded requests, and
//! deliver each request as soon as it is full. Building runs on a blocking thread and hands
//! requests to delivery through a bounded channel, so memory holds the input and a few
//! requests, whatever the number or size of the records.
//!
//! Entries are numbered in build order, and building is deterministic for a given input and
//! time of processing: the entries Coralogix did not accept are remembered by number only and
//! built again, when needed, for a dead-letter blob ([`rebuild`]).

mod account;
mod build;
mod counts;

use std::ops::Range;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::coralogix::{Delivery, DeliveryPlan, Sink, deliver};
use crate::entra::Timestamp;
use crate::host::{EventMeta, Invocation, Partition};
use crate::settings::Settings;

pub use account::{Severity, Summary};
pub use build::{Batches, Builder, EntrySink, RESTAMP_AFTER};
pub use counts::{BuildReport, Counts};

/// One input of a build.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// An Event Hub event body. `enqueued` is the fallback time of records without one; `key`
    /// identifies the event (e.g. `eh:<partition>:<sequence number>`) in the ids of records
    /// that have none of their own.
    Event {
        /// The body's bytes.
        body: &'a [u8],
        /// When the Event Hub received it.
        enqueued: Option<Timestamp>,
        /// What identifies the event in ids.
        key: &'a str,
    },
    /// Where the next event comes from (the Event Hub metadata, for `INCLUDE_METADATA`).
    Origin {
        /// The partition of the invocation.
        partition: &'a Partition,
        /// The next event's sequence number, offset and enqueued time.
        event: &'a EventMeta,
    },
    /// A file of entries built earlier (a dead-letter blob) begins: counted as one event.
    BuiltFile,
    /// One entry built earlier, sent as it is (restamped if too old by now).
    Built(&'a [u8]),
}

/// Inputs to build entries from, in order; read once to deliver and once more to write a
/// dead-letter blob of what was not delivered.
pub trait EventSource: Send + Sync + 'static {
    /// Calls `f` with each input, in order.
    fn each(&self, f: &mut dyn FnMut(Input<'_>));
}

impl<S: EntrySink> Builder<'_, S> {
    /// Adds one input.
    pub fn add(&mut self, input: Input<'_>) {
        match input {
            Input::Event {
                body,
                enqueued,
                key,
            } => self.add_event(body, enqueued, key),
            Input::Origin { partition, event } => self.set_origin(partition, event),
            Input::BuiltFile => self.count_event(),
            Input::Built(entry) => self.add_built_entry(entry),
        }
    }
}

/// The build stage stopped with a panic (a bug): nothing can be said of the invocation.
#[derive(Debug, thiserror::Error)]
#[error("building the entries failed unexpectedly (a bug; please report it): {0}")]
pub struct BuildFailed(String);

/// Builds the entries of `source` on a blocking thread and delivers each request as soon as
/// it is built.
pub async fn ship<K: Sink, E: EventSource>(
    settings: Arc<Settings>,
    source: Arc<E>,
    now: Timestamp,
    sink: &K,
    plan: DeliveryPlan,
) -> Result<(BuildReport, Delivery), BuildFailed> {
    // Requests wait here while earlier ones are in flight: memory holds at most this many
    // plus the ones being sent.
    let (tx, rx) = mpsc::channel(settings.max_concurrent_requests.max(1));
    let gzip = sink.compresses();
    let build = tokio::task::spawn_blocking(move || {
        let batches = Batches::new(&settings, gzip, |request| {
            // Delivery reads until the channel closes, so the receiver outlives this.
            let _ = tx.blocking_send(request);
        });
        let mut builder = Builder::new(&settings, now, batches);
        source.each(&mut |input| builder.add(input));
        let (report, batches) = builder.finish();
        batches.finish();
        report
    });
    let delivery = deliver(sink, rx, plan).await;
    let report = build.await.map_err(|e| BuildFailed(e.to_string()))?;
    Ok((report, delivery))
}

/// Builds `source` again (with the same `now`) and hands the entries numbered in `wanted`
/// (sorted by start, not overlapping) to `out`, in order.
pub fn rebuild<E: EventSource>(
    settings: &Settings,
    source: &E,
    now: Timestamp,
    wanted: &[Range<u64>],
    out: impl FnMut(&[u8]),
) {
    let sink = Selected {
        wanted,
        at: 0,
        out,
        scratch: Vec::new(),
    };
    let mut builder = Builder::new(settings, now, sink);
    source.each(&mut |input| builder.add(input));
}

/// Passes on the entries whose numbers are wanted; the others are not even written.
struct Selected<'w, F: FnMut(&[u8])> {
    wanted: &'w [Range<u64>],
    at: usize,
    out: F,
    scratch: Vec<u8>,
}

impl<F: FnMut(&[u8])> EntrySink for Selected<'_, F> {
    fn push(&mut self, index: u64, write: impl FnOnce(&mut Vec<u8>)) {
        while self.wanted.get(self.at).is_some_and(|r| r.end <= index) {
            self.at += 1;
        }
        if self.wanted.get(self.at).is_some_and(|r| r.contains(&index)) {
            self.scratch.clear();
            write(&mut self.scratch);
            (self.out)(&self.scratch);
        }
    }
}

/// Builds every entry of `source` into requests, in memory (for tests and tools).
pub fn build_all<E: EventSource>(
    settings: &Settings,
    source: &E,
    now: Timestamp,
) -> (BuildReport, Vec<crate::coralogix::Request>) {
    let mut requests = Vec::new();
    let gzip = settings.compression == crate::settings::Compression::Gzip;
    let batches = Batches::new(settings, gzip, |r| requests.push(r));
    let mut builder = Builder::new(settings, now, batches);
    source.each(&mut |input| builder.add(input));
    let (report, batches) = builder.finish();
    batches.finish();
    (report, requests)
}

/// The events of one host invocation, as the pipeline reads them. Records without an id of
/// their own are identified by partition and sequence number (`eh:<partition>:<sequence>:
/// <index>`), which the host repeats when it delivers the same batch again.
pub struct HostEvents {
    /// The decoded request.
    pub invocation: Invocation,
    /// The host's invocation id, for the ids of records of events without a sequence number.
    pub invocation_id: String,
}

impl EventSource for HostEvents {
    fn each(&self, f: &mut dyn FnMut(Input<'_>)) {
        let inv = &self.invocation;
        let partition = inv.partition.partition_id.as_deref().unwrap_or("?");
        let mut key = String::new();
        for (i, event) in inv.events.iter().enumerate() {
            key.clear();
            match event.meta.sequence_number {
                Some(seq) => key.push_str(&format!("eh:{partition}:{seq}")),
                None => key.push_str(&format!("inv:{}:{i}", self.invocation_id)),
            }
            let body = inv.body(event);
            f(Input::Origin {
                partition: &inv.partition,
                event: &event.meta,
            });
            f(Input::Event {
                body: &body,
                enqueued: event
                    .meta
                    .enqueued_time
                    .map(Timestamp::from_datetime_clamped),
                key: &key,
            });
        }
    }
}

/// Event bodies held in memory, each with a key (for tests, tools and `replay`).
#[derive(Debug, Clone, Default)]
pub struct Bodies(pub Vec<(Vec<u8>, String)>);

impl EventSource for Bodies {
    fn each(&self, f: &mut dyn FnMut(Input<'_>)) {
        for (body, key) in &self.0 {
            f(Input::Event {
                body,
                enqueued: None,
                key,
            });
        }
    }
}

#[cfg(test)]
mod tests;
