//! Decoding the Functions host's invocation request for an Event Hub trigger.
//!
//! The host POSTs `{"Data": {"events": …}, "Metadata": {…}}`. Almost every value that is not a
//! JSON object arrives as a JSON string holding JSON, and the trigger value's shape depends on
//! `cardinality` and `dataType` in `function.json`
//! (see `docs/functions-host.md#trigger-value-by-cardinality-and-datatype`):
//!
//! | function.json            | `Data.events` on the wire                      |
//! |--------------------------|------------------------------------------------|
//! | many, dataType unset     | `"[{…},{…}]"` (bodies parsed by the host)      |
//! | many, `string`           | `"[\"{…}\",\"text\"]"`                         |
//! | many, `binary`           | `"[\"eyJ…\",\"eyJ…\"]"` (base64)               |
//! | one, unset or `string`   | `"\"{…}\""`                                    |
//! | one, `binary`            | `"eyJ…"` (plain base64)                        |
//!
//! The shape declared in `function.json` ([`TriggerShape`]) is decoded exactly; without it, the
//! shape is guessed from the value. Arrays and objects that arrive already parsed are accepted
//! too. Per-event metadata comes from the `*Array` keys (batch) or the single keys (one event),
//! correlated by index.
//!
//! The request body is kept, and each base64 event body is decoded only when it is read
//! ([`Invocation::body`]): memory holds the request and one event at a time, not the request
//! and a decoded copy of every event. The common request, a batch of base64 events, is read by a
//! fast path (`top`) that does not scan the events' string twice; every other request takes
//! the general path, which deserialises the whole request.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use base64_simd::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::metadata::Metadata;
use super::trigger::{DataType, TriggerShape};
use crate::json;
use guess::decode_guessed;
use scan::{fast_base64_array, plain_string_range};

mod guess;
mod scan;
mod top;

/// The trigger's binding name in `EventHubTrigger/function.json`.
pub const TRIGGER_NAME: &str = "events";

/// One decoded invocation: the request, and its events in order with their Event Hub metadata.
#[derive(Debug, Default)]
pub struct Invocation {
    request: Vec<u8>,
    /// The events, in the order of the batch.
    pub events: Vec<Event>,
    /// The partition the batch came from.
    pub partition: Partition,
    /// Where the host's retry policy is, when there is one.
    pub retry: Option<RetryContext>,
}

/// One Event Hub event: where its body is, and where it came from.
#[derive(Debug, Clone, Default)]
pub struct Event {
    body: Body,
    /// Its position in the Event Hub.
    pub meta: EventMeta,
}

#[derive(Debug, Clone)]
enum Body {
    /// Base64 text at this range of the request.
    Base64(Range<usize>),
    Bytes(Vec<u8>),
}

impl Default for Body {
    fn default() -> Self {
        Body::Bytes(Vec::new())
    }
}

impl Invocation {
    /// The body of `event` (one of `self.events`): decoded from base64 now if it arrived so. A
    /// string that is not valid base64 is returned as it is, so that nothing is lost.
    pub fn body<'s>(&'s self, event: &'s Event) -> Cow<'s, [u8]> {
        match &event.body {
            Body::Bytes(bytes) => Cow::Borrowed(bytes),
            Body::Base64(range) => {
                let text = &self.request[range.clone()];
                match BASE64.decode_to_vec(text) {
                    Ok(bytes) => Cow::Owned(bytes),
                    Err(_) => Cow::Borrowed(text),
                }
            }
        }
    }

    /// The size of the host's request.
    pub fn request_len(&self) -> usize {
        self.request.len()
    }

    /// The size of the largest event body, decoded.
    pub fn largest_event(&self) -> usize {
        self.events
            .iter()
            .map(|e| match &e.body {
                Body::Bytes(b) => b.len(),
                Body::Base64(r) => r.len() / 4 * 3,
            })
            .max()
            .unwrap_or(0)
    }

    /// An invocation of these bodies, with no metadata (for tests and tools).
    pub fn from_bodies(bodies: Vec<Vec<u8>>) -> Self {
        Invocation {
            events: bodies
                .into_iter()
                .map(|b| Event {
                    body: Body::Bytes(b),
                    meta: EventMeta::default(),
                })
                .collect(),
            ..Invocation::default()
        }
    }
}

/// Where an event sits in its partition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventMeta {
    /// The event's sequence number in its partition.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sequence_number: Option<i64>,
    /// The event's offset, as the host gives it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub offset: Option<String>,
    /// When the Event Hub received the event.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub enqueued_time: Option<DateTime<Utc>>,
}

/// The partition the batch came from (`TriggerPartitionContext`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Partition {
    /// The namespace's fully qualified name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub namespace: Option<String>,
    /// The hub.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub event_hub: Option<String>,
    /// The consumer group.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub consumer_group: Option<String>,
    /// The partition.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partition_id: Option<String>,
}

/// `Metadata.RetryContext`, present when function.json has a retry policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryContext {
    /// Retries before this attempt (0 on the first).
    pub retry_count: i64,
    /// The policy's `maxRetryCount` (-1: forever).
    pub max_retry_count: i64,
}

/// Why a request body is not a host invocation we can read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The body does not parse.
    #[error("the request body is not JSON: {0}")]
    NotJson(String),
    #[error(
        "the request body has no \"Data\" object (expected the Functions host's {{\"Data\":…,\"Metadata\":…}})"
    )]
    /// No `Data`.
    NoData,
    /// No trigger value among the bindings named.
    #[error("\"Data\" has no \"{TRIGGER_NAME}\" value (bindings present: {0})")]
    NoTrigger(String),
    /// The trigger value has a shape no trigger sends.
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

