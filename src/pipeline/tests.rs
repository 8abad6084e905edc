#![allow(clippy::single_range_in_vec_init)]

use super::*;
use crate::coralogix::Request;
use crate::settings::{Mode, Settings};
use serde_json::{Value, json};

fn settings(vars: &[(&str, &str)]) -> Settings {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::load(Mode::DryRun, |k| {
        vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .unwrap()
}

/// A time of processing close to the records of these tests (2019–2026), so that nothing is
/// restamped unless a test wants it.
const NOW: Timestamp = Timestamp(1_793_613_600_000_000_000); // 2026-11-02T10:00:00Z

fn entries(requests: &[Request]) -> Vec<Value> {
    requests
        .iter()
        .flat_map(|r| {
            r.entries()
                .map(|e| serde_json::from_slice(e).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

struct One(Vec<u8>, Option<Timestamp>);

impl EventSource for One {
    fn each(&self, f: &mut dyn FnMut(Input<'_>)) {
        f(Input::Event {
            body: &self.0,
            enqueued: self.1,
            key: "eh:0:7",
        });
    }
}

fn one(body: Value) -> One {
    One(
        body.to_string().into_bytes(),
        Some(Timestamp(5_000_000_000)),
    )
}

#[test]
fn maps_records_to_entries() {
    let s = settings(&[("RESTAMP_OLD_RECORDS", "false")]);
    let body = json!({"records": [
        {"time": "2019-10-18T09:45:48.0729893Z", "category": "SignInLogs", "Level": 4,
         "resultType": "50140", "tenantId": "T1", "properties": {"id": "sid-1"}},
        {"category": "auditlogs", "level": "Informational",
         "resourceId": "/tenants/t2/providers/Microsoft.aadiam"}
    ]});
    let (report, requests) = build_all(&s, &one(body), NOW);
    let e = entries(&requests);
    assert_eq!(e.len(), 2);
    assert_eq!(e[0]["subsystemName"], "SignInLogs");
    assert_eq!(e[0]["severity"], 4);
    assert_eq!(e[0]["timestamp"], 1_571_391_948_072i64);
    assert_eq!(e[0]["computerName"], "t1");
    assert_eq!(e[0]["threadId"], "SignInLogs:sid-1");
    assert_eq!(e[0]["text"]["properties"]["id"], "sid-1");
    assert_eq!(e[1]["subsystemName"], "AuditLogs");
    assert_eq!(e[1]["category"], "AuditLogs");
    assert_eq!(e[1]["timestamp"], 5000, "falls back to the enqueued time");
    assert_eq!(e[1]["threadId"], "eh:0:7:1");
    assert_eq!(e[1]["computerName"], "t2");
    assert_eq!(report.counts.records, 2);
    assert_eq!(report.counts.entries, 2);
    assert_eq!(report.counts.untimed, 1);
    assert_eq!(
        report.untimed_sample.as_deref(),
        Some("a record without a time field")
    );
}

#[test]
fn records_whose_own_time_cannot_be_read_are_counted_with_an_example() {
    let s = settings(&[("RESTAMP_OLD_RECORDS", "false")]);
    let body = json!({"records": [
        {"category": "AuditLogs"},
        {"category": "AuditLogs", "time": "22.08.2022 18:11"},
        {"category": "AuditLogs", "time": "1969-12-31T23:59:59Z",
         "properties": {"activityDateTime": "2026-11-02T09:00:00Z"}},
        {"category": "AuditLogs", "time": "8/22/2026 6:11:52 PM +02:00"}
    ]});
    let (report, requests) = build_all(&s, &one(body), NOW);
    assert_eq!(report.counts.untimed, 2);
    assert_eq!(
        report.untimed_sample.as_deref(),
        Some("a time of \"22.08.2022 18:11\"")
    );
    let e = entries(&requests);
    assert_eq!(e[1]["timestamp"], 5000, "the enqueued time");
    assert_eq!(
        e[2]["timestamp"], 1_793_610_000_000i64,
        "out of range: the next source"
    );
    assert_eq!(e[3]["timestamp"], 1_787_415_112_000i64);
}

#[test]
fn fallback_names_and_text_events() {
    let s = settings(&[("CORALOGIX_SUBSYSTEM_MAP", "Unparsed=raw")]);
    let source = Bodies(vec![
        (br#"{"records":[{"x":1}]}"#.to_vec(), "k".into()),
        (b"not json at all".to_vec(), "k2".into()),
    ]);
    let (report, requests) = build_all(&s, &source, NOW);
    let e = entries(&requests);
    assert_eq!(e[0]["subsystemName"], "Uncategorized");
    assert!(e[0].get("category").is_none());
    assert_eq!(e[1]["subsystemName"], "raw");
    assert_eq!(e[1]["text"], "not json at all");
    assert_eq!(report.counts.unparsed, 1);
}

#[test]
fn drop_rules_are_counted() {
    let s = settings(&[
        ("DROP_CATEGORIES", "ProvisioningLogs"),
        ("DROP_SUCCESSFUL_CATEGORIES", "NonInteractiveUserSignInLogs"),
    ]);
    let body = json!({"records": [
        {"category": "ProvisioningLogs"},
        {"category": "NonInteractiveUserSignInLogs", "resultType": "0"},
        {"category": "NonInteractiveUserSignInLogs", "resultType": "50126"},
        {"category": "SignInLogs", "resultType": "0"}
    ]});
    let (report, requests) = build_all(&s, &one(body), NOW);
    assert_eq!(report.counts.records, 4);
    assert_eq!(report.counts.dropped, 2);
    assert_eq!(report.counts.entries, 2);
    assert_eq!(entries(&requests)[0]["text"]["resultType"], "50126");
}

#[test]
fn a_large_record_is_sent_in_parts_and_counted_once() {
    let s = settings(&[("MAX_ENTRY_BYTES", "20000")]);
    let big = json!({"category": "AuditLogs", "time": "2026-11-02T09:00:00Z",
        "properties": {"id": "big", "blob": "x".repeat(70_000)}});
    let body = json!({"records": [{"category": "AuditLogs", "properties": {"id": "a"}}, big,
        {"category": "AuditLogs", "properties": {"id": "b"}}]});
    let (report, requests) = build_all(&s, &one(body), NOW);
    let c = report.counts;
    assert_eq!((c.records, c.parted), (3, 1));
    assert_eq!(c.entries, requests.iter().map(Request::len).sum::<usize>());
    assert_eq!(report.multipart, vec![1..(c.entries as u64 - 1)]);
    let e = entries(&requests);
    let data: String = e[1..e.len() - 1]
        .iter()
        .map(|p| p["text"]["data"].as_str().unwrap())
        .collect();
    assert_eq!(data, big.to_string());
}

#[test]
fn rebuilding_gives_the_same_entries_by_number() {
    let s = settings(&[("MAX_ENTRY_BYTES", "20000"), ("MAX_REQUEST_BYTES", "50000")]);
    let records: Vec<Value> = (0..200)
        .map(|i| json!({"category": "SignInLogs", "properties": {"id": i, "pad": "y".repeat(i * 150)}}))
        .collect();
    let source = Bodies(vec![
        (
            json!({ "records": records }).to_string().into_bytes(),
            "k".into(),
        ),
        (b"text".to_vec(), "t".into()),
    ]);
    let (_, requests) = build_all(&s, &source, NOW);
    let all: Vec<Vec<u8>> = requests
        .iter()
        .flat_map(|r| r.entries().map(<[u8]>::to_vec).collect::<Vec<_>>())
        .collect();
    let wanted = [3..7, 40..41, (all.len() as u64 - 2)..(all.len() as u64)];
    let mut again = Vec::new();
    rebuild(&s, &source, NOW, &wanted, |e| again.push(e.to_vec()));
    let expected: Vec<Vec<u8>> = wanted
        .iter()
        .flat_map(|r| all[r.start as usize..r.end as usize].to_vec())
        .collect();
    assert_eq!(again, expected);
}

#[test]
fn old_records_are_restamped_and_counted() {
    let s = settings(&[]);
    let body = json!({"records": [
        {"category": "AuditLogs", "time": "2026-10-30T10:00:00Z"},
        {"category": "AuditLogs", "time": "2026-11-02T09:00:00Z"},
        {"category": "AuditLogs"}
    ]});
    // The third record falls back to an enqueued time two days old.
    let source = One(
        body.to_string().into_bytes(),
        Some(Timestamp(NOW.0 - 2 * 86_400 * 1_000_000_000)),
    );
    let (report, requests) = build_all(&s, &source, NOW);
    let e = entries(&requests);
    assert_eq!(report.counts.restamped, 2);
    assert_eq!(e[0]["timestamp"], NOW.millis());
    assert_eq!(
        e[0]["text"]["time"], "2026-10-30T10:00:00Z",
        "the record's own time stays"
    );
    assert_eq!(e[1]["timestamp"], NOW.millis() - 3_600_000);
    assert_eq!(e[2]["timestamp"], NOW.millis());
    let s = settings(&[("RESTAMP_OLD_RECORDS", "false")]);
    let (report, requests) = build_all(&s, &source, NOW);
    assert_eq!(report.counts.restamped, 0);
    assert_eq!(entries(&requests)[0]["timestamp"], 1_793_354_400_000i64);
}

#[test]
fn parked_entries_that_became_old_are_restamped_on_replay() {
    let s = settings(&[]);
    struct Parked;
    impl EventSource for Parked {
        fn each(&self, f: &mut dyn FnMut(Input<'_>)) {
            f(Input::BuiltFile);
            f(Input::Built(
                br#"{"applicationName":"a","subsystemName":"s","timestamp":1000,"hiResTimestamp":"1000000001","text":"x"}"#,
            ));
            f(Input::Built(
                br#"{"applicationName":"a","subsystemName":"s","timestamp":1793613599000,"text":"y"}"#,
            ));
        }
    }
    let (report, requests) = build_all(&s, &Parked, NOW);
    let e = entries(&requests);
    assert_eq!((report.counts.events, report.counts.records), (1, 2));
    assert_eq!(report.counts.restamped, 1);
    assert_eq!(e[0]["timestamp"], NOW.millis());
    assert!(e[0].get("hiResTimestamp").is_none());
    assert_eq!(e[1]["timestamp"], 1_793_613_599_000i64);
}
