//! Ships Microsoft Entra ID diagnostic logs from Azure Event Hubs to Coralogix, as an Azure
//! Functions custom handler.
//!
//! Data flows one way: [`host`] decodes the Functions host's request into events, [`records`]
//! splits each event into records, [`entra`] says what each record means, [`coralogix`] turns
//! records into entries and delivers them, and [`server`] ties these together for each
//! invocation. [`pipeline`] is the part shared by the server and [`replay`]; [`settings`] is
//! read once at start.

#![deny(missing_docs)]

pub mod coralogix;
mod deadletter;
pub mod entra;
pub mod host;
mod json;
mod limits;
mod memory;
pub mod pipeline;
pub mod records;
pub mod replay;
pub mod server;
pub mod settings;
