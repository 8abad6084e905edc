//! The account of one invocation: what every record became.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use super::counts::{BuildReport, Counts};
use crate::coralogix::Delivery;

/// The account of one invocation, in records:
/// `records = delivered + dropped + dead_lettered + failed`.
///
/// A record sent in parts is delivered only when all its parts are; if any part was not, the
/// record counts as dead-lettered or failed (the parts that were not accepted are what is
/// parked, and what the host's redelivery sends again).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// What happened to the records before delivery.
    pub counts: Counts,
    /// Records Coralogix accepted (all parts of a record in parts).
    pub delivered: usize,
    /// Records not delivered and parked in a dead-letter blob.
    pub dead_lettered: usize,
    /// Not delivered and not parked: the invocation fails and the host delivers the batch again.
    pub failed: usize,
    /// HTTP requests made, retries and split halves included.
    pub requests: usize,
    /// Bytes of accepted requests (uncompressed JSON).
    pub bytes: usize,
    /// Attempts that were retries.
    pub retries: usize,
    /// Entries Coralogix refused as JSON and took with their text as a string.
    pub as_text: usize,
    /// Requests split in two after a refusal.
    pub splits: usize,
    /// Whether every built entry was either accepted or not (a check of the bookkeeping).
    entries_accounted: bool,
    /// How long the invocation took.
    pub elapsed: Duration,
}

impl Summary {
    /// The account of a build and its delivery; `parked`: what was not delivered went to a dead-letter blob.
    pub fn new(report: &BuildReport, delivery: &Delivery, parked: bool, elapsed: Duration) -> Self {
        let counts = report.counts;
        let mut failed: Vec<Range<u64>> =
            delivery.failed.iter().map(|f| f.entries.clone()).collect();
        let not_delivered = records_touched(&mut failed, &report.multipart);
        let kept = counts.records - counts.dropped;
        let failed_entries = delivery.failed_entries();
        Summary {
            counts,
            delivered: kept.saturating_sub(not_delivered),
            dead_lettered: if parked { not_delivered } else { 0 },
            failed: if parked { 0 } else { not_delivered },
            requests: delivery.posts,
            bytes: delivery.accepted_bytes,
            retries: delivery.retries,
            as_text: delivery.as_text,
            splits: delivery.splits,
            entries_accounted: delivery.accepted + failed_entries == counts.entries as u64
                && not_delivered <= kept,
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
        self.as_text += other.as_text;
        self.splits += other.splits;
        self.entries_accounted &= other.entries_accounted;
        self.elapsed += other.elapsed;
    }

    /// An empty account to add others to.
    pub fn zero() -> Self {
        Summary {
            entries_accounted: true,
            ..Summary::default()
        }
    }

    /// True when every record and every entry is accounted for.
    pub fn balanced(&self) -> bool {
        let c = &self.counts;
        self.entries_accounted
            && c.records == self.delivered + c.dropped + self.dead_lettered + self.failed
    }
}

/// The number of records with at least one entry in `failed`: entries outside `multipart`
/// are one record each; a multipart record counts once however many of its parts failed.
fn records_touched(failed: &mut [Range<u64>], multipart: &[Range<u64>]) -> usize {
    failed.sort_by_key(|r| r.start);
    let mut total = 0;
    let mut m = 0;
    let mut counted: Option<usize> = None;
    for range in failed.iter() {
        let mut pos = range.start;
        while pos < range.end {
            while m < multipart.len() && multipart[m].end <= pos {
                m += 1;
            }
            match multipart.get(m) {
                Some(record) if record.start <= pos => {
                    // Inside a multipart record: it counts once, however many parts failed.
                    if counted != Some(m) {
                        total += 1;
                        counted = Some(m);
                    }
                    pos = record.end;
                }
                Some(record) => {
                    let next = record.start.min(range.end);
                    total += (next - pos) as usize;
                    pos = next;
                }
                None => {
                    total += (range.end - pos) as usize;
                    pos = range.end;
                }
            }
        }
    }
    total
}

/// Logs `$line` with every count as a structured field, at the level given.
macro_rules! summary_event {
    ($level:ident, $s:expr, $partition:expr, $retry:expr) => {{
        let (s, c) = ($s, &$s.counts);
        tracing::$level!(
            partition = $partition,
            retry = $retry,
            events = c.events,
            records = c.records,
            entries = c.entries,
            delivered = s.delivered,
            dropped = c.dropped,
            dead_lettered = s.dead_lettered,
            failed = s.failed,
            requests = s.requests,
            bytes = s.bytes,
            retries = s.retries,
            splits = s.splits,
            as_text = s.as_text,
            parted = c.parted,
            repaired = c.repaired,
            unparsed = c.unparsed,
            invalid_utf8 = c.invalid_utf8,
            nul_bytes = c.nul_bytes,
            untimed = c.untimed,
            restamped = c.restamped,
            dropped_by = %c.controls.dropped_by(),
            selector_fallback = %c.controls.selector_fallback(),
            masked = c.masked,
            ms = s.elapsed.as_millis() as u64,
            "invocation finished"
        )
    }};
}

/// How bad an invocation's outcome is, for the level of its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Everything delivered.
    Info,
    /// Something was parked in a dead-letter blob.
    Warn,
    /// Something was not delivered.
    Error,
}

