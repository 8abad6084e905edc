//! A quote-aware repair for the invalid JSON that Azure services are known to emit.
//!
//! Azure Functions and App Service diagnostic logs put single-quoted strings inside
//! `properties` (Azure/azure-functions-host#7864), and several services write raw newlines
//! inside strings. Replacing every `'` with `"` (what some forwarders do) corrupts apostrophes
//! inside ordinary strings; this repair walks the text and changes only what lies outside
//! double-quoted strings:
//!
//! - a single-quoted string becomes a double-quoted one (`\'` unescaped, `"` escaped);
//! - a raw control character inside any string becomes its JSON escape.
//!
//! Everything else is copied unchanged. Whether the result is valid JSON is for the caller to
//! check; if it is not, the original text is shipped as it was.

/// Returns the repaired text, or `None` if there was nothing this repair could change.
pub fn repair(text: &str) -> Option<String> {
    #[derive(PartialEq)]
    enum State {
        Outside,
        Double,
        Single,
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut state = State::Outside;
    let mut changed = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match state {
            State::Outside => match c {
                '"' => {
                    state = State::Double;
                    out.push(c);
                }
                '\'' => {
                    state = State::Single;
                    changed = true;
                    out.push('"');
                }
                _ => out.push(c),
            },
            State::Double => match c {
                '\\' => {
                    out.push(c);
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                }
                '"' => {
                    state = State::Outside;
                    out.push(c);
                }
                c if c.is_control() && (c as u32) < 0x20 => {
                    changed = true;
                    push_control(&mut out, c);
                }
                _ => out.push(c),
            },
            State::Single => match c {
                '\\' => match chars.next() {
                    Some('\'') => out.push('\''),
                    Some(next) => {
                        out.push('\\');
                        out.push(next);
                    }
                    None => out.push('\\'),
                },
                '\'' => {
                    state = State::Outside;
                    out.push('"');
                }
                '"' => out.push_str("\\\""),
                c if c.is_control() && (c as u32) < 0x20 => push_control(&mut out, c),
                _ => out.push(c),
            },
        }
    }
    changed.then_some(out)
}

fn push_control(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        _ => out.push_str(&format!("\\u{:04x}", c as u32)),
    }
}

#[cfg(test)]
mod tests {
    use super::repair;

    fn valid(s: &str) -> serde_json::Value {
        serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
    }

    #[test]
    fn single_quotes_outside_strings_become_double() {
        let fixed = repair(r#"{'a': 'b', "c": 'd'}"#).unwrap();
        assert_eq!(valid(&fixed), serde_json::json!({"a": "b", "c": "d"}));
    }

    #[test]
    fn apostrophes_inside_double_quoted_strings_are_untouched() {
        let text = r#"{"msg": "it's", 'k': 'v'}"#;
        let v = valid(&repair(text).unwrap());
        assert_eq!(v["msg"], "it's");
        assert_eq!(v["k"], "v");
    }

    #[test]
    fn escaped_quotes_and_embedded_double_quotes() {
        let v = valid(&repair(r#"{'m': 'say \'hi\' and "bye"', 'p': 'a\\b'}"#).unwrap());
        assert_eq!(v["m"], "say 'hi' and \"bye\"");
        assert_eq!(v["p"], "a\\b");
    }

    #[test]
    fn raw_newlines_inside_strings_are_escaped() {
        let v = valid(&repair("{\"m\": \"line1\nline2\ttab\"}").unwrap());
        assert_eq!(v["m"], "line1\nline2\ttab");
    }

    #[test]
    fn nothing_to_change() {
        assert_eq!(repair(r#"{"a": "it's"}"#), None);
        assert_eq!(repair("plain text without quotes"), None);
    }

    #[test]
    fn unicode_is_kept() {
        let v = valid(&repair("{'name': 'MFA für Gäste – ✓'}").unwrap());
        assert_eq!(v["name"], "MFA für Gäste – ✓");
    }
}
