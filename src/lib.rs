//! Ships Microsoft Entra ID diagnostic logs from Azure Event Hubs to Coralogix, as an Azure
//! Functions custom handler.
//!
//! Data flows one way: [`host`] decodes the Functions host's request into events, [`records`]
//! splits each event into records, [`entra`] says what each record means, [`coralogix`] turns
//! records into entries and delivers them, and [`server`] ties these together for each
//! invocation. [`pipeline`] is the part shared by the server and [`replay`]; [`settings`] is
//! read once at start. [`controls`] (the operator's filters, name selectors and metadata) is
//! applied by the pipeline to each record.
//!
//! From an event body to Coralogix entries, as the server does for each event of a batch
//! (without sending them):
//!
//! ```
//! use entra_coralogix::entra::Timestamp;
//! use entra_coralogix::pipeline::{Bodies, build_all};
//! use entra_coralogix::settings::{Mode, Settings};
//!
//! let settings = Settings::load(Mode::DryRun, |_| None).unwrap();
//! // An Event Hub event as Entra's diagnostic setting writes it, with a broken record.
//! let body = br#"{"records":[
//!     {"time":"2026-11-02T08:14:07.1234567Z","category":"signinlogs","resultType":"50126",
//!      "tenantId":"T1","properties":{"id":"a1"}},
//!     {"category":"AuditLogs","durationMs":NaN}]}"#;
//! let events = Bodies(vec![(body.to_vec(), "eh:0:42".into())]);
//! let (report, requests) = build_all(&settings, &events, Timestamp::now());
//!
//! assert_eq!((report.counts.records, report.counts.unparsed), (2, 1));
//! let entries: Vec<serde_json::Value> = serde_json::from_slice(requests[0].body()).unwrap();
//! assert_eq!(entries[0]["subsystemName"], "SignInLogs");
//! assert_eq!(entries[0]["severity"], 4); // a failed sign-in is at least a warning
//! assert_eq!(entries[0]["computerName"], "t1");
//! assert_eq!(entries[0]["threadId"], "SignInLogs:a1");
//! assert_eq!(entries[1]["subsystemName"], "Unparsed"); // the broken record, alone
//! ```

#![deny(missing_docs)]

pub mod controls;
pub mod coralogix;
mod deadletter;
pub mod entra;
pub mod host;
mod json;
mod limits;
mod memory;
pub mod monitoring;
pub mod pipeline;
pub mod privacy;
pub mod records;
pub mod replay;
pub mod server;
pub mod settings;
