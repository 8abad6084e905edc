//! Entra's time formats.
//!
//! Seen in records (entra-logs.md section 4): RFC 3339 with 2 to 9 (or more) fractional
//! digits, with `Z`, with a `±hh:mm` offset, or with no zone at all (UTC); US-style
//! `M/d/yyyy h:mm:ss AM/PM` (RiskyUsers, UserRiskEvents, ADFS, some service-principal
//! sign-ins) and `MM/dd/yyyy HH:mm:ss`; and single-digit hours (`2022-09-09T9:59:27.958Z`).
//! Values without a zone are UTC.

use chrono::{DateTime, NaiveDateTime, Utc};

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
        Self::from_datetime_clamped(Utc::now())
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

/// Parses any of Entra's time formats; `None` if the text is none of them, or is an instant a
/// [`Timestamp`] does not hold (before 1970 or after 2262).
pub fn parse(text: &str) -> Option<Timestamp> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Timestamp::from_datetime(t.with_timezone(&Utc));
    }
    // Fractions longer than nanoseconds: keep nine digits.
    let s = trim_fraction(s);
    let s = s.as_ref();
    if let Some(zoneless) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        return parse_zoneless(zoneless);
    }
    for fmt in ZONED {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Timestamp::from_datetime(t.with_timezone(&Utc));
        }
    }
    parse_zoneless(s)
}

fn parse_zoneless(s: &str) -> Option<Timestamp> {
    ZONELESS
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(s, fmt).ok())
        .and_then(|n| Timestamp::from_datetime(n.and_utc()))
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
