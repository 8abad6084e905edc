//! Bad input gets a clear outcome, through the real server: nothing lost, no crash, and the
//! accounting balances in every case.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::*;
use serde_json::{Value, json};

async fn one_event(handler: &Handler, body: Vec<u8>) -> HostResponse {
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[body], 1))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.assert_balanced();
    r
}

#[tokio::test]
async fn an_event_that_is_not_json_is_one_text_entry() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let text = "2026-11-02 10:00:00 WARN legacy agent: user 'avery' locked out";
    let r = one_event(&handler, text.as_bytes().to_vec()).await;
    assert_eq!((r.count("records"), r.count("unparsed")), (1, 1));
    let e = &ingress.entries()[0];
    assert_eq!(e["text"], text);
    assert_eq!(e["subsystemName"], "Unparsed");
    assert_eq!(e["threadId"], "eh:0:1:0");
}

#[tokio::test]
async fn single_quoted_properties_are_repaired() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let body = r#"{"records":[{"time":"2026-11-02T10:00:00Z","category":"FunctionAppLogs","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.WEB/SITES/APP","properties":{'appName':'app','message':'User \'avery\' said "hi"','level':'Information'}},{"time":"2026-11-02T10:00:01Z","category":"FunctionAppLogs","properties":{'message':'second'}}]}"#;
    let r = one_event(&handler, body.as_bytes().to_vec()).await;
    assert_eq!((r.count("records"), r.count("repaired")), (2, 2));
    let entries = ingress.entries();
    assert_eq!(
        entries[0]["text"]["properties"]["message"],
        "User 'avery' said \"hi\""
    );
    assert_eq!(entries[1]["text"]["properties"]["message"], "second");
    assert_eq!(entries[0]["category"], "FunctionAppLogs");
}

#[tokio::test]
async fn an_unrepairable_record_is_shipped_unchanged_and_alone() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let body = r#"{"records":[{"r":'x'},,{"r":NaN},{"r":3}]}"#;
    let r = one_event(&handler, body.as_bytes().to_vec()).await;
    assert_eq!(
        (r.count("records"), r.count("repaired"), r.count("unparsed")),
        (3, 1, 1)
    );
    let e = ingress.entries();
    assert_eq!(e[0]["text"], json!({"r": "x"}));
    assert_eq!(e[1]["text"], r#"{"r":NaN}"#);
    assert_eq!(e[1]["subsystemName"], "Unparsed");
    assert_eq!(e[2]["text"], json!({"r": 3}));
}

#[tokio::test]
async fn invalid_utf8_is_replaced_not_dropped() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let mut body =
        br#"{"records":[{"category":"AuditLogs","properties":{"displayName":"caf"#.to_vec();
    body.extend_from_slice(b"\xe9 \xff\"}}]}");
    let binary = vec![0x00, 0x9f, 0x92, 0x96, 0xff, b'x'];
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[body, binary], 1))
        .await;
    assert_eq!(r.status, 200);
    r.assert_balanced();
    assert_eq!((r.count("records"), r.count("invalid_utf8")), (2, 2));
    let entries = ingress.entries();
    assert_eq!(
        entries[0]["text"]["properties"]["displayName"],
        "caf\u{FFFD} \u{FFFD}"
    );
    assert_eq!(entries[0]["subsystemName"], "AuditLogs");
    assert_eq!(entries[1]["text"], "\u{0}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}x");
    assert_eq!(entries[1]["subsystemName"], "Unparsed");
}

