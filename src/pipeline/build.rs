//! Building entries from event bodies: split, give each record its meaning, apply the drop
//! rules, and write one entry per record (or its parts) to an [`EntrySink`].

use std::fmt::Write as _;

use super::counts::BuildReport;
use crate::controls::{Applier, RecordView};
use crate::coralogix::redact::cut;
use crate::coralogix::{Batcher, Entry, Request, Text};
use crate::entra::{self, Outcome, Timestamp, UNCATEGORIZED, UNPARSED};
use crate::host::{EventMeta, Partition};
use crate::privacy::{Masked, Masker};
use crate::records::{self, Record};
use crate::settings::Settings;

/// How old an entry's time may be before it is restamped (`RESTAMP_OLD_RECORDS`): Coralogix
/// is reported to refuse logs older than 24 hours; an hour of margin covers delivery delays.
pub const RESTAMP_AFTER: std::time::Duration = std::time::Duration::from_secs(23 * 3600);

/// Where entries go as they are built, numbered from 0 in order.
pub trait EntrySink {
    /// Entry number `index`, written by `write` (which appends exactly one JSON value).
    fn push(&mut self, index: u64, write: impl FnOnce(&mut Vec<u8>));
}

/// Packs entries into requests and hands over each request as soon as it is full (compressed
/// here, off the async runtime, when the sink sends gzip).
pub struct Batches<F: FnMut(Request)> {
    batcher: Batcher,
    gzip: bool,
    send: F,
}

impl<F: FnMut(Request)> Batches<F> {
    /// Batches of at most `MAX_REQUEST_BYTES`, each handed to `send` when full and
    /// compressed first when `gzip`.
    pub fn new(settings: &Settings, gzip: bool, send: F) -> Self {
        Batches {
            batcher: Batcher::new(settings.max_request_bytes),
            gzip,
            send,
        }
    }

    fn emit(&mut self, mut request: Request) {
        if self.gzip {
            request.compress();
        }
        (self.send)(request);
    }

    /// Hands over the last request.
    pub fn finish(mut self) {
        let last = std::mem::replace(&mut self.batcher, Batcher::new(1)).finish();
        if let Some(request) = last {
            self.emit(request);
        }
    }
}

impl<F: FnMut(Request)> EntrySink for Batches<F> {
    fn push(&mut self, index: u64, write: impl FnOnce(&mut Vec<u8>)) {
        debug_assert_eq!(index, self.batcher.next_entry());
        if let Some(full) = self.batcher.push(write) {
            self.emit(full);
        }
    }
}

/// Builds the entries of one invocation (or one replayed file).
pub struct Builder<'s, S: EntrySink> {
    settings: &'s Settings,
    sink: S,
    report: BuildReport,
    /// The time of processing: fallback time and restamp time, fixed for the invocation so
    /// that building again gives the same entries.
    now: Timestamp,
    restamp_before: Option<Timestamp>,
    next_entry: u64,
    thread_id: String,
    scratch: Vec<u8>,
    /// The operator controls; `None` when none is configured.
    controls: Option<Applier<'s>>,
}

impl<'s, S: EntrySink> Builder<'s, S> {
    /// A builder writing to `sink`; `now` is the time of processing (fallback and restamp time).
    pub fn new(settings: &'s Settings, now: Timestamp, sink: S) -> Self {
        let restamp_before = settings
            .restamp_old_records
            .then(|| Timestamp(now.0.saturating_sub(RESTAMP_AFTER.as_nanos() as i64)));
        Builder {
            settings,
            sink,
            report: BuildReport::default(),
            now,
            restamp_before,
            next_entry: 0,
            thread_id: String::new(),
            scratch: Vec::new(),
            controls: Applier::new(&settings.controls),
        }
    }

    /// Adds one event body. `enqueued` is the fallback time of records without one; `key`
    /// identifies the event (e.g. `eh:<partition>:<sequence number>`) in the ids of records that
    /// have none of their own.
    pub fn add_event(&mut self, body: &[u8], enqueued: Option<Timestamp>, key: &str) {
        if let Some(c) = &mut self.controls {
            c.begin_event(enqueued);
        }
        self.add_records(body, enqueued, key);
        if let Some(c) = &mut self.controls {
            c.end_event();
        }
    }

    fn add_records(&mut self, body: &[u8], enqueued: Option<Timestamp>, key: &str) {
        let split = records::split(body);
        let counts = &mut self.report.counts;
        counts.events += 1;
        counts.records += split.records.len();
        counts.repaired += split.repaired;
        counts.unparsed += split.unparsed;
        counts.invalid_utf8 += split.invalid_utf8;
        counts.nul_bytes += split.nul_bytes;
        let fallback_time = enqueued.unwrap_or(self.now);
        for (index, record) in split.records.iter().enumerate() {
            match record {
                Record::Json(json) => self.add_json(json, fallback_time, key, index),
                Record::Text(text) => self.add_text(text, fallback_time, key, index),
            }
        }
    }

