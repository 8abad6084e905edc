//! Any request body: decoding never panics, and a decoded batch is fully accounted for.
#![no_main]

use entra_coralogix::host;
use entra_coralogix::pipeline::Builder;
use entra_coralogix::settings::{Mode, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut invocation) = host::decode(data) else {
        return;
    };
    let settings = Settings::load(Mode::DryRun, |_| None).expect("defaults are valid");
    let mut builder = Builder::new(&settings);
    builder.add_invocation(&mut invocation, "fuzz");
    let built = builder.finish();
    let c = built.counts;
    assert_eq!(c.events, invocation.events.len());
    assert_eq!(c.entries + c.dropped, c.records);
    let entries: usize = built.requests.iter().map(|r| r.len()).sum();
    assert_eq!(entries, c.entries);
    for r in &built.requests {
        assert!(r.body().len() <= settings.max_request_bytes);
        serde_json::from_slice::<serde_json::Value>(r.body()).expect("requests are JSON");
    }
});
