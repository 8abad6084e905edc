//! Property: any batch the host can send is fully accounted for. Random batches of random
//! events (envelopes, arrays, single records, NDJSON, text, binary, empty), in random host
//! encodings, with random drop rules, go through the same code as the server
//! (`host::decode` → `pipeline::Builder::add_invocation`), and every record must come out as
//! exactly one entry or one counted drop, with its text intact.

mod common;

use common::*;
use entra_coralogix::entra::Timestamp;
use entra_coralogix::host;
use entra_coralogix::pipeline::{self, Bodies, HostEvents};
use entra_coralogix::settings::{Mode, Settings};
use proptest::prelude::*;
use serde_json::{Value, json};

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::from),
        "[a-z' \"\\\\]{0,12}".prop_map(Value::from),
    ]
}

fn category() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!("SignInLogs"))),
        Just(Some(json!("noninteractiveusersigninlogs"))),
        Just(Some(json!("AuditLogs"))),
        Just(Some(json!("PROVISIONINGLOGS"))),
        Just(Some(json!("SomethingNew"))),
        scalar().prop_map(Some),
    ]
}

fn level() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        (0i64..7).prop_map(|n| Some(json!(n))),
        (0i64..7).prop_map(|n| Some(json!(n.to_string()))),
        prop::sample::select(vec![
            "Critical",
            "Error",
            "Warning",
            "Informational",
            "Verbose",
            "x"
        ])
        .prop_map(|s| Some(json!(s))),
        scalar().prop_map(Some),
    ]
}

fn time() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!("2026-11-02T08:14:07.4521983Z"))),
        Just(Some(json!("11/2/2026 8:17:30 PM"))),
        Just(Some(json!("2026-11-02T08:14:07+02:00"))),
        Just(Some(json!("2026-11-02T8:14:07.5"))),
        scalar().prop_map(Some),
    ]
}

prop_compose! {
    fn record()(
        category in category(),
        level in level(),
        time in time(),
        result_type in prop::option::of(prop::sample::select(vec!["0", "50126", "Success", "Failure", "Skipped"])),
        tenant in prop::option::of("[a-f0-9-]{1,36}"),
        id in prop::option::of("[a-zA-Z0-9_-]{1,40}"),
        extra in prop::collection::btree_map("[a-zA-Z]{1,8}", scalar(), 0..5),
        level_key_lower in any::<bool>(),
    ) -> Value {
        let mut r = serde_json::Map::new();
        if let Some(c) = category { r.insert("category".into(), c); }
        if let Some(l) = level { r.insert(if level_key_lower { "level" } else { "Level" }.into(), l); }
        if let Some(t) = time { r.insert("time".into(), t); }
        if let Some(rt) = result_type { r.insert("resultType".into(), json!(rt)); }
        if let Some(t) = tenant { r.insert("tenantId".into(), json!(t)); }
        let mut props = serde_json::Map::new();
        if let Some(id) = id { props.insert("id".into(), json!(id)); }
        for (k, v) in extra { props.insert(k, v); }
        r.insert("properties".into(), Value::Object(props));
        Value::Object(r)
    }
}

#[derive(Debug, Clone)]
enum Event {
    Envelope(Vec<Value>),
    Array(Vec<Value>),
    Single(Value),
    Lines(Vec<Value>),
    Text(String),
    Binary(Vec<u8>),
    Empty,
}

impl Event {
    fn body(&self) -> Vec<u8> {
        match self {
            Event::Envelope(r) => serde_json::to_vec(&json!({ "records": r })).unwrap(),
            Event::Array(r) => serde_json::to_vec(r).unwrap(),
            Event::Single(r) => serde_json::to_vec(r).unwrap(),
            Event::Lines(r) => r
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes(),
            Event::Text(t) => t.clone().into_bytes(),
            Event::Binary(b) => b.clone(),
            Event::Empty => Vec::new(),
        }
    }

    fn records(&self) -> Vec<Value> {
        match self {
            Event::Envelope(r) | Event::Array(r) | Event::Lines(r) => r.clone(),
            Event::Single(r) => vec![r.clone()],
            Event::Text(t) => vec![Value::String(t.clone())],
            Event::Binary(b) => vec![Value::String(String::from_utf8_lossy(b).into_owned())],
            Event::Empty => Vec::new(),
        }
    }

    fn is_json(&self) -> bool {
        matches!(
            self,
            Event::Envelope(_) | Event::Array(_) | Event::Single(_)
        )
    }

