//! Splitting an array whose elements may be broken: valid elements found exactly by
//! serde_json, broken ones bounded by the next element that anchors a valid chain (see
//! [`array_elements`]).

use std::collections::HashSet;
use std::ops::Range;

use super::{Closed, Cursor, Token, is_ws, skip_ws, trim_end};

/// Where a value that serde_json reads ends, or where its first error is.
pub fn parse_value(text: &[u8], pos: usize) -> Result<usize, usize> {
    let mut stream =
        serde_json::Deserializer::from_slice(&text[pos..]).into_iter::<serde::de::IgnoredAny>();
    match stream.next() {
        Some(Ok(_)) => Ok(pos + stream.byte_offset()),
        Some(Err(e)) => Err(pos + error_offset(&text[pos..], e.line(), e.column())),
        None => Err(text.len()),
    }
}

/// The byte offset of serde_json's 1-based line and column.
fn error_offset(text: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match memchr::memchr(b'\n', &text[start..]) {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    (start + column.saturating_sub(1)).min(text.len())
}

/// Whether the `]` just before `after` ends the array being split, given what follows it.
pub type RealEnd<'f> = &'f dyn Fn(&[u8], usize) -> bool;

/// The end of a bare array: after it, past spaces and control bytes, comes the end of the
/// text, the end of a line (unless the next line goes on with `,:}]`), or the next value: an
/// array, or an object that opens with a key.
/// (Stray text right after an array cannot be told from the inside of a broken string holding
/// brackets, which is the likelier.)
pub fn ends_bare_array(text: &[u8], after: usize) -> bool {
    let mut pos = after;
    while pos < text.len() && (text[pos] <= b' ') {
        if text[pos] == b'\n' {
            // The end of a line, unless the next line goes on with the structure (a record
            // with a raw line feed in it, `[]\n,"id":`, or pretty-printed, `[1]\n}`).
            let next = skip_ws(text, pos);
            return !matches!(text.get(next), Some(b',' | b':' | b'}' | b']'));
        }
        pos += 1;
    }
    match text.get(pos) {
        None => true,
        // A next value on the same line must open like one (`{"key":` or `{}`): `]{"}}` is
        // more likely the inside of a string that a stray quote turned inside out.
        // An empty one must be whole up to the end of the line (not `]{}}` either).
        Some(b'{') => opens_with_a_key(text, pos) || whole_to_end_of_line(text, pos),
        // And an array must hold records (`[{"key":`) or be whole, up to the end of the
        // line: not `][A0` or `][]0a` either.
        Some(b'[') => {
            let inner = skip_ws(text, pos + 1);
            (text.get(inner) == Some(&b'{') && opens_with_a_key(text, inner))
                || whole_to_end_of_line(text, pos)
        }
        _ => false,
    }
}

/// Whether the value at `pos` is valid and only spaces follow it on its line.
fn whole_to_end_of_line(text: &[u8], pos: usize) -> bool {
    parse_value(text, pos).is_ok_and(|end| {
        let next = end
            + text[end..]
                .iter()
                .take_while(|&&b| b == b' ' || b == b'\t' || b == b'\r')
                .count();
        matches!(text.get(next), None | Some(b'\n'))
    })
}

/// The end of an envelope's `records`: `}` follows, and then what ends a bare array.
pub fn ends_envelope_records(text: &[u8], after: usize) -> bool {
    let next = skip_ws(text, after);
    text.get(next) == Some(&b'}') && ends_bare_array(text, next + 1)
}

/// One element of an array split by [`array_elements`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub range: Range<usize>,
    /// serde_json read it as a valid JSON value.
    pub valid: bool,
}

/// The elements of the array whose contents start at `pos` (just after its `[`), and the
/// position after its `]` (the end of the text if it has none).
///
/// Valid elements are found exactly, by serde_json. A broken element runs from where it starts
/// to the next element that anchors a valid chain: a value after a comma, followed by more
/// valid elements up to either the array's real end (`real_end` says which `]` that is) or
/// another broken element. A comma inside the broken element cannot anchor one, because its
/// chain ends at a bracket that closes something inside the element, not the array: objects
/// nested in a broken record are never taken for records.
pub fn array_elements(text: &[u8], pos: usize, real_end: RealEnd) -> (Vec<Element>, usize) {
    let mut elements = Vec::new();
    let mut pos = skip_ws(text, pos);
    let mut failed_chains: HashSet<usize> = HashSet::new();
    if text.get(pos) == Some(&b']') && real_end(text, pos + 1) {
        return (elements, pos + 1);
    }
    while pos < text.len() {
        let valid = |range| Element { range, valid: true };
        let broken_from = match parse_value(text, pos) {
            Ok(end) => {
                let after = skip_ws(text, end);
                match text.get(after) {
                    Some(b',') => {
                        elements.push(valid(pos..end));
                        pos = skip_ws(text, after + 1);
                        continue;
                    }
                    Some(b']') if real_end(text, after + 1) => {
                        elements.push(valid(pos..end));
                        return (elements, after + 1);
                    }
                    None => {
                        elements.push(valid(pos..end));
                        return (elements, text.len());
                    }
                    // A value followed by something that is not a separator: broken.
                    Some(_) => after,
                }
            }
            Err(at) => at,
        };
        match next_anchor(text, pos, broken_from, real_end, &mut failed_chains) {
            Some((comma, next)) => {
                // Nothing between two commas is no element.
                let mut range = trim_end(text, pos..comma);
                while range.end > range.start && text[range.end - 1] == b',' {
                    range = trim_end(text, range.start..range.end - 1);
                }
                push_broken(text, &mut elements, range);
                pos = next;
            }
            None => {
                let end = first_real_end(text, pos, broken_from, real_end);
                let element_end = end.map_or(text.len(), |e| e - 1);
                let range = trim_end(text, pos..element_end);
                push_broken(text, &mut elements, range);
                return (elements, end.unwrap_or(text.len()));
            }
        }
    }
    (elements, text.len())
}

