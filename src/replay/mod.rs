//! `replay`: ship files of Event Hub message bodies, exported diagnostic logs or dead-letter
//! blobs through the same pipeline as the server, without Azure.
//!
//! An input is a file, a folder (its files, recursively, in a stable order: `inputs.rs`) or
//! stdin (`-`). A file is one of:
//! - NDJSON or JSON Lines: one event body or record per line, such as the `PT1H.json` blobs
//!   of a storage account's `insights-logs-<category>` containers
//!   (`docs/entra-logs.md#storage-account-export`);
//! - one JSON document: an event body (`{"records": [...]}`, a bare array, or one record);
//! - a dead-letter blob written by the handler (gzip or plain JSON): its entries are sent as
//!   they were parked;
//! - gzip of any of these.
//!
//! Each input is read as a stream and cut into chunks of about `chunk_bytes` (`chunks.rs`);
//! each chunk is shipped as one invocation (with its own delivery budget,
//! `DELIVERY_TIMEOUT_SECONDS`) while the next is read, so memory holds about two chunks and
//! the requests in flight, whatever the size of the input. The accounts of all chunks of all
//! inputs are added up.
//!
//! With `--dry-run` the entries are printed to stdout as NDJSON instead of being sent.

mod chunks;
mod inputs;
mod progress;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::coralogix::{
    Attempt, DeliveryPlan, HttpSink, Request, RetryPolicy, Sink, Stop, TransportError,
};
use crate::entra::Timestamp;
use crate::pipeline::{self, Summary};
use crate::settings::Settings;
use chunks::{Chunk, ReadError, Reader};
use inputs::InputFile;
pub use progress::{LogWriter, log_writer};

/// The default size of a chunk: about as much event data as one invocation of the server.
pub const DEFAULT_CHUNK_BYTES: usize = 16 << 20;
/// The default time between two progress lines when stderr is not a terminal.
pub const DEFAULT_PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// How to replay.
#[derive(Debug, Clone)]
pub struct Options {
    /// Print the entries instead of sending them.
    pub dry_run: bool,
    /// Show no progress.
    pub quiet: bool,
    /// About how many bytes of an input make one chunk (one invocation).
    pub chunk_bytes: usize,
    /// The time between two progress lines when stderr is not a terminal.
    pub progress_every: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dry_run: false,
            quiet: false,
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            progress_every: DEFAULT_PROGRESS_EVERY,
        }
    }
}

/// What a replay did.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// The account of every record read, over all chunks and inputs.
    pub summary: Summary,
    /// The inputs found.
    pub files: usize,
    /// Inputs that could not be read, or not to the end (each named in an error line).
    pub unreadable: usize,
    /// Inputs not read at all because delivery stopped for good (a wrong key, a closed
    /// stdout).
    pub skipped: usize,
}

impl Outcome {
    /// Whether everything read was delivered (or printed) and every input was read.
    pub fn success(&self) -> bool {
        self.summary.failed == 0 && self.unreadable == 0 && self.skipped == 0
    }
}

/// Writes each entry of each request as one line on stdout.
struct StdoutSink;

impl Sink for StdoutSink {
    async fn send(&self, request: &Request, _timeout: Duration) -> Attempt {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let written = request.entries().try_for_each(|entry| {
            out.write_all(entry)?;
            out.write_all(b"\n")
        });
        match written.and_then(|_| out.flush()) {
            Ok(()) => Attempt::status(200),
            // Closed stdout (`| head`): nothing more can be printed, no retry helps.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Attempt::Transport {
                kind: TransportError::Closed,
                detail: "stdout is closed".into(),
            },
            Err(e) => Attempt::Transport {
                kind: TransportError::Connection,
                detail: format!("stdout: {e}"),
            },
        }
    }
}

/// What the reader thread hands over.
enum FromReader {
    Chunk(Chunk),
    Failed(ReadError),
}

