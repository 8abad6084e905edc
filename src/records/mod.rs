//! Splitting one Event Hub event body into records.
//!
//! Diagnostic settings write `{"records": [...]}`; other producers sharing a hub write a bare
//! array, a single object, NDJSON, arrays or lines of envelopes, or text that is not JSON at
//! all. Every shape yields records, and nothing is dropped:
//!
//! - A valid body is split by serde_json in one pass; records are borrowed slices of the body,
//!   never copied or parsed into a DOM here (`entra` reads the few fields it needs and the
//!   entry carries the text).
//! - A body that is not valid JSON as a whole is split by a structural scan (the crate's `json` module)
//!   that finds every value's boundaries without needing the rest to be valid. Each record is
//!   then validated on its own: a valid one ships as itself, an invalid one is repaired when it
//!   has one of Azure's known defects ([`repair`]), and otherwise only that record's text ships
//!   as an `Unparsed` entry. One bad record never takes its neighbours with it.
//! - NUL bytes and whitespace around a body are ignored (and the NULs counted).
//!
//! The counts in [`Split`] say what the body held, so the invocation's accounting counts what
//! the event really contained, not what a parser managed to see.

mod repair;
mod tolerant;

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

pub use repair::repair;

/// One record of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record<'a> {
    /// A valid JSON value (normally an object): borrowed from the body, or owned when it had to
    /// be repaired or made valid UTF-8.
    Json(Cow<'a, str>),
    /// Text that is not JSON (a body that is not JSON, or a malformed record), shipped as a
    /// string.
    Text(Cow<'a, str>),
}

/// The records of one event body, and what had to be done to find them.
#[derive(Debug, Default)]
pub struct Split<'a> {
    /// The records, in order.
    pub records: Vec<Record<'a>>,
    /// Records that were not valid JSON and were repaired.
    pub repaired: usize,
    /// Records shipped as text because they are not JSON (counted in `records` too).
    pub unparsed: usize,
    /// Records that were not valid UTF-8 (invalid sequences replaced with U+FFFD).
    pub invalid_utf8: usize,
    /// NUL bytes around or between the body's values, ignored.
    pub nul_bytes: usize,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Splits a body into records.
pub fn split(body: &[u8]) -> Split<'_> {
    let body = body.strip_prefix(BOM).unwrap_or(body);
    let mut split = Split::default();
    let trimmed = strip_padding(body, &mut split.nul_bytes);
    if trimmed.is_empty() {
        return split;
    }
    if split_valid(trimmed, &mut split) {
        return split;
    }
    if !matches!(trimmed[0], b'{' | b'[') {
        // Not JSON: the whole body is one text record, its spaces and NULs included.
        split.nul_bytes = 0;
        tolerant::record(body, &mut split);
        return split;
    }
    tolerant::split(trimmed, &mut split);
    split
}

/// `body` without leading and trailing whitespace and NUL bytes; the NULs are counted.
fn strip_padding<'a>(body: &'a [u8], nul_bytes: &mut usize) -> &'a [u8] {
    let pad = |b: &u8| *b == 0 || crate::json::is_ws(*b);
    let start = body.iter().position(|b| !pad(b)).unwrap_or(body.len());
    let end = body.iter().rposition(|b| !pad(b)).map_or(start, |i| i + 1);
    *nul_bytes += body[..start]
        .iter()
        .chain(&body[end..])
        .filter(|&&b| b == 0)
        .count();
    &body[start..end]
}

/// The fast path: a body that is valid JSON (one value, or NDJSON), split by serde_json.
/// Returns false, with nothing added, if the body is not valid JSON.
fn split_valid<'a>(body: &'a [u8], split: &mut Split<'a>) -> bool {
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    // The normal case, in one pass over the body.
    if body[0] == b'{'
        && let Ok(envelope) = serde_json::from_str::<Envelope>(text)
    {
        envelope.push_into(text, split);
        return true;
    }
    if let Ok(value) = serde_json::from_str::<&RawValue>(text) {
        push_value(value.get(), split);
        return true;
    }
    let mut values = Vec::new();
    for value in serde_json::Deserializer::from_str(text).into_iter::<&RawValue>() {
        match value {
            Ok(v) => values.push(v),
            Err(_) => return false,
        }
    }
    if values.len() < 2 {
        return false;
    }
    for value in values {
        push_value(value.get(), split);
    }
    true
}

