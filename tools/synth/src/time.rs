//! Timestamps as Entra and the Functions host write them, without a date library.

/// 100-nanosecond ticks since the Unix epoch (the precision of Entra's 7-digit fractions).
pub type Ticks = i64;

pub const TICKS_PER_SECOND: i64 = 10_000_000;
pub const TICKS_PER_MILLI: i64 = 10_000;

/// 2026-11-02T08:00:00Z, where every generated stream starts (plus a per-seed offset).
pub const START: Ticks = 1_793_606_400 * TICKS_PER_SECOND;

/// (year, month, day, seconds of the day, ticks within the second).
fn parts(t: Ticks) -> (i64, u32, u32, i64, i64) {
    let secs = t.div_euclid(TICKS_PER_SECOND);
    let frac = t.rem_euclid(TICKS_PER_SECOND);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, sod, frac)
}

fn date_time(t: Ticks) -> (String, i64) {
    let (y, mo, d, sod, frac) = parts(t);
    (
        format!(
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            sod / 60 % 60,
            sod % 60
        ),
        frac,
    )
}

/// `2026-11-02T08:14:07.4521983Z`: a record's top-level `time`.
pub fn zulu7(t: Ticks) -> String {
    let (dt, frac) = date_time(t);
    format!("{dt}.{frac:07}Z")
}

/// `2026-11-02T08:14:07.4521983+00:00`: `createdDateTime` and `activityDateTime`.
pub fn offset7(t: Ticks) -> String {
    let (dt, frac) = date_time(t);
    format!("{dt}.{frac:07}+00:00")
}

/// `2026-11-02T08:14:07.452`: the host's `EnqueuedTimeUtcArray` (UTC, no zone).
pub fn host_millis(t: Ticks) -> String {
    let (dt, frac) = date_time(t);
    format!("{dt}.{:03}", frac / TICKS_PER_MILLI)
}

/// `2026-11-02T08:14:07.4521983Z` for the host's `sys.UtcNow`.
pub fn host_now(t: Ticks) -> String {
    zulu7(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = START + 14 * 60 * TICKS_PER_SECOND + 7 * TICKS_PER_SECOND + 4_521_983;
        assert_eq!(zulu7(t), "2026-11-02T08:14:07.4521983Z");
        assert_eq!(offset7(t), "2026-11-02T08:14:07.4521983+00:00");
        assert_eq!(host_millis(t), "2026-11-02T08:14:07.452");
        assert_eq!(zulu7(0), "1970-01-01T00:00:00.0000000Z");
        // A leap day and a year boundary.
        assert_eq!(
            zulu7(951_782_400 * TICKS_PER_SECOND),
            "2000-02-29T00:00:00.0000000Z"
        );
        assert_eq!(
            zulu7(1_798_761_599 * TICKS_PER_SECOND),
            "2026-12-31T23:59:59.0000000Z"
        );
    }
}
