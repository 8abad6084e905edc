//! The few fields of a record that give it its meaning, read in one pass without a DOM.
//!
//! Every field is read leniently: a value of an unexpected type (a number where a string was
//! expected, an object where a scalar was) is kept as what it is or ignored, never an error.
//! Duplicate keys keep the last value, as JSON parsers usually do.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::time::Timestamp;

/// Any JSON value, keeping strings and numbers and ignoring the rest.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    #[default]
    Null,
    /// An object or array.
    Nested,
}

impl<'a> Scalar<'a> {
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

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Scalar<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Nested)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Nested)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// The `visit_*` methods of a visitor for which any value but an object has no fields: arrays
/// are skipped, scalars ignored, and `$value` returned.
macro_rules! no_fields_unless_map {
    ($value:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

/// A map key, borrowed from the record's text unless it has escapes. (serde's `Cow<str>`
/// always allocates.)
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads an object's keys one by one; anything that is not an object reads as `T::default()`.
pub trait Fields<'de>: Default {
    /// Reads the value of `key` from `map` if the key is wanted; returns false to skip it.
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
}

/// Deserializes a `Fields` type leniently.
pub struct Lenient<T>(pub T);

impl<'de, T: Fields<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Fields<'de>> Visitor<'de> for V<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = T::default();
                while let Some(Key(key)) = map.next_key()? {
                    if !out.field(&key, &mut map)? {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Lenient(out))
            }
            no_fields_unless_map!(Lenient(T::default()));
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// The top level of a record.
#[derive(Debug, Default)]
pub struct Top<'a> {
    /// `time`, parsed when it was read (`None` if absent or not a time).
    pub time: Option<Timestamp>,
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

/// `status` (sign-ins: `errorCode`) and `provisioningStatusInfo` (`status`/`Status`).
#[derive(Debug, Default)]
pub struct Status<'a>(Scalar<'a>, Scalar<'a>);

impl<'de> Fields<'de> for Status<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "errorCode" => self.0 = map.next_value()?,
            "status" | "Status" => self.1 = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Reads a record's fields, stopping as soon as `done` says nothing left can change the
/// result: an Entra sign-in is known after `properties.id`, long before the Conditional Access
/// arrays that make up most of its bytes. The text is a valid JSON value (it came out of the
/// splitter); anything that is not an object has no fields.
pub fn read<'de>(json: &'de str, done: impl Fn(&Top<'de>) -> bool) -> Top<'de> {
    let mut top = Top::default();
    let mut de = serde_json::Deserializer::from_str(json);
    // The early stop travels up as an error; what was read until then is in `top`.
    let _ = TopSeed {
        top: &mut top,
        done: &done,
    }
    .deserialize(&mut de);
    top
}

/// Raised to stop reading once the record's meaning is known.
const STOP: &str = "stop: the record's meaning is known";

struct TopSeed<'t, 'de, F> {
    top: &'t mut Top<'de>,
    done: &'t F,
}

impl<'de, F: Fn(&Top<'de>) -> bool> DeserializeSeed<'de> for TopSeed<'_, 'de, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: Fn(&Top<'de>) -> bool> Visitor<'de> for TopSeed<'_, 'de, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key()? {
            let top = &mut *self.top;
            let slot = match key.as_ref() {
                "time" => {
                    top.time = map
                        .next_value::<Scalar>()?
                        .as_str()
                        .and_then(super::time::parse);
                    None
                }
                "CreatedDateTime" | "createdDateTime" => Some(&mut top.created_date_time),
                "category" => Some(&mut top.category),
                "Category" => Some(&mut top.category_pascal),
                "level" => Some(&mut top.level),
                "Level" => Some(&mut top.level_pascal),
                "tenantId" => Some(&mut top.tenant_id),
                "TenantId" => Some(&mut top.tenant_id_pascal),
                "resourceId" | "ResourceId" => Some(&mut top.resource_id),
                "resultType" | "ResultType" => Some(&mut top.result_type),
                "properties" => {
                    map.next_value_seed(PropertiesSeed {
                        top: &mut *self.top,
                        done: self.done,
                    })?;
                    None
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if let Some(slot) = slot {
                *slot = map.next_value()?;
            }
            if (self.done)(self.top) {
                return Err(de::Error::custom(STOP));
            }
        }
        Ok(())
    }
    no_fields_unless_map!(());
}

