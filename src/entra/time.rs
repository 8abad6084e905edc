//! Entra's time formats, and those of the other Azure services that write resource logs.
//!
//! Entra writes ISO 8601 times with seven fractional digits and `Z`
//! (`2019-10-18T09:45:48.0729893Z`) in most records, but also times in .NET's en-US general
//! format (`8/22/2022 6:11:52 PM`, in risk, ADFS and some service-principal sign-in records),
//! with or without a UTC offset, and single-digit hours (`2022-09-09T9:59:27.958Z`). Azure
//! services are .NET programs: a time they write is one of .NET's standard date and time
//! formats, in the en-US or the invariant culture. All of these are read:
//!
//! | .NET format | Form | Example |
//! |---|---|---|
//! | `o`, `O` (round trip), `s` (sortable) | `yyyy-MM-ddTHH:mm:ss[.f…][zone]` | `2019-10-18T09:45:48.0729893Z` |
//! | `u` (universal sortable) | `yyyy-MM-dd HH:mm:ss[.f…][zone]` | `2019-10-18 09:45:48Z` |
//! | `G` en-US (`DateTime`) | `M/d/yyyy h:mm:ss[.f…] tt` | `8/22/2022 6:11:52 PM` |
//! | `G` en-US (`DateTimeOffset`) | `M/d/yyyy h:mm:ss[.f…] tt zzz` | `8/22/2022 6:11:52 PM +00:00` |
//! | `g` en-US | `M/d/yyyy h:mm tt [zone]` | `8/22/2022 6:11 PM` |
//! | `G` invariant | `MM/dd/yyyy HH:mm:ss[.f…] [zone]` | `08/22/2022 18:11:52 +00:00` |
//! | `g` invariant | `MM/dd/yyyy HH:mm [zone]` | `08/22/2022 18:11` |
//! | `r`, `R` (RFC 1123) | `ddd, dd MMM yyyy HH:mm:ss GMT` | `Mon, 22 Aug 2022 18:11:52 GMT` |
//!
//! In detail:
//! - Date: `yyyy-MM-dd`, followed by `T`, `t` or spaces; `M/d/yyyy` (month and day of one or
//!   two digits), followed by spaces; or `ddd, d MMM yyyy` with English day and month
//!   abbreviations in any case, the day of the week matching the date. Years have four digits.
//! - Time of day: `H:mm:ss`, the hour of one or two digits. After a slashed date the seconds
//!   may be left out (`g`). Seconds may have a fraction of any number of digits after a `.`,
//!   kept to the nanosecond (digits beyond the ninth are dropped).
//! - After a slashed date, an `AM` or `PM` in any case, after optional spaces: the hour is then
//!   1 to 12, 12 AM being midnight and 12 PM noon.
//! - Zone, after optional spaces: `Z`, `UTC` or `GMT` (any case), or an offset `±hh:mm`,
//!   `±hhmm` or `±hh` (up to 23:59). A time with an offset is converted to UTC; a time without
//!   a zone is UTC.
//! - Spaces are ASCII spaces, no-break spaces (U+00A0) or narrow no-break spaces (U+202F),
//!   which .NET writes before `AM`/`PM` on systems with ICU 72 or later. Spaces around the
//!   whole text are ignored.
//!
//! Anything else is no time: other orders of day and month (`22.08.2022 18:11`), two-digit
//! years, a comma before the fraction, a date or a time of day alone, words, bare numbers,
//! values out of range (month 13, hour 25, `13:00 PM`, 30 February), and instants before 1970
//! or after 2262, which a [`Timestamp`] does not hold.
//!
//! RFC 3339, the common case, is read by chrono's parser (which also takes a leap second, `:60`,
//! as the first instant of the next minute). The other forms are read by one small tokenizer
//! rather than a list of chrono format strings: the same optional parts (fraction, `AM`/`PM`,
//! zone) occur in every form, and chrono's format strings accept more than these forms (its `%Y`
//! reads `8/22/22` as the year 22). chrono checks the calendar and applies the offset.

