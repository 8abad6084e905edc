//! Property: one bad record never takes its neighbours with it. Random Entra-like records in
//! random event shapes (an envelope, an array of envelopes, NDJSON lines of envelopes, a bare
//! array) get random poison: `NaN`, `Infinity`, raw control bytes, stray quotes, a cut, NUL
//! bytes or stray bytes after the body. Every well-formed record must still come out exactly
//! once as itself, and `records` must count what the event really held: each poisoned record
//! once, stray bytes once, NUL padding not at all (two poisoned records in a row may count as
//! one; see `json::array_elements`).

mod common;

use std::collections::HashMap;

use entra_coralogix::entra::Timestamp;
use entra_coralogix::pipeline::{self, Bodies};
use entra_coralogix::settings::{Mode, Settings};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use serde_json::{Value, json};

/// An Entra-like record with nested objects, an array of objects, and a free-text field.
fn record(id: usize, text: &str, policies: usize) -> Value {
    json!({
        "time": "2026-11-02T08:14:07.4521983Z",
        "category": "SignInLogs",
        "tenantId": "8c1b6a7e-3f2d-4c59-9a61-2d4e5f6a7b8c",
        "resultType": "0",
        "Level": 4,
        "properties": {
            "id": format!("rec-{id}"),
            "status": {"errorCode": 0, "failureReason": text},
            "appliedConditionalAccessPolicies": (0..policies)
                .map(|p| json!({"id": p, "displayName": format!("Policy {p}"), "result": "success"}))
                .collect::<Vec<_>>(),
            "location": {"city": "Amsterdam", "geoCoordinates": {"latitude": 52.37}}
        }
    })
}

#[derive(Debug, Clone)]
enum Poison {
    NaN,
    Infinity,
    /// A raw byte below 0x20 at a position (per mille of the record's length).
    Control(u8, u16),
    /// A `"` at a position (per mille).
    Quote(u16),
}

impl Poison {
    fn apply(&self, text: &str) -> Vec<u8> {
        let at = |per_mille: u16| {
            let mut i = (text.len() * per_mille as usize / 1000).clamp(1, text.len() - 1);
            while !text.is_char_boundary(i) {
                i += 1;
            }
            i
        };
        let insert = |i: usize, bytes: &[u8]| {
            let mut out = text.as_bytes()[..i].to_vec();
            out.extend_from_slice(bytes);
            out.extend_from_slice(&text.as_bytes()[i..]);
            out
        };
        match self {
            Poison::NaN => text
                .replacen("\"errorCode\":0", "\"errorCode\":NaN", 1)
                .into_bytes(),
            Poison::Infinity => text
                .replacen("\"errorCode\":0", "\"errorCode\":-Infinity", 1)
                .into_bytes(),
            Poison::Control(b, p) => insert(at(*p), &[*b]),
            Poison::Quote(p) => insert(at(*p), b"\""),
        }
    }
}

