//! Splitting a body that is not valid JSON as a whole (see the module above): every value
//! serde_json can read is found exactly, and each broken one is bounded by the next valid
//! record that anchors the rest ([`json::array_elements`]); then each record is validated on
//! its own.

use std::borrow::Cow;

use super::{Record, Split, push_element, push_value, repair};
use crate::json::{self, Element, skip_ws};

/// Splits an invalid body that starts like a JSON container (without padding).
pub(super) fn split<'a>(body: &'a [u8], out: &mut Split<'a>) {
    if looks_like_lines(body) {
        for line in body.split(|&b| b == b'\n') {
            let line = super::strip_padding(line, &mut out.nul_bytes);
            if !line.is_empty() {
                values(line, out);
            }
        }
    } else {
        values(body, out);
    }
}

/// NDJSON: two or more lines, each starting like a JSON container, and all but one (a cut or
/// broken line) valid JSON on their own. A pretty-printed document has lines that are not
/// values by themselves, so it is scanned as one text instead.
fn looks_like_lines(body: &[u8]) -> bool {
    let mut lines = 0;
    let mut broken = 0;
    for line in body.split(|&b| b == b'\n') {
        let start = skip_ws(line, 0);
        if start == line.len() {
            continue;
        }
        if !matches!(line[start], b'{' | b'[') {
            return false;
        }
        lines += 1;
        let whole = json::parse_value(line, start)
            .is_ok_and(|end| line[end..].iter().all(|&b| json::is_ws(b) || b == 0));
        broken += usize::from(!whole);
        if broken > 1 {
            return false;
        }
    }
    lines >= 2
}

/// The top-level values of a text: valid ones as serde_json reads them, broken containers as
/// far as their structure goes, and anything else up to a line that starts a container as one
/// record.
fn values<'a>(text: &'a [u8], out: &mut Split<'a>) {
    let mut pos = skip_padding(text, 0, out);
    while pos < text.len() {
        pos = if matches!(text[pos], b'{' | b'[') {
            let parsed = json::parse_value(text, pos)
                .ok()
                .and_then(|end| Some((std::str::from_utf8(&text[pos..end]).ok()?, end)));
            match parsed {
                Some((value, end)) => {
                    push_value(value, out);
                    end
                }
                // Broken, or with invalid UTF-8 in a string: split as far as it goes, and
                // each record made valid on its own.
                None => broken_container(text, pos, out),
            }
        } else {
            let end = junk_end(text, pos);
            record(&text[pos..end], out);
            end
        };
        pos = skip_padding(text, pos, out);
    }
}

fn skip_padding(text: &[u8], mut pos: usize, out: &mut Split) -> usize {
    while pos < text.len() && (text[pos] == 0 || json::is_ws(text[pos])) {
        out.nul_bytes += usize::from(text[pos] == 0);
        pos += 1;
    }
    pos
}

/// Bytes that are not a container run to the next line that starts one, or to the end.
fn junk_end(text: &[u8], start: usize) -> usize {
    let mut pos = start;
    while let Some(i) = memchr::memchr(b'\n', &text[pos..]) {
        let next = skip_ws(text, pos + i + 1);
        if matches!(text.get(next), Some(b'{' | b'[')) {
            return json::trim_end(text, start..pos + i).end;
        }
        pos += i + 1;
    }
    text.len()
}

/// A container at `pos` that serde_json cannot read: its records, as many as can be told
/// apart. Returns where it ends.
fn broken_container<'a>(text: &'a [u8], pos: usize, out: &mut Split<'a>) -> usize {
    // The whole value may have one of the known defects everywhere (single quotes).
    let end = json::value_end(text, pos);
    if let Some(fixed) = std::str::from_utf8(&text[pos..end])
        .ok()
        .and_then(repair)
        .filter(|f| is_json(f))
    {
        let mut inner = Split::default();
        push_value(&fixed, &mut inner);
        out.repaired += inner.records.len();
        for r in inner.records {
            out.records.push(owned(r));
        }
        return end;
    }
    if text[pos] == b'[' {
        let (elements, end) = json::array_elements(text, pos + 1, &json::ends_bare_array);
        elements_of(text, elements, true, out);
        return end;
    }
    envelope_or_record(text, pos, out)
}

fn owned(record: Record<'_>) -> Record<'static> {
    match record {
        Record::Json(t) => Record::Json(Cow::Owned(t.into_owned())),
        Record::Text(t) => Record::Text(Cow::Owned(t.into_owned())),
    }
}

/// A broken object at `pos`: an envelope's records (and the members before `records`, as one
/// record), or one record. Returns where it ends.
fn envelope_or_record<'a>(text: &'a [u8], pos: usize, out: &mut Split<'a>) -> usize {
    let (members, _) = json::object_members(text, pos);
    let records = members.iter().position(|m| {
        m.key
            .as_ref()
            .is_some_and(|k| &text[k.clone()] == b"\"records\"")
            && text.get(m.value().start) == Some(&b'[')
    });
    let Some(records) = records else {
        let end = json::value_end(text, pos);
        record(&text[pos..end], out);
        return end;
    };
    let open = members[records].value().start;
    let (elements, end) = json::array_elements(text, open + 1, &json::ends_envelope_records);
    let before: Vec<&[u8]> = members[..records]
        .iter()
        .map(|m| &text[m.range()])
        .collect();
    elements_of(text, elements, false, out);
    if !before.is_empty() {
        // Keys an envelope does not normally have, kept as one record.
        let mut joined = b"{".to_vec();
        joined.extend_from_slice(&before.join(&b","[..]));
        joined.push(b'}');
        owned_record(joined, out);
    }
    // The envelope's closing brace, when there is one.
    let close = skip_ws(text, end);
    if text.get(close) == Some(&b'}') {
        close + 1
    } else {
        end
    }
}

/// The elements of an array: valid ones as they are (an envelope's records when `envelopes`),
/// broken ones as records, or as envelopes to split when they start like one.
fn elements_of<'a>(text: &'a [u8], elements: Vec<Element>, envelopes: bool, out: &mut Split<'a>) {
    for element in elements {
        let bytes = &text[element.range.clone()];
        let valid = element
            .valid
            .then(|| std::str::from_utf8(bytes).ok())
            .flatten();
        match valid {
            Some(valid) if envelopes => push_element(valid, out),
            None if envelopes && bytes.first() == Some(&b'{') => {
                // Bounded to the element, so that its records' end is the element's end.
                envelope_or_record(&text[..element.range.end], element.range.start, out);
            }
            _ => record(bytes, out),
        }
    }
}

fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// One record: valid JSON as itself, repaired JSON, or text.
pub(super) fn record<'a>(bytes: &'a [u8], out: &mut Split<'a>) {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            out.invalid_utf8 += 1;
            Cow::Owned(String::from_utf8_lossy(bytes).into_owned())
        }
    };
    classify(text, out);
}

fn owned_record(bytes: Vec<u8>, out: &mut Split) {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            out.invalid_utf8 += 1;
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    classify(Cow::Owned(text), out);
}

fn classify<'a>(text: Cow<'a, str>, out: &mut Split<'a>) {
    if is_json(&text) {
        out.records.push(Record::Json(text));
    } else if let Some(fixed) = repair(&text).filter(|f| is_json(f)) {
        out.repaired += 1;
        out.records.push(Record::Json(Cow::Owned(fixed)));
    } else {
        out.unparsed += 1;
        out.records.push(Record::Text(text));
    }
}
