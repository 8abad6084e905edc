//! A structural scan of JSON text that may be invalid: where values begin and end, without
//! needing the whole text to be valid.
//!
//! serde_json tells whether a text is valid and parses it, but the first error ends the parse:
//! one bad record (a `NaN`, a stray quote, a raw control byte) would make a whole event body of
//! hundreds of records unreadable. This scanner only tracks strings and brackets, so it finds
//! the boundaries of every value around a malformed one; each value found is then validated on
//! its own by serde_json.
//!
//! On valid JSON the scan is exact. On invalid JSON it recovers with these rules, each chosen
//! so that it never fires on valid JSON:
//!
//! - **A quote that cannot end a string is part of it.** In valid JSON a closing quote is
//!   followed (after whitespace) by `:`, `,`, `}`, `]` or the end of the text. A quote followed
//!   by anything else is taken as a literal character, so a stray quote inside a string does
//!   not flip every later string inside out.
//! - **A quote that cannot start a string is skipped.** A string starts at the beginning or
//!   after `{`, `[`, `,` or `:`; a quote right after a value is a stray one.
//! - **A closing bracket that matches nothing is ignored**; one that matches an opener further
//!   down within the same value closes the brackets left open above it (a missing `]` or `}`).
//!   A closer never closes the container the value sits in, unless nothing but closers follows
//!   it (the end of the text, a record missing its last brace).
//! - **`,` then `{` inside an object starts the next element.** Object members need a key
//!   after a comma; an object there means the previous element lost its closing brace.

use std::collections::HashSet;
use std::ops::Range;

/// JSON whitespace.
pub fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The first position at or after `pos` that is not whitespace (or `text.len()`).
pub fn skip_ws(text: &[u8], mut pos: usize) -> usize {
    while pos < text.len() && is_ws(text[pos]) {
        pos += 1;
    }
    pos
}

/// `range` without its trailing whitespace.
pub fn trim_end(text: &[u8], range: Range<usize>) -> Range<usize> {
    let mut end = range.end;
    while end > range.start && is_ws(text[end - 1]) {
        end -= 1;
    }
    range.start..end
}

fn is_structural(b: u8) -> bool {
    matches!(b, b'{' | b'}' | b'[' | b']' | b',' | b':' | b'"')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Open(u8),
    Close(u8),
    Comma,
    Colon,
    /// A string, from its opening quote to after its closing quote.
    Str,
    /// Anything else: a number, `true`, `NaN`, stray bytes.
    Bare,
}

/// What a closing bracket did.
#[derive(Debug, PartialEq, Eq)]
enum Closed {
    /// Closed a container of the current value.
    Inner,
    /// Matched nothing and was skipped.
    Ignored,
    /// Closed the container the value sits in (the end of an array).
    Floor,
}

/// A position in the text and the brackets open there.
struct Cursor<'t> {
    text: &'t [u8],
    pos: usize,
    stack: Vec<u8>,
    /// Whether the last token leaves room for a value (or key) to start: the beginning, or
    /// `{`, `[`, `,`, `:`.
    value_may_start: bool,
}

impl<'t> Cursor<'t> {
    fn new(text: &'t [u8], pos: usize) -> Self {
        Cursor {
            text,
            pos,
            stack: Vec::new(),
            value_may_start: true,
        }
    }

    /// The next token and where it starts, or `None` at the end of the text.
    fn next(&mut self) -> Option<(Token, usize)> {
        self.pos = skip_ws(self.text, self.pos);
        let start = self.pos;
        let b = *self.text.get(start)?;
        self.pos += 1;
        let token = match b {
            b'{' | b'[' => {
                self.stack.push(b);
                Token::Open(b)
            }
            b'}' | b']' => Token::Close(b),
            b',' => Token::Comma,
            b':' => Token::Colon,
            b'"' if self.value_may_start => {
                self.pos = string_end(self.text, start);
                Token::Str
            }
            // Anything else, and a quote that cannot start a string, is a bare token.
            _ => {
                while self.pos < self.text.len()
                    && !is_ws(self.text[self.pos])
                    && !is_structural(self.text[self.pos])
                {
                    self.pos += 1;
                }
                Token::Bare
            }
        };
        self.value_may_start = matches!(token, Token::Open(_) | Token::Comma | Token::Colon);
        Some((token, start))
    }

