//! The handler end to end: host-shaped requests in, Coralogix entries out, through the real
//! server and real HTTP.

mod common;

use common::*;
use serde_json::{Value, json};

fn example_records() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/entra-batch.json");
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["records"].as_array().unwrap().clone()
}

#[tokio::test]
async fn answers_readiness_at_once() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    assert_eq!(handler.get("/").await, 200);
    let r = handler.post("/SomethingElse", b"{}".to_vec()).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn every_host_shape_delivers_every_record_once() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    for (n, &shape) in ALL_SHAPES.iter().enumerate() {
        ingress.clear();
        let events = if matches!(shape, Shape::OneBinary | Shape::OneString) {
            1
        } else {
            5
        };
        let mut ids = Vec::new();
        let bodies: Vec<Vec<u8>> = (0..events)
            .map(|e| {
                let records: Vec<Value> = (0..4)
                    .map(|r| {
                        let id = n * 1000 + e * 10 + r;
                        ids.push(format!("signin-{id}"));
                        signin("SignInLogs", id, "0")
                    })
                    .collect();
                envelope(&records)
            })
            .collect();
        let r = handler.invoke(host_request(shape, &bodies, 100)).await;
        assert_eq!(r.status, 200, "{shape:?}: {:?}", r.body);
        assert!(r.content_type.starts_with("application/json"), "{shape:?}");
        assert_eq!(r.body["Outputs"], json!({}));
        assert_eq!(r.body["ReturnValue"], Value::Null);
        assert_eq!(r.count("events"), events, "{shape:?}");
        assert_eq!(r.count("records"), events * 4);
        assert_eq!(r.count("entries"), events * 4);
        assert_eq!(r.count("delivered"), events * 4);
        assert!(r.count("requests") >= 1 && r.count("bytes") > 0);
        assert_eq!(r.count("retries"), 0);
        r.assert_balanced();
        assert_exactly_once(&ingress.entries(), ids);
    }
}

#[tokio::test]
async fn entries_carry_the_entra_mapping() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let records = example_records();
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&records)], 7))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let entries = ingress.entries();
    assert_eq!(entries.len(), records.len());
    let tenant = "8c1b6a7e-3f2d-4c59-9a61-2d4e5f6a7b8c";
    // (subsystem, severity, timestamp ms) per record, in the file's order.
    let want: &[(&str, u64, i64)] = &[
        ("SignInLogs", 3, 1_793_607_247_452), // 08:14:07.4521983Z
        ("SignInLogs", 4, 1_793_607_341_001), // failed sign-in (50126)
        ("NonInteractiveUserSignInLogs", 3, 1_793_607_362_700), // Level "4"
        ("ServicePrincipalSignInLogs", 4, 1_793_607_450_000), // "11/2/2026 8:17:30 AM", failure
        ("ManagedIdentitySignInLogs", 3, 1_793_607_480_000),
        ("AuditLogs", 4, 1_793_607_613_555), // result failure
        ("ProvisioningLogs", 4, 1_793_607_705_120), // resultType Failure
        ("RiskyUsers", 3, 1_793_610_311_000), // "11/2/2026 9:05:11 AM"
        ("MicrosoftGraphActivityLogs", 3, 1_793_610_600_987),
        ("ServicePrincipalSignInLogs", 3, 1_793_611_800_000), // PascalCase keys, CreatedDateTime
    ];
    for (i, (record, (subsystem, severity, ts))) in records.iter().zip(want).enumerate() {
        let e = entries
            .iter()
            .find(|e| e["text"] == *record)
            .unwrap_or_else(|| panic!("record {i} missing or changed"));
        assert_eq!(e["applicationName"], "entra-id", "record {i}");
        assert_eq!(e["subsystemName"], *subsystem, "record {i}");
        assert_eq!(e["category"], *subsystem, "record {i}");
        assert_eq!(e["severity"], *severity, "record {i}");
        assert_eq!(e["timestamp"], *ts, "record {i}");
        assert_eq!(e["computerName"], tenant, "record {i}");
        assert!(e["threadId"].as_str().is_some_and(|t| !t.is_empty()));
    }
}

#[tokio::test]
async fn time_falls_back_to_the_enqueued_time() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let record = json!({"category": "AuditLogs", "operationName": "no time at all"});
    // Sequence number 12: the harness enqueues it at 2026-11-02T10:00:12.084.
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&[record])], 12))
        .await;
    assert_eq!(r.status, 200);
    let e = &ingress.entries()[0];
    assert_eq!(e["timestamp"], 1_793_613_612_084i64);
    assert_eq!(e["threadId"], "eh:0:12:0");
}

