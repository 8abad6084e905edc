//! Fast paths over the trigger value's token: the common shapes found with memchr instead of a
//! JSON parse, or `None` to take the general path.

use std::ops::Range;

/// `"[\"b64\",\"b64\"]"` → the ranges of the base64 texts in the token, or `None` if the
/// token has any other form.
pub(super) fn fast_base64_array(token: &[u8]) -> Option<Vec<Range<usize>>> {
    let inner = token.strip_prefix(b"\"[")?.strip_suffix(b"]\"")?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    // Base64 never contains a comma, so the elements are exactly the comma-separated parts.
    let base = 2;
    let mut ranges = Vec::new();
    let mut start = 0;
    for end in memchr::memchr_iter(b',', inner).chain([inner.len()]) {
        let part = &inner[start..end];
        let b64 = part.strip_prefix(b"\\\"")?.strip_suffix(b"\\\"")?;
        // memchr2, not a byte loop: this runs over every byte of a binary batch.
        if memchr::memchr2(b'\\', b'"', b64).is_some() {
            return None;
        }
        let first = base + start + 2;
        ranges.push(first..first + b64.len());
        start = end + 1;
    }
    Some(ranges)
}

/// The range of a JSON string's contents within `token` when it has no escapes.
pub(super) fn plain_string_range(token: &str) -> Option<Range<usize>> {
    let inner = token.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['\\', '"'])).then(|| 1..1 + inner.len())
}
