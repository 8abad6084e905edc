use super::*;

fn read_all(json: &str) -> Top<'_> {
    read(json, |_| false)
}

fn leaked(json: String) -> Top<'static> {
    read_all(Box::leak(json.into_boxed_str()))
}

#[test]
fn stops_when_done() {
    let json = r#"{"a": 1, "category": "X", "properties": {"id": "i", "result": "r"}, "Level": 4}"#;
    let t = read(json, |t| !t.properties.id.is_null());
    assert_eq!(t.category.as_str(), Some("X"));
    assert_eq!(t.properties.id.as_str(), Some("i"));
    assert!(t.properties.result.is_null(), "read past the stop");
    assert!(t.level_pascal.is_null());
    let t = read_all(json);
    assert_eq!(t.properties.result.as_str(), Some("r"));
    assert_eq!(t.level_pascal, Scalar::Int(4));
}

#[test]
fn odd_types_do_not_fail() {
    let t = read_all(
        r#"{"time": 12, "Level": {"x": 1}, "category": ["a"], "durationMs": "0",
            "properties": "not an object", "tenantId": null}"#,
    );
    assert_eq!(t.time, None);
    assert_eq!(t.level_pascal, Scalar::Nested);
    assert_eq!(t.category, Scalar::Nested);
    assert_eq!(t.tenant_id, Scalar::Null);
    assert_eq!(t.properties.id, Scalar::Null);
}

#[test]
fn duplicate_keys_keep_the_last() {
    let t = read_all(r#"{"category": "A", "category": "SignInLogs"}"#);
    assert_eq!(t.category.as_str(), Some("SignInLogs"));
}

#[test]
fn nested_fields() {
    let t = read_all(
        r#"{"properties": {"id": "x", "status": {"errorCode": 50140, "failureReason": "r"},
            "provisioningStatusInfo": {"Status": "failure"}, "other": {"deep": [1, {"a": 2}]}}}"#,
    );
    assert_eq!(t.properties.id.as_str(), Some("x"));
    assert_eq!(t.properties.error_code, Scalar::Int(50140));
    assert_eq!(t.properties.provisioning_status.as_str(), Some("failure"));
}

#[test]
fn strings_are_borrowed_when_unescaped() {
    let t = read_all(r#"{"category": "AuditLogs", "resultType": "a\"b"}"#);
    assert!(matches!(t.category, Scalar::Str(Cow::Borrowed(_))));
    assert_eq!(t.result_type.as_str(), Some("a\"b"));
}

/// Numbers beyond f64's range (valid JSON) in every place the reader meets a value.
#[test]
fn numbers_beyond_f64_do_not_stop_the_reader() {
    for huge in ["1e400", "-1e400", "1E+400", "12345678901234567890e300"] {
        let rest = r#""category": "SignInLogs", "tenantId": "t", "properties": {"id": "p"}"#;
        // Skipped at the top level, before the fields that are kept.
        let t = leaked(format!(r#"{{"durationMs": {huge}, {rest}}}"#));
        assert_eq!(t.category.as_str(), Some("SignInLogs"), "{huge}");
        assert_eq!(t.properties.id.as_str(), Some("p"), "{huge}");
        // Skipped inside `properties`, before `id`.
        let t = leaked(format!(
            r#"{{"category": "SignInLogs", "properties": {{"riskScore": {huge}, "id": "p"}},
                "tenantId": "t"}}"#
        ));
        assert_eq!(t.properties.id.as_str(), Some("p"), "{huge}");
        assert_eq!(t.tenant_id.as_str(), Some("t"), "{huge}");
        // Inside a nested array that is skipped.
        let t = leaked(format!(
            r#"{{"properties": {{"policies": [{{"x": [1, {huge}]}}], "id": "p"}},
                "category": "SignInLogs"}}"#
        ));
        assert_eq!(t.properties.id.as_str(), Some("p"), "{huge}");
        assert_eq!(t.category.as_str(), Some("SignInLogs"), "{huge}");
        // As the value of a field that is kept.
        for key in [
            "Level",
            "level",
            "resultType",
            "category",
            "tenantId",
            "time",
        ] {
            let t = leaked(format!(
                r#"{{"{key}": {huge}, "Category": "AuditLogs", "TenantId": "t",
                    "properties": {{"id": "p"}}}}"#
            ));
            assert_eq!(
                t.category_pascal.as_str(),
                Some("AuditLogs"),
                "{key}: {huge}"
            );
            assert_eq!(t.tenant_id_pascal.as_str(), Some("t"), "{key}: {huge}");
            assert_eq!(t.properties.id.as_str(), Some("p"), "{key}: {huge}");
        }
        for key in [
            "id",
            "result",
            "createdDateTime",
            "status",
            "provisioningStatusInfo",
        ] {
            let t = leaked(format!(
                r#"{{"properties": {{"{key}": {huge}, "requestId": "r"}}, "category": "X"}}"#
            ));
            assert_eq!(t.properties.request_id.as_str(), Some("r"), "{key}: {huge}");
            assert_eq!(t.category.as_str(), Some("X"), "{key}: {huge}");
        }
        let t = leaked(format!(
            r#"{{"properties": {{"status": {{"errorCode": {huge}}}, "requestId": "r"}},
                "category": "X"}}"#
        ));
        assert_eq!(t.properties.request_id.as_str(), Some("r"), "{huge}");
        assert_eq!(t.category.as_str(), Some("X"), "{huge}");
        // `properties` itself.
        let t = leaked(format!(r#"{{"properties": {huge}, "category": "X"}}"#));
        assert_eq!(t.category.as_str(), Some("X"), "{huge}");
        // Kept values inside an object or array value of a kept field.
        let t = leaked(format!(
            r#"{{"Level": {{"a": [{huge}]}}, "category": "X"}}"#
        ));
        assert_eq!(t.level_pascal, Scalar::Nested, "{huge}");
        assert_eq!(t.category.as_str(), Some("X"), "{huge}");
    }
}

