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
//! - **Raw control bytes are stray.** Between tokens they are passed over like whitespace; in
//!   a string, one between a backslash and the byte it escapes does not end the escape.
//! - **A quote that cannot start a string is skipped.** A string starts at the beginning or
//!   after `{`, `[`, `,` or `:`; a quote right after a value is a stray one.
//! - **A closing bracket that matches nothing is ignored**; one that matches an opener further
//!   down within the same value closes the brackets left open above it (a missing `]` or `}`).
//!   A closer never closes the container the value sits in, unless nothing but closers follows
//!   it (the end of the text, a record missing its last brace).
//! - **`,` then `{` inside an object starts the next element.** Object members need a key
//!   after a comma; an object there means the previous element lost its closing brace.

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
        // Raw control bytes between tokens are stray: passed over like whitespace, so that
        // one before a string does not turn the string inside out.
        while self.pos < self.text.len() && self.text[self.pos] <= b' ' {
            self.pos += 1;
        }
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
        if floor > 0
            && let Some(i) = self.stack[floor.min(self.stack.len())..]
                .iter()
                .rposition(|&o| o == opener)
        {
            self.stack.truncate(floor + i);
            return Closed::Inner;
        }
        let closes_floor = floor > 0 && self.stack.get(floor - 1) == Some(&opener);
        if closes_floor && (self.stack.len() == floor || closers_follow) {
            self.stack.truncate(floor - 1);
            return Closed::Floor;
        }
        Closed::Ignored
    }
}

/// The position after the well-formed string whose `"` is at `open`: after the first quote
/// that is not escaped, found with `memchr2` (an escape passes over the byte after its `\`).
/// Its contents are not checked. `None` if no string starts at `open` or it never ends. For
/// text already known to be valid JSON; [`string_end`] is the one for text that may not be.
pub fn valid_string_end(text: &[u8], open: usize) -> Option<usize> {
    if text.get(open) != Some(&b'"') {
        return None;
    }
    let mut pos = open + 1;
    loop {
        let at = pos + memchr::memchr2(b'"', b'\\', text.get(pos..)?)?;
        if text[at] == b'"' {
            return Some(at + 1);
        }
        pos = at + 2;
    }
}

/// Bytes that matter while skipping a container: quotes and brackets.
static STRUCTURE: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'}' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t
};

/// The position after the well-formed value at `start`: a string (see [`valid_string_end`]),
/// an object or array by its brackets, or a scalar up to the next delimiter. Like
/// [`valid_string_end`], for text already known to be valid JSON (or checked afterwards): only
/// the brackets are counted, nothing else is checked. `None` if no value starts at `start` or
/// the text ends inside it.
pub fn valid_value_end(text: &[u8], start: usize) -> Option<usize> {
    match *text.get(start)? {
        b'"' => valid_string_end(text, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut pos = start;
            loop {
                pos += text
                    .get(pos..)?
                    .iter()
                    .position(|&b| STRUCTURE[b as usize])?;
                match text[pos] {
                    b'"' => {
                        pos = valid_string_end(text, pos)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    _ => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(pos + 1);
                        }
                    }
                }
                pos += 1;
            }
        }
        _ => {
            let len = text[start..]
                .iter()
                .position(|&b| matches!(b, b',' | b'}' | b']') || is_ws(b))
                .unwrap_or(text.len() - start);
            (len > 0).then_some(start + len)
        }
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
            // An escape split by raw control bytes (`\<0x01>"`) still escapes the byte after
            // them: no escape is a control byte.
            pos = at + 1;
            while pos < text.len() && text[pos] < 0x20 {
                pos += 1;
            }
            pos += 1;
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

mod array;
mod text;

pub use array::{Element, array_elements, ends_bare_array, ends_envelope_records, parse_value};
pub use text::{Key, push_string};

#[cfg(test)]
mod tests;