    fn add_json(&mut self, json: &str, fallback_time: Timestamp, key: &str, index: usize) {
        let settings = self.settings;
        let meaning = entra::describe(json);
        let category = meaning.category.as_deref();
        let name = category.unwrap_or(UNCATEGORIZED);
        if self.dropped(name, meaning.outcome) {
            self.report.counts.dropped += 1;
            return;
        }
        let view = RecordView {
            text: json,
            json: true,
            category: name,
            outcome: meaning.outcome,
            id: meaning.id.as_deref(),
            time: meaning.time,
        };
        if !self.controlled(&view) {
            return;
        }
        // Masked before anything is taken from the record, so that no field of the entry
        // (text, tenant, id, parts) carries what was masked.
        let masked = self.mask(json, Masker::mask_json);
        let (json, meaning) = match &masked {
            Some(m) => (m.text.as_str(), entra::describe(&m.text)),
            None => (json, meaning),
        };
        let category = meaning.category.as_deref();
        let name = category.unwrap_or(UNCATEGORIZED);
        if meaning.time.is_none() {
            self.report.counts.untimed += 1;
            // One example for the log, preferring a time that is there but unreadable (a
            // format to add) to a record that has none.
            let sample = &mut self.report.untimed_sample;
            match &meaning.unreadable_time {
                Some(value) if !sample.as_deref().is_some_and(|s| s.starts_with("a time")) => {
                    *sample = Some(format!("a time of {:?}", cut(value, 64)));
                }
                None if sample.is_none() => *sample = Some("a record without a time field".into()),
                _ => {}
            }
        }
        self.set_thread_id(meaning.id.as_deref().map(|id| (name, id)), key, index);
        let timestamp = self.restamp(meaning.time.unwrap_or(fallback_time));
        let (application, subsystem, json) = names(
            &self.controls,
            &settings.application,
            settings.subsystem.name_for(name),
            json,
        );
        let entry = Entry {
            application,
            subsystem,
            computer_name: meaning.tenant.as_deref(),
            category,
            severity: meaning.severity,
            timestamp,
            thread_id: &self.thread_id,
            text: Text::for_json(json),
        };
        push(
            &mut self.sink,
            &mut self.report,
            &mut self.next_entry,
            &mut self.scratch,
            settings.max_entry_bytes,
            &entry,
        );
    }

    fn add_text(&mut self, text: &str, fallback_time: Timestamp, key: &str, index: usize) {
        let settings = self.settings;
        if self.dropped(UNPARSED, Outcome::Unknown) {
            self.report.counts.dropped += 1;
            return;
        }
        let view = RecordView {
            text,
            json: false,
            category: UNPARSED,
            outcome: Outcome::Unknown,
            id: None,
            time: None,
        };
        if !self.controlled(&view) {
            return;
        }
        let masked = self.mask(text, Masker::mask_text);
        let text = masked.as_ref().map_or(text, |m| m.text.as_str());
        self.set_thread_id(None, key, index);
        let timestamp = self.restamp(fallback_time);
        let (application, subsystem, _) = names(
            &self.controls,
            &settings.application,
            settings.subsystem.name_for(UNPARSED),
            text,
        );
        let entry = Entry {
            application,
            subsystem,
            computer_name: None,
            category: None,
            severity: entra::severity::INFO,
            timestamp,
            thread_id: &self.thread_id,
            text: Text::Plain(text),
        };
        push(
            &mut self.sink,
            &mut self.report,
            &mut self.next_entry,
            &mut self.scratch,
            settings.max_entry_bytes,
            &entry,
        );
    }

    /// Adds an entry that was already built (from a dead-letter blob): counted as one event's
    /// record, restamped if it is too old by now.
    pub fn add_built_entry(&mut self, entry: &[u8]) {
        self.report.counts.records += 1;
        self.report.counts.entries += 1;
        // Masked again with today's settings (masking is idempotent): a blob parked before
        // masking was turned on leaves masked too.
        let masked = std::str::from_utf8(entry)
            .ok()
            .and_then(|e| self.mask(e, Masker::mask_json));
        let entry = masked.as_ref().map_or(entry, |m| m.text.as_bytes());
        let restamped = self
            .restamp_before
            .and_then(|before| restamp_built(entry, before, self.now));
        self.report.counts.restamped += usize::from(restamped.is_some());
        let bytes = restamped.as_deref().unwrap_or(entry);
        self.sink
            .push(self.next_entry, |buf| buf.extend_from_slice(bytes));
        self.next_entry += 1;
    }

