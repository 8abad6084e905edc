//! `entra-loadgen`: runs the release binary as the Functions host would and measures it.
//!
//! 1. Generates one invocation per partition for each workload (invocation shape and record
//!    mix, `entra-synth`), and measures the floor: one serde_json validation pass over the same
//!    event bodies, in the same run (`workload.rs`).
//! 2. Starts a local Coralogix stand-in (the sink, `sink.rs`), over HTTPS with a certificate
//!    made at start that the handler trusts through `EXTRA_CA_CERTS` (`tls.rs`), or plain HTTP.
//! 3. For each TLS and compression setting (a handler process each, `handler.rs`), each
//!    workload and each partition count, sends invocations from that many concurrent
//!    "partitions", each one after another as the host does, and reads the handler's CPU time
//!    and peak RSS from /proc (`drive.rs`, `bench.rs`).
//! 4. Prints the results, the scaling table and the targets with pass/miss (`report.rs`).
//!
//! Nothing leaves 127.0.0.1. `--soak N` instead sends N invocations and samples the RSS
//! (`soak.rs`); `--memory` measures the peak RSS of workloads from tiny records to 256 MB
//! bodies, each in a fresh handler process (`memory/`); `--gzip-levels` compares deflate
//! implementations and levels on the request bodies the handler sends (`gzip.rs`).

mod bench;
mod drive;
mod gzip;
mod handler;
mod machine;
mod memory;
mod report;
mod sink;
mod soak;
mod tls;
mod workload;

use std::path::PathBuf;

use clap::Parser;
use workload::{Mix, Shape};

pub const MB: f64 = 1e6;
pub const MIB: f64 = 1024.0 * 1024.0;

#[derive(Parser, Clone)]
#[command(
    version,
    about = "End-to-end load test of the entra-coralogix release binary against a local sink",
    long_about = "Runs the release binary as the Azure Functions host does (serve mode, port in \
        FUNCTIONS_CUSTOMHANDLER_PORT), ships to a local stand-in for Coralogix over HTTPS and/or \
        plain HTTP, and drives it with Entra ID invocations of the given shapes and record mixes \
        from 1, 2 and 4 concurrent partitions. Prints, per row, CPU-s per MB of event JSON, CPU \
        microseconds per record and milliseconds per invocation against a serde_json floor \
        measured in the same run, peak RSS, latency and bytes sent; then a scaling table and the \
        targets with pass/miss.\n\n\
        Build first: cargo build --release && cargo run --release -p entra-loadgen"
)]
struct Cli {
    /// The handler binary [default: $CARGO_TARGET_DIR/release/entra-coralogix, else
    /// target/release/entra-coralogix].
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Invocation shapes, comma-separated: EVENTSxSIZE, SIZE a record count per event (`100x20`)
    /// or the bytes each event is filled to (`100x1mb`, `100x200kib`, `10x500kb`).
    #[arg(long, value_delimiter = ',', default_value = "100x20,100x1mb", value_parser = Shape::parse)]
    workloads: Vec<Shape>,
    /// Record mixes, comma-separated: `mixed` (about 1.9 KB a record), `default` or
    /// `signin-heavy` (about 3.3 KB), `audit-heavy` (about 1.2 KB), `tiny` (about 140 bytes) or
    /// `large` (one record per event, as large as the event). Not with --memory, whose rows
    /// choose.
    #[arg(long, value_delimiter = ',', default_value = "mixed", value_parser = Mix::parse)]
    records: Vec<Mix>,
    /// Whether the sink speaks TLS (as Coralogix does; the handler trusts the sink's
    /// certificate through EXTRA_CA_CERTS), comma-separated: `on`, `off` or both. --memory,
    /// --soak and --gzip-levels use the first.
    #[arg(long, value_delimiter = ',', default_value = "on,off", value_parser = parse_on_off)]
    tls: Vec<bool>,
    /// Handler COMPRESSION settings to run, comma-separated (a new handler process for each).
    #[arg(long, value_delimiter = ',', default_value = "none,gzip")]
    compression: Vec<String>,
    /// Partition counts to run, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    partitions: Vec<usize>,
    /// Measured invocations per row [default: enough for --row-mb of event JSON, at least 5
    /// and 2 per partition, at most 2000].
    #[arg(long)]
    invocations: Option<usize>,
    /// Event JSON to send per row when --invocations is not given, in MB.
    #[arg(long, default_value_t = 300.0)]
    row_mb: f64,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Extra start-to-ready measurements (separate short-lived processes).
    #[arg(long, default_value_t = 5)]
    starts: usize,
    /// Runs of the floor measurement; the best is kept.
    #[arg(long, default_value_t = 7)]
    floor_runs: usize,
    /// Soak instead of benchmarking: send this many invocations (from the first partition
    /// count) and sample the RSS as it goes. E.g. `--soak 1000 --workloads 100x200kib` or `--soak 10000 --workloads 5x200kib`.
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
    /// against its target. COMPRESSION=none unless set with --env.
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
    /// Compare deflate implementations and levels instead of benchmarking: CPU per MB and
    /// compression ratio of gzip over the request bodies the handler sends to the sink (for
    /// the first workload and each record mix).
    #[arg(long)]
    gzip_levels: bool,
    /// With --gzip-levels: the levels, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5,6")]
    levels: Vec<u32>,
    /// With --gzip-levels: request bodies to compress per record mix.
    #[arg(long, default_value_t = 8)]
    bodies: usize,
}

fn parse_on_off(text: &str) -> Result<bool, String> {
    match text.trim() {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(format!("expected on or off, got {text:?}")),
    }
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
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
    // reqwest is built without a crypto provider in this workspace (the handler installs ring);
    // the loadgen's own client speaks plain HTTP, but reqwest still asks for one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async {
        match cli.soak {
            _ if cli.memory => memory::run(&cli, &binary).await,
            _ if cli.gzip_levels => gzip::run(&cli, &binary).await,
            Some(n) => soak::soak(&cli, &binary, n).await,
            None => bench::run(&cli, &binary).await,
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
