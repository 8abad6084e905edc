//! `entra-loadgen`: runs the release binary as the Functions host would and measures it.
//!
//! 1. Generates one realistic invocation per partition (`entra-synth`).
//! 2. Measures the floor: one serde_json validation pass over the same event bodies.
//! 3. Starts a local Coralogix stand-in (the sink) and the handler, which ships to it.
//! 4. For each compression setting and each partition count, sends invocations from that many
//!    concurrent "partitions", each sending one invocation after another as the host does, and
//!    reads the handler's CPU time and peak RSS from /proc.
//! 5. Prints the results and the targets with pass/miss.
//!
//! Nothing leaves 127.0.0.1. `--soak N` instead sends N invocations and samples the RSS;
//! `--memory` measures the peak RSS of workloads from tiny records to 256 MB bodies, each in a
//! fresh handler process (`memory.rs`).

mod handler;
mod memory;
mod sink;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use entra_synth::{DEFAULT_EVENT_BYTES, DEFAULT_EVENTS, Generator, Records, Stats};
use handler::{Handler, ProcStats};

const MB: f64 = 1e6;
const MIB: f64 = 1024.0 * 1024.0;

#[derive(Parser, Clone)]
#[command(
    version,
    about = "End-to-end load test of the entra-coralogix release binary against a local sink",
    long_about = "Runs the release binary as the Azure Functions host does (serve mode, port in \
        FUNCTIONS_CUSTOMHANDLER_PORT), ships to a local stand-in for Coralogix, and drives it with \
        realistic Entra ID invocations from 1, 2 and 4 concurrent partitions. Prints records/s, \
        input MB/s, latency, CPU per MB of event JSON against a serde_json floor, peak RSS, \
        start-to-ready time and binary size, with the targets' pass/miss.\n\n\
        Build first: cargo build --release && cargo run --release -p entra-loadgen"
)]
struct Cli {
    /// The handler binary [default: $CARGO_TARGET_DIR/release/entra-coralogix, else
    /// target/release/entra-coralogix].
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Measured invocations per partition count (after one warm-up invocation per partition).
    #[arg(long, default_value_t = 100)]
    invocations: usize,
    /// Partition counts to run, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    partitions: Vec<usize>,
    /// Handler COMPRESSION settings to run, comma-separated (a new handler process for each).
    #[arg(long, value_delimiter = ',', default_value = "none,gzip")]
    compression: Vec<String>,
    /// Events per invocation.
    #[arg(long, default_value_t = DEFAULT_EVENTS)]
    events: usize,
    /// Largest event body in bytes.
    #[arg(long, default_value_t = DEFAULT_EVENT_BYTES)]
    event_bytes: usize,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Records to generate (not with --memory, whose rows choose): `default` or `signin-heavy`
    /// (about 3.3 KB a record), `mixed` (about 1.9 KB), `audit-heavy` (about 1.2 KB), `tiny`
    /// (about 140 bytes) or `large` (one record per event, as large as the event).
    #[arg(long, default_value = "default", value_parser = parse_records)]
    records: Records,
    /// Extra start-to-ready measurements (separate short-lived processes).
    #[arg(long, default_value_t = 5)]
    starts: usize,
    /// Runs of the floor measurement; the best is kept.
    #[arg(long, default_value_t = 7)]
    floor_runs: usize,
    /// Soak instead of benchmarking: send this many invocations (from the first partition
    /// count) and sample the RSS as it goes. E.g. `--soak 10000 --events 5` or `--soak 1000`.
    #[arg(long)]
    soak: Option<usize>,
    /// RSS samples taken during a soak.
    #[arg(long, default_value_t = 20)]
    soak_samples: usize,
    /// Extra environment for the handler, e.g. `--env MAX_CONCURRENT_REQUESTS=8` (repeatable).
    #[arg(long = "env", value_parser = parse_env)]
    envs: Vec<(String, String)>,
    /// Measure memory instead of benchmarking: the peak RSS of each workload (realistic, tiny
    /// and 1 MB records; 256 MB bodies; 4 partitions with the default budget and with
    /// MEMORY_BUDGET_MB=512 and 212; an error answer of 200 MB), each in a fresh handler,
    /// against its target. The handler's defaults apply (COMPRESSION=none) unless set with --env.
    #[arg(long)]
    memory: bool,
    /// With --memory: only these rows, by id (comma-separated; an unknown id lists them).
    #[arg(long, value_delimiter = ',')]
    memory_rows: Vec<String>,
    /// With --memory: also print where the memory was at each row's highest RSS sample (from
    /// /proc/<pid>/smaps) and the RSS sampled every 10 ms.
    #[arg(long)]
    memory_trace: bool,
    /// With --memory: send request bodies with a Content-Length instead of chunked.
    #[arg(long)]
    content_length: bool,
}