fn poison() -> impl Strategy<Value = Poison> {
    prop_oneof![
        Just(Poison::NaN),
        Just(Poison::Infinity),
        (0u8..0x20, 0u16..1000).prop_map(|(b, p)| Poison::Control(b, p)),
        (0u16..1000).prop_map(Poison::Quote),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    Envelope,
    ArrayOfEnvelopes,
    LinesOfEnvelopes,
    BareArray,
}

#[derive(Debug, Clone)]
enum Tail {
    None,
    Nul(usize),
    Stray(String),
    /// Cut inside the last record, at a position (per mille).
    Cut(u16),
}

#[derive(Debug, Clone)]
struct Event {
    shape: Shape,
    /// Each record: free text, number of policies, poison.
    records: Vec<(String, usize, Option<Poison>)>,
    tail: Tail,
}

fn event() -> impl Strategy<Value = Event> {
    let shape = prop_oneof![
        3 => Just(Shape::Envelope),
        1 => Just(Shape::ArrayOfEnvelopes),
        1 => Just(Shape::LinesOfEnvelopes),
        1 => Just(Shape::BareArray),
    ];
    let one = (
        "[a-zA-Z0-9 {}\\[\\]:,\"\\\\'/-]{0,24}",
        0usize..4,
        prop::option::weighted(0.3, poison()),
    );
    let tail = prop_oneof![
        4 => Just(Tail::None),
        1 => (1usize..4).prop_map(Tail::Nul),
        1 => "[a-z\\]}]{1,6}".prop_map(Tail::Stray),
        1 => (1u16..1000).prop_map(Tail::Cut),
    ];
    (shape, prop::collection::vec(one, 1..12), tail).prop_map(|(shape, records, tail)| Event {
        shape,
        records,
        tail,
    })
}

/// The body, and what it really holds: the ids of the intact records, how many records it
/// holds (intact, poisoned, cut, stray bytes), and how many poisoned records directly follow
/// another poisoned one in the same array, and the NUL bytes that end it.
fn build(e: &Event, first_id: usize) -> (Vec<u8>, Vec<(String, Value)>, usize, usize, usize) {
    let mut texts: Vec<Vec<u8>> = Vec::new();
    let mut broken = Vec::new();
    let mut intact = Vec::new();
    let cut = matches!(e.tail, Tail::Cut(_));
    let last = e.records.len() - 1;
    for (i, (text, policies, poison)) in e.records.iter().enumerate() {
        let id = first_id + i;
        let compact = record(id, text, *policies).to_string();
        // Some poison leaves valid JSON (a raw tab or line feed between tokens; a quote after
        // a backslash, `\"\/`): that record is intact, as it now reads.
        let bytes = poison
            .as_ref()
            .map_or_else(|| compact.clone().into_bytes(), |p| p.apply(&compact));
        let now = serde_json::from_slice::<Value>(&bytes);
        let poisoned = now.is_err();
        let bytes = match (&e.tail, i == last) {
            (Tail::Cut(p), true) => {
                let at = (bytes.len() * *p as usize / 1000).clamp(1, bytes.len() - 1);
                bytes[..at].to_vec()
            }
            _ => bytes,
        };
        if let Ok(value) = now
            && !(cut && i == last)
        {
            intact.push((format!("rec-{id}"), value));
        }
        broken.push(poisoned);
        texts.push(bytes);
    }
    let envelope = |rs: &[Vec<u8>]| {
        let mut b = b"{\"records\":[".to_vec();
        b.extend_from_slice(&rs.join(&b","[..]));
        b.extend_from_slice(b"]}");
        b
    };
    // Groups of records for the shapes with several envelopes; the cut stays in the last.
    let groups: Vec<&[Vec<u8>]> = texts.chunks(texts.len().div_ceil(3)).collect();
    let mut body = match e.shape {
        Shape::Envelope => envelope(&texts),
        Shape::BareArray => {
            let mut b = b"[".to_vec();
            b.extend_from_slice(&texts.join(&b","[..]));
            b.push(b']');
            b
        }
        Shape::ArrayOfEnvelopes => {
            let mut b = b"[".to_vec();
            let envelopes: Vec<Vec<u8>> = groups.iter().map(|g| envelope(g)).collect();
            b.extend_from_slice(&envelopes.join(&b","[..]));
            b.push(b']');
            b
        }
        Shape::LinesOfEnvelopes => {
            let envelopes: Vec<Vec<u8>> = groups.iter().map(|g| envelope(g)).collect();
            envelopes.join(&b"\n"[..])
        }
    };
    if cut {
        // The cut is the end of the body: drop the closing brackets after the last record.
        let last_text = texts.last().unwrap();
        let end = memchr::memmem::rfind(&body, last_text).unwrap() + last_text.len();
        body.truncate(end);
    }
    let mut held = e.records.len();
    let group = e.records.len().div_ceil(3);
    let several = matches!(e.shape, Shape::ArrayOfEnvelopes | Shape::LinesOfEnvelopes);
    let spoilt = |i: usize| broken[i] || (cut && i == last);
    let adjacent = (1..e.records.len())
        .filter(|&i| spoilt(i) && spoilt(i - 1) && !(several && i % group == 0))
        .count();
    match &e.tail {
        Tail::Nul(n) => body.extend(std::iter::repeat_n(0u8, *n)),
        // Stray bytes after a body whose records are all well-formed are a record of their
        // own; after a broken one they cannot be told from its last record's text.
        Tail::Stray(s) if !cut && !broken.contains(&true) => {
            body.extend_from_slice(s.as_bytes());
            held += 1;
        }
        _ => {}
    }
    // NUL bytes that end the body are padding, even a NUL poison that a cut left last.
    let nul = body.iter().rev().take_while(|&&b| b == 0).count();
    (body, intact, held, adjacent, nul)
}

/// The cases are drawn from a fixed seed, so that CI runs the same 3,000 cases every time;
/// `POISON_SEED=random` (or a number) and `POISON_CASES` explore others (1.66 million cases
/// passed, seeds 2 to 84 with 20,000 cases each; see the README, "Bad input").
fn seed() -> RngSeed {
    match std::env::var("POISON_SEED").as_deref() {
        Ok("random") => RngSeed::Random,
        Ok(n) => n.parse().map_or(RngSeed::Fixed(SEED), RngSeed::Fixed),
        Err(_) => RngSeed::Fixed(SEED),
    }
}

const SEED: u64 = 1;

/// 3,000 cases, or `POISON_CASES`.
fn cases() -> u32 {
    std::env::var("POISON_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3000)
}

fn settings() -> Settings {
    Settings::load(Mode::DryRun, |k| {
        (k == "RESTAMP_OLD_RECORDS").then(|| "false".into())
    })
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, rng_seed: seed(), ..ProptestConfig::default() })]

    #[test]
    fn every_well_formed_record_arrives_once_and_records_count_what_events_held(
        events in prop::collection::vec(event(), 1..5)
    ) {
        let mut bodies = Vec::new();
        let mut intact = Vec::new();
        let mut held = 0;
        let mut adjacent = 0;
        let mut nul = 0;
        for (i, e) in events.iter().enumerate() {
            let (body, ok, n, a, k) = build(e, i * 100);
            intact.extend(ok);
            held += n;
            adjacent += a;
            nul += k;
            bodies.push((body, format!("eh:0:{i}")));
        }
        let source = Bodies(bodies.clone());
        let (report, requests) = pipeline::build_all(&settings(), &source, Timestamp::now());
        let c = report.counts;
        let shown = || bodies.iter().map(|(b, _)| String::from_utf8_lossy(b).into_owned()).collect::<Vec<_>>();
        // Exact, but two broken records in a row may count as one.
        prop_assert!(
            c.records <= held && c.records + adjacent >= held,
            "{} records counted, {} held ({} broken after a broken one) in {:?}",
            c.records, held, adjacent, shown()
        );
        prop_assert_eq!(c.entries, c.records);
        prop_assert_eq!(c.nul_bytes, nul);
        let mut by_id: HashMap<String, Vec<Value>> = HashMap::new();
        for r in &requests {
            for e in r.entries() {
                let e: Value = serde_json::from_slice(e).unwrap();
                prop_assert!(common::ingress::check_entry(&e).is_ok());
                if let Some(id) = e["text"]["properties"]["id"].as_str() {
                    by_id.entry(id.to_owned()).or_default().push(e["text"].clone());
                }
            }
        }
        for (id, value) in &intact {
            let got = by_id.get(id).map(Vec::as_slice).unwrap_or(&[]);
            prop_assert_eq!(got.len(), 1, "record {} arrived {} times in {:?}", id, got.len(), shown());
            prop_assert_eq!(&got[0], value, "record {} in {:?}", id, shown());
        }
    }
}
