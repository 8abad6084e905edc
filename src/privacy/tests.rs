use super::*;
use serde_json::{Value, json};

fn key() -> Mode {
    Mode::Pseudonymize(PseudonymKey::new("k3y-for-tests-0123456789abcdefghijklmnop").unwrap())
}

fn fields(paths: &[&str]) -> Vec<FieldPath> {
    paths.iter().map(|p| FieldPath::parse(p).unwrap()).collect()
}

fn masked(m: &Masker, v: &Value) -> Value {
    let text = v.to_string();
    match m.mask_json(&text) {
        Some(out) => serde_json::from_str(&out.text).unwrap(),
        None => v.clone(),
    }
}

#[test]
fn paths_parse_and_match_by_their_end() {
    let p = FieldPath::parse("targetResources[].userPrincipalName").unwrap();
    assert_eq!(p.0, ["targetResources", "userPrincipalName"]);
    let path = |s: &str| s.split('.').map(String::from).collect::<Vec<_>>();
    assert!(p.matches(&path("properties.targetResources.userPrincipalName")));
    assert!(p.matches(&path("TARGETRESOURCES.userprincipalname")));
    assert!(!p.matches(&path("properties.userPrincipalName")));
    assert!(FieldPath::parse("a[*].b[0]").is_ok());
    for bad in ["", "a..b", "a b", "a[.b", "\"a\"", "a]b"] {
        assert!(FieldPath::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn nothing_to_mask_is_no_masker() {
    assert!(Masker::new(vec![], false, false, Mode::Replace).is_none());
}

#[test]
fn named_fields_are_masked_at_any_depth_and_in_arrays() {
    let m = Masker::new(
        fields(&[
            "initiatedBy.user.userPrincipalName",
            "targetResources[].userPrincipalName",
            "identity",
            "properties.location",
        ]),
        false,
        false,
        Mode::Replace,
    )
    .unwrap();
    let record = json!({
        "identity": "Avery Example", "category": "AuditLogs",
        "properties": {
            "initiatedBy": {"user": {"userPrincipalName": "avery@contoso.example", "id": "u1"}},
            "targetResources": [{"userPrincipalName": "blake@contoso.example"}, {"userPrincipalName": null}],
            "location": {"city": "Utrecht", "geo": [52.09, 5.12]},
            "userPrincipalName": "kept: not a listed path"
        }
    });
    let out = masked(&m, &record);
    assert_eq!(out["identity"], "[masked]");
    assert_eq!(
        out["properties"]["initiatedBy"]["user"]["userPrincipalName"],
        "[masked]"
    );
    assert_eq!(out["properties"]["initiatedBy"]["user"]["id"], "u1");
    assert_eq!(
        out["properties"]["targetResources"][0]["userPrincipalName"],
        "[masked]"
    );
    assert_eq!(
        out["properties"]["targetResources"][1]["userPrincipalName"],
        Value::Null
    );
    assert_eq!(out["properties"]["location"], "[masked]");
    assert_eq!(
        out["properties"]["userPrincipalName"],
        "kept: not a listed path"
    );
    assert_eq!(out["category"], "AuditLogs");
}

#[test]
fn values_are_masked_inside_strings_and_embedded_json() {
    let m = Masker::new(vec![], true, true, Mode::Replace).unwrap();
    let embedded = json!({"ip": "2001:db8::7", "who": "Carol@Contoso.example"}).to_string();
    let record = json!({
        "callerIpAddress": "203.0.113.24",
        "properties": {
            "additionalDetails": [{"key": "note", "value": "from 198.51.100.9:443 by alice_fabrikam.com#EXT#@contoso.onmicrosoft.com"}],
            "raw": embedded,
            "userAgent": "Mozilla/5.0 Chrome/131.0.0.0 Safari/537.36",
            "time": "2026-11-02T08:14:07.4521983Z",
            "ids": ["::ffff:192.0.2.1", "fe80::1%eth0", "12:34:56", "1.2.3.4.5", "ip:2001:db8::1", "2001:db8::2: refused"]
        }
    });
    let out = masked(&m, &record);
    assert_eq!(out["callerIpAddress"], "[masked]");
    assert_eq!(
        out["properties"]["additionalDetails"][0]["value"],
        "from [masked]:443 by [masked]"
    );
    let raw: Value = serde_json::from_str(out["properties"]["raw"].as_str().unwrap()).unwrap();
    assert_eq!(raw, json!({"ip": "[masked]", "who": "[masked]"}));
    // Times and things that only look like addresses stay; a four-part version is masked.
    assert_eq!(
        out["properties"]["userAgent"],
        "Mozilla/5.0 Chrome/[masked] Safari/537.36"
    );
    assert_eq!(out["properties"]["time"], record["properties"]["time"]);
    assert_eq!(
        out["properties"]["ids"],
        json!([
            "[masked]",
            "[masked]",
            "12:34:56",
            "1.2.3.4.5",
            "ip:[masked]",
            "[masked]: refused"
        ])
    );
}

#[test]
fn unchanged_records_are_not_rewritten_and_text_is_kept_byte_for_byte() {
    let m = Masker::new(fields(&["identity"]), true, true, Mode::Replace).unwrap();
    assert!(
        m.mask_json(r#"{"a": 1, "b": "no personal data"}"#)
            .is_none()
    );
    let text = "{ \"n\" : 1.50e3 , \"s\":\"\\u00e9\", \"identity\" :\"x\" }";
    assert_eq!(
        m.mask_json(text).unwrap().text,
        "{ \"n\" : 1.50e3 , \"s\":\"\\u00e9\", \"identity\" :\"[masked]\" }"
    );
}

#[test]
fn pseudonyms_are_stable_canonical_and_keyed() {
    let m = Masker::new(fields(&["userPrincipalName"]), true, true, key()).unwrap();
    let a = masked(
        &m,
        &json!({"userPrincipalName": "Avery@Contoso.example", "ip": "2001:DB8:0::1"}),
    );
    let b = masked(
        &m,
        &json!({"note": "avery@contoso.example", "ip": "2001:db8::1"}),
    );
    let pseudonym = a["userPrincipalName"].as_str().unwrap();
    assert!(pseudonym.starts_with(PSEUDONYM_PREFIX) && pseudonym.len() == 4 + PSEUDONYM_HEX);
    assert_eq!(
        b["note"], pseudonym,
        "the same user correlates across fields"
    );
    assert_eq!(a["ip"], b["ip"]);
    assert_ne!(a["ip"], "2001:db8::1");
    let other = Mode::Pseudonymize(PseudonymKey::new(&"z".repeat(MIN_KEY_CHARS)).unwrap());
    let m2 = Masker::new(fields(&["userPrincipalName"]), true, true, other).unwrap();
    assert_ne!(
        masked(&m2, &json!({"userPrincipalName": "avery@contoso.example"}))["userPrincipalName"],
        pseudonym
    );
    // Masking again changes nothing.
    let again = m.mask_json(&a.to_string());
    assert!(again.is_none(), "{again:?}");
}

#[test]
fn the_start_line_says_what_is_masked_without_the_key() {
    let m = Masker::new(fields(&["identity", "a[].b"]), true, false, key()).unwrap();
    assert_eq!(
        m.to_string(),
        "fields [identity, a.b], values [ip], pseudonymize (HMAC-SHA256, PSEUDONYMIZE_KEY)"
    );
}

#[test]
fn keys_are_checked_without_showing_them() {
    for bad in [
        "short-key",
        "@Microsoft.KeyVault(SecretUri=https://v/secrets/k)",
        "with a space and long enough to pass 32",
    ] {
        let e = PseudonymKey::new(bad).unwrap_err();
        assert!(!e.contains(bad), "{e}");
    }
    assert_eq!(
        format!("{:?}", key()),
        "Pseudonymize(PseudonymKey(<redacted>))"
    );
}

#[test]
fn unparsed_text_is_masked_by_pattern() {
    let m = Masker::new(
        fields(&["properties.identity", "displayName"]),
        true,
        true,
        Mode::Replace,
    )
    .unwrap();
    let text = r#"{"category":"SignInLogs","durationMs":NaN,"properties":{"identity":"Avery Example","displayName":42,"ip":"203.0.113.5","upn":"a@b.example"}"#;
    let out = m.mask_text(text).unwrap();
    assert_eq!(
        out.text,
        r#"{"category":"SignInLogs","durationMs":NaN,"properties":{"identity":"[masked]","displayName":"[masked]","ip":"[masked]","upn":"[masked]"}"#
    );
    assert_eq!(out.count, 4);
    // Broken JSON held in a string keeps its escaped quotes.
    let out = m.mask_text(r#"x {\"identity\":\"Avery\"} y"#).unwrap();
    assert_eq!(out.text, r#"x {\"identity\":\"[masked]\"} y"#);
    assert!(m.mask_text("plain text, nothing personal").is_none());
}
