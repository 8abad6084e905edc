//! The few fields of a record that give it its meaning, read in one pass without a DOM.
//!
//! Every field is read leniently: a value of an unexpected type (a number where a string was
//! expected, an object where a scalar was) is kept as what it is or ignored, never an error.
//! Duplicate keys keep the last value, as JSON parsers usually do.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

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
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if !out.field(&key, &mut map)? {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Lenient(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(T::default()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Lenient(T::default()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// The top level of a record.
#[derive(Debug, Default)]
pub struct Top<'a> {
    pub time: Scalar<'a>,
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

impl<'de> Fields<'de> for Top<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let slot = match key {
            "time" => &mut self.time,
            "CreatedDateTime" | "createdDateTime" => &mut self.created_date_time,
            "category" => &mut self.category,
            "Category" => &mut self.category_pascal,
            "level" => &mut self.level,
            "Level" => &mut self.level_pascal,
            "tenantId" => &mut self.tenant_id,
            "TenantId" => &mut self.tenant_id_pascal,
            "resourceId" | "ResourceId" => &mut self.resource_id,
            "resultType" | "ResultType" => &mut self.result_type,
            "properties" => {
                self.properties = map.next_value::<Lenient<Properties>>()?.0;
                return Ok(true);
            }
            _ => return Ok(false),
        };
        *slot = map.next_value()?;
        Ok(true)
    }
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

impl<'de> Fields<'de> for Properties<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let slot = match key {
            "id" => &mut self.id,
            "requestId" => &mut self.request_id,
            "createdDateTime" => &mut self.created_date_time,
            "activityDateTime" => &mut self.activity_date_time,
            "tenantId" => &mut self.tenant_id,
            "result" => &mut self.result,
            "status" => {
                self.error_code = map.next_value::<Lenient<Status>>()?.0.0;
                return Ok(true);
            }
            "provisioningStatusInfo" => {
                self.provisioning_status = map.next_value::<Lenient<Status>>()?.0.1;
                return Ok(true);
            }
            _ => return Ok(false),
        };
        *slot = map.next_value()?;
        Ok(true)
    }
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

/// Reads a record's fields. The text is a valid JSON value (it came out of the splitter), so
/// this cannot fail; a parse error (impossible in practice) yields no fields.
pub fn read(json: &str) -> Top<'_> {
    serde_json::from_str::<Lenient<Top>>(json)
        .map(|l| l.0)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_types_do_not_fail() {
        let t = read(
            r#"{"time": 12, "Level": {"x": 1}, "category": ["a"], "durationMs": "0",
                "properties": "not an object", "tenantId": null}"#,
        );
        assert_eq!(t.time, Scalar::Int(12));
        assert_eq!(t.level_pascal, Scalar::Nested);
        assert_eq!(t.category, Scalar::Nested);
        assert_eq!(t.tenant_id, Scalar::Null);
        assert_eq!(t.properties.id, Scalar::Null);
    }

    #[test]
    fn duplicate_keys_keep_the_last() {
        let t = read(r#"{"category": "A", "category": "SignInLogs"}"#);
        assert_eq!(t.category.as_str(), Some("SignInLogs"));
    }

    #[test]
    fn nested_fields() {
        let t = read(
            r#"{"properties": {"id": "x", "status": {"errorCode": 50140, "failureReason": "r"},
                "provisioningStatusInfo": {"Status": "failure"}, "other": {"deep": [1, {"a": 2}]}}}"#,
        );
        assert_eq!(t.properties.id.as_str(), Some("x"));
        assert_eq!(t.properties.error_code, Scalar::Int(50140));
        assert_eq!(t.properties.provisioning_status.as_str(), Some("failure"));
    }

    #[test]
    fn strings_are_borrowed_when_unescaped() {
        let t = read(r#"{"category": "AuditLogs", "time": "a\"b"}"#);
        assert!(matches!(t.category, Scalar::Str(Cow::Borrowed(_))));
        assert_eq!(t.time.as_str(), Some("a\"b"));
    }

    #[test]
    fn non_objects_have_no_fields() {
        assert_eq!(read("\"text\"").category, Scalar::Null);
        assert_eq!(read("[1,2]").category, Scalar::Null);
        assert_eq!(read("42").category, Scalar::Null);
    }
}
