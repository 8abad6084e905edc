//! Delivery under faults of the ingress: each case checks the answer to the host and that every
//! record is accounted for (delivered, dead-lettered, or failed so the host retries).

mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use serde_json::Value;

fn batch(events: usize, per_event: usize, first_id: usize) -> (Vec<u8>, Vec<String>) {
    let mut ids = Vec::new();
    let bodies: Vec<Vec<u8>> = (0..events)
        .map(|e| {
            let records: Vec<Value> = (0..per_event)
                .map(|r| {
                    let id = first_id + e * per_event + r;
                    ids.push(format!("signin-{id}"));
                    signin("SignInLogs", id, "0")
                })
                .collect();
            envelope(&records)
        })
        .collect();
    (host_request(Shape::ManyBinary, &bodies, 40), ids)
}

#[tokio::test]
async fn server_error_burst_is_retried_and_nothing_is_sent_twice() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("MAX_REQUEST_BYTES", "100000")]).await;
    ingress.script([Fault::Status(503), Fault::Status(500), Fault::Status(502)]);
    let (body, ids) = batch(10, 20, 0);
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.count("retries"), 3);
    r.assert_balanced();
    assert_exactly_once(&ingress.entries(), ids);
}

#[tokio::test]
async fn throttling_with_retry_after_waits_that_long() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    ingress.script([Fault::RetryAfter(429, "1".into())]);
    let (body, ids) = batch(1, 5, 0);
    let started = Instant::now();
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After not honoured"
    );
    assert_eq!(r.count("retries"), 1);
    assert_exactly_once(&ingress.entries(), ids);
}

#[tokio::test]
async fn throttling_without_retry_after_backs_off() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    ingress.script([Fault::Status(429), Fault::Status(429)]);
    let (body, ids) = batch(2, 5, 0);
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.count("retries"), 2);
    r.assert_balanced();
    assert_exactly_once(&ingress.entries(), ids);
}

#[tokio::test]
async fn dropped_connection_is_retried() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    ingress.script([Fault::Drop, Fault::Drop]);
    let (body, ids) = batch(3, 3, 0);
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.count("retries"), 2);
    assert_exactly_once(&ingress.entries(), ids);
}

#[tokio::test]
async fn an_answer_slower_than_the_request_timeout_is_retried() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("REQUEST_TIMEOUT_SECONDS", "0.5")]).await;
    ingress.script([Fault::Slow(Duration::from_secs(2))]);
    let (body, ids) = batch(1, 4, 0);
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.count("retries"), 1);
    // At least once: the timed-out request may still have been ingested by the server.
    let got = by_record_id(&ingress.entries());
    for id in ids {
        let n = got.get(&id).map_or(0, Vec::len);
        assert!((1..=2).contains(&n), "{id} arrived {n} times");
    }
}

#[tokio::test]
async fn payload_too_large_splits_the_request() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    ingress.set_cap(30_000);
    let (body, ids) = batch(5, 40, 0);
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let seen = ingress.seen();
    assert!(seen.iter().any(|s| s.status == 413));
    assert!(
        seen.iter()
            .filter(|s| s.status == 200)
            .all(|s| s.bytes <= 30_000)
    );
    r.assert_balanced();
    assert_exactly_once(&ingress.entries(), ids);
}

#[tokio::test]
async fn a_wrong_key_fails_fast_with_a_clear_reason() {
    for status in [401u16, 403] {
        let ingress = Ingress::start(KEY).await;
        let handler = Handler::start(
            &ingress,
            &[
                ("MAX_REQUEST_BYTES", "50000"),
                ("MAX_CONCURRENT_REQUESTS", "1"),
                ("DELIVERY_TIMEOUT_SECONDS", "60"),
            ],
        )
        .await;
        ingress.always(Some(Fault::Status(status)));
        let (body, _) = batch(10, 20, 0);
        let started = Instant::now();
        let r = handler.invoke(body).await;
        assert_eq!(r.status, 502);
        assert!(started.elapsed() < Duration::from_secs(5), "not fast");
        assert_eq!(ingress.seen().len(), 1, "kept sending after HTTP {status}");
        let error = r.body["Error"].as_str().unwrap();
        assert!(
            error.contains(&format!("HTTP {status}")) && error.contains("CORALOGIX_PRIVATE_KEY"),
            "{error}"
        );
        assert_eq!(r.count("failed"), 200);
        r.assert_balanced();
    }
}

