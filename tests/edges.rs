//! Nothing lost at the edges, through the real server: a bad record among good ones, arrays
//! of envelopes, a bad body in a dataType-unset batch, padding and stray bytes, times that are
//! not times, numbers beyond f64, old records, retry floods, refused certificates and the key
//! echoed back in every form.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// About 1 MB of sign-ins: `n` records of ~2.5 KB.
fn big_envelope_texts(n: usize, first: usize) -> Vec<String> {
    (first..first + n)
        .map(|i| {
            let mut r = signin("SignInLogs", i, "0");
            r["properties"]["appliedConditionalAccessPolicies"] = json!(
                (0..26)
                    .map(|p| json!({"id": format!("policy-{p}"), "displayName": "Require MFA", "result": "success"}))
                    .collect::<Vec<_>>()
            );
            r.to_string()
        })
        .collect()
}

fn join_envelope(texts: &[String]) -> Vec<u8> {
    format!("{{\"records\":[{}]}}", texts.join(",")).into_bytes()
}

fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("signin-{i}")).collect()
}

async fn invoke(handler: &Handler, bodies: &[Vec<u8>]) -> HostResponse {
    let r = handler
        .invoke(host_request(Shape::ManyBinary, bodies, 1))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.assert_balanced();
    r
}

fn unparsed(entries: &[Value]) -> Vec<&Value> {
    entries
        .iter()
        .filter(|e| e["subsystemName"] == "Unparsed")
        .collect()
}

#[tokio::test]
async fn a_bad_record_in_a_1_mb_event_of_400_keeps_its_399_neighbours() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("DELIVERY_TIMEOUT_SECONDS", "60")]).await;
    for poison in ["NaN", "Infinity", "-Infinity", "\u{1}"] {
        ingress.clear();
        let mut texts = big_envelope_texts(400, 0);
        texts[123] =
            texts[123].replacen("\"durationMs\":0", &format!("\"durationMs\":{poison}"), 1);
        let body = join_envelope(&texts);
        assert!(body.len() > 900_000, "{}", body.len());
        let r = invoke(&handler, &[body]).await;
        assert_eq!(
            (r.count("records"), r.count("unparsed")),
            (400, 1),
            "{poison}"
        );
        let entries = ingress.entries();
        let good: Vec<String> = ids(0..400)
            .into_iter()
            .filter(|id| id != "signin-123")
            .collect();
        let json_entries: Vec<Value> = entries
            .iter()
            .filter(|e| e["subsystemName"] != "Unparsed")
            .cloned()
            .collect();
        assert_exactly_once(&json_entries, good);
        let bad = unparsed(&entries);
        assert_eq!(bad.len(), 1);
        assert_eq!(
            bad[0]["text"], texts[123],
            "the bad record alone, unchanged"
        );
    }
}

#[tokio::test]
async fn padding_and_stray_bytes_after_the_body_spoil_nothing() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("DELIVERY_TIMEOUT_SECONDS", "60")]).await;
    let texts = big_envelope_texts(400, 0);
    let mut padded = join_envelope(&texts);
    padded.extend_from_slice(b"\0\0\0\n");
    let r = invoke(&handler, &[padded]).await;
    assert_eq!(
        (
            r.count("records"),
            r.count("unparsed"),
            r.count("nul_bytes")
        ),
        (400, 0, 3)
    );
    assert_exactly_once(&ingress.entries(), ids(0..400));

    ingress.clear();
    let mut stray = join_envelope(&texts);
    stray.extend_from_slice(b"}\x07garbage");
    let r = invoke(&handler, &[stray]).await;
    assert_eq!((r.count("records"), r.count("unparsed")), (401, 1));
    let entries = ingress.entries();
    assert_eq!(unparsed(&entries)[0]["text"], "}\u{7}garbage");
}