/// Adds a broken element, unless it is empty. One that closes more brackets than it opens
/// (`/}A'"}},"b":1}`) and does not open like a record is no element but the rest of the one
/// before it: a stray quote ended a
/// string early, and serde_json read what came before as a whole value (`{"a":"x"}}}`). The two
/// are one broken element.
fn push_broken(text: &[u8], elements: &mut Vec<Element>, range: Range<usize>) {
    if range.is_empty() {
        return;
    }
    // A rest closes more brackets than it opens (`0AA{A 0"}},"b":1}` after `{"a":"x"}} }`),
    // and does not open like a record: a broken record of its own does, `{"key":`.
    let mut cursor = Cursor::new(&text[..range.end], range.start);
    let mut depth = 0usize;
    let closes_below = std::iter::from_fn(|| cursor.next()).any(|(token, _)| match token {
        Token::Open(_) => {
            depth += 1;
            false
        }
        Token::Close(_) if depth == 0 => true,
        Token::Close(_) => {
            depth -= 1;
            false
        }
        _ => false,
    });
    let tail = closes_below && !(text[range.start] == b'{' && opens_with_a_key(text, range.start));
    if tail && let Some(before) = elements.last_mut().filter(|e| e.valid) {
        before.range.end = range.end;
        before.valid = false;
        return;
    }
    elements.push(Element {
        range,
        valid: false,
    });
}

/// The first comma after the broken element's start `from` that ends it (see
/// [`array_elements`]), the element's first error being at `error`: the comma's position and
/// the next element's.
///
/// Either the value after the comma anchors a valid chain up to the array's real end (commas
/// before the error count too: the element may have lost a closing bracket before its next
/// element), and the comma looks like one between elements: at the array's level as far as
/// the brackets tell, or before an object whose first key is the broken element's own (how
/// the next record of the same kind starts). Text in a string can read like the end of an
/// array (`",0]}["`), and a cut right after a nested array looks like the end of the text.
///
/// Or, with that same first key after an object: a valid chain up to another broken element,
/// or a broken value (two broken records in a row). Around a stray quote the brackets can be
/// misread and the first key can be the broken part, so two broken records in a row can be
/// taken for one (both still ship, as one `Unparsed` entry); a broken record next to
/// well-formed ones is always found alone.
fn next_anchor(
    text: &[u8],
    from: usize,
    error: usize,
    real_end: RealEnd,
    failed_chains: &mut HashSet<usize>,
) -> Option<(usize, usize)> {
    let mut level_commas: Option<HashSet<usize>> = None;
    // No element of this array lies beyond its end.
    let limit = first_real_end(text, from, error, real_end).unwrap_or(text.len());
    let mut search = from;
    while let Some(i) = memchr::memchr(b',', &text[search.min(limit)..limit]) {
        let comma = search + i;
        search = comma + 1;
        let candidate = skip_ws(text, comma + 1);
        if !text.get(candidate).is_some_and(|&b| starts_value(b)) {
            continue;
        }
        // (Empty slots, `},,{`, are passed over.)
        let after_object = text[..comma]
            .iter()
            .rev()
            .find(|&&b| !is_ws(b) && b != b',')
            .is_some_and(|&b| b == b'}');
        let same_key = same_first_key(text, from, candidate);
        let same_kind = after_object && same_key;
        let chain = if failed_chains.contains(&candidate) {
            Chain::None
        } else {
            chain(text, candidate, text[from], error, real_end, failed_chains)
        };
        let mut between_elements = || {
            same_kind
                || level_commas
                    .get_or_insert_with(|| element_level_commas(text, from))
                    .contains(&comma)
        };
        let anchored = match chain {
            // A chain to the end, from a comma between elements as far as the brackets tell
            // or from the start of a record like the broken one (`,{"key":` with its first
            // key). Not from text in a string that reads like the end of an array (`,0]}[`).
            Chain::ToEnd => between_elements() || (same_key && opens_with_a_key(text, candidate)),
            Chain::Weak => same_kind,
            // Two broken records in a row: the weakest evidence, so the next one must at least
            // open like a record, `{"key":`, and not be text such as `},{L[` inside a string
            // that a stray quote turned inside out (it would split one record in two).
            Chain::None => {
                same_kind
                    && comma > error
                    && text[candidate] == text[from]
                    && opens_with_a_key(text, candidate)
                    && is_broken(text, candidate)
            }
        };
        if anchored {
            return Some((comma, candidate));
        }
    }
    None
}