#[test]
fn deep_nesting_does_not_stop_the_reader() {
    // Deeper than serde_json's recursion limit (128), wherever it is.
    let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
    for json in [
        format!(r#"{{"a": {deep}, "category": "X", "properties": {{"id": "p"}}}}"#),
        format!(r#"{{"Level": {deep}, "category": "X", "properties": {{"id": "p"}}}}"#),
        format!(r#"{{"properties": {{"a": {deep}, "id": "p"}}, "category": "X"}}"#),
        format!(r#"{{"properties": {{"status": {deep}, "id": "p"}}, "category": "X"}}"#),
        format!(r#"{{"properties": {deep}, "category": "X", "properties": {{"id": "p"}}}}"#),
    ] {
        let t = leaked(json.clone());
        assert_eq!(t.category.as_str(), Some("X"), "{json}");
        assert_eq!(t.properties.id.as_str(), Some("p"), "{json}");
    }
}

#[test]
fn huge_kept_numbers_are_infinite() {
    let t = read_all(r#"{"Level": 1e400, "level": -1e400, "resultType": 1e-400}"#);
    assert_eq!(t.level_pascal, Scalar::Float(f64::INFINITY));
    assert_eq!(t.level, Scalar::Float(f64::NEG_INFINITY));
    assert_eq!(t.result_type, Scalar::Float(0.0));
    assert_eq!(t.level_pascal.as_i64(), None);
    assert_eq!(t.level.as_i64(), None);
}

#[test]
fn scalars_from_their_text() {
    let t = read_all(
        r#"{"Level": 4, "level": -7, "tenantId": 1.5, "TenantId": 2e3,
            "resultType": 18446744073709551615, "resourceId": true, "category": false,
            "Category": null, "createdDateTime": [1, {"a": 1e400}]}"#,
    );
    assert_eq!(t.level_pascal, Scalar::Int(4));
    assert_eq!(t.level, Scalar::Int(-7));
    assert_eq!(t.tenant_id, Scalar::Float(1.5));
    assert_eq!(t.tenant_id_pascal, Scalar::Float(2000.0));
    assert_eq!(t.tenant_id_pascal.as_i64(), Some(2000));
    assert_eq!(t.result_type, Scalar::Float(18446744073709551615.0));
    assert_eq!(t.resource_id, Scalar::Bool(true));
    assert_eq!(t.category, Scalar::Bool(false));
    assert_eq!(t.category_pascal, Scalar::Null);
    assert_eq!(t.created_date_time, Scalar::Nested);
    let t = read_all(r#"{"category": "a\u00e9\"b", "resultType": ""}"#);
    assert_eq!(t.category.as_str(), Some("aé\"b"));
    assert!(matches!(t.result_type, Scalar::Str(Cow::Borrowed(""))));
}

#[test]
fn stopping_inside_a_later_properties() {
    // A `properties` out of f64's range is skipped; a later `properties` is read, and
    // reading still stops when done.
    let json = r#"{"category": "X", "properties": 1e400, "properties": {"id": "i", "result": "r"},
        "Level": 4}"#;
    let t = read(json, |t| !t.properties.id.is_null());
    assert_eq!(t.category.as_str(), Some("X"));
    assert_eq!(t.properties.id.as_str(), Some("i"));
    assert!(t.properties.result.is_null(), "read past the stop");
    assert!(t.level_pascal.is_null(), "read past the stop");
    let t = read_all(json);
    assert_eq!(t.properties.result.as_str(), Some("r"));
    assert_eq!(t.level_pascal, Scalar::Int(4));
}

#[test]
fn non_objects_have_no_fields() {
    assert_eq!(read_all("\"text\"").category, Scalar::Null);
    assert_eq!(read_all("[1,2]").category, Scalar::Null);
    assert_eq!(read_all("42").category, Scalar::Null);
    assert_eq!(read_all("1e400").category, Scalar::Null);
    assert_eq!(read_all(" null").category, Scalar::Null);
}

#[test]
fn text_that_is_not_json_keeps_what_was_read_and_never_panics() {
    let json = r#"{"time": "2026-11-02T08:14:07Z", "category": "SignInLogs", "properties": {"id": "p", "status": {"errorCode": 50140, "x": "a\"]}"}, "policies": [{"a": [1, "}"]}]}, "Level": 4}"#;
    for end in 0..json.len() {
        let cut = &json[..end];
        let t = read_all(cut);
        if end > json.find("\"category\"").unwrap() {
            assert!(t.time.is_some(), "{cut}");
        }
        if end > json.find("\"properties\"").unwrap() {
            assert_eq!(t.category.as_str(), Some("SignInLogs"), "{cut}");
        }
    }
    let whole = read_all(json);
    assert_eq!(whole.properties.error_code, Scalar::Int(50140));
    assert_eq!(whole.level_pascal, Scalar::Int(4));
    // Stray closers, a missing colon, a bare word where a key belongs.
    for broken in [
        r#"{"category": "X"}}]], "Level": 4}"#,
        r#"{"category": "X", "Level" 4}"#,
        r#"{"category": "X", Level: 4}"#,
        r#"{"properties": {"status": {"errorCode": ]}}, "category": "X"}"#,
    ] {
        let t = read_all(broken);
        assert!(t.level_pascal.is_null(), "{broken}");
    }
}
