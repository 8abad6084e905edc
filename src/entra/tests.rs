use super::*;
use serde_json::json;

fn meaning(v: serde_json::Value) -> Meaning<'static> {
    let text: &'static str = Box::leak(v.to_string().into_boxed_str());
    describe(text)
}

#[test]
fn every_category_is_canonical_in_any_case() {
    for c in CATEGORIES {
        for variant in [
            c.to_string(),
            c.to_ascii_lowercase(),
            c.to_ascii_uppercase(),
        ] {
            let m = meaning(json!({ "category": variant }));
            assert_eq!(m.category.as_deref(), Some(*c));
        }
    }
    assert_eq!(
        meaning(json!({"Category": "signinlogs"}))
            .category
            .as_deref(),
        Some("SignInLogs")
    );
    assert_eq!(
        meaning(json!({"category": "SomethingNew"}))
            .category
            .as_deref(),
        Some("SomethingNew")
    );
    assert_eq!(meaning(json!({"category": ""})).category, None);
    assert_eq!(meaning(json!({"x": 1})).category, None);
}

#[test]
fn level_forms() {
    let sev = |l: serde_json::Value| meaning(json!({"category": "AuditLogs", "Level": l})).severity;
    assert_eq!(sev(json!(4)), severity::INFO);
    assert_eq!(sev(json!("4")), severity::INFO);
    assert_eq!(sev(json!(1)), severity::CRITICAL);
    assert_eq!(sev(json!(2)), severity::ERROR);
    assert_eq!(sev(json!("3")), severity::WARNING);
    assert_eq!(sev(json!(5)), severity::VERBOSE);
    assert_eq!(sev(json!("Critical")), severity::CRITICAL);
    assert_eq!(sev(json!("Error")), severity::ERROR);
    assert_eq!(sev(json!("Warning")), severity::WARNING);
    assert_eq!(sev(json!("Informational")), severity::INFO);
    assert_eq!(sev(json!("verbose")), severity::VERBOSE);
    assert_eq!(sev(json!(null)), severity::INFO);
    assert_eq!(sev(json!("weird")), severity::INFO);
    // lower-case key, as in audit and ADFS records
    assert_eq!(meaning(json!({"level": "Error"})).severity, severity::ERROR);
    assert_eq!(meaning(json!({})).severity, severity::INFO);
}

#[test]
fn failed_signin_is_at_least_warning() {
    let m = meaning(json!({"category": "SignInLogs", "resultType": "50140", "Level": 4}));
    assert_eq!(
        (m.outcome, m.severity),
        (Outcome::Failure, severity::WARNING)
    );
    let m = meaning(json!({"category": "SignInLogs", "resultType": "0", "Level": 4}));
    assert_eq!((m.outcome, m.severity), (Outcome::Success, severity::INFO));
    let m = meaning(json!({"category": "NonInteractiveUserSignInLogs",
        "properties": {"status": {"errorCode": 7000222}}}));
    assert_eq!(
        (m.outcome, m.severity),
        (Outcome::Failure, severity::WARNING)
    );
    // An error level stays an error.
    let m = meaning(json!({"category": "SignInLogs", "resultType": "50140", "Level": 2}));
    assert_eq!(m.severity, severity::ERROR);
}

#[test]
fn failed_audit_and_provisioning_are_at_least_warning() {
    let m = meaning(json!({"category": "AuditLogs", "level": "Informational",
        "properties": {"result": "failure"}}));
    assert_eq!(
        (m.outcome, m.severity),
        (Outcome::Failure, severity::WARNING)
    );
    let m = meaning(json!({"category": "AuditLogs", "properties": {"result": "success"}}));
    assert_eq!((m.outcome, m.severity), (Outcome::Success, severity::INFO));
    let m = meaning(json!({"category": "AuditLogs", "properties": {"result": 0}}));
    assert_eq!(m.outcome, Outcome::Success);
    let m = meaning(json!({"category": "ProvisioningLogs", "resultType": "Failure"}));
    assert_eq!(
        (m.outcome, m.severity),
        (Outcome::Failure, severity::WARNING)
    );
    let m = meaning(
        json!({"category": "ProvisioningLogs", "resultType": "Skipped",
        "properties": {"provisioningStatusInfo": {"Status": "failure"}}}),
    );
    assert_eq!(m.outcome, Outcome::Failure);
    let m = meaning(json!({"category": "ProvisioningLogs", "resultType": "Skipped"}));
    assert_eq!((m.outcome, m.severity), (Outcome::Unknown, severity::INFO));
}

