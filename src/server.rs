//! The HTTP server the Functions host talks to: `GET /` for readiness and
//! `POST /EventHubTrigger` for each batch.
//!
//! One invocation: read the body (bounded), decode it and build the entries on a blocking
//! thread (CPU work must not stall other partitions' invocations or the host's pings), deliver
//! within the budget, then answer: 200 once every record is accepted or parked, non-2xx
//! otherwise so that the host's retry policy delivers the batch again.

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
use tokio::sync::Semaphore;
use tracing::{Instrument, error, info, info_span, warn};

use crate::coralogix::{self, Delivery, HttpSink, Plan, RetryPolicy};
use crate::deadletter::{self, Parcel};
use crate::host::{self, EventMeta, Partition, RetryContext, response};
use crate::pipeline::{Builder, Built, Counts, Summary};
use crate::settings::Settings;

/// The function's folder name, which is also its URL path.
pub const FUNCTION_NAME: &str = "EventHubTrigger";
/// Header carrying the host's invocation id.
const INVOCATION_ID: &str = "x-azure-functions-invocationid";

struct App {
    settings: Settings,
    sink: HttpSink,
    /// Decoding and building are CPU-bound: more of them at once than there are cores only
    /// holds more batches in memory without finishing sooner.
    cpu: Semaphore,
}

/// The routes, sharing one HTTP client to Coralogix.
pub fn router(settings: Settings, sink: HttpSink) -> Router {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let app = Arc::new(App {
        settings,
        sink,
        cpu: Semaphore::new(cores),
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
}

/// What the blocking stage hands to delivery.
struct Prepared {
    built: Built,
    partition: Partition,
    events: Vec<EventMeta>,
    retry: Option<RetryContext>,
}

async fn handle(
    app: Arc<App>,
    headers: HeaderMap,
    body: Body,
    started: Instant,
    invocation_id: String,
) -> Response {
    let settings = &app.settings;
    let deadline = tokio::time::Instant::from_std(started + settings.delivery_timeout);
    let bytes = match read_body(body, &headers, settings.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(rejection) => return rejection,
    };
    let prepared = match prepare_off_runtime(&app, bytes, &invocation_id).await {
        Ok(prepared) => prepared,
        Err(rejection) => return rejection,
    };
    let plan = Plan {
        deadline,
        request_timeout: settings.request_timeout,
        concurrency: settings.max_concurrent_requests,
        policy: RetryPolicy {
            min_delay: settings.retry_min_delay,
            max_delay: settings.retry_max_delay,
        },
    };
    let Prepared {
        built,
        partition,
        events,
        retry,
    } = prepared;
    let delivery = coralogix::deliver(&app.sink, built.requests, plan).await;
    answer(
        settings,
        Outcome {
            invocation_id: &invocation_id,
            partition: &partition,
            events: &events,
            retry,
            counts: built.counts,
            delivery: &delivery,
            started,
        },
    )
}

/// Decodes and builds on a blocking thread, at most one invocation per core at a time.
async fn prepare_off_runtime(
    app: &Arc<App>,
    bytes: Vec<u8>,
    invocation_id: &str,
) -> Result<Prepared, Response> {
    let permit = app
        .cpu
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let (app2, id) = (Arc::clone(app), invocation_id.to_owned());
    let prepared = tokio::task::spawn_blocking(move || prepare(&app2.settings, bytes, &id)).await;
    drop(permit);
    match prepared {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => {
            let msg = format!("not an Event Hub invocation: {e}");
            warn!("{msg}");
            Err(response::failure(StatusCode::BAD_REQUEST, &msg, Vec::new()))
        }
        Err(e) => {
            let msg = format!("internal error while decoding the batch: {e}");
            error!("{msg}");
            Err(response::failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                &msg,
                Vec::new(),
            ))
        }
    }
}

/// Everything the answer to the host depends on.
struct Outcome<'a> {
    invocation_id: &'a str,
    partition: &'a Partition,
    events: &'a [EventMeta],
    retry: Option<RetryContext>,
    counts: Counts,
    delivery: &'a Delivery,
    started: Instant,
}

/// 200 when every entry was accepted (or parked in a dead-letter blob), 502 otherwise; the
/// summary line goes to stdout and into `Logs` either way.
fn answer(settings: &Settings, o: Outcome) -> Response {
    let not_delivered = o.delivery.failed_entries();
    // A fatal answer (wrong key, region or endpoint) fails every batch until the settings are
    // fixed: the hub keeps the events, so the invocation fails instead of parking the whole
    // stream in blobs.
    let park = not_delivered > 0 && settings.dead_letter && o.delivery.fatal.is_none();
    let summary = Summary::new(o.counts, o.delivery, park, o.started.elapsed());
    if !summary.balanced() {
        error!("accounting does not balance (a bug; please report it): {summary}");
    }
    let partition_label = o.partition.partition_id.as_deref().unwrap_or("?");
    let retry_label = o
        .retry
        .filter(|r| r.retry_count > 0)
        .map(|r| format!(" retry={}/{}", r.retry_count, r.max_retry_count))
        .unwrap_or_default();
    let line = format!("partition={partition_label}{retry_label} {summary}");

    if not_delivered == 0 {
        info!("{line}");
        return response::success(vec![line], Map::new());
    }
    let reason = o.delivery.reason().unwrap_or("unknown");
    if park {
        let blob = Parcel {
            reason,
            invocation_id: Some(o.invocation_id),
            partition: o.partition,
            events: o.events,
            failed: &o.delivery.failed,
        }
        .encode_for_output();
        let note = format!(
            "dead-lettered {not_delivered} entries to the '{}' blob output: {reason}",
            deadletter::OUTPUT_BINDING
        );
        warn!("{line}");
        warn!("{note}");
        let mut outputs = Map::new();
        outputs.insert(deadletter::OUTPUT_BINDING.into(), Value::String(blob));
        return response::success(vec![line, note], outputs);
    }
    let last_try = o
        .retry
        .is_some_and(|r| r.max_retry_count >= 0 && r.retry_count >= r.max_retry_count);
    let msg = format!(
        "Coralogix did not accept {not_delivered} of {} entries; the invocation fails so the host delivers the batch again: {reason}{}",
        summary.counts.entries,
        if last_try {
            " (this was the retry policy's last attempt: the host will now checkpoint past this batch; set DEAD_LETTER_ENABLED=true to park such batches instead)"
        } else {
            ""
        }
    );
    error!("{line}");
    error!("{msg}");
    response::failure(StatusCode::BAD_GATEWAY, &msg, vec![line, msg.clone()])
}

/// Decodes the request and builds the entries (CPU-bound; runs on a blocking thread).
fn prepare(
    settings: &Settings,
    body: Vec<u8>,
    invocation_id: &str,
) -> Result<Prepared, host::DecodeError> {
    let mut invocation = host::decode(&body)?;
    drop(body); // the events own their bytes; free the request before building entries
    let mut builder = Builder::new(settings);
    builder.add_invocation(&mut invocation, invocation_id);
    let events = invocation.events.iter().map(|e| e.meta.clone()).collect();
    Ok(Prepared {
        built: builder.finish(),
        partition: invocation.partition,
        events,
        retry: invocation.retry,
    })
}

/// Reads the whole body into one buffer (sized from Content-Length when given). Above
/// `limit` bytes, or if the body cannot be read, the answer to send instead.
async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Vec<u8>, Response> {
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
    let mut buf = Vec::with_capacity(declared.unwrap_or(64 * 1024));
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
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}
