//! `--memory`: the handler's peak RSS per workload, each workload in a fresh handler process
//! (VmHWM is per process), with a target and pass/miss per row.
//!
//! A workload is one or more concurrent "partitions", each sending its own invocation one
//! after another as the host does. Bodies are sent chunked (no Content-Length) unless
//! `--content-length`: the host most likely sends them so, and it is the harder case for the
//! handler's memory budget, which then learns the body's size only as it arrives.
//!
//! Every row also checks that everything was delivered: each invocation must answer 200 with
//! `delivered` = the records sent, and the sink must have counted every entry the handler built.

mod http;
mod report;
mod rows;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use entra_synth::Generator;

use crate::handler::{self, Handler, ProcStats};
use crate::machine::loadavg;
use crate::sink::{self, Sink};
use crate::{Cli, MIB};
use http::invoke;
use report::{Breakdown, print_report};
use rows::{Data, Workload, rows};

/// `MAX_BODY_BYTES`' default.
const MAX_BODY_BYTES: usize = 268_435_456;
/// The error body the sink answers with in the error-answer row.
const ERROR_BODY_BYTES: usize = 200 << 20;
/// Chunk size of a chunked request body.
const CHUNK_BYTES: usize = 64 * 1024;
/// How often RSS is sampled during a row (for the time of the peak and `--memory-trace`).
const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// One invocation request, ready to send many times.
struct Payload {
    pub request: Bytes,
    pub records: usize,
}

/// What one row measured.
#[derive(Default)]
struct Measured {
    pub body_bytes: usize,
    pub records_sent: usize,
    pub records_delivered: usize,
    pub entries_built: usize,
    pub entries_at_sink: u64,
    pub retries: usize,
    /// Requests the sink answered 500.
    pub refused: u64,
    pub failures: Vec<String>,
    pub peak_rss: u64,
    pub rss_after: u64,
    pub peak_at: Duration,
    pub wall: Duration,
    pub cpu: f64,
    pub other_cpu: f64,
    pub trace: Vec<(Duration, u64)>,
    /// With --memory-trace: the highest RSS sample and where that memory was.
    pub at_peak: Option<(u64, Breakdown)>,
}

