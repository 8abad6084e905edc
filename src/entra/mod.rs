//! What an Entra record means: its category, event time, severity, tenant and identity.
//!
//! The mapping (documented in the README, "What each entry carries"):
//! - category: `category` (or `Category`), matched case-insensitively against the known Entra
//!   categories and written in their canonical case; unknown categories pass through verbatim.
//! - time: `time`, then `properties.createdDateTime`, then `properties.activityDateTime`, then a
//!   top-level `CreatedDateTime`: the first whose value is a time (in a form [`time::parse`]
//!   reads, from 1970 to 2262). The field it came from and the first value tried before it that
//!   is no time are reported too. The caller falls back to the event's enqueued time.
//! - severity: `Level`/`level` as an ETW number (1 Critical … 5 Verbose) or a name, mapped to
//!   Coralogix's 1–6 scale; a failed sign-in, audit or provisioning record is at least Warning.
//! - tenant: `tenantId`, then `/tenants/<id>/` in `resourceId`, then `properties.tenantId`.
//! - id: `properties.id` (or `properties.requestId`), the record's own identity.

mod fields;
pub mod time;

use std::borrow::Cow;

use fields::Scalar;
pub use time::Timestamp;

/// Every category an Entra diagnostic setting can send (`docs/entra-logs.md#categories`).
pub const CATEGORIES: &[&str] = &[
    "AuditLogs",
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
    "ProvisioningLogs",
    "ADFSSignInLogs",
    "RiskyUsers",
    "UserRiskEvents",
    "RiskyServicePrincipals",
    "ServicePrincipalRiskEvents",
    "RiskyAgents",
    "AgentRiskEvents",
    "MicrosoftGraphActivityLogs",
    "NetworkAccessTrafficLogs",
    "EnrichedOffice365AuditLogs",
    "RemoteNetworkHealthLogs",
    "NetworkAccessAlerts",
    "NetworkAccessConnectionEvents",
    "NetworkAccessGenerativeAIInsights",
    "MicrosoftServicePrincipalSignInLogs",
    "AzureADGraphActivityLogs",
    "GraphNotificationsActivityLogs",
    "CustomSecurityAttributeAuditLogs",
    "B2CRequestLogs",
];

/// The pseudo-category of a JSON record that has no category.
pub const UNCATEGORIZED: &str = "Uncategorized";
/// The pseudo-category of an event body that is not JSON.
pub const UNPARSED: &str = "Unparsed";

/// Coralogix severities (REST API docs: 1 Debug, 2 Verbose, 3 Info, 4 Warn, 5 Error, 6 Critical).
#[allow(missing_docs)]
pub mod severity {
    pub const DEBUG: u8 = 1;
    pub const VERBOSE: u8 = 2;
    pub const INFO: u8 = 3;
    pub const WARNING: u8 = 4;
    pub const ERROR: u8 = 5;
    pub const CRITICAL: u8 = 6;
}

/// Whether the record reports a success, a failure, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It reports a success.
    Success,
    /// It reports a failure.
    Failure,
    /// It says neither.
    Unknown,
}

/// A field a record's time is read from; the variants are in the order the fields are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    /// `time`.
    Time,
    /// `properties.createdDateTime`.
    PropertiesCreatedDateTime,
    /// `properties.activityDateTime`.
    PropertiesActivityDateTime,
    /// The top-level `CreatedDateTime` (or `createdDateTime`).
    CreatedDateTime,
}

impl TimeSource {
    /// The field's path in the record, as in `properties.createdDateTime`.
    pub fn field(self) -> &'static str {
        match self {
            TimeSource::Time => "time",
            TimeSource::PropertiesCreatedDateTime => "properties.createdDateTime",
            TimeSource::PropertiesActivityDateTime => "properties.activityDateTime",
            TimeSource::CreatedDateTime => "CreatedDateTime",
        }
    }
}

