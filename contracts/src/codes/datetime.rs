//! Calendar dates and timestamps as the hub's contracts write them.
//!
//! Owns: [`CivilDate`] (a proleptic Gregorian calendar date), the calendar arithmetic behind it
//! (leap years, days in a month, days since 1970-01-01), "today" in China Standard Time (UTC+8),
//! and the two schema formats built on dates: `offset-date-time` (RFC 3339 / GB/T 7408 date-time
//! with an explicit UTC offset) and `partial-date` (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
//!
//! Invariants: every function is pure except [`today_utc8`], which only reads the system clock;
//! nothing here does I/O or panics; a [`CivilDate`] value is always a real calendar date.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in a day.
const SECONDS_PER_DAY: i64 = 86_400;
/// China Standard Time (UTC+8) in seconds.
const UTC8_OFFSET_SECONDS: i64 = 8 * 3_600;

/// A real date of the proleptic Gregorian calendar (year, month 1–12, day 1–28/29/30/31).
///
/// Ordered chronologically. Construct it with [`CivilDate::new`], which rejects impossible dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    year: i32,
    month: u8,
    day: u8,
}

impl CivilDate {
    /// The date `year-month-day`, or `None` if that is not a real calendar date (e.g. 1980-02-30).
    pub fn new(year: i32, month: u8, day: u8) -> Option<CivilDate> {
        let last = days_in_month(year, month)?;
        if day == 0 || day > last {
            return None;
        }
        Some(CivilDate { year, month, day })
    }

    /// The year (e.g. 2025).
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn to_days_since_epoch(self) -> i64 {
        // Howard Hinnant's `days_from_civil`.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let m = i64::from(self.month);
        let d = i64::from(self.day);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date that is `days` days after 1970-01-01 (before it if negative).
    ///
    /// Returns `None` only if the year would not fit in an `i32`.
    pub fn from_days_since_epoch(days: i64) -> Option<CivilDate> {
        // Howard Hinnant's `civil_from_days`.
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let year = i32::try_from(year).ok()?;
        let month = u8::try_from(month).ok()?;
        let day = u8::try_from(day).ok()?;
        CivilDate::new(year, month, day)
    }
}

impl fmt::Display for CivilDate {
    /// `YYYY-MM-DD` (ISO 8601 / GB/T 7408 extended format).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Whether `year` is a leap year of the Gregorian calendar.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days in `month` (1–12) of `year`, or `None` if `month` is not 1–12.
pub fn days_in_month(year: i32, month: u8) -> Option<u8> {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 if is_leap_year(year) => Some(29),
        2 => Some(28),
        _ => None,
    }
}

/// Today's date in China Standard Time (UTC+8), read from the system clock.
pub fn today_utc8() -> CivilDate {
    let seconds = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    };
    date_utc8_of_unix_seconds(seconds)
}

/// The calendar date in UTC+8 at `seconds` after 1970-01-01T00:00:00Z.
pub fn date_utc8_of_unix_seconds(seconds: i64) -> CivilDate {
    let days = seconds
        .saturating_add(UTC8_OFFSET_SECONDS)
        .div_euclid(SECONDS_PER_DAY);
    // A year outside i32 is unreachable from an i64 of seconds; fall back to the epoch date.
    CivilDate::from_days_since_epoch(days).unwrap_or(CivilDate {
        year: 1970,
        month: 1,
        day: 1,
    })
}

/// A date-time with an explicit UTC offset, as parsed from the `offset-date-time` format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OffsetDateTime {
    /// The local calendar date.
    pub date: CivilDate,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–60 (60 only for a leap second).
    pub second: u8,
    /// Fractional seconds in nanoseconds (digits beyond the ninth are ignored).
    pub nanosecond: u32,
    /// Offset from UTC in minutes (`+08:00` → 480, `Z` → 0).
    pub offset_minutes: i16,
}

