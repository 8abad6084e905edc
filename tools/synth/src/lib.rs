//! Synthetic Microsoft Entra ID log batches shaped like production, for benchmarks.
//!
//! A [`Generator`] makes records of one tenant (sign-ins with 5-15 Conditional Access
//! policies, non-interactive sign-ins, service principal and managed identity sign-ins, audit
//! and provisioning records, a few failures), packs them into Event Hub events of about
//! 200 KB (`{"records": [...]}`), and encodes 100 such events as the Azure Functions host
//! sends them to a custom handler: `cardinality: many`, `dataType: binary`, so `Data.events`
//! is a JSON string holding a JSON array of base64 strings, with the batch metadata
//! (`docs/functions-host.md#trigger-value-by-cardinality-and-datatype`,
//! `docs/functions-host.md#batch-metadata`).
//!
//! Everything is a pure function of the seed: the same seed gives byte-identical output on
//! every machine and every run.
//!
//! ```
//! let mut generator = entra_synth::Generator::new(7, 0);
//! let invocation = generator.invocation(2, 20_000);
//! assert_eq!(invocation.events.len(), 2);
//! assert!(invocation.request.starts_with(br#"{"Data":{"events":"[\""#));
//! ```

pub mod json;
pub mod records;
pub mod rng;
mod stats;
mod tenant;
pub mod time;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

pub use records::{Category, Record};
use rng::Rng;
pub use stats::{CategoryStats, Stats};
use tenant::Tenant;
use time::{TICKS_PER_MILLI, TICKS_PER_SECOND, Ticks};

/// Events per invocation: `maxEventBatchSize` in host.json.
pub const DEFAULT_EVENTS: usize = 100;
/// Largest event body: Entra packs records into messages of about 200-250 KB.
pub const DEFAULT_EVENT_BYTES: usize = 200 * 1024;

/// What records a [`Generator`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    /// Entra's categories, drawn with these weights per mille (in [`Category::ALL`] order),
    /// and compact audit records (about 1.2 KB, counted as `AuditLogs`) with the last weight.
    Mix([u64; 7]),
    /// Tiny audit records of about 140 bytes (`time`, `category` and `properties.id` only),
    /// thousands to an event.
    Tiny,
    /// One audit record per event, as large as the event: records above the handler's
    /// `MAX_ENTRY_BYTES` are sent in parts.
    Large,
}

impl Records {
    /// The production mix of [`Category::MIX_PER_MILLE`]: mostly user sign-ins, about 3.3 KB
    /// per record ("sign-in heavy").
    pub const DEFAULT: Records = {
        let m = Category::MIX_PER_MILLE;
        Records::Mix([m[0], m[1], m[2], m[3], m[4], m[5], 0])
    };
    /// Workload sign-ins and audit records, few user sign-ins: about 1.9 KB per record.
    pub const MIXED: Records = Records::Mix([30, 0, 340, 290, 340, 0, 0]);
    /// Mostly compact audit records: about 1.2 KB per record.
    pub const AUDIT_HEAVY: Records = Records::Mix([0, 0, 25, 25, 0, 0, 950]);

    /// The names [`Records::from_name`] knows, for help texts.
    pub const NAMES: &'static str = "default (or signin-heavy), mixed, audit-heavy, tiny, large";

    /// A name of [`Records::NAMES`].
    pub fn from_name(name: &str) -> Option<Records> {
        match name {
            "default" | "signin-heavy" => Some(Records::DEFAULT),
            "mixed" => Some(Records::MIXED),
            "audit-heavy" => Some(Records::AUDIT_HEAVY),
            "tiny" => Some(Records::Tiny),
            "large" => Some(Records::Large),
            _ => None,
        }
    }
}

impl Default for Records {
    fn default() -> Self {
        Records::DEFAULT
    }
}

/// How large an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventSize {
    /// Filled with whole records up to this many bytes (at least one record).
    Bytes(usize),
    /// Exactly this many records, whatever their size.
    Records(usize),
}

/// Makes records, events and invocations for one tenant and one Event Hub partition.
pub struct Generator {
    rng: Rng,
    tenant: Tenant,
    records: Records,
    partition: u32,
    clock: Ticks,
    sequence: i64,
    offset: i64,
    /// A record that did not fit in the previous event starts the next one.
    pending: Option<(Record, Ticks)>,
}

/// One Event Hub event.
#[derive(Debug, Clone)]
pub struct Event {
    pub body: Vec<u8>,
    pub records: Vec<RecordInfo>,
    pub enqueued: Ticks,
}

/// What a record was, without its text.
#[derive(Debug, Clone, Copy)]
pub struct RecordInfo {
    pub category: Category,
    pub failed: bool,
    pub bytes: usize,
}

/// One invocation request, with the event bodies it carries.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The HTTP body the host POSTs to `/EventHubTrigger`.
    pub request: Vec<u8>,
    /// The event bodies (what base64-decoding `Data.events` gives back).
    pub events: Vec<Vec<u8>>,
    pub stats: Stats,
}

