//! Any request body, under any declared trigger shape: decoding never panics, and a decoded
//! batch is fully accounted for.
#![no_main]

use entra_coralogix::entra::Timestamp;
use entra_coralogix::host::{self, DataType, TriggerShape};
use entra_coralogix::pipeline::{self, HostEvents};
use entra_coralogix::settings::{Mode, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, request)) = data.split_first() else {
        return;
    };
    let shape = match choice % 7 {
        0 => None,
        n => Some(TriggerShape {
            many: n % 2 == 0,
            data_type: [DataType::Binary, DataType::String, DataType::Unset][(n as usize - 1) / 2],
        }),
    };
    let Ok(invocation) = host::decode(request.to_vec(), shape) else {
        return;
    };
    let events = invocation.events.len();
    let settings = Settings::load(Mode::DryRun, |_| None).expect("defaults are valid");
    let source = HostEvents {
        invocation,
        invocation_id: "fuzz".into(),
    };
    let (report, requests) = pipeline::build_all(&settings, &source, Timestamp::now());
    let c = report.counts;
    assert_eq!(c.events, events);
    assert_eq!(c.entries + c.dropped, c.records + extra_parts(&report));
    let entries: usize = requests.iter().map(|r| r.len()).sum();
    assert_eq!(entries, c.entries);
    for r in &requests {
        assert!(r.body().len() <= settings.max_request_bytes);
        serde_json::from_slice::<serde_json::Value>(r.body()).expect("requests are JSON");
    }
});

fn extra_parts(report: &pipeline::BuildReport) -> usize {
    report
        .multipart
        .iter()
        .map(|r| (r.end - r.start) as usize - 1)
        .sum()
}
