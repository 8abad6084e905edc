//! Decoding the Functions host's invocation request for an Event Hub trigger.
//!
//! The host POSTs `{"Data": {"events": …}, "Metadata": {…}}`. Almost every value that is not a
//! JSON object arrives as a JSON string holding JSON (functions-host-protocol.md 1.3), and the
//! trigger value's shape depends on `cardinality` and `dataType` (1.4):
//!
//! | function.json            | `Data.events` on the wire                      |
//! |--------------------------|------------------------------------------------|
//! | many, dataType unset     | `"[{…},{…}]"` (bodies parsed by the host)      |
//! | many, `string`           | `"[\"{…}\",\"text\"]"`                         |
//! | many, `binary`           | `"[\"eyJ…\",\"eyJ…\"]"` (base64)               |
//! | one, unset or `string`   | `"\"{…}\""`                                    |
//! | one, `binary`            | `"eyJ…"` (plain base64)                        |
//!
//! Arrays and objects that arrive already parsed are accepted too. Per-event metadata comes from
//! the `*Array` keys (batch) or the single keys (one event), correlated by index.

use std::borrow::Cow;
use std::collections::HashMap;

use base64_simd::STANDARD as BASE64;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// The trigger's binding name in `EventHubTrigger/function.json`.
pub const TRIGGER_NAME: &str = "events";

/// One decoded invocation: the events in order, with their Event Hub metadata.
#[derive(Debug, Default)]
pub struct Invocation {
    pub events: Vec<Event>,
    pub partition: Partition,
    pub retry: Option<RetryContext>,
}

/// One Event Hub event: the exact body bytes and where it came from.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub body: Vec<u8>,
    pub meta: EventMeta,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventMeta {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sequence_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub offset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub enqueued_time: Option<DateTime<Utc>>,
}

/// The partition the batch came from (`TriggerPartitionContext`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Partition {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub event_hub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub consumer_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partition_id: Option<String>,
}

/// `Metadata.RetryContext`, present when function.json has a retry policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryContext {
    pub retry_count: i64,
    pub max_retry_count: i64,
}

/// Why a request body is not a host invocation we can read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the request body is not JSON: {0}")]
    NotJson(String),
    #[error(
        "the request body has no \"Data\" object (expected the Functions host's {{\"Data\":…,\"Metadata\":…}})"
    )]
    NoData,
    #[error("\"Data\" has no \"{TRIGGER_NAME}\" value (bindings present: {0})")]
    NoTrigger(String),
    #[error("\"Data.{TRIGGER_NAME}\" cannot be decoded: {0}")]
    BadTrigger(String),
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(rename = "Data", alias = "data", borrow, default)]
    data: Option<HashMap<Cow<'a, str>, &'a RawValue>>,
    #[serde(rename = "Metadata", alias = "metadata", borrow, default)]
    metadata: Option<HashMap<Cow<'a, str>, &'a RawValue>>,
}

/// Decodes a host request body. The returned events own their bytes, so the request body can
/// be freed as soon as this returns.
pub fn decode(body: &[u8]) -> Result<Invocation, DecodeError> {
    let wire: Wire =
        serde_json::from_slice(body).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    let data = wire.data.ok_or(DecodeError::NoData)?;
    let trigger = match data.get(TRIGGER_NAME) {
        Some(v) => *v,
        // A trigger bound under another name: the only entry in Data is the trigger.
        None if data.len() == 1 => *data.values().next().expect("one entry"),
        None => {
            let mut names: Vec<&str> = data.keys().map(|k| k.as_ref()).collect();
            names.sort_unstable();
            return Err(DecodeError::NoTrigger(if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }));
        }
    };
    let (bodies, cardinality) = decode_trigger(trigger)?;
    let metadata = wire.metadata.unwrap_or_default();
    let meta = Metadata::new(&metadata);
    let metas = meta.per_event(bodies.len(), cardinality);
    let events = bodies
        .into_iter()
        .zip(metas)
        .map(|(body, meta)| Event { body, meta })
        .collect();
    Ok(Invocation {
        events,
        partition: meta.partition(),
        retry: meta.retry(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cardinality {
    Many,
    One,
}

fn bad(msg: impl Into<String>) -> DecodeError {
    DecodeError::BadTrigger(msg.into())
}

fn decode_trigger(raw: &RawValue) -> Result<(Vec<Vec<u8>>, Cardinality), DecodeError> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"') => {
            // The common case (many + binary), decoded without unescaping the whole string.
            if let Some(events) = fast_base64_array(text) {
                return Ok((events, Cardinality::Many));
            }
            let inner: Cow<str> = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
            decode_string_value(&inner)
        }
        Some(b'[') => {
            let items: Vec<&RawValue> =
                serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
            Ok((decode_elements(&items)?, Cardinality::Many))
        }
        Some(b'{') => Ok((vec![text.as_bytes().to_vec()], Cardinality::One)),
        Some(b'n') => Ok((Vec::new(), Cardinality::Many)), // null: nothing to do
        _ => Err(bad(format!(
            "expected a string, array or object, got {}",
            preview(text)
        ))),
    }
}

