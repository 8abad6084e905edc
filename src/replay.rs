//! `replay`: ship files of Event Hub message bodies (or dead-letter blobs) through the same
//! pipeline as the server, without Azure.
//!
//! A file is one of:
//! - one JSON document: an event body (`{"records": [...]}`, a bare array, or one record);
//! - NDJSON: one event body or record per line;
//! - a dead-letter blob written by the handler (gzip or plain JSON): its entries are sent as
//!   they were parked;
//! - gzip of any of these.
//!
//! With `--dry-run` the entries are printed to stdout as NDJSON instead of being sent.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::coralogix::{
    Attempt, DeliveryPlan, HttpSink, Request, RetryPolicy, Sink, Stop, TransportError,
};
use crate::deadletter;
use crate::entra::Timestamp;
use crate::pipeline::{self, EventSource, Input, Summary};
use crate::settings::Settings;

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

/// One file's contents, as the pipeline reads them.
struct FileEvents {
    data: Vec<u8>,
    name: String,
    /// The file is a dead-letter blob: its entries are sent as they are.
    dead_letter: bool,
}

impl EventSource for FileEvents {
    fn each(&self, f: &mut dyn FnMut(Input<'_>)) {
        if self.dead_letter {
            f(Input::BuiltFile);
            let entries = deadletter::entries(&self.data).expect("checked when the file was read");
            for entry in entries {
                f(Input::Built(entry.get().as_bytes()));
            }
            return;
        }
        let mut key = String::new();
        for (i, body) in event_bodies(&self.data).into_iter().enumerate() {
            key.clear();
            key.push_str(&format!("file:{}:{i}", self.name));
            f(Input::Event {
                body,
                enqueued: None,
                key: &key,
            });
        }
    }
}

/// Ships the files one at a time (so memory holds one file, and each file gets the delivery
/// budget `DELIVERY_TIMEOUT_SECONDS`), or prints their entries. Returns the account of all of
/// them.
pub async fn run(settings: Settings, files: &[PathBuf], dry_run: bool) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let settings = Arc::new(settings);
    let sink = if dry_run {
        None
    } else {
        Some(HttpSink::new(&settings)?)
    };
    let mut total = Summary::zero();
    for path in files {
        let source = Arc::new(load(path)?);
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
        let settings = Arc::clone(&settings);
        let (report, delivery) = match &sink {
            None => pipeline::ship(settings, source, now, &StdoutSink, plan).await?,
            Some(sink) => pipeline::ship(settings, source, now, sink, plan).await?,
        };
        if let Some(reason) = delivery.reason() {
            tracing::error!("{}: not delivered: {reason}", path.display());
        }
        let c = &report.counts;
        if c.records == 0 {
            tracing::warn!(
                "{}: no records in it; is it the right file (an Event Hub message body, NDJSON, or a dead-letter blob)?",
                path.display()
            );
        } else if c.unparsed == c.records {
            tracing::warn!(
                "{}: none of its {} records is JSON; is it the right file (an Event Hub message body, NDJSON, or a dead-letter blob)?",
                path.display(),
                c.records
            );
        }
        total.add(&Summary::new(&report, &delivery, false, Duration::ZERO));
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

/// Reads one file (`-` is stdin), decompressed.
fn load(path: &Path) -> anyhow::Result<FileEvents> {
    let data = read(path)?;
    let data = deadletter::gunzip_if_needed(data)
        .with_context(|| format!("{}: not valid gzip", path.display()))?;
    let dead_letter = deadletter::looks_like_dead_letter(&data);
    if dead_letter {
        deadletter::entries(&data)
            .with_context(|| format!("{}: unreadable dead-letter blob", path.display()))?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stdin".into());
    Ok(FileEvents {
        data,
        name,
        dead_letter,
    })
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut data = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut data)
            .context("reading stdin")?;
    } else {
        data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(data)
}

/// One JSON document is one event body; otherwise each non-blank line is one.
fn event_bodies(data: &[u8]) -> Vec<&[u8]> {
    if serde_json::from_slice::<serde::de::IgnoredAny>(data).is_ok() {
        return vec![data];
    }
    data.split(|&b| b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_of_a_file() {
        assert_eq!(event_bodies(b"{\"records\":[]}\n").len(), 1);
        assert_eq!(event_bodies(b"{\"a\":1}\n\n{\"a\":2}\r\n").len(), 2);
        assert_eq!(event_bodies(b"[1,\n2]").len(), 1);
        assert_eq!(event_bodies(b"text line\nanother").len(), 2);
    }
}
