//! Beijing time (北京时间, UTC+8) stamps for records and HL7 ACKs, without a date crate.
//!
//! Invariant: every stamp is the same instant as the system clock, written with `+08:00`
//! (RFC 3339) or `+0800` (HL7 DTM).

use std::time::{SystemTime, UNIX_EPOCH};

/// Offset of Beijing time from UTC, in seconds.
const UTC8_SECONDS: i64 = 8 * 3600;

/// Civil date and time of a point in time, in Beijing time, with milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
}

fn civil(at: SystemTime) -> Civil {
    let (seconds, millis) = match at.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2),
            d.subsec_millis(),
        ),
        Err(_) => (0, 0),
    };
    let local = seconds + UTC8_SECONDS;
    let days = local.div_euclid(86_400);
    let rest = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    // rest < 86 400, so every part fits in u32.
    let rest = u32::try_from(rest).unwrap_or(0);
    Civil {
        year,
        month,
        day,
        hour: rest / 3600,
        minute: rest / 60 % 60,
        second: rest % 60,
        millis,
    }
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 → (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if m <= 2 { y + 1 } else { y };
    (
        year,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// `2025-03-01T07:26:41.123+08:00`.
pub(crate) fn rfc3339_utc8(at: SystemTime) -> String {
    let c = civil(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+08:00",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
    )
}

/// HL7 DTM `20250301072641+0800`.
pub(crate) fn hl7_utc8(at: SystemTime) -> String {
    let c = civil(at);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}+0800",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::time::Duration;

    use super::*;

    #[test]
    fn known_instants() {
        // 2025-02-28T23:26:41.5Z = 2025-03-01 07:26:41.5 in Beijing.
        let at = UNIX_EPOCH + Duration::from_millis(1_740_785_201_500);
        assert_eq!(rfc3339_utc8(at), "2025-03-01T07:26:41.500+08:00");
        assert_eq!(hl7_utc8(at), "20250301072641+0800");
        assert_eq!(rfc3339_utc8(UNIX_EPOCH), "1970-01-01T08:00:00.000+08:00");
        // A leap day.
        let leap = UNIX_EPOCH + Duration::from_secs(1_709_164_800);
        assert_eq!(hl7_utc8(leap), "20240229080000+0800");
    }
}
