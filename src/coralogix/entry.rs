//! One log entry of `POST /logs/v1/singles`, written straight into a request buffer.
//!
//! The record's JSON text is copied as is into `text` (Coralogix accepts a JSON object there),
//! so a record is never parsed into a DOM or re-serialized. A record too large for the entry
//! cap is sent in [`Parts`], never cut.

use crate::entra::Timestamp;
use crate::limits::MAX_NAME_CHARS;

/// What goes into `text`.
#[derive(Debug, Clone, Copy)]
pub enum Text<'a> {
    /// JSON written unchanged (an object, or a JSON string literal).
    Json(&'a str),
    /// Plain text, written as a JSON string.
    Plain(&'a str),
}

impl<'a> Text<'a> {
    /// The text of a JSON record: objects and strings go in as they are; other values (numbers,
    /// arrays, booleans) go in as a string of their JSON, since Coralogix takes a string or an
    /// object.
    pub fn for_json(raw: &'a str) -> Self {
        match raw.as_bytes().first() {
            Some(b'{') | Some(b'"') => Text::Json(raw),
            _ => Text::Plain(raw),
        }
    }

    fn source(&self) -> &'a str {
        match *self {
            Text::Json(s) | Text::Plain(s) => s,
        }
    }
}

/// One Coralogix log entry.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// `applicationName`.
    pub application: &'a str,
    /// `subsystemName`.
    pub subsystem: &'a str,
    /// The tenant id.
    pub computer_name: Option<&'a str>,
    /// The record's category, in its canonical spelling.
    pub category: Option<&'a str>,
    /// Coralogix severity, 1 (debug) to 6 (critical).
    pub severity: u8,
    /// The entry's time (`timestamp`, and `hiResTimestamp` below a millisecond).
    pub timestamp: Timestamp,
    /// The entry's stable id (see the README, "Duplicates").
    pub thread_id: &'a str,
    /// What goes into `text`.
    pub text: Text<'a>,
}

impl<'a> Entry<'a> {
    /// Appends the entry's JSON to `buf`.
    pub fn write(&self, buf: &mut Vec<u8>) {
        self.write_with(buf, self.thread_id, |buf| match self.text {
            Text::Json(json) => write_json(buf, json),
            Text::Plain(text) => write_str(buf, text),
        });
    }

    /// An upper bound of the entry's length when it is cheap to know (the text is JSON, which
    /// is copied unchanged or compacted): the caller can then write it straight into a request.
    pub fn quick_max_len(&self) -> Option<usize> {
        match self.text {
            Text::Json(json) => Some(FIXED_FIELDS_MAX + json.len()),
            Text::Plain(_) => None,
        }
    }

    /// The entries that carry this entry's text in parts of at most `max_bytes` each (see
    /// [`Parts`]).
    pub fn parts(&self, max_bytes: usize) -> Parts<'a> {
        Parts::new(*self, max_bytes)
    }

    fn write_with(&self, buf: &mut Vec<u8>, thread_id: &str, text: impl FnOnce(&mut Vec<u8>)) {
        buf.extend_from_slice(b"{\"applicationName\":");
        write_name(buf, self.application);
        buf.extend_from_slice(b",\"subsystemName\":");
        write_name(buf, self.subsystem);
        if let Some(computer) = self.computer_name {
            buf.extend_from_slice(b",\"computerName\":");
            write_name(buf, computer);
        }
        if let Some(category) = self.category {
            buf.extend_from_slice(b",\"category\":");
            write_name(buf, category);
        }
        buf.extend_from_slice(b",\"severity\":");
        write_int(buf, i64::from(self.severity));
        buf.extend_from_slice(b",\"timestamp\":");
        write_int(buf, self.timestamp.millis());
        if self.timestamp.has_sub_millis() {
            buf.extend_from_slice(b",\"hiResTimestamp\":\"");
            write_int(buf, self.timestamp.nanos());
            buf.push(b'"');
        }
        buf.extend_from_slice(b",\"threadId\":");
        write_name(buf, thread_id);
        buf.extend_from_slice(b",\"text\":");
        text(buf);
        buf.push(b'}');
    }
}

/// The most the fields around `text` can take: five names of `MAX_NAME_CHARS` characters
/// (each up to 6 bytes escaped, with quotes), the numbers, and the keys.
const FIXED_FIELDS_MAX: usize = 5 * (MAX_NAME_CHARS * 6 + 2) + 3 * 20 + 160;

/// A text too large for one entry, as consecutive entries that can be put back together.
///
/// Every part is a complete entry with the record's application, subsystem, category,
/// severity, time and tenant, and a `threadId` of the record's id followed by `#<part>/<parts>`.
/// Its `text` is an object:
///
/// ```json
/// {"part": 2, "parts": 5, "originalBytes": 1048123, "originalFormat": "json", "data": "…"}
/// ```
///
/// Concatenating the `data` strings of parts 1 to `parts` gives the original text byte for
/// byte (`originalBytes` long); with `originalFormat` `json` it is the record's JSON.
#[derive(Debug, Clone)]
pub struct Parts<'a> {
    entry: Entry<'a>,
    source: &'a str,
    chunks: Vec<std::ops::Range<usize>>,
}