use chrono::{DateTime, Datelike, Month, NaiveDate, TimeDelta, Utc, Weekday};

/// An instant as nanoseconds since the Unix epoch: from 1970-01-01T00:00:00Z ([`Timestamp::MIN`])
/// to 2262-04-11T23:47:16.854775807Z ([`Timestamp::MAX`]). Coralogix takes milliseconds since
/// the epoch; an instant outside this range has no timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The Unix epoch.
    pub const MIN: Timestamp = Timestamp(0);
    /// The last instant i64 nanoseconds hold.
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    /// The instant `t`, or `None` if it is before the Unix epoch or after [`Timestamp::MAX`].
    pub fn from_datetime(t: DateTime<Utc>) -> Option<Timestamp> {
        t.timestamp_nanos_opt().filter(|&n| n >= 0).map(Timestamp)
    }

    /// The instant `t`, clamped into range: an instant before the epoch becomes
    /// [`Timestamp::MIN`], one after 2262 [`Timestamp::MAX`]. Only for instants known to be in
    /// range, such as the clock's or the time Event Hubs enqueued an event; a time read from a
    /// record goes through [`Timestamp::from_datetime`] so that one out of range is no time.
    pub fn from_datetime_clamped(t: DateTime<Utc>) -> Timestamp {
        Self::from_datetime(t).unwrap_or(if t.timestamp() < 0 {
            Self::MIN
        } else {
            Self::MAX
        })
    }

    /// Milliseconds since the epoch (Coralogix's `timestamp`).
    pub fn millis(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// Nanoseconds since the epoch (`hiResTimestamp`).
    pub fn nanos(self) -> i64 {
        self.0
    }

    /// True if the value carries precision below a millisecond.
    pub fn has_sub_millis(self) -> bool {
        self.0.rem_euclid(1_000_000) != 0
    }

    /// The current time.
    pub fn now() -> Self {
        Self::from_datetime_clamped(Utc::now())
    }
}

/// Parses any of the time formats above; `None` if the text is none of them, or is an instant
/// a [`Timestamp`] does not hold (before 1970 or after 2262).
pub fn parse(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    // Most times are RFC 3339, which chrono reads a little faster.
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Timestamp::from_datetime(t.with_timezone(&Utc));
    }
    let mut c = Cursor(text.as_bytes());
    let (date, slashed) = c.date()?;
    let (mut hour, minute, second, nano) = c.clock(slashed)?;
    if slashed {
        let before = c.0;
        c.spaces();
        match c.word() {
            w if w.eq_ignore_ascii_case(b"AM") || w.eq_ignore_ascii_case(b"PM") => {
                if !(1..=12).contains(&hour) {
                    return None;
                }
                hour %= 12;
                if w.eq_ignore_ascii_case(b"PM") {
                    hour += 12;
                }
            }
            _ => c.0 = before,
        }
    }
    c.spaces();
    let offset = c.zone()?;
    if !c.0.is_empty() {
        return None;
    }
    let local = date.and_hms_nano_opt(hour, minute, second, nano)?;
    let utc = local.checked_sub_signed(TimeDelta::seconds(offset.into()))?;
    Timestamp::from_datetime(utc.and_utc())
}

