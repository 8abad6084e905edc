//! The fast path for the common request, a batch of base64 events: the request's own JSON read
//! without scanning the trigger's string twice.
//!
//! With `dataType: binary` the trigger value is one JSON string of a few megabytes holding
//! `[\"eyJ…\",\"eyJ…\"]`. Deserialising the whole request with serde_json scans that string
//! for escapes and checks it as UTF-8 before [`fast_base64_array`] scans it again for the
//! events; this path finds the string's end with `memchr` instead, and lets serde_json check
//! every other value of the request (keys, `Metadata`, the other bindings), which are small.
//! The events' own text is checked by the base64 decoder when each is read: a byte that is no
//! base64 (a control byte, non-ASCII) makes that event's text its body, as the general path
//! does for invalid base64 (see [`super::Invocation::body`]).
//!
//! Anything else (another shape, a key twice, a value serde_json refuses, trailing bytes)
//! returns `None`, and the general path decodes the request and gives the error.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::scan::base64_array_at;
use super::{TRIGGER_NAME, TriggerShape};
use crate::host::trigger::DataType;
use crate::json::{skip_ws, valid_string_end as string_end, valid_value_end as value_end};

/// The base64 bodies' ranges in the request, and `Metadata`'s values.
pub(super) type Fast<'a> = (Events, HashMap<Cow<'a, str>, &'a RawValue>);

/// The request's events and metadata, when it is a batch of base64 events that the general
/// path would decode alike; `None` otherwise.
pub(super) fn read(request: &[u8], shape: Option<TriggerShape>) -> Option<Fast<'_>> {
    if shape.is_some_and(|s| !s.many || s.data_type != DataType::Binary) {
        return None;
    }
    // `Data`'s bindings, each with its base64 events if it is a batch of them. They are read
    // while the request is, so that the trigger's string is scanned once.
    let mut data: Option<(Members, Vec<Option<Events>>)> = None;
    let open = skip_ws(request, 0);
    let (top, end) = members(request, open, |key, start| {
        if !matches!(key, "Data" | "data") {
            return value_end(request, start);
        }
        // The same field twice (or in both spellings) is an error for serde: let it say so.
        if data.is_some() {
            return None;
        }
        let mut events = Vec::new();
        let (bindings, end) =
            members(request, start, |_, at| match base64_array_at(request, at) {
                Some((ranges, end)) => {
                    events.push(Some(ranges));
                    Some(end)
                }
                None => {
                    events.push(None);
                    value_end(request, at)
                }
            })?;
        data = Some((bindings, events));
        Some(end)
    })?;
    if skip_ws(request, end) != request.len() {
        return None;
    }
    let mut metadata = None;
    for (key, value) in top {
        match key.as_ref() {
            "Data" | "data" => {}
            "Metadata" | "metadata" => {
                if metadata.replace(value).is_some() {
                    return None;
                }
            }
            _ => check(&request[value])?,
        }
    }
    let (bindings, mut events) = data?;
    let trigger = match bindings.iter().position(|(k, _)| k == TRIGGER_NAME) {
        Some(i) => i,
        None if bindings.len() == 1 => 0,
        None => return None,
    };
    // serde keeps the last of a key given twice; the general path handles that rare case.
    let name = &bindings[trigger].0;
    if bindings.iter().filter(|(k, _)| k == name).count() > 1 {
        return None;
    }
    for (i, (_, value)) in bindings.iter().enumerate() {
        if i != trigger {
            check(&request[value.clone()])?;
        }
    }
    let bodies = events[trigger].take()?;
    let mut map = HashMap::new();
    if let Some(value) = metadata {
        let (list, _) = members(request, value.start, |_, at| value_end(request, at))?;
        for (key, value) in list {
            let text = std::str::from_utf8(&request[value]).ok()?;
            map.insert(key, serde_json::from_str::<&RawValue>(text).ok()?);
        }
    }
    Some((bodies, map))
}

/// The ranges of a batch's base64 events in the request.
type Events = Vec<Range<usize>>;

/// An object's keys and the ranges of their values.
type Members<'a> = Vec<(Cow<'a, str>, Range<usize>)>;

/// Whether serde_json reads `text` as one JSON value.
fn check(text: &[u8]) -> Option<()> {
    serde_json::from_slice::<IgnoredAny>(text).ok().map(|_| ())
}

/// The members of the object at `open` (keys read by serde_json, values as ranges), and the
/// position after its `}`; `None` if it is not an object of that form. `value` is given each
/// key and where its value starts, and returns where the value ends.
fn members<'a>(
    text: &'a [u8],
    open: usize,
    mut value: impl FnMut(&str, usize) -> Option<usize>,
) -> Option<(Members<'a>, usize)> {
    if text.get(open) != Some(&b'{') {
        return None;
    }
    let mut out = Vec::new();
    let mut pos = skip_ws(text, open + 1);
    if text.get(pos) == Some(&b'}') {
        return Some((out, pos + 1));
    }
    loop {
        let key_end = string_end(text, pos)?;
        let key = key(&text[pos..key_end])?;
        pos = skip_ws(text, key_end);
        if text.get(pos) != Some(&b':') {
            return None;
        }
        let start = skip_ws(text, pos + 1);
        let end = value(&key, start)?;
        out.push((key, start..end));
        pos = skip_ws(text, end);
        match text.get(pos)? {
            b',' => pos = skip_ws(text, pos + 1),
            b'}' => return Some((out, pos + 1)),
            _ => return None,
        }
    }
}

/// A key, borrowed unless it has escapes.
fn key(text: &[u8]) -> Option<Cow<'_, str>> {
    let text = std::str::from_utf8(text).ok()?;
    match serde_json::from_str::<&str>(text) {
        Ok(s) => Some(Cow::Borrowed(s)),
        Err(_) => serde_json::from_str::<String>(text).ok().map(Cow::Owned),
    }
}