#[tokio::test]
async fn arrays_and_lines_of_envelopes_are_split_into_their_records() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let a: Vec<Value> = (0..3).map(|i| signin("SignInLogs", i, "0")).collect();
    let b: Vec<Value> = (3..5).map(|i| signin("AuditLogs", i, "0")).collect();
    let array = serde_json::to_vec(&json!([{"records": a}, {"records": b}])).unwrap();
    let r = invoke(&handler, &[array]).await;
    assert_eq!(r.count("records"), 5);
    assert_exactly_once(&ingress.entries(), ids(0..5));

    ingress.clear();
    // The same, with one bad record in the first envelope.
    let mut texts: Vec<String> = a.iter().map(Value::to_string).collect();
    texts[1] = texts[1].replacen("\"durationMs\":0", "\"durationMs\":NaN", 1);
    let body = format!(
        "[{{\"records\":[{}]}},{{\"records\":[{},{}]}}]",
        texts.join(","),
        b[0],
        b[1]
    );
    let r = invoke(&handler, &[body.into_bytes()]).await;
    assert_eq!((r.count("records"), r.count("unparsed")), (5, 1));
    let entries = ingress.entries();
    let good: Vec<Value> = entries
        .iter()
        .filter(|e| e["subsystemName"] != "Unparsed")
        .cloned()
        .collect();
    assert_exactly_once(
        &good,
        ["signin-0", "signin-2", "signin-3", "signin-4"].map(String::from),
    );
}

/// A dataType-unset batch as the host sends it, with one body its JSON library accepts and
/// serde_json does not (the host reads and writes NaN).
fn unset_batch_with_nan() -> Vec<u8> {
    let first = json!({"records": [signin("SignInLogs", 0, "0")]});
    let third = json!({"records": [signin("SignInLogs", 2, "0")]});
    let bad = signin("SignInLogs", 1, "0").to_string().replacen(
        "\"durationMs\":0",
        "\"durationMs\":NaN",
        1,
    );
    let events = format!("[{first},{{\"records\":[{bad}]}},{third}]");
    let partition = json!({"PartitionId": "0"});
    serde_json::to_vec(&json!({
        "Data": {"events": events},
        "Metadata": {"TriggerPartitionContext": partition, "SequenceNumberArray": "[1,2,3]"}
    }))
    .unwrap()
}

#[tokio::test]
async fn with_data_type_unset_one_bad_body_keeps_the_others_apart() {
    let ingress = Ingress::start(KEY).await;
    let unset = TriggerShape {
        many: true,
        data_type: DataType::Unset,
    };
    for declared in [None, Some(unset)] {
        ingress.clear();
        let handler = Handler::start_declared(&ingress, &[], declared).await;
        let r = handler.invoke(unset_batch_with_nan()).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(
            (r.count("events"), r.count("records"), r.count("unparsed")),
            (3, 3, 1),
            "{declared:?}"
        );
        let entries = ingress.entries();
        let good: Vec<Value> = entries
            .iter()
            .filter(|e| e["subsystemName"] != "Unparsed")
            .cloned()
            .collect();
        assert_exactly_once(&good, ids(0..3).into_iter().filter(|i| i != "signin-1"));
        // The bad body's record keeps its event's id: partition 0, sequence number 2.
        assert_eq!(unparsed(&entries)[0]["threadId"], "eh:0:2:0");
    }
}

#[tokio::test]
async fn declared_string_events_that_look_like_base64_stay_text() {
    let ingress = Ingress::start(KEY).await;
    let declared = TriggerShape {
        many: true,
        data_type: DataType::String,
    };
    let handler = Handler::start_declared(&ingress, &[], Some(declared)).await;
    let bodies = [b"null".to_vec(), b"abcd".to_vec()];
    let r = handler
        .invoke(host_request(Shape::ManyString, &bodies, 1))
        .await;
    assert_eq!(r.status, 200);
    let texts: Vec<Value> = ingress
        .entries()
        .iter()
        .map(|e| e["text"].clone())
        .collect();
    assert_eq!(texts, [json!("null"), json!("abcd")]);
}