fn parse_records(name: &str) -> Result<Records, String> {
    Records::from_name(name).ok_or_else(|| format!("expected one of {}", Records::NAMES))
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}

/// One invocation request, ready to send many times.
struct Payload {
    request: Bytes,
    records: usize,
    /// Decoded event JSON: the input that MB/s and CPU-s/MB are measured against.
    event_bytes: usize,
    events: Vec<Vec<u8>>,
}

fn main() {
    let cli = Cli::parse();
    let binary = cli.binary.clone().unwrap_or_else(default_binary);
    if !binary.is_file() {
        eprintln!(
            "entra-loadgen: {} not found: run `cargo build --release` first, or pass --binary",
            binary.display()
        );
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async {
        match cli.soak {
            _ if cli.memory => memory::run(&cli, &binary).await,
            Some(n) => soak(&cli, &binary, n).await,
            None => bench(&cli, &binary).await,
        }
    });
    if let Err(e) = result {
        eprintln!("entra-loadgen: {e}");
        std::process::exit(1);
    }
}

/// `$CARGO_TARGET_DIR/release/entra-coralogix` if set, else `target/release/entra-coralogix`
/// here, else in this workspace's root (for `cargo run` from a subdirectory).
fn default_binary() -> PathBuf {
    let relative = PathBuf::from("release").join("entra-coralogix");
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir).join(relative);
    }
    let here = PathBuf::from("target").join(&relative);
    if here.is_file() {
        return here;
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target");
    workspace.join(relative)
}

fn generate(cli: &Cli, partitions: usize) -> (Vec<Arc<Payload>>, Stats) {
    let mut stats = Stats::default();
    let payloads = (0..partitions.max(1))
        .map(|p| {
            let inv = Generator::with_records(cli.seed, p as u32, cli.records)
                .invocation(cli.events, cli.event_bytes);
            stats.merge(&inv.stats);
            Arc::new(Payload {
                request: Bytes::from(inv.request),
                records: inv.stats.records(),
                event_bytes: inv.stats.event_bytes,
                events: inv.events,
            })
        })
        .collect();
    (payloads, stats)
}

/// Best-of-`runs` CPU time of validating every event body with serde_json, on this thread.
fn floor(events: &[Vec<u8>], runs: usize) -> Duration {
    (0..runs.max(1))
        .map(|_| {
            let start = handler::thread_cpu();
            for body in events {
                let v = serde_json::from_slice::<serde::de::IgnoredAny>(body);
                std::hint::black_box(v.expect("generated events are valid JSON"));
            }
            handler::thread_cpu() - start
        })
        .min()
        .expect("at least one run")
}

/// What one partition count measured.
#[derive(Default)]
struct Level {
    partitions: usize,
    invocations: usize,
    records: usize,
    input_bytes: usize,
    wall: Duration,
    latencies: Vec<Duration>,
    handler_cpu: f64,
    loadgen_cpu: f64,
    /// CPU seconds used by every other process on the machine meanwhile: if it is not near
    /// zero, something else competed for the cores and the numbers are pessimistic.
    other_cpu: f64,
    peak_rss: u64,
    sink: sink::Snapshot,
    errors: usize,
    first_error: Option<String>,
}

/// What one sender ("partition") did.
#[derive(Default)]
struct Sent {
    latencies: Vec<Duration>,
    records: usize,
    input_bytes: usize,
    errors: usize,
    first_error: Option<String>,
}

impl Level {
    fn input_mb(&self) -> f64 {
        self.input_bytes as f64 / MB
    }
    fn records_per_s(&self) -> f64 {
        self.records as f64 / self.wall.as_secs_f64()
    }
    fn cpu_per_mb(&self) -> f64 {
        self.handler_cpu / self.input_mb()
    }
    fn percentile(&self, p: f64) -> Duration {
        let i = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[i - 1]
    }
}

