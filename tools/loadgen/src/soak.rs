//! `--soak N`: N invocations from one handler, its RSS sampled as they go: memory must not grow.

use std::path::Path;

use crate::drive::{Client, run_level};
use crate::handler::Handler;
use crate::workload::Data;
use crate::{Cli, MIB, sink};

pub async fn soak(cli: &Cli, binary: &Path, invocations: usize) -> Result<(), String> {
    let partitions = cli.partitions.first().copied().unwrap_or(1).max(1);
    let shape = cli.workloads[0];
    let mix = cli.records[0];
    let tls = cli.tls.first().copied().unwrap_or(true);
    eprintln!(
        "generating {partitions} invocation(s) of {shape} ({} records)...",
        mix.name
    );
    let data = Data::generate(cli.seed, shape, mix, partitions);
    println!(
        "## Soak data (one invocation per partition)\n\n{}\n\n{}",
        crate::machine::describe(),
        data.stats
    );
    let sink = sink::start(tls).await?;
    let mut env = cli.envs.clone();
    env.push((
        "COMPRESSION".into(),
        cli.compression
            .first()
            .cloned()
            .unwrap_or_else(|| "none".into()),
    ));
    let handler = Handler::start(binary, &sink, &env)?;
    let client = Client::to(&handler, Client::http()?);
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
            &client,
            &handler,
            &sink.counters,
            &data.payloads,
            partitions,
            n,
            warm_up,
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
