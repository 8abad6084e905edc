//! Any event body: splitting and entry building never panic, every record becomes valid
//! entries within the configured size, and a record sent in parts puts back together.
#![no_main]

use entra_coralogix::entra::Timestamp;
use entra_coralogix::pipeline::{self, Bodies};
use entra_coralogix::records;
use entra_coralogix::settings::{Mode, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = records::split(data);
    let n = split.records.len();

    // A small entry cap, so records in parts are exercised too.
    let settings = Settings::load(Mode::DryRun, |k| {
        (k == "MAX_ENTRY_BYTES").then(|| "16384".to_owned())
    })
    .expect("valid settings");
    let source = Bodies(vec![(data.to_vec(), "fuzz".into())]);
    let (report, requests) = pipeline::build_all(&settings, &source, Timestamp::now());
    let c = report.counts;
    assert_eq!(c.records, n);
    let parts: usize = report.multipart.iter().map(|r| (r.end - r.start) as usize).sum();
    assert_eq!(c.entries, n - report.multipart.len() + parts);
    let mut whole = String::new();
    for r in &requests {
        for entry in r.entries() {
            assert!(entry.len() <= settings.max_entry_bytes);
            let v: serde_json::Value = serde_json::from_slice(entry).expect("entries are JSON");
            let text = &v["text"];
            assert!(text.is_string() || text.is_object());
            if let Some(data) = text.get("data").and_then(|d| d.as_str()) {
                whole.push_str(data);
                if text["part"] == text["parts"] {
                    assert_eq!(whole.len() as u64, text["originalBytes"].as_u64().unwrap());
                    whole.clear();
                }
            }
        }
    }
});