/// Why a string is not an `offset-date-time`. Each message is meant for department IT staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateTimeError {
    /// The text does not start with a `YYYY-MM-DD` date.
    #[error("timestamp must start with a date YYYY-MM-DD, e.g. 2025-03-01T17:30:08+08:00")]
    BadDateSyntax,
    /// The date part is well formed but not a real calendar date.
    #[error("date {text} in the timestamp is not a real calendar date")]
    ImpossibleDate {
        /// The date as written.
        text: String,
    },
    /// Only a date was given.
    #[error("timestamp has no time of day; write e.g. {date}T00:00:00+08:00")]
    MissingTime {
        /// The date as written.
        date: String,
    },
    /// Date and time are not separated by `T`.
    #[error(
        "date and time must be separated by 'T' (found {found:?}), e.g. 2025-03-01T17:30:08+08:00"
    )]
    BadSeparator {
        /// The character found instead of `T`.
        found: char,
    },
    /// The time part is not `hh:mm:ss`.
    #[error("time of day must be hh:mm:ss with seconds, e.g. 17:30:08")]
    BadTimeSyntax,
    /// Hour, minute or second out of range.
    #[error("time of day {text} is out of range (hour ≤ 23, minute ≤ 59, second ≤ 60)")]
    TimeOutOfRange {
        /// The time as written.
        text: String,
    },
    /// A `.` not followed by digits.
    #[error("fractional seconds need at least one digit after '.'")]
    EmptyFraction,
    /// Nothing after the time.
    #[error("timestamp has no UTC offset; add +08:00 (China Standard Time) or Z (UTC)")]
    MissingOffset,
    /// The offset is not `Z` or `±hh:mm`.
    #[error("UTC offset {text:?} must be Z or ±hh:mm, e.g. +08:00")]
    BadOffset {
        /// The offset as written.
        text: String,
    },
    /// Offset hours above 14 or minutes above 59.
    #[error("UTC offset {text} is out of range (hours ≤ 14, minutes ≤ 59)")]
    OffsetOutOfRange {
        /// The offset as written.
        text: String,
    },
}

/// Parses an RFC 3339 / GB/T 7408 date-time with seconds and an explicit offset,
/// e.g. `2025-03-01T17:30:08+08:00`, `2025-03-01T09:30:08.250Z`.
///
/// Lowercase `t` and `z` are accepted as RFC 3339 allows; a space instead of `T` is not.
pub fn parse_offset_date_time(s: &str) -> Result<OffsetDateTime, DateTimeError> {
    let b = s.as_bytes();
    let date = parse_full_date_prefix(s)?;
    let Some(&sep) = b.get(10) else {
        return Err(DateTimeError::MissingTime { date: s.to_owned() });
    };
    if sep != b'T' && sep != b't' {
        let found = s.get(10..).and_then(|r| r.chars().next()).unwrap_or('?');
        return Err(DateTimeError::BadSeparator { found });
    }
    let Some([h1, h2, b':', m1, m2, b':', s1, s2]) = b.get(11..19) else {
        return Err(DateTimeError::BadTimeSyntax);
    };
    let (Some(hour), Some(minute), Some(second)) = (
        two_digits(&[*h1, *h2]),
        two_digits(&[*m1, *m2]),
        two_digits(&[*s1, *s2]),
    ) else {
        return Err(DateTimeError::BadTimeSyntax);
    };
    if hour > 23 || minute > 59 || second > 60 {
        return Err(DateTimeError::TimeOutOfRange {
            text: s.get(11..19).unwrap_or_default().to_owned(),
        });
    }
    let mut i = 19;
    let mut nanosecond: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale: u32 = 100_000_000;
        while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
            // Digits beyond the ninth (scale 0) add nothing.
            nanosecond += u32::from(d - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return Err(DateTimeError::EmptyFraction);
        }
    }
    let offset = s.get(i..).ok_or(DateTimeError::MissingOffset)?;
    let offset_minutes = parse_offset(offset)?;
    Ok(OffsetDateTime {
        date,
        hour,
        minute,
        second,
        nanosecond,
        offset_minutes,
    })
}