#[tokio::test]
async fn an_oversized_record_is_sent_in_parts_that_put_back_together_byte_for_byte() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("MAX_ENTRY_BYTES", "20000")]).await;
    let mut big = signin("SignInLogs", 1, "50126");
    big["properties"]["appliedConditionalAccessPolicies"] = json!(
        (0..1200)
            .map(|i| json!({"id": i, "displayName": format!("Policy \"{i}\" – ✓"), "result": "notApplied"}))
            .collect::<Vec<_>>()
    );
    let original = serde_json::to_vec(&big).unwrap();
    assert!(original.len() > 3 * 20_000);
    let small = signin("SignInLogs", 2, "0");
    let r = one_event(&handler, envelope(&[big, small.clone()])).await;
    assert_eq!(
        (r.count("records"), r.count("parted"), r.count("delivered")),
        (2, 1, 2)
    );
    let entries = ingress.entries();
    let mut parts: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            e["threadId"]
                .as_str()
                .unwrap()
                .starts_with("SignInLogs:signin-1#")
        })
        .collect();
    assert!(parts.len() >= 3);
    assert_eq!(r.count("entries"), parts.len() + 1);
    parts.sort_by_key(|p| p["text"]["part"].as_u64().unwrap());
    let mut whole = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        assert!(serde_json::to_vec(p).unwrap().len() <= 20_000);
        assert_eq!(p["text"]["part"], i + 1);
        assert_eq!(p["text"]["parts"], parts.len());
        assert_eq!(p["text"]["originalBytes"], original.len());
        assert_eq!(
            p["threadId"],
            format!("SignInLogs:signin-1#{}/{}", i + 1, parts.len())
        );
        // Still searchable by what the record is.
        assert_eq!(p["subsystemName"], "SignInLogs");
        assert_eq!(p["severity"], 4);
        whole.extend_from_slice(p["text"]["data"].as_str().unwrap().as_bytes());
    }
    assert_eq!(
        whole, original,
        "the parts put back together are the record"
    );
    assert!(entries.iter().any(|e| e["text"] == small));
}

#[tokio::test]
async fn records_that_is_not_an_array_ships_the_whole_event() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let body = json!({"records": {"category": "AuditLogs", "operationName": "odd"}});
    let r = one_event(&handler, serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(r.count("records"), 1);
    assert_eq!(ingress.entries()[0]["text"], body);
}

#[tokio::test]
async fn odd_fields_get_sensible_values() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let records = vec![
        json!({"time": "2026-11-02T10:00:00Z", "category": "signinlogs", "Level": 4, "resultType": "0", "durationMs": "0"}),
        json!({"time": "2026-11-02T10:00:00Z", "category": "AUDITLOGS", "level": "Warning", "durationMs": "-1"}),
        json!({"time": "2026-11-02T10:00:00Z", "category": "ProvisioningLogs", "Level": "2"}),
        json!({"category": "RiskyUsers", "Level": null, "time": null}),
        json!({"category": 42, "Level": [1], "time": {"t": 1}, "tenantId": 7}),
        json!("a bare string record"),
        json!(12345),
    ];
    let r = one_event(&handler, envelope(&records)).await;
    assert_eq!(r.count("records"), 7);
    let e = ingress.entries();
    assert_eq!(
        (e[0]["subsystemName"].as_str(), e[0]["severity"].as_u64()),
        (Some("SignInLogs"), Some(3))
    );
    assert_eq!(
        (e[1]["subsystemName"].as_str(), e[1]["severity"].as_u64()),
        (Some("AuditLogs"), Some(4))
    );
    assert_eq!(e[2]["severity"], 5);
    assert_eq!(e[3]["severity"], 3);
    // No usable time: the event's enqueued time (sequence 1 → 10:00:01.007).
    assert_eq!(e[3]["timestamp"], 1_793_613_601_007i64);
    assert_eq!(e[4]["subsystemName"], "Uncategorized");
    assert!(e[4].get("computerName").is_none());
    assert_eq!(e[5]["text"], "a bare string record");
    assert_eq!(e[6]["text"], "12345");
    for (entry, record) in e.iter().zip(&records).take(5) {
        assert_eq!(&entry["text"], record, "text is the record itself");
    }
}

