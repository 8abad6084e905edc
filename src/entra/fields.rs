//! The few fields of a record that give it its meaning, read in one pass without a DOM.
//!
//! Every field is read leniently: a value of an unexpected type (a number where a string was
//! expected, an object where a scalar was) is kept as what it is or ignored, never an error.
//! Duplicate keys keep the last value, as JSON parsers usually do.
//!
//! Numbers: JSON allows numbers no f64 holds (`1e400`), which serde_json refuses to
//! deserialize. So no number is converted while reading: a value that is kept is taken as its
//! JSON text and read by [`Scalar::from_text`], and the others are skipped by their structure.

use std::borrow::Cow;

use super::time::Timestamp;

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
    /// The value whose JSON text is `text`, borrowing a string from it unless it has escapes.
    pub fn from_text(text: &'a str) -> Scalar<'a> {
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
/// arrays that make up most of its bytes. Anything that is not an object has no fields.
///
/// The text is a valid JSON value (it came out of the splitter), so it is not validated again:
/// a structural scan ([`Scan`]) walks the keys, takes the values it keeps as their text, and
/// skips the others by their brackets and strings. No number is converted (`1e400` is text like
/// any other), and no nesting is too deep to skip. On text that is not valid JSON the scan
/// stops at the first thing it does not expect, and the fields read until then are kept, as
/// for a record that lacks the others; it never panics.
pub fn read<'de>(json: &'de str, done: impl Fn(&Top<'de>) -> bool) -> Top<'de> {
    let mut top = Top::default();
    let mut scan = Scan::new(json);
    if scan.open_object() {
        let _ = read_top(&mut scan, &mut top, &done);
    }
    top
}

/// Whether reading goes on after a member.
#[derive(PartialEq)]
enum Flow {
    Go,
    Stop,
}

/// The members of the record, until the end or a stop.
fn read_top<'de>(
    scan: &mut Scan<'de>,
    top: &mut Top<'de>,
    done: &impl Fn(&Top<'de>) -> bool,
) -> Option<Flow> {
    scan.members(|scan, key| {
        match key {
            "time" => {
                let text = Scalar::from_text(scan.value()?).into_str();
                top.time = text.as_deref().and_then(super::time::parse);
                top.time_unreadable = text.filter(|_| top.time.is_none());
            }
            "CreatedDateTime" | "createdDateTime" => top.created_date_time = scan.scalar()?,
            "category" => top.category = scan.scalar()?,
            "Category" => top.category_pascal = scan.scalar()?,
            "level" => top.level = scan.scalar()?,
            "Level" => top.level_pascal = scan.scalar()?,
            "tenantId" => top.tenant_id = scan.scalar()?,
            "TenantId" => top.tenant_id_pascal = scan.scalar()?,
            "resourceId" | "ResourceId" => top.resource_id = scan.scalar()?,
            "resultType" | "ResultType" => top.result_type = scan.scalar()?,
            // `properties` that is not an object (some services send a string) has no fields.
            "properties" if scan.open_object() => {
                if read_properties(scan, top, done)? == Flow::Stop {
                    return Some(Flow::Stop);
                }
            }
            _ => {
                scan.value()?;
                return Some(Flow::Go);
            }
        }
        Some(if done(top) { Flow::Stop } else { Flow::Go })
    })
}

fn read_properties<'de>(
    scan: &mut Scan<'de>,
    top: &mut Top<'de>,
    done: &impl Fn(&Top<'de>) -> bool,
) -> Option<Flow> {
    scan.members(|scan, key| {
        let props = &mut top.properties;
        match key {
            "id" => props.id = scan.scalar()?,
            "requestId" => props.request_id = scan.scalar()?,
            "createdDateTime" => props.created_date_time = scan.scalar()?,
            "activityDateTime" => props.activity_date_time = scan.scalar()?,
            "tenantId" => props.tenant_id = scan.scalar()?,
            "result" => props.result = scan.scalar()?,
            "status" => props.error_code = scan.member(&["errorCode"])?,
            "provisioningStatusInfo" => {
                props.provisioning_status = scan.member(&["status", "Status"])?
            }
            _ => {
                scan.value()?;
                return Some(Flow::Go);
            }
        }
        Some(if done(top) { Flow::Stop } else { Flow::Go })
    })
}

/// A position in a JSON text, read without validating it (see [`read`]). Every method returns
/// `None` at what it does not expect, and then reading ends.
struct Scan<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scan<'a> {
    fn new(text: &'a str) -> Self {
        Scan { text, pos: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn skip_ws(&mut self) {
        self.pos = crate::json::skip_ws(self.bytes(), self.pos);
    }

    /// Passes `{` (after whitespace) if it is next.
    fn open_object(&mut self) -> bool {
        self.skip_ws();
        let open = self.bytes().get(self.pos) == Some(&b'{');
        self.pos += usize::from(open);
        open
    }

    /// The members of the object just opened, each handed to `member` with its key, which
    /// must read or skip the value. Ends after the object's `}` or at a stop.
    fn members(&mut self, mut member: impl FnMut(&mut Self, &str) -> Option<Flow>) -> Option<Flow> {
        self.skip_ws();
        if self.bytes().get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Some(Flow::Go);
        }
        loop {
            self.skip_ws();
            let raw = self.string()?;
            let key: Cow<str> = if raw.contains('\\') {
                Cow::Owned(serde_json::from_str(raw).ok()?)
            } else {
                Cow::Borrowed(&raw[1..raw.len() - 1])
            };
            self.skip_ws();
            (self.bytes().get(self.pos) == Some(&b':')).then_some(())?;
            self.pos += 1;
            self.skip_ws();
            if member(self, &key)? == Flow::Stop {
                return Some(Flow::Stop);
            }
            self.skip_ws();
            let next = *self.bytes().get(self.pos)?;
            self.pos += 1;
            match next {
                b',' => {}
                b'}' => return Some(Flow::Go),
                _ => return None,
            }
        }
    }

    /// The string at the position, with its quotes.
    fn string(&mut self) -> Option<&'a str> {
        let start = self.pos;
        self.pos = crate::json::valid_string_end(self.bytes(), start)?;
        self.text.get(start..self.pos)
    }

    /// The value at the position, as its text, passed over.
    fn value(&mut self) -> Option<&'a str> {
        let start = self.pos;
        self.pos = crate::json::valid_value_end(self.bytes(), start)?;
        self.text.get(start..self.pos)
    }

    fn scalar(&mut self) -> Option<Scalar<'a>> {
        self.value().map(Scalar::from_text)
    }

    /// The value of the last of `keys` in the object at the position, if it is one; the value
    /// is passed over either way.
    fn member(&mut self, keys: &[&str]) -> Option<Scalar<'a>> {
        let mut found = Scalar::Null;
        if !self.open_object() {
            self.value()?;
            return Some(found);
        }
        self.members(|scan, key| {
            if keys.contains(&key) {
                found = scan.scalar()?;
            } else {
                scan.value()?;
            }
            Some(Flow::Go)
        })?;
        Some(found)
    }
}

#[cfg(test)]
#[path = "fields_tests.rs"]
mod tests;
