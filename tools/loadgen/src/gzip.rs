//! `--gzip-levels`: what gzip costs and saves, per deflate implementation and level, on the
//! request bodies the handler really sends (`[entry,entry,…]` of up to 2 MB, captured at the
//! sink with COMPRESSION=none), against the serde_json floor of the events they came from.
//!
//! Implementations, each compressing a whole body at once as `src/coralogix/batch.rs` does:
//! - flate2 with the backend this build enables: zlib-rs (the default), or zlib-ng with
//!   `--features zlib-ng` (which needs cmake);
//! - miniz_oxide, flate2's default backend, called directly (flate2 picks one backend per
//!   build), with a gzip header and a crc32fast trailer as flate2 writes them;
//! - libdeflate (`libdeflater`), whole-buffer only.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;

use crate::drive::{Client, invoke};
use crate::handler::{Handler, thread_cpu};
use crate::workload::{Data, Mix};
use crate::{Cli, MB, machine, sink};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Implementation {
    Flate2,
    MinizOxide,
    Libdeflate,
}

impl Implementation {
    const ALL: [Implementation; 3] = [
        Implementation::Flate2,
        Implementation::MinizOxide,
        Implementation::Libdeflate,
    ];

    fn name(self) -> &'static str {
        match self {
            Implementation::Flate2 if cfg!(feature = "zlib-ng") => "flate2 + zlib-ng",
            Implementation::Flate2 => "flate2 + zlib-rs",
            Implementation::MinizOxide => "miniz_oxide",
            Implementation::Libdeflate => "libdeflate",
        }
    }

    fn gzip(self, body: &[u8], level: u32) -> Vec<u8> {
        match self {
            Implementation::Flate2 => {
                let mut encoder = flate2::write::GzEncoder::new(
                    Vec::with_capacity(body.len() / 4),
                    flate2::Compression::new(level),
                );
                encoder.write_all(body).expect("writing to a Vec");
                encoder.finish().expect("writing to a Vec")
            }
            Implementation::MinizOxide => {
                // The header flate2 writes (no name, no time, unknown OS), then raw deflate,
                // then CRC-32 and the length.
                let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
                let deflated = miniz_oxide::deflate::compress_to_vec(body, level as u8);
                out.extend_from_slice(&deflated);
                out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
                out.extend_from_slice(&(body.len() as u32).to_le_bytes());
                out
            }
            Implementation::Libdeflate => {
                let level =
                    libdeflater::CompressionLvl::new(level as i32).expect("levels 1-12 are valid");
                let mut compressor = libdeflater::Compressor::new(level);
                let mut out = vec![0; compressor.gzip_compress_bound(body.len())];
                let n = compressor
                    .gzip_compress(body, &mut out)
                    .expect("the bound is enough");
                out.truncate(n);
                out
            }
        }
    }
}

/// The request bodies of one record mix, and what they came from.
struct Bodies {
    mix: Mix,
    bodies: Vec<Bytes>,
    /// Floor CPU-s per MB of the event JSON they were built from.
    floor_per_mb: f64,
    /// Bytes of request body per byte of event JSON (entries add Coralogix's fields).
    body_per_event_byte: f64,
}

/// Sends invocations of `mix` until the sink has kept `count` full-size bodies.
async fn capture(
    cli: &Cli,
    client: &Client,
    sink: &sink::Sink,
    mix: Mix,
) -> Result<Bodies, String> {
    let shape = cli.workloads[0];
    let mut bodies = Vec::new();
    let (mut event_bytes, mut body_bytes, mut floor_cpu) = (0usize, 0usize, 0.0);
    for p in 0..64u64 {
        if bodies.len() >= cli.bodies {
            break;
        }
        let data = Data::generate(cli.seed + p, shape, mix, 1);
        let payload = &data.payloads[0];
        sink.counters.keep_next(u64::MAX);
        invoke(client, payload, p as usize).await?;
        sink.counters.keep_next(0);
        let kept = sink.counters.take_kept();
        event_bytes += payload.event_bytes;
        body_bytes += kept.iter().map(Bytes::len).sum::<usize>();
        floor_cpu += data.floor_per_mb(cli.floor_runs) * payload.event_bytes as f64 / MB;
        // The last request of an invocation holds what was left: keep only full ones, unless
        // the invocation made one request only.
        let largest = kept.iter().map(Bytes::len).max().unwrap_or(0);
        bodies.extend(kept.into_iter().filter(|b| b.len() * 2 >= largest));
    }
    bodies.truncate(cli.bodies.max(1));
    if bodies.is_empty() {
        return Err("the sink kept no request body".into());
    }
    Ok(Bodies {
        mix,
        bodies,
        floor_per_mb: floor_cpu / (event_bytes as f64 / MB),
        body_per_event_byte: body_bytes as f64 / event_bytes.max(1) as f64,
    })
}

