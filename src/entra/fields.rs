//! The few fields of a record that give it its meaning, read in one pass without a DOM.
//!
//! Every field is read leniently: a value of an unexpected type (a number where a string was
//! expected, an object where a scalar was) is kept as what it is or ignored, never an error.
//! Duplicate keys keep the last value, as JSON parsers usually do.
//!
//! Numbers: JSON allows numbers no f64 holds (`1e400`), and serde_json refuses to deserialize
//! them (an error) though it skips them without complaint. So the reader never asks serde_json
//! for a value's data: a value it keeps is taken as its JSON text ([`RawValue`]) and read by
//! [`Scalar::from_raw`], and a value it does not keep is skipped. Only `properties` is entered
//! through serde's data model, so that reading can stop inside it; see [`read`] for the case of
//! a `properties` that is such a number.

use std::borrow::Cow;
use std::fmt;

use serde::de::Error as _;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::time::Timestamp;
use crate::json::Key;

/// Any JSON value, keeping strings and numbers and ignoring the rest.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    /// A number that is no i64: with a fraction or an exponent, or beyond i64. One beyond f64's
    /// range is ±infinity (`1e400`), which is no integer either.
    Float(f64),
    Bool(bool),
    #[default]
    Null,
    /// An object or array.
    Nested,
}

impl<'a> Scalar<'a> {
    /// The value whose JSON text is `raw`, borrowing a string from it unless it has escapes.
    pub fn from_raw(raw: &'a RawValue) -> Scalar<'a> {
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'"') => {
                let inner = &text[1..text.len() - 1];
                if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
                    Scalar::Str(Cow::Borrowed(inner))
                } else {
                    serde_json::from_str(text).map_or(Scalar::Null, |s| Scalar::Str(Cow::Owned(s)))
                }
            }
            Some(b'{' | b'[') => Scalar::Nested,
            Some(b't') => Scalar::Bool(true),
            Some(b'f') => Scalar::Bool(false),
            Some(b'-' | b'0'..=b'9') => match text.parse() {
                Ok(n) => Scalar::Int(n),
                // Rust reads a number beyond f64 as ±infinity (serde_json errs).
                Err(_) => text.parse().map_or(Scalar::Null, Scalar::Float),
            },
            _ => Scalar::Null,
        }
    }

    /// Absent or `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Scalar::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an integer: a number, or a string holding one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Scalar::Int(n) => Some(*n),
            Scalar::Float(f) if f.fract() == 0.0 => Some(*f as i64),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A non-empty string value, borrowed when the record's text allows it.
    pub fn into_str(self) -> Option<Cow<'a, str>> {
        match self {
            Scalar::Str(s) if !s.trim().is_empty() => Some(s),
            _ => None,
        }
    }
}

/// Reads the next value of `map` as a [`Scalar`]. Like every use of [`RawValue`], this works
/// only on serde_json's deserializer, the only one this module uses.
fn scalar<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Scalar<'de>, A::Error> {
    map.next_value::<&'de RawValue>().map(Scalar::from_raw)
}

/// The value of the last of `keys` in the JSON text `raw`, if it is an object that has one.
/// (`status` and `provisioningStatusInfo` are small: reading their text again costs little.)
fn member<'de>(raw: &'de RawValue, keys: &[&str]) -> Scalar<'de> {
    struct V<'k>(&'k [&'k str]);
    impl<'de> Visitor<'de> for V<'_> {
        type Value = Scalar<'de>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = Scalar::Null;
            while let Some(Key(key)) = map.next_key()? {
                if self.0.contains(&key.as_ref()) {
                    found = scalar(&mut map)?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    if !raw.get().starts_with('{') {
        return Scalar::Null;
    }
    serde_json::Deserializer::from_str(raw.get())
        .deserialize_map(V(keys))
        .unwrap_or_default()
}

/// The top level of a record.
#[derive(Debug, Default)]
pub struct Top<'a> {
    /// `time`, parsed when it was read (`None` if absent or not a time).
    pub time: Option<Timestamp>,
    /// `time` if it is a non-blank string that is no time (or an instant out of range).
    pub time_unreadable: Option<Cow<'a, str>>,
    pub created_date_time: Scalar<'a>,
    pub category: Scalar<'a>,
    pub category_pascal: Scalar<'a>,
    pub level: Scalar<'a>,
    pub level_pascal: Scalar<'a>,
    pub tenant_id: Scalar<'a>,
    pub tenant_id_pascal: Scalar<'a>,
    pub resource_id: Scalar<'a>,
    pub result_type: Scalar<'a>,
    pub properties: Properties<'a>,
}

/// The parts of `properties` that matter for time, outcome, tenant and identity.
#[derive(Debug, Default)]
pub struct Properties<'a> {
    pub id: Scalar<'a>,
    pub request_id: Scalar<'a>,
    pub created_date_time: Scalar<'a>,
    pub activity_date_time: Scalar<'a>,
    pub tenant_id: Scalar<'a>,
    /// AuditLogs: `success` / `failure` (numeric 0 in an old sample).
    pub result: Scalar<'a>,
    /// Sign-ins: `status.errorCode`.
    pub error_code: Scalar<'a>,
    /// ProvisioningLogs: `provisioningStatusInfo.status`.
    pub provisioning_status: Scalar<'a>,
}

