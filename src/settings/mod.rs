//! Settings, read from the environment (the Function App's app settings) once at start.
//!
//! [`TABLE`] lists every setting once: its name, its default, and the kind of value it takes,
//! which decides how it is read, its range, and the one line an invalid value gets (naming the
//! setting, never showing a secret). [`Settings::load`] reads each through it and then checks
//! what holds between settings. The README's Configuration table and the ARM template are
//! checked against the table by `tests/settings_contract.rs`.

mod controls;
mod destination;
mod privacy;
mod rules;
mod table;

use std::time::Duration;

use reqwest::Url;

use crate::host::TriggerShape;
use crate::limits::{MAX_REQUEST_BYTES, REQUEST_OVERHEAD_BYTES};
use crate::privacy::Masker;

pub use destination::{REGION_CODES, REGIONS, destination_source};
pub use rules::{ApiKey, DropRules, SubsystemRule};
pub use table::{Default, Kind, SettingsError, Spec};

use table::{Default as D, Kind as K, Reader, err};

/// The names of the settings, for code that refers to one (each is its own documentation:
/// see [`TABLE`] and the README's Configuration table).
#[allow(missing_docs)]
pub mod names {
    pub const PRIVATE_KEY: &str = "CORALOGIX_PRIVATE_KEY";
    pub const REGION: &str = "CORALOGIX_REGION";
    pub const DOMAIN: &str = "CORALOGIX_DOMAIN";
    pub const ENDPOINT: &str = "CORALOGIX_ENDPOINT";
    pub const OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
    pub const EXTRA_CA_CERTS: &str = "EXTRA_CA_CERTS";
    pub const APPLICATION: &str = "CORALOGIX_APPLICATION";
    pub const SUBSYSTEM: &str = "CORALOGIX_SUBSYSTEM";
    pub const SUBSYSTEM_MAP: &str = "CORALOGIX_SUBSYSTEM_MAP";
    pub const DROP_CATEGORIES: &str = "DROP_CATEGORIES";
    pub const DROP_SUCCESSFUL_CATEGORIES: &str = "DROP_SUCCESSFUL_CATEGORIES";
    pub const APPLICATION_SELECTOR: &str = "CORALOGIX_APPLICATION_SELECTOR";
    pub const SUBSYSTEM_SELECTOR: &str = "CORALOGIX_SUBSYSTEM_SELECTOR";
    pub const BLOCKING_PATTERN: &str = "BLOCKING_PATTERN";
    pub const FILTER_RULES: &str = "FILTER_RULES";
    pub const INCLUDE_METADATA: &str = "INCLUDE_METADATA";
    pub const MASK_FIELDS: &str = "MASK_FIELDS";
    pub const MASK_VALUES: &str = "MASK_VALUES";
    pub const MASK_MODE: &str = "MASK_MODE";
    pub const PSEUDONYMIZE_KEY: &str = "PSEUDONYMIZE_KEY";
    pub const SELF_MONITORING_SUBSYSTEM: &str = "SELF_MONITORING_SUBSYSTEM";
    pub const DELIVERY_TIMEOUT: &str = "DELIVERY_TIMEOUT_SECONDS";
    pub const REQUEST_TIMEOUT: &str = "REQUEST_TIMEOUT_SECONDS";
    pub const RETRY_MIN_DELAY: &str = "RETRY_MIN_DELAY_MS";
    pub const RETRY_MAX_DELAY: &str = "RETRY_MAX_DELAY_MS";
    pub const MAX_REQUEST_BYTES: &str = "MAX_REQUEST_BYTES";
    pub const MAX_ENTRY_BYTES: &str = "MAX_ENTRY_BYTES";
    pub const MAX_CONCURRENT_REQUESTS: &str = "MAX_CONCURRENT_REQUESTS";
    pub const COMPRESSION: &str = "COMPRESSION";
    pub const DEAD_LETTER_ENABLED: &str = "DEAD_LETTER_ENABLED";
    pub const MAX_BODY_BYTES: &str = "MAX_BODY_BYTES";
    pub const MEMORY_BUDGET_MB: &str = "MEMORY_BUDGET_MB";
    pub const RESTAMP_OLD_RECORDS: &str = "RESTAMP_OLD_RECORDS";
    pub const SHUTDOWN_GRACE_SECONDS: &str = "SHUTDOWN_GRACE_SECONDS";
    pub const LOG_LEVEL: &str = "LOG_LEVEL";
    pub const PORT: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";
    pub const LEGACY_PORT: &str = "FUNCTIONS_HTTPWORKER_PORT";
}