/// CPU time of compressing every body once, and the compressed bytes.
fn measure(implementation: Implementation, level: u32, bodies: &[Bytes]) -> (Duration, usize) {
    let start = thread_cpu();
    let mut compressed = 0;
    for body in bodies {
        compressed += std::hint::black_box(implementation.gzip(body, level)).len();
    }
    (thread_cpu() - start, compressed)
}

/// The best CPU time and the compressed bytes of every implementation and level, measured in
/// `runs` interleaved rounds, so that a busy moment of the machine does not fall on one
/// implementation only.
fn measure_all(cli: &Cli, bodies: &[Bytes]) -> Vec<(Implementation, u32, Duration, usize)> {
    let mut results: Vec<(Implementation, u32, Duration, usize)> = Implementation::ALL
        .iter()
        .flat_map(|&i| cli.levels.iter().map(move |&l| (i, l, Duration::MAX, 0)))
        .collect();
    for _ in 0..cli.floor_runs.max(1) {
        for (implementation, level, best, compressed) in &mut results {
            let (cpu, bytes) = measure(*implementation, *level, bodies);
            *best = (*best).min(cpu);
            *compressed = bytes;
        }
    }
    results
}

/// Decompresses with flate2 and compares: every implementation must write valid gzip.
fn check(implementation: Implementation, level: u32, body: &[u8]) -> Result<(), String> {
    let gz = implementation.gzip(body, level);
    let mut out = Vec::with_capacity(body.len());
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut out)
        .map_err(|e| {
            format!(
                "{} level {level}: not valid gzip: {e}",
                implementation.name()
            )
        })?;
    if out != body {
        return Err(format!(
            "{} level {level}: round trip differs",
            implementation.name()
        ));
    }
    Ok(())
}

pub async fn run(cli: &Cli, binary: &Path) -> Result<(), String> {
    let tls = cli.tls.first().copied().unwrap_or(true);
    let sink = sink::start(tls).await?;
    let mut env = cli.envs.clone();
    env.push(("COMPRESSION".into(), "none".into()));
    let handler = Handler::start(binary, &sink, &env)?;
    let client = Client::to(&handler, Client::http()?);
    let mut sets = Vec::new();
    for &mix in &cli.records {
        eprintln!("capturing request bodies of {} records...", mix.name);
        sets.push(capture(cli, &client, &sink, mix).await?);
    }
    handler.stop();
    println!(
        "# entra-loadgen --gzip-levels\n\n{} Load average: {}.\n",
        machine::describe(),
        machine::loadavg()
    );
    println!(
        "Whole-body gzip of the handler's own request bodies (captured at the sink with \
         COMPRESSION=none, from {} invocations), one thread, best of {} interleaved rounds. CPU per MB of \
         body and of event JSON (the input the handler's CPU is counted against), and as a \
         multiple of the serde_json floor of those events: the \"+gzip x floor\" the \
         end-to-end run measures, without the handler around it.\n",
        cli.workloads[0], cli.floor_runs
    );
    for set in &sets {
        let total: usize = set.bodies.iter().map(Bytes::len).sum();
        println!(
            "## {} records: {} bodies, {:.2} MB ({:.3} body bytes per event byte); floor {:.5} CPU-s per MB of event JSON\n",
            set.mix.name,
            set.bodies.len(),
            total as f64 / MB,
            set.body_per_event_byte,
            set.floor_per_mb
        );
        println!(
            "| implementation | level | MB/s of body | CPU-s per MB of body | CPU-s per MB of event JSON | x floor | compressed / body | MB saved per CPU-s |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|");
        for &implementation in &Implementation::ALL {
            for &level in &cli.levels {
                check(implementation, level, &set.bodies[0])?;
            }
        }
        for (implementation, level, cpu, compressed) in measure_all(cli, &set.bodies) {
            let per_body_mb = cpu.as_secs_f64() / (total as f64 / MB);
            let per_event_mb = per_body_mb * set.body_per_event_byte;
            let ratio = compressed as f64 / total as f64;
            println!(
                "| {} | {level} | {:.0} | {per_body_mb:.5} | {per_event_mb:.5} | {:.2} | {ratio:.4} | {:.0} |",
                implementation.name(),
                1.0 / per_body_mb,
                per_event_mb / set.floor_per_mb,
                (total - compressed) as f64 / MB / cpu.as_secs_f64()
            );
        }
        println!();
    }
    Ok(())
}