impl Generator {
    /// A generator for tenant `seed`, partition `partition`. Partitions of the same seed share
    /// the tenant (users, apps, policies) but carry different records.
    pub fn new(seed: u64, partition: u32) -> Self {
        Self::with_records(seed, partition, Records::DEFAULT)
    }

    /// A generator of `records` (the same tenant and partition as [`Generator::new`]).
    pub fn with_records(seed: u64, partition: u32, records: Records) -> Self {
        let tenant = Tenant::new(&mut Rng::new(seed));
        let mut rng = Rng::new(
            seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
                ^ (u64::from(partition) + 1).wrapping_mul(0x9E37_79B9),
        );
        let clock = time::START + rng.below(3600) as i64 * TICKS_PER_SECOND;
        let sequence = 1_000_000 + rng.below(1_000_000) as i64;
        Generator {
            rng,
            tenant,
            records,
            partition,
            clock,
            sequence,
            offset: sequence * 205_000,
            pending: None,
        }
    }

    /// The next record (for [`Records::Large`], one of [`DEFAULT_EVENT_BYTES`]).
    pub fn record(&mut self) -> Record {
        self.timed_record(DEFAULT_EVENT_BYTES).0
    }

    /// The next record; a large one fills an event of `event_bytes`.
    fn timed_record(&mut self, event_bytes: usize) -> (Record, Ticks) {
        // About 50 records a second, with sub-millisecond digits like Entra's.
        self.clock +=
            self.rng.range(2, 38) as i64 * TICKS_PER_MILLI + self.rng.below(10_000) as i64;
        let at = self.clock;
        let record = match self.records {
            Records::Mix(weights) => match Category::ALL.get(self.rng.weighted(&weights)) {
                Some(&category) => records::record(&mut self.rng, &self.tenant, category, at),
                None => records::compact_audit(&mut self.rng, &self.tenant, at),
            },
            Records::Tiny => records::tiny(&mut self.rng, at),
            // `{"records":[` and `]}` around it.
            Records::Large => records::large(
                &mut self.rng,
                &self.tenant,
                at,
                event_bytes.saturating_sub(14),
            ),
        };
        (record, at)
    }

    /// The next event of `size`: filled with records up to a number of bytes, or holding a
    /// number of records.
    pub fn event_of(&mut self, size: EventSize) -> Event {
        match size {
            EventSize::Bytes(max_bytes) => self.event(max_bytes),
            EventSize::Records(n) => self.event_with_records(n.max(1)),
        }
    }

    /// The next event of exactly `n` records (a large record fills [`DEFAULT_EVENT_BYTES`]).
    fn event_with_records(&mut self, n: usize) -> Event {
        self.fill(DEFAULT_EVENT_BYTES, Vec::new(), n, None)
    }

    /// The next event: `{"records":[...]}` filled with records up to `max_bytes`.
    pub fn event(&mut self, max_bytes: usize) -> Event {
        self.fill(
            max_bytes,
            Vec::with_capacity(max_bytes),
            usize::MAX,
            Some(max_bytes),
        )
    }

    /// An event of at most `max_records` records drawn for events of `event_bytes`, and of at
    /// most `max_bytes` (a record that does not fit is kept for the next event; the first
    /// always goes in).
    fn fill(
        &mut self,
        event_bytes: usize,
        mut body: Vec<u8>,
        max_records: usize,
        max_bytes: Option<usize>,
    ) -> Event {
        body.extend_from_slice(b"{\"records\":[");
        let mut records = Vec::new();
        let mut last = self.clock;
        while records.len() < max_records {
            let (record, at) = match self.pending.take() {
                Some(p) => p,
                None => self.timed_record(event_bytes),
            };
            // +3 for the comma and the closing `]}`.
            let over = max_bytes.is_some_and(|max| body.len() + record.json.len() + 3 > max);
            if !records.is_empty() && over {
                self.pending = Some((record, at));
                break;
            }
            if !records.is_empty() {
                body.push(b',');
            }
            body.extend_from_slice(&record.json);
            records.push(RecordInfo {
                category: record.category,
                failed: record.failed,
                bytes: record.json.len(),
            });
            last = at;
        }
        body.extend_from_slice(b"]}");
        // Azure Monitor delivers a few minutes after the last record.
        let enqueued = last + (120 + self.rng.below(180) as i64) * TICKS_PER_SECOND;
        Event {
            body,
            records,
            enqueued,
        }
    }

    /// The next invocation of `events` events of up to `event_bytes` each.
    pub fn invocation(&mut self, events: usize, event_bytes: usize) -> Invocation {
        self.invocation_of(events, EventSize::Bytes(event_bytes))
    }