pub async fn run(cli: &Cli, binary: &Path) -> Result<(), String> {
    let mut rows = rows();
    if !cli.memory_rows.is_empty() {
        rows.retain(|r| cli.memory_rows.iter().any(|id| id == r.id));
        if rows.len() < cli.memory_rows.len() {
            return Err(format!(
                "unknown row in --memory-rows; rows: {}",
                self::rows()
                    .iter()
                    .map(|r| r.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    // The first --tls setting (TLS by default), as the handler reaches Coralogix.
    let tls = cli.tls.first().copied().unwrap_or(true);
    let sink = sink::start(tls).await?;
    let started = Instant::now();
    let load_before = loadavg();
    let mut payloads: HashMap<(Data, usize), Arc<Payload>> = HashMap::new();
    let mut results: Vec<Measured> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        // Keep only the payloads that this row and the rows after it send.
        payloads.retain(|(data, p), _| {
            rows[i..]
                .iter()
                .any(|r| r.data == *data && *p < r.partitions)
        });
        let mut mine = Vec::new();
        for p in 0..row.partitions {
            let key = (row.data, p);
            let payload = payloads.entry(key).or_insert_with(|| {
                eprintln!("generating {} (partition {p})...", row.data.records.name());
                Arc::new(generate(cli.seed, row.data, p))
            });
            mine.push(Arc::clone(payload));
        }
        eprintln!("[{}/{}] {} ...", i + 1, rows.len(), row.title);
        let m = measure(cli, binary, &sink, row, &mine).await?;
        eprintln!(
            "  peak RSS {:.1} MiB, {} of {} records delivered{}",
            m.peak_rss as f64 / MIB,
            m.records_delivered,
            m.records_sent,
            m.failures
                .first()
                .map(|f| format!("; {} failure(s), first: {f}", m.failures.len()))
                .unwrap_or_default()
        );
        results.push(m);
    }
    let load_after = loadavg();
    print_report(
        cli,
        binary,
        &rows,
        &results,
        &load_before,
        &load_after,
        started.elapsed(),
    );
    Ok(())
}

fn generate(seed: u64, data: Data, partition: usize) -> Payload {
    let inv = Generator::with_records(seed, partition as u32, data.records.records())
        .invocation(data.events, data.event_bytes);
    Payload {
        records: inv.stats.records(),
        request: Bytes::from(inv.request),
    }
}

async fn measure(
    cli: &Cli,
    binary: &Path,
    sink: &Sink,
    row: &Workload,
    payloads: &[Arc<Payload>],
) -> Result<Measured, String> {
    let mut env = cli.envs.clone();
    env.extend(row.env.iter().cloned());
    let handler = Handler::start(binary, sink, &env)?;
    let counters = &sink.counters;
    let pid = handler.pid;
    let addr = handler.addr;

    // RSS sampled as the row runs; with --memory-trace, also where it is at the highest sample.
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        let breakdown = cli.memory_trace;
        tokio::spawn(async move {
            let start = Instant::now();
            let mut trace = Vec::new();
            let mut at_peak = None;
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            while !done.load(Ordering::Relaxed) {
                tick.tick().await;
                let rss = ProcStats::of(pid).rss;
                if breakdown && trace.iter().all(|&(_, r)| r < rss) {
                    at_peak = Some((rss, Breakdown::of(pid)));
                }
                trace.push((start.elapsed(), rss));
            }
            (trace, at_peak)
        })
    };

    let sink_before = counters.snapshot();
    let refused_before = counters.refused.load(Ordering::Relaxed);
    let cpu_before = handler.stats().cpu_seconds;
    let loadgen_before = ProcStats::of_self().cpu_seconds;
    let machine_before = handler::machine_busy_seconds();
    let started = Instant::now();
    let tasks: Vec<_> = payloads
        .iter()
        .enumerate()
        .map(|(p, payload)| {
            let payload = Arc::clone(payload);
            let counters = Arc::clone(counters);
            let (n, error_answer, chunked) = (
                row.invocations,
                row.error_answer,
                !(cli.content_length || row.content_length),
            );
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for i in 0..n {
                    if error_answer {
                        // One invocation at a time in this row: its first request is the
                        // next one the sink sees.
                        counters.refuse_next(1, ERROR_BODY_BYTES);
                    }
                    let id = format!("memory-{p}-{i}");
                    answers.push(invoke(addr, &payload, &id, chunked).await);
                }
                answers
            })
        })
        .collect();
    let mut m = Measured::default();
    for (task, payload) in tasks.into_iter().zip(payloads) {
        let answers = task.await.map_err(|e| format!("a sender task: {e}"))?;
        for answer in answers {
            m.body_bytes = m.body_bytes.max(payload.request.len());
            m.records_sent += payload.records;
            match answer {
                Ok(a) => {
                    if a.records != payload.records {
                        m.failures.push(format!(
                            "the handler read {} records of {}",
                            a.records, payload.records
                        ));
                    }
                    m.records_delivered += a.delivered;
                    m.entries_built += a.entries;
                    m.retries += a.retries;
                }
                Err(e) => m.failures.push(e),
            }
        }
    }
    m.wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    (m.trace, m.at_peak) = sampler.await.map_err(|e| format!("the RSS sampler: {e}"))?;
    let after = handler.stats();
    m.cpu = after.cpu_seconds - cpu_before;
    let loadgen_cpu = ProcStats::of_self().cpu_seconds - loadgen_before;
    m.other_cpu = (handler::machine_busy_seconds() - machine_before - m.cpu - loadgen_cpu).max(0.0);
    m.peak_rss = after.peak_rss;
    m.rss_after = after.rss;
    m.peak_at = m
        .trace
        .iter()
        .max_by_key(|(_, rss)| *rss)
        .map(|(t, _)| *t)
        .unwrap_or_default();
    // The handler answers only after delivery, so the sink has seen everything by now.
    m.entries_at_sink = (counters.snapshot() - sink_before).entries;
    m.refused = counters.refused.load(Ordering::Relaxed) - refused_before;
    handler.stop();
    Ok(m)
}
