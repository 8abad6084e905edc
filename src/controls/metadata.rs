//! `INCLUDE_METADATA`: where each record came from, added to its entry's text under the key
//! [`KEY`]:
//!
//! ```json
//! {"time":"…","category":"SignInLogs",…,
//!  "_forwarder":{"namespace":"ns.servicebus.windows.net","eventHub":"entra","consumerGroup":"$Default",
//!   "partition":"3","sequenceNumber":1234,"offset":"5678","enqueuedTime":"2026-12-01T14:55:00.123Z",
//!   "ingestionLagMs":8123}}
//! ```
//!
//! Members the host did not give are left out; `ingestionLagMs` is the enqueued time minus the
//! record's own time (negative when the clocks disagree), left out when either is unknown.
//! Only records that are JSON objects get it (text records and other JSON values are sent as
//! they are). The key is added before the entry is sized, so a record that no longer fits in
//! `MAX_ENTRY_BYTES` is sent in parts like any large record, and the parts put back together
//! give the record with the key.

use std::fmt::Write as _;

use crate::entra::Timestamp;
use crate::host::{EventMeta, Partition};
use crate::json::push_string;

/// The key the metadata goes under in the entry's text.
pub const KEY: &str = "_forwarder";

/// The metadata of the event being built: the members that are the same for all its records.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// `"namespace":…,…,"enqueuedTime":…` without braces; empty when nothing is known.
    members: String,
    enqueued: Option<Timestamp>,
    /// The enqueued time the pipeline gave the event (`replay` inputs have no metadata).
    fallback: Option<Timestamp>,
}

impl Origin {
    /// The next event comes from this partition, with this metadata.
    pub fn set(&mut self, partition: &Partition, event: &EventMeta) {
        let m = &mut self.members;
        m.clear();
        text(m, "namespace", partition.namespace.as_deref());
        text(m, "eventHub", partition.event_hub.as_deref());
        text(m, "consumerGroup", partition.consumer_group.as_deref());
        text(m, "partition", partition.partition_id.as_deref());
        if let Some(seq) = event.sequence_number {
            write_key(m, "sequenceNumber");
            let _ = write!(m, "{seq}");
        }
        text(m, "offset", event.offset.as_deref());
        if let Some(t) = event.enqueued_time {
            let formatted = t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            text(m, "enqueuedTime", Some(&formatted));
        }
        self.enqueued = event.enqueued_time.map(Timestamp::from_datetime_clamped);
    }

    /// The event's enqueued time as the pipeline has it, used when no metadata was set.
    pub fn set_fallback(&mut self, enqueued: Option<Timestamp>) {
        self.fallback = enqueued;
    }

    /// The event is done: the next one has no metadata until it is set.
    pub fn clear(&mut self) {
        self.members.clear();
        self.enqueued = None;
        self.fallback = None;
    }

    /// Writes `json` (a record) into `out` with the metadata added; false (and `out` left
    /// empty) when there is nothing to add or the record is not an object.
    pub fn enrich(&self, json: &str, time: Option<Timestamp>, out: &mut String) -> bool {
        out.clear();
        let enqueued = self.enqueued.or(self.fallback);
        let lag = enqueued
            .zip(time)
            .map(|(e, t)| e.0.saturating_sub(t.0) / 1_000_000);
        let trimmed = json.trim();
        let Some(body) = trimmed
            .strip_prefix('{')
            .and_then(|b| b.strip_suffix('}'))
            .map(str::trim_end)
        else {
            return false;
        };
        if self.members.is_empty() && lag.is_none() {
            return false;
        }
        out.reserve(trimmed.len() + self.members.len() + 48);
        out.push('{');
        out.push_str(body);
        if !body.trim().is_empty() {
            out.push(',');
        }
        push_string(out, KEY);
        out.push_str(":{");
        out.push_str(&self.members);
        if let Some(lag) = lag {
            write_key(out, "ingestionLagMs");
            let _ = write!(out, "{lag}");
        }
        out.push_str("}}");
        true
    }
}

fn text(out: &mut String, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        write_key(out, key);
        push_string(out, value);
    }
}

fn write_key(out: &mut String, key: &str) {
    if !out.is_empty() && !out.ends_with('{') {
        out.push(',');
    }
    push_string(out, key);
    out.push(':');
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn meta() -> (Partition, EventMeta) {
        let partition = Partition {
            namespace: Some("ns.servicebus.windows.net".into()),
            event_hub: Some("entra".into()),
            consumer_group: Some("$Default".into()),
            partition_id: Some("3".into()),
        };
        let event = EventMeta {
            sequence_number: Some(42),
            offset: Some("4096".into()),
            enqueued_time: Some(
                chrono::Utc
                    .with_ymd_and_hms(2026, 12, 1, 14, 0, 10)
                    .unwrap(),
            ),
        };
        (partition, event)
    }

    #[test]
    fn metadata_is_added_as_one_key_and_stays_json() {
        let (p, e) = meta();
        let mut origin = Origin::default();
        origin.set(&p, &e);
        let mut out = String::new();
        let time = crate::entra::time::parse("2026-12-01T14:00:00Z");
        assert!(origin.enrich("{\"a\":1} ", time, &mut out));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["a"], 1);
        let f = &v[KEY];
        assert_eq!(f["partition"], "3");
        assert_eq!(f["sequenceNumber"], 42);
        assert_eq!(f["offset"], "4096");
        assert_eq!(f["eventHub"], "entra");
        assert_eq!(f["enqueuedTime"], "2026-12-01T14:00:10.000Z");
        assert_eq!(f["ingestionLagMs"], 10_000);
        assert!(origin.enrich("{ }", None, &mut out));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v[KEY].get("ingestionLagMs").is_none());
        assert!(!origin.enrich("[1]", None, &mut out));
        assert!(!origin.enrich("\"text\"", None, &mut out));
        origin.clear();
        assert!(!origin.enrich("{}", time, &mut out), "nothing known");
        origin.set_fallback(time);
        assert!(origin.enrich("{}", time, &mut out));
        assert_eq!(out, "{\"_forwarder\":{\"ingestionLagMs\":0}}");
    }
}
