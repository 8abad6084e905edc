//! What building an invocation's entries counted: [`Counts`] and the [`BuildReport`].

use std::ops::Range;

use crate::controls::ControlCounts;

/// What happened to the records of an invocation before delivery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Events read.
    pub events: usize,
    /// Records the events held (a malformed record counts once, as one `Unparsed` entry).
    pub records: usize,
    /// Entries built: one per record kept, or several for a record sent in parts.
    pub entries: usize,
    /// Dropped on purpose by `DROP_CATEGORIES` / `DROP_SUCCESSFUL_CATEGORIES`.
    pub dropped: usize,
    /// Records larger than `MAX_ENTRY_BYTES`, sent in parts.
    pub parted: usize,
    /// Records that were not valid JSON and were repaired.
    pub repaired: usize,
    /// Records that are not JSON, shipped as text (`Unparsed`).
    pub unparsed: usize,
    /// Records with invalid UTF-8 (replaced by U+FFFD).
    pub invalid_utf8: usize,
    /// NUL bytes around event bodies, ignored.
    pub nul_bytes: usize,
    /// JSON records without a time of their own that could be read (stamped with the event's
    /// enqueued time, or the time of processing).
    pub untimed: usize,
    /// Entries older than `RESTAMP_AFTER`, sent with the time of processing.
    pub restamped: usize,
    /// What the operator controls did (their drops are also in `dropped`).
    pub controls: ControlCounts,
    /// Values masked (`MASK_FIELDS`, `MASK_VALUES`).
    pub masked: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.events += o.events;
        self.records += o.records;
        self.entries += o.entries;
        self.dropped += o.dropped;
        self.parted += o.parted;
        self.repaired += o.repaired;
        self.unparsed += o.unparsed;
        self.invalid_utf8 += o.invalid_utf8;
        self.nul_bytes += o.nul_bytes;
        self.untimed += o.untimed;
        self.restamped += o.restamped;
        self.controls += o.controls;
        self.masked += o.masked;
    }
}

/// What building an invocation's entries found, besides the entries.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// What happened to the records.
    pub counts: Counts,
    /// The entry numbers of each record sent in parts.
    pub multipart: Vec<Range<u64>>,
    /// A record time that could not be read, as an example for the log.
    pub untimed_sample: Option<String>,
}
