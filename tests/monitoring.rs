//! Self-monitoring end to end: with `SELF_MONITORING_SUBSYSTEM` set, each invocation's summary
//! reaches the fake ingress as one JSON entry with the invocation's numbers, through the real
//! server and real HTTP, and its delivery never changes the invocation's outcome.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use serde_json::Value;

const SUBSYSTEM: &str = "entra-shipper-health";

/// The summary entry, once it has arrived (it is sent after the invocation answers).
async fn summary_entry(ingress: &Ingress) -> Value {
    for _ in 0..3000 {
        if let Some(e) = ingress
            .entries()
            .into_iter()
            .find(|e| e["subsystemName"] == SUBSYSTEM)
        {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no self-monitoring entry arrived: {:?}", ingress.seen());
}

fn records(n: usize) -> Vec<Value> {
    (0..n).map(|i| signin("SignInLogs", i, "0")).collect()
}

#[tokio::test]
async fn the_summary_arrives_as_an_entry_with_the_invocation_numbers() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(
        &ingress,
        &[
            ("SELF_MONITORING_SUBSYSTEM", SUBSYSTEM),
            ("CORALOGIX_APPLICATION", "entra-prod"),
            ("DROP_SUCCESSFUL_CATEGORIES", "NonInteractiveUserSignInLogs"),
            ("MASK_VALUES", "ip"),
        ],
    )
    .await;
    let mut batch = records(6);
    batch.push(signin("NonInteractiveUserSignInLogs", 99, "0"));
    let r = handler
        .invoke(host_request(
            Shape::ManyBinary,
            &[envelope(&batch[..4]), envelope(&batch[4..])],
            10,
        ))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let e = summary_entry(&ingress).await;
    assert_eq!(e["applicationName"], "entra-prod");
    assert_eq!(e["severity"], 3);
    assert_eq!(e["threadId"], "selfmon:9f0e1d2c-test");
    let t = &e["text"];
    assert_eq!(t["kind"], "invocation_summary");
    assert_eq!(t["outcome"], "delivered");
    assert_eq!(t["partition"], "0");
    assert_eq!(t["invocation_id"], "9f0e1d2c-test");
    for key in [
        "events",
        "records",
        "entries",
        "delivered",
        "dropped",
        "dead_lettered",
        "failed",
        "requests",
        "retries",
        "bytes",
        "restamped",
        "masked",
    ] {
        assert_eq!(t[key], r.count(key), "{key}: {t}");
    }
    assert_eq!(
        (
            t["records"].as_u64(),
            t["delivered"].as_u64(),
            t["dropped"].as_u64()
        ),
        (Some(7), Some(6), Some(1))
    );
    assert_eq!(t["masked"], 6, "one callerIpAddress per shipped sign-in");
    assert_eq!(t["balanced"], true);
    // The events were enqueued on 2026-11-02, long before the test runs.
    assert!(t["lag_ms"].as_i64().unwrap() > 0, "{t}");
    // The user's entries are not counted with it, nor it with them.
    let user = ingress
        .entries()
        .iter()
        .filter(|e| e["subsystemName"] == "SignInLogs")
        .count();
    assert_eq!(user, 6);
    assert_eq!(ingress.entries().len(), 7);
}

#[tokio::test]
async fn a_failed_invocation_ships_its_failure() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("SELF_MONITORING_SUBSYSTEM", SUBSYSTEM)]).await;
    // Coralogix refuses every user entry (they all hold this id prefix); the summary gets in.
    ingress.always(Some(Fault::RefuseEntriesWith("\"signin-".into())));
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&records(3))], 1))
        .await;
    assert_eq!(r.status, 502, "{:?}", r.body);
    let t = summary_entry(&ingress).await["text"].clone();
    assert_eq!(t["outcome"], "failed");
    assert_eq!(
        (
            t["records"].as_u64(),
            t["delivered"].as_u64(),
            t["failed"].as_u64()
        ),
        (Some(3), Some(0), Some(3))
    );
    assert_eq!(t["requests"], r.count("requests"));
}

#[tokio::test]
async fn an_undeliverable_summary_changes_nothing() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("SELF_MONITORING_SUBSYSTEM", SUBSYSTEM)]).await;
    ingress.always(Some(Fault::RefuseEntriesWith("invocation_summary".into())));
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&records(4))], 1))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.count("delivered"), 4);
    assert_eq!(r.count("failed"), 0);
    r.assert_balanced();
    // The summary was tried (and refused) after the answer.
    for _ in 0..3000 {
        if ingress.seen().iter().any(|s| s.status == 400) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        ingress.seen().iter().any(|s| s.status == 400),
        "{:?}",
        ingress.seen()
    );
    assert_eq!(ingress.entries().len(), 4);
    // The next invocation is unaffected too.
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&records(2))], 5))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[tokio::test]
async fn without_the_setting_nothing_extra_is_sent() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&records(2))], 1))
        .await;
    assert_eq!(r.status, 200);
    // A second invocation's request arriving after the first shows nothing came in between.
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&records(1))], 3))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(ingress.seen().len(), 2);
    assert!(
        ingress
            .entries()
            .iter()
            .all(|e| e["subsystemName"] == "SignInLogs")
    );
}

/// The fields the ready-made alerts and dashboard in `monitoring/` use are ones the entry has.
#[tokio::test]
async fn monitoring_definitions_use_only_shipped_fields() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("SELF_MONITORING_SUBSYSTEM", SUBSYSTEM)]).await;
    handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&records(1))], 1))
        .await;
    let text = summary_entry(&ingress).await["text"].clone();
    let shipped: BTreeSet<&str> = text
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/monitoring");
    let mut used = BTreeSet::new();
    for file in ["alerts.json", "dashboard-queries.json"] {
        let body = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        let _: Value = serde_json::from_str(&body).unwrap();
        for prefix in ["text.", "$d."] {
            for (at, _) in body.match_indices(prefix) {
                let name: String = body[at + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                used.insert(name);
            }
        }
        assert!(body.contains(SUBSYSTEM), "{file} filters on the subsystem");
    }
    assert!(used.len() >= 10, "{used:?}");
    for name in &used {
        assert!(
            shipped.contains(name.as_str()),
            "monitoring/ uses {name}, which the entry lacks: {shipped:?}"
        );
    }
}
