//! Micro-benchmarks of each stage of the handler on one realistic invocation (entra-synth,
//! seed 1: 100 events of about 200 KB, as the Functions host encodes them).
//!
//! Throughput is in MB/s (decimal) of decoded event JSON for every stage but gzip (MB/s of
//! request body; `entra-loadgen --gzip-levels` compares implementations and levels), so the stages' costs add up. Run: `cargo bench --bench stages`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entra_coralogix::coralogix::Request;
use entra_coralogix::entra::{self, Timestamp};
use entra_coralogix::host;
use entra_coralogix::pipeline::{self, BuildReport, HostEvents};
use entra_coralogix::records::{self, Record};
use entra_coralogix::settings::{Mode, Settings};
use entra_synth::{DEFAULT_EVENT_BYTES, DEFAULT_EVENTS, Generator};

/// What the server's build stage does after decoding: the pipeline's own builder over the
/// events, into requests.
fn build(settings: &Settings, source: &HostEvents) -> (BuildReport, Vec<Request>) {
    pipeline::build_all(settings, source, Timestamp::now())
}

fn stages(c: &mut Criterion) {
    let generated = Generator::new(1, 0).invocation(DEFAULT_EVENTS, DEFAULT_EVENT_BYTES);
    let request = generated.request;
    let event_bytes = generated.stats.event_bytes as u64;
    let settings = Settings::load(Mode::DryRun, |_| None).expect("default settings");
    let decode = |request: &[u8]| host::decode(request.to_vec(), None).expect("a valid invocation");
    let source = HostEvents {
        invocation: decode(&request),
        invocation_id: "bench".into(),
    };
    let invocation = &source.invocation;
    let bodies: Vec<Vec<u8>> = invocation
        .events
        .iter()
        .map(|e| invocation.body(e).into_owned())
        .collect();
    let (report, requests) = build(&settings, &source);
    assert_eq!(report.counts.records, generated.stats.records());
    assert_eq!(report.counts.entries, generated.stats.records());
    // Every record's text, for describe alone.
    let texts: Vec<String> = bodies
        .iter()
        .flat_map(|body| {
            records::split(body)
                .records
                .iter()
                .map(|r| match r {
                    Record::Json(text) => text.to_string(),
                    Record::Text(_) => unreachable!("generated records are JSON"),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    eprintln!(
        "data: {} events, {} records, {:.1} MB event JSON, {:.1} MB request body, {} requests built",
        invocation.events.len(),
        texts.len(),
        event_bytes as f64 / 1e6,
        request.len() as f64 / 1e6,
        requests.len()
    );

    let mut g = c.benchmark_group("stages");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::BytesDecimal(event_bytes));
    g.bench_function("floor_serde_json_validate", |b| {
        b.iter(|| {
            for body in &bodies {
                black_box(serde_json::from_slice::<serde::de::IgnoredAny>(body).expect("JSON"));
            }
        })
    });
    g.bench_function("host_decode_and_base64", |b| {
        b.iter(|| {
            let inv = decode(black_box(&request));
            for e in &inv.events {
                black_box(inv.body(e).len());
            }
        })
    });
    g.bench_function("records_split", |b| {
        b.iter(|| {
            for body in &bodies {
                black_box(records::split(black_box(body)).records.len());
            }
        })
    });
    g.bench_function("entra_describe", |b| {
        b.iter(|| {
            for text in &texts {
                black_box(entra::describe(black_box(text)));
            }
        })
    });
    g.bench_function("pipeline_builder", |b| {
        b.iter(|| black_box(build(&settings, &source)))
    });
    // The same with every operator control set (README, "Operator controls"): what using
    // them costs. Without them the builder skips them entirely (`pipeline_builder`).
    let controlled = Settings::load(Mode::DryRun, |name| {
        let value = match name {
            "CORALOGIX_SUBSYSTEM_SELECTOR" => "{{ $.properties.appDisplayName || $.category }}",
            "BLOCKING_PATTERN" => r#""appId":"00000000-0000-0000-0000-00000000dead""#,
            "FILTER_RULES" => {
                "keep userPrincipalName=breakglass@contoso.com; \
                 drop category=NonInteractiveUserSignInLogs result=success appId=a,b; \
                 sample 50% category=ServicePrincipalSignInLogs"
            }
            "INCLUDE_METADATA" => "true",
            _ => return None,
        };
        Some(value.to_owned())
    })
    .expect("settings with every control");
    g.bench_function("pipeline_builder_all_controls", |b| {
        b.iter(|| black_box(build(&controlled, &source)))
    });
    // Privacy masking (MASK_*): the same builder with typical masking settings, replacing and
    // pseudonymising.
    let masked = |extra: &'static [(&'static str, &'static str)]| {
        Settings::load(Mode::DryRun, |name| {
            [
                (
                    "MASK_FIELDS",
                    "identity,userDisplayName,initiatedBy.user.displayName,targetResources[].displayName",
                ),
                ("MASK_VALUES", "ip,email"),
            ]
            .iter()
            .chain(extra)
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
        })
        .expect("masking settings")
    };
    let replace = masked(&[]);
    let pseudonymize = masked(&[(
        "PSEUDONYMIZE_KEY",
        "bench-key-0123456789abcdefghijklmnopqrstuv",
    )]);
    let (masked_report, _) = build(&replace, &source);
    eprintln!("masking: {} values masked", masked_report.counts.masked);
    g.bench_function("pipeline_builder_mask_replace", |b| {
        b.iter(|| black_box(build(&replace, &source)))
    });
    g.bench_function("pipeline_builder_mask_pseudonymize", |b| {
        b.iter(|| black_box(build(&pseudonymize, &source)))
    });
    g.bench_function("decode_and_build", |b| {
        b.iter(|| {
            let source = HostEvents {
                invocation: decode(black_box(&request)),
                invocation_id: "bench".into(),
            };
            black_box(build(&settings, &source))
        })
    });
    g.finish();

    // Request encoding: the Builder already batched; what is left is gzip (COMPRESSION=gzip)
    // of each ~2 MB request, with the handler's own function (libdeflate, level 1). A request
    // made afresh from the entries holds no compressed copy, so each call compresses.
    let fresh = Request::from_entries(0, requests[0].entries());
    let body_len = fresh.body().len();
    let mut g = c.benchmark_group("request_encoding");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::BytesDecimal(body_len as u64));
    let compressed = fresh.gzip_body().len();
    eprintln!(
        "gzip: {body_len} byte request -> {compressed} bytes ({:.3})",
        compressed as f64 / body_len as f64
    );
    g.bench_function("gzip_2MB", |b| b.iter(|| black_box(fresh.gzip_body())));
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
