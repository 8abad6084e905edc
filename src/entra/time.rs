//! Entra's time formats.
//!
//! Seen in records (entra-logs.md section 4): RFC 3339 with 2 to 9 (or more) fractional
//! digits, with `Z`, with a `±hh:mm` offset, or with no zone at all (UTC); US-style
//! `M/d/yyyy h:mm:ss AM/PM` (RiskyUsers, UserRiskEvents, ADFS, some service-principal
//! sign-ins) and `MM/dd/yyyy HH:mm:ss`; and single-digit hours (`2022-09-09T9:59:27.958Z`).
//! Values without a zone are UTC.

use chrono::{DateTime, NaiveDateTime, Utc};

/// An instant as nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    pub fn nanos(self) -> i64 {
        self.0
    }

    /// True if the value carries precision below a millisecond.
    pub fn has_sub_millis(self) -> bool {
        self.0.rem_euclid(1_000_000) != 0
    }

    pub fn now() -> Self {
        Self::from(Utc::now())
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        // Out of range only beyond the year 2262.
        Timestamp(t.timestamp_nanos_opt().unwrap_or(i64::MAX))
    }
}

const ZONELESS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M:%S%.f %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S%.f",
];

const ZONED: &[&str] = &["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%:z"];

/// Parses any of Entra's time formats; `None` if the text is none of them.
pub fn parse(text: &str) -> Option<Timestamp> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc).into());
    }
    // Fractions longer than nanoseconds: keep nine digits.
    let s = trim_fraction(s);
    let s = s.as_ref();
    if let Some(zoneless) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        return parse_zoneless(zoneless);
    }
    for fmt in ZONED {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc).into());
        }
    }
    parse_zoneless(s)
}

fn parse_zoneless(s: &str) -> Option<Timestamp> {
    ZONELESS
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(s, fmt).ok())
        .map(|n| n.and_utc().into())
}

/// `12:00:00.1234567891234Z` → `12:00:00.123456789Z`.
fn trim_fraction(s: &str) -> std::borrow::Cow<'_, str> {
    let Some(dot) = s.find('.') else {
        return s.into();
    };
    let digits = s[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
    if digits <= 9 {
        return s.into();
    }
    format!("{}{}", &s[..dot + 10], &s[dot + 1 + digits..]).into()
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
    fn single_digit_hour() {
        assert_eq!(ms("2022-09-09T9:59:27.958Z"), 1_662_717_567_958);
    }

    #[test]
    fn garbage() {
        for s in ["", "  ", "yesterday", "2019-13-45T99:99:99Z", "12345"] {
            assert_eq!(parse(s), None, "{s:?}");
        }
    }
}