/// The contents of a string-valued trigger, once unquoted.
fn decode_string_value(inner: &str) -> Result<(Vec<Vec<u8>>, Cardinality), DecodeError> {
    let trimmed = inner.trim_start();
    match trimmed.as_bytes().first() {
        Some(b'[') => match serde_json::from_str::<Vec<&RawValue>>(inner) {
            Ok(items) => Ok((decode_elements(&items)?, Cardinality::Many)),
            // Not a JSON array: a single event whose text starts with '['.
            Err(_) => Ok((vec![inner.as_bytes().to_vec()], Cardinality::One)),
        },
        // cardinality one, dataType unset or string: a JSON string literal holding the body.
        Some(b'"') => match serde_json::from_str::<String>(inner) {
            Ok(body) => Ok((vec![body.into_bytes()], Cardinality::One)),
            Err(_) => Ok((vec![inner.as_bytes().to_vec()], Cardinality::One)),
        },
        // cardinality one, dataType binary: plain base64. Anything else is a text body.
        _ => Ok((
            vec![
                BASE64
                    .decode_to_vec(inner.as_bytes())
                    .unwrap_or_else(|_| inner.as_bytes().to_vec()),
            ],
            Cardinality::One,
        )),
    }
}

/// Elements of a batch: base64 strings (binary), text strings (string), or parsed JSON bodies
/// (dataType unset).
///
/// A string element is base64 only if every string element of the batch decodes as base64: with
/// `dataType: binary` all do, while a batch of text events almost never does (JSON text cannot,
/// as `{` is not a base64 character).
fn decode_elements(items: &[&RawValue]) -> Result<Vec<Vec<u8>>, DecodeError> {
    let mut strings: Vec<Option<Cow<str>>> = Vec::with_capacity(items.len());
    for item in items {
        strings.push(if item.get().starts_with('"') {
            Some(serde_json::from_str(item.get()).map_err(|e| bad(e.to_string()))?)
        } else {
            None
        });
    }
    // Decoded only if every string element is base64; otherwise the strings are text bodies.
    let decoded: Option<Vec<Vec<u8>>> = if strings.iter().any(Option::is_some) {
        strings
            .iter()
            .flatten()
            .map(|s| BASE64.decode_to_vec(s.as_bytes()).ok())
            .collect()
    } else {
        None
    };
    let mut decoded = decoded.map(Vec::into_iter);
    Ok(items
        .iter()
        .zip(strings)
        .map(|(item, s)| match (decoded.as_mut(), s) {
            (Some(bodies), Some(_)) => bodies.next().expect("one decoded body per string"),
            (None, Some(s)) => s.into_owned().into_bytes(),
            (_, None) => item.get().as_bytes().to_vec(),
        })
        .collect())
}

/// `"[\"b64\",\"b64\"]"` → the decoded bodies, or `None` if the token has any other form.
fn fast_base64_array(token: &str) -> Option<Vec<Vec<u8>>> {
    let inner = token
        .as_bytes()
        .strip_prefix(b"\"[")?
        .strip_suffix(b"]\"")?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    // Base64 never contains a comma, so the elements are exactly the comma-separated parts.
    let mut events = Vec::new();
    let mut start = 0;
    for end in memchr::memchr_iter(b',', inner).chain([inner.len()]) {
        let b64 = inner[start..end]
            .strip_prefix(b"\\\"")?
            .strip_suffix(b"\\\"")?;
        events.push(BASE64.decode_to_vec(b64).ok()?);
        start = end + 1;
    }
    Some(events)
}

