//! Driving the handler: concurrent "partitions" each sending invocations one after another,
//! as the host does, and what /proc and the sink say about a run of them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::MB;
use crate::handler::{self, Handler, ProcStats};
use crate::sink;
use crate::workload::Payload;

/// What one partition count measured.
#[derive(Default)]
pub struct Level {
    pub partitions: usize,
    pub invocations: usize,
    pub records: usize,
    pub input_bytes: usize,
    pub wall: Duration,
    pub latencies: Vec<Duration>,
    pub handler_cpu: f64,
    pub loadgen_cpu: f64,
    /// CPU seconds used by every other process on the machine meanwhile: if it is not near
    /// zero, something else competed for the cores and the numbers are pessimistic.
    pub other_cpu: f64,
    pub peak_rss: u64,
    pub sink: sink::Snapshot,
    pub errors: usize,
    pub first_error: Option<String>,
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
    pub fn input_mb(&self) -> f64 {
        self.input_bytes as f64 / MB
    }
    pub fn records_per_s(&self) -> f64 {
        self.records as f64 / self.wall.as_secs_f64()
    }
    pub fn cpu_per_mb(&self) -> f64 {
        self.handler_cpu / self.input_mb()
    }
    /// Handler CPU microseconds per record.
    pub fn us_per_record(&self) -> f64 {
        self.handler_cpu * 1e6 / self.records.max(1) as f64
    }
    /// Handler CPU milliseconds per (successful) invocation.
    pub fn ms_per_invocation(&self) -> f64 {
        self.handler_cpu * 1e3 / self.latencies.len().max(1) as f64
    }
    pub fn percentile(&self, p: f64) -> Duration {
        let i = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[i - 1]
    }
}

pub struct Client {
    pub http: reqwest::Client,
    pub url: String,
}

impl Client {
    /// The HTTP client the loadgen posts invocations with (long timeout: 100 MB invocations).
    pub fn http() -> Result<reqwest::Client, String> {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))
    }

    /// Posts to `handler`'s trigger route with `http`.
    pub fn to(handler: &Handler, http: reqwest::Client) -> Arc<Client> {
        Arc::new(Client {
            http,
            url: format!("http://{}/EventHubTrigger", handler.addr),
        })
    }
}

/// Sends one invocation and checks that every record was delivered.
pub async fn invoke(client: &Client, payload: &Payload, id: usize) -> Result<Duration, String> {
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
pub async fn run_level(
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