    fn is_utf8(&self) -> bool {
        !matches!(self, Event::Binary(_))
    }
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        4 => prop::collection::vec(record(), 0..12).prop_map(Event::Envelope),
        1 => prop::collection::vec(record(), 0..5).prop_map(Event::Array),
        1 => record().prop_map(Event::Single),
        1 => prop::collection::vec(record(), 2..5).prop_map(Event::Lines),
        // '~' cannot start JSON, so this is text whatever follows.
        1 => "\\PC{0,60}".prop_map(|s| Event::Text(format!("~{s}"))),
        // 0xFF cannot appear in UTF-8, so this is binary whatever follows.
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(|mut b| { b.insert(0, 0xff); Event::Binary(b) }),
        1 => Just(Event::Empty),
    ]
}

fn batch() -> impl Strategy<Value = (Shape, Vec<Event>)> {
    prop::sample::select(ALL_SHAPES.to_vec()).prop_flat_map(|shape| {
        let one = matches!(shape, Shape::OneBinary | Shape::OneString);
        let events = prop::collection::vec(event(), if one { 1..2 } else { 0..8 });
        (Just(shape), events).prop_filter(
            "the host cannot send these bodies in this encoding",
            |(shape, events)| {
                events.iter().all(|e| match shape {
                    Shape::ManyUnset => e.is_json(),
                    Shape::ManyString | Shape::OneString => e.is_utf8(),
                    _ => true,
                })
            },
        )
    })
}

fn settings(drop: &[&str], max_request: usize) -> Settings {
    let drop = drop.join(",");
    let max_request = max_request.to_string();
    Settings::load(Mode::DryRun, |k| match k {
        "DROP_CATEGORIES" => Some(drop.clone()),
        "MAX_REQUEST_BYTES" => Some(max_request.clone()),
        _ => None,
    })
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_record_is_accounted_for(
        (shape, events) in batch(),
        drop in prop::sample::subsequence(vec!["SignInLogs", "AuditLogs", "Uncategorized", "Unparsed"], 0..3),
        max_request in prop::sample::select(vec![20_000usize, 2_000_000]),
    ) {
        let bodies: Vec<Vec<u8>> = events.iter().map(Event::body).collect();
        let request = host_request(shape, &bodies, 1);
        let invocation = host::decode(request, None).expect("a host-shaped request decodes");
        prop_assert_eq!(invocation.events.len(), events.len());

        let settings = settings(&drop, max_request);
        let source = HostEvents { invocation, invocation_id: "prop".into() };
        let (report, requests) = pipeline::build_all(&settings, &source, Timestamp::now());
        let c = report.counts;

        let expected: Vec<Value> = events.iter().flat_map(Event::records).collect();
        prop_assert_eq!(c.events, events.len());
        prop_assert_eq!(c.records, expected.len());
        prop_assert_eq!(c.entries + c.dropped, c.records);

        let mut texts = Vec::new();
        for r in &requests {
            prop_assert!(r.body().len() <= max_request);
            for e in r.entries() {
                let e: Value = serde_json::from_slice(e).expect("each entry is JSON");
                prop_assert!(ingress::check_entry(&e).is_ok(), "{:?}: {}", ingress::check_entry(&e), e);
                texts.push(e["text"].clone());
            }
        }
        prop_assert_eq!(texts.len(), c.entries);
        // Every entry carries one generated record, unchanged (non-object JSON values are
        // written as the string of their JSON).
        let mut pool: Vec<Value> = expected.clone();
        for t in texts {
            let pos = pool.iter().position(|r| *r == t || Value::String(r.to_string()) == t);
            prop_assert!(pos.is_some(), "entry text not among the records: {}", t);
            pool.swap_remove(pos.unwrap());
        }
        prop_assert_eq!(pool.len(), c.dropped);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_balance(body in prop::collection::vec(any::<u8>(), 0..300)) {
        let settings = settings(&[], 2_000_000);
        if let Ok(invocation) = host::decode(body.clone(), None) {
            let source = HostEvents { invocation, invocation_id: "x".into() };
            let c = pipeline::build_all(&settings, &source, Timestamp::now()).0.counts;
            prop_assert_eq!(c.entries + c.dropped, c.records);
        }
        // One event of arbitrary bytes, through every encoding that can carry it.
        let source = Bodies(vec![(body.clone(), "raw".into())]);
        let c = pipeline::build_all(&settings, &source, Timestamp::now()).0.counts;
        prop_assert_eq!(c.events, 1);
        prop_assert_eq!(c.entries + c.dropped, c.records);
        prop_assert!(c.records >= 1 || body.iter().all(u8::is_ascii_whitespace) || body.starts_with(b"\xEF\xBB\xBF"));
    }
}