/// What is left of the text.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let ate = self.peek() == Some(b);
        if ate {
            self.0 = &self.0[1..];
        }
        ate
    }

    /// Skips spaces, returning how many there were.
    fn spaces(&mut self) -> usize {
        const NBSP: &[u8] = "\u{a0}".as_bytes();
        const NNBSP: &[u8] = "\u{202f}".as_bytes();
        let mut n = 0;
        loop {
            let rest = self.0;
            self.0 = if let Some(r) = rest.strip_prefix(b" ") {
                r
            } else if let Some(r) = rest.strip_prefix(NBSP) {
                r
            } else if let Some(r) = rest.strip_prefix(NNBSP) {
                r
            } else {
                return n;
            };
            n += 1;
        }
    }

    /// A number of `min` to `max` digits (at most 9).
    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        let len = self
            .0
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if len < min {
            return None;
        }
        let (digits, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    }

    /// A run of ASCII letters.
    fn word(&mut self) -> &[u8] {
        let len = self
            .0
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let (word, rest) = self.0.split_at(len);
        self.0 = rest;
        word
    }

    /// The date and what separates it from the time of day; true if it was slashed
    /// (`M/d/yyyy`).
    fn date(&mut self) -> Option<(NaiveDate, bool)> {
        if self.peek()?.is_ascii_alphabetic() {
            return Some((self.rfc1123_date()?, false));
        }
        let first = self.0;
        let n = self.number(1, 4)?;
        let digits = first.len() - self.0.len();
        if digits == 4 && self.eat(b'-') {
            let month = self.number(2, 2)?;
            self.eat(b'-').then_some(())?;
            let day = self.number(2, 2)?;
            if !(self.eat(b'T') || self.eat(b't') || self.spaces() > 0) {
                return None;
            }
            Some((NaiveDate::from_ymd_opt(n as i32, month, day)?, false))
        } else if digits <= 2 && self.eat(b'/') {
            let day = self.number(1, 2)?;
            self.eat(b'/').then_some(())?;
            let year = self.number(4, 4)?;
            (self.spaces() > 0).then_some(())?;
            Some((NaiveDate::from_ymd_opt(year as i32, n, day)?, true))
        } else {
            None
        }
    }

    /// `ddd, d MMM yyyy` and the spaces after it.
    fn rfc1123_date(&mut self) -> Option<NaiveDate> {
        let weekday: Weekday = name(self.word())?;
        self.eat(b',').then_some(())?;
        self.spaces();
        let day = self.number(1, 2)?;
        (self.spaces() > 0).then_some(())?;
        let month: Month = name(self.word())?;
        (self.spaces() > 0).then_some(())?;
        let year = self.number(4, 4)?;
        (self.spaces() > 0).then_some(())?;
        let date = NaiveDate::from_ymd_opt(year as i32, month.number_from_month(), day)?;
        (date.weekday() == weekday).then_some(date)
    }

    /// `H:mm[:ss[.f…]]` as hour, minute, second and nanosecond; the seconds are required unless
    /// `optional_seconds`.
    fn clock(&mut self, optional_seconds: bool) -> Option<(u32, u32, u32, u32)> {
        let hour = self.number(1, 2)?;
        self.eat(b':').then_some(())?;
        let minute = self.number(2, 2)?;
        if !self.eat(b':') {
            return optional_seconds.then_some((hour, minute, 0, 0));
        }
        let second = self.number(2, 2)?;
        let mut nano = 0;
        if self.eat(b'.') {
            let digits = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            let kept = digits.min(9);
            nano = self.number(kept, kept)? * 10u32.pow(9 - kept as u32);
            self.0 = &self.0[digits - kept..];
        }
        Some((hour, minute, second, nano))
    }

    /// The zone as seconds east of UTC; 0 if there is none.
    fn zone(&mut self) -> Option<i32> {
        let sign = match self.peek() {
            None => return Some(0),
            Some(b'+') => 1,
            Some(b'-') => -1,
            Some(_) => {
                let word = self.word();
                let utc = [&b"Z"[..], b"UTC", b"GMT"]
                    .iter()
                    .any(|z| word.eq_ignore_ascii_case(z));
                return utc.then_some(0);
            }
        };
        self.0 = &self.0[1..];
        let hours = self.number(2, 2)?;
        let minutes = if self.eat(b':') {
            self.number(2, 2)?
        } else {
            self.number(2, 2).unwrap_or(0)
        };
        if hours > 23 || minutes > 59 {
            return None;
        }
        Some(sign * (hours * 3600 + minutes * 60) as i32)
    }
}

/// An English day or month abbreviation (`Mon`, `aug`) as chrono's type.
fn name<T: std::str::FromStr>(word: &[u8]) -> Option<T> {
    if word.len() != 3 {
        return None;
    }
    std::str::from_utf8(word).ok()?.parse().ok()
}

#[cfg(test)]
#[path = "time_tests.rs"]
mod tests;