/// Whether `s` is a valid `offset-date-time`.
pub fn is_offset_date_time(s: &str) -> bool {
    parse_offset_date_time(s).is_ok()
}

/// A date known to the year, the month, or the day (e.g. a birth date known only partly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartialDate {
    /// `YYYY`.
    Year(i32),
    /// `YYYY-MM` (month 1–12).
    YearMonth(i32, u8),
    /// `YYYY-MM-DD`, a real date.
    Date(CivilDate),
}

/// Why a string is not a `partial-date`. Each message is meant for department IT staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartialDateError {
    /// Not `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[error(
        "partial date must be YYYY, YYYY-MM or YYYY-MM-DD (digits, '-' separators), e.g. 1980 or 1980-05"
    )]
    BadSyntax,
    /// Month outside 01–12.
    #[error("month {month:02} is not 01–12")]
    BadMonth {
        /// The month as written.
        month: u8,
    },
    /// A full date that does not exist.
    #[error("date {text} is not a real calendar date")]
    ImpossibleDate {
        /// The date as written.
        text: String,
    },
}

/// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (which must be a real date).
pub fn parse_partial_date(s: &str) -> Result<PartialDate, PartialDateError> {
    let b = s.as_bytes();
    let year = b
        .get(0..4)
        .and_then(four_digits)
        .ok_or(PartialDateError::BadSyntax)?;
    let month_of = |m1: u8, m2: u8| {
        let month = two_digits(&[m1, m2]).ok_or(PartialDateError::BadSyntax)?;
        if (1..=12).contains(&month) {
            Ok(month)
        } else {
            Err(PartialDateError::BadMonth { month })
        }
    };
    match b.get(4..) {
        Some([]) => Ok(PartialDate::Year(year)),
        Some([b'-', m1, m2]) => Ok(PartialDate::YearMonth(year, month_of(*m1, *m2)?)),
        Some([b'-', m1, m2, b'-', d1, d2]) => {
            let month = month_of(*m1, *m2)?;
            let day = two_digits(&[*d1, *d2]).ok_or(PartialDateError::BadSyntax)?;
            CivilDate::new(year, month, day)
                .map(PartialDate::Date)
                .ok_or_else(|| PartialDateError::ImpossibleDate { text: s.to_owned() })
        }
        _ => Err(PartialDateError::BadSyntax),
    }
}

/// Whether `s` is a valid `partial-date`.
pub fn is_partial_date(s: &str) -> bool {
    parse_partial_date(s).is_ok()
}

/// Parses the leading `YYYY-MM-DD` of a timestamp.
fn parse_full_date_prefix(s: &str) -> Result<CivilDate, DateTimeError> {
    let b = s.as_bytes();
    let Some([y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2]) = b.get(0..10) else {
        return Err(DateTimeError::BadDateSyntax);
    };
    let (Some(year), Some(month), Some(day)) = (
        four_digits(&[*y1, *y2, *y3, *y4]),
        two_digits(&[*m1, *m2]),
        two_digits(&[*d1, *d2]),
    ) else {
        return Err(DateTimeError::BadDateSyntax);
    };
    CivilDate::new(year, month, day).ok_or_else(|| DateTimeError::ImpossibleDate {
        text: s.get(0..10).unwrap_or_default().to_owned(),
    })
}

