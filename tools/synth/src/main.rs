//! `entra-synth`: writes a sample invocation request (and optionally its event bodies) and
//! prints the mix and sizes of what it generated.

use std::path::PathBuf;

use clap::Parser;
use entra_synth::{DEFAULT_EVENT_BYTES, DEFAULT_EVENTS, EventSize, Generator, Records, Stats};

#[derive(Parser)]
#[command(
    version,
    about = "Writes deterministic synthetic Entra ID invocation requests, encoded as the Azure \
             Functions host sends them (cardinality many, dataType binary)"
)]
struct Cli {
    /// Where to write the request body of the first invocation (`-` for stdout).
    #[arg(long, short, default_value = "invocation.json")]
    out: PathBuf,
    /// Also write each event body of the first invocation to this file, one per line (NDJSON
    /// of envelopes, readable by `entra-coralogix replay`).
    #[arg(long)]
    events_out: Option<PathBuf>,
    /// Seed: the same seed gives byte-identical output.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Event Hub partition the invocation comes from.
    #[arg(long, default_value_t = 0)]
    partition: u32,
    /// Events per invocation.
    #[arg(long, default_value_t = DEFAULT_EVENTS)]
    events: usize,
    /// Largest event body in bytes; events are filled with records up to this size.
    #[arg(long, default_value_t = DEFAULT_EVENT_BYTES)]
    event_bytes: usize,
    /// Put exactly this many records in each event instead (e.g. 20: about 38 KB events of
    /// `mixed` records), whatever their size.
    #[arg(long, conflicts_with = "event_bytes")]
    records_per_event: Option<usize>,
    /// What records to make: `default` or `signin-heavy` (the production mix, about 3.3 KB a
    /// record), `mixed` (about 1.9 KB), `audit-heavy` (about 1.2 KB), `tiny` (about 140 bytes,
    /// thousands to an event) or `large` (one record per event, as large as the event).
    #[arg(long, default_value = "default", value_parser = parse_records)]
    records: Records,
    /// Generate this many invocations for the statistics (only the first is written).
    #[arg(long, default_value_t = 1)]
    invocations: usize,
}

fn parse_records(name: &str) -> Result<Records, String> {
    Records::from_name(name).ok_or_else(|| format!("expected one of {}", Records::NAMES))
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let mut generator = Generator::with_records(cli.seed, cli.partition, cli.records);
    let mut stats = Stats::default();
    for i in 0..cli.invocations.max(1) {
        let size = match cli.records_per_event {
            Some(n) => EventSize::Records(n),
            None => EventSize::Bytes(cli.event_bytes),
        };
        let inv = generator.invocation_of(cli.events, size);
        stats.merge(&inv.stats);
        if i > 0 {
            continue;
        }
        if cli.out.as_os_str() == "-" {
            use std::io::Write;
            std::io::stdout().write_all(&inv.request)?;
        } else {
            std::fs::write(&cli.out, &inv.request)?;
            eprintln!("wrote {} ({} bytes)", cli.out.display(), inv.request.len());
        }
        if let Some(path) = &cli.events_out {
            let mut lines = Vec::with_capacity(inv.stats.event_bytes + inv.events.len());
            for body in &inv.events {
                lines.extend_from_slice(body);
                lines.push(b'\n');
            }
            std::fs::write(path, lines)?;
            eprintln!("wrote {} ({} events)", path.display(), inv.events.len());
        }
    }
    eprintln!("\n{stats}");
    Ok(())
}
