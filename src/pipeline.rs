//! From event bodies to Coralogix requests, and the accounting of every record.
//!
//! Used the same way by the server (events from the Functions host) and by `replay` (events
//! from files): split each body into records, give each record its meaning, apply the
//! operator's drop rules, and write one entry per kept record into size-bounded requests.

use std::fmt::{self, Write as _};
use std::time::Duration;

use crate::coralogix::{Batcher, Delivery, Entry, Request, Text};
use crate::entra::{self, Outcome, Timestamp, UNCATEGORIZED, UNPARSED};
use crate::host::Invocation;
use crate::records::{self, Record, Shape};
use crate::settings::{Compression, Settings};

/// What happened to the records of an invocation before delivery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub events: usize,
    pub records: usize,
    pub entries: usize,
    /// Dropped on purpose by `DROP_CATEGORIES` / `DROP_SUCCESSFUL_CATEGORIES`.
    pub dropped: usize,
    /// Entries whose record was larger than `MAX_ENTRY_BYTES` and was cut (with a marker).
    pub truncated: usize,
    /// Events that were not valid JSON and were repaired.
    pub repaired: usize,
    /// Events that were not JSON at all, shipped as one text entry each.
    pub unparsed: usize,
    /// Events with invalid UTF-8 (replaced by U+FFFD).
    pub invalid_utf8: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.events += o.events;
        self.records += o.records;
        self.entries += o.entries;
        self.dropped += o.dropped;
        self.truncated += o.truncated;
        self.repaired += o.repaired;
        self.unparsed += o.unparsed;
        self.invalid_utf8 += o.invalid_utf8;
    }
}

/// The requests to send, and the counts so far.
#[derive(Debug)]
pub struct Built {
    pub requests: Vec<Request>,
    pub counts: Counts,
}

/// Builds the entries of one invocation.
pub struct Builder<'s> {
    settings: &'s Settings,
    batcher: Batcher,
    counts: Counts,
    now: Timestamp,
    thread_id: String,
}

impl<'s> Builder<'s> {
    pub fn new(settings: &'s Settings) -> Self {
        Builder {
            settings,
            batcher: Batcher::new(settings.max_request_bytes),
            counts: Counts::default(),
            now: Timestamp::now(),
            thread_id: String::new(),
        }
    }

    /// Adds every event of a host invocation, freeing each event's body once its entries are
    /// written (the metadata stays). Records without an id of their own are identified by
    /// partition and sequence number (`eh:<partition>:<sequence>:<index>`), which the host
    /// repeats when it delivers the same batch again.
    pub fn add_invocation(&mut self, invocation: &mut Invocation, invocation_id: &str) {
        let partition = invocation.partition.partition_id.as_deref().unwrap_or("?");
        let mut key = String::new();
        for (i, event) in invocation.events.iter_mut().enumerate() {
            key.clear();
            match event.meta.sequence_number {
                Some(seq) => write!(key, "eh:{partition}:{seq}"),
                None => write!(key, "inv:{invocation_id}:{i}"),
            }
            .expect("writing to a String cannot fail");
            let enqueued = event
                .meta
                .enqueued_time
                .map(Timestamp::from_datetime_clamped);
            let body = std::mem::take(&mut event.body);
            self.add_event(&body, enqueued, &key);
        }
    }