/// What a record means, as far as shipping it is concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct Meaning<'a> {
    /// Canonical category, or the record's own text for an unknown one.
    pub category: Option<Cow<'a, str>>,
    /// The record's own time: that of the first time field (in the order of [`TimeSource`])
    /// whose value is a time.
    pub time: Option<Timestamp>,
    /// The field `time` came from; `None` when `time` is.
    pub time_source: Option<TimeSource>,
    /// The value, verbatim, of the first time field tried before the one that gave `time` (or
    /// of all of them, when none did) that is a string but no time: in no form
    /// [`time::parse`] reads, or an instant before 1970 or after 2262. A field that is absent,
    /// blank or not a string is skipped, so a record without time fields has `None` here.
    ///
    /// With `time: None`, the record's own time could not be read and the caller's fallback
    /// applies; with a `time`, a preferred time field could not be read but a later one could.
    pub unreadable_time: Option<Cow<'a, str>>,
    /// Coralogix severity, from `Level` and the outcome.
    pub severity: u8,
    /// The tenant id, lower case.
    pub tenant: Option<Cow<'a, str>>,
    /// The record's own id (`properties.id` or `properties.requestId`).
    pub id: Option<Cow<'a, str>>,
    /// Success or failure, where the record says.
    pub outcome: Outcome,
}

/// Reads a record (the JSON text of one record) and says what it means.
pub fn describe(json: &str) -> Meaning<'_> {
    describe_with(json, known)
}