#[test]
fn time_and_fallbacks() {
    let m = meaning(json!({"time": "2019-10-18T09:45:48.0729893Z",
        "properties": {"createdDateTime": "2020-01-01T00:00:00Z"}}));
    assert_eq!(m.time.unwrap().millis(), 1_571_391_948_072);
    let m = meaning(json!({"properties": {"createdDateTime": "2020-01-01T00:00:00Z"}}));
    assert_eq!(m.time.unwrap().millis(), 1_577_836_800_000);
    let m = meaning(json!({"time": "garbage",
        "properties": {"activityDateTime": "2020-01-01T00:00:00.5Z"}}));
    assert_eq!(m.time.unwrap().millis(), 1_577_836_800_500);
    let m = meaning(json!({"CreatedDateTime": "2020-01-01T00:00:01Z"}));
    assert_eq!(m.time.unwrap().millis(), 1_577_836_801_000);
    assert_eq!(meaning(json!({"time": 5})).time, None);
}

#[test]
fn time_source_and_unreadable_time() {
    let m = meaning(json!({"time": "2019-10-18T09:45:48Z",
        "properties": {"createdDateTime": "garbage"}}));
    assert_eq!(m.time_source, Some(TimeSource::Time));
    assert_eq!(m.unreadable_time, None);
    // An unreadable `time`, then a readable `properties.createdDateTime`.
    let m = meaning(json!({"time": "22.08.2022 18:11",
        "properties": {"createdDateTime": "2020-01-01T00:00:00Z"}}));
    assert_eq!(m.time.map(Timestamp::millis), Some(1_577_836_800_000));
    assert_eq!(m.time_source, Some(TimeSource::PropertiesCreatedDateTime));
    assert_eq!(m.unreadable_time.as_deref(), Some("22.08.2022 18:11"));
    // The first unreadable one is kept; absent, blank and non-string values are skipped.
    let m = meaning(json!({"time": 5,
        "properties": {"createdDateTime": " ", "activityDateTime": "yesterday"},
        "CreatedDateTime": "2020-01-01T00:00:01Z"}));
    assert_eq!(m.time.map(Timestamp::millis), Some(1_577_836_801_000));
    assert_eq!(m.time_source, Some(TimeSource::CreatedDateTime));
    assert_eq!(m.unreadable_time.as_deref(), Some("yesterday"));
    let m = meaning(json!({"time": "t1",
        "properties": {"createdDateTime": "c2", "activityDateTime": "2020-01-01T00:00:00Z"},
        "CreatedDateTime": "x"}));
    assert_eq!(m.time_source, Some(TimeSource::PropertiesActivityDateTime));
    assert_eq!(m.unreadable_time.as_deref(), Some("t1"));
    // None readable: an instant out of range is unreadable too.
    let m = meaning(
        json!({"properties": {"activityDateTime": "1969-12-31T23:59:59Z"},
        "CreatedDateTime": "x"}),
    );
    assert_eq!((m.time, m.time_source), (None, None));
    assert_eq!(m.unreadable_time.as_deref(), Some("1969-12-31T23:59:59Z"));
    // No time field, or none that is a non-blank string.
    for v in [
        json!({"category": "AuditLogs"}),
        json!({"time": "", "properties": {"createdDateTime": null}, "CreatedDateTime": 7}),
    ] {
        let m = meaning(v);
        assert_eq!(
            (m.time, m.time_source, m.unreadable_time),
            (None, None, None)
        );
    }
    // Escapes are undone.
    let m = describe(r#"{"time": "8\/22\/2022 6:11:52 PM", "CreatedDateTime": "8/22/22"}"#);
    assert_eq!(m.time_source, Some(TimeSource::Time));
    let m = describe(r#"{"time": "8\/22\/22", "CreatedDateTime": "8/22/2022 6:11:52 PM"}"#);
    assert_eq!(m.time_source, Some(TimeSource::CreatedDateTime));
    assert_eq!(m.unreadable_time.as_deref(), Some("8/22/22"));
    assert_eq!(TimeSource::Time.field(), "time");
    assert_eq!(
        TimeSource::PropertiesCreatedDateTime.field(),
        "properties.createdDateTime"
    );
    assert_eq!(
        TimeSource::PropertiesActivityDateTime.field(),
        "properties.activityDateTime"
    );
    assert_eq!(TimeSource::CreatedDateTime.field(), "CreatedDateTime");
}

#[test]
fn out_of_range_times_fall_through() {
    for early in [
        "1969-12-31T23:59:59Z",
        "12/31/1969 11:59:59 PM",
        "2262-04-12T00:00:00Z",
        "9999-12-31T23:59:59.9999999Z",
    ] {
        let m = meaning(json!({"time": early,
            "properties": {"createdDateTime": "2020-01-01T00:00:00Z"}}));
        assert_eq!(m.time.unwrap().millis(), 1_577_836_800_000, "{early}");
        let m = meaning(json!({"time": early,
            "properties": {"createdDateTime": early, "activityDateTime": early},
            "CreatedDateTime": "2020-01-01T00:00:01Z"}));
        assert_eq!(m.time.unwrap().millis(), 1_577_836_801_000, "{early}");
        assert_eq!(meaning(json!({"time": early})).time, None, "{early}");
    }
}

#[test]
fn tenant_sources() {
    let t = |v| meaning(v).tenant.map(|t| t.into_owned());
    assert_eq!(
        t(json!({"tenantId": "abc", "resourceId": "/tenants/zzz/x"})).as_deref(),
        Some("abc")
    );
    assert_eq!(t(json!({"TenantId": "ABC"})).as_deref(), Some("abc"));
    assert_eq!(
        t(json!({"resourceId": "/TENANTS/4A1B-C0DE/PROVIDERS/MICROSOFT.AADIAM"})).as_deref(),
        Some("4a1b-c0de")
    );
    assert_eq!(
        t(json!({"properties": {"tenantId": "p"}})).as_deref(),
        Some("p")
    );
    assert_eq!(t(json!({"resourceId": "/subscriptions/s/x"})), None);
}

#[test]
fn numbers_beyond_f64_do_not_stop_reading() {
    let rest = r#""category": "SignInLogs", "Level": 2, "tenantId": "T",
        "time": "2019-10-18T09:45:48Z", "resultType": "50140""#;
    for huge in ["1e400", "-1e400"] {
        let records = [
            format!(r#"{{"durationMs": {huge}, {rest}, "properties": {{"id": "p"}}}}"#),
            format!(r#"{{{rest}, "properties": {{"riskScore": {huge}, "id": "p"}}}}"#),
            format!(r#"{{"properties": {{"a": [[{{"b": {huge}}}]], "id": "p"}}, {rest}}}"#),
            format!(
                r#"{{"properties": {{"status": {{"errorCode": {huge}}}, "id": "p"}}, {rest}}}"#
            ),
        ];
        for json in &records {
            let m = describe(json);
            assert_eq!(m.category.as_deref(), Some("SignInLogs"), "{json}");
            assert_eq!(m.severity, severity::ERROR, "{json}");
            assert_eq!(m.tenant.as_deref(), Some("t"), "{json}");
            assert_eq!(m.id.as_deref(), Some("p"), "{json}");
            assert_eq!(
                m.time.map(Timestamp::millis),
                Some(1_571_391_948_000),
                "{json}"
            );
            assert_eq!(m.outcome, Outcome::Failure, "{json}");
            same_as_reading_everything(json);
        }
        // A huge number where a kept value is expected is no value: no level, no result.
        let json = format!(
            r#"{{"Level": {huge}, "category": "SignInLogs", "tenantId": "T",
                "time": "2019-10-18T09:45:48Z", "properties": {{"id": "p"}}}}"#
        );
        let m = describe(&json);
        assert_eq!(m.category.as_deref(), Some("SignInLogs"), "{json}");
        assert_eq!(m.severity, severity::INFO, "{json}");
        assert_eq!(m.tenant.as_deref(), Some("t"), "{json}");
        assert_eq!(m.id.as_deref(), Some("p"), "{json}");
        assert!(m.time.is_some(), "{json}");
        let json = format!(
            r#"{{"resultType": {huge}, "category": "SignInLogs", "Level": 2,
                "properties": {{"id": "p"}}, "tenantId": "T"}}"#
        );
        let m = describe(&json);
        assert_eq!(m.outcome, Outcome::Unknown, "{json}");
        assert_eq!(m.severity, severity::ERROR, "{json}");
        assert_eq!(m.tenant.as_deref(), Some("t"), "{json}");
        assert_eq!(m.id.as_deref(), Some("p"), "{json}");
        // `properties` itself: the rest of the record is still read.
        let json = format!(r#"{{"properties": {huge}, {rest}}}"#);
        let m = describe(&json);
        assert_eq!(m.category.as_deref(), Some("SignInLogs"), "{json}");
        assert_eq!(m.tenant.as_deref(), Some("t"), "{json}");
        assert_eq!(m.id, None, "{json}");
        same_as_reading_everything(&json);
    }
}

/// Reading stops early only when the rest cannot change the meaning.
fn same_as_reading_everything(json: &str) {
    assert_eq!(describe(json), describe_with(json, |_| false), "{json}");
}

#[test]
fn stopping_early_changes_nothing_on_the_example_records() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/entra-batch.json");
    let text = std::fs::read_to_string(path).unwrap();
    let records: Vec<&serde_json::value::RawValue> = serde_json::from_str::<
        std::collections::HashMap<&str, Vec<&serde_json::value::RawValue>>,
    >(&text)
    .unwrap()
    .remove("records")
    .unwrap();
    for r in records {
        same_as_reading_everything(r.get());
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Records with each key at most once (in one of its spellings), in any order.
    #[test]
    fn stopping_early_changes_nothing(
        picks in proptest::collection::vec(proptest::option::of(0usize..8), 9),
        order in proptest::collection::vec(proptest::num::usize::ANY, 9),
    ) {
        let keys: [&[&str]; 9] = [
            &[r#""time":"2026-11-02T08:14:07.4521983Z""#, r#""time":"garbage""#, r#""time":7"#,
              r#""time":"11/2/2026 8:17:30 AM +00:00""#, r#""time":"1969-12-31T23:59:59Z""#,
              r#""time":" ""#, r#""time":"2\/2\/2026""#],
            &[r#""category":"SignInLogs""#, r#""category":"AuditLogs""#,
              r#""Category":"ProvisioningLogs""#, r#""category":"RiskyUsers""#],
            &[r#""Level":4"#, r#""level":"Error""#, r#""Level":"2""#, r#""Level":1e400"#],
            &[r#""tenantId":"T1""#, r#""TenantId":"t9""#],
            &[r#""resourceId":"/tenants/t2/providers/x""#],
            &[r#""resultType":"0""#, r#""resultType":"Failure""#, r#""resultType":"50126""#,
              r#""resultType":"Skipped""#],
            &[r#""CreatedDateTime":"2026-01-01T00:00:00Z""#, r#""CreatedDateTime":"nope""#,
              r#""createdDateTime":"Mon, 02 Nov 2026 08:14:07 GMT""#],
            &[r#""properties":{"id":"p1","result":"failure","status":{"errorCode":5}}"#,
              r#""properties":{"requestId":"r","createdDateTime":"2026-02-02T00:00:00Z","id":"p2"}"#,
              r#""properties":{"provisioningStatusInfo":{"Status":"failure"},"id":"p3","tenantId":"t3"}"#,
              r#""properties":"a string""#,
              r#""properties":{"riskScore":-1e400,"status":{"errorCode":1e400},"id":"p4"}"#,
              r#""properties":1e400"#,
              r#""properties":{"activityDateTime":"x","createdDateTime":"","id":"p5"}"#,
              r#""properties":{"id":"p6","activityDateTime":"11/2/2026 8:17 AM"}"#],
            &[r#""durationMs":1e400"#, r#""durationMs":[{"a":-1e400}]"#],
        ];
        let mut fields: Vec<&str> = keys
            .iter()
            .zip(&picks)
            .filter_map(|(choices, pick)| pick.map(|p| choices[p % choices.len()]))
            .collect();
        for (i, j) in order.iter().enumerate() {
            let len = fields.len();
            if len > 1 {
                fields.swap(i % len, j % len);
            }
        }
        same_as_reading_everything(&format!("{{{}}}", fields.join(",")));
    }
}

#[test]
fn non_ascii_categories_do_not_panic() {
    // Found by the property test: a multi-byte character where "SignInLogs" would end.
    let m = meaning(json!({"category": "ૌ%Rዄਖ𑃰𐞵ۤ𑧞Ⱥ?%*", "resultType": "1"}));
    assert_eq!(m.category.as_deref(), Some("ૌ%Rዄਖ𑃰𐞵ۤ𑧞Ⱥ?%*"));
    assert!(!is_signin("ééééééééééé"));
}

#[test]
fn own_id() {
    assert_eq!(
        meaning(json!({"properties": {"id": "a-1"}})).id.as_deref(),
        Some("a-1")
    );
    assert_eq!(
        meaning(json!({"properties": {"requestId": "r"}}))
            .id
            .as_deref(),
        Some("r")
    );
    assert_eq!(meaning(json!({"properties": {"id": 5}})).id, None);
}
