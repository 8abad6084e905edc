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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use entra_synth::{DEFAULT_EVENT_BYTES, DEFAULT_EVENTS, Generator, Records};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::handler::{self, Handler, ProcStats};
use crate::sink::{self, Counters};
use crate::{Cli, MIB};

/// Event size of the "1 MB" workloads: the Event Hubs limit (Standard tier and above).
const MB_EVENT: usize = 1_000_000;
/// `MAX_BODY_BYTES`' default.
const MAX_BODY_BYTES: usize = 268_435_456;
/// The error body the sink answers with in the error-answer row.
const ERROR_BODY_BYTES: usize = 200 << 20;
/// Chunk size of a chunked request body.
const CHUNK_BYTES: usize = 64 * 1024;
/// How often RSS is sampled during a row (for the time of the peak and `--memory-trace`).
const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// What one partition sends: `events` events of up to `event_bytes`, of `records`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Data {
    records: RecordKind,
    events: usize,
    event_bytes: usize,
}

/// [`Records`] with a name (and `Hash`, for the payload cache).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RecordKind {
    Realistic,
    Tiny,
    Large,
}

impl RecordKind {
    fn records(self) -> Records {
        match self {
            RecordKind::Realistic => Records::DEFAULT,
            RecordKind::Tiny => Records::Tiny,
            RecordKind::Large => Records::Large,
        }
    }

    fn name(self) -> &'static str {
        match self {
            RecordKind::Realistic => "realistic records",
            RecordKind::Tiny => "tiny records",
            RecordKind::Large => "1 MB records",
        }
    }
}

/// The target of a row: peak RSS at most this.
#[derive(Debug, Clone)]
enum Target {
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

struct Workload {
    /// Unique; other rows refer to it.
    id: &'static str,
    title: String,
    data: Data,
    partitions: usize,
    /// Invocations per partition, one after another.
    invocations: usize,
    env: Vec<(String, String)>,
    /// The sink answers the first request of each invocation with a 500 and a 200 MB body.
    error_answer: bool,
    /// Send bodies with a Content-Length even without --content-length.
    content_length: bool,
    target: Target,
    /// Peak RSS before the rework (from the issue), MB.
    before: Option<&'static str>,
}

fn rows() -> Vec<Workload> {
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

/// One invocation request, ready to send many times.
struct Payload {
    request: Bytes,
    records: usize,
}

/// What one row measured.
#[derive(Default)]
struct Measured {
    body_bytes: usize,
    records_sent: usize,
    records_delivered: usize,
    entries_built: usize,
    entries_at_sink: u64,
    retries: usize,
    /// Requests the sink answered 500.
    refused: u64,
    failures: Vec<String>,
    peak_rss: u64,
    rss_after: u64,
    peak_at: Duration,
    wall: Duration,
    cpu: f64,
    other_cpu: f64,
    trace: Vec<(Duration, u64)>,
    /// With --memory-trace: the highest RSS sample and where that memory was.
    at_peak: Option<(u64, Breakdown)>,
}

/// Where a process's resident memory is, by mapping (from /proc/<pid>/smaps), in bytes.
#[derive(Debug, Default, Clone, Copy)]
struct Breakdown {
    /// The brk heap: glibc's main arena (the only arena with MALLOC_ARENA_MAX=1).
    heap: u64,
    /// Anonymous mappings of 4 MiB or more: blocks glibc mmaps on their own, here the
    /// request bodies (and, with MALLOC_ARENA_MAX above 1, the heaps of the other arenas).
    large: u64,
    /// Other anonymous mappings: smaller mmapped blocks (requests to Coralogix of up to 2 MB
    /// while glibc's mmap threshold is below that), thread stacks, other arenas.
    anon: u64,
    /// File-backed mappings: the binary and libraries.
    file: u64,
}

impl Breakdown {
    fn of(pid: u32) -> Breakdown {
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

/// What the handler said about one invocation.
struct Answer {
    records: usize,
    entries: usize,
    delivered: usize,
    retries: usize,
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
    let (sink_port, counters) = sink::start()
        .await
        .map_err(|e| format!("starting the sink: {e}"))?;
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
        let m = measure(cli, binary, sink_port, &counters, row, &mine).await?;
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
    sink_port: u16,
    counters: &Arc<Counters>,
    row: &Workload,
    payloads: &[Arc<Payload>],
) -> Result<Measured, String> {
    let mut env = cli.envs.clone();
    env.extend(row.env.iter().cloned());
    let handler = Handler::start(binary, sink_port, &env)?;
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

/// Sends one invocation over a fresh connection, chunked or with a Content-Length, and reads
/// the handler's answer.
async fn invoke(
    addr: SocketAddr,
    payload: &Payload,
    id: &str,
    chunked: bool,
) -> Result<Answer, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    let _ = stream.set_nodelay(true);
    let body = &payload.request;
    let mut head = format!(
        "POST /EventHubTrigger HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         x-azure-functions-invocationid: {id}\r\nConnection: close\r\n"
    );
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        let _ = write!(head, "Content-Length: {}\r\n\r\n", body.len());
    }
    // A write that fails (the handler answered early, e.g. 413, and closed) still leaves its
    // answer to read.
    let sent: std::io::Result<()> = async {
        stream.write_all(head.as_bytes()).await?;
        for piece in body.chunks(CHUNK_BYTES) {
            if chunked {
                stream
                    .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await?;
                stream.write_all(piece).await?;
                stream.write_all(b"\r\n").await?;
            } else {
                stream.write_all(piece).await?;
            }
        }
        if chunked {
            stream.write_all(b"0\r\n\r\n").await?;
        }
        stream.flush().await
    }
    .await;
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer).await;
    let (status, body) = parse_response(&answer).ok_or_else(|| match (&sent, &read) {
        (Err(e), _) => format!("sending the request: {e}"),
        (_, Err(e)) => format!("reading the answer: {e}"),
        _ => format!(
            "not an HTTP answer: {:?}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        ),
    })?;
    let text = String::from_utf8_lossy(&body);
    if !(200..300).contains(&status) {
        return Err(format!(
            "HTTP {status}: {}",
            text.chars().take(300).collect::<String>()
        ));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| format!("answer is not JSON: {e}"))?;
    // The first log line is the summary: "partition=0 events=100 records=6209 entries=... ".
    let line = json["Logs"][0].as_str().unwrap_or_default();
    let count = |key: &str| {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse::<usize>().ok())
    };
    match (
        count("records"),
        count("entries"),
        count("delivered"),
        count("retries"),
    ) {
        (Some(records), Some(entries), Some(delivered), Some(retries)) => Ok(Answer {
            records,
            entries,
            delivered,
            retries,
        }),
        _ => Err(format!("no summary in the answer: {line}")),
    }
}

/// The status and body of an HTTP/1.1 answer read to the end (with a Content-Length, chunked,
/// or closed by the server).
fn parse_response(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let end = memchr::memmem::find(raw, b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let rest = &raw[end + 4..];
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    };
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        let mut at = rest;
        loop {
            let line_end = memchr::memmem::find(at, b"\r\n")?;
            let size_text = std::str::from_utf8(&at[..line_end]).ok()?;
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            at = &at[line_end + 2..];
            if size == 0 {
                return Some((status, body));
            }
            body.extend_from_slice(at.get(..size)?);
            at = at.get(size + 2..)?;
        }
    }
    let body = match header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(len) => rest.get(..len)?.to_vec(),
        None => rest.to_vec(),
    };
    Some((status, body))
}

