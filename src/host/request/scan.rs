//! Fast paths over the trigger value's token: the common shapes found with memchr instead of a
//! JSON parse, or `None` to take the general path.

use std::ops::Range;

/// `"[\"b64\",\"b64\"]"` → the ranges of the base64 texts in the token, or `None` if the
/// token has any other form.
pub(super) fn fast_base64_array(token: &[u8]) -> Option<Vec<Range<usize>>> {
    base64_array_at(token, 0)
        .filter(|(_, end)| *end == token.len())
        .map(|(ranges, _)| ranges)
}

/// The string at `start` if it is `"[\"b64\",\"b64\"]"`: the ranges of the base64 texts, and
/// the position after its closing quote. One `memchr2` pass finds the elements and the end,
/// and makes sure that nothing else in the string is escaped or quoted (base64 never contains
/// `\`, `"` or `,`); `None` for any other form.
pub(super) fn base64_array_at(text: &[u8], start: usize) -> Option<(Vec<Range<usize>>, usize)> {
    let rest = text.get(start..)?;
    if rest.starts_with(b"\"[]\"") {
        return Some((Vec::new(), start + 4));
    }
    if !rest.starts_with(b"\"[\\\"") {
        return None;
    }
    let mut ranges = Vec::new();
    let mut pos = start + 4;
    loop {
        // memchr2, not a byte loop: this runs over every byte of a binary batch.
        let at = pos + memchr::memchr2(b'\\', b'"', &text[pos..])?;
        if text[at] != b'\\' || text.get(at + 1) != Some(&b'"') {
            return None;
        }
        ranges.push(pos..at);
        let after = &text[at + 2..];
        if after.starts_with(b",\\\"") {
            pos = at + 5;
        } else if after.starts_with(b"]\"") {
            return Some((ranges, at + 4));
        } else {
            return None;
        }
    }
}

/// The range of a JSON string's contents within `token` when it has no escapes.
pub(super) fn plain_string_range(token: &str) -> Option<Range<usize>> {
    let inner = token.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['\\', '"'])).then(|| 1..1 + inner.len())
}