struct Client {
    http: reqwest::Client,
    url: String,
}

/// Sends one invocation and checks that every record was delivered.
async fn invoke(client: &Client, payload: &Payload, id: usize) -> Result<Duration, String> {
    let started = Instant::now();
    let response = client
        .http
        .post(&client.url)
        .header("content-type", "application/json")
        .header("x-azure-functions-invocationid", format!("loadgen-{id}"))
        .body(payload.request.clone())
        .send()
        .await
        .map_err(|e| format!("POST failed: {e}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?;
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&body);
    if !status.is_success() {
        return Err(format!(
            "HTTP {status}: {}",
            text.chars().take(300).collect::<String>()
        ));
    }
    // The first log line is the summary: "partition=0 events=100 records=6209 ... delivered=6209 ...".
    let answer: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| format!("answer is not JSON: {e}"))?;
    let line = answer["Logs"][0].as_str().unwrap_or_default();
    let count = |key: &str| {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse::<usize>().ok())
    };
    match (count("records"), count("delivered")) {
        (Some(r), Some(d)) if r == payload.records && d == r => Ok(elapsed),
        _ => Err(format!(
            "expected {} records delivered, the handler said: {line}",
            payload.records
        )),
    }
}

/// Runs `invocations` invocations from `partitions` concurrent senders.
async fn run_level(
    client: &Arc<Client>,
    handler: &Handler,
    counters: &sink::Counters,
    payloads: &[Arc<Payload>],
    partitions: usize,
    invocations: usize,
    warm_up: bool,
) -> Level {
    // Warm-up: one invocation per partition (connections, allocator), not measured.
    let warm: Vec<_> = (0..if warm_up { partitions } else { 0 })
        .map(|p| {
            let (client, payload) = (Arc::clone(client), Arc::clone(&payloads[p]));
            tokio::spawn(async move { invoke(&client, &payload, usize::MAX - p).await })
        })
        .collect();
    for w in warm {
        if let Ok(Err(e)) = w.await {
            eprintln!("warm-up invocation failed: {e}");
        }
    }
    handler.reset_peak();
    let before = handler.stats();
    let loadgen_before = ProcStats::of_self();
    let machine_before = handler::machine_busy_seconds();
    let sink_before = counters.snapshot();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..partitions)
        .map(|p| {
            let (client, payload, next) = (
                Arc::clone(client),
                Arc::clone(&payloads[p]),
                Arc::clone(&next),
            );
            tokio::spawn(async move {
                let mut sent = Sent::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= invocations {
                        return sent;
                    }
                    match invoke(&client, &payload, i).await {
                        Ok(latency) => {
                            sent.latencies.push(latency);
                            sent.records += payload.records;
                            sent.input_bytes += payload.event_bytes;
                        }
                        Err(e) => {
                            sent.errors += 1;
                            sent.first_error.get_or_insert(e);
                        }
                    }
                }
            })
        })
        .collect();
    let mut level = Level {
        partitions,
        invocations,
        ..Level::default()
    };
    for task in tasks {
        let sent = task.await.expect("a sender task");
        level.latencies.extend(sent.latencies);
        level.records += sent.records;
        level.input_bytes += sent.input_bytes;
        level.errors += sent.errors;
        level.first_error = level.first_error.or(sent.first_error);
    }
    level.wall = started.elapsed();
    let after = handler.stats();
    level.latencies.sort();
    level.handler_cpu = after.cpu_seconds - before.cpu_seconds;
    level.loadgen_cpu = ProcStats::of_self().cpu_seconds - loadgen_before.cpu_seconds;
    level.other_cpu =
        (handler::machine_busy_seconds() - machine_before - level.handler_cpu - level.loadgen_cpu)
            .max(0.0);
    level.peak_rss = after.peak_rss;
    // The handler answers only after delivery, so the sink has seen everything by now.
    level.sink = counters.snapshot() - sink_before;
    level
}

struct Run {
    compression: String,
    levels: Vec<Level>,
    start_to_ready: Duration,
}

