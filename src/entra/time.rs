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
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        parse(s)
            .unwrap_or_else(|| panic!("did not parse {s:?}"))
            .millis()
    }

    fn ns(s: &str) -> i64 {
        parse(s).unwrap().nanos()
    }

    // 2019-10-18T09:45:48Z
    const BASE: i64 = 1_571_391_948_000;

    #[test]
    fn seven_digit_fraction_with_z() {
        assert_eq!(
            ns("2019-10-18T09:45:48.0729893Z"),
            BASE * 1_000_000 + 72_989_300
        );
    }

    #[test]
    fn two_to_nine_digit_fractions() {
        assert_eq!(ms("2019-10-18T09:45:48.07Z"), BASE + 70);
        assert_eq!(ms("2019-10-18T09:45:48.072Z"), BASE + 72);
        assert_eq!(ms("2019-10-18T09:45:48.072989Z"), BASE + 72);
        assert_eq!(
            ns("2019-10-18T09:45:48.072989312Z") % 1_000_000_000,
            72_989_312
        );
        assert_eq!(
            ns("2019-10-18T09:45:48.07298931299Z") % 1_000_000_000,
            72_989_312
        );
        assert_eq!(ms("2019-10-18T09:45:48Z"), BASE);
    }

    #[test]
    fn offsets() {
        assert_eq!(ms("2019-10-18T11:45:48.5+02:00"), BASE + 500);
        assert_eq!(ms("2019-10-18T06:45:48-03:00"), BASE);
        assert_eq!(ms("2019-10-18T09:45:48.161064+00:00"), BASE + 161);
    }

    #[test]
    fn no_zone_is_utc() {
        assert_eq!(ms("2019-10-18T09:45:48.0729893"), BASE + 72);
        assert_eq!(ms("2019-10-18T09:45:48"), BASE);
        assert_eq!(ms("2019-10-18 09:45:48.25"), BASE + 250);
    }

    #[test]
    fn us_style() {
        // 8/22/2022 6:11:52 PM = 2022-08-22T18:11:52Z
        assert_eq!(ms("8/22/2022 6:11:52 PM"), 1_661_191_912_000);
        assert_eq!(ms("12/12/2025 3:03:58 PM"), 1_765_551_838_000);
        assert_eq!(ms("11/14/2025 1:48:53 AM"), 1_763_084_933_000);
        assert_eq!(ms("12/12/2025 12:00:00 AM"), 1_765_497_600_000);
        assert_eq!(ms("01/09/2007 09:41:00"), 1_168_335_660_000);
    }

    #[test]
    fn leap_second_is_the_next_minute() {
        assert_eq!(ms("2016-12-31T23:59:60Z"), 1_483_228_800_000);
    }

    #[test]
    fn single_digit_hour() {
        assert_eq!(ms("2022-09-09T9:59:27.958Z"), 1_662_717_567_958);
    }

    #[test]
    fn instants_outside_unix_millis_are_not_times() {
        // Before the Unix epoch: Coralogix timestamps are milliseconds since 1970.
        for s in [
            "1969-12-31T23:59:59.9999999Z",
            "1970-01-01T00:30:00+01:00",
            "0001-01-01T00:00:00Z",
            "12/31/1969 11:59:59 PM",
        ] {
            assert_eq!(parse(s), None, "{s:?}");
        }
        // Beyond what i64 nanoseconds hold (2262-04-11T23:47:16.854775807Z).
        for s in [
            "2262-04-11T23:47:16.854775808Z",
            "2262-04-12T00:00:00Z",
            "9999-12-31T23:59:59.9999999Z",
            "12/31/9999 11:59:59 PM",
        ] {
            assert_eq!(parse(s), None, "{s:?}");
        }
        // The bounds themselves are times, also when an offset brings them into range.
        assert_eq!(ns("1970-01-01T00:00:00Z"), 0);
        assert_eq!(ns("1970-01-01T01:00:00+01:00"), 0);
        assert_eq!(ns("2262-04-11T23:47:16.854775807Z"), i64::MAX);
        assert_eq!(ns("2262-04-12T00:47:16.854775807+01:00"), i64::MAX);
    }

    /// 2022-08-22T18:11:52Z, the instant of the US-style sample.
    const US: i64 = 1_661_191_912_000;

    #[test]
    fn us_general_with_offsets() {
        // `DateTimeOffset.ToString()` in en-US: "G" then `zzz`.
        assert_eq!(ms("8/22/2022 6:11:52 PM +00:00"), US);
        assert_eq!(ms("8/22/2022 1:11:52 PM -05:00"), US);
        assert_eq!(ms("8/23/2022 3:41:52 AM +09:30"), US);
        assert_eq!(ms("8/22/2022 6:11:52 PM +0000"), US);
        assert_eq!(ms("8/22/2022 8:11:52 PM +02"), US);
        assert_eq!(ms("8/22/2022 6:11:52 PM Z"), US);
        assert_eq!(ms("8/22/2022 6:11:52 PM UTC"), US);
        assert_eq!(ms("8/22/2022 6:11:52 PM GMT"), US);
        assert_eq!(ms("08/22/2022 06:11:52 PM"), US);
    }

    #[test]
    fn us_general_with_fractions() {
        assert_eq!(ms("8/22/2022 6:11:52.7 PM"), US + 700);
        assert_eq!(ms("8/22/2022 6:11:52.702 PM"), US + 702);
        assert_eq!(ms("8/22/2022 6:11:52.7020000 PM +00:00"), US + 702);
        assert_eq!(
            ns("8/22/2022 6:11:52.12345678912 PM") % 1_000_000_000,
            123_456_789
        );
    }

    #[test]
    fn us_am_pm() {
        assert_eq!(ms("8/22/2022 6:11:52 pm"), US);
        assert_eq!(ms("8/22/2022 6:11:52 Pm"), US);
        // 12 AM is midnight, 12 PM noon.
        assert_eq!(ms("8/22/2022 12:00:00 AM"), 1_661_126_400_000);
        assert_eq!(ms("8/22/2022 12:00:00 PM"), 1_661_169_600_000);
        assert_eq!(ms("8/22/2022 12:59:59 AM"), 1_661_129_999_000);
        // .NET on ICU 72 or later writes a narrow no-break space before AM/PM.
        assert_eq!(ms("8/22/2022 6:11:52\u{202f}PM"), US);
        assert_eq!(ms("8/22/2022 6:11:52\u{a0}PM"), US);
    }

    #[test]
    fn us_short_general() {
        // en-US "g": no seconds.
        assert_eq!(ms("8/22/2022 6:11 PM"), US - 52_000);
        assert_eq!(ms("8/22/2022 6:11 PM +00:00"), US - 52_000);
    }

    #[test]
    fn invariant_general() {
        // Invariant culture "G" and "g", and their `DateTimeOffset` forms.
        assert_eq!(ms("08/22/2022 18:11:52"), US);
        assert_eq!(ms("08/22/2022 18:11:52.25"), US + 250);
        assert_eq!(ms("08/22/2022 18:11:52 +00:00"), US);
        assert_eq!(ms("08/22/2022 20:11:52 +02:00"), US);
        assert_eq!(ms("08/22/2022 18:11:52Z"), US);
        assert_eq!(ms("08/22/2022 18:11"), US - 52_000);
    }

    #[test]
    fn sortable_and_rfc1123() {
        // "s", "u", "r".
        assert_eq!(ms("2022-08-22T18:11:52"), US);
        assert_eq!(ms("2022-08-22 18:11:52Z"), US);
        assert_eq!(ms("Mon, 22 Aug 2022 18:11:52 GMT"), US);
        assert_eq!(ms("mon, 22 aug 2022 18:11:52 gmt"), US);
        // ISO with a space, with or without a zone, and the offset spellings.
        assert_eq!(ms("2022-08-22 18:11:52.5"), US + 500);
        assert_eq!(ms("2022-08-22 20:11:52.5+02:00"), US + 500);
        assert_eq!(ms("2022-08-22T20:11:52+0200"), US);
        assert_eq!(ms("2022-08-22T20:11:52+02"), US);
        assert_eq!(ms("2022-08-22T18:11:52 UTC"), US);
        assert_eq!(ms("2022-08-22t18:11:52z"), US);
    }

    #[test]
    fn not_times() {
        for s in [
            "22.08.2022 18:11",
            "22.08.2022 18:11:52",
            "2022-08-22T18:11:52,5Z",
            "2022-08-22",
            "8/22/2022",
            "18:11:52",
            "13/22/2022 6:11:52 PM",
            "8/32/2022 6:11:52 PM",
            "2/29/2022 6:11:52 PM",
            "8/22/2022 25:11:52",
            "8/22/2022 13:11:52 PM",
            "8/22/2022 0:11:52 AM",
            "8/22/2022 6:60:52 PM",
            "8/22/2022 6:11:61 PM",
            "8/22/22 6:11:52 PM",
            "8/22/2022 6:11:52 XM",
            "8/22/2022 6:11:52 PM +25:00",
            "8/22/2022 6:11:52 PM EST",
            "8/22/2022 6:11:52. PM",
            "8/22/2022 6:11:52 PM trailing",
            "2022-08-22T18:11:52Zextra",
            "2022-08-22T18:11:52+02:0",
            "2022-08-22T18:11",
            "Tue, 22 Aug 2022 18:11:52 GMT",
            "Mon, 22 Foo 2022 18:11:52 GMT",
            "+2022-08-22T18:11:52Z",
            "20220822T181152Z",
            "2022-08-22T18:11:52+2",
            "2022-08-22T18:11:52+02:00:00",
            "2022-08-22T18:11:52 PM",
            "8/22/2022 6:11:52 PMZ",
            "8/22/2022 6:11:52 PM UTC+01:00",
            "Monday, 22 Aug 2022 18:11:52 GMT",
            "Mon, 22 August 2022 18:11:52 GMT",
            "Mon, 22 Aug 2022 18:11 GMT",
            "2022-8-22T18:11:52Z",
        ] {
            assert_eq!(parse(s), None, "{s:?}");
        }
    }

    #[test]
    fn clamped_and_fallible_conversions() {
        use chrono::TimeZone;
        let at = |y, mo, d| Utc.with_ymd_and_hms(y, mo, d, 0, 0, 0).unwrap();
        assert_eq!(Timestamp::from_datetime(at(1970, 1, 1)), Some(Timestamp(0)));
        assert_eq!(Timestamp::from_datetime(at(1969, 12, 31)), None);
        assert_eq!(Timestamp::from_datetime(at(2262, 4, 12)), None);
        assert_eq!(
            Timestamp::from_datetime(at(2019, 10, 18)).map(Timestamp::millis),
            Some(1_571_356_800_000)
        );
        assert_eq!(
            Timestamp::from_datetime_clamped(at(1969, 12, 31)),
            Timestamp::MIN
        );
        assert_eq!(
            Timestamp::from_datetime_clamped(at(1, 1, 1)),
            Timestamp::MIN
        );
        assert_eq!(
            Timestamp::from_datetime_clamped(at(2262, 4, 12)),
            Timestamp::MAX
        );
        assert_eq!(
            Timestamp::from_datetime_clamped(at(9999, 1, 1)),
            Timestamp::MAX
        );
        assert_eq!(
            Timestamp::from_datetime_clamped(at(2019, 10, 18)).millis(),
            1_571_356_800_000
        );
        assert!(Timestamp::now() > Timestamp::MIN);
    }

    #[test]
    fn garbage() {
        for s in ["", "  ", "yesterday", "2019-13-45T99:99:99Z", "12345"] {
            assert_eq!(parse(s), None, "{s:?}");
        }
    }
}