/// A valid JSON value: an envelope's records, an array's elements (each expanded if it is an
/// envelope), or the value itself.
pub(super) fn push_value<'a>(value: &'a str, split: &mut Split<'a>) {
    match value.as_bytes()[0] {
        b'{' => match serde_json::from_str::<Envelope>(value) {
            Ok(envelope) => envelope.push_into(value, split),
            Err(_) => split.records.push(Record::Json(Cow::Borrowed(value))),
        },
        b'[' => {
            let elements: Vec<&RawValue> =
                serde_json::from_str(value).expect("a valid array has valid elements");
            for element in elements {
                push_element(element.get(), split);
            }
        }
        _ => split.records.push(Record::Json(Cow::Borrowed(value))),
    }
}

/// An element of a valid array: an envelope's records, or the element itself.
pub(super) fn push_element<'a>(element: &'a str, split: &mut Split<'a>) {
    let maybe_envelope = element.starts_with('{')
        && memchr::memmem::find(element.as_bytes(), b"\"records\"").is_some();
    match maybe_envelope.then(|| serde_json::from_str::<Envelope>(element)) {
        Some(Ok(envelope)) => envelope.push_into(element, split),
        _ => split.records.push(Record::Json(Cow::Borrowed(element))),
    }
}

/// An object read as a possible envelope: its `records` array, and any other members.
struct Envelope<'a> {
    /// `None` when there is no `records` member or it is not an array: then the object is a
    /// record itself.
    records: Option<Vec<&'a RawValue>>,
    /// Members other than `records`, as `(key, value)`.
    others: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> Envelope<'a> {
    /// Adds the records (and one record of the other members, if any), or the whole object
    /// when it is not an envelope.
    fn push_into(self, whole: &'a str, split: &mut Split<'a>) {
        let Some(records) = self.records else {
            split.records.push(Record::Json(Cow::Borrowed(whole)));
            return;
        };
        split.records.extend(
            records
                .into_iter()
                .map(|r| Record::Json(Cow::Borrowed(r.get()))),
        );
        if !self.others.is_empty() {
            // Keys an envelope does not normally have (a Stream Analytics export adds event
            // metadata beside `records`): kept as one record of their own.
            let mut text = String::from("{");
            for (i, (key, value)) in self.others.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&serde_json::to_string(key).expect("a string serializes"));
                text.push(':');
                text.push_str(value.get());
            }
            text.push('}');
            split.records.push(Record::Json(Cow::Owned(text)));
        }
    }
}

impl<'de> serde::Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Envelope<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut envelope = Envelope {
                    records: None,
                    others: Vec::new(),
                };
                let mut records_seen = false;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "records" && !records_seen {
                        records_seen = true;
                        envelope.records = map.next_value::<RecordsArray>()?.0;
                    } else {
                        envelope.others.push((key, map.next_value()?));
                    }
                }
                if envelope.records.is_none() {
                    // Not an envelope: the caller keeps the object whole.
                    envelope.others.clear();
                }
                Ok(envelope)
            }
        }
        d.deserialize_map(V)
    }
}

/// The value of `records`: its elements when it is an array, `None` for any other value.
struct RecordsArray<'a>(Option<Vec<&'a RawValue>>);

impl<'de> serde::Deserialize<'de> for RecordsArray<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RecordsArray<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut records = Vec::with_capacity(seq.size_hint().unwrap_or(64));
                while let Some(r) = seq.next_element::<&'de RawValue>()? {
                    records.push(r);
                }
                Ok(RecordsArray(Some(records)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(RecordsArray(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(RecordsArray(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(RecordsArray(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(RecordsArray(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(RecordsArray(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(RecordsArray(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(RecordsArray(None))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests;