async fn bench(cli: &Cli, binary: &std::path::Path) -> Result<(), String> {
    let max_partitions = cli.partitions.iter().copied().max().unwrap_or(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!(
        "generating {max_partitions} invocation(s) of {} events (seed {})...",
        cli.events, cli.seed
    );
    let (payloads, stats) = generate(cli, max_partitions);
    println!(
        "# entra-loadgen\n\nBinary: {} ({} bytes). Machine: {cores} cores, kernel {}.\n",
        binary.display(),
        std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0),
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
    );
    let largest_request = payloads.iter().map(|p| p.request.len()).max().unwrap_or(0);
    println!("## Data (one invocation per partition)\n\n{stats}");

    // The floor: CPU time of one serde_json validation pass over the same event bodies.
    let floor_cpu: Duration = payloads
        .iter()
        .map(|p| floor(&p.events, cli.floor_runs))
        .sum();
    let floor_bytes: usize = payloads.iter().map(|p| p.event_bytes).sum();
    let floor_per_mb = floor_cpu.as_secs_f64() / (floor_bytes as f64 / MB);
    let floor_per_invocation = floor(&payloads[0].events, cli.floor_runs);
    println!(
        "Floor: serde_json validation (IgnoredAny) of one invocation's event bodies: {:.1} ms CPU \
         ({:.5} CPU-s per MB, {:.0} MB/s), best of {} runs, one thread.\n",
        floor_per_invocation.as_secs_f64() * 1e3,
        floor_per_mb,
        1.0 / floor_per_mb,
        cli.floor_runs
    );

    let busy_before = handler::machine_busy_seconds();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let busy = handler::machine_busy_seconds() - busy_before;
    if busy > 0.10 {
        eprintln!(
            "warning: the machine is not quiet ({:.0}% of a core busy before the run); \
             see the 'other CPU-s' column",
            busy * 100.0
        );
    }
    let (sink_port, counters) = sink::start()
        .await
        .map_err(|e| format!("starting the sink: {e}"))?;
    let mut starts = Vec::new();
    for _ in 0..cli.starts {
        let h = Handler::start(binary, sink_port, &cli.envs)?;
        starts.push(h.start_to_ready);
        h.stop();
    }

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))?;
    let mut runs = Vec::new();
    for compression in &cli.compression {
        let mut env = cli.envs.clone();
        env.push(("COMPRESSION".into(), compression.clone()));
        let handler = Handler::start(binary, sink_port, &env)?;
        starts.push(handler.start_to_ready);
        let client = Arc::new(Client {
            http: http.clone(),
            url: format!("http://{}/EventHubTrigger", handler.addr),
        });
        let mut levels = Vec::new();
        for &partitions in &cli.partitions {
            eprintln!(
                "COMPRESSION={compression}: {partitions} partition(s), {} invocations...",
                cli.invocations
            );
            let level = run_level(
                &client,
                &handler,
                &counters,
                &payloads,
                partitions,
                cli.invocations,
                true,
            )
            .await;
            if let Some(e) = &level.first_error {
                eprintln!("  {} invocation(s) failed; first: {e}", level.errors);
            }
            levels.push(level);
        }
        runs.push(Run {
            compression: compression.clone(),
            levels,
            start_to_ready: handler.start_to_ready,
        });
        handler.stop();
    }

    for run in &runs {
        report_run(run, floor_per_mb);
    }
    let size = std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0);
    report_targets(&runs, &starts, floor_per_mb, largest_request, size, cores);
    Ok(())
}

fn report_run(run: &Run, floor_per_mb: f64) {
    println!(
        "## COMPRESSION={} (handler ready {:.1} ms after spawn)\n",
        run.compression,
        run.start_to_ready.as_secs_f64() * 1e3
    );
    println!(
        "| partitions | invocations | records/s | input MB/s | p50 ms | p99 ms | handler CPU ms/inv | \
         CPU-s per MB | CPU-s per GB | x floor | peak RSS MiB | sent B per input B | loadgen CPU-s | other CPU-s | failed |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for l in &run.levels {
        let ok = l.latencies.len().max(1);
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.0} | {:.0} | {:.1} | {:.5} | {:.2} | {:.2} | {:.1} | {:.3} | {:.2} | {:.2} | {} |",
            l.partitions,
            l.invocations,
            l.records_per_s(),
            l.input_mb() / l.wall.as_secs_f64(),
            l.percentile(0.50).as_secs_f64() * 1e3,
            l.percentile(0.99).as_secs_f64() * 1e3,
            l.handler_cpu * 1e3 / ok as f64,
            l.cpu_per_mb(),
            l.cpu_per_mb() * 1000.0,
            l.cpu_per_mb() / floor_per_mb,
            l.peak_rss as f64 / MIB,
            l.sink.wire_bytes as f64 / l.input_bytes.max(1) as f64,
            l.loadgen_cpu,
            l.other_cpu,
            l.errors
        );
    }
    let last = run.levels.last().expect("a level");
    let entries = if last.sink.entries > 0 {
        format!("{} entries counted, ", last.sink.entries)
    } else {
        String::new()
    };
    println!(
        "\nLast row at the sink: {} requests, {entries}{:.1} MB of JSON ({:.3} per input byte), {:.1} MB on the wire; \
         {} records sent.\n",
        last.sink.requests,
        last.sink.json_bytes as f64 / MB,
        last.sink.json_bytes as f64 / last.input_bytes.max(1) as f64,
        last.sink.wire_bytes as f64 / MB,
        last.records
    );
}

