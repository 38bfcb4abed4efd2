//! Time arithmetic of deadlines: parsing and writing instants, the [`Span`] of a deadline
//! (minutes, hours, days, calendar months, working days) and the [`WorkingCalendar`] that
//! decides which days are working days.
//!
//! Owns the meaning of every span a rule can declare. Calendar arithmetic is done in China
//! Standard Time (UTC+8, no daylight saving), the time of the departments:
//!
//! * `minutes`, `hours`, `days` — exact durations (a day is 24 hours);
//! * `months` — the same local time of day N calendar months later, the day clamped to the
//!   end of a shorter month (31 January + 1 month = 28/29 February);
//! * `working_days` — the end (24:00 local time) of the Nth working day after the day the
//!   clock starts: "within 7 working days" of a Monday intake ends at midnight after the
//!   Tuesday of the following week (no holiday in between). A working day is Monday to
//!   Friday unless listed as a holiday, or a weekend day listed as an extra working day (调休
//!   上班).
//!
//! # Invariants
//!
//! * Pure and total: no clock, no I/O, no panic; an instant that would overflow saturates at
//!   the largest representable one, so a rule can never make the engine fail.
//! * Stored instants are RFC 3339 UTC text of fixed width ([`crate::store::rfc3339_utc`]), so
//!   text order is time order in SQL.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use contracts::codes::datetime::{CivilDate, parse_offset_date_time};

/// Seconds of a day.
const DAY_SECONDS: i64 = 86_400;
/// China Standard Time, seconds east of UTC.
const UTC8_SECONDS: i64 = 8 * 3_600;
/// Longest search for working days (a calendar with no working day at all must not loop).
const MAX_SEARCH_DAYS: i64 = 3_660 * 3;

/// Seconds since 1970-01-01T00:00:00Z (negative before).
pub fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The instant `seconds` (+ `nanos`) after 1970-01-01T00:00:00Z; times before 1970 become
/// the epoch (the hub never deals with them).
pub fn from_unix_seconds(seconds: i64, nanos: u32) -> SystemTime {
    u64::try_from(seconds).map_or(UNIX_EPOCH, |s| {
        UNIX_EPOCH
            .checked_add(Duration::new(s, nanos))
            .unwrap_or(UNIX_EPOCH)
    })
}

/// Parses an `offset-date-time` (any offset, e.g. `2025-03-01T07:40:00+08:00` or the store's
/// `2025-02-28T23:40:00.000000Z`).
pub fn parse_instant(text: &str) -> Option<SystemTime> {
    let parsed = parse_offset_date_time(text).ok()?;
    let days = parsed.date.to_days_since_epoch();
    let local = days * DAY_SECONDS
        + i64::from(parsed.hour) * 3_600
        + i64::from(parsed.minute) * 60
        + i64::from(parsed.second.min(59));
    let utc = local - i64::from(parsed.offset_minutes) * 60;
    Some(from_unix_seconds(utc, parsed.nanosecond))
}

/// The store's form of an instant: RFC 3339 UTC with microseconds, fixed width.
pub fn store_text(time: SystemTime) -> String {
    crate::store::rfc3339_utc(time)
}

/// The departments' form of an instant: `YYYY-MM-DDThh:mm:ss+08:00` (whole seconds).
pub fn local_text(time: SystemTime) -> String {
    crate::pipeline::clock::format_utc8(unix_seconds(time))
}

/// 9999-12-31T23:59:59Z: the latest instant the store's fixed-width text can hold, where
/// arithmetic saturates.
pub fn far_future() -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_secs(253_402_300_799))
        .unwrap_or(UNIX_EPOCH)
}

/// `time + by`, saturating at [`far_future`].
pub fn add(time: SystemTime, by: Duration) -> SystemTime {
    time.checked_add(by)
        .map_or_else(far_future, |t| t.min(far_future()))
}

/// A deadline's length, as a rule declares it (see the module docs for each unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Exact minutes.
    Minutes(u64),
    /// Exact hours.
    Hours(u64),
    /// Exact days of 24 hours.
    Days(u64),
    /// Calendar months, same local time of day, day clamped to the month's end.
    Months(u32),
    /// To the end of the Nth working day after the start day.
    WorkingDays(u32),
}

impl Span {
    /// The instant this span after `start` falls on.
    pub fn after(self, start: SystemTime, calendar: &WorkingCalendar) -> SystemTime {
        match self {
            Span::Minutes(n) => add(start, Duration::from_secs(n.saturating_mul(60))),
            Span::Hours(n) => add(start, Duration::from_secs(n.saturating_mul(3_600))),
            Span::Days(n) => add(
                start,
                Duration::from_secs(n.saturating_mul(DAY_SECONDS.unsigned_abs())),
            ),
            Span::Months(n) => add_months(start, n),
            Span::WorkingDays(n) => calendar.end_of_working_day(start, n),
        }
    }

