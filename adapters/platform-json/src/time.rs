//! Native time of the JSON platforms: Beijing time written `yyyy-MM-dd HH:mm:ss`, optionally
//! with a fraction (`.SSS`), as the platforms' Java services write it; the canonical side is
//! RFC 3339 with `+08:00` ([`from_native`], [`to_native`]).
//!
//! Invariant: `from_native(to_native(t)) == t` for every RFC 3339 time `t` with offset
//! `+08:00` and no leap second; both are total (an error names the native field).

use adapter_core::CodecError;
use contracts::codes::datetime::{CivilDate, parse_offset_date_time};

use crate::text::quote;

/// Converts a native Beijing time (`yyyy-MM-dd HH:mm:ss[.f…]`) into an RFC 3339 time with
/// `+08:00`; `field` names the native field in the error, `layout` is the platform's
/// layout with an example (quoted in the error).
pub fn from_native(field: &str, text: &str, layout: &str) -> Result<String, CodecError> {
    let bad = |detail: &str| CodecError::InvalidField {
        field: field.to_owned(),
        value: quote(text),
        detail: format!("{detail}; expected {layout}"),
    };
    let b = text.as_bytes();
    let shape_ok = b.len() >= 19
        && b.iter().take(19).enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(bad("not a time of the form yyyy-MM-dd HH:mm:ss"));
    }
    if let Some(rest) = b.get(19..)
        && !rest.is_empty()
    {
        let digits = rest.get(1..).unwrap_or_default();
        let fraction_ok = rest.first() == Some(&b'.')
            && (1..=9).contains(&digits.len())
            && digits.iter().all(u8::is_ascii_digit);
        if !fraction_ok {
            return Err(bad(
                "only a fraction of a second (.SSS) may follow the seconds",
            ));
        }
    }
    let number = |from: usize, to: usize| -> u32 {
        b.get(from..to)
            .unwrap_or_default()
            .iter()
            .fold(0, |n, d| n * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (number(0, 4), number(5, 7), number(8, 10));
    let (hour, minute, second) = (number(11, 13), number(14, 16), number(17, 19));
    let date = i32::try_from(year).ok().and_then(|y| {
        let m = u8::try_from(month).ok()?;
        let d = u8::try_from(day).ok()?;
        CivilDate::new(y, m, d)
    });
    if date.is_none() {
        return Err(bad("not a real calendar date"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(bad("time of day out of range"));
    }
    let (date_part, time_part) = (
        text.get(..10).unwrap_or_default(),
        text.get(11..).unwrap_or_default(),
    );
    Ok(format!("{date_part}T{time_part}+08:00"))
}

/// Converts an RFC 3339 time into native Beijing time, shifting it when its offset is not
/// `+08:00` (the fraction of a second is kept as written).
pub fn to_native(field: &str, text: &str) -> Result<String, CodecError> {
    let parsed = parse_offset_date_time(text).map_err(|e| CodecError::InvalidField {
        field: field.to_owned(),
        value: quote(text),
        detail: format!("not an RFC 3339 time: {e}"),
    })?;
    if parsed.second > 59 {
        return Err(CodecError::InvalidField {
            field: field.to_owned(),
            value: quote(text),
            detail: "a leap second has no native representation".to_owned(),
        });
    }
    // The fraction as written: the digits after the seconds, up to the offset.
    let fraction: String = text
        .get(19..)
        .unwrap_or_default()
        .chars()
        .take_while(|c| *c == '.' || c.is_ascii_digit())
        .collect();
    let local_seconds =
        i64::from(parsed.hour) * 3_600 + i64::from(parsed.minute) * 60 + i64::from(parsed.second);
    let shift = (8 * 60 - i64::from(parsed.offset_minutes)) * 60;
    let total = parsed.date.to_days_since_epoch() * 86_400 + local_seconds + shift;
    let date = CivilDate::from_days_since_epoch(total.div_euclid(86_400)).ok_or_else(|| {
        CodecError::InvalidField {
            field: field.to_owned(),
            value: quote(text),
            detail: "the time is out of range".to_owned(),
        }
    })?;
    let of_day = total.rem_euclid(86_400);
    Ok(format!(
        "{date} {:02}:{:02}:{:02}{fraction}",
        of_day / 3_600,
        of_day / 60 % 60,
        of_day % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYOUT: &str = "yyyy-MM-dd HH:mm:ss (北京时间)";

    #[test]
    fn native_times_become_rfc3339_with_the_beijing_offset() {
        assert_eq!(
            from_native("t", "2025-03-02 14:12:35", LAYOUT).unwrap(),
            "2025-03-02T14:12:35+08:00"
        );
        assert_eq!(
            from_native("t", "2025-03-02 14:12:35.418", LAYOUT).unwrap(),
            "2025-03-02T14:12:35.418+08:00"
        );
        for bad in [
            "2025-03-02T14:12:35",
            "2025-02-30 10:00:00",
            "2025-03-02 24:00:00",
            "2025-03-02 14:12",
            "2025/03/02 14:12:35",
            "2025-03-02 14:12:35+08:00",
            "2025-03-02 14:12:35.",
            "",
            "二〇二五年三月二日",
        ] {
            assert!(from_native("t", bad, LAYOUT).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_field_and_the_platform_layout() {
        match from_native("discoverTime", "2025/03/02", LAYOUT) {
            Err(CodecError::InvalidField { field, detail, .. }) => {
                assert_eq!(field, "discoverTime");
                assert!(detail.ends_with(LAYOUT), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn canonical_times_are_written_in_beijing_time() {
        assert_eq!(
            to_native("t", "2025-03-02T14:12:35+08:00").unwrap(),
            "2025-03-02 14:12:35"
        );
        assert_eq!(
            to_native("t", "2025-03-05T10:14:02.418+08:00").unwrap(),
            "2025-03-05 10:14:02.418"
        );
        assert_eq!(
            to_native("t", "2025-03-01T20:30:00Z").unwrap(),
            "2025-03-02 04:30:00"
        );
        assert_eq!(
            to_native("t", "2025-01-01T01:00:00+09:30").unwrap(),
            "2024-12-31 23:30:00"
        );
        assert!(to_native("t", "2025-03-01 20:30:00").is_err());
    }
}
