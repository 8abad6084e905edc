//! Reading one value of a record by a dotted path (`properties.appId`), as the incumbent
//! Coralogix function reads its selector paths: a member holding JSON as a string is parsed
//! on the way, and a key that itself contains dots (`"azure.resource_group"`) is found by the
//! rest of the path joined back together.
//!
//! Each step scans one object for the key, without building anything: members before it are
//! skipped (validated, not parsed into values), the value found stays text borrowed from the
//! record, and the scan stops there. A lookup runs only when a control that reads fields is
//! configured.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::json::Key;

/// A dotted path from the record's root, split at the dots (empty parts dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path(Vec<String>);

impl Path {
    /// The path `a.b.c` (a leading `$.` is the root, as in the selectors).
    pub fn parse(text: &str) -> Path {
        let text = text.trim();
        let text = text.strip_prefix("$.").unwrap_or(text);
        Path(
            text.split('.')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// The path as written, for messages.
    pub fn dotted(&self) -> String {
        self.0.join(".")
    }

    /// The value at the path in the record `json`, as text: strings decoded, numbers and
    /// booleans as written, objects and arrays as their JSON. `None` when a step is missing,
    /// the value is `null`, or the text is not JSON.
    pub fn lookup<'a>(&self, json: &'a str) -> Option<Cow<'a, str>> {
        let mut current: Cow<'a, str> = Cow::Borrowed(json.trim());
        let mut i = 0;
        while i < self.0.len() {
            current = json_in_string(current)?;
            let (range, steps) = {
                // The rest joined by dots, when there is a rest (a key that has dots).
                let joined = (i + 1 < self.0.len()).then(|| self.0[i..].join("."));
                let (value, steps) = match find(&current, &self.0[i], joined.as_deref())? {
                    (Some(v), _) => (v, 1),
                    (None, Some(v)) => (v, self.0.len() - i),
                    (None, None) => return None,
                };
                let start = value.get().as_ptr() as usize - current.as_ptr() as usize;
                (start..start + value.get().len(), steps)
            };
            current = match current {
                Cow::Borrowed(text) => Cow::Borrowed(&text[range]),
                Cow::Owned(text) => Cow::Owned(text[range].to_owned()),
            };
            i += steps;
        }
        scalar(current)
    }
}

/// Scans the object `text` for the member `key` (which wins, and ends the scan) and the member
/// named `joined` (the rest of the path with its dots). `None` when `text` is not an object.
fn find<'t>(
    text: &'t str,
    key: &str,
    joined: Option<&str>,
) -> Option<(Option<&'t RawValue>, Option<&'t RawValue>)> {
    let mut found = None;
    let mut de = serde_json::Deserializer::from_str(text);
    let scan = Find {
        key,
        joined,
        found: &mut found,
    };
    match de.deserialize_map(scan) {
        Ok(joined) => Some((None, joined)),
        // The visitor stops the scan with an error once it has the key.
        Err(_) => found.map(|v| (Some(v), None)),
    }
}

struct Find<'k, 'f, 't> {
    key: &'k str,
    joined: Option<&'k str>,
    found: &'f mut Option<&'t RawValue>,
}

impl<'t> Visitor<'t> for Find<'_, '_, 't> {
    type Value = Option<&'t RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut joined = None;
        while let Some(Key(name)) = map.next_key::<Key<'t>>()? {
            if name == self.key {
                *self.found = Some(map.next_value()?);
                return Err(de::Error::custom("found"));
            }
            if joined.is_none() && self.joined == Some(&*name) {
                joined = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(joined)
    }
}

/// A JSON string literal whose content is itself JSON becomes that JSON; anything else stays.
fn json_in_string(value: Cow<'_, str>) -> Option<Cow<'_, str>> {
    if !value.starts_with('"') {
        return Some(value);
    }
    let inner: String = serde_json::from_str(&value).ok()?;
    Some(Cow::Owned(inner.trim().to_owned()))
}

/// The text of a JSON value: a string decoded, `null` as nothing, anything else as written.
fn scalar(value: Cow<'_, str>) -> Option<Cow<'_, str>> {
    match value.as_bytes().first()? {
        b'"' => serde_json::from_str::<Cow<'_, str>>(&value)
            .ok()
            .map(|s| Cow::Owned(s.into_owned())),
        b'n' if &*value == "null" => None,
        _ => Some(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"category":"SignInLogs","resultType":0,"properties":{"appId":"a-1",
        "status":{"errorCode":50126},"x.y":"joined","nested":"{\"k\":{\"v\":\"deep\"}}",
        "esc\"aped":"e","none":null}}"#;

    fn get(path: &str) -> Option<String> {
        Path::parse(path).lookup(RECORD).map(Cow::into_owned)
    }

    #[test]
    fn paths_read_members_at_any_depth() {
        assert_eq!(get("$.category").as_deref(), Some("SignInLogs"));
        assert_eq!(get("category").as_deref(), Some("SignInLogs"));
        assert_eq!(get("resultType").as_deref(), Some("0"));
        assert_eq!(get("properties.appId").as_deref(), Some("a-1"));
        assert_eq!(get("properties.status.errorCode").as_deref(), Some("50126"));
        assert_eq!(
            get("properties.status").as_deref(),
            Some(r#"{"errorCode":50126}"#)
        );
        assert_eq!(get("properties.esc\"aped").as_deref(), Some("e"));
    }

    #[test]
    fn joined_keys_and_json_in_strings_are_followed() {
        assert_eq!(get("properties.x.y").as_deref(), Some("joined"));
        assert_eq!(get("properties.nested.k.v").as_deref(), Some("deep"));
    }

    #[test]
    fn missing_null_and_non_json_give_nothing() {
        assert_eq!(get("properties.none"), None);
        assert_eq!(get("properties.missing"), None);
        assert_eq!(get("category.deeper"), None);
        assert_eq!(Path::parse("a").lookup("not json"), None);
        assert_eq!(Path::parse("a").lookup(""), None);
        assert_eq!(Path::parse("a").lookup(r#"{"a":"#), None);
    }
}