    /// For people: `1 h`, `10 d`, `3 months`, `7 working days`.
    pub fn describe(self) -> String {
        match self {
            Span::Minutes(n) => format!("{n} min"),
            Span::Hours(n) => format!("{n} h"),
            Span::Days(n) => format!("{n} d"),
            Span::Months(1) => "1 month".to_owned(),
            Span::Months(n) => format!("{n} months"),
            Span::WorkingDays(1) => "1 working day".to_owned(),
            Span::WorkingDays(n) => format!("{n} working days"),
        }
    }
}

/// (local date as days since epoch, seconds into the local day, nanoseconds) of an instant
/// in UTC+8.
fn local_parts(time: SystemTime) -> (i64, i64, u32) {
    let nanos = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let local = unix_seconds(time).saturating_add(UTC8_SECONDS);
    (
        local.div_euclid(DAY_SECONDS),
        local.rem_euclid(DAY_SECONDS),
        nanos,
    )
}

/// The instant of local (UTC+8) `day` at `second_of_day`.
fn from_local(day: i64, second_of_day: i64, nanos: u32) -> SystemTime {
    let utc = day
        .saturating_mul(DAY_SECONDS)
        .saturating_add(second_of_day)
        .saturating_sub(UTC8_SECONDS);
    from_unix_seconds(utc, nanos).min(far_future())
}

fn add_months(start: SystemTime, months: u32) -> SystemTime {
    let (day, second, nanos) = local_parts(start);
    let Some(date) = CivilDate::from_days_since_epoch(day) else {
        return start;
    };
    let index = i64::from(date.year()) * 12 + i64::from(date.month()) - 1 + i64::from(months);
    let (Ok(year), Ok(month)) = (
        i32::try_from(index.div_euclid(12)),
        u8::try_from(index.rem_euclid(12) + 1),
    ) else {
        return far_future();
    };
    let last = contracts::codes::datetime::days_in_month(year, month).unwrap_or(28);
    let target = CivilDate::new(year, month, date.day().min(last));
    match target {
        Some(target) => from_local(target.to_days_since_epoch(), second, nanos),
        None => start,
    }
}

/// Which local dates are working days: Monday to Friday, minus holidays, plus extra working
/// days (weekend days worked to make up for a holiday bridge, 调休).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    /// Holidays (days since epoch, local dates).
    holidays: BTreeSet<i64>,
    /// Weekend days that are working days.
    extra_working_days: BTreeSet<i64>,
}

impl WorkingCalendar {
    /// A calendar with these holidays and extra working days.
    pub fn new(
        holidays: impl IntoIterator<Item = CivilDate>,
        extra_working_days: impl IntoIterator<Item = CivilDate>,
    ) -> Self {
        WorkingCalendar {
            holidays: holidays
                .into_iter()
                .map(CivilDate::to_days_since_epoch)
                .collect(),
            extra_working_days: extra_working_days
                .into_iter()
                .map(CivilDate::to_days_since_epoch)
                .collect(),
        }
    }

    /// Whether the local date `day` (days since epoch) is a working day.
    pub fn is_working_day(&self, day: i64) -> bool {
        if self.extra_working_days.contains(&day) {
            return true;
        }
        if self.holidays.contains(&day) {
            return false;
        }
        // 1970-01-01 was a Thursday: 0 = Monday … 6 = Sunday.
        (day + 3).rem_euclid(7) < 5
    }

