//! The HTTP server the Functions host talks to: `GET /` for readiness and
//! `POST /EventHubTrigger` for each batch.
//!
//! One invocation: reserve memory and read the body (bounded), decode it on a blocking thread,
//! build the entries on a blocking thread while delivering each request as soon as it is
//! built, then answer: 200 once every record is accepted or parked, non-2xx otherwise so that
//! the host's retry policy delivers the batch again.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};
use futures_util::StreamExt;
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tracing::{Instrument, error, info_span, warn};

use crate::coralogix::{Delivery, DeliveryPlan, HttpSink, Reason, RetryPolicy, Stop};
use crate::deadletter::{self, BlobHeader};
use crate::entra::Timestamp;
use crate::host::{self, Invocation, response};
use crate::memory::{MemoryBudget, Reservation};
use crate::monitoring::{self, Health};
use crate::pipeline::{self, BuildReport, HostEvents, Severity, Summary};
use crate::settings::{Compression, Settings};

/// The function's folder name, which is also its URL path.
pub const FUNCTION_NAME: &str = "EventHubTrigger";
/// Header carrying the host's invocation id.
const INVOCATION_ID: &str = "x-azure-functions-invocationid";
/// How much of the body is reserved at a time while it is read without a Content-Length.
const READ_RESERVE_STEP: u64 = 4 << 20;

struct App {
    settings: Arc<Settings>,
    sink: HttpSink,
    budget: MemoryBudget,
    stop: Stop,
}

/// The routes, sharing one HTTP client to Coralogix. Raising `stop` ends every delivery in
/// flight and refuses new invocations.
pub fn router(settings: Settings, sink: HttpSink, stop: Stop) -> Router {
    let app = Arc::new(App {
        budget: MemoryBudget::new(settings.memory_budget_bytes),
        settings: Arc::new(settings),
        sink,
        stop,
    });
    Router::new()
        .route("/", get(ready).head(ready))
        .route(&format!("/{FUNCTION_NAME}"), post(invoke))
        .fallback(not_found)
        // The body limit is MAX_BODY_BYTES, enforced while reading; axum's 2 MB default must
        // not apply.
        .layer(DefaultBodyLimit::disable())
        .with_state(app)
}

/// Serves until `shutdown` resolves, then finishes the invocations in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn ready() -> &'static str {
    "ok"
}

async fn not_found(uri: Uri) -> Response {
    response::failure(
        StatusCode::NOT_FOUND,
        &format!("no function at {uri}; this handler serves POST /{FUNCTION_NAME}"),
        Vec::new(),
    )
}