/// The working memory the handler reserves for one invocation of `row` with its default
/// settings: (2 × MAX_CONCURRENT_REQUESTS + 2) × MAX_REQUEST_BYTES + 3 × the largest event +
/// 4 MiB (src/server.rs).
fn working_memory(row: &Workload) -> f64 {
    ((2 * 4 + 2) * 2_000_000 + 3 * row.data.event_bytes) as f64 + 4.0 * MIB
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The limit of a row in bytes, and how it is written.
fn limit(
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

fn print_report(
    cli: &Cli,
    binary: &Path,
    rows: &[Workload],
    results: &[Measured],
    load_before: &str,
    load_after: &str,
    elapsed: Duration,
) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "# entra-loadgen --memory\n\nBinary: {} ({} bytes). Machine: {cores} cores, kernel {}. \
         Load average before: {load_before}; after: {load_after}. {:.0} s in all.\n",
        binary.display(),
        std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0),
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim(),
        elapsed.as_secs_f64()
    );
    println!(
        "Bodies sent {}; a fresh handler per row; peak RSS is the handler's VmHWM. Extra \
         environment: {}.\n",
        if cli.content_length {
            "with a Content-Length"
        } else {
            "chunked (no Content-Length)"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_with_a_length_chunked_or_closed() {
        let with_length = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n{}{}extra";
        assert_eq!(parse_response(with_length), Some((200, b"{}{}".to_vec())));
        let chunked =
            b"HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Some((502, b"abcde".to_vec())));
        let closed = b"HTTP/1.1 413 Payload Too Large\r\n\r\ntoo large";
        assert_eq!(parse_response(closed), Some((413, b"too large".to_vec())));
        assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\n"), None);
    }

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
