//! Settings, read from the environment (the Function App's app settings) once at start.
//!
//! Every setting is validated here, so a misconfigured app fails at start with one line naming
//! the setting instead of failing on its first invocation. The README's "Configuration" table is
//! the user-facing copy of this file; `tests/settings_contract.rs` keeps the two in step.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

use crate::coralogix::limits::{MAX_NAME_CHARS, MAX_REQUEST_BYTES, REQUEST_OVERHEAD_BYTES};
use crate::host::TriggerShape;

/// The Send-Your-Data API key. Its `Debug` and `Display` never show the value.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Coralogix regions and their domains (Coralogix docs, "Coralogix domain").
pub const REGIONS: &[(&str, &str)] = &[
    ("EU1", "eu1.coralogix.com"),
    ("EU2", "eu2.coralogix.com"),
    ("US1", "us1.coralogix.com"),
    ("US2", "us2.coralogix.com"),
    ("US3", "us3.coralogix.com"),
    ("AP1", "ap1.coralogix.com"),
    ("AP2", "ap2.coralogix.com"),
    ("AP3", "ap3.coralogix.com"),
    ("GOV1", "gov1.coralogixgov.us"),
];

/// Names of every environment variable the handler reads. The ARM template must set only
/// these (checked by `tests/settings_contract.rs`).
pub mod names {
    pub const PRIVATE_KEY: &str = "CORALOGIX_PRIVATE_KEY";
    pub const ENDPOINT: &str = "CORALOGIX_ENDPOINT";
    pub const DOMAIN: &str = "CORALOGIX_DOMAIN";
    pub const REGION: &str = "CORALOGIX_REGION";
    pub const APPLICATION: &str = "CORALOGIX_APPLICATION";
    pub const SUBSYSTEM: &str = "CORALOGIX_SUBSYSTEM";
    pub const SUBSYSTEM_MAP: &str = "CORALOGIX_SUBSYSTEM_MAP";
    pub const DELIVERY_TIMEOUT: &str = "DELIVERY_TIMEOUT_SECONDS";
    pub const REQUEST_TIMEOUT: &str = "REQUEST_TIMEOUT_SECONDS";
    pub const RETRY_MIN_DELAY: &str = "RETRY_MIN_DELAY_MS";
    pub const RETRY_MAX_DELAY: &str = "RETRY_MAX_DELAY_MS";
    pub const MAX_REQUEST_BYTES: &str = "MAX_REQUEST_BYTES";
    pub const MAX_CONCURRENT_REQUESTS: &str = "MAX_CONCURRENT_REQUESTS";
    pub const MAX_ENTRY_BYTES: &str = "MAX_ENTRY_BYTES";
    pub const COMPRESSION: &str = "COMPRESSION";
    pub const DROP_CATEGORIES: &str = "DROP_CATEGORIES";
    pub const DROP_SUCCESSFUL_CATEGORIES: &str = "DROP_SUCCESSFUL_CATEGORIES";
    pub const DEAD_LETTER_ENABLED: &str = "DEAD_LETTER_ENABLED";
    pub const MAX_BODY_BYTES: &str = "MAX_BODY_BYTES";
    pub const LOG_LEVEL: &str = "LOG_LEVEL";
    pub const MEMORY_BUDGET_MB: &str = "MEMORY_BUDGET_MB";
    pub const RESTAMP_OLD_RECORDS: &str = "RESTAMP_OLD_RECORDS";
    pub const SHUTDOWN_GRACE_SECONDS: &str = "SHUTDOWN_GRACE_SECONDS";
    pub const PORT: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";
    pub const LEGACY_PORT: &str = "FUNCTIONS_HTTPWORKER_PORT";

    /// Every setting above, for the contract test against the ARM template and the docs.
    pub const ALL: &[&str] = &[
        PRIVATE_KEY,
        ENDPOINT,
        DOMAIN,
        REGION,
        APPLICATION,
        SUBSYSTEM,
        SUBSYSTEM_MAP,
        DELIVERY_TIMEOUT,
        REQUEST_TIMEOUT,
        RETRY_MIN_DELAY,
        RETRY_MAX_DELAY,
        MAX_REQUEST_BYTES,
        MAX_CONCURRENT_REQUESTS,
        MAX_ENTRY_BYTES,
        COMPRESSION,
        DROP_CATEGORIES,
        DROP_SUCCESSFUL_CATEGORIES,
        DEAD_LETTER_ENABLED,
        MAX_BODY_BYTES,
        LOG_LEVEL,
        MEMORY_BUDGET_MB,
        RESTAMP_OLD_RECORDS,
        SHUTDOWN_GRACE_SECONDS,
        PORT,
        LEGACY_PORT,
    ];
}