impl<'a> Parts<'a> {
    fn new(entry: Entry<'a>, max_bytes: usize) -> Self {
        let source = entry.text.source();
        // The part entry around an empty chunk, with the longest numbers it can have.
        let mut probe = Vec::new();
        let big = source.len().max(1);
        let id = part_thread_id(entry.thread_id, big, big);
        entry.write_with(&mut probe, &id, |buf| {
            write_part_text(buf, big, big, big, &entry, "")
        });
        let budget = max_bytes.saturating_sub(probe.len()).max(64);
        let mut chunks = Vec::new();
        let mut start = 0;
        let mut used = 0;
        for (i, c) in source.char_indices() {
            let n = escaped_len(c);
            if used + n > budget && i > start {
                chunks.push(start..i);
                start = i;
                used = 0;
            }
            used += n;
        }
        if start < source.len() || chunks.is_empty() {
            chunks.push(start..source.len());
        }
        Parts {
            entry,
            source,
            chunks,
        }
    }

    /// The number of parts.
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    /// Whether there is no part (never, for a text of any length).
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Appends part `index` (0-based) as one entry.
    pub fn write(&self, index: usize, buf: &mut Vec<u8>) {
        let n = self.chunks.len();
        let chunk = &self.source[self.chunks[index].clone()];
        let id = part_thread_id(self.entry.thread_id, index + 1, n);
        self.entry.write_with(buf, &id, |buf| {
            write_part_text(buf, index + 1, n, self.source.len(), &self.entry, chunk)
        });
    }
}

/// The record's id with `#<part>/<parts>`, the id cut so that the suffix always fits.
fn part_thread_id(id: &str, part: usize, parts: usize) -> String {
    let suffix = format!("#{part}/{parts}");
    let keep = MAX_NAME_CHARS - suffix.len();
    let cut = id.char_indices().nth(keep).map_or(id.len(), |(i, _)| i);
    format!("{}{suffix}", &id[..cut])
}

fn write_part_text(
    buf: &mut Vec<u8>,
    part: usize,
    parts: usize,
    original: usize,
    entry: &Entry,
    chunk: &str,
) {
    buf.extend_from_slice(b"{\"part\":");
    write_int(buf, part as i64);
    buf.extend_from_slice(b",\"parts\":");
    write_int(buf, parts as i64);
    buf.extend_from_slice(b",\"originalBytes\":");
    write_int(buf, original as i64);
    buf.extend_from_slice(match entry.text {
        Text::Json(_) => b",\"originalFormat\":\"json\",\"data\":",
        Text::Plain(_) => b",\"originalFormat\":\"text\",\"data\":",
    });
    write_str(buf, chunk);
    buf.push(b'}');
}

/// The length of a character in a JSON string as serde_json writes it.
fn escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\u{8}' | '\t' | '\n' | '\u{c}' | '\r' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// Copies JSON text. Pretty-printed JSON (any line break, which JSON allows only between
/// tokens) is compacted, so that every entry is one line and no bytes are spent on layout.
fn write_json(buf: &mut Vec<u8>, json: &str) {
    let bytes = json.as_bytes();
    if memchr::memchr2(b'\n', b'\r', bytes).is_none() {
        buf.extend_from_slice(bytes);
        return;
    }
    buf.reserve(bytes.len());
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            buf.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            in_string = b == b'"';
            buf.push(b);
        }
    }
}