/// `measured` against `limit` where lower is better: "pass (40% under)" / "miss (12% over)".
fn verdict(measured: f64, limit: f64) -> String {
    if measured <= limit {
        format!("pass ({:.0}% under)", 100.0 * (limit - measured) / limit)
    } else {
        format!("MISS ({:.0}% over)", 100.0 * (measured - limit) / limit)
    }
}

fn report_targets(
    runs: &[Run],
    starts: &[Duration],
    floor_per_mb: f64,
    largest_request: usize,
    size: u64,
    cores: usize,
) {
    println!("## Targets\n");
    println!("| target | measured | limit | verdict |");
    println!("|---|---:|---:|---|");
    let levels = || {
        runs.iter()
            .flat_map(|r| r.levels.iter().map(move |l| (r, l)))
    };
    // CPU: for each compression setting, the worst (highest) cost per MB over its partition
    // counts.
    for run in runs {
        let Some(worst) = run
            .levels
            .iter()
            .max_by(|a, b| a.cpu_per_mb().total_cmp(&b.cpu_per_mb()))
        else {
            continue;
        };
        let ratio = worst.cpu_per_mb() / floor_per_mb;
        println!(
            "| handler CPU vs serde_json floor, COMPRESSION={} (worst: {} partition(s)) | {ratio:.2}x | 3x | {} |",
            run.compression,
            worst.partitions,
            verdict(ratio, 3.0)
        );
        println!(
            "| CPU-s per MB of event JSON, COMPRESSION={} (worst: {} partition(s)) | {:.5} | 0.0045 | {} |",
            run.compression,
            worst.partitions,
            worst.cpu_per_mb(),
            verdict(worst.cpu_per_mb(), 0.0045)
        );
    }
    let rss_limit = 2.5 * largest_request as f64 + 30.0 * MIB;
    for (run, level) in levels().filter(|(_, l)| l.partitions == 1) {
        println!(
            "| peak RSS, 1 partition, COMPRESSION={} (limit 2.5 x {:.1} MiB request + 30 MiB) | {:.1} MiB | {:.1} MiB | {} |",
            run.compression,
            largest_request as f64 / MIB,
            level.peak_rss as f64 / MIB,
            rss_limit / MIB,
            verdict(level.peak_rss as f64, rss_limit)
        );
    }
    for (run, level) in levels().filter(|(_, l)| l.partitions > 1) {
        let scaled = level.partitions as f64 * 2.5 * largest_request as f64 + 30.0 * MIB;
        println!(
            "| peak RSS, {} partitions, COMPRESSION={} (info: limit scaled to {} requests in flight) | {:.1} MiB | {:.1} MiB | {} |",
            level.partitions,
            run.compression,
            level.partitions,
            level.peak_rss as f64 / MIB,
            scaled / MIB,
            verdict(level.peak_rss as f64, scaled)
        );
    }
    let mut sorted = starts.to_vec();
    sorted.sort();
    if let (Some(min), Some(max)) = (sorted.first(), sorted.last()) {
        let median = sorted[sorted.len() / 2];
        println!(
            "| start-to-ready, median of {} starts (min {:.1}, max {:.1} ms) | {:.1} ms | 50 ms | {} |",
            sorted.len(),
            min.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3,
            verdict(median.as_secs_f64(), 0.050)
        );
    }
    println!(
        "| release binary size | {:.2} MB | 15 MB | {} |",
        size as f64 / MB,
        verdict(size as f64, 15.0 * MB)
    );
    // Throughput should grow with partitions up to the core count, and not collapse beyond it.
    for run in runs {
        let rate = |p: usize| {
            run.levels
                .iter()
                .find(|l| l.partitions == p)
                .map(Level::records_per_s)
        };
        let mut steps = Vec::new();
        let mut ok = true;
        let mut counts: Vec<usize> = run.levels.iter().map(|l| l.partitions).collect();
        counts.sort();
        counts.dedup();
        for pair in counts.windows(2) {
            let (Some(a), Some(b)) = (rate(pair[0]), rate(pair[1])) else {
                continue;
            };
            steps.push(format!("{}→{}: x{:.2}", pair[0], pair[1], b / a));
            if pair[1] <= cores {
                ok &= b >= 1.2 * a; // at least +20% per step up to the core count
            } else {
                ok &= b >= 0.9 * a; // no collapse beyond it
            }
        }
        println!(
            "| records/s grows with partitions up to {cores} cores, COMPRESSION={} | {} | +20% per step to {cores}, no drop >10% after | {} |",
            run.compression,
            steps.join(", "),
            match (steps.is_empty(), ok) {
                (true, _) => "n/a (one partition count)",
                (false, true) => "pass",
                (false, false) => "MISS",
            }
        );
    }
    println!();
}