    /// Applies a closing bracket to the stack. `floor` brackets belong to the containers
    /// around the value being scanned (0 for a top-level value).
    fn close(&mut self, closer: u8, floor: usize) -> Closed {
        let opener = if closer == b'}' { b'{' } else { b'[' };
        if self.stack.len() > floor && self.stack.last() == Some(&opener) {
            self.stack.pop();
            return Closed::Inner;
        }
        // A closer that skips open brackets. Within an element, close the brackets left
        // open (a missing `]` or `}`). At the top level it is ignored: a stray closer inside
        // one element must not end the container of all of them, and a value that is never
        // closed simply runs to the end of the text.
        let closers_follow = only_closers_follow(self.text, self.pos);
        if floor > 0 {
            if let Some(i) = self.stack[floor.min(self.stack.len())..]
                .iter()
                .rposition(|&o| o == opener)
            {
                self.stack.truncate(floor + i);
                return Closed::Inner;
            }
        }
        let closes_floor = floor > 0 && self.stack.get(floor - 1) == Some(&opener);
        if closes_floor && (self.stack.len() == floor || closers_follow) {
            self.stack.truncate(floor - 1);
            return Closed::Floor;
        }
        Closed::Ignored
    }
}

/// The position after the string whose opening quote is at `open`: after the first quote that
/// is not escaped and can end a string (see the module's rules), or the end of the text.
pub fn string_end(text: &[u8], open: usize) -> usize {
    let mut pos = open + 1;
    loop {
        let Some(i) = memchr::memchr2(b'"', b'\\', &text[pos.min(text.len())..]) else {
            return text.len();
        };
        let at = pos + i;
        if text[at] == b'\\' {
            pos = at + 2;
            continue;
        }
        // Control bytes after a quote are taken as stray, like whitespace.
        let mut after = at + 1;
        while after < text.len() && (is_ws(text[after]) || text[after] < 0x20) {
            after += 1;
        }
        match text.get(after) {
            None | Some(b':' | b',' | b'}' | b']') => return at + 1,
            Some(_) => pos = at + 1,
        }
    }
}

fn only_closers_follow(text: &[u8], pos: usize) -> bool {
    text[pos.min(text.len())..]
        .iter()
        .all(|&b| is_ws(b) || b == b'}' || b == b']')
}

/// The end of the object or array that starts at `start` (`text[start]` is `{` or `[`): the
/// position after its closing bracket, or the end of the text if it is never closed.
pub fn value_end(text: &[u8], start: usize) -> usize {
    let mut cursor = Cursor::new(text, start);
    while let Some((token, _)) = cursor.next() {
        if let Token::Close(c) = token {
            cursor.close(c, 0);
            if cursor.stack.is_empty() {
                return cursor.pos;
            }
        }
    }
    text.len()
}

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
/// text or of the line, or the next value. (Stray text right after an array cannot be told
/// from the inside of a broken string holding brackets, which is the likelier.)
pub fn ends_bare_array(text: &[u8], after: usize) -> bool {
    let mut pos = after;
    while pos < text.len() && (text[pos] <= b' ') {
        if text[pos] == b'\n' {
            return true;
        }
        pos += 1;
    }
    matches!(text.get(pos), None | Some(b'{' | b'['))
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
                if !range.is_empty() {
                    elements.push(Element {
                        range,
                        valid: false,
                    });
                }
                pos = next;
            }
            None => {
                let end = first_real_end(text, pos, broken_from, real_end);
                let element_end = end.map_or(text.len(), |e| e - 1);
                let range = trim_end(text, pos..element_end);
                if !range.is_empty() {
                    elements.push(Element {
                        range,
                        valid: false,
                    });
                }
                return (elements, end.unwrap_or(text.len()));
            }
        }
    }
    (elements, text.len())
}