const fn spec(name: &'static str, default: D, kind: K) -> Spec {
    Spec {
        name,
        default,
        kind,
        by_host: false,
    }
}

/// The smallest entry cap: room for the entry's name fields (each at most
/// `MAX_NAME_CHARS`) and a useful part of a record sent in parts.
pub const MIN_MAX_ENTRY_BYTES: u64 = 16 * 1024;

/// Every setting the binary reads, in the README's order.
pub const TABLE: &[Spec] = &[
    spec(names::PRIVATE_KEY, D::None("required"), K::Secret),
    spec(names::REGION, D::None(""), K::Choice(REGION_CODES)),
    spec(names::DOMAIN, D::None(""), K::Text),
    spec(names::ENDPOINT, D::None(""), K::Text),
    spec(names::OTLP_ENDPOINT, D::None(""), K::Text),
    spec(names::EXTRA_CA_CERTS, D::None(""), K::Text),
    spec(names::APPLICATION, D::Value("entra-id"), K::Name),
    spec(names::SUBSYSTEM, D::None(""), K::Name),
    spec(names::SUBSYSTEM_MAP, D::None(""), K::Text),
    spec(names::DROP_CATEGORIES, D::None(""), K::Text),
    spec(names::DROP_SUCCESSFUL_CATEGORIES, D::None(""), K::Text),
    spec(names::APPLICATION_SELECTOR, D::None(""), K::Text),
    spec(names::SUBSYSTEM_SELECTOR, D::None(""), K::Text),
    spec(names::BLOCKING_PATTERN, D::None(""), K::Text),
    spec(names::FILTER_RULES, D::None(""), K::Text),
    spec(names::INCLUDE_METADATA, D::Value("false"), K::Bool),
    spec(names::MASK_FIELDS, D::None(""), K::Text),
    spec(names::MASK_VALUES, D::None(""), K::Text),
    spec(
        names::MASK_MODE,
        D::Computed("`pseudonymize` when `PSEUDONYMIZE_KEY` is set, else `replace`"),
        K::Choice(&["replace", "pseudonymize"]),
    ),
    spec(names::PSEUDONYMIZE_KEY, D::None(""), K::Secret),
    spec(names::SELF_MONITORING_SUBSYSTEM, D::None(""), K::Name),
    // Well under host.json's functionTimeout (10 minutes), so that a failing invocation
    // answers the host before the host gives up on it.
    spec(
        names::DELIVERY_TIMEOUT,
        D::Value("180"),
        K::Seconds {
            min: 1.0,
            max: 86_400.0,
        },
    ),
    // Coralogix's own SDKs use 30 s per request.
    spec(
        names::REQUEST_TIMEOUT,
        D::Value("30"),
        K::Seconds {
            min: 0.1,
            max: 3_600.0,
        },
    ),
    // Never 0: without a delay, retries would flood Coralogix.
    spec(
        names::RETRY_MIN_DELAY,
        D::Value("500"),
        K::Millis {
            min: 1,
            max: 3_600_000,
        },
    ),
    spec(
        names::RETRY_MAX_DELAY,
        D::Value("30000"),
        K::Millis {
            min: 1,
            max: 3_600_000,
        },
    ),
    spec(
        names::MAX_REQUEST_BYTES,
        D::Value("2000000"),
        K::Count {
            min: MIN_MAX_ENTRY_BYTES + REQUEST_OVERHEAD_BYTES as u64,
            max: MAX_REQUEST_BYTES as u64,
            unit: "bytes",
        },
    ),
    // Keeps every real Entra record in one entry (records are 1 to 9 KB; sign-ins with many
    // Conditional Access policies are the largest) and is far below the request cap.
    spec(
        names::MAX_ENTRY_BYTES,
        D::Value("262144"),
        K::Count {
            min: MIN_MAX_ENTRY_BYTES,
            max: (MAX_REQUEST_BYTES - REQUEST_OVERHEAD_BYTES) as u64,
            unit: "bytes",
        },
    ),
    spec(
        names::MAX_CONCURRENT_REQUESTS,
        D::Value("4"),
        K::Count {
            min: 1,
            max: 64,
            unit: "requests",
        },
    ),
    spec(
        names::COMPRESSION,
        D::Value("gzip"),
        K::Choice(&["none", "gzip"]),
    ),
    spec(names::DEAD_LETTER_ENABLED, D::Value("false"), K::Bool),
    // A batch of 100 Event Hub events of 1 MB each, base64-encoded, is about 137 MB.
    spec(
        names::MAX_BODY_BYTES,
        D::Value("268435456"),
        K::Count {
            min: 1,
            max: 1 << 34,
            unit: "bytes",
        },
    ),
    spec(
        names::MEMORY_BUDGET_MB,
        D::Computed("60% of the container's memory limit, leaving at least 300 MiB"),
        K::Count {
            min: 64,
            max: 1 << 20,
            unit: "megabytes",
        },
    ),
    spec(names::RESTAMP_OLD_RECORDS, D::Value("true"), K::Bool),
    // Well under the few seconds a container runtime waits before it kills the process.
    spec(
        names::SHUTDOWN_GRACE_SECONDS,
        D::Value("5"),
        K::Seconds {
            min: 0.0,
            max: 600.0,
        },
    ),
    spec(names::LOG_LEVEL, D::Value("info"), K::Text),
    Spec {
        name: names::PORT,
        default: D::None("set by the Functions host"),
        kind: K::Count {
            min: 0,
            max: 65_535,
            unit: "a TCP port",
        },
        by_host: true,
    },
    Spec {
        name: names::LEGACY_PORT,
        default: D::None("set by older Functions hosts"),
        kind: K::Count {
            min: 0,
            max: 65_535,
            unit: "a TCP port",
        },
        by_host: true,
    },
];

