//! The list: every setting's name ([`names`]) and its line in [`TABLE`].

use super::REGION_CODES;
use super::table::{Default as D, Kind as K, Spec};
use crate::limits::{MAX_REQUEST_BYTES, REQUEST_OVERHEAD_BYTES};

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