#[tokio::test]
async fn a_key_the_ingress_does_not_know_is_refused() {
    let ingress = Ingress::start("cxtp_another_key").await;
    let handler = Handler::start(&ingress, &[]).await;
    let (body, _) = batch(1, 2, 0);
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 502);
    assert!(r.body["Error"].as_str().unwrap().contains("HTTP 401"));
    assert!(ingress.entries().is_empty());
}

#[tokio::test]
async fn ingress_down_longer_than_the_budget_fails_the_invocation() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("DELIVERY_TIMEOUT_SECONDS", "1")]).await;
    ingress.always(Some(Fault::Status(503)));
    let (body, _) = batch(4, 5, 0);
    let started = Instant::now();
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 502);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        r.body["Error"].as_str().unwrap().contains("budget"),
        "{:?}",
        r.body
    );
    assert_eq!(r.count("failed"), 20);
    assert_eq!(r.count("delivered"), 0);
    r.assert_balanced();
    assert!(
        ingress.seen().len() >= 2,
        "should have retried within the budget"
    );
}

#[tokio::test]
async fn unreachable_ingress_fails_the_invocation() {
    let ingress = Ingress::start(KEY).await;
    // An endpoint where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let endpoint = format!("http://{closed}");
    let handler = Handler::start(
        &ingress,
        &[
            ("CORALOGIX_ENDPOINT", &endpoint),
            ("DELIVERY_TIMEOUT_SECONDS", "1"),
        ],
    )
    .await;
    let (body, _) = batch(1, 3, 0);
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 502);
    assert!(
        r.body["Error"]
            .as_str()
            .unwrap()
            .contains("could not reach Coralogix"),
        "{:?}",
        r.body
    );
    assert_eq!(r.count("failed"), 3);
}

#[tokio::test]
async fn a_refused_entry_is_isolated_and_the_rest_delivered() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("MAX_CONCURRENT_REQUESTS", "1")]).await;
    // 4 entries: refused; first half refused; its first entry refused (permanent); the rest pass.
    ingress.always(Some(Fault::RefuseEntriesWith("\"signin-0\"".into())));
    let (body, ids) = batch(1, 4, 0);
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 502);
    assert_eq!(r.count("delivered"), 3);
    assert_eq!(r.count("failed"), 1);
    r.assert_balanced();
    assert_exactly_once(&ingress.entries(), ids.into_iter().skip(1));
    assert!(r.body["Error"].as_str().unwrap().contains("entry refused"));
    // 4 → 2+2 → 1+1, and the refused entry once more as text: six requests.
    assert_eq!(ingress.seen().len(), 6);
    assert_eq!(r.count("as_text"), 1);
}

#[tokio::test]
async fn a_refusal_of_every_request_is_not_split_down_to_single_entries() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(
        &ingress,
        &[
            ("MAX_REQUEST_BYTES", "20000"),
            ("MAX_CONCURRENT_REQUESTS", "1"),
        ],
    )
    .await;
    // A proxy refusing the content type, or an API change: the same answer for everything.
    ingress.always(Some(Fault::StatusBody(
        415,
        "unsupported media type".into(),
    )));
    let (body, _) = batch(10, 30, 0);
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 502);
    let requests = r.count("requests");
    assert_eq!(r.count("failed"), 300);
    r.assert_balanced();
    assert!(
        r.body["Error"]
            .as_str()
            .unwrap()
            .contains("refused the same way"),
        "{:?}",
        r.body
    );
    // Each request and its two halves, not the 2n requests of splitting to single entries.
    let sent = ingress.seen().len();
    assert_eq!(requests, sent);
    // About a dozen requests of 20 kB, and their halves: tens of POSTs, not the ~600 that
    // splitting down to single entries makes.
    assert!(sent < 60, "{sent} requests for 300 entries");
}