/// Reads a record's fields, stopping as soon as `done` says nothing left can change the
/// result: an Entra sign-in is known after `properties.id`, long before the Conditional Access
/// arrays that make up most of its bytes. The text is a valid JSON value (it came out of the
/// splitter); anything that is not an object has no fields.
///
/// `properties` is read as it streams. serde_json cannot do that for a `properties` that is a
/// number beyond f64 (`"properties": 1e400`): it fails at that value, and the record is then
/// read again with `properties` taken as its text and, if an object, read from that text. That
/// second reading fails on no valid JSON text: every value it keeps or skips is taken whole as
/// text (no number is converted, and serde_json's nesting limit does not apply to skipping), and
/// it enters only the record, `properties`, `status` and `provisioningStatusInfo`, each one
/// level deep. Were the text not valid JSON, the fields read until the failure would be kept
/// and the others absent, as for a record that lacks them.
pub fn read<'de>(json: &'de str, done: impl Fn(&Top<'de>) -> bool) -> Top<'de> {
    if !json.trim_start().starts_with('{') {
        return Top::default();
    }
    let mut reader = Reader {
        top: Top::default(),
        done: &done,
        stopped: false,
        stream_properties: true,
    };
    if reader.read(json).is_ok() || reader.stopped {
        return reader.top;
    }
    let mut reader = Reader {
        top: Top::default(),
        done: &done,
        stopped: false,
        stream_properties: false,
    };
    // An error here is a stop, or text that is not valid JSON: either way `top` has what was read.
    let _ = reader.read(json);
    reader.top
}

/// Raised to stop reading once the record's meaning is known.
const STOP: &str = "stop: the record's meaning is known";

struct Reader<'de, 'f, F> {
    top: Top<'de>,
    done: &'f F,
    /// Set when reading stopped because `done` said so.
    stopped: bool,
    /// Whether `properties` is read as it streams, or taken as text and read from that.
    stream_properties: bool,
}

impl<'de, F: Fn(&Top<'de>) -> bool> Reader<'de, '_, F> {
    fn read(&mut self, json: &'de str) -> serde_json::Result<()> {
        serde_json::Deserializer::from_str(json).deserialize_map(TopVisitor(self))
    }

    /// Err(STOP) once `done` says the record is known.
    fn check<E: de::Error>(&mut self) -> Result<(), E> {
        if (self.done)(&self.top) {
            self.stopped = true;
            return Err(E::custom(STOP));
        }
        Ok(())
    }
}

struct TopVisitor<'r, 'de, 'f, F>(&'r mut Reader<'de, 'f, F>);

impl<'de, F: Fn(&Top<'de>) -> bool> Visitor<'de> for TopVisitor<'_, 'de, '_, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reader = self.0;
        while let Some(Key(key)) = map.next_key()? {
            let top = &mut reader.top;
            match key.as_ref() {
                "time" => {
                    let text = scalar(&mut map)?.into_str();
                    top.time = text.as_deref().and_then(super::time::parse);
                    top.time_unreadable = text.filter(|_| top.time.is_none());
                }
                "CreatedDateTime" | "createdDateTime" => top.created_date_time = scalar(&mut map)?,
                "category" => top.category = scalar(&mut map)?,
                "Category" => top.category_pascal = scalar(&mut map)?,
                "level" => top.level = scalar(&mut map)?,
                "Level" => top.level_pascal = scalar(&mut map)?,
                "tenantId" => top.tenant_id = scalar(&mut map)?,
                "TenantId" => top.tenant_id_pascal = scalar(&mut map)?,
                "resourceId" | "ResourceId" => top.resource_id = scalar(&mut map)?,
                "resultType" | "ResultType" => top.result_type = scalar(&mut map)?,
                "properties" if reader.stream_properties => {
                    map.next_value_seed(PropertiesSeed(&mut *reader))?;
                }
                "properties" => {
                    let raw: &'de RawValue = map.next_value()?;
                    if raw.get().starts_with('{') {
                        // A stop, or (on text that is not JSON) an error: both end reading.
                        serde_json::Deserializer::from_str(raw.get())
                            .deserialize_map(PropertiesVisitor(&mut *reader))
                            .map_err(A::Error::custom)?;
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            }
            reader.check()?;
        }
        Ok(())
    }
}

struct PropertiesSeed<'r, 'de, 'f, F>(&'r mut Reader<'de, 'f, F>);

impl<'de, F: Fn(&Top<'de>) -> bool> DeserializeSeed<'de> for PropertiesSeed<'_, 'de, '_, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // `properties` that is not an object (some services send a string) has no fields.
        d.deserialize_any(PropertiesVisitor(self.0))
    }
}

struct PropertiesVisitor<'r, 'de, 'f, F>(&'r mut Reader<'de, 'f, F>);

impl<'de, F: Fn(&Top<'de>) -> bool> Visitor<'de> for PropertiesVisitor<'_, 'de, '_, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reader = self.0;
        while let Some(Key(key)) = map.next_key()? {
            let props = &mut reader.top.properties;
            match key.as_ref() {
                "id" => props.id = scalar(&mut map)?,
                "requestId" => props.request_id = scalar(&mut map)?,
                "createdDateTime" => props.created_date_time = scalar(&mut map)?,
                "activityDateTime" => props.activity_date_time = scalar(&mut map)?,
                "tenantId" => props.tenant_id = scalar(&mut map)?,
                "result" => props.result = scalar(&mut map)?,
                "status" => props.error_code = member(map.next_value()?, &["errorCode"]),
                "provisioningStatusInfo" => {
                    props.provisioning_status = member(map.next_value()?, &["status", "Status"])
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            }
            reader.check()?;
        }
        Ok(())
    }
    // Anything but an object has no fields: arrays are skipped, scalars ignored.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
#[path = "fields_tests.rs"]
mod tests;
