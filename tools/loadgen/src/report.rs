//! The benchmark's report: the machine, the data and its floor, one table per workload, the
//! scaling table, and the targets with pass/miss.

use std::path::Path;

use entra_synth::EventSize;

use crate::bench::{Bench, Row};
use crate::{Cli, MB, MIB, machine};

/// The targets of issue 12, as ratios to the floor of the same bodies in the same run.
const TARGET_SMALL: f64 = 3.0; // mixed records, 100 × 20 records, no compression, TLS
const TARGET_LARGE: f64 = 2.5; // 100 × 1 MB events, no compression, TLS
const TARGET_GZIP: f64 = 1.5; // what gzip adds at the default level

pub fn print(cli: &Cli, binary: &Path, bench: &Bench) {
    let size = std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0);
    println!(
        "# entra-loadgen\n\nBinary: {} ({size} bytes). {}\nLoad average before: {}; after: {}.\n",
        binary.display(),
        machine::describe(),
        bench.load_before,
        bench.load_after
    );
    println!(
        "CPU figures are the handler's user + system CPU time from /proc per MB of decoded \
         event JSON (the input), per record and per invocation. The floor is one serde_json \
         validation pass (IgnoredAny) over the same event bodies on one thread, best of {} runs, \
         measured right before and right after each row; the row's ratio uses the mean of the \
         two, so that both sides of the ratio ran under the same load. \"+gzip\" is (CPU with gzip − \
         CPU without, same TLS and partitions) / floor; \"+TLS\" the same for TLS on against \
         off.\n",
        cli.floor_runs
    );
    print_data(bench);
    for d in 0..bench.data.len() {
        print_rows(bench, d);
    }
    print_scaling(cli, bench);
    print_targets(cli, bench, size);
}

fn print_data(bench: &Bench) {
    println!("## Data and floor (one invocation per partition; partition 0's sizes)\n");
    println!(
        "| workload | records | records/inv | bytes/record | event JSON MB/inv | request MB/inv | \
         floor ms/inv | floor CPU-s/MB before, after | floor MB/s |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (i, d) in bench.data.iter().enumerate() {
        let p = &d.payloads[0];
        let floor = bench.floor(i);
        let (before, after) = bench.floors[i];
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {before:.5}, {after:.5} | {:.0} |",
            d.shape,
            d.mix.name,
            p.records,
            d.record_bytes(),
            p.event_bytes as f64 / MB,
            p.request.len() as f64 / MB,
            floor * p.event_bytes as f64 / MB * 1e3,
            1.0 / floor
        );
    }
    println!();
}

/// (CPU-s per MB of `row` − that of `other`) / the mean of their floors, if `other` was run.
fn added(row: &Row, other: Option<&Row>) -> Option<f64> {
    let other = other?;
    let floor = (row.floor + other.floor) / 2.0;
    Some((row.level.cpu_per_mb() - other.level.cpu_per_mb()) / floor)
}

fn gzip_added(bench: &Bench, row: &Row) -> Option<f64> {
    if row.compression != "gzip" {
        return None;
    }
    let none = bench.find(row.data, row.tls, "none", row.level.partitions);
    added(row, none)
}

fn tls_added(bench: &Bench, row: &Row) -> Option<f64> {
    if !row.tls {
        return None;
    }
    let plain = bench.find(row.data, false, &row.compression, row.level.partitions);
    added(row, plain)
}

fn opt(value: Option<f64>) -> String {
    value.map_or(String::new(), |v| format!("{v:+.2}"))
}

fn print_rows(bench: &Bench, d: usize) {
    let data = &bench.data[d];
    println!(
        "## {}, {} records ({:.0} bytes a record)\n",
        data.shape,
        data.mix.name,
        data.record_bytes()
    );
    println!(
        "| TLS | COMPRESSION | partitions | invocations | CPU ms/inv | CPU µs/record | CPU-s per MB \
         | floor CPU-s per MB | x floor | +gzip x floor | +TLS x floor | peak RSS MiB | sent B per input B | p50 ms | \
         p99 ms | records/s | loadgen CPU-s | other CPU-s | failed |"
    );
    println!(
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut rows: Vec<&Row> = bench.rows.iter().filter(|r| r.data == d).collect();
    rows.sort_by_key(|r| (!r.tls, r.compression.clone(), r.level.partitions));
    for row in rows {
        let l = &row.level;
        println!(
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.5} | {:.5} | {:.2} | {} | {} | {:.1} | {:.3} | {:.1} | {:.1} | {:.0} | {:.2} | {:.2} | {} |",
            if row.tls { "on" } else { "off" },
            row.compression,
            l.partitions,
            l.invocations,
            l.ms_per_invocation(),
            l.us_per_record(),
            l.cpu_per_mb(),
            row.floor,
            l.cpu_per_mb() / row.floor,
            opt(gzip_added(bench, row)),
            opt(tls_added(bench, row)),
            l.peak_rss as f64 / MIB,
            l.sink.wire_bytes as f64 / l.input_bytes.max(1) as f64,
            l.percentile(0.50).as_secs_f64() * 1e3,
            l.percentile(0.99).as_secs_f64() * 1e3,
            l.records_per_s(),
            l.loadgen_cpu,
            l.other_cpu,
            l.errors
        );
    }
    println!();
}

