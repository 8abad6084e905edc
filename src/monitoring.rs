//! Self-monitoring (`SELF_MONITORING_SUBSYSTEM`): each invocation's summary also goes to
//! Coralogix, as one JSON entry of its own subsystem (same application), so that the shipper's
//! health can be charted and alerted on next to the logs it ships.
//!
//! The entry is sent after the invocation has answered the host, on a task of its own, with
//! a deadline of its own ([`MONITORING_TIMEOUT`] at most): it can neither delay nor change the
//! invocation's outcome, and it is not counted in the invocation's accounting of records. A
//! summary that cannot be delivered is logged (warning) and forgotten; the summary line in the
//! Function App's logs remains.
//!
//! The entry's `text`, with the fields `monitoring/` builds on:
//!
//! ```json
//! {"kind":"invocation_summary","shipper":"entra-coralogix","version":"0.1.0",
//!  "invocation_id":"…","partition":"3","retry":null,"outcome":"delivered",
//!  "events":12,"records":840,"entries":840,"delivered":840,"dropped":0,"dead_lettered":0,
//!  "failed":0,"requests":2,"retries":0,"splits":0,"bytes":1843211,"as_text":0,"parted":0,
//!  "repaired":0,"unparsed":0,"invalid_utf8":0,"untimed":0,"restamped":0,"masked":1680,
//!  "balanced":true,"duration_ms":412,"lag_ms":5210}
//! ```
//!
//! `outcome` is `delivered`, `dead_lettered` (something was parked in a blob) or `failed` (the
//! host delivers the batch again); `lag_ms` is how long the batch's oldest event had waited in
//! the hub when the invocation began.

use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::coralogix::{DeliveryPlan, Entry, Request, Sink, Text, deliver};
use crate::entra::{Timestamp, severity};
use crate::pipeline::{Severity, Summary};

/// The longest a summary entry's delivery may take, retries included.
pub const MONITORING_TIMEOUT: Duration = Duration::from_secs(10);

/// One invocation's health, as shipped.
#[derive(Debug, Clone)]
pub struct Health {
    /// The account of the invocation.
    pub summary: Summary,
    /// How it ended.
    pub outcome: Severity,
    /// The host's invocation id.
    pub invocation_id: String,
    /// The Event Hub partition.
    pub partition: String,
    /// The host's `retry/max` of a redelivered batch.
    pub retry: Option<String>,
    /// How long the oldest event had waited in the hub when the invocation began.
    pub lag_ms: Option<i64>,
}

impl Health {
    /// The entry's `text`: every count of the summary, the outcome and the lag.
    pub fn text(&self) -> serde_json::Value {
        let (s, c) = (&self.summary, &self.summary.counts);
        json!({
            "kind": "invocation_summary",
            "shipper": env!("CARGO_PKG_NAME"),
            "version": env!("CARGO_PKG_VERSION"),
            "invocation_id": self.invocation_id,
            "partition": self.partition,
            "retry": self.retry,
            "outcome": match self.outcome {
                Severity::Info => "delivered",
                Severity::Warn => "dead_lettered",
                Severity::Error => "failed",
            },
            "events": c.events,
            "records": c.records,
            "entries": c.entries,
            "delivered": s.delivered,
            "dropped": c.dropped,
            "dead_lettered": s.dead_lettered,
            "failed": s.failed,
            "requests": s.requests,
            "retries": s.retries,
            "splits": s.splits,
            "bytes": s.bytes,
            "as_text": s.as_text,
            "parted": c.parted,
            "repaired": c.repaired,
            "unparsed": c.unparsed,
            "invalid_utf8": c.invalid_utf8,
            "untimed": c.untimed,
            "restamped": c.restamped,
            "masked": c.masked,
            "balanced": s.balanced(),
            "duration_ms": s.elapsed.as_millis() as u64,
            "lag_ms": self.lag_ms,
        })
    }

    /// The Coralogix entry (JSON) of this summary, of `application` and `subsystem`.
    pub fn entry(&self, application: &str, subsystem: &str, now: Timestamp) -> Vec<u8> {
        let text = self.text().to_string();
        let thread_id = format!("selfmon:{}", self.invocation_id);
        let entry = Entry {
            application,
            subsystem,
            computer_name: None,
            category: None,
            severity: match self.outcome {
                Severity::Info => severity::INFO,
                Severity::Warn => severity::WARNING,
                Severity::Error => severity::ERROR,
            },
            timestamp: now,
            thread_id: &thread_id,
            text: Text::Json(&text),
        };
        let mut buf = Vec::new();
        entry.write(&mut buf);
        buf
    }
}

/// Delivers one summary entry, best-effort: within `plan`'s deadline (capped at
/// [`MONITORING_TIMEOUT`]), and logs a warning if it was not accepted.
pub async fn ship<K: Sink>(sink: &K, entry: Vec<u8>, mut plan: DeliveryPlan) {
    let cap = tokio::time::Instant::now() + MONITORING_TIMEOUT;
    plan.deadline = plan.deadline.min(cap);
    plan.concurrency = 1;
    let mut request = Request::from_entries(0, [entry.as_slice()]);
    if sink.compresses() {
        request.compress();
    }
    let (tx, rx) = mpsc::channel(1);
    // The receiver is alive: `deliver` below reads it.
    let _ = tx.send(request).await;
    drop(tx);
    let delivery = deliver(sink, rx, plan).await;
    match delivery.reason() {
        None => debug!("self-monitoring summary delivered"),
        Some(reason) => warn!(
            "the self-monitoring summary was not delivered (the invocation's outcome is unaffected): {reason}"
        ),
    }
}
