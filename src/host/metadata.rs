//! The invocation's `Metadata`: the partition, each event's sequence number, offset and
//! enqueued time, and the retry context. Values arrive as JSON, as strings holding JSON, or as
//! plain strings (see `docs/functions-host.md#metadata-keys`); each is read leniently, and a
//! value that cannot be read is left out rather than failing the invocation.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use super::request::{EventMeta, Partition, RetryContext};

/// Reads a metadata value: an object/array as is, or a string holding JSON (parsed once), or a
/// string that is the value itself (a date, an offset).
fn flex<T: DeserializeOwned>(raw: &RawValue) -> Option<T> {
    let text = raw.get();
    if text.starts_with('"') {
        let s: String = serde_json::from_str(text).ok()?;
        if let Ok(v) = serde_json::from_str::<T>(&s) {
            return Some(v);
        }
        return serde_json::from_value(Value::String(s)).ok();
    }
    serde_json::from_str(text).ok()
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Event Hub enqueued times: `2025-06-01T12:00:00.123` (UTC, no zone) or RFC 3339.
fn as_time(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

pub(super) struct Metadata<'m, 'a> {
    map: &'m HashMap<Cow<'a, str>, &'a RawValue>,
}

impl<'m, 'a> Metadata<'m, 'a> {
    pub(super) fn new(map: &'m HashMap<Cow<'a, str>, &'a RawValue>) -> Self {
        Self { map }
    }

    fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.map.get(key).and_then(|raw| flex(raw))
    }

    fn array(&self, key: &str) -> Option<Vec<Value>> {
        self.get::<Vec<Value>>(key)
    }

    pub(super) fn partition(&self) -> Partition {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire {
            fully_qualified_namespace: Option<String>,
            event_hub_name: Option<String>,
            consumer_group: Option<String>,
            partition_id: Option<Value>,
        }
        self.get::<Wire>("TriggerPartitionContext")
            .or_else(|| self.get::<Wire>("PartitionContext"))
            .map(|w| Partition {
                namespace: w.fully_qualified_namespace,
                event_hub: w.event_hub_name,
                consumer_group: w.consumer_group,
                partition_id: w.partition_id.as_ref().and_then(as_string),
            })
            .unwrap_or_default()
    }

    pub(super) fn retry(&self) -> Option<RetryContext> {
        let v = self.get::<Value>("RetryContext")?;
        Some(RetryContext {
            retry_count: v.get("RetryCount").and_then(as_i64).unwrap_or(0),
            max_retry_count: v.get("MaxRetryCount").and_then(as_i64).unwrap_or(0),
        })
    }

    pub(super) fn per_event(&self, n: usize, single: bool) -> Vec<EventMeta> {
        if single && n == 1 {
            return vec![self.single()];
        }
        let seq = self.array("SequenceNumberArray").unwrap_or_default();
        let off = self
            .array("OffsetStringArray")
            .or_else(|| self.array("OffsetArray"))
            .unwrap_or_default();
        let enq = self.array("EnqueuedTimeUtcArray").unwrap_or_default();
        (0..n)
            .map(|i| EventMeta {
                sequence_number: seq.get(i).and_then(as_i64),
                offset: off.get(i).and_then(as_string),
                enqueued_time: enq.get(i).and_then(as_time),
            })
            .collect()
    }

    fn single(&self) -> EventMeta {
        // SystemProperties carries the precise enqueued time; EnqueuedTimeUtc loses sub-seconds.
        let system = self.get::<Value>("SystemProperties").unwrap_or(Value::Null);
        EventMeta {
            sequence_number: self
                .get::<Value>("SequenceNumber")
                .as_ref()
                .and_then(as_i64)
                .or_else(|| system.get("SequenceNumber").and_then(as_i64)),
            offset: self
                .get::<Value>("OffsetString")
                .or_else(|| self.get::<Value>("Offset"))
                .as_ref()
                .and_then(as_string)
                .or_else(|| system.get("OffsetString").and_then(as_string)),
            enqueued_time: system.get("EnqueuedTimeUtc").and_then(as_time).or_else(|| {
                self.get::<Value>("EnqueuedTimeUtc")
                    .as_ref()
                    .and_then(as_time)
            }),
        }
    }
}