fn dead_letter_blob(r: &HostResponse) -> Value {
    serde_json::from_slice(&r.dead_letter_bytes()).unwrap()
}

#[tokio::test]
async fn with_dead_letter_the_undelivered_entries_are_parked_and_replayable() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(
        &ingress,
        &[
            ("DEAD_LETTER_ENABLED", "true"),
            ("DELIVERY_TIMEOUT_SECONDS", "1"),
            ("MAX_REQUEST_BYTES", "20000"),
        ],
    )
    .await;
    // The first request gets through, then the ingress goes down.
    ingress.script([Fault::Slow(Duration::ZERO)]);
    ingress.always(Some(Fault::Status(503)));
    let (body, ids) = batch(3, 10, 0);
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let delivered = r.count("delivered");
    let parked = r.count("dead_lettered");
    assert!(delivered > 0 && parked > 0, "{:?}", r.logs());
    assert_eq!(r.count("failed"), 0);
    r.assert_balanced();
    assert!(r.logs()[1].contains("dead-lettered"));

    let blob = dead_letter_blob(&r);
    assert_eq!(blob["kind"], "entra-coralogix/dead-letter");
    assert_eq!(blob["eventHub"]["partitionId"], "0");
    assert_eq!(blob["eventHub"]["eventHub"], "entra-logs");
    assert_eq!(blob["firstSequenceNumber"], 40);
    assert_eq!(blob["lastSequenceNumber"], 42);
    assert_eq!(blob["events"].as_array().unwrap().len(), 3);
    assert!(blob["reason"].as_str().unwrap().contains("503"));
    let parked_entries = blob["entries"].as_array().unwrap();
    assert_eq!(parked_entries.len(), parked);
    assert_eq!(blob["entryCount"], parked);

    // Later: replay the downloaded blob (as gzip, as the binding wrote it) once Coralogix is back.
    ingress.always(None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parked.json.gz");
    let b64 = r.body["Outputs"]["deadletter"].as_str().unwrap();
    std::fs::write(
        &path,
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap();
    let out = run_binary_async(
        vec!["replay".into(), path.to_string_lossy().into_owned()],
        vec![
            ("CORALOGIX_PRIVATE_KEY".into(), KEY.into()),
            ("CORALOGIX_ENDPOINT".into(), ingress.url()),
            // Compared unchanged below: no restamping of these 2026-11-02 entries.
            ("RESTAMP_OLD_RECORDS".into(), "false".into()),
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = ingress.entries();
    assert_exactly_once(&all, ids);
    // Replayed entries are the parked ones, unchanged (same ids).
    for e in parked_entries {
        assert_eq!(all.iter().filter(|a| *a == e).count(), 1);
    }
}

#[tokio::test]
async fn with_dead_letter_a_wrong_key_still_fails_the_invocation() {
    // Every batch would fail until the key is fixed: the hub keeps the events (and delivers
    // them once it is), instead of the whole stream being parked in blobs.
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("DEAD_LETTER_ENABLED", "true")]).await;
    ingress.always(Some(Fault::Status(401)));
    let (body, _) = batch(2, 3, 0);
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 502);
    assert_eq!(r.count("failed"), 6);
    assert_eq!(r.count("dead_lettered"), 0);
    assert!(r.body["Outputs"].get("deadletter").is_none());
}

#[tokio::test]
async fn with_dead_letter_a_refused_entry_is_parked_and_the_rest_delivered() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(
        &ingress,
        &[
            ("DEAD_LETTER_ENABLED", "true"),
            ("MAX_CONCURRENT_REQUESTS", "1"),
        ],
    )
    .await;
    ingress.always(Some(Fault::RefuseEntriesWith("\"signin-0\"".into())));
    let (body, _) = batch(1, 4, 0);
    let r = handler.invoke(body).await;
    assert_eq!(r.status, 200);
    assert_eq!((r.count("delivered"), r.count("dead_lettered")), (3, 1));
    r.assert_balanced();
    let blob = dead_letter_blob(&r);
    assert!(blob["reason"].as_str().unwrap().contains("entry refused"));
    assert_eq!(blob["entries"][0]["threadId"], "SignInLogs:signin-0");
}
