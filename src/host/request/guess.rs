//! Decoding the trigger value without a declaration in `function.json`: its shape is guessed.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::scan::fast_base64_array;
use super::{BASE64, Body, DecodeError, Decoded, bad, base64_or_text, bytes, preview};
use crate::json;

/// Decodes without a declaration: the shape is guessed from the value.
pub(super) fn decode_guessed(token: &str, offset: usize) -> Result<Decoded, DecodeError> {
    match token.as_bytes().first() {
        Some(b'"') => {
            // The common case (many + binary), decoded without unescaping the whole string.
            if let Some(ranges) = fast_base64_array(token.as_bytes()) {
                let bodies = ranges
                    .into_iter()
                    .map(|r| Body::Base64(offset + r.start..offset + r.end))
                    .collect();
                return Ok((bodies, false));
            }
            let inner: Cow<str> = serde_json::from_str(token).map_err(|e| bad(e.to_string()))?;
            decode_guessed_string(&inner)
        }
        Some(b'[') => {
            let items: Vec<&RawValue> =
                serde_json::from_str(token).map_err(|e| bad(e.to_string()))?;
            Ok((guess_elements(&items)?, false))
        }
        Some(b'{') => Ok((vec![bytes(token)], true)),
        Some(b'n') => Ok((Vec::new(), false)),
        _ => Err(bad(format!(
            "expected a string, array or object, got {}",
            preview(token)
        ))),
    }
}

/// The contents of a string-valued trigger, once unquoted, without a declaration.
fn decode_guessed_string(inner: &str) -> Result<Decoded, DecodeError> {
    match inner.trim_start().as_bytes().first() {
        Some(b'[') => match serde_json::from_str::<Vec<&RawValue>>(inner) {
            Ok(items) => Ok((guess_elements(&items)?, false)),
            Err(_) => {
                // Not valid as a whole: a batch of parsed bodies with a bad one, or one event
                // whose text starts with '['. Split what can be split.
                let text = inner.trim();
                let (elements, end) =
                    json::array_elements(text.as_bytes(), 1, &json::ends_bare_array);
                if end == text.len() && elements.len() > 1 {
                    Ok((
                        elements
                            .into_iter()
                            .map(|e| bytes(&text[e.range]))
                            .collect(),
                        false,
                    ))
                } else {
                    Ok((vec![bytes(inner)], true))
                }
            }
        },
        // cardinality one, dataType unset or string: a JSON string literal holding the body.
        Some(b'"') => match serde_json::from_str::<String>(inner) {
            Ok(body) => Ok((vec![Body::Bytes(body.into_bytes())], true)),
            Err(_) => Ok((vec![bytes(inner)], true)),
        },
        // cardinality one, dataType binary: plain base64. Anything else is a text body.
        _ => Ok((vec![base64_or_text(inner)], true)),
    }
}

/// Elements of a batch without a declaration: base64 strings (binary), text strings
/// (string), or parsed JSON bodies (dataType unset).
///
/// A string element is base64 only if every string element of the batch is valid base64:
/// with `dataType: binary` all are, while a batch of text events almost never is (JSON text
/// cannot be, as `{` is not a base64 character). This is the guess `function.json` removes.
fn guess_elements(items: &[&RawValue]) -> Result<Vec<Body>, DecodeError> {
    let mut strings: Vec<Option<Cow<str>>> = Vec::with_capacity(items.len());
    for item in items {
        strings.push(if item.get().starts_with('"') {
            Some(serde_json::from_str(item.get()).map_err(|e| bad(e.to_string()))?)
        } else {
            None
        });
    }
    let all_base64 = strings.iter().any(Option::is_some)
        && strings
            .iter()
            .flatten()
            .all(|s| BASE64.check(s.as_bytes()).is_ok());
    Ok(items
        .iter()
        .zip(strings)
        .map(|(item, s)| match s {
            Some(s) if all_base64 => base64_or_text(&s),
            Some(s) => Body::Bytes(s.into_owned().into_bytes()),
            None => bytes(item.get()),
        })
        .collect())
}
