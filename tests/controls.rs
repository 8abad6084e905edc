//! The operator controls end to end, through the real server and real HTTP: name selectors
//! (the incumbent Coralogix function's syntax), `BLOCKING_PATTERN`, `FILTER_RULES` and
//! `INCLUDE_METADATA`; and refusals at start, through the real binary. (The incumbent's own
//! settings, alone: `tests/migration.rs`.)

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{Value, json};

/// A `key=value` text field of the summary line ("" when absent).
fn field(r: &HostResponse, key: &str) -> String {
    let logs = r.logs();
    logs.first()
        .expect("a summary line")
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or("")
        .to_owned()
}

fn ids(entries: &[Value]) -> BTreeSet<String> {
    entries
        .iter()
        .map(|e| e["text"]["properties"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn with_app(mut record: Value, app_id: &str, app_name: &str) -> Value {
    record["properties"]["appId"] = json!(app_id);
    record["properties"]["appDisplayName"] = json!(app_name);
    record
}

/// The real binary with `env` (and a port), which must refuse to start with one line naming
/// `setting`.
fn assert_refused(env: &[(&str, &str)], setting: &str, also: &str) {
    let port = free_port().to_string();
    let mut all = vec![
        ("CORALOGIX_PRIVATE_KEY", KEY),
        ("CORALOGIX_REGION", "EU1"),
        ("FUNCTIONS_CUSTOMHANDLER_PORT", port.as_str()),
    ];
    all.extend_from_slice(env);
    let out = run_binary(&[], &all, b"");
    assert!(!out.status.success(), "{setting}: should not start");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{setting}: one line expected, got {stderr:?}"
    );
    assert!(
        lines[0].contains(&format!("{setting}: ")),
        "{setting}: {stderr:?}"
    );
    assert!(lines[0].contains(also), "{also:?} not in {stderr:?}");
}

#[tokio::test]
async fn selectors_name_entries_as_the_incumbent_does_and_fallbacks_are_counted() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(
        &ingress,
        &[
            ("CORALOGIX_APPLICATION", "entra"),
            (
                "CORALOGIX_APPLICATION_SELECTOR",
                "{{ $.properties.appDisplayName || $.properties.appId }}",
            ),
            (
                "CORALOGIX_SUBSYSTEM_SELECTOR",
                "{{ $.properties.userPrincipalName | r'@([^.]+)' }}",
            ),
        ],
    )
    .await;
    let mut nameless = signin("SignInLogs", 3, "0");
    let props = nameless["properties"].as_object_mut().unwrap();
    props.remove("appDisplayName");
    props.remove("userPrincipalName");
    let records = [
        with_app(signin("SignInLogs", 1, "0"), "app-1", "Teams"),
        with_app(signin("SignInLogs", 2, "0"), "app-2", ""),
        nameless,
    ];
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&records)], 1))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.assert_balanced();
    let entries = ingress.entries();
    let names: Vec<(String, String)> = ids(&entries)
        .into_iter()
        .map(|id| {
            let e = entries
                .iter()
                .find(|e| e["text"]["properties"]["id"] == id.as_str())
                .unwrap();
            (
                e["applicationName"].as_str().unwrap().to_owned(),
                e["subsystemName"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("Teams".to_owned(), "contoso".to_owned()),
            // An empty display name falls through to the next path.
            ("app-2".to_owned(), "contoso".to_owned()),
            // Nothing found: the defaults (the application setting, the category).
            ("entra".to_owned(), "SignInLogs".to_owned()),
        ]
    );
    assert_eq!(
        field(&r, "selector_fallback"),
        "application:1,subsystem:1",
        "{:?}",
        r.logs()
    );
}

#[tokio::test]
async fn a_regex_selector_reads_the_record_text() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(
        &ingress,
        &[("CORALOGIX_SUBSYSTEM_SELECTOR", r#"/"location":"([A-Z]+)"/"#)],
    )
    .await;
    let r = handler
        .invoke(host_request(
            Shape::ManyString,
            &[envelope(&[signin("SignInLogs", 1, "0")])],
            1,
        ))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(ingress.entries()[0]["subsystemName"], "NL");
    assert_eq!(field(&r, "selector_fallback"), "");
}

#[tokio::test]
async fn blocking_pattern_drops_matching_records_and_counts_them() {
    let ingress = Ingress::start(KEY).await;
    // Tested on the compact JSON, as the incumbent tests JSON.stringify of the record.
    let handler = Handler::start(
        &ingress,
        &[("BLOCKING_PATTERN", r#""appId":"(bad|worse)""#)],
    )
    .await;
    let records = [
        with_app(signin("SignInLogs", 1, "0"), "good", "A"),
        with_app(signin("SignInLogs", 2, "0"), "bad", "B"),
        with_app(signin("AuditLogs", 3, "0"), "worse", "C"),
    ];
    // Pretty-printed records: the pattern still sees `"appId":"bad"`.
    let body = serde_json::to_vec_pretty(&json!({ "records": records })).unwrap();
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[body], 1))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.assert_balanced();
    assert_eq!((r.count("delivered"), r.count("dropped")), (1, 2));
    assert_eq!(field(&r, "dropped_by"), "blocking_pattern:2");
    assert_eq!(
        ids(&ingress.entries()),
        BTreeSet::from(["signin-1".to_owned()])
    );
}

#[tokio::test]
async fn filter_rules_drop_keep_and_sample_deterministically_counted_per_rule() {
    let ingress = Ingress::start(KEY).await;
    let rules = "keep appId=vip; \
                 drop category=NonInteractiveUserSignInLogs result=success appId=noisy-1,noisy-2; \
                 sample 10% category=ServicePrincipalSignInLogs result=success";
    let handler = Handler::start(&ingress, &[("FILTER_RULES", rules)]).await;
    let mut records = Vec::new();
    // Rule 2: successful non-interactive sign-ins of two apps; a failure and another app stay.
    for i in 0..10 {
        records.push(with_app(
            signin("NonInteractiveUserSignInLogs", i, "0"),
            "noisy-1",
            "N",
        ));
    }
    records.push(with_app(
        signin("NonInteractiveUserSignInLogs", 10, "50126"),
        "noisy-2",
        "N",
    ));
    records.push(with_app(
        signin("NonInteractiveUserSignInLogs", 11, "0"),
        "other",
        "O",
    ));
    // Rule 1 wins over rule 2.
    records.push(with_app(
        signin("NonInteractiveUserSignInLogs", 12, "0"),
        "vip",
        "V",
    ));
    // Rule 3: 10% of 400 successful service-principal sign-ins; failures all stay.
    for i in 100..500 {
        records.push(signin("ServicePrincipalSignInLogs", i, "0"));
    }
    records.push(signin("ServicePrincipalSignInLogs", 500, "7000215"));
    let batch = host_request(Shape::ManyBinary, &[envelope(&records)], 1);
    let r = handler.invoke(batch.clone()).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.assert_balanced();
    let first = ids(&ingress.entries());
    for kept in ["signin-10", "signin-11", "signin-12", "signin-500"] {
        assert!(first.contains(kept), "{kept} was dropped");
    }
    let sampled = (100..500)
        .filter(|i| first.contains(&format!("signin-{i}")))
        .count();
    assert!((20..=60).contains(&sampled), "{sampled} of 400 kept at 10%");
    assert_eq!(
        field(&r, "dropped_by"),
        format!("rule2:10,rule3:{}", 400 - sampled)
    );
    assert_eq!(r.count("dropped"), 10 + 400 - sampled);

    // The same batch delivered again makes the same decisions.
    ingress.clear();
    let again = handler.invoke(batch).await;
    assert_eq!(again.status, 200);
    assert_eq!(ids(&ingress.entries()), first);
    assert_eq!(field(&again, "dropped_by"), field(&r, "dropped_by"));
}

#[tokio::test]
async fn text_records_meet_the_controls_too() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(
        &ingress,
        &[
            ("BLOCKING_PATTERN", "^heartbeat"),
            ("FILTER_RULES", "drop category=Unparsed appId!=x"),
        ],
    )
    .await;
    let r = handler
        .invoke(host_request(
            Shape::ManyString,
            &[b"heartbeat ok".to_vec(), b"some other line".to_vec()],
            1,
        ))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.assert_balanced();
    assert_eq!(field(&r, "dropped_by"), "blocking_pattern:1,rule1:1");
    assert!(ingress.entries().is_empty());
}

#[tokio::test]
async fn include_metadata_adds_the_event_hub_metadata_under_one_key() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(
        &ingress,
        &[("INCLUDE_METADATA", "true"), ("MAX_ENTRY_BYTES", "16384")],
    )
    .await;
    let mut big = signin("AuditLogs", 2, "0");
    big["properties"]["blob"] = json!("x".repeat(40_000));
    let bodies = [envelope(&[signin("SignInLogs", 1, "0")]), envelope(&[big])];
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &bodies, 7))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.assert_balanced();
    let entries = ingress.entries();
    let small = entries
        .iter()
        .find(|e| e["text"]["properties"]["id"] == "signin-1")
        .expect("the small record");
    let f = &small["text"]["_forwarder"];
    assert_eq!(f["namespace"], "entra-test.servicebus.windows.net");
    assert_eq!(f["eventHub"], "entra-logs");
    assert_eq!(f["consumerGroup"], "coralogix");
    assert_eq!(f["partition"], "0");
    assert_eq!(f["sequenceNumber"], 7);
    assert_eq!(f["offset"], "7000");
    assert_eq!(f["enqueuedTime"], "2026-11-02T10:00:07.049Z");
    // Enqueued 10:00:07.049, the record's own time 08:00:01.1234567.
    assert_eq!(f["ingestionLagMs"], 7_205_925);
    // The record itself is unchanged besides the key.
    assert_eq!(
        small["text"]["properties"]["userPrincipalName"],
        "avery@contoso.example"
    );

    // The large record went in parts; put back together, it is the record with the key.
    let mut parts: Vec<&Value> = entries
        .iter()
        .filter(|e| e["text"]["parts"].is_number())
        .collect();
    assert!(parts.len() > 1, "the large record goes in parts");
    parts.sort_by_key(|e| e["text"]["part"].as_u64());
    let joined: String = parts
        .iter()
        .map(|e| e["text"]["data"].as_str().unwrap())
        .collect();
    let record: Value = serde_json::from_str(&joined).expect("the parts make valid JSON");
    assert_eq!(record["_forwarder"]["sequenceNumber"], 8);
    assert_eq!(record["properties"]["id"], "signin-2");
}