/// Whether the objects at `a` and `b` start with the same key. Stray quotes and control bytes
/// around the first key are passed over (the key is the first run of letters, digits and
/// `_`), and a key cut short by one inside it still matches: one key may be a prefix of the
/// other.
fn same_first_key(text: &[u8], a: usize, b: usize) -> bool {
    let key = |pos: usize| -> Option<&[u8]> {
        let rest = text.get(pos..)?;
        let start = rest
            .iter()
            .position(|&c| !(c == b'{' || c == b'"' || c <= b' '))?;
        if !rest[..start].contains(&b'{') {
            return None;
        }
        let len = rest[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        (len > 0).then(|| &rest[start..start + len])
    };
    matches!((key(a), key(b)), (Some(x), Some(y)) if x.starts_with(y) || y.starts_with(x))
}

/// Whether the object at `pos` opens as a record or an envelope does: `{`, then a quoted,
/// non-empty key without escapes or brackets, then `:` (spaces allowed between).
fn opens_with_a_key(text: &[u8], pos: usize) -> bool {
    let mut at = skip_ws(text, pos + 1);
    if text.get(at) != Some(&b'"') {
        return false;
    }
    at += 1;
    let len = text[at.min(text.len())..]
        .iter()
        .take_while(|&&c| {
            c > b' ' && !matches!(c, b'"' | b'\\' | b'{' | b'}' | b'[' | b']' | b',' | b':')
        })
        .count();
    at += len;
    len > 0 && text.get(at) == Some(&b'"') && text.get(skip_ws(text, at + 1)) == Some(&b':')
}

/// Whether the value at `pos` is broken: serde_json cannot read it, or something other than a
/// separator follows it.
fn is_broken(text: &[u8], pos: usize) -> bool {
    match parse_value(text, pos) {
        Err(_) => true,
        Ok(end) => !matches!(text.get(skip_ws(text, end)), None | Some(b',' | b']')),
    }
}

/// The commas at the level of an array's elements, scanning brackets (with the module's
/// recovery rules) from the element that starts at `from` to the array's end.
fn element_level_commas(text: &[u8], from: usize) -> HashSet<usize> {
    let mut cursor = Cursor::new(text, from);
    cursor.stack.push(b'[');
    let mut commas = HashSet::new();
    while let Some((token, at)) = cursor.next() {
        match token {
            Token::Comma if cursor.stack.len() == 1 => {
                commas.insert(at);
            }
            Token::Close(c) if cursor.close(c, 1) == Closed::Floor => break,
            _ => {}
        }
    }
    commas
}

fn starts_value(b: u8) -> bool {
    matches!(
        b,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    )
}

/// How far a chain of valid elements from a candidate goes.
enum Chain {
    /// To the array's real end.
    ToEnd,
    /// To another broken element (one that starts after the error), or to the end of a cut
    /// text (then the chain starts like the broken element).
    Weak,
    None,
}

/// The chain of valid elements from `pos` (see [`Chain`]). The starts of a chain that goes
/// nowhere are remembered: any of them would fail the same way.
fn chain(
    text: &[u8],
    pos: usize,
    first: u8,
    error: usize,
    real_end: RealEnd,
    failed_chains: &mut HashSet<usize>,
) -> Chain {
    let start = pos;
    let mut starts = Vec::new();
    let mut pos = pos;
    let interrupted = |starts: &[usize], at: usize| {
        if !starts.is_empty() && at > error {
            Chain::Weak
        } else {
            Chain::None
        }
    };
    let result = loop {
        let Ok(end) = parse_value(text, pos) else {
            break interrupted(&starts, pos);
        };
        let after = skip_ws(text, end);
        match text.get(after) {
            Some(b',') => {
                starts.push(pos);
                pos = skip_ws(text, after + 1);
            }
            Some(b']') => {
                starts.push(pos);
                break if real_end(text, after + 1) {
                    Chain::ToEnd
                } else {
                    Chain::None
                };
            }
            None if text[start] == first => break Chain::Weak,
            None => break Chain::None,
            // A value followed by something that is not a separator starts a broken element.
            Some(_) => break interrupted(&starts, pos),
        }
    };
    if matches!(result, Chain::None) {
        failed_chains.extend(starts);
    }
    result
}

/// The position after the first `]` past `error`, outside strings as the scan from the
/// element's start at `start` tells them, that is the array's real end, if any.
fn first_real_end(text: &[u8], start: usize, error: usize, real_end: RealEnd) -> Option<usize> {
    let mut cursor = Cursor::new(text, start);
    while let Some((token, at)) = cursor.next() {
        if token == Token::Close(b']') && at >= error && real_end(text, at + 1) {
            return Some(at + 1);
        }
    }
    None
}