pub const DEFAULT_APPLICATION: &str = "entra-id";
/// Well under host.json's `functionTimeout` (10 minutes), so a failing invocation answers the
/// host before the host gives up on it.
pub const DEFAULT_DELIVERY_TIMEOUT: Duration = Duration::from_secs(180);
/// Coralogix's own SDKs use 30 s per request.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_RETRY_MIN_DELAY: Duration = Duration::from_millis(500);
pub const DEFAULT_RETRY_MAX_DELAY: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 4;
/// Keeps every real Entra record in one entry (records are 1 to 9 KB; sign-ins with many
/// Conditional Access policies are the largest) and is far below the 2 MB request cap.
pub const DEFAULT_MAX_ENTRY_BYTES: usize = 256 * 1024;
/// A batch of 100 Event Hub events of 1 MB each, base64-encoded, is about 137 MB; leave room.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024 * 1024;
/// The smallest entry cap: room for the entry's name fields (each at most
/// `MAX_NAME_CHARS`) and a useful part of a record sent in parts.
pub const MIN_MAX_ENTRY_BYTES: usize = 16 * 1024;
/// How long in-flight invocations may go on after SIGTERM: well under the few seconds a
/// container runtime waits before it kills the process.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

/// How each record's Coralogix subsystem name is chosen.
#[derive(Debug, Clone, Default)]
pub struct SubsystemRule {
    /// `CORALOGIX_SUBSYSTEM`: one name for every entry.
    pub fixed: Option<String>,
    /// `CORALOGIX_SUBSYSTEM_MAP`: category (lower-cased) → name.
    pub renames: HashMap<String, String>,
}

impl SubsystemRule {
    /// The subsystem for a (pseudo-)category such as `SignInLogs` or `Uncategorized`.
    pub fn name_for<'a>(&'a self, category: &'a str) -> &'a str {
        if let Some(fixed) = &self.fixed {
            return fixed;
        }
        self.renames
            .get(&category.to_ascii_lowercase())
            .map(String::as_str)
            .unwrap_or(category)
    }
}

/// Operator rules that drop records on purpose (counted as `dropped`, never silently).
#[derive(Debug, Clone, Default)]
pub struct DropRules {
    /// Categories (lower-cased) dropped entirely.
    pub categories: Vec<String>,
    /// Categories (lower-cased) whose successful records are dropped.
    pub successful_in: Vec<String>,
}

impl DropRules {
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty() && self.successful_in.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// `None` only for `replay --dry-run`, which sends nothing.
    pub api_key: Option<ApiKey>,
    /// Full URL of `/logs/v1/singles`; `None` only for `replay --dry-run`.
    pub singles_url: Option<Url>,
    pub application: String,
    pub subsystem: SubsystemRule,
    pub drop: DropRules,
    pub delivery_timeout: Duration,
    pub request_timeout: Duration,
    pub retry_min_delay: Duration,
    pub retry_max_delay: Duration,
    pub max_request_bytes: usize,
    pub max_concurrent_requests: usize,
    pub max_entry_bytes: usize,
    pub compression: Compression,
    pub dead_letter: bool,
    pub max_body_bytes: usize,
    /// The instance-wide memory budget for invocations (`MEMORY_BUDGET_MB`).
    pub memory_budget_bytes: u64,
    /// Where the budget's default came from, or that it was set.
    pub memory_budget_source: String,
    /// Send entries older than 23 hours with the time of processing.
    pub restamp_old_records: bool,
    /// How long in-flight invocations may go on after SIGTERM.
    pub shutdown_grace: Duration,
    /// The trigger's shape as `EventHubTrigger/function.json` declares it; `None` to guess it
    /// from each request (no file found).
    pub trigger: Option<TriggerShape>,
    /// `FUNCTIONS_CUSTOMHANDLER_PORT`; required only to serve.
    pub port: Option<u16>,
}

/// What the settings are loaded for: serving and shipping need a key and an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Serve,
    Ship,
    DryRun,
}

