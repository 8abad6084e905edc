//! Any event body: splitting and entry building never panic, every record becomes one valid
//! entry, and entries stay within the configured size.
#![no_main]

use entra_coralogix::pipeline::Builder;
use entra_coralogix::records;
use entra_coralogix::settings::{Mode, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut scratch = None;
    let split = records::split(data, &mut scratch);
    let n = split.records.len();

    // A small entry cap, so truncation is exercised too.
    let settings = Settings::load(Mode::DryRun, |k| {
        (k == "MAX_ENTRY_BYTES").then(|| "16384".to_owned())
    })
    .expect("valid settings");
    let mut builder = Builder::new(&settings);
    builder.add_event(data, None, "fuzz");
    let built = builder.finish();
    assert_eq!(built.counts.records, n);
    assert_eq!(built.counts.entries, n);
    for r in &built.requests {
        for entry in r.entries() {
            assert!(entry.len() <= settings.max_entry_bytes);
            let v: serde_json::Value = serde_json::from_slice(entry).expect("entries are JSON");
            assert!(v["text"].is_string() || v["text"].is_object());
        }
    }
});
