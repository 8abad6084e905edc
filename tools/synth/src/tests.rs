//! The generator's own tests: determinism, shapes, sizes.

use super::*;

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = Generator::new(42, 0).invocation(3, 50_000);
    let b = Generator::new(42, 0).invocation(3, 50_000);
    assert_eq!(a.request, b.request);
    let c = Generator::new(43, 0).invocation(3, 50_000);
    assert_ne!(a.request, c.request);
    let d = Generator::new(42, 1).invocation(3, 50_000);
    assert_ne!(a.request, d.request);
}

#[test]
fn events_are_full_and_bounded() {
    let inv = Generator::new(1, 0).invocation(5, DEFAULT_EVENT_BYTES);
    for body in &inv.events {
        assert!(body.len() <= DEFAULT_EVENT_BYTES);
        assert!(
            body.len() > DEFAULT_EVENT_BYTES - 16 * 1024,
            "{}",
            body.len()
        );
        assert!(body.starts_with(b"{\"records\":[{") && body.ends_with(b"}]}"));
    }
}

#[test]
fn the_request_carries_the_events_in_base64() {
    let inv = Generator::new(5, 2).invocation(4, 30_000);
    let text = std::str::from_utf8(&inv.request).unwrap();
    let start = text.find("\"events\":\"[\\\"").unwrap() + "\"events\":\"[\\\"".len();
    let end = text[start..].find("\\\"]\"").unwrap() + start;
    let decoded: Vec<Vec<u8>> = text[start..end]
        .split("\\\",\\\"")
        .map(|b| BASE64.decode(b).unwrap())
        .collect();
    assert_eq!(decoded, inv.events);
    assert!(text.contains(r#""PartitionId":"2""#));
    assert!(text.contains(r#""SequenceNumberArray":"["#));
}

#[test]
fn the_mixes_have_their_sizes() {
    let average = |records: Records| {
        let inv = Generator::with_records(1, 0, records).invocation(20, DEFAULT_EVENT_BYTES);
        let bytes: usize = inv.stats.categories.iter().map(|c| c.bytes).sum();
        bytes / inv.stats.records()
    };
    let sizes = [
        average(Records::DEFAULT),
        average(Records::MIXED),
        average(Records::AUDIT_HEAVY),
    ];
    assert!((3_000..3_600).contains(&sizes[0]), "{sizes:?}");
    assert!((1_750..2_050).contains(&sizes[1]), "{sizes:?}");
    assert!((1_100..1_400).contains(&sizes[2]), "{sizes:?}");
    for name in [
        "default",
        "signin-heavy",
        "mixed",
        "audit-heavy",
        "tiny",
        "large",
    ] {
        assert!(Records::from_name(name).is_some(), "{name}");
    }
}

#[test]
fn tiny_records_are_tiny_and_many() {
    let inv = Generator::with_records(1, 0, Records::Tiny).invocation(2, 1_000_000);
    for body in &inv.events {
        assert!(
            body.len() <= 1_000_000 && body.len() > 999_000,
            "{}",
            body.len()
        );
    }
    let audit = &inv.stats.categories[Category::AuditLogs.index()];
    assert_eq!(audit.records, inv.stats.records());
    assert!(audit.records > 2 * 6_000, "{}", audit.records);
    assert!(
        (100..=150).contains(&audit.smallest) && audit.largest <= 150,
        "{audit:?}"
    );
    let text = std::str::from_utf8(&inv.events[0]).unwrap();
    assert!(
        text.starts_with(r#"{"records":[{"time":""#)
            && text.contains(r#"","category":"AuditLogs","properties":{"id":"Directory_"#)
    );
}

#[test]
fn large_records_fill_their_event() {
    let inv = Generator::with_records(1, 0, Records::Large).invocation(3, 1_000_000);
    assert_eq!(inv.stats.records(), 3);
    for body in &inv.events {
        assert!(
            body.len() <= 1_000_000 && body.len() > 999_000,
            "{}",
            body.len()
        );
        assert!(body.starts_with(b"{\"records\":[{\"time\":") && body.ends_with(b"}]}"));
    }
    // The addresses are a JSON array inside a string (entra-loadgen's tests parse it).
    let text = std::str::from_utf8(&inv.events[0]).unwrap();
    assert!(text.contains(
        r#"{"displayName":"AppAddress","oldValue":"[]","newValue":"[{\"AddressType\":0,\"Address\":\"https://app-00000."#
    ));
    assert!(text.matches(r#"\"IsReplyAddressDefault\":false}"#).count() > 5_000);
}

#[test]
fn events_of_a_record_count() {
    let inv =
        Generator::with_records(1, 0, Records::MIXED).invocation_of(3, EventSize::Records(20));
    assert_eq!(inv.stats.records(), 60);
    for body in &inv.events {
        // Every record starts with its time (Azure Monitor's key order).
        let text = std::str::from_utf8(body).unwrap();
        assert_eq!(text.matches("{\"time\":").count(), 20, "{text}");
    }
}

#[test]
fn stats_add_up() {
    let mut g = Generator::new(9, 0);
    let a = g.invocation(3, 40_000);
    let b = g.invocation(2, 40_000);
    let mut s = a.stats.clone();
    s.merge(&b.stats);
    assert_eq!(s.events, 5);
    assert_eq!(s.records(), a.stats.records() + b.stats.records());
    let record_bytes: usize = s.categories.iter().map(|c| c.bytes).sum();
    let event_bytes: usize = a.events.iter().chain(&b.events).map(Vec::len).sum();
    assert_eq!(s.event_bytes, event_bytes);
    assert!(record_bytes < event_bytes);
    assert!(s.to_string().contains("| SignInLogs |"));
}