/// A setting that is missing or malformed. Displays as one line naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct SettingsError {
    pub setting: &'static str,
    pub message: String,
}

fn err(setting: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError {
        setting,
        message: message.into(),
    }
}

impl Settings {
    /// Loads from the process environment, and reads the trigger's declaration from
    /// `EventHubTrigger/function.json` under the app's root (`FUNCTIONS_APP_ROOT_PATH`, set by
    /// the host, or the working directory) when serving.
    pub fn from_env(mode: Mode) -> Result<Self, SettingsError> {
        let mut settings = Self::load(mode, |name| std::env::var(name).ok())?;
        if mode == Mode::Serve {
            let root = std::env::var_os("FUNCTIONS_APP_ROOT_PATH")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| ".".into());
            settings.trigger =
                TriggerShape::read(&root).map_err(|e| err("EventHubTrigger/function.json", e))?;
        }
        Ok(settings)
    }

    /// Loads from any lookup (the environment, or a map in tests). Empty values count as unset,
    /// because ARM templates and the portal write empty strings for "not set".
    pub fn load(
        mode: Mode,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let api_key = match get(names::PRIVATE_KEY) {
            Some(key) => {
                if key.starts_with("@Microsoft.KeyVault(") {
                    return Err(err(
                        names::PRIVATE_KEY,
                        "is an unresolved Key Vault reference: give the app's identity the \"Key Vault Secrets User\" role on the vault and check the secret URI",
                    ));
                }
                if !key.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(err(
                        names::PRIVATE_KEY,
                        "contains characters other than visible ASCII (whitespace, a zero-width space, a byte order mark, curly quotes…); paste the Send-Your-Data API key alone",
                    ));
                }
                Some(ApiKey::new(key))
            }
            None if mode == Mode::DryRun => None,
            None => {
                return Err(err(
                    names::PRIVATE_KEY,
                    "is required: the Coralogix Send-Your-Data API key",
                ));
            }
        };

        let singles_url = match singles_url(&get)? {
            Some(url) => Some(url),
            None if mode == Mode::DryRun => None,
            None => {
                return Err(err(
                    names::REGION,
                    format!(
                        "no destination: set {} (one of {}), {} or {}",
                        names::REGION,
                        region_list(),
                        names::DOMAIN,
                        names::ENDPOINT
                    ),
                ));
            }
        };

        let application = name(names::APPLICATION, get(names::APPLICATION))?
            .unwrap_or_else(|| DEFAULT_APPLICATION.into());
        let subsystem = SubsystemRule {
            fixed: name(names::SUBSYSTEM, get(names::SUBSYSTEM))?,
            renames: parse_map(names::SUBSYSTEM_MAP, get(names::SUBSYSTEM_MAP).as_deref())?,
        };
        let drop = DropRules {
            categories: parse_list(get(names::DROP_CATEGORIES).as_deref()),
            successful_in: parse_list(get(names::DROP_SUCCESSFUL_CATEGORIES).as_deref()),
        };

        let delivery_timeout = seconds(
            names::DELIVERY_TIMEOUT,
            get(names::DELIVERY_TIMEOUT),
            DEFAULT_DELIVERY_TIMEOUT,
        )?;
        let request_timeout = seconds(
            names::REQUEST_TIMEOUT,
            get(names::REQUEST_TIMEOUT),
            DEFAULT_REQUEST_TIMEOUT,
        )?;
        let retry_min_delay = millis(
            names::RETRY_MIN_DELAY,
            get(names::RETRY_MIN_DELAY),
            DEFAULT_RETRY_MIN_DELAY,
        )?;
        let retry_max_delay = millis(
            names::RETRY_MAX_DELAY,
            get(names::RETRY_MAX_DELAY),
            DEFAULT_RETRY_MAX_DELAY,
        )?;
        if retry_min_delay.is_zero() {
            return Err(err(
                names::RETRY_MIN_DELAY,
                "must be at least 1: without a delay, retries would flood Coralogix",
            ));
        }
        if retry_max_delay < retry_min_delay {
            return Err(err(
                names::RETRY_MAX_DELAY,
                format!("must not be below {}", names::RETRY_MIN_DELAY),
            ));
        }

        let max_request_bytes = number(
            names::MAX_REQUEST_BYTES,
            get(names::MAX_REQUEST_BYTES),
            MAX_REQUEST_BYTES,
        )?;
        if max_request_bytes > MAX_REQUEST_BYTES {
            return Err(err(
                names::MAX_REQUEST_BYTES,
                format!(
                    "{max_request_bytes} is above the Coralogix limit of {MAX_REQUEST_BYTES} bytes per request"
                ),
            ));
        }
        // Unset, the entry cap follows a lowered request cap; set, it must fit in a request.
        let max_entry_bytes = number(
            names::MAX_ENTRY_BYTES,
            get(names::MAX_ENTRY_BYTES),
            DEFAULT_MAX_ENTRY_BYTES.min(max_request_bytes.saturating_sub(REQUEST_OVERHEAD_BYTES)),
        )?;
        if max_entry_bytes < MIN_MAX_ENTRY_BYTES {
            return Err(err(
                names::MAX_ENTRY_BYTES,
                format!(
                    "must be at least {MIN_MAX_ENTRY_BYTES} (with {} at {max_request_bytes}, the default is too small)",
                    names::MAX_REQUEST_BYTES
                ),
            ));
        }
        if max_entry_bytes + REQUEST_OVERHEAD_BYTES > max_request_bytes {
            return Err(err(
                names::MAX_ENTRY_BYTES,
                format!(
                    "{max_entry_bytes} does not fit in a request of {max_request_bytes} bytes ({})",
                    names::MAX_REQUEST_BYTES
                ),
            ));
        }
        let max_concurrent_requests = number(
            names::MAX_CONCURRENT_REQUESTS,
            get(names::MAX_CONCURRENT_REQUESTS),
            DEFAULT_MAX_CONCURRENT_REQUESTS,
        )?;
        if max_concurrent_requests == 0 || max_concurrent_requests > 64 {
            return Err(err(
                names::MAX_CONCURRENT_REQUESTS,
                "must be between 1 and 64",
            ));
        }

        let compression = match get(names::COMPRESSION)
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("none") | Some("off") | Some("false") => Compression::None,
            Some("gzip") => Compression::Gzip,
            Some(other) => {
                return Err(err(
                    names::COMPRESSION,
                    format!("unknown value {other:?} (expected none or gzip)"),
                ));
            }
        };
        let dead_letter = boolean(names::DEAD_LETTER_ENABLED, get(names::DEAD_LETTER_ENABLED))?;
        let max_body_bytes = number(
            names::MAX_BODY_BYTES,
            get(names::MAX_BODY_BYTES),
            DEFAULT_MAX_BODY_BYTES,
        )?;
        if max_body_bytes == 0 {
            return Err(err(
                names::MAX_BODY_BYTES,
                "must be at least 1: 0 would refuse every batch",
            ));
        }
        let (memory_budget_bytes, memory_budget_source) = match get(names::MEMORY_BUDGET_MB) {
            Some(v) => {
                let mb = number(names::MEMORY_BUDGET_MB, Some(v), 0)?;
                if !(64..=1 << 20).contains(&mb) {
                    return Err(err(
                        names::MEMORY_BUDGET_MB,
                        format!("{mb} is not a number of megabytes from 64 to 1048576"),
                    ));
                }
                (
                    (mb as u64) << 20,
                    format!("{} (set)", names::MEMORY_BUDGET_MB),
                )
            }
            None => crate::memory::default_budget(),
        };
        let restamp_old_records = match get(names::RESTAMP_OLD_RECORDS) {
            None => true,
            v => boolean(names::RESTAMP_OLD_RECORDS, v)?,
        };
        let shutdown_grace = match get(names::SHUTDOWN_GRACE_SECONDS) {
            None => DEFAULT_SHUTDOWN_GRACE,
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && (0.0..=600.0).contains(s))
                .map(Duration::from_secs_f64)
                .ok_or_else(|| {
                    err(
                        names::SHUTDOWN_GRACE_SECONDS,
                        format!("{v:?} is not a number of seconds from 0 to 600"),
                    )
                })?,
        };

        let port = match get(names::PORT).or_else(|| get(names::LEGACY_PORT)) {
            Some(p) => Some(
                p.parse::<u16>()
                    .map_err(|_| err(names::PORT, format!("{p:?} is not a TCP port number")))?,
            ),
            None if mode == Mode::Serve => {
                return Err(err(
                    names::PORT,
                    "is not set: the Azure Functions host sets it when it starts the handler (run `entra-coralogix replay` to ship files without the host)",
                ));
            }
            None => None,
        };

        Ok(Settings {
            api_key,
            singles_url,
            application,
            subsystem,
            drop,
            delivery_timeout,
            request_timeout,
            retry_min_delay,
            retry_max_delay,
            max_request_bytes,
            max_concurrent_requests,
            max_entry_bytes,
            compression,
            dead_letter,
            max_body_bytes,
            memory_budget_bytes,
            memory_budget_source,
            restamp_old_records,
            shutdown_grace,
            trigger: None,
            port,
        })
    }
}