fn describe_with<'a>(json: &'a str, done: impl Fn(&fields::Top<'a>) -> bool) -> Meaning<'a> {
    let top = fields::read(json, done);
    let category = category(top.category.into_str().or(top.category_pascal.into_str()));
    let props = top.properties;
    let mut unreadable_time = top.time_unreadable;
    let (mut time, mut time_source) = (top.time, top.time.map(|_| TimeSource::Time));
    if time.is_none() {
        for (source, value) in [
            (
                TimeSource::PropertiesCreatedDateTime,
                props.created_date_time,
            ),
            (
                TimeSource::PropertiesActivityDateTime,
                props.activity_date_time,
            ),
            (TimeSource::CreatedDateTime, top.created_date_time),
        ] {
            let Some(text) = value.into_str() else {
                continue;
            };
            match time::parse(&text) {
                Some(t) => {
                    (time, time_source) = (Some(t), Some(source));
                    break;
                }
                None => {
                    unreadable_time.get_or_insert(text);
                }
            }
        }
    }
    let outcome = outcome(
        category.as_deref(),
        &top.result_type,
        &props.result,
        &props.error_code,
        &props.provisioning_status,
    );
    let level = level(&top.level_pascal)
        .or_else(|| level(&top.level))
        .unwrap_or(severity::INFO);
    let severity = match outcome {
        Outcome::Failure => level.max(severity::WARNING),
        _ => level,
    };
    let tenant = top
        .tenant_id
        .into_str()
        .or(top.tenant_id_pascal.into_str())
        .or_else(|| {
            top.resource_id
                .as_str()
                .and_then(tenant_from_resource_id)
                .map(Cow::Owned)
        })
        .or(props.tenant_id.into_str())
        .map(lowercase);
    let id = props.id.into_str().or(props.request_id.into_str());
    Meaning {
        category,
        time,
        time_source,
        unreadable_time,
        severity,
        tenant,
        id,
        outcome,
    }
}

/// True once the fields read so far decide everything `describe` returns, so the rest of the
/// record need not be read: category, time, level, tenant, own id and outcome are all known.
/// Records lacking any of them are read to the end. (A record that carries a key twice, or in
/// both spellings such as `Level` and `level`, may keep the first instead of the preferred one.)
fn known(top: &fields::Top) -> bool {
    let non_empty = |s: &Scalar| s.as_str().is_some_and(|s| !s.trim().is_empty());
    // First what is read last: this runs after every field kept, and until `properties.id`
    // the answer is no.
    if !non_empty(&top.properties.id) {
        return false;
    }
    let Some(category) = top.category.as_str().or(top.category_pascal.as_str()) else {
        return false;
    };
    let props = &top.properties;
    if top.time.is_none()
        || (top.level_pascal.is_null() && top.level.is_null())
        || !(non_empty(&top.tenant_id) || non_empty(&top.tenant_id_pascal))
    {
        return false;
    }
    let is_word = |s: &Scalar| {
        s.as_str().is_some_and(|w| {
            let w = w.trim();
            ["success", "failure", "failed"]
                .iter()
                .any(|k| w.eq_ignore_ascii_case(k))
        })
    };
    let category = category.trim();
    if is_signin(category) {
        top.result_type.as_i64().is_some()
    } else if category.eq_ignore_ascii_case("AuditLogs") || category.eq_ignore_ascii_case("Audit") {
        is_word(&props.result) || props.result.as_i64().is_some()
    } else if category.eq_ignore_ascii_case("ProvisioningLogs") {
        is_word(&top.result_type)
    } else {
        !top.result_type.is_null()
    }
}

/// The canonical spelling of a known category; unknown ones unchanged.
pub fn category(raw: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    let raw = raw?;
    let trimmed = raw.trim();
    if let Some(known) = CATEGORIES.iter().find(|c| c.eq_ignore_ascii_case(trimmed)) {
        return Some(Cow::Borrowed(known));
    }
    Some(raw)
}

/// `Level` as a number (ETW: 1 Critical, 2 Error, 3 Warning, 4 Informational, 5 Verbose), a
/// numeric string, or a name.
fn level(value: &Scalar) -> Option<u8> {
    if let Some(n) = value.as_i64() {
        return match n {
            1 => Some(severity::CRITICAL),
            2 => Some(severity::ERROR),
            3 => Some(severity::WARNING),
            0 | 4 => Some(severity::INFO),
            5 => Some(severity::VERBOSE),
            _ => None,
        };
    }
    let name = value.as_str()?.trim();
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    if is("Critical") || is("Fatal") {
        Some(severity::CRITICAL)
    } else if is("Error") {
        Some(severity::ERROR)
    } else if is("Warning") || is("Warn") {
        Some(severity::WARNING)
    } else if is("Informational") || is("Information") || is("Info") {
        Some(severity::INFO)
    } else if is("Verbose") || is("Trace") {
        Some(severity::VERBOSE)
    } else if is("Debug") {
        Some(severity::DEBUG)
    } else {
        None
    }
}

fn is_signin(category: &str) -> bool {
    let c = category.as_bytes();
    c.len() >= 10 && c[c.len() - 10..].eq_ignore_ascii_case(b"SignInLogs")
}

fn outcome(
    category: Option<&str>,
    result_type: &Scalar,
    result: &Scalar,
    error_code: &Scalar,
    provisioning_status: &Scalar,
) -> Outcome {
    let word = |s: &Scalar| -> Outcome {
        match s.as_str().map(str::trim) {
            Some(w) if w.eq_ignore_ascii_case("success") => Outcome::Success,
            Some(w) if w.eq_ignore_ascii_case("failure") || w.eq_ignore_ascii_case("failed") => {
                Outcome::Failure
            }
            _ => Outcome::Unknown,
        }
    };
    let code = |s: &Scalar| match s.as_i64() {
        Some(0) => Outcome::Success,
        Some(_) => Outcome::Failure,
        None => Outcome::Unknown,
    };
    let first = |a: Outcome, b: Outcome| if a == Outcome::Unknown { b } else { a };
    match category {
        // Sign-ins: resultType "0" is success, an AADSTS code is a failure.
        Some(c) if is_signin(c) => first(code(result_type), code(error_code)),
        // Audit: properties.result ("success"/"failure", 0 in an old sample).
        Some(c) if c.eq_ignore_ascii_case("AuditLogs") || c.eq_ignore_ascii_case("Audit") => {
            first(first(word(result), code(result)), word(result_type))
        }
        // Provisioning: resultType Success/Failure/Skipped, provisioningStatusInfo.status.
        Some(c) if c.eq_ignore_ascii_case("ProvisioningLogs") => {
            first(word(result_type), word(provisioning_status))
        }
        _ => word(result_type),
    }
}

/// `/tenants/<id>/providers/...` in any casing → `<id>`.
pub fn tenant_from_resource_id(resource_id: &str) -> Option<String> {
    const PREFIX: &str = "/tenants/";
    let lower = resource_id.to_ascii_lowercase();
    let start = lower.find(PREFIX)? + PREFIX.len();
    let rest = &resource_id[start..];
    let id = rest.split('/').next()?.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

fn lowercase(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        s
    }
}

#[cfg(test)]
mod tests;