    /// Counts a file or blob that held built entries as one event.
    pub fn count_event(&mut self) {
        self.report.counts.events += 1;
    }

    /// `text` masked by `how` when masking is configured and it holds something to mask.
    fn mask(&mut self, text: &str, how: fn(&Masker, &str) -> Option<Masked>) -> Option<Masked> {
        let masked = how(self.settings.masker.as_ref()?, text)?;
        self.report.counts.masked += masked.count;
        Some(masked)
    }

    fn set_thread_id(&mut self, own: Option<(&str, &str)>, key: &str, index: usize) {
        self.thread_id.clear();
        match own {
            Some((name, id)) => write!(self.thread_id, "{name}:{id}"),
            None => write!(self.thread_id, "{key}:{index}"),
        }
        .expect("writing to a String cannot fail");
    }

    fn restamp(&mut self, time: Timestamp) -> Timestamp {
        match self.restamp_before {
            Some(before) if time < before => {
                self.report.counts.restamped += 1;
                self.now
            }
            _ => time,
        }
    }

    /// Applies the operator controls (when configured): false when they drop the record.
    fn controlled(&mut self, record: &RecordView<'_>) -> bool {
        let Some(applier) = &mut self.controls else {
            return true;
        };
        let kept = applier.apply(record, &mut self.report.counts.controls);
        self.report.counts.dropped += usize::from(!kept);
        kept
    }

    /// The event's origin (Event Hub metadata), for `INCLUDE_METADATA`.
    pub fn set_origin(&mut self, partition: &Partition, event: &EventMeta) {
        if let Some(c) = &mut self.controls {
            c.set_origin(partition, event);
        }
    }

    /// Whether `DROP_CATEGORIES` or `DROP_SUCCESSFUL_CATEGORIES` drops the record; counted by
    /// rule when it does.
    fn dropped(&mut self, category: &str, outcome: Outcome) -> bool {
        let rules = &self.settings.drop;
        let listed = |list: &[String]| list.iter().any(|c| c.eq_ignore_ascii_case(category));
        let counts = &mut self.report.counts.controls;
        if listed(&rules.categories) {
            counts.drop_categories += 1;
            true
        } else if outcome == Outcome::Success && listed(&rules.successful_in) {
            counts.drop_successful += 1;
            true
        } else {
            false
        }
    }

    /// The report, and the sink (to flush it).
    pub fn finish(self) -> (BuildReport, S) {
        (self.report, self.sink)
    }
}

/// The application, the subsystem and the text to send, as the controls chose them.
fn names<'a>(
    controls: &'a Option<Applier<'_>>,
    application: &'a str,
    subsystem: &'a str,
    text: &'a str,
) -> (&'a str, &'a str, &'a str) {
    match controls {
        Some(c) => (
            c.application(application),
            c.subsystem(subsystem),
            c.text(text),
        ),
        None => (application, subsystem, text),
    }
}

/// Writes one entry, or its parts when it is larger than `max_entry_bytes`.
fn push<S: EntrySink>(
    sink: &mut S,
    report: &mut BuildReport,
    next_entry: &mut u64,
    scratch: &mut Vec<u8>,
    max_entry_bytes: usize,
    entry: &Entry,
) {
    let fits = match entry.quick_max_len() {
        Some(max) if max <= max_entry_bytes => true,
        _ => {
            scratch.clear();
            entry.write(scratch);
            scratch.len() <= max_entry_bytes
        }
    };
    if fits {
        if scratch.is_empty() {
            sink.push(*next_entry, |buf| entry.write(buf));
        } else {
            sink.push(*next_entry, |buf| buf.extend_from_slice(scratch));
            scratch.clear();
        }
        *next_entry += 1;
        report.counts.entries += 1;
        return;
    }
    scratch.clear();
    let parts = entry.parts(max_entry_bytes);
    let first = *next_entry;
    for i in 0..parts.len() {
        sink.push(*next_entry, |buf| parts.write(i, buf));
        *next_entry += 1;
    }
    report.counts.entries += parts.len();
    report.counts.parted += 1;
    report.multipart.push(first..*next_entry);
}

/// A built entry with `timestamp` set to `now` (and no `hiResTimestamp`) if it is older than
/// `before`; `None` when it is recent enough or not an entry.
fn restamp_built(entry: &[u8], before: Timestamp, now: Timestamp) -> Option<Vec<u8>> {
    let mut value: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(entry).ok()?;
    let millis = value.get("timestamp")?.as_f64()?;
    if millis >= before.millis() as f64 {
        return None;
    }
    value.insert("timestamp".into(), now.millis().into());
    value.remove("hiResTimestamp");
    serde_json::to_vec(&value).ok()
}
