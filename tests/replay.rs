//! `replay` at scale, through the real binary: folders in the layout of a storage account's
//! diagnostic-log export, inputs cut into several chunks, unreadable inputs among good ones,
//! and progress lines.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::{Value, json};

const TENANT: &str = "8c1b6a7e-3f2d-4c59-9a61-2d4e5f6a7b8c";

/// `insights-logs-<container>/resourceId=/tenants/<T>/providers/microsoft.aadiam/y=2026/m=11/
/// d=02/h=<hour>/m=00/PT1H.json` under `root`, as `az storage blob download-batch` lays it.
fn export_blob(root: &Path, container: &str, hour: u32) -> PathBuf {
    let path = root.join(format!(
        "insights-logs-{container}/resourceId=/tenants/{TENANT}/providers/microsoft.aadiam/y=2026/m=11/d=02/h={hour:02}/m=00/PT1H.json"
    ));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    path
}

/// JSON Lines: one record per line, as diagnostic settings write `PT1H.json`.
fn json_lines(records: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        serde_json::to_writer(&mut out, r).unwrap();
        out.push(b'\n');
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn records(category: &str, ids: std::ops::Range<usize>) -> Vec<Value> {
    ids.map(|i| signin(category, i, "0")).collect()
}

fn env(ingress: &Ingress) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = FAST
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.push(("CORALOGIX_PRIVATE_KEY".into(), KEY.into()));
    env.push(("CORALOGIX_ENDPOINT".into(), ingress.url()));
    env
}

