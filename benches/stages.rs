//! Micro-benchmarks of each stage of the handler on one realistic invocation (entra-synth,
//! seed 1: 100 events of about 200 KB, as the Functions host encodes them).
//!
//! Throughput is in MB/s (decimal) of decoded event JSON for every stage but gzip (MB/s of
//! request body), so the stages' costs add up. Run: `cargo bench --bench stages`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entra_coralogix::entra::{self, Timestamp};
use entra_coralogix::host::{self, Invocation};
use entra_coralogix::pipeline::{Builder, Built};
use entra_coralogix::records::{self, Record};
use entra_coralogix::settings::{Mode, Settings};
use entra_synth::{DEFAULT_EVENT_BYTES, DEFAULT_EVENTS, Generator};
use flate2::Compression;
use flate2::write::GzEncoder;

/// What the server's blocking task does after decoding: one Builder over the events.
fn build(settings: &Settings, invocation: &Invocation) -> Built {
    let partition = invocation.partition.partition_id.as_deref().unwrap_or("?");
    let mut builder = Builder::new(settings);
    let mut key = String::new();
    for event in &invocation.events {
        key.clear();
        let seq = event.meta.sequence_number.unwrap_or(0);
        write!(key, "eh:{partition}:{seq}").expect("writing to a String");
        let enqueued = event
            .meta
            .enqueued_time
            .map(Timestamp::from_datetime_clamped);
        builder.add_event(&event.body, enqueued, &key);
    }
    builder.finish()
}

fn stages(c: &mut Criterion) {
    let generated = Generator::new(1, 0).invocation(DEFAULT_EVENTS, DEFAULT_EVENT_BYTES);
    let request = generated.request;
    let event_bytes = generated.stats.event_bytes as u64;
    let settings = Settings::load(Mode::DryRun, |_| None).expect("default settings");
    let invocation = host::decode(&request).expect("a valid invocation");
    let built = build(&settings, &invocation);
    assert_eq!(built.counts.records, generated.stats.records());
    assert_eq!(built.counts.entries, generated.stats.records());
    // Every record's text, for describe alone.
    let texts: Vec<String> = invocation
        .events
        .iter()
        .flat_map(|e| {
            let mut scratch = None;
            records::split(&e.body, &mut scratch)
                .records
                .iter()
                .map(|r| match r {
                    Record::Json(raw) => raw.get().to_owned(),
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
        built.requests.len()
    );

    let mut g = c.benchmark_group("stages");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::BytesDecimal(event_bytes));
    g.bench_function("floor_serde_json_validate", |b| {
        b.iter(|| {
            for e in &invocation.events {
                black_box(serde_json::from_slice::<serde::de::IgnoredAny>(&e.body).expect("JSON"));
            }
        })
    });
    g.bench_function("host_decode", |b| {
        b.iter(|| black_box(host::decode(black_box(&request)).expect("decodes")))
    });
    g.bench_function("records_split", |b| {
        b.iter(|| {
            for e in &invocation.events {
                let mut scratch = None;
                black_box(
                    records::split(black_box(&e.body), &mut scratch)
                        .records
                        .len(),
                );
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
        b.iter(|| black_box(build(&settings, &invocation)))
    });
    g.bench_function("decode_and_build", |b| {
        b.iter(|| {
            let invocation = host::decode(black_box(&request)).expect("decodes");
            black_box(build(&settings, &invocation))
        })
    });
    g.finish();

    // Request encoding: the Builder already batched; what is left is gzip (COMPRESSION=gzip)
    // of each ~2 MB request, at flate2's fast level as the client does.
    let body = built.requests[0].body().clone();
    let mut g = c.benchmark_group("request_encoding");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::BytesDecimal(body.len() as u64));
    let compressed = gzip(&body).len();
    eprintln!(
        "gzip: {} byte request -> {} bytes ({:.3})",
        body.len(),
        compressed,
        compressed as f64 / body.len() as f64
    );
    g.bench_function("gzip_fast_2MB", |b| {
        b.iter(|| black_box(gzip(black_box(&body))))
    });
    g.finish();
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    encoder.write_all(body).expect("writing to a Vec");
    encoder.finish().expect("writing to a Vec")
}

criterion_group!(benches, stages);
criterion_main!(benches);