#[tokio::test]
async fn subsystem_settings() {
    let ingress = Ingress::start(KEY).await;
    let records = vec![
        signin("SignInLogs", 1, "0"),
        signin("NonInteractiveUserSignInLogs", 2, "0"),
        json!({"operationName": "no category", "properties": {"id": "x3"}}),
    ];
    let body = || host_request(Shape::ManyBinary, &[envelope(&records)], 1);

    let handler = Handler::start(
        &ingress,
        &[
            ("CORALOGIX_APPLICATION", "prod-tenant"),
            (
                "CORALOGIX_SUBSYSTEM_MAP",
                "NonInteractiveUserSignInLogs=noninteractive,Uncategorized=other",
            ),
        ],
    )
    .await;
    assert_eq!(handler.invoke(body()).await.status, 200);
    let subsystems: Vec<(String, String)> = ingress
        .entries()
        .iter()
        .map(|e| {
            (
                e["applicationName"].as_str().unwrap().to_owned(),
                e["subsystemName"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        subsystems,
        [
            ("prod-tenant".into(), "SignInLogs".into()),
            ("prod-tenant".into(), "noninteractive".into()),
            ("prod-tenant".into(), "other".into())
        ]
    );

    ingress.clear();
    let handler = Handler::start(&ingress, &[("CORALOGIX_SUBSYSTEM", "entra")]).await;
    assert_eq!(handler.invoke(body()).await.status, 200);
    assert!(
        ingress
            .entries()
            .iter()
            .all(|e| e["subsystemName"] == "entra")
    );
    // The category field still says what the record is.
    assert_eq!(
        ingress.entries()[1]["category"],
        "NonInteractiveUserSignInLogs"
    );
}

#[tokio::test]
async fn requests_stay_under_the_cap_and_concurrency_is_bounded() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(
        &ingress,
        &[
            ("MAX_REQUEST_BYTES", "300000"),
            ("MAX_CONCURRENT_REQUESTS", "2"),
        ],
    )
    .await;
    ingress.always(Some(Fault::Slow(std::time::Duration::from_millis(150))));
    let bodies: Vec<Vec<u8>> = (0..20)
        .map(|e| {
            envelope(
                &(0..50)
                    .map(|r| signin("SignInLogs", e * 100 + r, "0"))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &bodies, 1))
        .await;
    assert_eq!(r.status, 200);
    let seen = ingress.seen();
    assert!(
        seen.len() > 3,
        "expected several requests, got {}",
        seen.len()
    );
    assert!(seen.iter().all(|s| s.bytes <= 300_000 && s.status == 200));
    assert_eq!(ingress.entries().len(), 1000);
    assert_eq!(r.count("requests"), seen.len());
    assert_eq!(ingress.max_in_flight(), 2, "MAX_CONCURRENT_REQUESTS=2");
}

#[tokio::test]
async fn gzip_when_enabled() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("COMPRESSION", "gzip")]).await;
    let records: Vec<Value> = (0..200).map(|i| signin("SignInLogs", i, "0")).collect();
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&records)], 1))
        .await;
    assert_eq!(r.status, 200);
    let seen = ingress.seen();
    assert!(seen.iter().all(|s| s.gzip && s.wire_bytes * 4 < s.bytes));
    assert_eq!(ingress.entries().len(), 200);
}

#[tokio::test]
async fn concurrent_invocations_do_not_block_each_other() {
    let ingress = Ingress::start(KEY).await;
    let handler =
        std::sync::Arc::new(Handler::start(&ingress, &[("REQUEST_TIMEOUT_SECONDS", "30")]).await);
    // The first request the ingress sees is held until the others are done.
    let gate = std::sync::Arc::new(tokio::sync::Notify::new());
    ingress.script([Fault::Hold(std::sync::Arc::clone(&gate))]);
    let slow = {
        let h = std::sync::Arc::clone(&handler);
        tokio::spawn(async move {
            h.invoke(host_request(
                Shape::ManyBinary,
                &[envelope(&[signin("SignInLogs", 1, "0")])],
                1,
            ))
            .await
            .status
        })
    };
    ingress.wait_until_arrived(1).await;
    for i in 0..3 {
        let r = handler
            .invoke(host_request(
                Shape::ManyBinary,
                &[envelope(&[signin("SignInLogs", 10 + i, "0")])],
                10 + i as i64,
            ))
            .await;
        assert_eq!(r.status, 200);
    }
    assert!(!slow.is_finished(), "the held invocation is still running");
    assert_eq!(
        ingress.entries().len(),
        3,
        "the others were delivered meanwhile"
    );
    gate.notify_one();
    assert_eq!(slow.await.unwrap(), 200);
    assert_eq!(ingress.entries().len(), 4);
}
