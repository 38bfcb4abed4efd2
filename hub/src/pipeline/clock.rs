//! Wall-clock timestamps for the messages the hub writes: RFC 3339 with the `+08:00` offset
//! the departments use (GB/T 7408), computed without a date library.

use std::time::{SystemTime, UNIX_EPOCH};

use contracts::codes::datetime::date_utc8_of_unix_seconds;

/// Seconds of UTC+8.
const OFFSET_SECONDS: i64 = 8 * 3600;

/// Now, as `YYYY-MM-DDThh:mm:ss+08:00`.
pub fn now_utc8() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    format_utc8(seconds)
}

/// Formats Unix seconds as a `+08:00` timestamp.
pub fn format_utc8(unix_seconds: i64) -> String {
    let date = date_utc8_of_unix_seconds(unix_seconds);
    let of_day = (unix_seconds + OFFSET_SECONDS).rem_euclid(86_400);
    format!(
        "{date}T{:02}:{:02}:{:02}+08:00",
        of_day / 3600,
        (of_day % 3600) / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_china_standard_time() {
        // 2025-03-01T00:00:00Z is 08:00 in Taicang.
        assert_eq!(format_utc8(1_740_787_200), "2025-03-01T08:00:00+08:00");
        // 16:30 UTC is already the next day in UTC+8.
        assert_eq!(format_utc8(1_740_846_600), "2025-03-02T00:30:00+08:00");
        assert!(contracts::codes::datetime::is_offset_date_time(&now_utc8()));
    }
}
