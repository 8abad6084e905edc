//! Progress of a replay: bytes read of the total, records shipped, and their rates.
//!
//! On a terminal (stderr is a TTY) a progress bar ([indicatif]), drawn from one second on so
//! that small inputs do not flash one; otherwise (a log file, a pipe, CI) a plain line every
//! interval, through the log, with no escape codes. Log lines written while the bar is shown
//! go through [`log_writer`], which lifts the bar out of the way.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Not at all.
    Off,
    /// A progress bar on stderr (a terminal).
    Bar,
    /// A plain line at most every interval, and after a chunk once the interval has passed.
    Lines(Duration),
}

/// The bar being shown, for [`log_writer`].
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Stderr for the log: writes each line with the progress bar lifted out of the way.
pub struct LogWriter;

/// The log's writer while a replay may show a progress bar (for `tracing_subscriber`).
pub fn log_writer() -> LogWriter {
    LogWriter
}

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let bar = BAR.lock().map(|b| b.clone()).unwrap_or(None);
        match bar {
            Some(bar) => bar.suspend(|| io::stderr().write_all(buf))?,
            None => io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// What the reader and the shipping loop report.
#[derive(Debug)]
struct Counters {
    /// Bytes read from the inputs (compressed, for gzip).
    bytes: Arc<AtomicU64>,
    records: AtomicU64,
    /// The input being read, from 1.
    file: AtomicUsize,
    files: usize,
    total: Option<u64>,
    started: Instant,
}

impl Counters {
    /// `12.3 MB of 254.0 MB (5%), 45678 records, 3.1 MB/s, 9000 records/s, file 2 of 10`.
    fn line(&self) -> String {
        let bytes = self.bytes.load(Ordering::Relaxed);
        let records = self.records.load(Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let read = match self.total {
            Some(total) if total > 0 => format!(
                "{} of {} ({:.0}%)",
                size(bytes),
                size(total),
                100.0 * bytes as f64 / total as f64
            ),
            _ => size(bytes),
        };
        format!(
            "{read}, {records} records, {:.1} MB/s, {:.0} records/s, file {} of {}",
            bytes as f64 / 1e6 / secs,
            records as f64 / secs,
            self.file.load(Ordering::Relaxed),
            self.files
        )
    }
}

/// `12.3 MB`, or `4.5 kB` below 0.1 MB.
pub(super) fn size(bytes: u64) -> String {
    if bytes >= 100_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{:.1} kB", bytes as f64 / 1e3)
    }
}

enum Tick {
    Chunk,
    Stop,
}

/// Shows progress until [`Progress::finish`] (or drop).
pub struct Progress {
    counters: Arc<Counters>,
    tick: Option<mpsc::Sender<Tick>>,
    ticker: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts showing progress over `files` inputs of `total` bytes (if known).
    pub fn start(mode: Mode, files: usize, total: Option<u64>) -> Progress {
        let counters = Arc::new(Counters {
            bytes: Arc::default(),
            records: AtomicU64::new(0),
            file: AtomicUsize::new(0),
            files,
            total,
            started: Instant::now(),
        });
        let (tx, rx) = mpsc::channel();
        let shared = Arc::clone(&counters);
        let ticker = match mode {
            Mode::Off => None,
            Mode::Bar => Some(std::thread::spawn(move || show_bar(&shared, &rx))),
            Mode::Lines(every) => Some(std::thread::spawn(move || show_lines(&shared, &rx, every))),
        };
        Progress {
            counters,
            tick: ticker.is_some().then_some(tx),
            ticker,
        }
    }

    /// Where the reader counts the bytes it reads.
    pub fn bytes(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.counters.bytes)
    }

    /// Input number `n` (from 1) is being read.
    pub fn file(&self, n: usize) {
        self.counters.file.store(n, Ordering::Relaxed);
    }

    /// A chunk of `records` records was shipped.
    pub fn chunk(&self, records: usize) {
        self.counters
            .records
            .fetch_add(records as u64, Ordering::Relaxed);
        if let Some(tick) = &self.tick {
            let _ = tick.send(Tick::Chunk);
        }
    }

    /// Stops showing progress (and removes the bar).
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(tick) = self.tick.take() {
            let _ = tick.send(Tick::Stop);
        }
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Plain lines, at most one every `every` (and one after a chunk once `every` has passed).
fn show_lines(counters: &Counters, rx: &mpsc::Receiver<Tick>, every: Duration) {
    let mut last = Instant::now();
    // Wake up at least this often to see whether a line is due.
    let wake = every.clamp(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        match rx.recv_timeout(wake) {
            Ok(Tick::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Ok(Tick::Chunk) | Err(RecvTimeoutError::Timeout) => {}
        }
        if last.elapsed() >= every {
            last = Instant::now();
            tracing::info!("progress: {}", counters.line());
        }
    }
}

/// The bar: hidden for the first second, then redrawn a few times a second.
fn show_bar(counters: &Counters, rx: &mpsc::Receiver<Tick>) {
    let template = match counters.total {
        Some(_) => {
            "{spinner} {elapsed_precise} [{wide_bar}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec}, eta {eta}\n  {msg}"
        }
        None => "{spinner} {elapsed_precise} {decimal_bytes} {decimal_bytes_per_sec}\n  {msg}",
    };
    let style = ProgressStyle::with_template(template)
        .expect("a valid template")
        .progress_chars("=> ");
    let bar = ProgressBar::with_draw_target(counters.total, ProgressDrawTarget::hidden())
        .with_style(style);
    if let Ok(mut shown) = BAR.lock() {
        *shown = Some(bar.clone());
    }
    let mut visible = false;
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(Tick::Stop) | Err(RecvTimeoutError::Disconnected) => break,
            Ok(Tick::Chunk) | Err(RecvTimeoutError::Timeout) => {}
        }
        if !visible && counters.started.elapsed() >= Duration::from_secs(1) {
            visible = true;
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(5));
        }
        let records = counters.records.load(Ordering::Relaxed);
        let secs = counters.started.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!(
            "{records} records, {:.0} records/s, file {} of {}",
            records as f64 / secs,
            counters.file.load(Ordering::Relaxed),
            counters.files
        ));
        bar.set_position(counters.bytes.load(Ordering::Relaxed));
    }
    if let Ok(mut shown) = BAR.lock() {
        *shown = None;
    }
    bar.finish_and_clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_progress_line_says_how_far() {
        let counters = Counters {
            bytes: Arc::new(AtomicU64::new(12_300_000)),
            records: AtomicU64::new(4567),
            file: AtomicUsize::new(2),
            files: 10,
            total: Some(254_000_000),
            started: Instant::now(),
        };
        let line = counters.line();
        assert!(
            line.starts_with("12.3 MB of 254.0 MB (5%), 4567 records, ")
                && line.ends_with("records/s, file 2 of 10"),
            "{line}"
        );
    }
}