/// The table's entry for `name`.
pub fn spec_of(name: &str) -> &'static Spec {
    TABLE
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the settings table"))
}

/// Request compression (`COMPRESSION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Request bodies as they are.
    None,
    /// Request bodies compressed with gzip (`Content-Encoding: gzip`).
    Gzip,
}

/// Everything the handler is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `None` only for `replay --dry-run`, which sends nothing.
    pub api_key: Option<ApiKey>,
    /// Full URL of `/logs/v1/singles`; `None` only for `replay --dry-run`.
    pub singles_url: Option<Url>,
    /// `EXTRA_CA_CERTS`: PEM certificates to trust besides the system's roots.
    pub extra_ca_certs: Option<String>,
    /// `CORALOGIX_APPLICATION`.
    pub application: String,
    /// How the subsystem of each entry is chosen.
    pub subsystem: SubsystemRule,
    /// What the operator drops on purpose.
    pub drop: DropRules,
    /// The operator's filters, name selectors and metadata (`crate::controls`).
    pub controls: crate::controls::Controls,
    /// The personal data masked in every record (`MASK_*`); `None` masks nothing.
    pub masker: Option<Masker>,
    /// `SELF_MONITORING_SUBSYSTEM`: also ship each invocation's summary as an entry of this
    /// subsystem.
    pub self_monitoring: Option<String>,
    /// `DELIVERY_TIMEOUT_SECONDS`: the time one invocation may spend delivering.
    pub delivery_timeout: Duration,
    /// `REQUEST_TIMEOUT_SECONDS`: the time one HTTP request may take.
    pub request_timeout: Duration,
    /// `RETRY_MIN_DELAY_MS`: the backoff's first delay.
    pub retry_min_delay: Duration,
    /// `RETRY_MAX_DELAY_MS`: the backoff's longest delay.
    pub retry_max_delay: Duration,
    /// `MAX_REQUEST_BYTES`: the largest request body.
    pub max_request_bytes: usize,
    /// `MAX_CONCURRENT_REQUESTS`: requests in flight per invocation.
    pub max_concurrent_requests: usize,
    /// `MAX_ENTRY_BYTES`: the largest entry; larger records go in parts.
    pub max_entry_bytes: usize,
    /// `COMPRESSION`.
    pub compression: Compression,
    /// `DEAD_LETTER_ENABLED`: park what was not delivered in a blob.
    pub dead_letter: bool,
    /// `MAX_BODY_BYTES`: the largest request accepted from the host.
    pub max_body_bytes: usize,
    /// The instance-wide memory budget for invocations (`MEMORY_BUDGET_MB`).
    pub memory_budget_bytes: u64,
    /// Where the budget's value came from.
    pub memory_budget_source: String,
    /// Send entries older than 23 hours with the time of processing.
    pub restamp_old_records: bool,
    /// How long in-flight invocations may go on after SIGTERM.
    pub shutdown_grace: Duration,
    /// The `tracing` filter `LOG_LEVEL` gives.
    pub log_filter: String,
    /// The trigger's shape as `EventHubTrigger/function.json` declares it; `None` to guess it
    /// from each request (no file found).
    pub trigger: Option<TriggerShape>,
    /// `FUNCTIONS_CUSTOMHANDLER_PORT`; required only to serve.
    pub port: Option<u16>,
}