    /// 24:00 local time of the `n`th working day after the local date of `start` (the start
    /// day itself does not count); `n = 0` is the end of the start day.
    pub fn end_of_working_day(&self, start: SystemTime, n: u32) -> SystemTime {
        let (mut day, _, _) = local_parts(start);
        let mut left = n;
        let mut searched = 0;
        while left > 0 && searched < MAX_SEARCH_DAYS {
            day += 1;
            searched += 1;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        from_local(day + 1, 0, 0)
    }
}

/// Parses a calendar entry: one date `YYYY-MM-DD` or an inclusive range
/// `YYYY-MM-DD..YYYY-MM-DD` of at most 366 days; the dates in order.
pub fn parse_dates(entry: &str) -> Result<Vec<CivilDate>, String> {
    let date = |text: &str| -> Result<CivilDate, String> {
        let text = text.trim();
        let parts: Vec<&str> = text.split('-').collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(format!("`{text}` is not a date YYYY-MM-DD"));
        };
        let well_formed = y.len() == 4
            && m.len() == 2
            && d.len() == 2
            && [y, m, d]
                .iter()
                .all(|p| p.bytes().all(|b| b.is_ascii_digit()));
        let parsed = if well_formed {
            match (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) {
                (Ok(y), Ok(m), Ok(d)) => CivilDate::new(y, m, d),
                _ => None,
            }
        } else {
            None
        };
        parsed.ok_or_else(|| format!("`{text}` is not a real date YYYY-MM-DD"))
    };
    match entry.split_once("..") {
        None => Ok(vec![date(entry)?]),
        Some((from, to)) => {
            let (from, to) = (date(from)?, date(to)?);
            let (first, last) = (from.to_days_since_epoch(), to.to_days_since_epoch());
            if last < first {
                return Err(format!("the range {entry} ends before it starts"));
            }
            if last - first >= 366 {
                return Err(format!("the range {entry} is longer than a year"));
            }
            Ok((first..=last)
                .filter_map(CivilDate::from_days_since_epoch)
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SystemTime {
        parse_instant(text).unwrap()
    }

    fn date(text: &str) -> CivilDate {
        parse_dates(text).unwrap()[0]
    }

    #[test]
    fn instants_parse_with_any_offset_and_print_in_both_forms() {
        let t = at("2026-03-01T07:40:00+08:00");
        assert_eq!(t, at("2026-02-28T23:40:00Z"));
        assert_eq!(store_text(t), "2026-02-28T23:40:00.000000Z");
        assert_eq!(local_text(t), "2026-03-01T07:40:00+08:00");
        assert_eq!(parse_instant(&store_text(t)), Some(t));
        assert_eq!(parse_instant("2026-03-01"), None);
    }

    #[test]
    fn exact_spans_add_durations() {
        let cal = WorkingCalendar::default();
        let t = at("2026-03-01T07:40:00+08:00");
        assert_eq!(
            Span::Hours(1).after(t, &cal),
            at("2026-03-01T08:40:00+08:00")
        );
        assert_eq!(
            Span::Minutes(90).after(t, &cal),
            at("2026-03-01T09:10:00+08:00")
        );
        assert_eq!(
            Span::Days(10).after(t, &cal),
            at("2026-03-11T07:40:00+08:00")
        );
    }

    #[test]
    fn months_keep_the_local_time_and_clamp_the_day() {
        let cal = WorkingCalendar::default();
        assert_eq!(
            Span::Months(3).after(at("2026-03-01T07:40:00+08:00"), &cal),
            at("2026-06-01T07:40:00+08:00")
        );
        assert_eq!(
            Span::Months(1).after(at("2026-01-31T23:30:00+08:00"), &cal),
            at("2026-02-28T23:30:00+08:00")
        );
        assert_eq!(
            Span::Months(1).after(at("2028-01-31T00:10:00+08:00"), &cal),
            at("2028-02-29T00:10:00+08:00")
        );
        // 00:30 local is the previous day in UTC: the local date counts.
        assert_eq!(
            Span::Months(12).after(at("2026-11-30T00:30:00+08:00"), &cal),
            at("2027-11-30T00:30:00+08:00")
        );
    }

    #[test]
    fn working_days_end_at_midnight_and_skip_weekends_holidays_and_count_make_up_days() {
        let plain = WorkingCalendar::default();
        // Monday 2026-03-02 10:00 + 7 working days → end of Wednesday 2026-03-11.
        assert_eq!(
            Span::WorkingDays(7).after(at("2026-03-02T10:00:00+08:00"), &plain),
            at("2026-03-12T00:00:00+08:00")
        );
        // Friday 23:30 + 1 working day → end of Monday.
        assert_eq!(
            Span::WorkingDays(1).after(at("2026-03-06T23:30:00+08:00"), &plain),
            at("2026-03-10T00:00:00+08:00")
        );
        // 2026 Spring Festival: 15–23 February off, Saturday 14 and 28 February worked.
        let holidays = parse_dates("2026-02-15..2026-02-23").unwrap();
        let extra = [date("2026-02-14"), date("2026-02-28")];
        let cal = WorkingCalendar::new(holidays, extra);
        assert!(cal.is_working_day(date("2026-02-14").to_days_since_epoch()));
        assert!(!cal.is_working_day(date("2026-02-16").to_days_since_epoch()));
        assert!(!cal.is_working_day(date("2026-02-21").to_days_since_epoch()));
        // Intake Friday 13 February: 14 (Sat, worked) is 1, then 24, 25, 26, 27, 28 (Sat,
        // worked), 2 March → the 7th working day is Monday 2 March.
        assert_eq!(
            Span::WorkingDays(7).after(at("2026-02-13T16:00:00+08:00"), &cal),
            at("2026-03-03T00:00:00+08:00")
        );
        // Without the calendar the same span ends a week and a half earlier.
        assert_eq!(
            Span::WorkingDays(7).after(at("2026-02-13T16:00:00+08:00"), &plain),
            at("2026-02-25T00:00:00+08:00")
        );
    }

    #[test]
    fn a_calendar_without_working_days_does_not_loop() {
        let every_day = parse_dates("2026-01-01..2026-12-31").unwrap();
        let cal = WorkingCalendar::new(every_day, []);
        let start = at("2026-01-01T00:00:00+08:00");
        assert!(Span::WorkingDays(3).after(start, &cal) > start);
    }

    #[test]
    fn calendar_entries_are_dates_or_short_ranges() {
        assert_eq!(parse_dates("2026-10-01..2026-10-07").unwrap().len(), 7);
        assert_eq!(
            parse_dates(" 2026-01-04 ").unwrap(),
            vec![date("2026-01-04")]
        );
        for bad in [
            "2026-02-30",
            "2026-2-3",
            "20260101",
            "2026-10-07..2026-10-01",
            "2026-01-01..2027-06-01",
        ] {
            assert!(parse_dates(bad).is_err(), "{bad}");
        }
    }
}