#[tokio::test]
async fn without_include_metadata_the_text_is_the_record() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("INCLUDE_METADATA", "false")]).await;
    let record = signin("SignInLogs", 1, "0");
    let r = handler
        .invoke(host_request(
            Shape::ManyBinary,
            &[envelope(std::slice::from_ref(&record))],
            1,
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(ingress.entries()[0]["text"], record);
    assert_eq!(field(&r, "dropped_by"), "");
}

#[test]
fn unusable_controls_are_refused_at_start_with_one_line_naming_them() {
    assert_refused(
        &[("CORALOGIX_SUBSYSTEM_SELECTOR", "{{ $.category")],
        "CORALOGIX_SUBSYSTEM_SELECTOR",
        "template",
    );
    assert_refused(
        &[("CORALOGIX_APPLICATION_SELECTOR", "/(?<=x)y/")],
        "CORALOGIX_APPLICATION_SELECTOR",
        "regex",
    );
    assert_refused(
        &[("BLOCKING_PATTERN", "(unclosed")],
        "BLOCKING_PATTERN",
        "regex",
    );
    assert_refused(
        &[("BLOCKING_PATTERN", r"(\w{500}){500}")],
        "BLOCKING_PATTERN",
        "simplify",
    );
    assert_refused(
        &[(
            "FILTER_RULES",
            "drop category=AuditLogs; sample ten% appId=x",
        )],
        "FILTER_RULES",
        "sample ten% appId=x",
    );
    assert_refused(
        &[("FILTER_RULES", "drop category=SignInLog")],
        "FILTER_RULES",
        "did you mean SignInLogs",
    );
    assert_refused(
        &[("INCLUDE_METADATA", "maybe")],
        "INCLUDE_METADATA",
        "true or false",
    );
}

#[tokio::test]
async fn the_category_drop_rules_are_counted_by_name_beside_the_filter_rules() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(
        &ingress,
        &[
            ("DROP_CATEGORIES", "ManagedIdentitySignInLogs"),
            ("DROP_SUCCESSFUL_CATEGORIES", "NonInteractiveUserSignInLogs"),
            ("FILTER_RULES", "drop category=ServicePrincipalSignInLogs"),
        ],
    )
    .await;
    let records = vec![
        signin("ManagedIdentitySignInLogs", 1, "0"),
        signin("ManagedIdentitySignInLogs", 2, "50126"),
        signin("NonInteractiveUserSignInLogs", 3, "0"),
        signin("NonInteractiveUserSignInLogs", 4, "50126"),
        signin("ServicePrincipalSignInLogs", 5, "0"),
        signin("SignInLogs", 6, "0"),
    ];
    let r = handler
        .invoke(host_request(Shape::ManyBinary, &[envelope(&records)], 1))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.assert_balanced();
    assert_eq!(r.count("dropped"), 4);
    assert_eq!(
        field(&r, "dropped_by"),
        "drop_categories:2,drop_successful_categories:1,rule1:1"
    );
    assert_eq!(
        ids(&ingress.entries()),
        BTreeSet::from(["signin-4".to_owned(), "signin-6".to_owned()])
    );
}
