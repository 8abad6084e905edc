//! One log entry of `POST /logs/v1/singles`, written straight into a request buffer.
//!
//! The record's JSON text is copied as is into `text` (Coralogix accepts a JSON object there),
//! so a record is never parsed into a DOM or re-serialized. A record too large for the entry
//! cap is replaced by a marker object holding its original size and a prefix of its text.

use crate::coralogix::limits::MAX_NAME_CHARS;
use crate::entra::Timestamp;

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
    pub application: &'a str,
    pub subsystem: &'a str,
    /// The tenant id.
    pub computer_name: Option<&'a str>,
    pub category: Option<&'a str>,
    pub severity: u8,
    pub timestamp: Timestamp,
    /// The entry's stable id (see the README, "Duplicates").
    pub thread_id: &'a str,
    pub text: Text<'a>,
}

impl Entry<'_> {
    /// Appends the entry's JSON to `buf`, keeping it within `max_bytes` by truncating `text`.
    /// Returns true if the text was truncated.
    pub fn write(&self, buf: &mut Vec<u8>, max_bytes: usize) -> bool {
        let start = buf.len();
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
        write_name(buf, self.thread_id);
        buf.extend_from_slice(b",\"text\":");
        let text_start = buf.len();
        match self.text {
            Text::Json(json) => write_json(buf, json),
            Text::Plain(text) => write_str(buf, text),
        }
        buf.push(b'}');
        if buf.len() - start <= max_bytes {
            return false;
        }
        buf.truncate(text_start);
        let source = self.text.source();
        buf.extend_from_slice(b"{\"truncated\":true,\"originalBytes\":");
        write_int(buf, source.len() as i64);
        buf.extend_from_slice(b",\"prefix\":\"");
        // What is left for the prefix once the closing `"}}` is written.
        let budget = max_bytes.saturating_sub(buf.len() - start + 3);
        write_escaped_prefix(buf, source, budget);
        buf.extend_from_slice(b"\"}}");
        debug_assert!(buf.len() - start <= max_bytes);
        true
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
    if s.len() <= MAX_NAME_CHARS
        && s.bytes()
            .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f)
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

/// Writes as much of `s`, JSON-escaped, as fits in `budget` bytes, on a character boundary.
fn write_escaped_prefix(buf: &mut Vec<u8>, s: &str, budget: usize) {
    let mut used = 0;
    let mut tmp = [0u8; 4];
    for c in s.chars() {
        let escaped: &[u8] = match c {
            '"' => b"\\\"",
            '\\' => b"\\\\",
            '\n' => b"\\n",
            '\r' => b"\\r",
            '\t' => b"\\t",
            c if (c as u32) < 0x20 => {
                let code = format!("\\u{:04x}", c as u32);
                if used + code.len() > budget {
                    return;
                }
                used += code.len();
                buf.extend_from_slice(code.as_bytes());
                continue;
            }
            c => c.encode_utf8(&mut tmp).as_bytes(),
        };
        if used + escaped.len() > budget {
            return;
        }
        used += escaped.len();
        buf.extend_from_slice(escaped);
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

    fn written(e: &Entry, max: usize) -> (Value, bool, usize) {
        let mut buf = Vec::new();
        let truncated = e.write(&mut buf, max);
        (serde_json::from_slice(&buf).unwrap(), truncated, buf.len())
    }

    #[test]
    fn all_fields_and_raw_text() {
        let (v, truncated, _) = written(&entry(Text::Json(r#"{"a": [1, "x"]}"#)), 10_000);
        assert!(!truncated);
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
        let (v, ..) = written(&e, 10_000);
        assert_eq!(v["text"], "line \"1\"\nline 2");
        assert!(v.get("computerName").is_none() && v.get("category").is_none());
        assert!(v.get("hiResTimestamp").is_none());
        assert_eq!(v["timestamp"], 1000);
    }

    #[test]
    fn oversized_text_is_truncated_with_a_marker_and_fits() {
        let big = format!(
            "{{\"category\":\"SignInLogs\",\"x\":\"{}\"}}",
            "é\"\\\n".repeat(20_000)
        );
        for max in [4_000usize, 10_000, 33_333] {
            let (v, truncated, len) = written(&entry(Text::Json(&big)), max);
            assert!(truncated);
            assert!(len <= max, "{len} > {max}");
            assert!(
                len > max - 16,
                "the prefix should fill the budget: {len} of {max}"
            );
            assert_eq!(v["text"]["truncated"], true);
            assert_eq!(v["text"]["originalBytes"], big.len());
            let prefix = v["text"]["prefix"].as_str().unwrap();
            assert!(big.starts_with(prefix));
            assert_eq!(v["severity"], 3);
        }
    }

    #[test]
    fn pretty_printed_json_is_compacted() {
        let pretty = "{\n  \"a\": [1,\r\n 2],\n  \"s\": \"x y\\\" z\"\n}";
        let (v, ..) = written(&entry(Text::Json(pretty)), 10_000);
        assert_eq!(v["text"], json!({"a": [1, 2], "s": "x y\" z"}));
        let mut buf = Vec::new();
        entry(Text::Json(pretty)).write(&mut buf, 10_000);
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
        let (v, ..) = written(&e, 100_000);
        assert_eq!(v["category"].as_str().unwrap().len(), MAX_NAME_CHARS);
    }
}
