//! Removing the API key from text that came from elsewhere (a server's error answer, an error
//! message), in every form a server can echo it: as sent, JSON-escaped, URL-encoded,
//! HTML-escaped, and any piece of it long enough to matter.

/// What replaces the key.
pub const REDACTED: &str = "<redacted>";

/// The shortest piece of the key that is removed when it appears on its own. Coralogix keys
/// start with a public prefix (`cxtp_`); 12 characters always include secret ones.
pub const MIN_PIECE: usize = 12;

/// Removes the key, in each of its encodings and any piece of at least [`MIN_PIECE`]
/// characters, from `text`. Redact before cutting a text short, never after: a cut can leave
/// a piece of the key that no longer matches the whole.
pub fn redact(text: &str, key: &str) -> String {
    if key.is_empty() {
        return text.to_owned();
    }
    let mut out = text.to_owned();
    for form in forms(key) {
        if out.contains(&form) {
            out = out.replace(&form, REDACTED);
        }
    }
    let out = redact_pieces(&out, key);
    // The safety net: a form not listed above (mixed escapes) still shows once decoded.
    let decoded = decode(&out);
    if redact_pieces(&decoded, key) != decoded {
        return format!("{REDACTED} (the answer echoed the API key in a form not recognised)");
    }
    out
}

/// `text` with JSON, URL and HTML escapes decoded, for the safety net's check only.
fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let (decoded, used) = match c {
            '\\' => match rest[1..].chars().next() {
                Some('u') => hex(rest.get(2..6), 16).map_or((None, 1), |c| (Some(c), 6)),
                Some(e @ ('"' | '\\' | '/')) => (Some(e), 2),
                _ => (None, 1),
            },
            '%' => hex(rest.get(1..3), 16).map_or((None, 1), |c| (Some(c), 3)),
            '&' => [
                ("&quot;", '"'),
                ("&amp;", '&'),
                ("&lt;", '<'),
                ("&gt;", '>'),
                ("&#39;", '\''),
                ("&#x27;", '\''),
                ("&#34;", '"'),
            ]
            .iter()
            .find(|(entity, _)| rest.starts_with(entity))
            .map_or((None, 1), |(entity, c)| (Some(*c), entity.len())),
            _ => (None, c.len_utf8()),
        };
        match decoded {
            Some(d) => out.push(d),
            None => out.push_str(&rest[..used]),
        }
        rest = &rest[used..];
    }
    out
}

fn hex(digits: Option<&str>, radix: u32) -> Option<char> {
    let digits = digits?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    char::from_u32(u32::from_str_radix(digits, radix).ok()?)
}

/// The key as a server could write it back.
fn forms(key: &str) -> Vec<String> {
    let mut forms = vec![key.to_owned()];
    let json = serde_json::to_string(key).expect("a string serializes");
    let json = json[1..json.len() - 1].to_owned();
    forms.push(json.replace('/', "\\/"));
    for upper in [true, false] {
        // JSON with HTML-sensitive characters escaped (JSON.NET's EscapeHtml, and others).
        let code = |c: char| {
            let n = c as u32;
            if upper {
                format!("\\u{n:04X}")
            } else {
                format!("\\u{n:04x}")
            }
        };
        let mut html = json.clone();
        for c in ['&', '<', '>', '\''] {
            html = html.replace(c, &code(c));
        }
        forms.push(html.replace("\\\"", &code('"')));
        forms.push(html);
    }
    forms.push(json);
    for upper in [true, false] {
        forms.push(escape_each(
            key,
            |b| !b.is_ascii_alphanumeric(),
            |b| {
                if upper {
                    format!("\\u{b:04X}")
                } else {
                    format!("\\u{b:04x}")
                }
            },
        ));
        forms.push(escape_each(
            key,
            |b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')),
            |b| {
                if upper {
                    format!("%{b:02X}")
                } else {
                    format!("%{b:02x}")
                }
            },
        ));
    }
    forms.push(
        key.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\'', "&#39;"),
    );
    forms.push(key.replace('\'', "&#x27;").replace('"', "&#34;"));
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    forms
}

fn escape_each(key: &str, escape: impl Fn(u8) -> bool, code: impl Fn(u8) -> String) -> String {
    let mut out = String::with_capacity(key.len() * 3);
    for c in key.chars() {
        if c.is_ascii() && escape(c as u8) {
            out.push_str(&code(c as u8));
        } else {
            out.push(c);
        }
    }
    out
}

/// Replaces every run of at least [`MIN_PIECE`] characters that also appears in the key.
fn redact_pieces(text: &str, key: &str) -> String {
    let min = MIN_PIECE.min(key.len());
    let t = text.as_bytes();
    let k = key.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i + min <= t.len() {
        let longest = (0..k.len())
            .map(|j| {
                t[i..]
                    .iter()
                    .zip(&k[j..])
                    .take_while(|(a, b)| a == b)
                    .count()
            })
            .max()
            .unwrap_or(0);
        if longest >= min && text.is_char_boundary(i) && text.is_char_boundary(i + longest) {
            out.push_str(&text[copied..i]);
            out.push_str(REDACTED);
            i += longest;
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// At most `max` characters of `text`, cut on a character boundary, with `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = r#"cxtp_Se"cr\et/Key+0123&456"#;

    fn clean(text: &str) {
        let out = redact(text, KEY);
        assert!(out.contains(REDACTED), "{out}");
        for piece in KEY.as_bytes().windows(MIN_PIECE) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(!out.contains(piece), "{piece:?} left in {out:?}");
        }
    }

    #[test]
    fn every_echoed_form_is_removed() {
        clean(&format!("invalid key {KEY} given"));
        clean(&format!(
            r#"{{"error":"bad key {}"}}"#,
            &serde_json::to_string(KEY).unwrap()
        ));
        clean(&serde_json::to_string(KEY).unwrap().replace('/', "\\/"));
        clean("key=cxtp_Se%22cr%5Cet%2FKey%2B0123%26456");
        clean("key=cxtp_Se%22cr%5cet%2fKey%2b0123%26456");
        clean("<p>cxtp_Se&quot;cr\\et/Key+0123&amp;456</p>");
        clean("\\u0063xtp_Se\\u0022cr\\u005Cet\\u002FKey\\u002B0123\\u0026456");
    }

    #[test]
    fn a_piece_of_the_key_is_removed_too() {
        clean(&format!("the key starting {} is unknown", &KEY[..20]));
        clean(&format!("…{}", &KEY[6..]));
        // Short common pieces stay.
        assert_eq!(redact("cxtp_ is the prefix", KEY), "cxtp_ is the prefix");
    }

    #[test]
    fn redacting_before_cutting_leaves_no_prefix() {
        let body = format!("{}{KEY}", "x".repeat(268));
        let shown = cut(&redact(&body, KEY), 300);
        assert!(!shown.contains("cxtp_Se"), "{shown}");
    }

    #[test]
    fn cut_is_on_a_character_boundary() {
        assert_eq!(cut("ééé", 2), "éé…");
        assert_eq!(cut("ab", 2), "ab");
    }
}