/// Cost against invocation size and partitions, with the first TLS and compression setting:
/// per event size (a record count, or bytes), the cost per MB relative to the largest
/// invocation of that event size at one partition, so a cliff shows as a ratio far from 1.
fn print_scaling(cli: &Cli, bench: &Bench) {
    if bench.data.len() < 2 && cli.partitions.len() < 2 {
        return;
    }
    let (Some(&tls), Some(compression)) = (cli.tls.first(), cli.compression.first()) else {
        return;
    };
    println!(
        "## Scaling (TLS {}, COMPRESSION={compression})\n",
        if tls { "on" } else { "off" }
    );
    println!(
        "\"vs largest\" is the CPU per MB against the largest invocation of the same event size \
         and mix at 1 partition: 1.00 is linear cost.\n"
    );
    println!(
        "| workload | records | partitions | event JSON MB/inv | CPU ms/inv | CPU µs/record | \
         CPU-s per MB | x floor | vs largest | peak RSS MiB | other CPU-s |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut order: Vec<usize> = (0..bench.data.len()).collect();
    let kind = |d: usize| match bench.data[d].shape.size {
        EventSize::Records(n) => (0, n),
        EventSize::Bytes(n) => (1, n),
    };
    order.sort_by_key(|&d| (bench.data[d].mix.name, kind(d), bench.data[d].shape.events));
    for &d in &order {
        let data = &bench.data[d];
        // The largest invocation of the same event size and mix, at one partition.
        let reference = (0..bench.data.len())
            .filter(|&o| kind(o) == kind(d) && bench.data[o].mix == data.mix)
            .max_by_key(|&o| bench.data[o].shape.events)
            .and_then(|o| bench.find(o, tls, compression, 1));
        for &p in &cli.partitions {
            let Some(row) = bench.find(d, tls, compression, p) else {
                continue;
            };
            let l = &row.level;
            println!(
                "| {} | {} | {p} | {:.3} | {:.2} | {:.2} | {:.5} | {:.2} | {} | {:.1} | {:.2} |",
                data.shape,
                data.mix.name,
                data.payloads[0].event_bytes as f64 / MB,
                l.ms_per_invocation(),
                l.us_per_record(),
                l.cpu_per_mb(),
                l.cpu_per_mb() / row.floor,
                reference.map_or(String::new(), |r| format!(
                    "{:.2}",
                    l.cpu_per_mb() / r.level.cpu_per_mb()
                )),
                l.peak_rss as f64 / MIB,
                l.other_cpu
            );
        }
    }
    println!();
}

/// `measured` against `limit` where lower is better: "pass (40% under)" / "MISS (12% over)".
pub fn verdict(measured: f64, limit: f64) -> String {
    if measured <= limit {
        format!("pass ({:.0}% under)", 100.0 * (limit - measured) / limit)
    } else {
        format!("MISS ({:.0}% over)", 100.0 * (measured - limit) / limit)
    }
}

fn is_100x1mb(bench: &Bench, d: usize) -> bool {
    let s = bench.data[d].shape;
    s.events == 100 && s.size == EventSize::Bytes(1_000_000)
}

fn is_100x20_mixed(bench: &Bench, d: usize) -> bool {
    let data = &bench.data[d];
    data.shape.events == 100
        && data.shape.size == EventSize::Records(20)
        && data.mix.name == "mixed"
}

fn print_targets(cli: &Cli, bench: &Bench, size: u64) {
    println!("## Targets\n");
    println!(
        "Judged at 1 partition with TLS on (the production path); the worst partition count is \
         given beside it. Ratios are to the floor of the same bodies in the same run.\n"
    );
    println!("| target | measured | limit | verdict |");
    println!("|---|---:|---:|---|");
    let floor_target = |name: &str, pick: &dyn Fn(usize) -> bool, limit: f64, needs: &str| {
        let mut any = false;
        for d in (0..bench.data.len()).filter(|&d| pick(d)) {
            let Some(row) = bench.find(d, true, "none", 1) else {
                continue;
            };
            any = true;
            let ratio = row.level.cpu_per_mb() / row.floor;
            let worst = bench
                .rows
                .iter()
                .filter(|r| r.data == d && r.tls && r.compression == "none")
                .max_by(|a, b| {
                    (a.level.cpu_per_mb() / a.floor).total_cmp(&(b.level.cpu_per_mb() / b.floor))
                })
                .expect("the 1-partition row at least");
            println!(
                "| {name}: {}, {} records, no compression, TLS (worst: {:.2}x at {} partitions; \
                 {:.5} CPU-s/MB, {:.2} µs/record, {:.1} ms/invocation) | {ratio:.2}x | {limit}x | {} |",
                bench.data[d].shape,
                bench.data[d].mix.name,
                worst.level.cpu_per_mb() / worst.floor,
                worst.level.partitions,
                row.level.cpu_per_mb(),
                row.level.us_per_record(),
                row.level.ms_per_invocation(),
                verdict(ratio, limit)
            );
        }
        if !any {
            println!("| {name} | not run | {limit}x | needs {needs} |");
        }
    };
    floor_target(
        "(a) handler CPU vs floor",
        &|d| is_100x20_mixed(bench, d),
        TARGET_SMALL,
        "--workloads 100x20 --records mixed --tls on --compression none --partitions 1",
    );
    floor_target(
        "(b) handler CPU vs floor",
        &|d| is_100x1mb(bench, d),
        TARGET_LARGE,
        "--workloads 100x1mb --tls on --compression none --partitions 1",
    );
    let mut any_gzip = false;
    for d in 0..bench.data.len() {
        let Some(row) = bench.find(d, true, "gzip", 1) else {
            continue;
        };
        let Some(extra) = gzip_added(bench, row) else {
            continue;
        };
        any_gzip = true;
        println!(
            "| (c) gzip's added CPU vs floor: {}, {} records, TLS ({:.0}% fewer bytes sent) | {extra:.2}x | {TARGET_GZIP}x | {} |",
            bench.data[d].shape,
            bench.data[d].mix.name,
            100.0
                * (1.0
                    - row.level.sink.wire_bytes as f64 / row.level.sink.json_bytes.max(1) as f64),
            verdict(extra, TARGET_GZIP)
        );
    }
    if !any_gzip {
        println!(
            "| (c) gzip's added CPU vs floor | not run | {TARGET_GZIP}x | needs --compression none,gzip --tls on --partitions 1 |"
        );
    }
    // Peak RSS: one invocation in flight holds its request and a little more.
    for d in 0..bench.data.len() {
        let request = bench.data[d].payloads[0].request.len() as f64;
        let limit = 2.5 * request + 30.0 * MIB;
        let Some(worst) = bench
            .rows
            .iter()
            .filter(|r| r.data == d && r.level.partitions == 1)
            .max_by_key(|r| r.level.peak_rss)
        else {
            continue;
        };
        println!(
            "| peak RSS, 1 partition, {}, {} records (worst of TLS × COMPRESSION: {}, {}; limit 2.5 × {:.1} MiB request + 30 MiB) | {:.1} MiB | {:.1} MiB | {} |",
            bench.data[d].shape,
            bench.data[d].mix.name,
            if worst.tls { "TLS" } else { "plain" },
            worst.compression,
            request / MIB,
            worst.level.peak_rss as f64 / MIB,
            limit / MIB,
            verdict(worst.level.peak_rss as f64, limit)
        );
    }
    let mut sorted = bench.starts.clone();
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
    print_growth(cli, bench);
    println!();
}

/// Records/s should grow with partitions up to the core count, and not collapse beyond it.
fn print_growth(cli: &Cli, bench: &Bench) {
    let cores = machine::cores();
    let mut counts = cli.partitions.clone();
    counts.sort();
    counts.dedup();
    if counts.len() < 2 {
        return;
    }
    for d in 0..bench.data.len() {
        let mut steps = Vec::new();
        let mut ok = true;
        for &tls in &cli.tls {
            for compression in &cli.compression {
                let rate = |p| {
                    bench
                        .find(d, tls, compression, p)
                        .map(|r| r.level.records_per_s())
                };
                let mut these = Vec::new();
                for pair in counts.windows(2) {
                    let (Some(a), Some(b)) = (rate(pair[0]), rate(pair[1])) else {
                        continue;
                    };
                    these.push(format!("{}→{}: x{:.2}", pair[0], pair[1], b / a));
                    ok &= if pair[1] <= cores {
                        b >= 1.2 * a // at least +20% per step up to the core count
                    } else {
                        b >= 0.9 * a // no collapse beyond it
                    };
                }
                steps.push(format!(
                    "{} {compression}: {}",
                    if tls { "TLS" } else { "plain" },
                    these.join(", ")
                ));
            }
        }
        println!(
            "| records/s grows with partitions up to {cores} cores, {}, {} records | {} | +20% per step to {cores}, no drop >10% after | {} |",
            bench.data[d].shape,
            bench.data[d].mix.name,
            steps.join("; "),
            if ok { "pass" } else { "MISS" }
        );
    }
}