/// Ships the inputs behind `args` one at a time, chunk by chunk, or prints their entries.
/// Returns the account of all of them.
pub async fn run(
    settings: Settings,
    args: &[PathBuf],
    options: &Options,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let settings = Arc::new(settings);
    let sink = if options.dry_run {
        None
    } else {
        Some(HttpSink::new(&settings)?)
    };
    let found = inputs::find(args);
    let mut outcome = Outcome {
        summary: Summary::zero(),
        files: found.files.len() + found.errors.len(),
        unreadable: found.errors.len(),
        skipped: 0,
    };
    for (path, e) in &found.errors {
        tracing::error!("{}: cannot read it: {e}", path.display());
    }
    let progress = progress::Progress::start(
        progress_mode(options),
        found.files.len(),
        found.total_bytes(),
    );
    for (i, file) in found.files.iter().enumerate() {
        progress.file(i + 1);
        let shipped = ship_file(&settings, sink.as_ref(), file, options, &progress).await;
        outcome.summary.add(&shipped.summary);
        outcome.unreadable += usize::from(shipped.unreadable);
        if shipped.stop {
            outcome.skipped = found.files.len() - i - 1;
            if outcome.skipped > 0 {
                tracing::error!(
                    "stopping: {} more inputs not read, since nothing more can be delivered",
                    outcome.skipped
                );
            }
            break;
        }
    }
    progress.finish();
    outcome.summary.elapsed = started.elapsed();
    Ok(outcome)
}

/// Bar on a terminal, lines otherwise; none when asked, or when the entries of a dry run go
/// to the same terminal.
fn progress_mode(options: &Options) -> progress::Mode {
    if options.quiet {
        progress::Mode::Off
    } else if !std::io::stderr().is_terminal() {
        progress::Mode::Lines(options.progress_every)
    } else if options.dry_run && std::io::stdout().is_terminal() {
        progress::Mode::Off
    } else {
        progress::Mode::Bar
    }
}

/// What shipping one input did.
struct Shipped {
    summary: Summary,
    unreadable: bool,
    /// Nothing more can be delivered (a fatal answer, or a closed stdout).
    stop: bool,
}

/// Reads `file` on a thread of its own, a chunk ahead, and ships each chunk.
async fn ship_file(
    settings: &Arc<Settings>,
    sink: Option<&HttpSink>,
    file: &InputFile,
    options: &Options,
    progress: &progress::Progress,
) -> Shipped {
    let shown = file.path.display().to_string();
    let mut shipped = Shipped {
        summary: Summary::zero(),
        unreadable: false,
        stop: false,
    };
    let (tx, mut rx) = mpsc::channel(1);
    let reader = {
        let file = file.clone();
        let (chunk_bytes, bytes) = (options.chunk_bytes, progress.bytes());
        let runtime = tokio::runtime::Handle::current();
        std::thread::spawn(move || read_file(&file, chunk_bytes, bytes, &tx, &runtime))
    };
    let mut part = 0;
    while let Some(read) = rx.recv().await {
        let chunk = match read {
            FromReader::Chunk(chunk) => chunk,
            FromReader::Failed(e) => {
                tracing::error!("{shown}: {e}");
                shipped.unreadable = true;
                continue;
            }
        };
        part += 1;
        let whole = part == 1 && chunk.last;
        let label = if whole {
            shown.clone()
        } else {
            format!("{shown} (from event {})", chunk.first_event())
        };
        let summary = match ship_chunk(settings, sink, chunk, options.dry_run).await {
            Ok((summary, verdict)) => {
                if let Some(reason) = &verdict.reason {
                    tracing::error!("{label}: not delivered: {reason}");
                }
                shipped.stop |= verdict.fatal;
                summary
            }
            Err(e) => {
                tracing::error!("{label}: {e}");
                shipped.unreadable = true;
                continue;
            }
        };
        progress.chunk(summary.counts.records);
        shipped.summary.add(&summary);
        if shipped.stop {
            break;
        }
    }
    drop(rx); // a reader still going stops before its next chunk
    if !shipped.stop {
        let _ = reader.join();
    }
    warn_if_wrong_file(&shown, &shipped);
    shipped
}

