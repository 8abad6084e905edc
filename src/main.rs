//! `entra-coralogix`: with no arguments, the Azure Functions custom handler; `replay` ships
//! files without Azure.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use entra_coralogix::coralogix::{HttpSink, Stop};
use entra_coralogix::settings::{self, Mode, Settings};
use entra_coralogix::{replay, server};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    version,
    about = "Ships Microsoft Entra ID logs from Azure Event Hubs to Coralogix"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Azure Functions host (the default): listen on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT.
    Serve,
    /// Ship files of Event Hub message bodies, NDJSON records, exported diagnostic logs or
    /// dead-letter blobs.
    Replay {
        /// Files and folders to read (`-` for stdin). A folder is read recursively, hidden
        /// files skipped; gzip is detected.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the entries as NDJSON instead of sending them; needs no key.
        #[arg(long)]
        dry_run: bool,
        /// Show no progress (a bar on a terminal, otherwise a line every 10 seconds).
        #[arg(long, short)]
        quiet: bool,
        /// About how many bytes of an input to ship as one invocation (for tests).
        #[arg(long, hide = true, default_value_t = replay::DEFAULT_CHUNK_BYTES)]
        chunk_bytes: usize,
        /// Milliseconds between two progress lines when stderr is not a terminal (for tests).
        #[arg(long, hide = true)]
        progress_every_ms: Option<u64>,
    },
}

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(),
        Command::Replay {
            files,
            dry_run,
            quiet,
            chunk_bytes,
            progress_every_ms,
        } => replay(
            &files,
            replay::Options {
                dry_run,
                quiet,
                chunk_bytes,
                progress_every: progress_every_ms
                    .map_or(replay::DEFAULT_PROGRESS_EVERY, Duration::from_millis),
            },
        ),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line, to stderr: the Functions host shows it as an error.
            eprintln!("entra-coralogix: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// glibc gives each thread that allocates its own arena (up to 8 per core) and keeps freed
/// memory in it; with invocations moving between tokio workers and blocking threads, peak RSS
/// grew with every arena. One arena per two cores kept RSS at about 2x the request body on the
/// benchmark at no CPU cost (BENCHMARKS.md, "Memory"). An explicit MALLOC_ARENA_MAX wins.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let arenas = (cores / 2).max(1) as libc::c_int;
        // SAFETY: mallopt only changes allocator tuning; it is called before any other thread
        // exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

/// Logging with the filter `LOG_LEVEL` gave (checked when the settings were read).
fn init_logging(log_filter: &str, to_stderr: bool) {
    let filter = EnvFilter::try_new(log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false);
    if to_stderr {
        // `replay`: around its progress bar, if it shows one.
        builder.with_writer(replay::log_writer).init();
    } else {
        // The host records every stderr line as an error: the server logs to stdout.
        builder.with_writer(std::io::stdout).init();
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn serve() -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env(Mode::Serve)?;
    init_logging(&settings.log_filter, false);
    let port = settings.port.expect("serve mode requires the port");
    let sink = HttpSink::new(&settings)?;
    let grace = settings.shutdown_grace;
    runtime()?.block_on(async move {
        // Loopback only: the host connects to 127.0.0.1, and nothing else should.
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("listening on 127.0.0.1:{port}"))?;
        tracing::info!(
            "{} {} listening on 127.0.0.1:{port}, shipping to {}; trigger {}; memory budget {} MiB ({})",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            settings
                .singles_url
                .as_ref()
                .map(|u| u.as_str())
                .unwrap_or("?"),
            match settings.trigger {
                Some(shape) => format!("{shape} (from EventHubTrigger/function.json)"),
                None => "shape guessed from each request (EventHubTrigger/function.json not found)".into(),
            },
            settings.memory_budget_bytes >> 20,
            settings.memory_budget_source,
        );
        if !settings.controls.is_empty() {
            tracing::info!("operator controls: {}", settings.controls.describe());
        }
        if let Some(masker) = &settings.masker {
            tracing::info!("masking personal data: {masker}");
        }
        if let Some(subsystem) = &settings.self_monitoring {
            tracing::info!("self-monitoring: each invocation's summary also goes to subsystem {subsystem}");
        }
        let (raise, stop) = Stop::new();
        let signalled = std::sync::Arc::new(tokio::sync::Notify::new());
        let on_signal = {
            let signalled = std::sync::Arc::clone(&signalled);
            async move {
                shutdown_signal().await;
                tracing::info!(
                    "stopping: invocations in flight have {} s to finish (SHUTDOWN_GRACE_SECONDS)",
                    grace.as_secs_f64()
                );
                signalled.notify_one();
                tokio::spawn(async move {
                    tokio::time::sleep(grace).await;
                    let _ = raise.send(true);
                });
            }
        };
        let served = server::serve(listener, server::router(settings, sink, stop), on_signal);
        // After the grace period, deliveries end at once and answer failure; if something
        // still holds the server a few seconds later, stop anyway.
        let deadline = async {
            signalled.notified().await;
            tokio::time::sleep(grace + std::time::Duration::from_secs(5)).await;
        };
        tokio::select! {
            result = served => result.context("serving")?,
            _ = deadline => tracing::warn!("invocations were still running after the grace period; stopping anyway"),
        }
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

fn replay(files: &[PathBuf], options: replay::Options) -> anyhow::Result<ExitCode> {
    let dry_run = options.dry_run;
    let settings = Settings::from_env(if dry_run { Mode::DryRun } else { Mode::Ship })?;
    init_logging(&settings.log_filter, true);
    if !dry_run {
        eprintln!(
            "entra-coralogix: shipping to {} as application {:?} (destination {})",
            settings
                .singles_url
                .as_ref()
                .and_then(|u| u.host_str())
                .unwrap_or("?"),
            settings.application,
            settings::destination_source(|name| std::env::var(name).ok()),
        );
    }
    let outcome = runtime()?.block_on(replay::run(settings, files, &options))?;
    let summary = &outcome.summary;
    if dry_run {
        eprintln!("{}", summary.printed_line());
    } else {
        eprintln!("{summary}");
    }
    if outcome.unreadable > 0 {
        eprintln!(
            "entra-coralogix: {} of {} inputs could not be read, or not to the end (named above)",
            outcome.unreadable, outcome.files
        );
    }
    if outcome.skipped > 0 {
        eprintln!(
            "entra-coralogix: {} of {} inputs not read: delivery had stopped",
            outcome.skipped, outcome.files
        );
    }
    Ok(if outcome.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