/// Parses `Z`, `z` or `±hh:mm` into minutes east of UTC.
fn parse_offset(text: &str) -> Result<i16, DateTimeError> {
    if text.is_empty() {
        return Err(DateTimeError::MissingOffset);
    }
    if text == "Z" || text == "z" {
        return Ok(0);
    }
    let bad = || DateTimeError::BadOffset {
        text: text.to_owned(),
    };
    let [sign, h1, h2, b':', m1, m2] = text.as_bytes() else {
        return Err(bad());
    };
    let sign: i16 = match sign {
        b'+' => 1,
        b'-' => -1,
        _ => return Err(bad()),
    };
    let (Some(hours), Some(minutes)) = (two_digits(&[*h1, *h2]), two_digits(&[*m1, *m2])) else {
        return Err(bad());
    };
    if hours > 14 || minutes > 59 {
        return Err(DateTimeError::OffsetOutOfRange {
            text: text.to_owned(),
        });
    }
    Ok(sign * (i16::from(hours) * 60 + i16::from(minutes)))
}

/// Two ASCII digits as a number.
fn two_digits(b: &[u8]) -> Option<u8> {
    match b {
        [t, u] if t.is_ascii_digit() && u.is_ascii_digit() => Some((t - b'0') * 10 + (u - b'0')),
        _ => None,
    }
}

