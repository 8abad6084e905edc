//! Privacy masking end to end: realistic Entra records in, through the real server and real
//! HTTP, and no masked value in anything the fake ingress receives, in any field or nesting,
//! nor in a dead-letter blob.

mod common;

use common::*;
use serde_json::{Value, json};

/// Every personal value the records below hold.
const PERSONAL: &[&str] = &[
    "avery@contoso.example",
    "Avery@Contoso.example",
    "blake@contoso.example",
    "carol_fabrikam.com#EXT#@contoso.onmicrosoft.com",
    "203.0.113.24",
    "198.51.100.7",
    "2001:db8:85a3::8a2e:370:7334",
    "Avery Example",
];

const MASKING: &[(&str, &str)] = &[
    (
        "MASK_FIELDS",
        "identity, userDisplayName, initiatedBy.user.displayName, targetResources[].displayName",
    ),
    ("MASK_VALUES", "ip,email"),
];

fn example_records() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/entra-batch.json");
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["records"].as_array().unwrap().clone()
}

/// An audit record with personal data in every place Entra puts it: nested objects, arrays,
/// additionalDetails values and a modified property holding JSON text.
fn audit_record() -> Value {
    let new_value =
        json!([{"upn": "Avery@Contoso.example", "ip": "2001:db8:85a3::8a2e:370:7334"}]).to_string();
    json!({
        "time": "2026-11-02T08:21:00.0000000Z", "category": "AuditLogs", "operationName": "Update user",
        "tenantId": "8c1b6a7e-3f2d-4c59-9a61-2d4e5f6a7b8c", "callerIpAddress": "198.51.100.7",
        "identity": "Avery Example", "level": "Informational",
        "properties": {
            "id": "Directory_privacy_1", "result": "success", "activityDisplayName": "Update user",
            "initiatedBy": {"user": {"displayName": "Avery Example", "userPrincipalName": "avery@contoso.example", "ipAddress": "198.51.100.7"}},
            "targetResources": [
                {"displayName": "Blake Example", "userPrincipalName": "blake@contoso.example",
                 "modifiedProperties": [{"displayName": "OtherMail", "oldValue": null, "newValue": new_value}]},
                {"userPrincipalName": "carol_fabrikam.com#EXT#@contoso.onmicrosoft.com", "type": "User"}
            ],
            "additionalDetails": [
                {"key": "User-Agent", "value": "Mozilla/5.0 Chrome/131.0.0.0"},
                {"key": "note", "value": "invited by avery@contoso.example from 203.0.113.24"}
            ]
        }
    })
}

fn assert_no_personal_data(what: &str, text: &str) {
    for value in PERSONAL {
        assert!(!text.contains(value), "{what} holds {value:?}: {text}");
    }
}

#[tokio::test]
async fn no_masked_value_reaches_the_ingress() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, MASKING).await;
    let mut records = example_records();
    records.push(audit_record());
    let n = records.len();
    // A broken record (NaN) goes as Unparsed text: it is masked by pattern.
    let broken = br#"{"records":[{"category":"SignInLogs","durationMs":NaN,"identity":"Avery Example","callerIpAddress":"203.0.113.24","properties":{"userPrincipalName":"avery@contoso.example"}}]}"#;
    let r = handler
        .invoke(host_request(
            Shape::ManyBinary,
            &[envelope(&records), broken.to_vec()],
            1,
        ))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.assert_balanced();
    assert_eq!(r.count("delivered"), n + 1);
    let entries = ingress.entries();
    assert_eq!(entries.len(), n + 1);
    assert_no_personal_data("an entry", &serde_json::to_string(&entries).unwrap());

    // What is not personal is kept, and the masked fields are still there.
    let audit = entries
        .iter()
        .find(|e| e["text"]["properties"]["id"] == "Directory_privacy_1")
        .unwrap();
    let props = &audit["text"]["properties"];
    assert_eq!(audit["text"]["identity"], "[masked]");
    assert_eq!(
        props["initiatedBy"]["user"]["userPrincipalName"],
        "[masked]"
    );
    assert_eq!(props["targetResources"][1]["type"], "User");
    assert_eq!(
        props["additionalDetails"][0]["value"],
        "Mozilla/5.0 Chrome/[masked]"
    );
    assert_eq!(
        props["additionalDetails"][1]["value"],
        "invited by [masked] from [masked]"
    );
    assert_eq!(
        audit["computerName"],
        "8c1b6a7e-3f2d-4c59-9a61-2d4e5f6a7b8c"
    );
    let unparsed = entries
        .iter()
        .find(|e| e["subsystemName"] == "Unparsed")
        .unwrap();
    assert!(
        unparsed["text"]
            .as_str()
            .unwrap()
            .contains("\"identity\":\"[masked]\"")
    );
    // Each masked value is counted.
    assert!(r.count("masked") >= 30, "{:?}", r.logs());
}