struct PropertiesSeed<'t, 'de, F> {
    top: &'t mut Top<'de>,
    done: &'t F,
}

impl<'de, F: Fn(&Top<'de>) -> bool> DeserializeSeed<'de> for PropertiesSeed<'_, 'de, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // `properties` that is not an object (some services send a string) has no fields.
        let (top, done) = (self.top, self.done);
        d.deserialize_any(PropertiesVisitor { top, done })
    }
}

struct PropertiesVisitor<'t, 'de, F> {
    top: &'t mut Top<'de>,
    done: &'t F,
}

impl<'de, F: Fn(&Top<'de>) -> bool> Visitor<'de> for PropertiesVisitor<'_, 'de, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key()? {
            let props = &mut self.top.properties;
            match key.as_ref() {
                "id" => props.id = map.next_value()?,
                "requestId" => props.request_id = map.next_value()?,
                "createdDateTime" => props.created_date_time = map.next_value()?,
                "activityDateTime" => props.activity_date_time = map.next_value()?,
                "tenantId" => props.tenant_id = map.next_value()?,
                "result" => props.result = map.next_value()?,
                "status" => props.error_code = map.next_value::<Lenient<Status>>()?.0.0,
                "provisioningStatusInfo" => {
                    props.provisioning_status = map.next_value::<Lenient<Status>>()?.0.1
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            }
            if (self.done)(self.top) {
                return Err(de::Error::custom(STOP));
            }
        }
        Ok(())
    }
    no_fields_unless_map!(());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(json: &str) -> Top<'_> {
        read(json, |_| false)
    }

    #[test]
    fn stops_when_done() {
        let json =
            r#"{"a": 1, "category": "X", "properties": {"id": "i", "result": "r"}, "Level": 4}"#;
        let t = read(json, |t| !t.properties.id.is_null());
        assert_eq!(t.category.as_str(), Some("X"));
        assert_eq!(t.properties.id.as_str(), Some("i"));
        assert!(t.properties.result.is_null(), "read past the stop");
        assert!(t.level_pascal.is_null());
        let t = read_all(json);
        assert_eq!(t.properties.result.as_str(), Some("r"));
        assert_eq!(t.level_pascal, Scalar::Int(4));
    }

    #[test]
    fn odd_types_do_not_fail() {
        let t = read_all(
            r#"{"time": 12, "Level": {"x": 1}, "category": ["a"], "durationMs": "0",
                "properties": "not an object", "tenantId": null}"#,
        );
        assert_eq!(t.time, None);
        assert_eq!(t.level_pascal, Scalar::Nested);
        assert_eq!(t.category, Scalar::Nested);
        assert_eq!(t.tenant_id, Scalar::Null);
        assert_eq!(t.properties.id, Scalar::Null);
    }

    #[test]
    fn duplicate_keys_keep_the_last() {
        let t = read_all(r#"{"category": "A", "category": "SignInLogs"}"#);
        assert_eq!(t.category.as_str(), Some("SignInLogs"));
    }

    #[test]
    fn nested_fields() {
        let t = read_all(
            r#"{"properties": {"id": "x", "status": {"errorCode": 50140, "failureReason": "r"},
                "provisioningStatusInfo": {"Status": "failure"}, "other": {"deep": [1, {"a": 2}]}}}"#,
        );
        assert_eq!(t.properties.id.as_str(), Some("x"));
        assert_eq!(t.properties.error_code, Scalar::Int(50140));
        assert_eq!(t.properties.provisioning_status.as_str(), Some("failure"));
    }

    #[test]
    fn strings_are_borrowed_when_unescaped() {
        let t = read_all(r#"{"category": "AuditLogs", "resultType": "a\"b"}"#);
        assert!(matches!(t.category, Scalar::Str(Cow::Borrowed(_))));
        assert_eq!(t.result_type.as_str(), Some("a\"b"));
    }

    #[test]
    fn non_objects_have_no_fields() {
        assert_eq!(read_all("\"text\"").category, Scalar::Null);
        assert_eq!(read_all("[1,2]").category, Scalar::Null);
        assert_eq!(read_all("42").category, Scalar::Null);
    }
}
