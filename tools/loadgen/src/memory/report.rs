//! The `--memory` report: one table row per workload, notes, and with `--memory-trace` where
//! the memory was.

use std::path::Path;
use std::time::Duration;

use super::rows::{Workload, limit};
use super::{ERROR_BODY_BYTES, MAX_BODY_BYTES, Measured, SAMPLE_EVERY};
use crate::{Cli, MIB};

/// Where a process's resident memory is, by mapping (from /proc/<pid>/smaps), in bytes.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Breakdown {
    /// The brk heap: glibc's main arena (the only arena with MALLOC_ARENA_MAX=1).
    pub heap: u64,
    /// Anonymous mappings of 4 MiB or more: blocks glibc mmaps on their own, here the
    /// request bodies (and, with MALLOC_ARENA_MAX above 1, the heaps of the other arenas).
    pub large: u64,
    /// Other anonymous mappings: smaller mmapped blocks (requests to Coralogix of up to 2 MB
    /// while glibc's mmap threshold is below that), thread stacks, other arenas.
    pub anon: u64,
    /// File-backed mappings: the binary and libraries.
    pub file: u64,
}

impl Breakdown {
    pub fn of(pid: u32) -> Breakdown {
        let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
        let mut b = Breakdown::default();
        let mut current: Option<(u64, bool, bool)> = None; // size, heap, anonymous
        for line in smaps.lines() {
            if let Some(rss) = line.strip_prefix("Rss:") {
                let bytes = rss
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .unwrap_or(0)
                    * 1024;
                match current {
                    Some((_, true, _)) => b.heap += bytes,
                    Some((size, false, true)) if size >= 4 << 20 => b.large += bytes,
                    Some((_, false, true)) => b.anon += bytes,
                    _ => b.file += bytes,
                }
                continue;
            }
            // A mapping's first line: "start-end perms offset dev inode [path]".
            let mut fields = line.split_whitespace();
            let Some((start, end)) = fields.next().and_then(|r| r.split_once('-')) else {
                continue;
            };
            let (Ok(start), Ok(end)) =
                (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
            else {
                continue;
            };
            let path = fields.nth(4).unwrap_or("");
            current = Some((end - start, path == "[heap]", path.is_empty()));
        }
        b
    }
}

pub(super) fn print_report(
    cli: &Cli,
    binary: &Path,
    rows: &[Workload],
    results: &[Measured],
    load_before: &str,
    load_after: &str,
    elapsed: Duration,
) {
    println!(
        "# entra-loadgen --memory\n\nBinary: {} ({} bytes). {} Load average before: \
         {load_before}; after: {load_after}. {:.0} s in all.\n",
        binary.display(),
        std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0),
        crate::machine::describe(),
        elapsed.as_secs_f64()
    );
    println!(
        "Bodies sent {}; the sink speaks {}; a fresh handler per row; peak RSS is the \
         handler's VmHWM. Extra environment: {}.\n",
        if cli.content_length {
            "with a Content-Length"
        } else {
            "chunked (no Content-Length)"
        },
        if cli.tls.first().copied().unwrap_or(true) {
            "HTTPS (TLS on loopback)"
        } else {
            "plain HTTP"
        },
        if cli.envs.is_empty() {
            "none".to_string()
        } else {
            cli.envs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        }
    );
    println!(
        "| # | workload | request body MiB | records | peak RSS MiB | target MiB | verdict | \
         records delivered / sent | entries at sink / built | RSS after MiB | handler CPU-s | \
         other CPU-s | before the rework MB |"
    );
    println!("|---:|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|");
    for (i, (row, m)) in rows.iter().zip(results).enumerate() {
        let body = if row.partitions > 1 {
            format!("{} × {:.1}", row.partitions, m.body_bytes as f64 / MIB)
        } else {
            format!("{:.1}", m.body_bytes as f64 / MIB)
        };
        let (limit, target) = limit(row, m, rows, results)
            .unwrap_or((f64::INFINITY, "(its reference row was not run)".into()));
        let delivered_all = m.failures.is_empty() && m.records_delivered == m.records_sent;
        let sink_all = m.entries_at_sink == m.entries_built as u64;
        let verdict = match (m.peak_rss as f64 <= limit, delivered_all && sink_all) {
            (true, true) if limit.is_infinite() => "n/a".to_string(),
            (true, true) => "pass".to_string(),
            (false, true) => format!(
                "MISS ({:.0}% over)",
                100.0 * (m.peak_rss as f64 - limit) / limit
            ),
            (true, false) => "MISS (not all delivered)".to_string(),
            (false, false) => "MISS (over, and not all delivered)".to_string(),
        };
        println!(
            "| {} | {} | {body} | {} | {:.1} | ≤ {target} | {verdict} | {} / {} | {} / {} | {:.1} | {:.2} | {:.2} | {} |",
            i + 1,
            row.title,
            m.records_sent,
            m.peak_rss as f64 / MIB,
            m.records_delivered,
            m.records_sent,
            m.entries_at_sink,
            m.entries_built,
            m.rss_after as f64 / MIB,
            m.cpu,
            m.other_cpu,
            row.before.unwrap_or("")
        );
    }
    println!();
    for (i, (row, m)) in rows.iter().zip(results).enumerate() {
        let mut notes = Vec::new();
        if row.invocations > 1 || row.partitions > 1 {
            notes.push(format!(
                "{} invocations ({} partition(s) × {})",
                row.partitions * row.invocations,
                row.partitions,
                row.invocations
            ));
        }
        if m.refused > 0 {
            notes.push(format!(
                "the sink answered {} request(s) with 500 and {} MiB",
                m.refused,
                ERROR_BODY_BYTES >> 20
            ));
        }
        if m.retries > 0 {
            notes.push(format!("{} request(s) retried", m.retries));
        }
        notes.push(format!(
            "peak {:.2} s after the first request of {:.2} s",
            m.peak_at.as_secs_f64(),
            m.wall.as_secs_f64()
        ));
        if let Some(f) = m.failures.first() {
            notes.push(format!("{} failure(s); first: {f}", m.failures.len()));
        }
        println!("- Row {} ({}): {}.", i + 1, row.id, notes.join("; "));
    }
    println!();
    if cli.memory_trace {
        for (i, (row, m)) in rows.iter().zip(results).enumerate() {
            if let Some((rss, b)) = m.at_peak {
                println!(
                    "Row {} ({}), at the highest sample (RSS {:.1} MiB): heap (brk) {:.1} MiB, \
                     anonymous mappings of 4 MiB or more (request bodies) {:.1} MiB, other \
                     anonymous {:.1} MiB, files {:.1} MiB (a mapping moved by mremap while it is \
                     read may count twice).",
                    i + 1,
                    row.id,
                    rss as f64 / MIB,
                    b.heap as f64 / MIB,
                    b.large as f64 / MIB,
                    b.anon as f64 / MIB,
                    b.file as f64 / MIB
                );
            }
            println!(
                "Row {} ({}), RSS MiB every {} ms:",
                i + 1,
                row.id,
                SAMPLE_EVERY.as_millis()
            );
            let line: Vec<String> = m
                .trace
                .iter()
                .map(|(_, rss)| format!("{:.0}", *rss as f64 / MIB))
                .collect();
            println!("{}\n", line.join(" "));
        }
    }
    let body_limit = rows
        .iter()
        .zip(results)
        .filter(|(_, m)| m.body_bytes > MAX_BODY_BYTES)
        .count();
    if body_limit > 0 {
        println!(
            "Note: {body_limit} row(s) sent bodies above MAX_BODY_BYTES' default ({MAX_BODY_BYTES})."
        );
    }
}