fn args(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// A `key=value` number of the summary line.
fn count(stderr: &str, key: &str) -> usize {
    let line = stderr
        .lines()
        .rfind(|l| l.starts_with("events="))
        .unwrap_or_else(|| panic!("no summary line in {stderr}"));
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_storage_account_export_ships_every_record_once_with_its_category() {
    let ingress = Ingress::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut expected: Vec<(String, &str)> = Vec::new();
    let mut blob = |container: &str, category: &'static str, hour, ids, gz: bool, doc: bool| {
        let records = records(category, ids);
        for r in &records {
            let id = r["properties"]["id"].as_str().unwrap().to_owned();
            expected.push((id, category));
        }
        let data = if doc {
            // Blobs written before November 2018: one pretty-printed document.
            serde_json::to_vec_pretty(&json!({ "records": records })).unwrap()
        } else {
            json_lines(&records)
        };
        let path = export_blob(root, container, hour);
        if gz {
            std::fs::write(path.with_extension("json.gz"), gzip(&data)).unwrap();
        } else {
            std::fs::write(path, data).unwrap();
        }
    };
    blob("signinlogs", "SignInLogs", 8, 0..3, false, false);
    blob("signinlogs", "SignInLogs", 9, 3..5, false, false);
    blob("auditlogs", "AuditLogs", 8, 5..9, true, false);
    blob("auditlogs", "AuditLogs", 7, 9..11, false, true);
    blob(
        "noninteractiveusersigninlogs",
        "NonInteractiveUserSignInLogs",
        8,
        11..13,
        false,
        false,
    );
    // Hidden files (a desktop's folder metadata, a partial download) are not read.
    std::fs::write(root.join(".DS_Store"), b"\0\0\x01Bud1").unwrap();
    std::fs::create_dir_all(root.join("insights-logs-signinlogs/.partial")).unwrap();
    std::fs::write(root.join("insights-logs-signinlogs/.partial/x"), b"{").unwrap();

    let out = run_binary_async(args(&["replay", root.to_str().unwrap()]), env(&ingress)).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(": 5 files, "), "{stderr}");
    assert!(stderr.contains("(2 hidden"), "{stderr}");
    let entries = ingress.entries();
    assert_exactly_once(&entries, expected.iter().map(|(id, _)| id.clone()));
    for (id, category) in &expected {
        let e = &by_record_id(&entries)[id][0];
        assert_eq!(e["subsystemName"], *category, "{e}");
        assert_eq!(e["threadId"], format!("{category}:{id}"));
    }
    assert_eq!(count(&stderr, "records"), 13);
    assert_eq!(count(&stderr, "delivered"), 13);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_input_is_shipped_in_chunks_with_the_whole_account() {
    let ingress = Ingress::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let n = 600;
    let data = json_lines(&records("SignInLogs", 0..n));
    let path = dir.path().join("export.ndjson.gz");
    std::fs::write(&path, gzip(&data)).unwrap();
    // About 12 chunks of 50 kB: at least as many requests as chunks.
    let chunk = (data.len() / 12).to_string();
    let file = path.to_str().unwrap();
    let out = run_binary_async(
        args(&["replay", "--chunk-bytes", &chunk, file]),
        env(&ingress),
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_exactly_once(&ingress.entries(), (0..n).map(|i| format!("signin-{i}")));
    assert_eq!(count(&stderr, "events"), n);
    assert_eq!(count(&stderr, "records"), n);
    assert_eq!(count(&stderr, "delivered"), n);
    assert!(count(&stderr, "requests") >= 10, "{stderr}");
}

#[test]
fn records_without_an_id_keep_the_same_ids_whatever_the_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-ids.ndjson");
    let lines: Vec<Value> = (0..200)
        .map(|i| json!({"time": "2026-11-02T08:00:00Z", "category": "AuditLogs", "n": i}))
        .collect();
    std::fs::write(&path, json_lines(&lines)).unwrap();
    let ids = |chunk: &str| -> Vec<String> {
        let out = run_binary(
            &[
                "replay",
                "--dry-run",
                "--chunk-bytes",
                chunk,
                path.to_str().unwrap(),
            ],
            &[],
            b"",
        );
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["threadId"].to_string())
            .collect()
    };
    let whole = ids("100000000");
    assert_eq!(whole.len(), 200);
    assert_eq!(whole[7], "\"file:no-ids.ndjson:7:0\"");
    assert_eq!(ids("500"), whole);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_gzip_among_good_files_is_named_and_the_rest_shipped() {
    let ingress = Ingress::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("parked");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("a.ndjson"),
        json_lines(&records("AuditLogs", 0..3)),
    )
    .unwrap();
    // gzip's magic number, then bytes that are no gzip header.
    std::fs::write(folder.join("b.json.gz"), b"\x1f\x8b\x07garbage").unwrap();
    std::fs::write(
        folder.join("c.ndjson.gz"),
        gzip(&json_lines(&records("SignInLogs", 3..7))),
    )
    .unwrap();
    let missing = dir.path().join("not-there.json");
    let out = run_binary_async(
        args(&[
            "replay",
            folder.to_str().unwrap(),
            missing.to_str().unwrap(),
        ]),
        env(&ingress),
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let named = |name: &str, what: &str| {
        stderr
            .lines()
            .filter(|l| l.contains(name) && l.contains(what))
            .count()
    };
    assert_eq!(named("b.json.gz", "corrupt gzip stream"), 1, "{stderr}");
    assert_eq!(named("not-there.json", "cannot read it"), 1, "{stderr}");
    assert!(
        stderr.contains("2 of 4 inputs could not be read"),
        "{stderr}"
    );
    assert_exactly_once(&ingress.entries(), (0..7).map(|i| format!("signin-{i}")));
    assert_eq!(count(&stderr, "delivered"), 7);
    assert!(!stderr.contains("is it the right file"), "{stderr}");
}

#[test]
fn progress_lines_appear_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.ndjson");
    std::fs::write(&path, json_lines(&records("SignInLogs", 0..100))).unwrap();
    let file = path.to_str().unwrap();
    let replay = |extra: &[&str]| {
        let mut a = vec!["replay", "--dry-run", "--chunk-bytes", "10000"];
        a.extend_from_slice(extra);
        a.push(file);
        let out = run_binary(&a, &[], b"");
        assert!(out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let stderr = replay(&["--progress-every-ms", "0"]);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("progress: "))
        .collect();
    assert!(!lines.is_empty(), "{stderr}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains(" kB (") && l.contains(" records, ") && l.contains("file 1 of 1")),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\x1b'),
        "no escape codes in logs: {stderr:?}"
    );
    let quiet = replay(&["--progress-every-ms", "0", "--quiet"]);
    assert!(!quiet.contains("progress: "), "{quiet}");
}

#[test]
fn a_closed_stdout_stops_a_large_dry_run_after_the_first_chunk() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.ndjson");
    std::fs::write(&first, json_lines(&records("SignInLogs", 0..300))).unwrap();
    let second = dir.path().join("second.ndjson");
    std::fs::write(&second, json_lines(&records("SignInLogs", 300..400))).unwrap();
    let mut child = Command::new(BIN)
        .args(["replay", "--dry-run", "--chunk-bytes", "5000"])
        .args([&first, &second])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // `| head -0`
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("could not reach Coralogix"), "{stderr}");
    assert!(count(&stderr, "records") < 300, "{stderr}");
    assert!(
        stderr.contains("1 of 2 inputs not read: delivery had stopped"),
        "{stderr}"
    );
}
