//! Splitting one Event Hub event body into records.
//!
//! Diagnostic settings write `{"records": [...]}`; other producers sharing a hub write a bare
//! array, a single object, NDJSON, or text that is not JSON at all. Every shape yields records,
//! and nothing is dropped: a body that is not JSON even after repair becomes one text record.
//!
//! Records are borrowed slices of the body (`RawValue`): no record is copied or parsed into a
//! DOM here; `entra` reads the few fields it needs and the entry carries the raw text.

mod repair;

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

pub use repair::repair;

/// One record of an event.
#[derive(Debug, Clone)]
pub enum Record<'a> {
    /// A JSON value (normally an object) exactly as it appears in the body.
    Json(&'a RawValue),
    /// An event body that is not JSON, shipped as one plain-text entry.
    Text(Cow<'a, str>),
}

/// Which shape the body had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"records": [...]}`
    Envelope,
    /// `[...]`
    Array,
    /// A single JSON value that is not an envelope.
    Single,
    /// An object whose `records` is not an array: shipped whole as one record.
    RecordsNotArray,
    /// Several JSON values separated by whitespace (NDJSON).
    Lines,
    /// Not JSON: one text record.
    Text,
    /// Nothing but whitespace: no records.
    Empty,
}

/// The records of one event body and how they were found.
#[derive(Debug)]
pub struct Split<'a> {
    pub records: Vec<Record<'a>>,
    pub shape: Shape,
    /// The body was not valid JSON and was repaired (single quotes, raw control characters).
    pub repaired: bool,
    /// The body was not valid UTF-8; invalid sequences were replaced with U+FFFD.
    pub invalid_utf8: bool,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    records: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct MaybeEnvelope<'a> {
    #[serde(borrow, default)]
    records: Option<&'a RawValue>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Splits a body into records. `scratch` holds a repaired copy of the body when the body itself
/// is not valid JSON; the records then borrow from it.
pub fn split<'a>(body: &'a [u8], scratch: &'a mut Option<String>) -> Split<'a> {
    let body = body.strip_prefix(BOM).unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Split::new(Vec::new(), Shape::Empty);
    }
    if let Some(split) = split_json(body) {
        return split;
    }
    // Not JSON as it stands. Keep what can be kept: invalid UTF-8 is replaced, and the
    // quote-aware repair fixes the known Azure defects (single-quoted strings, raw newlines).
    let text = String::from_utf8_lossy(body);
    let invalid_utf8 = matches!(text, Cow::Owned(_));
    // The repaired text, or else the lossy text alone (a bad byte inside a string), may be JSON.
    let candidate = match repair(&text) {
        Some(fixed) => Some((fixed, true)),
        None => invalid_utf8.then(|| (text.to_string(), false)),
    };
    if let Some((candidate, repaired)) = candidate {
        if let Some(mut split) = split_json(scratch.insert(candidate).as_bytes()) {
            split.repaired = repaired;
            split.invalid_utf8 = invalid_utf8;
            return split;
        }
    }
    let mut split = Split::new(vec![Record::Text(text)], Shape::Text);
    split.invalid_utf8 = invalid_utf8;
    split
}

impl<'a> Split<'a> {
    fn new(records: Vec<Record<'a>>, shape: Shape) -> Self {
        Split {
            records,
            shape,
            repaired: false,
            invalid_utf8: false,
        }
    }
}

/// The JSON shapes, or `None` if the body is not JSON (or not UTF-8).
fn split_json(body: &[u8]) -> Option<Split<'_>> {
    let first = body.iter().copied().find(|b| !b.is_ascii_whitespace())?;
    // The normal case, in one pass over the body.
    if first == b'{' {
        if let Ok(envelope) = serde_json::from_slice::<Envelope>(body) {
            return json(envelope.records, Shape::Envelope);
        }
    }
    let Ok(value) = serde_json::from_slice::<&RawValue>(body) else {
        return split_lines(body);
    };
    match first {
        b'[' => json(serde_json::from_str(value.get()).ok()?, Shape::Array),
        b'{' => match serde_json::from_str::<MaybeEnvelope>(value.get()) {
            Ok(MaybeEnvelope { records: Some(r) }) if r.get() != "null" => {
                json(vec![value], Shape::RecordsNotArray)
            }
            _ => json(vec![value], Shape::Single),
        },
        _ => json(vec![value], Shape::Single),
    }
}

fn json(records: Vec<&RawValue>, shape: Shape) -> Option<Split<'_>> {
    Some(Split::new(
        records.into_iter().map(Record::Json).collect(),
        shape,
    ))
}

