//! What the benchmark sends: invocation shapes (`100x20`: 100 events of 20 records; `100x1mb`:
//! 100 events of 1 MB), record mixes, the generated invocations, and the serde_json floor of
//! their event bodies.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use entra_synth::{EventSize, Generator, Records, Stats};

use crate::MB;

/// An invocation's shape: how many events, and how large each is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub events: usize,
    pub size: EventSize,
}

impl Shape {
    /// `EVENTSxSIZE`: SIZE is a record count (`100x20`) or bytes per event with a unit
    /// (`100x1mb`, `100x200kib`, `10x500kb`).
    pub fn parse(text: &str) -> Result<Shape, String> {
        let bad = || {
            format!(
                "{text:?}: expected EVENTSxSIZE, SIZE a record count (100x20) or bytes per event \
                 with a unit: kb, kib, mb, mib (100x1mb, 100x200kib)"
            )
        };
        let lower = text.trim().to_ascii_lowercase();
        let (events, size) = lower.split_once('x').ok_or_else(bad)?;
        let events: usize = events.parse().map_err(|_| bad())?;
        let digits = size.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let n: usize = digits.parse().map_err(|_| bad())?;
        let size = match &size[digits.len()..] {
            "" => EventSize::Records(n),
            "kb" => EventSize::Bytes(n * 1000),
            "kib" => EventSize::Bytes(n * 1024),
            "mb" => EventSize::Bytes(n * 1_000_000),
            "mib" => EventSize::Bytes(n << 20),
            _ => return Err(bad()),
        };
        if events == 0 || n == 0 {
            return Err(bad());
        }
        Ok(Shape { events, size })
    }
}

/// `100 × 20 records`, `100 × 1 MB`, `100 × 200 KiB`.
impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.size {
            EventSize::Records(n) => write!(f, "{} × {n} records", self.events),
            EventSize::Bytes(b) if b % 1_000_000 == 0 => {
                write!(f, "{} × {} MB", self.events, b / 1_000_000)
            }
            EventSize::Bytes(b) if b % (1 << 20) == 0 => {
                write!(f, "{} × {} MiB", self.events, b >> 20)
            }
            EventSize::Bytes(b) if b % 1024 == 0 => write!(f, "{} × {} KiB", self.events, b / 1024),
            EventSize::Bytes(b) => write!(f, "{} × {} KB", self.events, b / 1000),
        }
    }
}

/// A record mix of `entra-synth`, with its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    pub name: &'static str,
    pub records: Records,
}

impl Mix {
    pub fn parse(name: &str) -> Result<Mix, String> {
        const NAMES: [&str; 6] = [
            "mixed",
            "default",
            "signin-heavy",
            "audit-heavy",
            "tiny",
            "large",
        ];
        let name = NAMES
            .iter()
            .find(|n| n.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| format!("expected one of {}", Records::NAMES))?;
        let records = Records::from_name(name).expect("a known name");
        Ok(Mix { name, records })
    }
}

/// One invocation request, ready to send many times.
pub struct Payload {
    pub request: Bytes,
    pub records: usize,
    /// Decoded event JSON: the input that MB/s and CPU-s/MB are measured against.
    pub event_bytes: usize,
    pub events: Vec<Vec<u8>>,
}

/// The invocations of one shape and mix: one per partition (partition p sends payload p).
pub struct Data {
    pub shape: Shape,
    pub mix: Mix,
    pub payloads: Vec<Arc<Payload>>,
    pub stats: Stats,
}

impl Data {
    pub fn generate(seed: u64, shape: Shape, mix: Mix, partitions: usize) -> Data {
        let mut stats = Stats::default();
        let payloads = (0..partitions.max(1))
            .map(|p| {
                let inv = Generator::with_records(seed, p as u32, mix.records)
                    .invocation_of(shape.events, shape.size);
                stats.merge(&inv.stats);
                Arc::new(Payload {
                    request: Bytes::from(inv.request),
                    records: inv.stats.records(),
                    event_bytes: inv.stats.event_bytes,
                    events: inv.events,
                })
            })
            .collect();
        Data {
            shape,
            mix,
            payloads,
            stats,
        }
    }

    /// Average bytes of event JSON per record.
    pub fn record_bytes(&self) -> f64 {
        let bytes: usize = self.payloads.iter().map(|p| p.event_bytes).sum();
        let records: usize = self.payloads.iter().map(|p| p.records).sum();
        bytes as f64 / records.max(1) as f64
    }

    /// The floor of partition 0's invocation alone, in CPU-s per MB of event JSON.
    pub fn floor_per_mb_of_one(&self, runs: usize) -> f64 {
        let p = &self.payloads[0];
        floor(&p.events, runs).as_secs_f64() / (p.event_bytes as f64 / MB)
    }

    /// The floor in CPU-s per MB of event JSON: serde_json validation of every payload's event
    /// bodies on this thread, the best of `runs` for each.
    pub fn floor_per_mb(&self, runs: usize) -> f64 {
        let cpu: Duration = self.payloads.iter().map(|p| floor(&p.events, runs)).sum();
        let bytes: usize = self.payloads.iter().map(|p| p.event_bytes).sum();
        cpu.as_secs_f64() / (bytes as f64 / MB)
    }
}

/// Best-of-`runs` CPU time of validating every event body with serde_json, on this thread.
pub fn floor(events: &[Vec<u8>], runs: usize) -> Duration {
    (0..runs.max(1))
        .map(|_| {
            let start = crate::handler::thread_cpu();
            for body in events {
                let v = serde_json::from_slice::<serde::de::IgnoredAny>(body);
                std::hint::black_box(v.expect("generated events are valid JSON"));
            }
            crate::handler::thread_cpu() - start
        })
        .min()
        .expect("at least one run")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse_and_print() {
        let s = Shape::parse("100x20").unwrap();
        assert_eq!(s.size, EventSize::Records(20));
        assert_eq!(s.to_string(), "100 × 20 records");
        assert_eq!(Shape::parse("100x1MB").unwrap().to_string(), "100 × 1 MB");
        assert_eq!(
            Shape::parse("100x200kib").unwrap().size,
            EventSize::Bytes(204_800)
        );
        assert_eq!(Shape::parse("1x200kib").unwrap().to_string(), "1 × 200 KiB");
        for bad in ["100", "x20", "100x", "100x2gb", "0x20", "100x0"] {
            assert!(Shape::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Mix::parse("Mixed").unwrap().records, Records::MIXED);
        assert!(Mix::parse("huge").is_err());
    }
}
