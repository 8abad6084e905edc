//! Moving from the Coralogix Event Hub function: the real binary, started with only the app
//! settings that function uses (README, "Migrating from the Coralogix Event Hub function"),
//! delivers through real HTTP, named and filtered as those settings say.

mod common;

use std::collections::BTreeSet;

use common::ingress::check_entry;
use common::served::invoke;
use common::*;
use serde_json::json;

/// A user's app settings carried over from the Coralogix Event Hub function (v3, as its ARM
/// template writes them), and nothing else: the real binary starts, and entries arrive named
/// and filtered as those settings say.
#[tokio::test(flavor = "multi_thread")]
async fn the_incumbent_functions_settings_alone_work_end_to_end() {
    let ingress = Ingress::start(KEY).await;
    // The incumbent's OTLP endpoint setting; here the fake ingress on loopback.
    let url = ingress.url();
    let served = tokio::task::spawn_blocking(move || {
        Served::start(&[
            ("CORALOGIX_PRIVATE_KEY", KEY),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &url),
            ("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer cxtp_TestKey_0123456789abcdef"),
            ("CORALOGIX_APPLICATION", "azure"),
            ("CORALOGIX_SUBSYSTEM", "entra-other"),
            // The portal writes empty strings for parameters left empty.
            ("CORALOGIX_APPLICATION_SELECTOR", ""),
            ("CORALOGIX_SUBSYSTEM_SELECTOR", "{{ $.category || $.properties.category }}"),
            ("BLOCKING_PATTERN", "healthcheck-app"),
            ("NEWLINE_PATTERN", "\\n"),
            ("INCLUDE_METADATA", "true"),
            ("FUNCTION_APP_NAME", "coralogix-eventhub-func-abc"),
            (
                "EVENTHUB_CONNECT_STRING",
                "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=r;SharedAccessKey=k;EntityPath=entra",
            ),
            ("EVENTHUB_INSTANCE_NAME", "entra"),
            ("EVENTHUB_CONSUMER_GROUP", "$Default"),
        ])
    })
    .await
    .unwrap();
    let mut uncategorized = signin("SignInLogs", 3, "0");
    uncategorized.as_object_mut().unwrap().remove("category");
    let records = [
        signin("SignInLogs", 1, "0"),
        {
            let mut r = signin("SignInLogs", 2, "0");
            r["properties"]["appDisplayName"] = json!("healthcheck-app");
            r
        },
        uncategorized,
        signin("AuditLogs", 4, "0"),
    ];
    let body = host_request(Shape::ManyBinary, &[envelope(&records)], 5);
    let (served, status, answer) = invoke(served, body).await;
    assert_eq!(status, 200, "{answer}");
    let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || served.stop())
        .await
        .unwrap();
    assert!(ok && stderr.is_empty(), "{stderr}");
    let summary = stdout
        .lines()
        .find(|l| l.contains("invocation finished") || l.contains("records="))
        .unwrap_or_default()
        .to_owned();
    assert!(
        summary.contains("dropped_by=blocking_pattern:1"),
        "{stdout}"
    );
    assert!(
        summary.contains("selector_fallback=subsystem:1"),
        "{stdout}"
    );

    let entries = ingress.entries();
    let got: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["text"]["properties"]["id"].as_str().unwrap().to_owned(),
                e["applicationName"].as_str().unwrap().to_owned(),
                e["subsystemName"].as_str().unwrap().to_owned(),
            )
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let want = [
        ("signin-1", "azure", "SignInLogs"),
        // No category: the selector gives nothing, so CORALOGIX_SUBSYSTEM names it.
        ("signin-3", "azure", "entra-other"),
        ("signin-4", "azure", "AuditLogs"),
    ]
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
    assert_eq!(got, want);
    for e in &entries {
        assert_eq!(e["text"]["_forwarder"]["sequenceNumber"], 5, "{e}");
        check_entry(e).unwrap();
    }
}