#[tokio::test]
async fn without_masking_settings_records_go_unchanged() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let r = handler
        .invoke(host_request(
            Shape::ManyBinary,
            &[envelope(&[audit_record()])],
            1,
        ))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.count("masked"), 0);
    assert_eq!(ingress.entries()[0]["text"], audit_record());
}

#[tokio::test]
async fn pseudonyms_correlate_across_invocations_and_fields() {
    let ingress = Ingress::start(KEY).await;
    let mut env = MASKING.to_vec();
    env.push((
        "PSEUDONYMIZE_KEY",
        "a-test-key-that-is-long-enough-0123456789",
    ));
    let handler = Handler::start(&ingress, &env).await;
    for seq in [1, 2] {
        let r = handler
            .invoke(host_request(
                Shape::ManyBinary,
                &[envelope(&[audit_record()])],
                seq,
            ))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    let entries = ingress.entries();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        entries[0]["text"], entries[1]["text"],
        "the same input gives the same pseudonyms"
    );
    assert_no_personal_data("an entry", &entries[0].to_string());
    let props = &entries[0]["text"]["properties"];
    let upn = props["initiatedBy"]["user"]["userPrincipalName"]
        .as_str()
        .unwrap();
    assert!(upn.starts_with("pii:") && upn.len() == 20, "{upn}");
    // The UPN in another field and another case is the same user.
    let embedded: Value = serde_json::from_str(
        props["targetResources"][0]["modifiedProperties"][0]["newValue"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(embedded[0]["upn"], upn);
    assert_eq!(
        props["additionalDetails"][1]["value"]
            .as_str()
            .unwrap()
            .split(' ')
            .nth(2),
        Some(upn)
    );
    assert_ne!(props["targetResources"][0]["userPrincipalName"], upn);
    assert_eq!(
        props["initiatedBy"]["user"]["ipAddress"],
        entries[0]["text"]["callerIpAddress"]
    );
}

#[tokio::test]
async fn a_record_sent_in_parts_is_masked_first() {
    let ingress = Ingress::start(KEY).await;
    let mut env = MASKING.to_vec();
    env.push(("MAX_ENTRY_BYTES", "16384"));
    let handler = Handler::start(&ingress, &env).await;
    let mut record = audit_record();
    record["properties"]["padding"] = json!("x".repeat(60_000));
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&[record])], 1))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.count("parted"), 1);
    let entries = ingress.entries();
    assert!(entries.len() >= 4);
    let data: String = entries
        .iter()
        .map(|e| e["text"]["data"].as_str().unwrap())
        .collect();
    assert_no_personal_data("the parts", &data);
    let whole: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(whole["identity"], "[masked]");
}

#[tokio::test]
async fn dead_letter_blobs_hold_masked_entries() {
    let ingress = Ingress::start(KEY).await;
    let mut env = MASKING.to_vec();
    env.extend([
        ("DEAD_LETTER_ENABLED", "true"),
        ("DELIVERY_TIMEOUT_SECONDS", "1"),
    ]);
    let handler = Handler::start(&ingress, &env).await;
    ingress.always(Some(Fault::Status(503)));
    let mut records = example_records();
    records.push(audit_record());
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&records)], 1))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.count("dead_lettered"), records.len());
    let blob = String::from_utf8(r.dead_letter_bytes()).unwrap();
    assert!(blob.contains("[masked]"));
    assert_no_personal_data("the dead-letter blob", &blob);
}

#[test]
fn a_short_pseudonymisation_key_is_refused_at_start_without_showing_it() {
    let key = "tiny-secret-key";
    let out = run_binary(
        &["replay", "--dry-run", "/nonexistent"],
        &[("MASK_VALUES", "ip"), ("PSEUDONYMIZE_KEY", key)],
        b"",
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stderr.contains("PSEUDONYMIZE_KEY"), "{stderr}");
    assert!(!stderr.contains(key) && !stdout.contains(key), "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("PSEUDONYMIZE_KEY"))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
}