fn region_list() -> String {
    REGIONS
        .iter()
        .map(|(r, _)| *r)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which setting gave the destination, and which others were set and ignored.
pub fn destination_source(lookup: impl Fn(&str) -> Option<String>) -> String {
    let set: Vec<&str> = [names::ENDPOINT, names::DOMAIN, names::REGION]
        .into_iter()
        .filter(|n| lookup(n).is_some_and(|v| !v.trim().is_empty()))
        .collect();
    match set.as_slice() {
        [] => "no destination set".into(),
        [one] => format!("from {one}"),
        [first, rest @ ..] => format!(
            "from {first}, which wins over {} (also set, ignored)",
            rest.join(" and ")
        ),
    }
}

/// `CORALOGIX_ENDPOINT` overrides `CORALOGIX_DOMAIN`, which overrides `CORALOGIX_REGION`.
fn singles_url(get: &impl Fn(&str) -> Option<String>) -> Result<Option<Url>, SettingsError> {
    let base = if let Some(endpoint) = get(names::ENDPOINT) {
        parse_endpoint(&endpoint)?
    } else if let Some(domain) = get(names::DOMAIN) {
        parse_domain(&domain)?
    } else if let Some(region) = get(names::REGION) {
        let domain = REGIONS
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(&region))
            .map(|(_, d)| *d)
            .ok_or_else(|| {
                err(
                    names::REGION,
                    format!(
                        "unknown region {region:?} (expected one of {})",
                        region_list()
                    ),
                )
            })?;
        Url::parse(&format!("https://ingress.{domain}")).expect("region table holds valid hosts")
    } else {
        return Ok(None);
    };
    let mut url = base;
    let path = format!("{}/logs/v1/singles", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(Some(url))
}

fn parse_endpoint(endpoint: &str) -> Result<Url, SettingsError> {
    let url = Url::parse(endpoint).map_err(|e| {
        err(
            names::ENDPOINT,
            format!(
                "{:?} is not a URL ({e}); expected e.g. https://ingress.eu1.coralogix.com",
                without_secrets(endpoint)
            ),
        )
    })?;
    let host = url
        .host_str()
        .ok_or_else(|| err(names::ENDPOINT, "has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(err(
                names::ENDPOINT,
                "plain http:// is allowed only for a loopback host (local testing); use https://",
            ));
        }
        other => {
            return Err(err(
                names::ENDPOINT,
                format!("scheme {other:?} is not supported; use https://"),
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err(
            names::ENDPOINT,
            "must not carry credentials; the key goes in CORALOGIX_PRIVATE_KEY",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(err(names::ENDPOINT, "must not have a query or fragment"));
    }
    if url
        .path()
        .trim_end_matches('/')
        .ends_with("/logs/v1/singles")
    {
        return Err(err(
            names::ENDPOINT,
            "give the base URL only (e.g. https://ingress.eu1.coralogix.com); the handler appends /logs/v1/singles",
        ));
    }
    Ok(url)
}

/// A URL-like text without what could be secret: user information (before an `@` in the
/// authority) and the query and fragment.
fn without_secrets(text: &str) -> String {
    let text = text.split(['?', '#']).next().unwrap_or("");
    let (scheme, rest) = match text.find("://") {
        Some(i) => (&text[..i + 3], &text[i + 3..]),
        None => ("", text),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("<credentials>@{}", &authority[at + 1..]),
        None => authority.to_owned(),
    };
    format!("{scheme}{authority}{path}")
}

fn parse_domain(domain: &str) -> Result<Url, SettingsError> {
    if domain.contains("://") || domain.contains('/') {
        return Err(err(
            names::DOMAIN,
            format!(
                "{domain:?} should be a bare domain such as eu1.coralogix.com (use {} for a URL)",
                names::ENDPOINT
            ),
        ));
    }
    let host = if domain.starts_with("ingress.") {
        domain.to_owned()
    } else {
        format!("ingress.{domain}")
    };
    Url::parse(&format!("https://{host}"))
        .ok()
        .filter(|u| u.host_str().is_some())
        .ok_or_else(|| err(names::DOMAIN, format!("{domain:?} is not a valid domain")))
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn name(setting: &'static str, value: Option<String>) -> Result<Option<String>, SettingsError> {
    match value {
        Some(v) if v.chars().count() > MAX_NAME_CHARS => Err(err(
            setting,
            format!("is longer than {MAX_NAME_CHARS} characters"),
        )),
        other => Ok(other),
    }
}

fn parse_list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse_map(
    setting: &'static str,
    value: Option<&str>,
) -> Result<HashMap<String, String>, SettingsError> {
    let mut map = HashMap::new();
    for pair in value.unwrap_or("").split(',').map(str::trim) {
        if pair.is_empty() {
            continue;
        }
        let (from, to) = pair
            .split_once('=')
            .map(|(a, b)| (a.trim(), b.trim()))
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            .ok_or_else(|| {
                err(
                    setting,
                    format!(
                        "{pair:?} is not Category=name (e.g. SignInLogs=signins,AuditLogs=audit)"
                    ),
                )
            })?;
        if to.chars().count() > MAX_NAME_CHARS {
            return Err(err(
                setting,
                format!("the name for {from} is longer than {MAX_NAME_CHARS} characters"),
            ));
        }
        map.insert(from.to_ascii_lowercase(), to.to_owned());
    }
    Ok(map)
}

fn number(
    setting: &'static str,
    value: Option<String>,
    default: usize,
) -> Result<usize, SettingsError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .replace('_', "")
            .parse::<usize>()
            .map_err(|_| err(setting, format!("{v:?} is not a whole number"))),
    }
}

fn seconds(
    setting: &'static str,
    value: Option<String>,
    default: Duration,
) -> Result<Duration, SettingsError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| {
                err(
                    setting,
                    format!("{v:?} is not a number of seconds between 0 and 86400"),
                )
            }),
    }
}