async fn invoke(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let invocation_id = headers
        .get(INVOCATION_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let span = info_span!("invocation", id = %invocation_id);
    handle(app, headers, body, started, invocation_id)
        .instrument(span)
        .await
        .unwrap_or_else(|rejection| rejection)
}

async fn handle(
    app: Arc<App>,
    headers: HeaderMap,
    body: Body,
    started: Instant,
    invocation_id: String,
) -> Result<Response, Response> {
    let settings = Arc::clone(&app.settings);
    if app.stop.is_raised() {
        return Err(stopping());
    }
    let deadline = tokio::time::Instant::from_std(started + settings.delivery_timeout);
    let mut reservation = app.budget.open();
    let request = read_body(body, &headers, settings.max_body_bytes, &mut reservation).await?;
    let shape = settings.trigger;
    let invocation = tokio::task::spawn_blocking(move || host::decode(request, shape))
        .await
        .map_err(|e| internal(&format!("decoding the batch failed unexpectedly: {e}")))?
        .map_err(|e| {
            let msg = format!("not an Event Hub invocation: {e}");
            warn!("{msg}");
            response::failure(StatusCode::BAD_REQUEST, &msg, Vec::new())
        })?;
    reservation
        .grow(working_memory(&settings, &invocation))
        .await;
    let source = Arc::new(HostEvents {
        invocation,
        invocation_id,
    });
    let now = Timestamp::now();
    let plan = DeliveryPlan {
        deadline,
        ..plan_of(&settings, &app.stop)
    };
    let (report, delivery) = pipeline::ship(
        Arc::clone(&settings),
        Arc::clone(&source),
        now,
        &app.sink,
        plan,
    )
    .await
    .map_err(|e| internal(&e.to_string()))?;
    let finished = Finished {
        report,
        delivery,
        started,
    };
    let (response, health) = answer(&settings, source, now, finished, reservation).await;
    if let Some(subsystem) = &settings.self_monitoring {
        // After the answer is decided, on a task of its own: it cannot change the outcome.
        let entry = health.entry(&settings.application, subsystem, Timestamp::now());
        let plan = DeliveryPlan {
            deadline: tokio::time::Instant::now() + monitoring::MONITORING_TIMEOUT,
            ..plan_of(&settings, &app.stop)
        };
        tokio::spawn(
            async move { monitoring::ship(&app.sink, entry, plan).await }.in_current_span(),
        );
    }
    Ok(response)
}

/// How an invocation delivers (its deadline aside).
fn plan_of(settings: &Settings, stop: &Stop) -> DeliveryPlan {
    DeliveryPlan {
        deadline: tokio::time::Instant::now() + settings.delivery_timeout,
        request_timeout: settings.request_timeout,
        concurrency: settings.max_concurrent_requests,
        policy: RetryPolicy {
            min_delay: settings.retry_min_delay,
            max_delay: settings.retry_max_delay,
        },
        stop: stop.clone(),
    }
}

/// Memory one invocation needs besides its request: the event being read and its records,
/// and the requests being built, queued and sent (compressed too with gzip).
fn working_memory(settings: &Settings, invocation: &Invocation) -> u64 {
    let requests =
        (2 * settings.max_concurrent_requests as u64 + 2) * settings.max_request_bytes as u64;
    let requests = match settings.compression {
        Compression::Gzip => requests * 5 / 4,
        Compression::None => requests,
    };
    requests + 3 * invocation.largest_event() as u64 + (4 << 20)
}

/// What an invocation found and delivered: everything the answer depends on.
struct Finished {
    report: BuildReport,
    delivery: Delivery,
    started: Instant,
}

/// 200 when every entry was accepted (or parked in a dead-letter blob), 502 or 503 otherwise.
/// The summary line goes to stdout either way, and into `Logs` too (which the host records
/// only for a successful answer; it ignores the body of a failed one).
async fn answer(
    settings: &Arc<Settings>,
    source: Arc<HostEvents>,
    now: Timestamp,
    o: Finished,
    mut reservation: Reservation,
) -> (Response, Health) {
    let not_delivered = o.delivery.failed_entries();
    let stopping = o
        .delivery
        .failed
        .iter()
        .any(|f| f.reason == Reason::Stopping);
    // A fatal answer (wrong key, region or endpoint) fails every batch until the settings are
    // fixed: the hub keeps the events, so the invocation fails instead of parking the whole
    // stream in blobs. A stopping handler answers failure too: the batch comes again.
    let park =
        not_delivered > 0 && settings.dead_letter && o.delivery.fatal().is_none() && !stopping;
    let summary = Summary::new(&o.report, &o.delivery, park, o.started.elapsed());
    if !summary.balanced() {
        error!("accounting does not balance (a bug; please report it): {summary}");
    }
    let inv = &source.invocation;
    let partition_label = inv
        .partition
        .partition_id
        .clone()
        .unwrap_or_else(|| "?".into());
    let retry = inv
        .retry
        .filter(|r| r.retry_count > 0)
        .map(|r| format!("{}/{}", r.retry_count, r.max_retry_count));
    let retry_label = retry
        .as_ref()
        .map(|r| format!(" retry={r}"))
        .unwrap_or_default();
    let line = format!("partition={partition_label}{retry_label} {summary}");
    let oldest = inv.events.iter().filter_map(|e| e.meta.enqueued_time).min();
    let health = |outcome| Health {
        summary,
        outcome,
        invocation_id: source.invocation_id.clone(),
        partition: partition_label.clone(),
        retry: retry.clone(),
        lag_ms: oldest.map(|t| now.millis() - Timestamp::from_datetime_clamped(t).millis()),
    };
    if let Some(sample) = &o.report.untimed_sample {
        warn!(
            "{} records had no time of their own that could be read, and carry the event's enqueued time instead; for example {sample}",
            o.report.counts.untimed
        );
    }

    if not_delivered == 0 {
        summary.log(Severity::Info, &partition_label, retry.as_deref());
        return (
            response::success(vec![line], Map::new()),
            health(Severity::Info),
        );
    }
    let reason = o
        .delivery
        .reason()
        .map(ToString::to_string)
        .unwrap_or_else(|| "unknown".into());
    if park {
        // The blob is about a fifth of the entries' size, and base64 adds a third.
        reservation.grow(inv.request_len() as u64 / 2).await;
        let mut failed: Vec<_> = o
            .delivery
            .failed
            .iter()
            .map(|f| f.entries.clone())
            .collect();
        failed.sort_by_key(|r| r.start);
        let (settings2, source2, reason2) =
            (Arc::clone(settings), Arc::clone(&source), reason.clone());
        let blob = tokio::task::spawn_blocking(move || {
            let inv = &source2.invocation;
            let events: Vec<_> = inv.events.iter().map(|e| e.meta.clone()).collect();
            BlobHeader {
                reason: &reason2,
                invocation_id: Some(&source2.invocation_id),
                partition: &inv.partition,
                events: &events,
                entry_count: not_delivered,
            }
            .encode_for_output(|out| {
                pipeline::rebuild(&settings2, source2.as_ref(), now, &failed, |e| out(e))
            })
        })
        .await;
        let blob = match blob {
            Ok(blob) => blob,
            Err(e) => {
                let msg = format!("writing the dead-letter blob failed: {e}");
                return (internal(&msg), health(Severity::Error));
            }
        };
        let health = health(Severity::Warn);
        drop(source);
        reservation.shrink_to(2 * blob.len() as u64);
        let note = format!(
            "dead-lettered {not_delivered} entries to the '{}' blob output: {reason}",
            deadletter::OUTPUT_BINDING
        );
        summary.log(Severity::Warn, &partition_label, retry.as_deref());
        warn!("{note}");
        let mut outputs = Map::new();
        outputs.insert(deadletter::OUTPUT_BINDING.into(), Value::String(blob));
        return (response::success(vec![line, note], outputs), health);
    }
    let last_try = inv
        .retry
        .is_some_and(|r| r.max_retry_count >= 0 && r.retry_count >= r.max_retry_count);
    let msg = format!(
        "Coralogix did not accept {not_delivered} of {} entries; the invocation fails so the host delivers the batch again: {reason}{}",
        summary.counts.entries,
        if last_try && !stopping {
            " (this was the retry policy's last attempt: the host will now checkpoint past this batch; set DEAD_LETTER_ENABLED=true to park such batches instead)"
        } else {
            ""
        }
    );
    summary.log(Severity::Error, &partition_label, retry.as_deref());
    error!("{msg}");
    let status = if stopping {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::BAD_GATEWAY
    };
    (
        response::failure(status, &msg, vec![line, msg.clone()]),
        health(Severity::Error),
    )
}

fn internal(msg: &str) -> Response {
    error!("{msg}");
    response::failure(StatusCode::INTERNAL_SERVER_ERROR, msg, Vec::new())
}

fn stopping() -> Response {
    let msg = "the handler is stopping; the host will deliver this batch again";
    warn!("{msg}");
    response::failure(StatusCode::SERVICE_UNAVAILABLE, msg, Vec::new())
}

/// Reads the whole body into one buffer, reserving its memory as it arrives (at once when the
/// Content-Length is given). Above `limit` bytes, or if the body cannot be read, the answer to
/// send instead.
async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    reservation: &mut Reservation,
) -> Result<Vec<u8>, Response> {
    let too_large = |size: String| {
        let msg = format!(
            "the request body ({size}) is larger than MAX_BODY_BYTES ({limit} bytes); raise MAX_BODY_BYTES or lower maxEventBatchSize in host.json"
        );
        error!("{msg}");
        response::failure(StatusCode::PAYLOAD_TOO_LARGE, &msg, vec![msg.clone()])
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(len) = declared.filter(|&len| len > limit) {
        return Err(too_large(format!("{len} bytes")));
    }
    if let Some(len) = declared {
        reservation.grow_to(len as u64).await;
    }
    let mut buf = Vec::with_capacity(declared.unwrap_or(64 * 1024));
    crate::memory::advise_huge_pages(&mut buf);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            let msg = format!("could not read the request body: {e}");
            warn!("{msg}");
            response::failure(StatusCode::BAD_REQUEST, &msg, Vec::new())
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large(format!("over {limit} bytes")));
        }
        let needed = (buf.len() + chunk.len()) as u64;
        if needed > reservation.held() {
            reservation
                .grow_to(
                    needed
                        .max(reservation.held() + READ_RESERVE_STEP)
                        .min(limit as u64),
                )
                .await;
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}
