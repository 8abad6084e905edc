//! Limits of the Coralogix REST API (see `docs/coralogix-api.md`), below both the settings
//! that are checked against them and the code that writes requests.

/// Largest request body for `/logs/v1/singles`: "2 MB" per Coralogix's "Limitations" page and
/// the /singles page. Read as 2,000,000 bytes (the stricter reading of "MB"), measured on the
/// uncompressed JSON.
pub const MAX_REQUEST_BYTES: usize = 2_000_000;

/// Bytes a request adds around its entries: `[` and `]`.
pub const REQUEST_OVERHEAD_BYTES: usize = 2;

/// Longest value the handler writes into a name field (application, subsystem, category,
/// computer name, thread id). Coralogix documents no limit; this keeps an entry's fields
/// bounded whatever a record contains.
pub const MAX_NAME_CHARS: usize = 256;

/// The path appended to the endpoint's base URL.
pub const SINGLES_PATH: &str = "/logs/v1/singles";