/// The reader thread: every chunk of `file`, then the error that ended it early, if any.
/// It reads a chunk only once the channel has room for it, so memory holds the chunk being
/// shipped and the one being read, no more.
fn read_file(
    file: &InputFile,
    chunk_bytes: usize,
    bytes: Arc<std::sync::atomic::AtomicU64>,
    tx: &mpsc::Sender<FromReader>,
    runtime: &tokio::runtime::Handle,
) {
    // None once the receiver is gone: shipping stopped.
    let room = || runtime.block_on(tx.reserve()).ok();
    let Some(permit) = room() else { return };
    let mut reader = match Reader::open(file, chunk_bytes, bytes) {
        Ok(reader) => reader,
        Err(e) => return permit.send(FromReader::Failed(e)),
    };
    let mut permit = Some(permit);
    loop {
        let Some(slot) = permit.take().or_else(room) else {
            return;
        };
        let (chunk, error) = reader.next_chunk();
        let more = chunk.as_ref().is_some_and(|c| !c.last) && error.is_none();
        let error = match (chunk, error) {
            (Some(chunk), error) => {
                slot.send(FromReader::Chunk(chunk));
                error
            }
            (None, Some(error)) => return slot.send(FromReader::Failed(error)),
            (None, None) => return,
        };
        if let Some(error) = error {
            if let Some(slot) = room() {
                slot.send(FromReader::Failed(error));
            }
            return;
        }
        if !more {
            return;
        }
    }
}

/// What the delivery of a chunk says about the next ones.
struct Verdict {
    /// Nothing more can be delivered (a wrong setting, a closed stdout).
    fatal: bool,
    /// Why entries were not delivered, if any were not.
    reason: Option<String>,
}

/// Ships one chunk as one invocation.
async fn ship_chunk(
    settings: &Arc<Settings>,
    sink: Option<&HttpSink>,
    chunk: Chunk,
    dry_run: bool,
) -> Result<(Summary, Verdict), pipeline::BuildFailed> {
    let plan = DeliveryPlan {
        deadline: tokio::time::Instant::now() + settings.delivery_timeout,
        request_timeout: settings.request_timeout,
        // Printed entries keep their order.
        concurrency: if dry_run {
            1
        } else {
            settings.max_concurrent_requests
        },
        policy: RetryPolicy {
            min_delay: settings.retry_min_delay,
            max_delay: settings.retry_max_delay,
        },
        stop: Stop::never(),
    };
    let now = Timestamp::now();
    let source = Arc::new(chunk);
    let settings = Arc::clone(settings);
    let (report, delivery) = match sink {
        None => pipeline::ship(settings, source, now, &StdoutSink, plan).await?,
        Some(sink) => pipeline::ship(settings, source, now, sink, plan).await?,
    };
    let verdict = Verdict {
        fatal: delivery.fatal().is_some(),
        reason: delivery.reason().map(|r| r.to_string()),
    };
    Ok((
        Summary::new(&report, &delivery, false, Duration::ZERO),
        verdict,
    ))
}

/// The warnings about a file that is probably not what `replay` reads.
fn warn_if_wrong_file(shown: &str, shipped: &Shipped) {
    let c = &shipped.summary.counts;
    if shipped.unreadable || shipped.stop {
        return;
    }
    if c.records == 0 {
        tracing::warn!(
            "{shown}: no records in it; is it the right file (an Event Hub message body, NDJSON, or a dead-letter blob)?"
        );
    } else if c.unparsed == c.records {
        tracing::warn!(
            "{shown}: none of its {} records is JSON; is it the right file (an Event Hub message body, NDJSON, or a dead-letter blob)?",
            c.records
        );
    }
}
