use super::*;

fn texts(split: &Split<'_>) -> Vec<String> {
    split
        .records
        .iter()
        .map(|r| match r {
            Record::Json(raw) => raw.to_string(),
            Record::Text(t) => format!("TEXT:{t}"),
        })
        .collect()
}

fn run(body: &[u8]) -> Vec<String> {
    texts(&split(body))
}

#[test]
fn envelope() {
    let s = split(br#"{"records":[{"a":1}, {"b":[1,2]}]}"#);
    assert_eq!(texts(&s), [r#"{"a":1}"#, r#"{"b":[1,2]}"#]);
    assert!(
        s.records
            .iter()
            .all(|r| matches!(r, Record::Json(Cow::Borrowed(_))))
    );
    assert_eq!(
        (s.repaired, s.unparsed, s.invalid_utf8, s.nul_bytes),
        (0, 0, 0, 0)
    );
}

#[test]
fn pretty_printed_envelope_with_bom_and_trailing_space() {
    let body = b"\xEF\xBB\xBF{\n  \"records\": [\n    {\"a\": 1}  \n  ]\n}\n  ";
    assert_eq!(run(body), [r#"{"a": 1}"#]);
}

#[test]
fn empty_envelope_and_empty_body() {
    assert!(run(br#"{"records":[]}"#).is_empty());
    assert!(run(b"  \n").is_empty());
    assert!(run(b"").is_empty());
    let s = split(b"\0\0 ");
    assert!(s.records.is_empty());
    assert_eq!(s.nul_bytes, 2);
}

#[test]
fn bare_array_and_single_object() {
    assert_eq!(run(br#"[{"a":1},{"a":2}]"#).len(), 2);
    assert_eq!(
        run(br#"{"category":"AuditLogs"}"#),
        [r#"{"category":"AuditLogs"}"#]
    );
    assert_eq!(run(br#""a string""#), [r#""a string""#]);
}

#[test]
fn records_not_an_array_keeps_the_whole_object() {
    for body in [
        &br#"{"records":{"a":1}}"#[..],
        br#"{"records":"x","other":1}"#,
        br#"{"records":7}"#,
        br#"{"records":null}"#,
    ] {
        assert_eq!(run(body), [String::from_utf8(body.to_vec()).unwrap()]);
    }
}

#[test]
fn arrays_and_lines_of_envelopes_are_split_alike() {
    assert_eq!(run(b"{\"a\":1}\n{\"a\":2}\n").len(), 2);
    let want = [r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":3}"#];
    assert_eq!(
        run(b"{\"records\":[{\"a\":1},{\"a\":2}]}\n{\"records\":[{\"a\":3}]}"),
        want
    );
    assert_eq!(
        run(br#"[{"records":[{"a":1},{"a":2}]},{"records":[{"a":3}]}]"#),
        want
    );
    // Mixed: an envelope and a plain record in one array.
    assert_eq!(run(br#"[{"records":[{"a":1},{"a":2}]},{"a":3}]"#), want);
}

#[test]
fn other_envelope_members_are_kept_as_a_record() {
    let body =
        br#"{"records":[{"a":1}],"PartitionId":1,"EventEnqueuedUtcTime":"2026-11-02T10:00:00Z"}"#;
    assert_eq!(
        run(body),
        [
            r#"{"a":1}"#,
            r#"{"PartitionId":1,"EventEnqueuedUtcTime":"2026-11-02T10:00:00Z"}"#
        ]
    );
}

#[test]
fn text_is_one_record_unchanged() {
    let s = split(b"2025-06-01 12:00:00 something happened: it's fine");
    assert_eq!(
        texts(&s),
        ["TEXT:2025-06-01 12:00:00 something happened: it's fine"]
    );
    assert_eq!((s.unparsed, s.repaired), (1, 0));
}

#[test]
fn single_quoted_properties_are_repaired() {
    let body = br#"{"records":[{"category":"FunctionAppLogs","properties":{'message':'it\'s "ok"','n':1}}]}"#;
    let s = split(body);
    assert_eq!(s.repaired, 1);
    let v: serde_json::Value = serde_json::from_str(&texts(&s)[0]).unwrap();
    assert_eq!(v["properties"]["message"], "it's \"ok\"");
    assert_eq!(v["properties"]["n"], 1);
}

#[test]
fn a_record_with_nan_is_the_only_one_unparsed() {
    let body = br#"{"records":[{"r":1},{"r":2,"b":NaN},{"r":3,"c":[1,2]},{"r":4,"d":Infinity}]}"#;
    let s = split(body);
    assert_eq!(
        texts(&s),
        [
            r#"{"r":1}"#,
            r#"TEXT:{"r":2,"b":NaN}"#,
            r#"{"r":3,"c":[1,2]}"#,
            r#"TEXT:{"r":4,"d":Infinity}"#
        ]
    );
    assert_eq!(s.unparsed, 2);
}

#[test]
fn trailing_nul_and_stray_bytes_after_the_body() {
    let s = split(b"{\"records\":[{\"a\":1},{\"b\":2}]}\0\0\0");
    assert_eq!(texts(&s), [r#"{"a":1}"#, r#"{"b":2}"#]);
    assert_eq!((s.nul_bytes, s.unparsed), (3, 0));
    let s = split(b"{\"records\":[{\"a\":1},{\"b\":2}]} garbage]");
    assert_eq!(texts(&s), [r#"{"a":1}"#, r#"{"b":2}"#, "TEXT:garbage]"]);
    assert_eq!(s.unparsed, 1);
}

#[test]
fn unrepairable_separators_are_text_of_their_own() {
    let s = split(br#"{"records":[{"a":1},,{"b":2}]}"#);
    assert_eq!(texts(&s), [r#"{"a":1}"#, r#"{"b":2}"#]);
    let s = split(br#"{"records":[{"a":1},x,{"b":2}]}"#);
    assert_eq!(texts(&s), [r#"{"a":1}"#, "TEXT:x", r#"{"b":2}"#]);
}

#[test]
fn a_truncated_event_keeps_every_whole_record() {
    let s = split(br#"{"records":[{"a":1},{"b":2},{"c":"tru"#);
    assert_eq!(texts(&s), [r#"{"a":1}"#, r#"{"b":2}"#, r#"TEXT:{"c":"tru"#]);
}

#[test]
fn a_broken_line_of_ndjson_keeps_the_other_lines() {
    let body = b"{\"records\":[{\"a\":1},{\"b\":\"cut\n{\"records\":[{\"c\":3}]}\n{\"d\":4}";
    let s = split(body);
    assert_eq!(
        texts(&s),
        [
            r#"{"a":1}"#,
            r#"TEXT:{"b":"cut"#,
            r#"{"c":3}"#,
            r#"{"d":4}"#
        ]
    );
}

#[test]
fn a_broken_envelope_in_an_array_is_split_too() {
    let body = br#"[{"records":[{"a":1},{"b":NaN}]},{"records":[{"c":3}]}]"#;
    assert_eq!(run(body), [r#"{"a":1}"#, r#"TEXT:{"b":NaN}"#, r#"{"c":3}"#]);
}

#[test]
fn a_stray_quote_spoils_only_its_record() {
    // The first and last records' strings each hold a stray quote (the last one before a '}').
    let body = br#"{"records":[{"r":"x"y","n":{"m":[1]}},{"r":"ok"},{"r":"a"}b"}]}"#;
    let s = split(body);
    assert_eq!(
        texts(&s),
        [
            r#"TEXT:{"r":"x"y","n":{"m":[1]}}"#,
            r#"{"r":"ok"}"#,
            r#"TEXT:{"r":"a"}b"}"#
        ]
    );
}

#[test]
fn invalid_utf8_is_replaced_in_its_record_only() {
    let s = split(b"{\"records\":[{\"name\":\"caf\xE9\"},{\"b\":1}]}");
    assert_eq!(texts(&s), ["{\"name\":\"caf\u{FFFD}\"}", r#"{"b":1}"#]);
    assert_eq!(s.invalid_utf8, 1);
    let s = split(b"\xff\xfe binary");
    assert_eq!(texts(&s), ["TEXT:\u{FFFD}\u{FFFD} binary"]);
    assert_eq!((s.invalid_utf8, s.unparsed), (1, 1));
}
