//! Masking inside a JSON record: one pass over the text that copies it unchanged (key order,
//! spacing and numbers included) except the values it masks.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::Masker;
use super::token::{canonical, is_masked};
use crate::json::push_string;

/// How deep JSON held in strings is followed (records themselves are at most 128 deep, which
/// serde_json checks when it splits them).
const MAX_DEPTH: usize = 160;

/// The text is not the JSON it was said to be.
#[derive(Debug)]
pub(super) struct NotJson;

/// One pass of masking; `out` receives the masked text.
pub(super) struct Walk<'m> {
    m: &'m Masker,
    pub(super) out: String,
    pub(super) count: usize,
}

impl<'m> Walk<'m> {
    pub(super) fn new(m: &'m Masker, capacity: usize) -> Self {
        Walk {
            m,
            out: String::with_capacity(capacity + 64),
            count: 0,
        }
    }

    /// Masks the JSON value `t` (whitespace around it allowed); `path`: the keys above it.
    pub(super) fn document<'t>(
        &mut self,
        t: &'t str,
        path: &mut Vec<Cow<'t, str>>,
        depth: usize,
    ) -> Result<(), NotJson> {
        let pos = self.ws(t, 0);
        let pos = self.value(t, pos, path, depth)?;
        let end = self.ws(t, pos);
        if end == t.len() { Ok(()) } else { Err(NotJson) }
    }

    /// Copies whitespace from `pos`; returns the position after it.
    fn ws(&mut self, t: &str, pos: usize) -> usize {
        let end = crate::json::skip_ws(t.as_bytes(), pos);
        self.out.push_str(&t[pos..end]);
        end
    }

    fn value<'t>(
        &mut self,
        t: &'t str,
        pos: usize,
        path: &mut Vec<Cow<'t, str>>,
        depth: usize,
    ) -> Result<usize, NotJson> {
        if depth > MAX_DEPTH {
            return Err(NotJson);
        }
        let b = t.as_bytes();
        match b.get(pos) {
            Some(b'{') => self.object(t, pos, path, depth),
            Some(b'[') => self.array(t, pos, path, depth),
            Some(b'"') => {
                let end = string_end(b, pos)?;
                self.string(&t[pos..end], path, depth)?;
                Ok(end)
            }
            Some(_) => {
                let end = pos
                    + b[pos..]
                        .iter()
                        .position(|c| matches!(c, b',' | b'}' | b']') || crate::json::is_ws(*c))
                        .unwrap_or(b.len() - pos);
                if end == pos {
                    return Err(NotJson);
                }
                self.out.push_str(&t[pos..end]);
                Ok(end)
            }
            None => Err(NotJson),
        }
    }

    fn object<'t>(
        &mut self,
        t: &'t str,
        pos: usize,
        path: &mut Vec<Cow<'t, str>>,
        depth: usize,
    ) -> Result<usize, NotJson> {
        let b = t.as_bytes();
        self.out.push('{');
        let mut pos = self.ws(t, pos + 1);
        if b.get(pos) == Some(&b'}') {
            self.out.push('}');
            return Ok(pos + 1);
        }
        loop {
            if b.get(pos) != Some(&b'"') {
                return Err(NotJson);
            }
            let end = string_end(b, pos)?;
            let raw = &t[pos..end];
            let key = decode(raw)?;
            self.plain_string(raw, &key);
            pos = self.ws(t, end);
            if b.get(pos) != Some(&b':') {
                return Err(NotJson);
            }
            self.out.push(':');
            pos = self.ws(t, pos + 1);
            path.push(key);
            pos = if self.m.is_named(path) {
                self.named(t, pos)?
            } else {
                self.value(t, pos, path, depth + 1)?
            };
            path.pop();
            pos = self.ws(t, pos);
            match b.get(pos) {
                Some(b',') => {
                    self.out.push(',');
                    pos = self.ws(t, pos + 1);
                }
                Some(b'}') => {
                    self.out.push('}');
                    return Ok(pos + 1);
                }
                _ => return Err(NotJson),
            }
        }
    }

    fn array<'t>(
        &mut self,
        t: &'t str,
        pos: usize,
        path: &mut Vec<Cow<'t, str>>,
        depth: usize,
    ) -> Result<usize, NotJson> {
        let b = t.as_bytes();
        self.out.push('[');
        let mut pos = self.ws(t, pos + 1);
        if b.get(pos) == Some(&b']') {
            self.out.push(']');
            return Ok(pos + 1);
        }
        loop {
            pos = self.value(t, pos, path, depth + 1)?;
            pos = self.ws(t, pos);
            match b.get(pos) {
                Some(b',') => {
                    self.out.push(',');
                    pos = self.ws(t, pos + 1);
                }
                Some(b']') => {
                    self.out.push(']');
                    return Ok(pos + 1);
                }
                _ => return Err(NotJson),
            }
        }
    }

    /// The value of a named field, replaced whole: a string by the replacement of its text,
    /// an object, array, number or boolean by that of its JSON; `null` stays.
    fn named(&mut self, t: &str, pos: usize) -> Result<usize, NotJson> {
        let mut de = serde_json::Deserializer::from_str(&t[pos..]);
        let raw = <&RawValue>::deserialize(&mut de).map_err(|_| NotJson)?;
        let raw = raw.get();
        let end = pos + raw.len();
        if raw == "null" {
            self.out.push_str(raw);
            return Ok(end);
        }
        let text = if raw.starts_with('"') {
            decode(raw)?
        } else {
            Cow::Borrowed(raw)
        };
        if is_masked(&text) {
            self.out.push_str(raw);
        } else {
            let mut replaced = String::new();
            self.m.mode.replace(&canonical(&text), &mut replaced);
            push_string(&mut self.out, &replaced);
            self.count += 1;
        }
        Ok(end)
    }

    /// A string value: JSON held in it is masked as part of the record (its fields continue
    /// the path); otherwise IP and e-mail addresses in it are.
    fn string(&mut self, raw: &str, path: &[Cow<'_, str>], depth: usize) -> Result<(), NotJson> {
        let text = decode(raw)?;
        if text.trim_start().starts_with(['{', '[']) {
            let mut inner = Walk::new(self.m, text.len());
            // The fields of the JSON in the string continue the path.
            let mut inner_path: Vec<Cow<'_, str>> =
                path.iter().map(|k| Cow::Borrowed(k.as_ref())).collect();
            if inner.document(&text, &mut inner_path, depth + 1).is_ok() {
                if inner.count == 0 {
                    self.out.push_str(raw);
                } else {
                    push_string(&mut self.out, &inner.out);
                    self.count += inner.count;
                }
                return Ok(());
            }
        }
        self.plain_string(raw, &text);
        Ok(())
    }

    /// A string (value or key) with its IP and e-mail addresses masked.
    fn plain_string(&mut self, raw: &str, text: &str) {
        match self
            .m
            .finder
            .mask_values(text, &self.m.mode, &mut self.count)
        {
            Some(masked) => push_string(&mut self.out, &masked),
            None => self.out.push_str(raw),
        }
    }
}

/// The position after the string that starts with the quote at `open`.
fn string_end(b: &[u8], open: usize) -> Result<usize, NotJson> {
    let mut i = open + 1;
    while let Some(at) = memchr::memchr2(b'"', b'\\', &b[i..]) {
        i += at;
        if b[i] == b'\\' {
            i += 2;
        } else {
            return Ok(i + 1);
        }
    }
    Err(NotJson)
}

/// The text of a JSON string literal (with its quotes).
fn decode(raw: &str) -> Result<Cow<'_, str>, NotJson> {
    let inner = &raw[1..raw.len() - 1];
    if !inner.contains('\\') {
        return Ok(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(raw)
        .map(Cow::Owned)
        .map_err(|_| NotJson)
}