/// Four ASCII digits as a number.
fn four_digits(b: &[u8]) -> Option<i32> {
    if b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_years_and_month_lengths() {
        assert!(is_leap_year(2000));
        assert!(is_leap_year(2024));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2025));
        assert_eq!(days_in_month(2024, 2), Some(29));
        assert_eq!(days_in_month(2025, 2), Some(28));
        assert_eq!(days_in_month(2025, 4), Some(30));
        assert_eq!(days_in_month(2025, 12), Some(31));
        assert_eq!(days_in_month(2025, 13), None);
        assert_eq!(days_in_month(2025, 0), None);
    }

    #[test]
    fn civil_date_rejects_impossible_dates() {
        assert!(CivilDate::new(1980, 2, 30).is_none());
        assert!(CivilDate::new(1900, 2, 29).is_none());
        assert!(CivilDate::new(2000, 2, 29).is_some());
        assert!(CivilDate::new(2025, 4, 31).is_none());
        assert!(CivilDate::new(2025, 1, 0).is_none());
    }

    #[test]
    fn days_since_epoch_round_trips() {
        let epoch = CivilDate::new(1970, 1, 1).unwrap();
        assert_eq!(epoch.to_days_since_epoch(), 0);
        let d = CivilDate::new(2025, 3, 1).unwrap();
        assert_eq!(d.to_days_since_epoch(), 20_148);
        for days in (-800_000..800_000).step_by(997) {
            let date = CivilDate::from_days_since_epoch(days).unwrap();
            assert_eq!(date.to_days_since_epoch(), days);
        }
        assert_eq!(
            CivilDate::from_days_since_epoch(-1).unwrap().to_string(),
            "1969-12-31"
        );
    }

    #[test]
    fn utc8_date_rolls_over_at_16_utc() {
        // 2025-03-01T15:59:59Z is 23:59:59 in Beijing; one second later it is 03-02.
        let s = CivilDate::new(2025, 3, 1).unwrap().to_days_since_epoch() * 86_400 + 15 * 3_600;
        assert_eq!(
            date_utc8_of_unix_seconds(s + 3_599).to_string(),
            "2025-03-01"
        );
        assert_eq!(
            date_utc8_of_unix_seconds(s + 3_600).to_string(),
            "2025-03-02"
        );
        assert!(today_utc8().year() >= 2025);
    }

    #[test]
    fn offset_date_times() {
        let t = parse_offset_date_time("2025-03-01T17:30:08+08:00").unwrap();
        assert_eq!(t.date.to_string(), "2025-03-01");
        assert_eq!((t.hour, t.minute, t.second), (17, 30, 8));
        assert_eq!(t.offset_minutes, 480);
        let t = parse_offset_date_time("2025-03-01T09:30:08.25Z").unwrap();
        assert_eq!(t.nanosecond, 250_000_000);
        assert_eq!(t.offset_minutes, 0);
        assert!(is_offset_date_time("2025-03-01t09:30:08z"));
        assert!(is_offset_date_time(
            "2025-03-01T09:30:08.123456789123-05:30"
        ));
        assert!(is_offset_date_time("2016-12-31T23:59:60Z"));
        assert!(is_offset_date_time("2025-03-01T17:30:08+14:00"));
        assert!(is_offset_date_time("2024-02-29T00:00:00+08:00"));
    }

    #[test]
    fn offset_date_time_errors() {
        let e = |s: &str| parse_offset_date_time(s).unwrap_err();
        assert_eq!(e("2025-03-01T17:30:08"), DateTimeError::MissingOffset);
        assert!(e("2025-03-01T17:30:08").to_string().contains("add +08:00"));
        assert!(matches!(
            e("2025-02-30T10:00:00+08:00"),
            DateTimeError::ImpossibleDate { .. }
        ));
        assert!(matches!(e("2025-03-01"), DateTimeError::MissingTime { .. }));
        assert_eq!(
            e("2025-03-01 17:30:08+08:00"),
            DateTimeError::BadSeparator { found: ' ' }
        );
        assert_eq!(e("2025-03-01T17:30+08:00"), DateTimeError::BadTimeSyntax);
        assert!(matches!(
            e("2025-03-01T24:00:00+08:00"),
            DateTimeError::TimeOutOfRange { .. }
        ));
        assert!(matches!(
            e("2025-03-01T23:60:00+08:00"),
            DateTimeError::TimeOutOfRange { .. }
        ));
        assert!(matches!(
            e("2025-03-01T17:30:08+15:00"),
            DateTimeError::OffsetOutOfRange { .. }
        ));
        assert!(matches!(
            e("2025-03-01T17:30:08+0800"),
            DateTimeError::BadOffset { .. }
        ));
        assert!(matches!(
            e("2025-03-01T17:30:08+08:00 "),
            DateTimeError::BadOffset { .. }
        ));
        assert_eq!(
            e("2025-03-01T17:30:08.+08:00"),
            DateTimeError::EmptyFraction
        );
        assert_eq!(e("25-03-01T17:30:08+08:00"), DateTimeError::BadDateSyntax);
        assert_eq!(e(""), DateTimeError::BadDateSyntax);
        assert_eq!(
            e("２０２５-03-01T17:30:08+08:00"),
            DateTimeError::BadDateSyntax
        );
        // Multi-byte text in odd places must not panic.
        for s in [
            "2025-03-01T17:30:0８+08:00",
            "2025-03-01T17:30:08+08:0０",
            "2025-03-01时17:30:08+08:00",
            "2025-03-01T17:30:08．5+08:00",
        ] {
            assert!(parse_offset_date_time(s).is_err(), "{s}");
        }
    }

    #[test]
    fn partial_dates() {
        assert_eq!(parse_partial_date("1980"), Ok(PartialDate::Year(1980)));
        assert_eq!(
            parse_partial_date("1980-05"),
            Ok(PartialDate::YearMonth(1980, 5))
        );
        assert_eq!(
            parse_partial_date("1980-05-17"),
            Ok(PartialDate::Date(CivilDate::new(1980, 5, 17).unwrap()))
        );
        assert!(is_partial_date("2000-02-29"));
        assert_eq!(
            parse_partial_date("1980-13"),
            Err(PartialDateError::BadMonth { month: 13 })
        );
        assert_eq!(
            parse_partial_date("1980-00-01"),
            Err(PartialDateError::BadMonth { month: 0 })
        );
        assert!(matches!(
            parse_partial_date("1980-02-30"),
            Err(PartialDateError::ImpossibleDate { .. })
        ));
        for bad in [
            "",
            "80",
            "19800",
            "1980-5",
            "1980/05",
            "1980-05-1",
            "1980-05-17T00:00:00",
            "198０",
        ] {
            assert!(!is_partial_date(bad), "{bad}");
        }
    }
}