fn millis(
    setting: &'static str,
    value: Option<String>,
    default: Duration,
) -> Result<Duration, SettingsError> {
    match value {
        None => Ok(default),
        Some(v) => v.parse::<u64>().map(Duration::from_millis).map_err(|_| {
            err(
                setting,
                format!("{v:?} is not a whole number of milliseconds"),
            )
        }),
    }
}

fn boolean(setting: &'static str, value: Option<String>) -> Result<bool, SettingsError> {
    match value.map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(other) => Err(err(setting, format!("{other:?} is not true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(mode: Mode, vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load(mode, |k| map.get(k).cloned())
    }

    const KEY: (&str, &str) = ("CORALOGIX_PRIVATE_KEY", "cxtp_secret");

    #[test]
    fn region_is_case_insensitive_and_builds_the_ingress_url() {
        let s = load(Mode::Ship, &[KEY, ("CORALOGIX_REGION", "eu2")]).unwrap();
        assert_eq!(
            s.singles_url.unwrap().as_str(),
            "https://ingress.eu2.coralogix.com/logs/v1/singles"
        );
        let s = load(Mode::Ship, &[KEY, ("CORALOGIX_REGION", "GOV1")]).unwrap();
        assert_eq!(
            s.singles_url.unwrap().as_str(),
            "https://ingress.gov1.coralogixgov.us/logs/v1/singles"
        );
    }

    #[test]
    fn endpoint_overrides_domain_which_overrides_region() {
        let s = load(
            Mode::Ship,
            &[
                KEY,
                ("CORALOGIX_REGION", "US1"),
                ("CORALOGIX_DOMAIN", "ap3.coralogix.com"),
            ],
        )
        .unwrap();
        assert_eq!(
            s.singles_url.unwrap().as_str(),
            "https://ingress.ap3.coralogix.com/logs/v1/singles"
        );
        let s = load(
            Mode::Ship,
            &[
                KEY,
                ("CORALOGIX_REGION", "US1"),
                ("CORALOGIX_DOMAIN", "ap3.coralogix.com"),
                ("CORALOGIX_ENDPOINT", "https://proxy.example.com/cx/"),
            ],
        )
        .unwrap();
        assert_eq!(
            s.singles_url.unwrap().as_str(),
            "https://proxy.example.com/cx/logs/v1/singles"
        );
    }

    #[test]
    fn unknown_region_names_the_setting() {
        let e = load(Mode::Ship, &[KEY, ("CORALOGIX_REGION", "EU9")]).unwrap_err();
        assert_eq!(e.setting, "CORALOGIX_REGION");
        assert!(
            e.to_string()
                .starts_with("CORALOGIX_REGION: unknown region \"EU9\"")
        );
    }

    #[test]
    fn no_destination_and_no_key_are_errors_except_for_dry_run() {
        assert_eq!(
            load(Mode::Ship, &[KEY]).unwrap_err().setting,
            "CORALOGIX_REGION"
        );
        assert_eq!(
            load(Mode::Ship, &[("CORALOGIX_REGION", "EU1")])
                .unwrap_err()
                .setting,
            "CORALOGIX_PRIVATE_KEY"
        );
        let s = load(Mode::DryRun, &[]).unwrap();
        assert!(s.api_key.is_none() && s.singles_url.is_none());
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            load(Mode::Ship, &[KEY, ("CORALOGIX_ENDPOINT", ok)]).unwrap();
        }
        let e = load(
            Mode::Ship,
            &[
                KEY,
                ("CORALOGIX_ENDPOINT", "http://ingress.eu1.coralogix.com"),
            ],
        )
        .unwrap_err();
        assert_eq!(e.setting, "CORALOGIX_ENDPOINT");
        let e = load(
            Mode::Ship,
            &[KEY, ("CORALOGIX_ENDPOINT", "https://u:p@host")],
        )
        .unwrap_err();
        assert_eq!(e.setting, "CORALOGIX_ENDPOINT");
    }

    #[test]
    fn request_size_cannot_exceed_the_documented_limit() {
        let e = load(
            Mode::Ship,
            &[
                KEY,
                ("CORALOGIX_REGION", "EU1"),
                ("MAX_REQUEST_BYTES", "3000000"),
            ],
        )
        .unwrap_err();
        assert_eq!(e.setting, "MAX_REQUEST_BYTES");
        let s = load(
            Mode::Ship,
            &[
                KEY,
                ("CORALOGIX_REGION", "EU1"),
                ("MAX_REQUEST_BYTES", "500000"),
            ],
        )
        .unwrap();
        assert_eq!(s.max_request_bytes, 500_000);
        assert_eq!(s.max_entry_bytes, DEFAULT_MAX_ENTRY_BYTES);
        let s = load(
            Mode::Ship,
            &[
                KEY,
                ("CORALOGIX_REGION", "EU1"),
                ("MAX_REQUEST_BYTES", "100000"),
            ],
        )
        .unwrap();
        assert_eq!(s.max_entry_bytes, 99_998, "follows a lowered request cap");
        let e = load(
            Mode::Ship,
            &[
                KEY,
                ("CORALOGIX_REGION", "EU1"),
                ("MAX_REQUEST_BYTES", "100000"),
                ("MAX_ENTRY_BYTES", "200000"),
            ],
        )
        .unwrap_err();
        assert_eq!(e.setting, "MAX_ENTRY_BYTES");
    }

    #[test]
    fn subsystem_map_and_fixed_name() {
        let s = load(
            Mode::DryRun,
            &[(
                "CORALOGIX_SUBSYSTEM_MAP",
                "SignInLogs=signins, auditlogs = audit",
            )],
        )
        .unwrap();
        assert_eq!(s.subsystem.name_for("SignInLogs"), "signins");
        assert_eq!(s.subsystem.name_for("AuditLogs"), "audit");
        assert_eq!(s.subsystem.name_for("ProvisioningLogs"), "ProvisioningLogs");
        let s = load(
            Mode::DryRun,
            &[
                ("CORALOGIX_SUBSYSTEM", "entra"),
                ("CORALOGIX_SUBSYSTEM_MAP", "SignInLogs=x"),
            ],
        )
        .unwrap();
        assert_eq!(s.subsystem.name_for("SignInLogs"), "entra");
        let e = load(Mode::DryRun, &[("CORALOGIX_SUBSYSTEM_MAP", "SignInLogs")]).unwrap_err();
        assert_eq!(e.setting, "CORALOGIX_SUBSYSTEM_MAP");
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let s = load(Mode::Ship, &[KEY, ("CORALOGIX_REGION", "EU1")]).unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("cxtp_secret"), "{debug}");
        assert!(debug.contains("<redacted>"));
        assert_eq!(s.api_key.unwrap().to_string(), "<redacted>");
    }

    #[test]
    fn an_unresolved_key_vault_reference_is_refused() {
        let reference = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/cx/)";
        let e = load(
            Mode::Ship,
            &[
                ("CORALOGIX_PRIVATE_KEY", reference),
                ("CORALOGIX_REGION", "EU1"),
            ],
        )
        .unwrap_err();
        assert_eq!(e.setting, "CORALOGIX_PRIVATE_KEY");
        assert!(e.message.contains("Key Vault"));
        assert!(
            !e.to_string().contains("kv.vault"),
            "the reference is not echoed"
        );
    }

    #[test]
    fn a_key_with_invisible_or_typographic_characters_is_refused_without_showing_it() {
        for key in [
            "cxtp_abc\u{200B}def",
            "\u{FEFF}cxtp_abcdef",
            "\u{201C}cxtp_abcdef\u{201D}",
            "cxtp_abc\u{00A0}def",
            "cxtp_abc\u{7F}def",
        ] {
            let e = load(
                Mode::Ship,
                &[("CORALOGIX_PRIVATE_KEY", key), ("CORALOGIX_REGION", "EU1")],
            )
            .unwrap_err();
            assert_eq!(e.setting, "CORALOGIX_PRIVATE_KEY");
            assert!(!e.to_string().contains("abc"), "{e}");
        }
    }

    #[test]
    fn an_endpoint_that_does_not_parse_is_shown_without_credentials_or_query() {
        let e = load(
            Mode::Ship,
            &[
                KEY,
                (
                    "CORALOGIX_ENDPOINT",
                    "https://user:s3cret@proxy.example:99999/cx?token=t0ken",
                ),
            ],
        )
        .unwrap_err();
        assert_eq!(e.setting, "CORALOGIX_ENDPOINT");
        let text = e.to_string();
        assert!(
            !text.contains("s3cret") && !text.contains("user") && !text.contains("t0ken"),
            "{text}"
        );
        assert!(text.contains("proxy.example"), "{text}");
        assert_eq!(
            without_secrets("http://a:b@c@host/x?q#f"),
            "http://<credentials>@host/x"
        );
    }

    #[test]
    fn settings_that_would_flood_or_refuse_everything_are_refused() {
        for (name, value) in [
            ("RETRY_MIN_DELAY_MS", "0"),
            ("MAX_BODY_BYTES", "0"),
            ("MEMORY_BUDGET_MB", "1"),
            ("SHUTDOWN_GRACE_SECONDS", "-1"),
            ("RESTAMP_OLD_RECORDS", "maybe"),
        ] {
            let vars = [KEY, ("CORALOGIX_REGION", "EU1"), (name, value)];
            let mut vars = vars.to_vec();
            if name == "RETRY_MIN_DELAY_MS" {
                vars.push(("RETRY_MAX_DELAY_MS", "0"));
            }
            assert_eq!(load(Mode::Ship, &vars).unwrap_err().setting, name);
        }
        let s = load(
            Mode::Ship,
            &[
                KEY,
                ("CORALOGIX_REGION", "EU1"),
                ("MEMORY_BUDGET_MB", "512"),
            ],
        )
        .unwrap();
        assert_eq!(s.memory_budget_bytes, 512 << 20);
        assert!(s.restamp_old_records);
    }

    #[test]
    fn serve_needs_the_port() {
        let e = load(Mode::Serve, &[KEY, ("CORALOGIX_REGION", "EU1")]).unwrap_err();
        assert_eq!(e.setting, "FUNCTIONS_CUSTOMHANDLER_PORT");
        let s = load(
            Mode::Serve,
            &[
                KEY,
                ("CORALOGIX_REGION", "EU1"),
                ("FUNCTIONS_CUSTOMHANDLER_PORT", "7071"),
            ],
        )
        .unwrap();
        assert_eq!(s.port, Some(7071));
    }
}