    /// Adds one event body. `enqueued` is the fallback time of records without one; `key`
    /// identifies the event (e.g. `eh:<partition>:<sequence number>`) in the ids of records that
    /// have none of their own.
    pub fn add_event(&mut self, body: &[u8], enqueued: Option<Timestamp>, key: &str) {
        self.counts.events += 1;
        let mut scratch = None;
        let split = records::split(body, &mut scratch);
        self.counts.repaired += usize::from(split.repaired);
        self.counts.invalid_utf8 += usize::from(split.invalid_utf8);
        self.counts.unparsed += usize::from(split.shape == Shape::Text);
        let fallback_time = enqueued.unwrap_or(self.now);
        for (index, record) in split.records.iter().enumerate() {
            self.counts.records += 1;
            match record {
                Record::Json(raw) => self.add_json(raw.get(), fallback_time, key, index),
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
            self.counts.dropped += 1;
            return;
        }
        self.thread_id.clear();
        match &meaning.id {
            Some(id) => write!(self.thread_id, "{name}:{id}"),
            None => write!(self.thread_id, "{key}:{index}"),
        }
        .expect("writing to a String cannot fail");
        let entry = Entry {
            application: &settings.application,
            subsystem: settings.subsystem.name_for(name),
            computer_name: meaning.tenant.as_deref(),
            category,
            severity: meaning.severity,
            timestamp: meaning.time.unwrap_or(fallback_time),
            thread_id: &self.thread_id,
            text: Text::for_json(json),
        };
        push(
            &mut self.batcher,
            &mut self.counts,
            settings.max_entry_bytes,
            &entry,
        );
    }

    fn add_text(&mut self, text: &str, fallback_time: Timestamp, key: &str, index: usize) {
        let settings = self.settings;
        if self.dropped(UNPARSED, Outcome::Unknown) {
            self.counts.dropped += 1;
            return;
        }
        self.thread_id.clear();
        write!(self.thread_id, "{key}:{index}").expect("writing to a String cannot fail");
        let entry = Entry {
            application: &settings.application,
            subsystem: settings.subsystem.name_for(UNPARSED),
            computer_name: None,
            category: None,
            severity: entra::severity::INFO,
            timestamp: fallback_time,
            thread_id: &self.thread_id,
            text: Text::Plain(text),
        };
        push(
            &mut self.batcher,
            &mut self.counts,
            settings.max_entry_bytes,
            &entry,
        );
    }

    /// Adds an entry that was already built (from a dead-letter blob).
    pub fn add_built_entry(&mut self, entry: &[u8]) {
        self.counts.records += 1;
        self.counts.entries += 1;
        self.batcher.push(|buf| buf.extend_from_slice(entry));
    }

    /// Counts a file or blob that held built entries as one event.
    pub fn count_event(&mut self) {
        self.counts.events += 1;
    }

    fn dropped(&self, category: &str, outcome: Outcome) -> bool {
        let rules = &self.settings.drop;
        let listed = |list: &[String]| list.iter().any(|c| c.eq_ignore_ascii_case(category));
        listed(&rules.categories) || (outcome == Outcome::Success && listed(&rules.successful_in))
    }

    /// The requests, compressed here (off the async runtime, once for all retries) when
    /// `COMPRESSION=gzip`.
    pub fn finish(self) -> Built {
        let mut requests = self.batcher.finish();
        if self.settings.compression == Compression::Gzip {
            requests.iter_mut().for_each(Request::compress);
        }
        Built {
            requests,
            counts: self.counts,
        }
    }
}

fn push(batcher: &mut Batcher, counts: &mut Counts, max_entry_bytes: usize, entry: &Entry) {
    let truncated = batcher.push(|buf| entry.write(buf, max_entry_bytes));
    counts.entries += 1;
    counts.truncated += usize::from(truncated);
}

/// The account of one invocation: `records = delivered + dropped + dead_lettered + failed`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub counts: Counts,
    pub delivered: usize,
    pub dead_lettered: usize,
    /// Not delivered and not parked: the invocation fails and the host delivers the batch again.
    pub failed: usize,
    pub requests: usize,
    pub bytes: usize,
    pub retries: usize,
    pub elapsed: Duration,
}

impl Summary {
    pub fn new(counts: Counts, delivery: &Delivery, parked: bool, elapsed: Duration) -> Self {
        let not_delivered = delivery.failed_entries();
        Summary {
            counts,
            delivered: delivery.accepted,
            dead_lettered: if parked { not_delivered } else { 0 },
            failed: if parked { 0 } else { not_delivered },
            requests: delivery.posts,
            bytes: delivery.accepted_bytes,
            retries: delivery.retries,
            elapsed,
        }
    }

    /// Adds another account to this one (for `replay` over several files).
    pub fn add(&mut self, other: &Summary) {
        self.counts += other.counts;
        self.delivered += other.delivered;
        self.dead_lettered += other.dead_lettered;
        self.failed += other.failed;
        self.requests += other.requests;
        self.bytes += other.bytes;
        self.retries += other.retries;
        self.elapsed += other.elapsed;
    }

