use super::*;
use serde_json::{Value, json};

fn b64(s: &str) -> String {
    BASE64.encode_to_string(s)
}

fn request(events: Value, metadata: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"Data": {"events": events}, "Metadata": metadata})).unwrap()
}

fn bodies(inv: &Invocation) -> Vec<String> {
    inv.events
        .iter()
        .map(|e| String::from_utf8(inv.body(e).into_owned()).unwrap())
        .collect()
}

fn batch_metadata() -> Value {
    json!({
        "TriggerPartitionContext": {"FullyQualifiedNamespace": "ns.servicebus.windows.net",
            "EventHubName": "hub", "ConsumerGroup": "$Default", "PartitionId": "3",
            "IsCheckpointingAfterInvocation": true},
        "SequenceNumberArray": "[10,11]",
        "OffsetArray": "[\"4294967296\",\"4294967396\"]",
        "EnqueuedTimeUtcArray": "[\"2025-06-01T12:00:00.123\",\"2025-06-01T12:00:00.456\"]",
        "PartitionKeyArray": "[null,null]",
        "sys": {"MethodName": "EventHubTrigger", "UtcNow": "2025-06-01T12:00:01Z"}
    })
}

#[test]
fn many_binary_double_encoded() {
    let events = json!(serde_json::to_string(&[b64(r#"{"id":1}"#), b64("plain text")]).unwrap());
    let inv = decode(request(events, batch_metadata()), None).unwrap();
    assert_eq!(bodies(&inv), [r#"{"id":1}"#, "plain text"]);
    assert_eq!(inv.partition.partition_id.as_deref(), Some("3"));
    assert_eq!(inv.partition.event_hub.as_deref(), Some("hub"));
    let m = &inv.events[1].meta;
    assert_eq!(m.sequence_number, Some(11));
    assert_eq!(m.offset.as_deref(), Some("4294967396"));
    assert_eq!(
        m.enqueued_time.unwrap().to_rfc3339(),
        "2025-06-01T12:00:00.456+00:00"
    );
}

#[test]
fn many_binary_with_escaped_slashes_takes_the_slow_path() {
    // Some serializers write '/' as "\/"; the result must be the same.
    let body = BASE64.encode_to_string([0xffu8, 0xfe, 0xfd]); // "//79"
    assert!(body.contains('/'));
    let inner = format!("[\"{}\"]", body.replace('/', "\\/"));
    let inv = decode(request(json!(inner), json!({})), None).unwrap();
    assert_eq!(
        inv.body(&inv.events[0]).into_owned(),
        vec![0xff, 0xfe, 0xfd]
    );
}

#[test]
fn many_string_double_encoded() {
    let events = json!(serde_json::to_string(&[r#"{"id":1}"#, "hello"]).unwrap());
    let inv = decode(request(events, batch_metadata()), None).unwrap();
    assert_eq!(bodies(&inv), [r#"{"id":1}"#, "hello"]);
    assert_eq!(inv.events[0].meta.sequence_number, Some(10));
}

#[test]
fn many_unset_double_encoded_parsed_bodies() {
    let events = json!(r#"[{"records":[{"a":1}]},{"id":2}]"#);
    let inv = decode(request(events, batch_metadata()), None).unwrap();
    assert_eq!(bodies(&inv), [r#"{"records":[{"a":1}]}"#, r#"{"id":2}"#]);
}

#[test]
fn already_parsed_array_and_object() {
    let inv = decode(request(json!([{"id": 1}, "aGk="]), json!({})), None).unwrap();
    assert_eq!(bodies(&inv), [r#"{"id":1}"#, "hi"]);
    let inv = decode(request(json!({"id": 1}), json!({})), None).unwrap();
    assert_eq!(bodies(&inv), [r#"{"id":1}"#]);
}

#[test]
fn one_binary_plain_base64_with_single_metadata() {
    let meta = json!({
        "PartitionContext": {"PartitionId": "0"},
        "Offset": "\"4294967296\"", "SequenceNumber": "10",
        "EnqueuedTimeUtc": "2025-06-01T12:00:00",
        "SystemProperties": {"EnqueuedTimeUtc": "2025-06-01T12:00:00.123", "SequenceNumber": 10}
    });
    let inv = decode(request(json!(b64(r#"{"id":1}"#)), meta), None).unwrap();
    assert_eq!(bodies(&inv), [r#"{"id":1}"#]);
    let m = &inv.events[0].meta;
    assert_eq!(m.sequence_number, Some(10));
    assert_eq!(m.offset.as_deref(), Some("4294967296"));
    assert_eq!(m.enqueued_time.unwrap().timestamp_millis() % 1000, 123);
    assert_eq!(inv.partition.partition_id.as_deref(), Some("0"));
}

#[test]
fn one_string_double_encoded() {
    let wire = json!(serde_json::to_string(r#"{"id":1}"#).unwrap());
    let inv = decode(request(wire, json!({"SequenceNumber": "7"})), None).unwrap();
    assert_eq!(bodies(&inv), [r#"{"id":1}"#]);
    assert_eq!(inv.events[0].meta.sequence_number, Some(7));
}

#[test]
fn trigger_under_another_name() {
    let body = serde_json::to_vec(&json!({"Data": {"event": b64("x")}, "Metadata": {}})).unwrap();
    assert_eq!(bodies(&decode(body, None).unwrap()), ["x"]);
}

#[test]
fn retry_context() {
    let meta = json!({"RetryContext": {"RetryCount": 2, "MaxRetryCount": 5, "Exception": null}});
    let inv = decode(request(json!("[]"), meta), None).unwrap();
    assert_eq!(
        inv.retry,
        Some(RetryContext {
            retry_count: 2,
            max_retry_count: 5
        })
    );
    assert!(inv.events.is_empty());
}

#[test]
fn not_the_host_shape() {
    let d = |b: &[u8]| decode(b.to_vec(), None);
    assert!(matches!(d(b"nope"), Err(DecodeError::NotJson(_))));
    assert!(matches!(d(b"{}"), Err(DecodeError::NoData)));
    assert!(matches!(d(b"[1,2]"), Err(DecodeError::NotJson(_))));
    assert!(matches!(
        d(br#"{"Data":{"a":1,"b":2}}"#),
        Err(DecodeError::NoTrigger(_))
    ));
    assert!(matches!(
        d(br#"{"Data":{"events":42}}"#),
        Err(DecodeError::BadTrigger(_))
    ));
}

#[test]
fn derived_samples_decode() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/functions-host-samples/eventhub-derived");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "derived_samples_decode: SKIPPED, {} is not present",
            dir.display()
        );
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("eventhub-") {
            continue;
        }
        let inv = decode(std::fs::read(&path).unwrap(), None).unwrap();
        let want: &[&str] = if name.contains("many") {
            &[r#"{"id":1}"#, r#"{"id":2}"#]
        } else {
            &[r#"{"id":1}"#]
        };
        assert_eq!(bodies(&inv), want, "{name}");
        assert!(inv.events[0].meta.enqueued_time.is_some(), "{name}");
        assert_eq!(inv.events[0].meta.sequence_number, Some(10), "{name}");
    }
}

const MANY_BINARY: TriggerShape = TriggerShape {
    many: true,
    data_type: DataType::Binary,
};
const MANY_STRING: TriggerShape = TriggerShape {
    many: true,
    data_type: DataType::String,
};
const MANY_UNSET: TriggerShape = TriggerShape {
    many: true,
    data_type: DataType::Unset,
};
const ONE_STRING: TriggerShape = TriggerShape {
    many: false,
    data_type: DataType::String,
};
const ONE_BINARY: TriggerShape = TriggerShape {
    many: false,
    data_type: DataType::Binary,
};

#[test]
fn declared_binary_bodies_stay_base64_in_the_request_until_read() {
    let events = json!(serde_json::to_string(&[b64(r#"{"id":1}"#), b64("plain")]).unwrap());
    let inv = decode(request(events, batch_metadata()), Some(MANY_BINARY)).unwrap();
    assert!(matches!(inv.events[0].body, Body::Base64(_)));
    assert_eq!(bodies(&inv), [r#"{"id":1}"#, "plain"]);
    assert_eq!(inv.events[1].meta.sequence_number, Some(11));
    assert!(inv.largest_event() >= 8);
}

#[test]
fn declared_string_events_that_look_like_base64_stay_text() {
    // "null" and "abcd" are valid base64: without the declaration they were decoded.
    let events = json!(serde_json::to_string(&["null", "abcd"]).unwrap());
    let inv = decode(request(events.clone(), json!({})), Some(MANY_STRING)).unwrap();
    assert_eq!(bodies(&inv), ["null", "abcd"]);
    let guessed = decode(request(events, json!({})), None).unwrap();
    assert_ne!(
        &guessed.body(&guessed.events[0])[..],
        b"null",
        "the guess gets this wrong"
    );
    let one = json!(serde_json::to_string("null").unwrap());
    let inv = decode(request(one, json!({})), Some(ONE_STRING)).unwrap();
    assert_eq!(bodies(&inv), ["null"]);
    let inv = decode(request(json!(b64("null")), json!({})), Some(ONE_BINARY)).unwrap();
    assert_eq!(bodies(&inv), ["null"]);
}

#[test]
fn declared_unset_batch_with_a_bad_body_keeps_the_others_apart() {
    // The host's JSON library reads and writes NaN: one such body must not merge the batch.
    let events = json!(r#"[{"records":[{"a":1}]},{"b":NaN},{"records":[{"c":3}]}]"#);
    let inv = decode(request(events.clone(), batch_metadata()), Some(MANY_UNSET)).unwrap();
    assert_eq!(
        bodies(&inv),
        [
            r#"{"records":[{"a":1}]}"#,
            r#"{"b":NaN}"#,
            r#"{"records":[{"c":3}]}"#
        ]
    );
    let guessed = decode(request(events, batch_metadata()), None).unwrap();
    assert_eq!(guessed.events.len(), 3);
}

#[test]
fn invalid_base64_is_kept_as_text() {
    let events = json!(serde_json::to_string(&["not base64!", &b64("ok")]).unwrap());
    let inv = decode(request(events, json!({})), Some(MANY_BINARY)).unwrap();
    assert_eq!(bodies(&inv), ["not base64!", "ok"]);
}

#[test]
fn the_request_value_shapes_under_a_declaration() {
    // Already parsed arrays and objects are accepted whatever is declared.
    let inv = decode(
        request(json!([b64("a"), b64("b")]), json!({})),
        Some(MANY_BINARY),
    )
    .unwrap();
    assert_eq!(bodies(&inv), ["a", "b"]);
    let inv = decode(request(json!({"id": 1}), json!({})), Some(ONE_STRING)).unwrap();
    assert_eq!(bodies(&inv), [r#"{"id":1}"#]);
    let inv = decode(request(Value::Null, json!({})), Some(MANY_BINARY)).unwrap();
    assert!(inv.events.is_empty());
}

/// The fast path either declines or decodes exactly as the general path does.
fn same_as_general(request: &[u8], shape: Option<TriggerShape>) {
    let fast = decode_with(request.to_vec(), shape, true);
    let general = decode_with(request.to_vec(), shape, false);
    match (&fast, &general) {
        (Ok(f), Ok(g)) => {
            let view = |inv: &Invocation| {
                let bodies: Vec<Vec<u8>> = inv.events.iter().map(|e| inv.body(e).into()).collect();
                let metas: Vec<EventMeta> = inv.events.iter().map(|e| e.meta.clone()).collect();
                (bodies, metas, inv.partition.clone(), inv.retry)
            };
            assert_eq!(view(f), view(g), "{:?}", String::from_utf8_lossy(request));
        }
        (Err(f), Err(g)) => assert_eq!(f.to_string(), g.to_string()),
        // The one leniency: a byte that JSON refuses inside a base64 event makes that event's
        // text its body instead of failing the request (see `top`).
        (Ok(f), Err(DecodeError::NotJson(_))) => assert!(
            f.events.iter().any(|e| match &e.body {
                Body::Base64(r) => BASE64.decode_to_vec(&request[r.clone()]).is_err(),
                Body::Bytes(_) => false,
            }),
            "fast path accepted {:?}",
            String::from_utf8_lossy(request)
        ),
        _ => panic!(
            "{:?} against {:?} for {:?}",
            fast.map(|_| ()),
            general.map(|_| ()),
            String::from_utf8_lossy(request)
        ),
    }
}

#[test]
fn the_fast_path_takes_a_batch_of_base64_events() {
    let events = json!(serde_json::to_string(&[b64(r#"{"id":1}"#), b64("x")]).unwrap());
    let req = request(events, batch_metadata());
    assert!(top::read(&req, None).is_some());
    assert!(top::read(&req, Some(MANY_BINARY)).is_some());
    assert!(top::read(&req, Some(ONE_STRING)).is_none());
    same_as_general(&req, None);
    same_as_general(&req, Some(MANY_BINARY));
}

#[test]
fn the_fast_path_declines_or_agrees_on_every_variation() {
    let events = serde_json::to_string(&[b64(r#"{"id":1}"#), b64("x")]).unwrap();
    let events = serde_json::to_string(&events).unwrap();
    let meta = serde_json::to_string(&batch_metadata()).unwrap();
    let cases = [
        format!(r#"{{"Data":{{"events":{events}}},"Metadata":{meta}}}"#),
        format!(" {{ \"Data\" : {{ \"events\" : {events} }} ,\n\"Metadata\" : {meta} }}\n"),
        format!(r#"{{"Data":{{"events":{events}}},"Data":{{"events":{events}}}}}"#),
        format!(r#"{{"Data":{{"events":{events}}},"data":{{"events":{events}}}}}"#),
        format!(r#"{{"Data":{{"events":{events},"events":"[]"}}}}"#),
        format!(r#"{{"Data":{{"other":{events}}},"Metadata":{{}}}}"#),
        format!(r#"{{"Data":{{"other":{events},"x":1}}}}"#),
        format!(r#"{{"Data":{{"events":{events}}},"Metadata":{{"a":tru}}}}"#),
        format!(r#"{{"Data":{{"events":{events}}},"Extra":[1,{{"b":"]"}}]}}"#),
        format!(r#"{{"Data":{{"events":{events}}},"Extra":[1,}}"#),
        format!(r#"{{"Dat\u0061":{{"ev\u0065nts":{events}}},"Metadata":null}}"#),
        format!(r#"{{"Data":{{"events":{events}}}}} x"#),
        r#"{"Data":{"events":"[]"}}"#.to_string(),
        r#"{"Data":{"other":"[\"QQ==\"]","events":"[\"Qg==\",\"\"]"}}"#.to_string(),
        r#"{"Data":{"other":"[\"QQ==\"]","x":"[\"Qg==\"]"}}"#.to_string(),
        r#"{"Data":{"events":"[\"QQ==\"]x"}}"#.to_string(),
        r#"{"Data":{"events":"[\"QQ==\",]"}}"#.to_string(),
        r#"{"Data":{"events":"[\"QQ==\"]"},"Metadata":{"a":1,"a":2}}"#.to_string(),
        r#"{"Data":{"events":"[\"a\/b\"]"}}"#.to_string(),
        r#"{"Data":{"events":"[\"QQ==\",\"QQ\u003d=\"]"}}"#.to_string(),
    ];
    for case in &cases {
        for shape in [None, Some(MANY_BINARY), Some(ONE_STRING)] {
            same_as_general(case.as_bytes(), shape);
        }
    }
    // Every prefix and every byte replaced by each of a few troublesome ones.
    let whole = cases[0].as_bytes();
    for end in 0..whole.len() {
        same_as_general(&whole[..end], None);
    }
    for at in 0..whole.len() {
        for b in [b'"', b'\\', b'{', b']', b',', 0x01, 0xff, b' '] {
            let mut v = whole.to_vec();
            v[at] = b;
            same_as_general(&v, None);
        }
    }
}

#[test]
fn the_fast_path_agrees_under_random_edits() {
    let events = serde_json::to_string(&[b64(r#"{"id":1}"#), b64("xy"), b64("")]).unwrap();
    let events = serde_json::to_string(&events).unwrap();
    let meta = serde_json::to_string(&batch_metadata()).unwrap();
    let whole = format!(r#"{{"Data":{{"events":{events}}},"Metadata":{meta}}}"#).into_bytes();
    // A fixed xorshift, so that a failure reproduces.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let bytes = b"\"\\{}[],: 0aQ=/\x01\xff";
    for _ in 0..20_000 {
        let mut v = whole.clone();
        for _ in 0..1 + next(3) {
            let at = next(v.len());
            match next(3) {
                0 => v[at] = bytes[next(bytes.len())],
                1 => v.insert(at, bytes[next(bytes.len())]),
                _ => {
                    v.remove(at);
                }
            }
        }
        same_as_general(&v, None);
    }
}

#[test]
fn a_raw_control_byte_in_a_base64_event_makes_its_text_the_body() {
    // Not valid in a JSON string, so the general path would refuse the whole request; the
    // fast path keeps the other events and ships this one's text.
    let req = b"{\"Data\":{\"events\":\"[\\\"QQ\x01==\\\",\\\"Qg==\\\"]\"}}".to_vec();
    assert!(matches!(
        decode_with(req.clone(), None, false),
        Err(DecodeError::NotJson(_))
    ));
    let inv = decode(req, Some(MANY_BINARY)).unwrap();
    let got: Vec<Vec<u8>> = inv
        .events
        .iter()
        .map(|e| inv.body(e).into_owned())
        .collect();
    assert_eq!(got, [b"QQ\x01==".to_vec(), b"B".to_vec()]);
}