impl Summary {
    /// Logs the summary with each count as a structured field (`records`, `delivered`, …),
    /// so that a log pipeline reads the numbers without parsing a line; `retry` is the host's
    /// `retry/max` of a redelivered batch.
    pub fn log(&self, severity: Severity, partition: &str, retry: Option<&str>) {
        match severity {
            Severity::Info => summary_event!(info, self, partition, retry),
            Severity::Warn => summary_event!(warn, self, partition, retry),
            Severity::Error => summary_event!(error, self, partition, retry),
        }
    }

    /// The summary line of a dry run, which prints entries instead of delivering them: the
    /// records it printed are `printed=`, not `delivered=`.
    pub fn printed_line(&self) -> String {
        self.to_string()
            .replacen(" delivered=", " printed=", 1)
            .replacen(" requests=", " writes=", 1)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        write!(
            f,
            "events={} records={} entries={} delivered={} dropped={} dead_lettered={} failed={} \
             requests={} bytes={} retries={} splits={} as_text={} parted={} repaired={} \
             unparsed={} invalid_utf8={} nul_bytes={} untimed={} restamped={} masked={}{} ms={}",
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
            self.splits,
            self.as_text,
            c.parted,
            c.repaired,
            c.unparsed,
            c.invalid_utf8,
            c.nul_bytes,
            c.untimed,
            c.restamped,
            c.masked,
            c.controls,
            self.elapsed.as_millis()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coralogix::{Failed, Reason};

    /// Records the fields of every event logged.
    #[derive(Default, Clone)]
    struct Fields(std::sync::Arc<std::sync::Mutex<Vec<std::collections::HashMap<String, String>>>>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Fields {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            struct Visit(std::collections::HashMap<String, String>);
            impl tracing::field::Visit for Visit {
                fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
                    self.0.insert(field.name().into(), format!("{value:?}"));
                }
            }
            let mut visit = Visit(Default::default());
            event.record(&mut visit);
            self.0.lock().unwrap().push(visit.0);
        }
    }

    #[test]
    fn the_summary_is_logged_with_its_counts_as_fields() {
        use tracing_subscriber::layer::SubscriberExt;
        let fields = Fields::default();
        let subscriber = tracing_subscriber::registry().with(fields.clone());
        let summary = Summary {
            counts: Counts {
                events: 2,
                records: 7,
                entries: 7,
                untimed: 1,
                ..Counts::default()
            },
            delivered: 6,
            failed: 1,
            splits: 3,
            ..Summary::zero()
        };
        tracing::subscriber::with_default(subscriber, || {
            summary.log(Severity::Error, "3", Some("1/5"))
        });
        let events = fields.0.lock().unwrap();
        let e = &events[0];
        let field = |k: &str| e.get(k).map(String::as_str);
        assert_eq!(field("records"), Some("7"));
        assert_eq!(field("delivered"), Some("6"));
        assert_eq!(field("failed"), Some("1"));
        assert_eq!(field("splits"), Some("3"));
        assert_eq!(field("untimed"), Some("1"));
        assert_eq!(field("partition"), Some("\"3\""));
        assert_eq!(field("retry"), Some("\"1/5\""));
    }

    #[test]
    #[allow(clippy::single_range_in_vec_init)]
    fn records_touched_counts_a_multipart_record_once() {
        let multipart = [3..6, 10..12];
        assert_eq!(records_touched(&mut [0..3], &multipart), 3);
        assert_eq!(records_touched(&mut [4..5], &multipart), 1);
        assert_eq!(
            records_touched(&mut [2..4, 5..11], &multipart),
            1 + 1 + 4 + 1
        );
        assert_eq!(records_touched(&mut [0..20], &multipart), 20 - 5 + 2);
        assert_eq!(records_touched(&mut [], &multipart), 0);
    }

    #[test]
    #[allow(clippy::single_range_in_vec_init)]
    fn summary_balances_in_records() {
        // 10 records: 2 dropped; 8 kept as 10 entries (one record in 3 parts: entries 4..7).
        let report = BuildReport {
            counts: Counts {
                events: 1,
                records: 10,
                entries: 10,
                dropped: 2,
                parted: 1,
                ..Counts::default()
            },
            multipart: vec![4..7],
            untimed_sample: None,
        };
        let delivery = Delivery {
            accepted: 7,
            failed: vec![Failed {
                entries: 5..8,
                reason: Reason::Stopping,
            }],
            ..Delivery::default()
        };
        let s = Summary::new(&report, &delivery, true, Duration::ZERO);
        assert!(s.balanced(), "{s}");
        assert_eq!((s.delivered, s.dead_lettered, s.failed), (6, 2, 0));
        let s = Summary::new(&report, &delivery, false, Duration::ZERO);
        assert!(s.balanced());
        assert_eq!(s.failed, 2);
        assert!(
            s.to_string()
                .starts_with("events=1 records=10 entries=10 delivered=6 dropped=2")
        );
        // A delivery that lost track of an entry does not balance.
        let short = Delivery {
            accepted: 6,
            ..delivery
        };
        assert!(!Summary::new(&report, &short, false, Duration::ZERO).balanced());
    }
}