#[tokio::test]
async fn times_that_are_not_times_fall_through_and_are_counted() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let records = [
        json!({"category": "AuditLogs", "time": "2263-01-01T00:00:00Z",
            "properties": {"id": "a", "activityDateTime": "2026-11-02T09:00:00Z"}}),
        json!({"category": "AuditLogs", "time": "1969-12-31T23:59:59Z", "properties": {"id": "b"}}),
        json!({"category": "AuditLogs", "time": "8/22/2026 6:11:52 PM +02:00", "properties": {"id": "c"}}),
        json!({"category": "AuditLogs", "time": "22.08.2026 18:11", "properties": {"id": "d"}}),
    ];
    let r = invoke(&handler, &[envelope(&records)]).await;
    assert_eq!(r.count("untimed"), 2);
    let e = ingress.entries();
    let time = |id: &str| {
        e.iter()
            .find(|e| e["text"]["properties"]["id"] == id)
            .unwrap()["timestamp"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        time("a"),
        1_793_610_000_000,
        "the next source, not year 2262"
    );
    assert_eq!(
        time("b"),
        1_793_613_601_007,
        "the enqueued time, not a negative one"
    );
    assert_eq!(time("c"), 1_787_415_112_000);
    assert_eq!(time("d"), 1_793_613_601_007);
}

#[tokio::test]
async fn a_number_beyond_f64_does_not_cost_a_record_its_meaning() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[]).await;
    let text = r#"{"durationMs":1e400,"time":"2026-11-02T08:00:00Z","category":"SignInLogs","Level":2,"resultType":"50126","tenantId":"T1","properties":{"big":-1e400,"id":"x"}}"#;
    let body = format!("{{\"records\":[{text}]}}");
    let r = invoke(&handler, &[body.into_bytes()]).await;
    // The fake ingress, like many JSON parsers, refuses 1e400 in an object: the entry goes
    // again with the record as a string, which it takes.
    assert_eq!((r.count("delivered"), r.count("as_text")), (1, 1));
    let e = &ingress.entries()[0];
    assert_eq!(e["text"], text);
    assert_eq!(e["subsystemName"], "SignInLogs");
    assert_eq!(e["severity"], 5);
    assert_eq!(e["computerName"], "t1");
    assert_eq!(e["threadId"], "SignInLogs:x");
    assert_eq!(e["timestamp"], 1_793_606_400_000i64);
}

#[tokio::test]
async fn records_older_than_coralogix_keeps_are_restamped_and_counted() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("RESTAMP_OLD_RECORDS", "true")]).await;
    let now = chrono::Utc::now();
    let old = (now - chrono::Duration::days(3)).to_rfc3339();
    let fresh = (now - chrono::Duration::hours(1)).to_rfc3339();
    let records = [
        json!({"category": "AuditLogs", "time": old, "properties": {"id": "old"}}),
        json!({"category": "AuditLogs", "time": fresh, "properties": {"id": "fresh"}}),
    ];
    let r = invoke(&handler, &[envelope(&records)]).await;
    assert_eq!(r.count("restamped"), 1);
    let e = ingress.entries();
    let stamp = |i: usize| e[i]["timestamp"].as_i64().unwrap();
    assert!(
        (stamp(0) - now.timestamp_millis()).abs() < 60_000,
        "sent as now"
    );
    assert_eq!(e[0]["text"]["time"], old, "the record keeps its own time");
    assert_eq!(
        stamp(1),
        chrono::DateTime::parse_from_rfc3339(&fresh)
            .unwrap()
            .timestamp_millis()
    );
}

#[tokio::test]
async fn retry_after_zero_or_in_the_past_does_not_make_a_flood() {
    for after in ["0", "Wed, 21 Oct 2015 07:28:00 GMT"] {
        let ingress = Ingress::start(KEY).await;
        let handler = Handler::start(
            &ingress,
            &[
                ("RETRY_MIN_DELAY_MS", "100"),
                ("RETRY_MAX_DELAY_MS", "400"),
                ("DELIVERY_TIMEOUT_SECONDS", "2"),
            ],
        )
        .await;
        ingress.always(Some(Fault::RetryAfter(429, after.into())));
        let r = handler
            .invoke(host_request(
                Shape::ManyBinary,
                &[envelope(&[signin("SignInLogs", 1, "0")])],
                1,
            ))
            .await;
        assert_eq!(r.status, 502);
        let posts = ingress.seen().len();
        // 100 ms doubling to 400 ms in 2 s: under a dozen, not thousands.
        assert!(
            (3..=15).contains(&posts),
            "{posts} requests with Retry-After {after:?}"
        );
    }
}