/// The first comma after the broken element's start `from` that ends it (see
/// [`array_elements`]), the element's first error being at `error`: the comma's position and
/// the next element's.
///
/// Either the value after the comma anchors a valid chain up to the array's real end (commas
/// before the error count too: the element may have lost a closing bracket before its next
/// element). When that end is the end of the text (a cut right after a nested array looks the
/// same), the comma must also look like one between elements: right after an object, before an
/// object whose first key is the broken element's own (how the next record of the same kind
/// starts), or at the array's level as far as the brackets tell.
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
        let same_kind = after_object && same_first_key(text, from, candidate);
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
            Chain::Strong => true,
            // The brackets can be misread around a stray quote: for weaker evidence, only the
            // start of a record of the same kind will do.
            Chain::StrongAtEnd => between_elements(),
            Chain::Weak => same_kind,
            Chain::None => {
                same_kind
                    && comma > error
                    && text[candidate] == text[from]
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
    /// To the array's real end, with text after it.
    Strong,
    /// To a `]` at the end of the text: the array's end, or the end of a cut text.
    StrongAtEnd,
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
                break if !real_end(text, after + 1) {
                    Chain::None
                } else if text[after + 1..].iter().all(|&b| b <= b' ') {
                    Chain::StrongAtEnd
                } else {
                    Chain::Strong
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

/// The members of the object whose `{` is at `open`, and the position after the object's `}`
/// (the end of the text if it is not closed). A member that is not `"key": value` is kept
/// whole: its key is `None` or its value is the whole member.
pub fn object_members(text: &[u8], open: usize) -> (Vec<Member>, usize) {
    debug_assert_eq!(text.get(open), Some(&b'{'));
    let mut cursor = Cursor::new(text, open + 1);
    cursor.stack.push(b'{');
    let floor = 1;
    let mut members = Vec::new();
    let mut current: Option<Member> = None;
    let mut finish = |member: Option<Member>, end: usize| {
        if let Some(mut m) = member {
            m.end = trim_end(text, m.start..end).end;
            members.push(m);
        }
    };
    #[derive(PartialEq)]
    enum Stage {
        Key,
        Colon,
        Value,
        Malformed,
    }
    let mut stage = Stage::Key;
    while let Some((token, at)) = cursor.next() {
        if let Token::Close(c) = token {
            if cursor.close(c, floor) == Closed::Floor {
                finish(current.take(), at);
                return (members, cursor.pos);
            }
            continue;
        }
        let opened = usize::from(matches!(token, Token::Open(_)));
        if cursor.stack.len() - opened != floor {
            continue; // inside a value
        }
        if token == Token::Comma {
            finish(current.take(), at);
            stage = Stage::Key;
            continue;
        }
        let member = current.get_or_insert(Member {
            start: at,
            key: None,
            value_start: None,
            end: at,
        });
        stage = match (stage, token) {
            (Stage::Key, Token::Str) => {
                member.key = Some(at..cursor.pos);
                Stage::Colon
            }
            (Stage::Colon, Token::Colon) => {
                member.value_start = Some(skip_ws(text, cursor.pos));
                Stage::Value
            }
            (Stage::Value, _) => Stage::Value,
            _ => {
                member.value_start = None;
                Stage::Malformed
            }
        };
    }
    finish(current.take(), text.len());
    (members, text.len())
}

/// One member of an object, as found by [`object_members`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Member {
    start: usize,
    /// The key, with its quotes.
    pub key: Option<Range<usize>>,
    value_start: Option<usize>,
    end: usize,
}

impl Member {
    /// The whole member, key and value.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The value (the whole member when it is not `key: value`).
    pub fn value(&self) -> Range<usize> {
        self.value_start.unwrap_or(self.start).min(self.end)..self.end
    }
}

#[cfg(test)]
mod tests {
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
}