fn write_int(buf: &mut Vec<u8>, n: i64) {
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn write_str(buf: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(buf, s).expect("writing to a Vec cannot fail");
}

/// A name field, cut to `MAX_NAME_CHARS` characters.
fn write_name(buf: &mut Vec<u8>, s: &str) {
    // Names are short and plain almost always: no cut, no escape.
    // A fold without early exit, which the compiler vectorizes: five names per entry made the
    // byte-at-a-time `all` 2% of the handler's CPU.
    if s.len() <= MAX_NAME_CHARS
        && s.bytes().fold(true, |plain, b| {
            plain & (b >= 0x20) & (b != b'"') & (b != b'\\') & (b < 0x7f)
        })
    {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
        return;
    }
    match s.char_indices().nth(MAX_NAME_CHARS) {
        Some((cut, _)) => write_str(buf, &s[..cut]),
        None => write_str(buf, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn entry(text: Text<'_>) -> Entry<'_> {
        Entry {
            application: "entra-id",
            subsystem: "SignInLogs",
            computer_name: Some("tenant-1"),
            category: Some("SignInLogs"),
            severity: 3,
            timestamp: Timestamp(1_571_391_948_072_989_300),
            thread_id: "SignInLogs:abc",
            text,
        }
    }

    fn written(e: &Entry) -> Value {
        let mut buf = Vec::new();
        e.write(&mut buf);
        if let Some(max) = e.quick_max_len() {
            assert!(buf.len() <= max);
        }
        serde_json::from_slice(&buf).unwrap()
    }

    #[test]
    fn all_fields_and_raw_text() {
        let v = written(&entry(Text::Json(r#"{"a": [1, "x"]}"#)));
        assert_eq!(
            v,
            json!({"applicationName": "entra-id", "subsystemName": "SignInLogs",
                "computerName": "tenant-1", "category": "SignInLogs", "severity": 3,
                "timestamp": 1_571_391_948_072i64, "hiResTimestamp": "1571391948072989300",
                "threadId": "SignInLogs:abc", "text": {"a": [1, "x"]}})
        );
    }

    #[test]
    fn plain_text_is_escaped_and_optional_fields_omitted() {
        let mut e = entry(Text::Plain("line \"1\"\nline 2"));
        e.computer_name = None;
        e.category = None;
        e.timestamp = Timestamp(1_000_000_000);
        let v = written(&e);
        assert_eq!(v["text"], "line \"1\"\nline 2");
        assert!(v.get("computerName").is_none() && v.get("category").is_none());
        assert!(v.get("hiResTimestamp").is_none());
        assert_eq!(v["timestamp"], 1000);
    }

    /// Writes every part, checks each against the cap and the API, and puts them together.
    fn reassemble(e: &Entry, max: usize) -> (String, Vec<Value>) {
        let parts = e.parts(max);
        let mut whole = String::new();
        let mut values = Vec::new();
        for i in 0..parts.len() {
            let mut buf = Vec::new();
            parts.write(i, &mut buf);
            assert!(buf.len() <= max, "part {i}: {} > {max}", buf.len());
            let v: Value = serde_json::from_slice(&buf).unwrap();
            assert_eq!(v["text"]["part"], i + 1);
            assert_eq!(v["text"]["parts"], parts.len());
            assert_eq!(
                v["threadId"],
                format!("SignInLogs:abc#{}/{}", i + 1, parts.len())
            );
            whole.push_str(v["text"]["data"].as_str().unwrap());
            values.push(v);
        }
        (whole, values)
    }

    #[test]
    fn a_text_too_large_is_sent_in_parts_that_put_back_together_byte_for_byte() {
        let big = format!(
            "{{\"category\":\"SignInLogs\",\"x\":\"{}\"}}",
            "é\\\"\\n\u{1}✓𝄞 ".repeat(20_000)
        );
        for max in [4_000usize, 10_000, 33_333, 262_144] {
            let e = entry(Text::Json(&big));
            let (whole, parts) = reassemble(&e, max);
            assert_eq!(whole, big);
            assert!(parts.len() > 1);
            for p in &parts {
                assert_eq!(p["text"]["originalBytes"], big.len());
                assert_eq!(p["text"]["originalFormat"], "json");
                assert_eq!(p["severity"], 3);
                assert_eq!(p["category"], "SignInLogs");
            }
        }
        let text = "\u{0}raw \"text\"\n".repeat(3_000);
        let (whole, parts) = reassemble(&entry(Text::Plain(&text)), 5_000);
        assert_eq!(whole, text);
        assert_eq!(parts[0]["text"]["originalFormat"], "text");
    }

    #[test]
    fn a_long_thread_id_keeps_the_part_suffix() {
        let id = "x".repeat(1000);
        let big = "y".repeat(50_000);
        let mut e = entry(Text::Plain(&big));
        e.thread_id = &id;
        let parts = e.parts(20_000);
        let mut buf = Vec::new();
        parts.write(0, &mut buf);
        let v: Value = serde_json::from_slice(&buf).unwrap();
        let t = v["threadId"].as_str().unwrap();
        assert!(t.ends_with(&format!("#1/{}", parts.len())));
        assert_eq!(t.chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn pretty_printed_json_is_compacted() {
        let pretty = "{\n  \"a\": [1,\r\n 2],\n  \"s\": \"x y\\\" z\"\n}";
        let v = written(&entry(Text::Json(pretty)));
        assert_eq!(v["text"], json!({"a": [1, 2], "s": "x y\" z"}));
        let mut buf = Vec::new();
        entry(Text::Json(pretty)).write(&mut buf);
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.contains(r#""text":{"a":[1,2],"s":"x y\" z"}"#),
            "{text}"
        );
    }

    #[test]
    fn text_types() {
        assert!(matches!(Text::for_json("{}"), Text::Json(_)));
        assert!(matches!(Text::for_json("\"s\""), Text::Json(_)));
        assert!(matches!(Text::for_json("42"), Text::Plain("42")));
        assert!(matches!(Text::for_json("[1]"), Text::Plain(_)));
    }

    #[test]
    fn long_names_are_cut() {
        let long = "x".repeat(1000);
        let mut e = entry(Text::Json("{}"));
        e.category = Some(&long);
        let v = written(&e);
        assert_eq!(v["category"].as_str().unwrap().len(), MAX_NAME_CHARS);
    }
}
