//! Settings, read from the environment (the Function App's app settings) once at start.
//!
//! [`TABLE`] lists every setting once: its name, its default, and the kind of value it takes,
//! which decides how it is read, its range, and the one line an invalid value gets (naming the
//! setting, never showing a secret). [`Settings::load`] reads each through it and then checks
//! what holds between settings. The README's Configuration table and the ARM template are
//! checked against the table by `tests/settings_contract.rs`.

mod controls;
mod destination;
mod list;
mod privacy;
mod rules;
mod table;

use std::time::Duration;

use reqwest::Url;

use crate::host::TriggerShape;
use crate::limits::REQUEST_OVERHEAD_BYTES;
use crate::privacy::Masker;

pub use destination::{REGION_CODES, REGIONS, destination_source};
pub use list::{MIN_MAX_ENTRY_BYTES, TABLE, names, spec_of};
pub use rules::{ApiKey, DropRules, SubsystemRule};
pub use table::{Default, Kind, SettingsError, Spec};

use table::{Reader, err};

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
