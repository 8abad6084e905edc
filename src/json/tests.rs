use super::array::RealEnd;
use super::*;

fn elements(text: &str) -> Vec<&str> {
    let open = text.find('[').unwrap();
    let real_end: RealEnd = if text.starts_with('{') {
        &ends_envelope_records
    } else {
        &ends_bare_array
    };
    let (elements, _) = array_elements(text.as_bytes(), open + 1, real_end);
    elements.into_iter().map(|e| &text[e.range]).collect()
}

#[test]
fn valid_arrays_are_split_exactly() {
    assert_eq!(
        elements(r#"[{"a":[1,{"b":"]}"}]}, 2 , "x,y", [3,[4]]]"#),
        [r#"{"a":[1,{"b":"]}"}]}"#, "2", r#""x,y""#, "[3,[4]]"]
    );
    assert_eq!(elements("[]"), Vec::<&str>::new());
    assert_eq!(elements("[ ]"), Vec::<&str>::new());
    assert_eq!(elements(r#"["a\"]b"]"#), [r#""a\"]b""#]);
}

#[test]
fn the_end_of_the_array_is_found() {
    let text = b"[1,[2]]\n trailing";
    assert_eq!(array_elements(text, 1, &ends_bare_array).1, 7);
    let text = br#"[1,{"a":2}"#;
    let (e, end) = array_elements(text, 1, &ends_bare_array);
    assert_eq!(end, 10);
    let ranges: Vec<Range<usize>> = e.into_iter().map(|e| e.range).collect();
    assert_eq!(ranges, [1..2, 3..10]);
}

#[test]
fn a_bad_element_keeps_its_neighbours() {
    assert_eq!(
        elements(r#"[{"a":1},{"b":NaN,"c":[1]},{"d":2}]"#),
        [r#"{"a":1}"#, r#"{"b":NaN,"c":[1]}"#, r#"{"d":2}"#]
    );
    // A stray quote inside a string.
    assert_eq!(
        elements(r#"[{"a":"x"y","b":{"c":1}},{"d":2}]"#),
        [r#"{"a":"x"y","b":{"c":1}}"#, r#"{"d":2}"#]
    );
    // A stray quote after a value.
    assert_eq!(
        elements(r#"[{"a":1,"b":2"},{"d":2}]"#),
        [r#"{"a":1,"b":2"}"#, r#"{"d":2}"#]
    );
    // A stray quote before a value that holds brackets.
    assert_eq!(
        elements(r#"[{"a":"[1,"x"],"b":1},{"d":2}]"#),
        [r#"{"a":"[1,"x"],"b":1}"#, r#"{"d":2}"#]
    );
    // A missing closing brace.
    assert_eq!(
        elements(r#"[{"a":{"b":1},{"a":2}]"#),
        [r#"{"a":{"b":1}"#, r#"{"a":2}"#]
    );
    // A record missing its last brace at the end of the array.
    assert_eq!(
        elements(r#"{"records":[{"a":1},{"b":{"c":2}]}"#),
        [r#"{"a":1}"#, r#"{"b":{"c":2}"#]
    );
    // Truncated.
    assert_eq!(
        elements(r#"[{"a":1},{"b":"x"#),
        [r#"{"a":1}"#, r#"{"b":"x"#]
    );
}

#[test]
fn objects_nested_in_a_broken_record_are_not_records() {
    // A stray quote hides the bracket of an array of objects.
    let text = r#"{"records":[{"p":[{"x":0},"{"x":1},{"x":2}],"id":"r1"},{"p":[],"id":"r2"}]}"#;
    assert_eq!(
        elements(text),
        [
            r#"{"p":[{"x":0},"{"x":1},{"x":2}],"id":"r1"}"#,
            r#"{"p":[],"id":"r2"}"#
        ]
    );
    // A string holding unescaped JSON, in records of the same kind.
    let text = r#"[{"a":"[{"x":1},{"y":2}]","n":1},{"a":"ok","n":2},{"a":"c","n":3}]"#;
    assert_eq!(
        elements(text),
        [
            r#"{"a":"[{"x":1},{"y":2}]","n":1}"#,
            r#"{"a":"ok","n":2}"#,
            r#"{"a":"c","n":3}"#
        ]
    );
}

#[test]
fn text_turned_inside_out_by_a_stray_quote_is_not_a_second_record() {
    // Found by tests/poison.rs: the stray quote before `Level` makes the string `},{L[` read as
    // brackets, and `{L` shares a prefix with `Level`; it is one broken record, not two.
    let record =
        r#"{""Level":4,"status":{"errorCode":0,"failureReason":"},{L["}},"resultType":"0"}"#;
    let text = format!(r#"{{"records":[{record}]}}"#);
    assert_eq!(elements(&text), [record]);
    // Two broken records in a row that both open like records are still two.
    let text = r#"{"records":[{"Level":NaN,"a":1},{"Level":NaN,"a":2}]}"#;
    assert_eq!(
        elements(text),
        [r#"{"Level":NaN,"a":1}"#, r#"{"Level":NaN,"a":2}"#]
    );
}

#[test]
fn text_in_a_string_that_reads_like_the_end_of_an_array_is_not_the_end() {
    // Found by tests/poison.rs. A string holding `,0]}[` next to a NaN: `0` would anchor a
    // chain to a `]` that looks like the end of the records.
    let record = r#"{"L":4,"s":{"e":NaN,"f":",0]}["}},"t":"x"}"#;
    assert_eq!(elements(&format!(r#"{{"records":[{record}]}}"#)), [record]);
    let record = r#"{"L":4,"s":{"e":NaN,"f":",0]["}},"t":"x"}"#;
    assert_eq!(
        elements(&format!(r#"[{record},{{"L":1}}]"#)),
        [record, r#"{"L":1}"#]
    );
    // `][` and `][]0` inside a string a stray quote turned inside out are not the end either.
    for inside in ["A][A0", "A][]0a"] {
        let record = format!(r#"{{"L":4,"s":{{"f":"",}}/'{inside}aA'Aa,A\",\"}}}},"t":"x"}}"#);
        assert_eq!(elements(&format!("[{record}]")), [record.as_str()]);
    }
    // A line feed inside a record is not the end of a line of NDJSON.
    let text = "[{\"a\":NaN},{\"p\":[]\n,\"id\":1}]";
    assert_eq!(elements(text), ["{\"a\":NaN}", "{\"p\":[]\n,\"id\":1}"]);
}

#[test]
fn a_string_closed_early_is_one_record_not_a_whole_value_and_its_rest() {
    // Found by tests/poison.rs: the stray quote after `00a` ends the string, `}}}` closes the
    // record for serde_json, and the rest after the comma starts with a closer.
    let record = r#"{"L":4,"p":{"s":{"f":"}aa}0a\"'\",00a"}}},/}A'"}},"t":"x"}"#;
    assert_eq!(elements(&format!(r#"{{"records":[{record}]}}"#)), [record]);
}

#[test]
fn more_text_a_stray_quote_turned_inside_out() {
    // Found by tests/poison.rs (seeds 155 and 324). The rest after `}} },` opens a bracket
    // before it closes three; `]{}` is the inside of a string, not the end of the array.
    let record = r#"{"L":4,"p":{"s":{"f":"a'0A"}} },0AA{A 0"}},"t":"x"}"#;
    assert_eq!(elements(&format!(r#"{{"records":[{record}]}}"#)), [record]);
    let record = r#"{"L":4,"p":{"s":{"f":"'a" }0]{}}"}},"t":"x"}"#;
    assert_eq!(elements(&format!("[{record}]")), [record]);
    // A broken record that opens like one is not taken for the rest of the one before it.
    assert_eq!(
        elements(r#"[{"a":1},{"b":"x"}}"y"}]"#),
        [r#"{"a":1}"#, r#"{"b":"x"}}"y"}"#]
    );
}

#[test]
fn raw_control_bytes_do_not_turn_strings_inside_out() {
    // Before a string, and between a backslash and the quote it escapes.
    for record in [
        "{\"L\":4,\"f\":\u{0}\"a'\\\"} 0A][}AA\",\"t\":1}",
        "{\"L\":4,\"f\":\"a'\\\u{1}\"} 0A][}AA\",\"t\":1}",
    ] {
        let text = format!(r#"[{{"records":[{record}]}},{{"records":[{{"L":1}}]}}]"#);
        let open = 1;
        let (outer, _) = array_elements(text.as_bytes(), open, &ends_bare_array);
        assert_eq!(outer.len(), 2, "{text}");
        assert_eq!(&text[outer[1].range.clone()], r#"{"records":[{"L":1}]}"#);
        assert_eq!(
            elements(&format!(r#"{{"records":[{record},{{"L":2}}]}}"#)),
            [record, r#"{"L":2}"#]
        );
    }
}

#[test]
fn parse_value_reports_where_the_error_is() {
    assert_eq!(parse_value(br#"  {"a":1} x"#, 2), Ok(9));
    assert_eq!(parse_value(br#"{"a":NaN}"#, 0), Err(5));
    assert_eq!(parse_value(b"{\n\"a\":\n NaN}", 0), Err(8));
}

#[test]
fn value_end_finds_the_closing_bracket() {
    let text = br#"{"a":"}","b":[1,2]} {"c":3}"#;
    assert_eq!(value_end(text, 0), 19);
    assert_eq!(value_end(text, 20), text.len());
    assert_eq!(value_end(br#"{"a":[1}"#, 0), 8, "runs to the end");
    assert_eq!(
        value_end(br#"{"a":[1}} {"b":2}"#, 0),
        17,
        "a stray closer is ignored"
    );
    assert_eq!(value_end(br#"{"a":1"#, 0), 6);
}

#[test]
fn members_of_an_object() {
    let text = r#"{"records": [1,2], "x" : {"y":[3]} , 7 8, "k":"v"}"#;
    let (members, end) = object_members(text.as_bytes(), 0);
    assert_eq!(end, text.len());
    let parts: Vec<(Option<&str>, &str, &str)> = members
        .iter()
        .map(|m| {
            (
                m.key.clone().map(|k| &text[k]),
                &text[m.value()],
                &text[m.range()],
            )
        })
        .collect();
    assert_eq!(
        parts,
        [
            (Some(r#""records""#), "[1,2]", r#""records": [1,2]"#),
            (Some(r#""x""#), r#"{"y":[3]}"#, r#""x" : {"y":[3]}"#),
            (None, "7 8", "7 8"),
            (Some(r#""k""#), r#""v""#, r#""k":"v""#),
        ]
    );
}

#[test]
fn strings_end_at_a_quote_that_can_end_them() {
    let text = br#""it"s", 1"#;
    assert_eq!(string_end(text, 0), 6);
    assert_eq!(string_end(br#""a\"b" "#, 0), 6);
    assert_eq!(string_end(br#""open"#, 0), 5);
}