    /// True when every record is accounted for.
    pub fn balanced(&self) -> bool {
        self.counts.records
            == self.delivered + self.counts.dropped + self.dead_lettered + self.failed
            && self.counts.entries + self.counts.dropped == self.counts.records
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        write!(
            f,
            "events={} records={} entries={} delivered={} dropped={} dead_lettered={} failed={} \
             requests={} bytes={} retries={} truncated={} repaired={} unparsed={} invalid_utf8={} ms={}",
            c.events,
            c.records,
            c.entries,
            self.delivered,
            c.dropped,
            self.dead_lettered,
            self.failed,
            self.requests,
            self.bytes,
            self.retries,
            c.truncated,
            c.repaired,
            c.unparsed,
            c.invalid_utf8,
            self.elapsed.as_millis()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Mode, Settings};
    use serde_json::{Value, json};

    fn settings(vars: &[(&str, &str)]) -> Settings {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load(Mode::DryRun, |k| {
            vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
        .unwrap()
    }

    fn entries(built: &Built) -> Vec<Value> {
        built
            .requests
            .iter()
            .flat_map(|r| {
                r.entries()
                    .map(|e| serde_json::from_slice(e).unwrap())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn maps_records_to_entries() {
        let s = settings(&[]);
        let mut b = Builder::new(&s);
        let body = json!({"records": [
            {"time": "2019-10-18T09:45:48.0729893Z", "category": "SignInLogs", "Level": 4,
             "resultType": "50140", "tenantId": "T1", "properties": {"id": "sid-1"}},
            {"category": "auditlogs", "level": "Informational",
             "resourceId": "/tenants/t2/providers/Microsoft.aadiam"}
        ]});
        b.add_event(
            body.to_string().as_bytes(),
            Some(Timestamp(5_000_000_000)),
            "eh:0:7",
        );
        let built = b.finish();
        let e = entries(&built);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0]["subsystemName"], "SignInLogs");
        assert_eq!(e[0]["severity"], 4);
        assert_eq!(e[0]["timestamp"], 1_571_391_948_072i64);
        assert_eq!(e[0]["computerName"], "t1");
        assert_eq!(e[0]["threadId"], "SignInLogs:sid-1");
        assert_eq!(e[0]["text"]["properties"]["id"], "sid-1");
        assert_eq!(e[1]["subsystemName"], "AuditLogs");
        assert_eq!(e[1]["category"], "AuditLogs");
        assert_eq!(e[1]["timestamp"], 5000, "falls back to the enqueued time");
        assert_eq!(e[1]["threadId"], "eh:0:7:1");
        assert_eq!(e[1]["computerName"], "t2");
        assert_eq!(built.counts.records, 2);
        assert_eq!(built.counts.entries, 2);
    }

    #[test]
    fn fallback_names_and_text_events() {
        let s = settings(&[("CORALOGIX_SUBSYSTEM_MAP", "Unparsed=raw")]);
        let mut b = Builder::new(&s);
        b.add_event(br#"{"records":[{"x":1}]}"#, None, "k");
        b.add_event(b"not json at all", None, "k2");
        let built = b.finish();
        let e = entries(&built);
        assert_eq!(e[0]["subsystemName"], "Uncategorized");
        assert!(e[0].get("category").is_none());
        assert_eq!(e[1]["subsystemName"], "raw");
        assert_eq!(e[1]["text"], "not json at all");
        assert_eq!(built.counts.unparsed, 1);
    }

    #[test]
    fn drop_rules_are_counted() {
        let s = settings(&[
            ("DROP_CATEGORIES", "ProvisioningLogs"),
            ("DROP_SUCCESSFUL_CATEGORIES", "NonInteractiveUserSignInLogs"),
        ]);
        let mut b = Builder::new(&s);
        let body = json!({"records": [
            {"category": "ProvisioningLogs"},
            {"category": "NonInteractiveUserSignInLogs", "resultType": "0"},
            {"category": "NonInteractiveUserSignInLogs", "resultType": "50126"},
            {"category": "SignInLogs", "resultType": "0"}
        ]});
        b.add_event(body.to_string().as_bytes(), None, "k");
        let built = b.finish();
        assert_eq!(built.counts.records, 4);
        assert_eq!(built.counts.dropped, 2);
        assert_eq!(built.counts.entries, 2);
        let e = entries(&built);
        assert_eq!(e[0]["text"]["resultType"], "50126");
    }

    #[test]
    fn summary_balances() {
        let counts = Counts {
            events: 1,
            records: 10,
            entries: 8,
            dropped: 2,
            ..Counts::default()
        };
        let mut d = Delivery {
            accepted: 5,
            ..Delivery::default()
        };
        d.failed.push(crate::coralogix::Failed {
            request: Request::from_entries([&b"{}"[..], b"{}", b"{}"]),
            reason: "x".into(),
        });
        let s = Summary::new(counts, &d, true, Duration::ZERO);
        assert!(s.balanced());
        assert_eq!(s.dead_lettered, 3);
        let s = Summary::new(counts, &d, false, Duration::ZERO);
        assert!(s.balanced());
        assert_eq!(s.failed, 3);
        assert!(
            s.to_string()
                .starts_with("events=1 records=10 entries=8 delivered=5 dropped=2")
        );
    }
}