#[tokio::test]
async fn empty_batches_and_empty_events() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[], 1))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        (r.count("events"), r.count("records"), r.count("requests")),
        (0, 0, 0)
    );
    let r = handler
        .invoke(host_request(
            Shape::ManyBinary,
            &[envelope(&[]), Vec::new(), b"  \n".to_vec()],
            1,
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!((r.count("events"), r.count("records")), (3, 0));
    assert!(ingress.seen().is_empty(), "nothing to send, nothing sent");
}

#[tokio::test]
async fn a_batch_of_100_events_of_1_mb() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(
        &ingress,
        &[
            ("DELIVERY_TIMEOUT_SECONDS", "120"),
            ("REQUEST_TIMEOUT_SECONDS", "30"),
        ],
    )
    .await;
    let mut ids = Vec::new();
    let bodies: Vec<Vec<u8>> = (0..100)
        .map(|e| {
            let mut records = Vec::new();
            let mut size = 0;
            while size < 1_000_000 - 4_000 {
                let id = ids.len();
                let r = signin("NonInteractiveUserSignInLogs", id, "0");
                size += serde_json::to_vec(&r).unwrap().len() + 1;
                ids.push(format!("signin-{id}"));
                records.push(r);
            }
            let body = envelope(&records);
            assert!(
                body.len() <= 1_000_000 && body.len() > 990_000,
                "event {e}: {}",
                body.len()
            );
            body
        })
        .collect();
    let request = host_request(Shape::ManyBinary, &bodies, 1);
    assert!(
        request.len() > 132_000_000,
        "base64 makes it ~4/3: {}",
        request.len()
    );
    let r = handler.invoke(request).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.assert_balanced();
    assert_eq!(r.count("records"), ids.len());
    assert_exactly_once(&ingress.entries(), ids);
    assert!(ingress.seen().iter().all(|s| s.bytes <= ingress::CAP));
}

#[tokio::test]
async fn requests_not_from_the_host_get_a_4xx_and_the_server_keeps_serving() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    for body in [
        &b"not json"[..],
        b"{\"foo\": 1}",
        b"[1, 2, 3]",
        b"{\"Data\": {\"events\": 42}}",
        b"{\"Data\": {\"a\": \"x\", \"b\": \"y\"}}",
        b"",
    ] {
        let r = handler.invoke(body.to_vec()).await;
        assert_eq!(r.status, 400, "{:?}", String::from_utf8_lossy(body));
        assert!(
            r.body["Error"]
                .as_str()
                .unwrap()
                .starts_with("not an Event Hub invocation")
        );
    }
    let r = one_event(&handler, envelope(&[signin("SignInLogs", 1, "0")])).await;
    assert_eq!(r.count("delivered"), 1);
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_and_the_server_keeps_serving() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("MAX_BODY_BYTES", "100000")]).await;
    let records: Vec<Value> = (0..200).map(|i| signin("SignInLogs", i, "0")).collect();
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&records)], 1))
        .await;
    assert_eq!(r.status, 413);
    assert!(r.body["Error"].as_str().unwrap().contains("MAX_BODY_BYTES"));
    assert!(ingress.entries().is_empty());
    one_event(&handler, envelope(&records[..5])).await;
    assert_eq!(ingress.entries().len(), 5);
}

#[tokio::test]
async fn a_base64_event_holding_a_control_byte_is_its_text_and_spoils_no_other_event() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let good = envelope(&[signin("SignInLogs", 1, "0"), signin("SignInLogs", 2, "0")]);
    let spoiled = envelope(&[signin("SignInLogs", 3, "0")]);
    let mut request = host_request(Shape::ManyBinary, &[spoiled.clone(), good], 1);
    // A raw control byte inside the first event's base64: JSON forbids it in a string, so a
    // strict reader would refuse the whole request and the host would retry it for ever.
    let b64 = BASE64.encode(&spoiled);
    let at = request
        .windows(b64.len())
        .position(|w| w == b64.as_bytes())
        .expect("the event's base64 is in the request")
        + 8;
    request.insert(at, 0x01);
    let r = handler.invoke(request).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.assert_balanced();
    assert_eq!((r.count("events"), r.count("unparsed")), (2, 1));
    let entries = ingress.entries();
    let unparsed: Vec<_> = entries
        .iter()
        .filter(|e| e["subsystemName"] == "Unparsed")
        .collect();
    let mut text = b64.clone();
    text.insert(8, '\u{1}');
    assert_eq!(unparsed.len(), 1);
    assert_eq!(unparsed[0]["text"], text);
    let shipped: Vec<_> = entries
        .into_iter()
        .filter(|e| e["subsystemName"] != "Unparsed")
        .collect();
    assert_exactly_once(&shipped, ["signin-1".to_string(), "signin-2".to_string()]);
}