/// NDJSON: two or more JSON values separated by whitespace; every one must parse.
fn split_lines(body: &[u8]) -> Option<Split<'_>> {
    let mut records = Vec::new();
    for value in serde_json::Deserializer::from_slice(body).into_iter::<&RawValue>() {
        let value = value.ok()?;
        // A value inside a line may itself be an envelope.
        match serde_json::from_str::<Envelope>(value.get()) {
            Ok(envelope) => records.extend(envelope.records.into_iter().map(Record::Json)),
            Err(_) => records.push(Record::Json(value)),
        }
    }
    (records.len() > 1).then(|| Split::new(records, Shape::Lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(split: &Split<'a>) -> Vec<String> {
        split
            .records
            .iter()
            .map(|r| match r {
                Record::Json(raw) => raw.get().to_owned(),
                Record::Text(t) => format!("TEXT:{t}"),
            })
            .collect()
    }

    fn run(body: &[u8]) -> (Vec<String>, Shape, bool, bool) {
        let mut scratch = None;
        let s = split(body, &mut scratch);
        (texts(&s), s.shape, s.repaired, s.invalid_utf8)
    }

    #[test]
    fn envelope() {
        let (r, shape, ..) = run(br#"{"records":[{"a":1}, {"b":[1,2]}]}"#);
        assert_eq!(r, [r#"{"a":1}"#, r#"{"b":[1,2]}"#]);
        assert_eq!(shape, Shape::Envelope);
    }

    #[test]
    fn pretty_printed_envelope_with_bom_and_trailing_space() {
        let body = b"\xEF\xBB\xBF{\n  \"records\": [\n    {\"a\": 1}  \n  ]\n}\n  ";
        let (r, shape, ..) = run(body);
        assert_eq!(r, [r#"{"a": 1}"#]);
        assert_eq!(shape, Shape::Envelope);
    }

    #[test]
    fn empty_envelope_and_empty_body() {
        assert_eq!(run(br#"{"records":[]}"#).0.len(), 0);
        let (r, shape, ..) = run(b"  \n");
        assert!(r.is_empty());
        assert_eq!(shape, Shape::Empty);
    }

    #[test]
    fn bare_array_and_single_object() {
        let (r, shape, ..) = run(br#"[{"a":1},{"a":2}]"#);
        assert_eq!((r.len(), shape), (2, Shape::Array));
        let (r, shape, ..) = run(br#"{"category":"AuditLogs"}"#);
        assert_eq!(r, [r#"{"category":"AuditLogs"}"#]);
        assert_eq!(shape, Shape::Single);
    }

    #[test]
    fn records_not_an_array_keeps_the_whole_object() {
        for body in [
            &br#"{"records":{"a":1}}"#[..],
            br#"{"records":"x","other":1}"#,
            br#"{"records":7}"#,
        ] {
            let (r, shape, ..) = run(body);
            assert_eq!(r, [String::from_utf8(body.to_vec()).unwrap()]);
            assert_eq!(shape, Shape::RecordsNotArray);
        }
        let (_, shape, ..) = run(br#"{"records":null}"#);
        assert_eq!(shape, Shape::Single);
    }

    #[test]
    fn ndjson_lines_and_lines_of_envelopes() {
        let (r, shape, ..) = run(b"{\"a\":1}\n{\"a\":2}\n");
        assert_eq!((r.len(), shape), (2, Shape::Lines));
        let (r, shape, ..) = run(b"{\"records\":[{\"a\":1},{\"a\":2}]}\n{\"records\":[{\"a\":3}]}");
        assert_eq!(r, [r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":3}"#]);
        assert_eq!(shape, Shape::Lines);
    }

    #[test]
    fn text_is_one_record_unchanged() {
        let (r, shape, repaired, _) = run(b"2025-06-01 12:00:00 something happened: it's fine");
        assert_eq!(
            r,
            ["TEXT:2025-06-01 12:00:00 something happened: it's fine"]
        );
        assert_eq!(shape, Shape::Text);
        assert!(!repaired);
    }

    #[test]
    fn single_quoted_properties_are_repaired() {
        let body = br#"{"records":[{"category":"FunctionAppLogs","properties":{'message':'it\'s "ok"','n':1}}]}"#;
        let (r, shape, repaired, _) = run(body);
        assert!(repaired);
        assert_eq!(shape, Shape::Envelope);
        let v: serde_json::Value = serde_json::from_str(&r[0]).unwrap();
        assert_eq!(v["properties"]["message"], "it's \"ok\"");
        assert_eq!(v["properties"]["n"], 1);
    }

    #[test]
    fn unrepairable_json_is_text() {
        let body = br#"{"records":[{"a":1},,]}"#;
        let (r, shape, ..) = run(body);
        assert_eq!(shape, Shape::Text);
        assert_eq!(r, [format!("TEXT:{}", std::str::from_utf8(body).unwrap())]);
    }

    #[test]
    fn invalid_utf8_inside_a_string_is_replaced() {
        let body = b"{\"records\":[{\"name\":\"caf\xE9\"}]}";
        let (r, shape, _, invalid) = run(body);
        assert!(invalid);
        assert_eq!(shape, Shape::Envelope);
        assert_eq!(r, ["{\"name\":\"caf\u{FFFD}\"}"]);
        let (r, shape, _, invalid) = run(b"\xff\xfe binary");
        assert!(invalid);
        assert_eq!(shape, Shape::Text);
        assert_eq!(r, ["TEXT:\u{FFFD}\u{FFFD} binary"]);
    }
}
