//! Conformance with public Entra record samples, when the team's read-only copy is present at
//! `../shared/samples/entra` (it is not part of this repository: most samples are
//! Elastic-licensed). Every record of every sample goes through the real server in a
//! host-shaped request and must come out as one entry with the right meaning.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

fn samples_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/entra");
    dir.is_dir().then_some(dir)
}

/// The records of one sample file: an envelope, one (possibly pretty-printed) record, or NDJSON.
fn records_of(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    if let Ok(v) = serde_json::from_str::<Value>(&text) {
        return match v.get("records") {
            Some(Value::Array(records)) => records.clone(),
            _ => vec![v],
        };
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

fn str_field<'a>(record: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| record.get(*k).and_then(Value::as_str))
}

#[tokio::test]
async fn public_samples_map_correctly() {
    let Some(dir) = samples_dir() else {
        // Written to the terminal itself, not through the test's captured output, so that the
        // skip shows in `cargo test`'s output.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "public_samples_map_correctly: SKIPPED, ../shared/samples/entra is not present"
        );
        return;
    };
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("log" | "json")))
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "expected the sample corpus, found {}",
        files.len()
    );

    let mut total = 0;
    for (n, path) in files.iter().enumerate() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let records = records_of(path);
        ingress.clear();
        // Sent as the host sends a batch: the original bytes of the file as one event.
        let body = std::fs::read(path).unwrap();
        let as_event = if name.ends_with(".json") || records.len() == 1 {
            body
        } else {
            // NDJSON files are several records; a producer would wrap them in an envelope.
            envelope(&records)
        };
        let r = handler
            .invoke(host_request(
                Shape::ManyBinary,
                &[as_event],
                1000 + n as i64,
            ))
            .await;
        assert_eq!(r.status, 200, "{name}: {:?}", r.body);
        r.assert_balanced();
        assert_eq!(r.count("records"), records.len(), "{name}");
        assert_eq!(r.count("unparsed"), 0, "{name}");
        let entries = ingress.entries();
        assert_eq!(entries.len(), records.len(), "{name}");

        for record in &records {
            let e = entries
                .iter()
                .find(|e| e["text"] == *record)
                .unwrap_or_else(|| panic!("{name}: a record is missing or changed"));
            let category = str_field(record, &["category", "Category"]);
            assert_eq!(e["category"].as_str(), category, "{name}");
            assert_eq!(
                e["subsystemName"].as_str(),
                Some(category.unwrap_or("Uncategorized")),
                "{name}"
            );
            // Every sample carries an event time of its own; none may fall back to the
            // enqueued time (sequence number 1000+n, 2026-11-02T10:…).
            let ts = e["timestamp"].as_i64().unwrap();
            assert!(
                (1_400_000_000_000..1_790_000_000_000).contains(&ts),
                "{name}: timestamp {ts} is not the record's own time"
            );
            let severity = e["severity"].as_u64().unwrap();
            assert!((1..=6).contains(&severity), "{name}");
            let failed_signin = category.is_some_and(|c| c.ends_with("SignInLogs"))
                && str_field(record, &["resultType"]).is_some_and(|r| r != "0");
            if failed_signin {
                assert!(
                    severity >= 4,
                    "{name}: a failed sign-in must be at least Warning"
                );
            }
            let tenant = str_field(record, &["tenantId", "TenantId"]).map(str::to_ascii_lowercase);
            let from_resource = str_field(record, &["resourceId"]).and_then(|r| {
                r.to_ascii_lowercase()
                    .split("/tenants/")
                    .nth(1)
                    .map(|t| t.split('/').next().unwrap().to_owned())
            });
            if let Some(t) = tenant.or(from_resource) {
                assert_eq!(e["computerName"].as_str(), Some(t.as_str()), "{name}");
            }
        }
        total += records.len();
    }
    eprintln!("{total} sample records from {} files conform", files.len());
}
