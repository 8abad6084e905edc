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