/// Decodes a host request body, as declared by `shape` (guessed when `None`). The invocation
/// keeps the request.
pub fn decode(request: Vec<u8>, shape: Option<TriggerShape>) -> Result<Invocation, DecodeError> {
    decode_with(request, shape, true)
}

/// [`decode`], with the fast path for batches of base64 events ([`top`]) or without it.
fn decode_with(
    request: Vec<u8>,
    shape: Option<TriggerShape>,
    fast: bool,
) -> Result<Invocation, DecodeError> {
    let with_meta = |bodies: Vec<Body>, single, metadata: &HashMap<Cow<str>, &RawValue>| {
        let meta = Metadata::new(metadata);
        let metas = meta.per_event(bodies.len(), single);
        (bodies, meta.partition(), meta.retry(), metas)
    };
    let (bodies, partition, retry, metas) = match fast.then(|| top::read(&request, shape)).flatten()
    {
        Some((ranges, metadata)) => with_meta(
            ranges.into_iter().map(Body::Base64).collect(),
            false,
            &metadata,
        ),
        None => {
            let wire: Wire = serde_json::from_slice(&request)
                .map_err(|e| DecodeError::NotJson(e.to_string()))?;
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
            let offset = trigger.get().as_ptr() as usize - request.as_ptr() as usize;
            let (bodies, single) = match shape {
                Some(shape) => decode_declared(trigger.get(), offset, shape)?,
                None => decode_guessed(trigger.get(), offset)?,
            };
            with_meta(bodies, single, &wire.metadata.unwrap_or_default())
        }
    };
    let events = bodies
        .into_iter()
        .zip(metas)
        .map(|(body, meta)| Event { body, meta })
        .collect();
    Ok(Invocation {
        request,
        events,
        partition,
        retry,
    })
}

fn bad(msg: impl Into<String>) -> DecodeError {
    DecodeError::BadTrigger(msg.into())
}

/// Bodies and whether the value was a single event (cardinality one).
type Decoded = (Vec<Body>, bool);

/// Decodes exactly the shape `function.json` declares.
fn decode_declared(
    token: &str,
    offset: usize,
    shape: TriggerShape,
) -> Result<Decoded, DecodeError> {
    match token.as_bytes().first() {
        Some(b'n') => return Ok((Vec::new(), false)), // null: nothing to do
        Some(b'{') if !shape.many => return Ok((vec![bytes(token)], true)),
        Some(b'{') | Some(b'[') | Some(b'"') => {}
        _ => {
            return Err(bad(format!(
                "expected a string, array or object, got {}",
                preview(token)
            )));
        }
    }
    if shape.many {
        if shape.data_type == DataType::Binary
            && let Some(ranges) = fast_base64_array(token.as_bytes())
        {
            let bodies = ranges
                .into_iter()
                .map(|r| Body::Base64(offset + r.start..offset + r.end))
                .collect();
            return Ok((bodies, false));
        }
        // The array, as a string holding it or already parsed.
        let inner: Cow<str> = if token.starts_with('"') {
            serde_json::from_str(token).map_err(|e| bad(e.to_string()))?
        } else {
            Cow::Borrowed(token)
        };
        let text = inner.trim();
        if !text.starts_with('[') {
            return Err(bad(format!(
                "expected an array of events, got {}",
                preview(text)
            )));
        }
        let (elements, _) = json::array_elements(text.as_bytes(), 1, &json::ends_bare_array);
        let bodies = elements
            .into_iter()
            .map(|e| element_body(&text[e.range], shape.data_type))
            .collect();
        return Ok((bodies, false));
    }
    // Cardinality one.
    let body = match shape.data_type {
        DataType::Binary => match plain_string_range(token) {
            Some(r) => Body::Base64(offset + r.start..offset + r.end),
            None => {
                let s: String = serde_json::from_str(token).map_err(|e| bad(e.to_string()))?;
                base64_or_text(&s)
            }
        },
        // A JSON string holding a JSON string literal of the body.
        DataType::String | DataType::Unset => {
            let once: String = serde_json::from_str(token).map_err(|e| bad(e.to_string()))?;
            match serde_json::from_str::<String>(&once) {
                Ok(body) => Body::Bytes(body.into_bytes()),
                Err(_) => Body::Bytes(once.into_bytes()),
            }
        }
    };
    Ok((vec![body], true))
}

/// One element of a batch array, as the declared data type makes it.
fn element_body(element: &str, data_type: DataType) -> Body {
    let as_string = || serde_json::from_str::<String>(element).ok();
    match (data_type, element.starts_with('"')) {
        (DataType::Binary, true) => match as_string() {
            Some(s) => base64_or_text(&s),
            None => bytes(element),
        },
        (DataType::String, true) => match as_string() {
            Some(s) => Body::Bytes(s.into_bytes()),
            None => bytes(element),
        },
        // dataType unset: each body was parsed by the host; the element is its JSON.
        _ => bytes(element),
    }
}

fn bytes(text: &str) -> Body {
    Body::Bytes(text.as_bytes().to_vec())
}

fn base64_or_text(s: &str) -> Body {
    Body::Bytes(
        BASE64
            .decode_to_vec(s.as_bytes())
            .unwrap_or_else(|_| s.as_bytes().to_vec()),
    )
}

fn preview(text: &str) -> String {
    let end = text
        .char_indices()
        .nth(40)
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    format!("{:?}", &text[..end])
}

#[cfg(test)]
mod tests;
