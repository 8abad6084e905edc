//! The benchmark proper: every workload (shape × record mix) against a handler for every TLS
//! and compression setting, at every partition count; the floor measured before and after.

use std::path::Path;
use std::time::Duration;

use crate::drive::{Client, Level, run_level};
use crate::handler::{self, Handler};
use crate::workload::Data;
use crate::{Cli, MB, machine, report, sink};

/// One measured row.
pub struct Row {
    /// Index into [`Bench::data`].
    pub data: usize,
    pub tls: bool,
    pub compression: String,
    pub level: Level,
    /// The floor of this row's workload in CPU-s per MB, measured right before and right after
    /// the row (the mean of the two), so that the ratio compares work done under the same load.
    pub floor: f64,
}

/// Everything one benchmark run measured.
pub struct Bench {
    pub data: Vec<Data>,
    /// The floor of each workload in CPU-s per MB of event JSON over every partition's
    /// invocation, measured before and after all the rows (for the data table; each row has
    /// its own).
    pub floors: Vec<(f64, f64)>,
    pub rows: Vec<Row>,
    /// Start-to-ready of every handler started.
    pub starts: Vec<Duration>,
    pub load_before: String,
    pub load_after: String,
}

impl Bench {
    /// The lower of the floors of workload `data` measured before and after the rows.
    pub fn floor(&self, data: usize) -> f64 {
        let (before, after) = self.floors[data];
        before.min(after)
    }

    /// The row of this workload, TLS, compression and partition count, if it was run.
    pub fn find(
        &self,
        data: usize,
        tls: bool,
        compression: &str,
        partitions: usize,
    ) -> Option<&Row> {
        self.rows.iter().find(|r| {
            r.data == data
                && r.tls == tls
                && r.compression == compression
                && r.level.partitions == partitions
        })
    }
}

/// Invocations per row: `--invocations`, else enough for `--row-mb` of event JSON.
fn invocations(cli: &Cli, data: &Data, partitions: usize) -> usize {
    cli.invocations.unwrap_or_else(|| {
        let per_invocation = data.payloads[0].event_bytes.max(1) as f64;
        let n = (cli.row_mb * MB / per_invocation).ceil() as usize;
        n.clamp(5.max(2 * partitions), 2000.max(2 * partitions))
    })
}

pub async fn run(cli: &Cli, binary: &Path) -> Result<(), String> {
    let max_partitions = cli.partitions.iter().copied().max().unwrap_or(1);
    let mut data = Vec::new();
    for &shape in &cli.workloads {
        for &mix in &cli.records {
            eprintln!(
                "generating {max_partitions} invocation(s) of {shape}, {} records (seed {})...",
                mix.name, cli.seed
            );
            data.push(Data::generate(cli.seed, shape, mix, max_partitions));
        }
    }
    eprintln!("measuring the floor...");
    let before: Vec<f64> = data
        .iter()
        .map(|d| d.floor_per_mb(cli.floor_runs))
        .collect();

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
    let load_before = machine::loadavg();
    let mut sinks = Vec::new();
    for &tls in &cli.tls {
        sinks.push(sink::start(tls).await?);
    }
    let Some(first_sink) = sinks.first() else {
        return Err("--tls needs at least one setting".into());
    };
    let mut starts = Vec::new();
    for _ in 0..cli.starts {
        let h = Handler::start(binary, first_sink, &cli.envs)?;
        starts.push(h.start_to_ready);
        h.stop();
    }
    let http = Client::http()?;
    // Each row is run under every TLS and compression setting in turn, so that the comparisons
    // (+gzip, +TLS) are of runs close in time; each run in a fresh handler process, so that its
    // peak RSS (VmHWM) is its own and not what an earlier row left in the allocator.
    let mut settings = Vec::new();
    for sink in &sinks {
        for compression in &cli.compression {
            let mut env = cli.envs.clone();
            env.push(("COMPRESSION".into(), compression.clone()));
            settings.push((sink, compression, env));
        }
    }
    let mut rows = Vec::new();
    for (i, d) in data.iter().enumerate() {
        for &partitions in &cli.partitions {
            let n = invocations(cli, d, partitions);
            for (sink, compression, env) in &settings {
                eprintln!(
                    "{}, {} records, {partitions} partition(s), {n} invocations: TLS {}, \
                     COMPRESSION={compression}...",
                    d.shape,
                    d.mix.name,
                    if sink.tls() { "on" } else { "off" },
                );
                let handler = Handler::start(binary, sink, env)?;
                starts.push(handler.start_to_ready);
                let client = Client::to(&handler, http.clone());
                let floor_before = d.floor_per_mb_of_one(cli.floor_runs);
                let level = run_level(
                    &client,
                    &handler,
                    &sink.counters,
                    &d.payloads,
                    partitions,
                    n,
                    true,
                )
                .await;
                handler.stop();
                if let Some(e) = &level.first_error {
                    eprintln!("  {} invocation(s) failed; first: {e}", level.errors);
                }
                let floor_after = d.floor_per_mb_of_one(cli.floor_runs);
                rows.push(Row {
                    data: i,
                    tls: sink.tls(),
                    compression: (*compression).clone(),
                    level,
                    floor: (floor_before + floor_after) / 2.0,
                });
            }
        }
    }
    eprintln!("measuring the floor again...");
    let after: Vec<f64> = data
        .iter()
        .map(|d| d.floor_per_mb(cli.floor_runs))
        .collect();
    let bench = Bench {
        floors: before.into_iter().zip(after).collect(),
        data,
        rows,
        starts,
        load_before,
        load_after: machine::loadavg(),
    };
    report::print(cli, binary, &bench);
    Ok(())
}