fn preview(text: &str) -> String {
    let end = text
        .char_indices()
        .nth(40)
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    format!("{:?}", &text[..end])
}

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

struct Metadata<'m, 'a> {
    map: &'m HashMap<Cow<'a, str>, &'a RawValue>,
}

impl<'m, 'a> Metadata<'m, 'a> {
    fn new(map: &'m HashMap<Cow<'a, str>, &'a RawValue>) -> Self {
        Self { map }
    }

    fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.map.get(key).and_then(|raw| flex(raw))
    }

    fn array(&self, key: &str) -> Option<Vec<Value>> {
        self.get::<Vec<Value>>(key)
    }

    fn partition(&self) -> Partition {
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

    fn retry(&self) -> Option<RetryContext> {
        let v = self.get::<Value>("RetryContext")?;
        Some(RetryContext {
            retry_count: v.get("RetryCount").and_then(as_i64).unwrap_or(0),
            max_retry_count: v.get("MaxRetryCount").and_then(as_i64).unwrap_or(0),
        })
    }

    fn per_event(&self, n: usize, cardinality: Cardinality) -> Vec<EventMeta> {
        if cardinality == Cardinality::One && n == 1 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(s: &str) -> String {
        BASE64.encode_to_string(s)
    }

    fn request(events: Value, metadata: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({"Data": {"events": events}, "Metadata": metadata})).unwrap()
    }

    fn bodies(inv: &Invocation) -> Vec<String> {
        inv.events
            .iter()
            .map(|e| String::from_utf8(e.body.clone()).unwrap())
            .collect()
    }

    fn batch_metadata() -> Value {
        json!({
            "TriggerPartitionContext": {"FullyQualifiedNamespace": "ns.servicebus.windows.net",
                "EventHubName": "hub", "ConsumerGroup": "$Default", "PartitionId": "3",
                "IsCheckpointingAfterInvocation": true},
            "SequenceNumberArray": "[10,11]",
            "OffsetArray": "[\"4294967296\",\"4294967396\"]",
            "EnqueuedTimeUtcArray": "[\"2025-06-01T12:00:00.123\",\"2025-06-01T12:00:00.456\"]",
            "PartitionKeyArray": "[null,null]",
            "sys": {"MethodName": "EventHubTrigger", "UtcNow": "2025-06-01T12:00:01Z"}
        })
    }

    #[test]
    fn many_binary_double_encoded() {
        let events =
            json!(serde_json::to_string(&[b64(r#"{"id":1}"#), b64("plain text")]).unwrap());
        let inv = decode(&request(events, batch_metadata())).unwrap();
        assert_eq!(bodies(&inv), [r#"{"id":1}"#, "plain text"]);
        assert_eq!(inv.partition.partition_id.as_deref(), Some("3"));
        assert_eq!(inv.partition.event_hub.as_deref(), Some("hub"));
        let m = &inv.events[1].meta;
        assert_eq!(m.sequence_number, Some(11));
        assert_eq!(m.offset.as_deref(), Some("4294967396"));
        assert_eq!(
            m.enqueued_time.unwrap().to_rfc3339(),
            "2025-06-01T12:00:00.456+00:00"
        );
    }

    #[test]
    fn many_binary_with_escaped_slashes_takes_the_slow_path() {
        // Some serializers write '/' as "\/"; the result must be the same.
        let body = BASE64.encode_to_string([0xffu8, 0xfe, 0xfd]); // "//79"
        assert!(body.contains('/'));
        let inner = format!("[\"{}\"]", body.replace('/', "\\/"));
        let inv = decode(&request(json!(inner), json!({}))).unwrap();
        assert_eq!(inv.events[0].body, vec![0xff, 0xfe, 0xfd]);
    }

    #[test]
    fn many_string_double_encoded() {
        let events = json!(serde_json::to_string(&[r#"{"id":1}"#, "hello"]).unwrap());
        let inv = decode(&request(events, batch_metadata())).unwrap();
        assert_eq!(bodies(&inv), [r#"{"id":1}"#, "hello"]);
        assert_eq!(inv.events[0].meta.sequence_number, Some(10));
    }

    #[test]
    fn many_unset_double_encoded_parsed_bodies() {
        let events = json!(r#"[{"records":[{"a":1}]},{"id":2}]"#);
        let inv = decode(&request(events, batch_metadata())).unwrap();
        assert_eq!(bodies(&inv), [r#"{"records":[{"a":1}]}"#, r#"{"id":2}"#]);
    }

    #[test]
    fn already_parsed_array_and_object() {
        let inv = decode(&request(json!([{"id": 1}, "aGk="]), json!({}))).unwrap();
        assert_eq!(bodies(&inv), [r#"{"id":1}"#, "hi"]);
        let inv = decode(&request(json!({"id": 1}), json!({}))).unwrap();
        assert_eq!(bodies(&inv), [r#"{"id":1}"#]);
    }

    #[test]
    fn one_binary_plain_base64_with_single_metadata() {
        let meta = json!({
            "PartitionContext": {"PartitionId": "0"},
            "Offset": "\"4294967296\"", "SequenceNumber": "10",
            "EnqueuedTimeUtc": "2025-06-01T12:00:00",
            "SystemProperties": {"EnqueuedTimeUtc": "2025-06-01T12:00:00.123", "SequenceNumber": 10}
        });
        let inv = decode(&request(json!(b64(r#"{"id":1}"#)), meta)).unwrap();
        assert_eq!(bodies(&inv), [r#"{"id":1}"#]);
        let m = &inv.events[0].meta;
        assert_eq!(m.sequence_number, Some(10));
        assert_eq!(m.offset.as_deref(), Some("4294967296"));
        assert_eq!(m.enqueued_time.unwrap().timestamp_millis() % 1000, 123);
        assert_eq!(inv.partition.partition_id.as_deref(), Some("0"));
    }

    #[test]
    fn one_string_double_encoded() {
        let wire = json!(serde_json::to_string(r#"{"id":1}"#).unwrap());
        let inv = decode(&request(wire, json!({"SequenceNumber": "7"}))).unwrap();
        assert_eq!(bodies(&inv), [r#"{"id":1}"#]);
        assert_eq!(inv.events[0].meta.sequence_number, Some(7));
    }

    #[test]
    fn trigger_under_another_name() {
        let body =
            serde_json::to_vec(&json!({"Data": {"event": b64("x")}, "Metadata": {}})).unwrap();
        assert_eq!(bodies(&decode(&body).unwrap()), ["x"]);
    }

    #[test]
    fn retry_context() {
        let meta =
            json!({"RetryContext": {"RetryCount": 2, "MaxRetryCount": 5, "Exception": null}});
        let inv = decode(&request(json!("[]"), meta)).unwrap();
        assert_eq!(
            inv.retry,
            Some(RetryContext {
                retry_count: 2,
                max_retry_count: 5
            })
        );
        assert!(inv.events.is_empty());
    }

    #[test]
    fn not_the_host_shape() {
        assert!(matches!(decode(b"nope"), Err(DecodeError::NotJson(_))));
        assert!(matches!(decode(b"{}"), Err(DecodeError::NoData)));
        assert!(matches!(decode(b"[1,2]"), Err(DecodeError::NotJson(_))));
        assert!(matches!(
            decode(br#"{"Data":{"a":1,"b":2}}"#),
            Err(DecodeError::NoTrigger(_))
        ));
        assert!(matches!(
            decode(br#"{"Data":{"events":42}}"#),
            Err(DecodeError::BadTrigger(_))
        ));
    }

    #[test]
    fn derived_samples_decode() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/functions-host-samples/eventhub-derived");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipped: {} not present", dir.display());
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !name.starts_with("eventhub-") {
                continue;
            }
            let inv = decode(&std::fs::read(&path).unwrap()).unwrap();
            let want: &[&str] = if name.contains("many") {
                &[r#"{"id":1}"#, r#"{"id":2}"#]
            } else {
                &[r#"{"id":1}"#]
            };
            assert_eq!(bodies(&inv), want, "{name}");
            assert!(inv.events[0].meta.enqueued_time.is_some(), "{name}");
            assert_eq!(inv.events[0].meta.sequence_number, Some(10), "{name}");
        }
    }
}