async fn soak(cli: &Cli, binary: &std::path::Path, invocations: usize) -> Result<(), String> {
    let partitions = cli.partitions.first().copied().unwrap_or(1).max(1);
    eprintln!(
        "generating {partitions} invocation(s) of {} events...",
        cli.events
    );
    let (payloads, stats) = generate(cli, partitions);
    println!("## Soak data (one invocation per partition)\n\n{stats}");
    let (sink_port, counters) = sink::start()
        .await
        .map_err(|e| format!("starting the sink: {e}"))?;
    let mut env = cli.envs.clone();
    env.push((
        "COMPRESSION".into(),
        cli.compression
            .first()
            .cloned()
            .unwrap_or_else(|| "none".into()),
    ));
    let handler = Handler::start(binary, sink_port, &env)?;
    let client = Arc::new(Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?,
        url: format!("http://{}/EventHubTrigger", handler.addr),
    });
    let samples = cli.soak_samples.clamp(1, invocations.max(1));
    let chunk = invocations.div_ceil(samples);
    println!(
        "## Soak: {invocations} invocations from {partitions} partition(s), RSS every {chunk}\n\n\
         | invocations done | records | RSS MiB | peak RSS in the interval MiB | handler CPU-s | failed |\n|---:|---:|---:|---:|---:|---:|"
    );
    let start = handler.stats();
    println!(
        "| 0 | 0 | {:.1} | {:.1} | {:.2} | 0 |",
        start.rss as f64 / MIB,
        start.peak_rss as f64 / MIB,
        start.cpu_seconds
    );
    let (mut done, mut records, mut failed) = (0, 0, 0);
    let mut rss = Vec::new();
    while done < invocations {
        let n = chunk.min(invocations - done);
        // One warm-up invocation per partition before the first interval, not counted.
        let warm_up = done == 0;
        let level = run_level(
            &client, &handler, &counters, &payloads, partitions, n, warm_up,
        )
        .await;
        done += n;
        records += level.records;
        failed += level.errors;
        let s = handler.stats();
        rss.push(s.rss);
        println!(
            "| {done} | {records} | {:.1} | {:.1} | {:.2} | {failed} |",
            s.rss as f64 / MIB,
            level.peak_rss as f64 / MIB,
            s.cpu_seconds
        );
    }
    handler.stop();
    if let (Some(first), Some(last), Some(max)) = (rss.first(), rss.last(), rss.iter().max()) {
        let growth = *last as f64 - *first as f64;
        println!(
            "\nRSS after the first {chunk} invocations: {:.1} MiB; at the end: {:.1} MiB ({:+.1} MiB); highest sample {:.1} MiB. {}",
            *first as f64 / MIB,
            *last as f64 / MIB,
            growth / MIB,
            *max as f64 / MIB,
            if growth <= 0.10 * *first as f64 + 5.0 * MIB {
                "No growth beyond 10% + 5 MiB: pass."
            } else {
                "RSS grew by more than 10% + 5 MiB: MISS."
            }
        );
    }
    Ok(())
}