/// What the settings are loaded for: serving and shipping need a key and an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Serving the Functions host: a key, a destination and a port are needed.
    Serve,
    /// `replay`: a key and a destination are needed.
    Ship,
    /// `replay --dry-run`: nothing is needed, nothing is sent.
    DryRun,
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

    /// Loads from any lookup (the environment, or a map in tests).
    pub fn load(
        mode: Mode,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let r = Reader::new(lookup);
        let raw = |name| r.raw(spec_of(name));
        let api_key = match raw(names::PRIVATE_KEY) {
            Some(key) => Some(ApiKey::parse(&key)?),
            None if mode == Mode::DryRun => None,
            None => {
                return Err(err(
                    names::PRIVATE_KEY,
                    "is required: the Coralogix Send-Your-Data API key",
                ));
            }
        };
        let region = r.choice(spec_of(names::REGION))?;
        let url = destination::singles_url(
            raw(names::ENDPOINT).as_deref(),
            raw(names::DOMAIN).as_deref(),
            region.as_deref(),
            raw(names::OTLP_ENDPOINT).as_deref(),
        )?;
        if url.is_none() && mode != Mode::DryRun {
            return Err(err(
                names::REGION,
                format!(
                    "no destination: set {} (one of {}), {} or {} (or the Coralogix function's {})",
                    names::REGION,
                    destination::region_list(),
                    names::DOMAIN,
                    names::ENDPOINT,
                    names::OTLP_ENDPOINT
                ),
            ));
        }
        let duration = |name| r.duration(spec_of(name)).map(|d| d.expect("has a default"));
        let count = |name| r.count(spec_of(name));
        let (memory_budget_bytes, memory_budget_source) = match count(names::MEMORY_BUDGET_MB)? {
            Some(mb) => (mb << 20, format!("{} (set)", names::MEMORY_BUDGET_MB)),
            None => crate::memory::default_budget(),
        };
        let port = match raw(names::PORT).or_else(|| raw(names::LEGACY_PORT)) {
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
        let settings = Settings {
            api_key,
            singles_url: url,
            extra_ca_certs: rules::extra_ca_certs(raw(names::EXTRA_CA_CERTS).as_deref())?,
            application: r.name(spec_of(names::APPLICATION))?.expect("has a default"),
            subsystem: SubsystemRule {
                fixed: r.name(spec_of(names::SUBSYSTEM))?,
                renames: rules::category_map(
                    names::SUBSYSTEM_MAP,
                    raw(names::SUBSYSTEM_MAP).as_deref(),
                )?,
            },
            drop: DropRules {
                categories: rules::category_list(
                    names::DROP_CATEGORIES,
                    raw(names::DROP_CATEGORIES).as_deref(),
                )?,
                successful_in: rules::category_list(
                    names::DROP_SUCCESSFUL_CATEGORIES,
                    raw(names::DROP_SUCCESSFUL_CATEGORIES).as_deref(),
                )?,
            },
            controls: controls::controls(&r)?,
            masker: privacy::masker(&r)?,
            self_monitoring: r.name(spec_of(names::SELF_MONITORING_SUBSYSTEM))?,
            delivery_timeout: duration(names::DELIVERY_TIMEOUT)?,
            request_timeout: duration(names::REQUEST_TIMEOUT)?,
            retry_min_delay: duration(names::RETRY_MIN_DELAY)?,
            retry_max_delay: duration(names::RETRY_MAX_DELAY)?,
            max_request_bytes: count(names::MAX_REQUEST_BYTES)?.expect("has a default") as usize,
            max_concurrent_requests: count(names::MAX_CONCURRENT_REQUESTS)?.expect("has a default")
                as usize,
            max_entry_bytes: count(names::MAX_ENTRY_BYTES)?.expect("has a default") as usize,
            compression: match r.choice(spec_of(names::COMPRESSION))?.as_deref() {
                Some("gzip") => Compression::Gzip,
                _ => Compression::None,
            },
            dead_letter: r.bool(spec_of(names::DEAD_LETTER_ENABLED))?,
            max_body_bytes: count(names::MAX_BODY_BYTES)?.expect("has a default") as usize,
            memory_budget_bytes,
            memory_budget_source,
            restamp_old_records: r.bool(spec_of(names::RESTAMP_OLD_RECORDS))?,
            shutdown_grace: duration(names::SHUTDOWN_GRACE_SECONDS)?,
            log_filter: rules::log_filter(raw(names::LOG_LEVEL).as_deref())?,
            trigger: None,
            port,
        };
        settings.validate(r.raw(spec_of(names::MAX_ENTRY_BYTES)).is_some())
    }

    /// What holds between settings. `entry_cap_set`: `MAX_ENTRY_BYTES` was set (unset, it
    /// follows a lowered `MAX_REQUEST_BYTES`).
    fn validate(mut self, entry_cap_set: bool) -> Result<Self, SettingsError> {
        if self.retry_max_delay < self.retry_min_delay {
            return Err(err(
                names::RETRY_MAX_DELAY,
                format!(
                    "{} ms is below {} ({} ms)",
                    self.retry_max_delay.as_millis(),
                    names::RETRY_MIN_DELAY,
                    self.retry_min_delay.as_millis()
                ),
            ));
        }
        let room = self.max_request_bytes - REQUEST_OVERHEAD_BYTES;
        if !entry_cap_set {
            self.max_entry_bytes = self.max_entry_bytes.min(room);
        } else if self.max_entry_bytes > room {
            return Err(err(
                names::MAX_ENTRY_BYTES,
                format!(
                    "{} does not fit in a request of {} bytes ({})",
                    self.max_entry_bytes,
                    self.max_request_bytes,
                    names::MAX_REQUEST_BYTES
                ),
            ));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests;
