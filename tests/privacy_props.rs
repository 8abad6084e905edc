//! Property test of privacy masking through the real server: records of random shape (objects
//! and arrays nested at random, JSON held in strings, personal data at random places inside
//! text) are posted as the host does, and nothing personal reaches the fake ingress.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

/// Values found by pattern (`MASK_VALUES=ip,email`), anywhere.
const FOUND: &[&str] = &[
    "avery@contoso.example",
    "Blake.Example@Fabrikam.example",
    "carol_fabrikam.com#EXT#@contoso.onmicrosoft.com",
    "203.0.113.24",
    "198.51.100.7",
    "2001:db8::8a2e:370:7334",
    "::ffff:192.0.2.44",
    "fe80::1ff:fe23:4567:890a",
];
/// Values only named fields hide (`MASK_FIELDS`), so generated only under those names.
const NAMES: &[&str] = &["Avery Example", "Blake Example"];
const NAMED_KEYS: &[&str] = &["identity", "displayName", "userDisplayName"];
const OTHER_KEYS: &[&str] = &[
    "properties",
    "targetResources",
    "value",
    "key",
    "ipAddress",
    "userPrincipalName",
    "details",
    "newValue",
];

fn found_in_text() -> impl Strategy<Value = String> {
    let before = prop::sample::select(vec!["", " ", "from ", "(", "user=", "ip:", "<", "\""]);
    let after = prop::sample::select(vec!["", " ", ":443", ")", ",", ".", ">", ": refused"]);
    (before, prop::sample::select(FOUND.to_vec()), after).prop_map(|(b, v, a)| format!("{b}{v}{a}"))
}

fn leaf(names: bool) -> BoxedStrategy<Value> {
    let mut options: Vec<BoxedStrategy<Value>> = vec![
        found_in_text().prop_map(Value::String).boxed(),
        "[a-z ]{0,12}".prop_map(Value::String).boxed(),
        any::<i32>().prop_map(|n| json!(n)).boxed(),
        Just(Value::Null).boxed(),
        Just(json!("2026-11-02T08:14:07.4521983Z")).boxed(),
    ];
    if names {
        options.push(
            prop::sample::select(NAMES.to_vec())
                .prop_map(|n| json!(n))
                .boxed(),
        );
    }
    prop::strategy::Union::new(options).boxed()
}

/// A value; `names`: it sits under a named field, where names may appear.
fn value(names: bool) -> BoxedStrategy<Value> {
    leaf(names)
        .prop_recursive(5, 48, 6, move |inner| {
            let key = prop::sample::select(OTHER_KEYS.to_vec());
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((key, inner.clone()), 0..5).prop_map(|m| Value::Object(
                    m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
                // JSON held in a string, as Entra's modifiedProperties do.
                inner.prop_map(|v| Value::String(v.to_string())),
            ]
        })
        .boxed()
}

/// A record: a few plain fields and a few named ones, nested inside each other.
fn record() -> impl Strategy<Value = Value> {
    let plain = prop::collection::vec(
        (prop::sample::select(OTHER_KEYS.to_vec()), value(false)),
        0..5,
    );
    let named = prop::collection::vec(
        (prop::sample::select(NAMED_KEYS.to_vec()), value(true)),
        0..3,
    );
    let nested_named = prop::collection::vec(
        (prop::sample::select(NAMED_KEYS.to_vec()), value(true)),
        0..2,
    );
    (plain, named, nested_named).prop_map(|(plain, named, nested)| {
        let mut top = Map::new();
        top.insert("category".into(), json!("AuditLogs"));
        top.insert("time".into(), json!("2026-11-02T08:14:07Z"));
        for (k, v) in plain.into_iter().chain(named) {
            top.insert(k.to_owned(), v);
        }
        let inner: Map<String, Value> =
            nested.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        top.insert(
            "properties".into(),
            json!({"targetResources": [Value::Object(inner)]}),
        );
        Value::Object(top)
    })
}

#[test]
fn nothing_personal_reaches_the_ingress_whatever_the_shape() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (ingress, handler) = rt.block_on(async {
        let ingress = Ingress::start(KEY).await;
        let fields = NAMED_KEYS.join(",");
        let handler = Handler::start(
            &ingress,
            &[
                ("MASK_FIELDS", fields.as_str()),
                ("MASK_VALUES", "ip,email"),
            ],
        )
        .await;
        (ingress, handler)
    });
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop::collection::vec(record(), 1..6);
    runner
        .run(&strategy, |records| {
            ingress.clear();
            let r = rt.block_on(handler.invoke(host_request(
                Shape::ManyBinary,
                &[envelope(&records)],
                1,
            )));
            prop_assert_eq!(r.status, 200);
            let entries = ingress.entries();
            prop_assert_eq!(entries.len(), records.len());
            let shipped = serde_json::to_string(&entries).unwrap().to_lowercase();
            // Held in strings, JSON escapes nothing in these values but may double-escape
            // around them: look for each value itself.
            for v in FOUND.iter().chain(NAMES) {
                prop_assert!(
                    !shipped.contains(&v.to_lowercase()),
                    "{} reached the ingress: {}",
                    v,
                    shipped
                );
            }
            Ok(())
        })
        .unwrap();
}