    /// The next invocation of `events` events of `size` each.
    pub fn invocation_of(&mut self, events: usize, size: EventSize) -> Invocation {
        let events: Vec<Event> = (0..events).map(|_| self.event_of(size)).collect();
        let first_sequence = self.sequence;
        let offsets: Vec<i64> = events
            .iter()
            .map(|e| {
                let offset = self.offset;
                // An event's offset advances by its size plus AMQP framing.
                self.offset += e.body.len() as i64 + 230;
                offset
            })
            .collect();
        self.sequence += events.len() as i64;
        let utc_now = events
            .iter()
            .map(|e| e.enqueued)
            .max()
            .unwrap_or(self.clock)
            + self.rng.range(200, 3000) as i64 * TICKS_PER_MILLI;
        let batch = Batch {
            events: &events,
            partition: self.partition,
            first_sequence,
            offsets: &offsets,
            utc_now,
            rand_guid: self.rng.guid(),
        };
        let request = batch.host_request();
        let mut stats = Stats::default();
        for e in &events {
            stats.add_event(e);
        }
        stats.invocations = 1;
        stats.request_bytes = request.len();
        stats.largest_request = request.len();
        Invocation {
            request,
            events: events.into_iter().map(|e| e.body).collect(),
            stats,
        }
    }
}

/// The batch metadata of one invocation.
struct Batch<'a> {
    events: &'a [Event],
    partition: u32,
    first_sequence: i64,
    offsets: &'a [i64],
    utc_now: Ticks,
    rand_guid: String,
}

impl Batch<'_> {
    /// `{"Data":{"events":"[\"<base64>\",...]"},"Metadata":{...}}`, as the host writes it:
    /// every value that is not an object is a JSON string holding JSON.
    fn host_request(&self) -> Vec<u8> {
        let base64_len: usize = self.events.iter().map(|e| e.body.len() * 4 / 3 + 8).sum();
        let mut out = Vec::with_capacity(base64_len + 64 * 1024);
        json::write_object(&mut out, |o| {
            o.obj("Data", |d| {
                let mut array = Vec::with_capacity(base64_len);
                json::write_array(&mut array, |a| {
                    for e in self.events {
                        a.str(&BASE64.encode(&e.body));
                    }
                });
                d.str("events", std::str::from_utf8(&array).expect("ASCII"));
            });
            o.obj("Metadata", |m| self.metadata(m));
        });
        out
    }

    fn metadata(&self, m: &mut json::Obj) {
        let n = self.events.len();
        let sequences: Vec<i64> = (0..n as i64).map(|i| self.first_sequence + i).collect();
        let enqueued: Vec<String> = self
            .events
            .iter()
            .map(|e| time::host_millis(e.enqueued))
            .collect();
        // A JSON array written into a string, as the host does for every `*Array` key.
        let array = |f: &dyn Fn(&mut json::Arr)| {
            let mut text = Vec::new();
            json::write_array(&mut text, |a| f(a));
            String::from_utf8(text).expect("UTF-8")
        };
        let context = |c: &mut json::Obj| {
            c.bool("IsCheckpointingAfterInvocation", true)
                .str(
                    "FullyQualifiedNamespace",
                    "entra-logs-prod.servicebus.windows.net",
                )
                .str("EventHubName", "insights-logs-entra")
                .str("ConsumerGroup", "coralogix")
                .str("PartitionId", &self.partition.to_string());
        };
        m.obj("TriggerPartitionContext", context)
            .obj("PartitionContext", context)
            .str(
                "PartitionKeyArray",
                &array(&|a| {
                    for _ in 0..n {
                        a.raw("null");
                    }
                }),
            )
            .str(
                "OffsetArray",
                &array(&|a| {
                    for o in self.offsets {
                        a.str(&o.to_string());
                    }
                }),
            )
            .str(
                "SequenceNumberArray",
                &array(&|a| {
                    for s in &sequences {
                        a.raw(&s.to_string());
                    }
                }),
            )
            .str(
                "EnqueuedTimeUtcArray",
                &array(&|a| {
                    for t in &enqueued {
                        a.str(t);
                    }
                }),
            )
            .str(
                "PropertiesArray",
                &array(&|a| {
                    for _ in 0..n {
                        a.raw("{}");
                    }
                }),
            )
            .str(
                "SystemPropertiesArray",
                &array(&|a| {
                    for i in 0..n {
                        a.obj(|s| {
                            let offset = self.offsets[i].to_string();
                            s.raw("x-opt-sequence-number", &sequences[i].to_string())
                                .str("x-opt-offset", &offset)
                                .str("x-opt-enqueued-time", &time::zulu7(self.events[i].enqueued))
                                .raw("SequenceNumber", &sequences[i].to_string())
                                .str("Offset", &offset)
                                .str("OffsetString", &offset)
                                .raw("PartitionKey", "null")
                                .str("EnqueuedTimeUtc", &enqueued[i]);
                        });
                    }
                }),
            )
            .obj("sys", |s| {
                s.str("MethodName", "EventHubTrigger")
                    .str("UtcNow", &time::host_now(self.utc_now))
                    .str("RandGuid", &self.rand_guid);
            });
    }
}

#[cfg(test)]
mod tests;
