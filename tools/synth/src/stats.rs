//! What a generation run produced: counts and sizes, per category.

use std::fmt;

use crate::Event;
use crate::records::Category;

/// Counts and sizes of what was generated.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub invocations: usize,
    pub events: usize,
    /// Sum of the event bodies (the decoded event JSON).
    pub event_bytes: usize,
    pub smallest_event: usize,
    pub largest_event: usize,
    /// Sum of the request bodies.
    pub request_bytes: usize,
    pub largest_request: usize,
    pub categories: [CategoryStats; 6],
}

#[derive(Debug, Clone, Copy, Default)]
pub struct CategoryStats {
    pub records: usize,
    pub failed: usize,
    pub bytes: usize,
    pub smallest: usize,
    pub largest: usize,
}

impl Stats {
    pub(crate) fn add_event(&mut self, e: &Event) {
        let len = e.body.len();
        self.smallest_event = if self.events == 0 {
            len
        } else {
            self.smallest_event.min(len)
        };
        self.largest_event = self.largest_event.max(len);
        self.events += 1;
        self.event_bytes += len;
        for r in &e.records {
            let c = &mut self.categories[r.category.index()];
            c.smallest = if c.records == 0 {
                r.bytes
            } else {
                c.smallest.min(r.bytes)
            };
            c.largest = c.largest.max(r.bytes);
            c.records += 1;
            c.failed += usize::from(r.failed);
            c.bytes += r.bytes;
        }
    }

    pub fn records(&self) -> usize {
        self.categories.iter().map(|c| c.records).sum()
    }

    /// Adds another invocation's statistics.
    pub fn merge(&mut self, other: &Stats) {
        self.smallest_event = if self.events == 0 {
            other.smallest_event
        } else {
            self.smallest_event.min(other.smallest_event)
        };
        self.largest_event = self.largest_event.max(other.largest_event);
        self.invocations += other.invocations;
        self.events += other.events;
        self.event_bytes += other.event_bytes;
        self.request_bytes += other.request_bytes;
        self.largest_request = self.largest_request.max(other.largest_request);
        for (a, b) in self.categories.iter_mut().zip(&other.categories) {
            a.smallest = if a.records == 0 {
                b.smallest
            } else if b.records == 0 {
                a.smallest
            } else {
                a.smallest.min(b.smallest)
            };
            a.largest = a.largest.max(b.largest);
            a.records += b.records;
            a.failed += b.failed;
            a.bytes += b.bytes;
        }
    }
}

/// A Markdown table of the mix and sizes.
impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let records = self.records().max(1);
        let record_bytes: usize = self.categories.iter().map(|c| c.bytes).sum();
        writeln!(
            f,
            "| category | records | share | failed | avg bytes | min | max |"
        )?;
        writeln!(f, "|---|---:|---:|---:|---:|---:|---:|")?;
        for (category, c) in Category::ALL.iter().zip(&self.categories) {
            writeln!(
                f,
                "| {} | {} | {:.1}% | {} | {} | {} | {} |",
                category.name(),
                c.records,
                100.0 * c.records as f64 / records as f64,
                c.failed,
                c.bytes / c.records.max(1),
                c.smallest,
                c.largest
            )?;
        }
        let failed: usize = self.categories.iter().map(|c| c.failed).sum();
        writeln!(
            f,
            "| all | {} | 100% | {} | {} | | |",
            self.records(),
            failed,
            record_bytes / records
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{} invocation(s), {} events: {:.1} records/event, event bodies {}-{} bytes (avg {}), \
             {} bytes of event JSON, {} bytes of requests (largest {}, {:.3} request bytes per event byte)",
            self.invocations,
            self.events,
            self.records() as f64 / self.events.max(1) as f64,
            self.smallest_event,
            self.largest_event,
            self.event_bytes / self.events.max(1),
            self.event_bytes,
            self.request_bytes,
            self.largest_request,
            self.request_bytes as f64 / self.event_bytes.max(1) as f64
        )
    }
}