#[tokio::test]
async fn a_refused_certificate_fails_at_once() {
    let ingress = Ingress::start(KEY).await;
    // Its self-signed certificate is not trusted: no EXTRA_CA_CERTS.
    let tls = Ingress::start_tls(KEY).await;
    let endpoint = tls.url();
    let handler = Handler::start(
        &ingress,
        &[
            ("CORALOGIX_ENDPOINT", &endpoint),
            ("DELIVERY_TIMEOUT_SECONDS", "60"),
        ],
    )
    .await;
    let started = Instant::now();
    let r = handler
        .invoke(host_request(
            Shape::ManyBinary,
            &[envelope(&[signin("SignInLogs", 1, "0")])],
            1,
        ))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not retried for the budget"
    );
    assert_eq!(r.status, 502);
    let error = r.body["Error"].as_str().unwrap();
    assert!(error.contains("certificate"), "{error}");
    assert!(error.contains("CORALOGIX_ENDPOINT"), "{error}");
    assert_eq!(r.count("requests"), 1);
}

/// A key with characters that JSON, URLs and HTML escape.
const ODD_KEY: &str = r#"cxtp_Odd"Key\With/Slash+Plus&Amp_0123456789"#;

#[tokio::test]
async fn the_key_echoed_back_in_any_form_never_shows() {
    let echoes = [
        format!("{}{ODD_KEY}", "x".repeat(268)),
        serde_json::to_string(&json!({"error": format!("bad key {ODD_KEY}")})).unwrap(),
        serde_json::to_string(ODD_KEY).unwrap().replace('/', "\\/"),
        format!(
            "key={}",
            ODD_KEY
                .bytes()
                .map(|b| if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                })
                .collect::<String>()
        ),
        format!(
            "<p>{}</p>",
            ODD_KEY.replace('&', "&amp;").replace('"', "&quot;")
        ),
        format!("the key starting {} is unknown", &ODD_KEY[..20]),
    ];
    for echo in echoes {
        let ingress = Ingress::start("cxtp_another_key").await;
        ingress.always(Some(Fault::StatusBody(401, echo.clone())));
        let handler = Handler::start(&ingress, &[("CORALOGIX_PRIVATE_KEY", ODD_KEY)]).await;
        let r = handler
            .invoke(host_request(
                Shape::ManyBinary,
                &[envelope(&[signin("SignInLogs", 1, "0")])],
                1,
            ))
            .await;
        assert_eq!(r.status, 502);
        let answer = r.body.to_string();
        let decoded = answer.replace("\\\\", "\\").replace("\\\"", "\"");
        for piece in ODD_KEY.as_bytes().windows(12) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(
                !answer.contains(piece) && !decoded.contains(piece),
                "{piece:?} of the key shows for the echo {echo:?}: {answer}"
            );
        }
    }
}

#[tokio::test]
async fn a_huge_error_answer_is_not_read_whole() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // An endpoint that answers 500 with a 200 MB body and counts what it could write.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let w = std::sync::Arc::clone(&written);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let w = std::sync::Arc::clone(&w);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let _ = stream.read(&mut buf).await;
                let head =
                    "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 200000000\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 64 * 1024];
                for _ in 0..(200_000_000 / chunk.len()) {
                    if stream.write_all(&chunk).await.is_err() {
                        return;
                    }
                    w.fetch_add(chunk.len(), std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    let ingress = Ingress::start(KEY).await;
    let endpoint = format!("http://127.0.0.1:{port}");
    let handler = Handler::start(
        &ingress,
        &[
            ("CORALOGIX_ENDPOINT", &endpoint),
            ("DELIVERY_TIMEOUT_SECONDS", "1"),
            ("RETRY_MIN_DELAY_MS", "400"),
            ("RETRY_MAX_DELAY_MS", "400"),
        ],
    )
    .await;
    let r = handler
        .invoke(host_request(
            Shape::ManyBinary,
            &[envelope(&[signin("SignInLogs", 1, "0")])],
            1,
        ))
        .await;
    assert_eq!(r.status, 502);
    let error = r.body["Error"].as_str().unwrap();
    assert!(error.contains("HTTP 500"), "{error}");
    assert!(
        error.len() < 1000,
        "the quote is cut: {} bytes",
        error.len()
    );
    // What the kernel's socket buffers took, not the 200 MB per attempt.
    let sent = written.load(std::sync::atomic::Ordering::SeqCst);
    assert!(sent < 40_000_000, "{sent} bytes of error answers were read");
}
