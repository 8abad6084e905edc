//! The `--memory` workloads ("rows") and their targets.

use entra_synth::{DEFAULT_EVENT_BYTES, DEFAULT_EVENTS, Records};

use super::Measured;
use crate::MIB;

/// Event size of the "1 MB" workloads: the Event Hubs limit (Standard tier and above).
pub(super) const MB_EVENT: usize = 1_000_000;

/// What one partition sends: `events` events of up to `event_bytes`, of `records`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Data {
    pub records: RecordKind,
    pub events: usize,
    pub event_bytes: usize,
}

/// [`Records`] with a name (and `Hash`, for the payload cache).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum RecordKind {
    Realistic,
    Tiny,
    Large,
}

impl RecordKind {
    pub fn records(self) -> Records {
        match self {
            RecordKind::Realistic => Records::DEFAULT,
            RecordKind::Tiny => Records::Tiny,
            RecordKind::Large => Records::Large,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Realistic => "realistic records",
            RecordKind::Tiny => "tiny records",
            RecordKind::Large => "1 MB records",
        }
    }
}

/// The target of a row: peak RSS at most this.
#[derive(Debug, Clone)]
pub(super) enum Target {
    /// 1.5 × the request bodies sent at once + 64 MiB.
    PerBody,
    /// A fixed limit in MiB, with what it is.
    Fixed(f64, &'static str),
    /// Another row's peak RSS + this many MiB.
    AboveRow(&'static str, f64),
    /// What the budget promises: MEMORY_BUDGET_MB (this many MiB), exceeded at most by what the
    /// oldest invocation needs (its body and working memory), + 64 MiB.
    BudgetAndOldest(f64),
}

pub(super) struct Workload {
    /// Unique; other rows refer to it.
    pub id: &'static str,
    pub title: String,
    pub data: Data,
    pub partitions: usize,
    /// Invocations per partition, one after another.
    pub invocations: usize,
    pub env: Vec<(String, String)>,
    /// The sink answers the first request of each invocation with a 500 and a 200 MB body.
    pub error_answer: bool,
    /// Send bodies with a Content-Length even without --content-length.
    pub content_length: bool,
    pub target: Target,
    /// Peak RSS before the rework (from the issue), MB.
    pub before: Option<&'static str>,
}

pub(super) fn rows() -> Vec<Workload> {
    let realistic = Data {
        records: RecordKind::Realistic,
        events: DEFAULT_EVENTS,
        event_bytes: DEFAULT_EVENT_BYTES,
    };
    let mb = |records, events| Data {
        records,
        events,
        event_bytes: MB_EVENT,
    };
    let one = |id, data: Data, before| Workload {
        id,
        title: format!(
            "{}, {} × {} event{}",
            data.records.name(),
            data.events,
            if data.event_bytes == MB_EVENT {
                "1 MB".to_string()
            } else {
                format!("{} KB", data.event_bytes / 1024)
            },
            if data.events == 1 { "" } else { "s" }
        ),
        data,
        partitions: 1,
        invocations: 1,
        env: Vec::new(),
        error_answer: false,
        content_length: false,
        target: Target::PerBody,
        before,
    };
    let budget = |mb: u32| vec![("MEMORY_BUDGET_MB".to_string(), mb.to_string())];
    let mut rows = vec![
        one("realistic", realistic, None),
        one("tiny-1", mb(RecordKind::Tiny, 1), Some("88")),
        one("tiny-10", mb(RecordKind::Tiny, 10), Some("727")),
        one("tiny-30", mb(RecordKind::Tiny, 30), Some("2,136")),
        one("tiny-100", mb(RecordKind::Tiny, 100), None),
        one("large-100", mb(RecordKind::Large, 100), None),
        one("realistic-1mb", mb(RecordKind::Realistic, 100), None),
    ];
    // The largest body MAX_BODY_BYTES lets through: 200 events of 1 MB in base64.
    let big = mb(RecordKind::Realistic, 200);
    rows.push(Workload {
        title: "one 256 MB body (realistic records, 200 × 1 MB events)".into(),
        ..one("256mb", big, Some("950"))
    });
    rows.push(Workload {
        title: "two concurrent 256 MB bodies".into(),
        partitions: 2,
        ..one("256mb-x2", big, Some("1,854"))
    });
    for (kind, id, id_budget) in [
        (RecordKind::Realistic, "4p-realistic", "4p-realistic-512"),
        (RecordKind::Tiny, "4p-tiny", "4p-tiny-512"),
        (RecordKind::Large, "4p-large", "4p-large-512"),
    ] {
        let data = mb(kind, 100);
        rows.push(Workload {
            title: format!(
                "4 partitions × 2 invocations of 100 × 1 MB events, {}",
                kind.name()
            ),
            partitions: 4,
            invocations: 2,
            target: Target::Fixed(1024.0, "1 GiB"),
            ..one(id, data, None)
        });
        rows.push(Workload {
            title: format!("the same with MEMORY_BUDGET_MB=512 ({})", kind.name()),
            partitions: 4,
            invocations: 2,
            env: budget(512),
            target: Target::Fixed(512.0 + 64.0, "budget + 64 MiB"),
            ..one(id_budget, data, None)
        });
        if kind == RecordKind::Realistic {
            // A 512 MB Flex Consumption instance: its default budget is 512 MiB less 300 MiB
            // of headroom.
            rows.push(Workload {
                title: "the same with MEMORY_BUDGET_MB=212, the default on a 512 MB instance \
                        (realistic records)"
                    .into(),
                partitions: 4,
                invocations: 2,
                env: budget(212),
                target: Target::BudgetAndOldest(212.0),
                ..one("4p-realistic-212", data, None)
            });
            // With a Content-Length each invocation reserves its whole body before reading
            // it, so no invocation holds part of the budget while another is still reading:
            // served in the order they arrive, reservations never exceed the budget, and RSS
            // exceeds them only by the binary, the stacks and the allocator's slack. Two
            // bodies of 127 MiB at once (254 MiB) would exceed this target.
            rows.push(Workload {
                title: "the same with MEMORY_BUDGET_MB=212, bodies sent with a Content-Length \
                        (realistic records)"
                    .into(),
                partitions: 4,
                invocations: 2,
                env: budget(212),
                content_length: true,
                target: Target::Fixed(212.0 + 16.0, "budget + 16 MiB"),
                ..one("4p-realistic-212-length", data, None)
            });
        }
    }
    rows.push(Workload {
        title: format!(
            "{}, the first request answered 500 with a 200 MB body",
            rows[0].title
        ),
        error_answer: true,
        target: Target::AboveRow("realistic", 16.0),
        ..one("error-answer", realistic, None)
    });
    rows
}

/// The working memory the handler reserves for one invocation of `row` with its default
/// settings: (2 × MAX_CONCURRENT_REQUESTS + 2) × MAX_REQUEST_BYTES + 3 × the largest event +
/// 4 MiB (src/server.rs).
pub(super) fn working_memory(row: &Workload) -> f64 {
    ((2 * 4 + 2) * 2_000_000 + 3 * row.data.event_bytes) as f64 + 4.0 * MIB
}

/// The limit of a row in bytes, and how it is written.
pub(super) fn limit(
    row: &Workload,
    m: &Measured,
    rows: &[Workload],
    results: &[Measured],
) -> Option<(f64, String)> {
    match &row.target {
        Target::PerBody => {
            let bodies = (row.partitions * m.body_bytes) as f64;
            let limit = 1.5 * bodies + 64.0 * MIB;
            let what = if row.partitions == 1 {
                "1.5 × body + 64"
            } else {
                "1.5 × bodies + 64"
            };
            Some((limit, format!("{what} = {:.0}", limit / MIB)))
        }
        Target::Fixed(mib, what) => Some((mib * MIB, format!("{what} = {mib:.0}"))),
        Target::BudgetAndOldest(budget) => {
            let limit = budget * MIB + m.body_bytes as f64 + working_memory(row) + 64.0 * MIB;
            Some((
                limit,
                format!("budget + body + working memory + 64 = {:.0}", limit / MIB),
            ))
        }
        Target::AboveRow(id, plus) => {
            let i = rows.iter().position(|r| r.id == *id)?;
            let limit = results[i].peak_rss as f64 + plus * MIB;
            Some((
                limit,
                format!("row {} + {plus:.0} = {:.0}", i + 1, limit / MIB),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MAX_BODY_BYTES;
    use crate::memory::generate;
    use entra_synth::Generator;

    #[test]
    fn every_workload_is_json_records() {
        for kind in [RecordKind::Realistic, RecordKind::Tiny, RecordKind::Large] {
            let inv = Generator::with_records(3, 1, kind.records()).invocation(2, 300_000);
            let mut records = 0;
            for body in &inv.events {
                let event: serde_json::Value = serde_json::from_slice(body).expect("JSON");
                for record in event["records"].as_array().expect("records") {
                    assert!(record["time"].is_string() && record["category"].is_string());
                    records += 1;
                }
            }
            assert_eq!(records, inv.stats.records(), "{kind:?}");
            if kind == RecordKind::Large {
                let event: serde_json::Value = serde_json::from_slice(&inv.events[0]).unwrap();
                let value =
                    event["records"][0]["properties"]["targetResources"][0]["modifiedProperties"]
                        [0]["newValue"]
                        .as_str()
                        .expect("a string");
                let addresses: serde_json::Value = serde_json::from_str(value).expect("JSON");
                assert!(addresses.as_array().expect("an array").len() > 1_000);
            }
        }
    }

    #[test]
    fn row_ids_are_unique_and_references_exist() {
        let rows = rows();
        for (i, row) in rows.iter().enumerate() {
            assert!(rows[..i].iter().all(|r| r.id != row.id), "{}", row.id);
            if let Target::AboveRow(id, _) = row.target {
                assert!(rows[..i].iter().any(|r| r.id == id), "{id}");
            }
        }
        // The largest body stays under MAX_BODY_BYTES.
        let big = generate(1, rows.iter().find(|r| r.id == "256mb").unwrap().data, 0);
        assert!(big.request.len() <= MAX_BODY_BYTES && big.request.len() > 250 << 20);
    }
}
