//! Conversions between HL7 data types and the contracts' value formats.
//!
//! * TS (time stamp, `YYYYMMDDHHMM[SS[.S…]][±ZZZZ]`) ↔ offset date-time
//!   (`YYYY-MM-DDThh:mm:ss[.f]±hh:mm`): the fraction is kept digit for digit; a TS without
//!   seconds reads as `:00`; a TS without offset is China Standard Time (`+08:00`), the time
//!   zone of every HIS in Taicang (HL7: a missing offset means the sender's local time); `Z`
//!   is written `+0000` and so reads back as `+00:00`.
//! * DT (`YYYYMMDD`) ↔ date (`YYYY-MM-DD`); DT/TS of precision year, month or day ↔ partial
//!   date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`); the time of day of a birth TS is not kept.
//! * Sex: GB/T 2261.1 `1` ↔ HL7 `M`, `2` ↔ `F`, `0` (未知的性别, sex cannot be told) ↔ `U`,
//!   `9` (未说明的性别, not stated) ↔ `N`; reading also takes `A` (ambiguous) as `0` and `O`
//!   (other) as `9`.
//! * Identity documents (GA/T 2000.156) ↔ PID-3 identifier type (CX-5): `111` ↔ `NNCHN`
//!   (HL7 table 0203 `NN` + ISO 3166 `CHN`), `114` ↔ `MI`, `414` ↔ `PPN`, and the local
//!   `Z`-codes `112` ↔ `ZTRID`, `113` ↔ `ZHHR`, `990` ↔ `ZOTH` where table 0203 has nothing.
//! * Booleans are `Y`/`N` (HL7 table 0136).
//!
//! Errors are detail strings; the caller adds the HL7 field name.

use contracts::codes::datetime::{parse_offset_date_time, parse_partial_date};

/// Offset assumed for a TS that carries none: China Standard Time.
pub const DEFAULT_OFFSET: &str = "+08:00";

/// HL7 TS of an offset date-time (`None` if the text is not one).
pub fn ts_of(datetime: &str) -> Option<String> {
    parse_offset_date_time(datetime).ok()?;
    let b = datetime.as_bytes();
    let digits = |r: std::ops::Range<usize>| datetime.get(r);
    let mut out = String::with_capacity(24);
    for r in [0..4, 5..7, 8..10, 11..13, 14..16, 17..19] {
        out.push_str(digits(r)?);
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let end = b
            .iter()
            .skip(i + 1)
            .position(|c| !c.is_ascii_digit())
            .map_or(b.len(), |p| i + 1 + p);
        out.push_str(datetime.get(i..end)?);
        i = end;
    }
    let offset = datetime.get(i..)?;
    if offset.eq_ignore_ascii_case("z") {
        out.push_str("+0000");
    } else {
        out.push_str(offset.get(0..3)?);
        out.push_str(offset.get(4..6)?);
    }
    Some(out)
}

/// The parts of an HL7 TS/DT: leading digits, `.fraction` (with the dot), `±ZZZZ`.
fn split_ts(value: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    let digits_end = value
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, mut rest) = value.split_at(digits_end);
    let mut fraction = None;
    if rest.starts_with('.') {
        let end = rest
            .bytes()
            .skip(1)
            .position(|c| !c.is_ascii_digit())
            .map_or(rest.len(), |p| p + 1);
        if end == 1 {
            return None;
        }
        fraction = Some(&rest[..end]);
        rest = &rest[end..];
    }
    let offset = match rest.as_bytes() {
        [] => None,
        [b'+' | b'-', d @ ..] if d.len() == 4 && d.iter().all(u8::is_ascii_digit) => Some(rest),
        _ => return None,
    };
    Some((digits, fraction, offset))
}

/// Offset date-time of an HL7 TS (component 1 of the field).
pub fn datetime_of(ts: &str) -> Result<String, String> {
    let bad = || {
        "not an HL7 time stamp with date and time YYYYMMDDHHMM[SS[.S]][+ZZZZ], e.g. 20250309003542+0800"
            .to_owned()
    };
    let (digits, fraction, offset) = split_ts(ts).ok_or_else(bad)?;
    if !(digits.len() == 12 || digits.len() == 14) || (fraction.is_some() && digits.len() != 14) {
        return Err(bad());
    }
    let part = |r: std::ops::Range<usize>| digits.get(r).unwrap_or("00");
    let mut out = format!(
        "{}-{}-{}T{}:{}:{}",
        part(0..4),
        part(4..6),
        part(6..8),
        part(8..10),
        part(10..12),
        if digits.len() == 14 {
            part(12..14)
        } else {
            "00"
        }
    );
    if let Some(fraction) = fraction {
        out.push_str(fraction);
    }
    match offset {
        None => out.push_str(DEFAULT_OFFSET),
        Some(o) => {
            out.push_str(o.get(..3).unwrap_or_default());
            out.push(':');
            out.push_str(o.get(3..).unwrap_or_default());
        }
    }
    parse_offset_date_time(&out).map_err(|e| format!("{e}"))?;
    Ok(out)
}

/// HL7 DT of a date `YYYY-MM-DD` (`None` if not one).
pub fn dt_of(date: &str) -> Option<String> {
    match parse_partial_date(date).ok()? {
        contracts::codes::datetime::PartialDate::Date(_) => Some(date.replace('-', "")),
        _ => None,
    }
}

/// Date `YYYY-MM-DD` of an HL7 DT `YYYYMMDD`.
pub fn date_of(dt: &str) -> Result<String, String> {
    let date = partial_date_of(dt)?;
    if date.len() == 10 {
        Ok(date)
    } else {
        Err("not a full date YYYYMMDD".to_owned())
    }
}

/// HL7 DT of a partial date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD` → `YYYY`, `YYYYMM`,
/// `YYYYMMDD`).
pub fn partial_dt_of(date: &str) -> Option<String> {
    parse_partial_date(date).ok()?;
    Some(date.replace('-', ""))
}

/// Partial date of an HL7 DT or TS of precision year, month or day (a time of day, and
/// the offset, are dropped).
pub fn partial_date_of(value: &str) -> Result<String, String> {
    let bad = || "not an HL7 date YYYY[MM[DD]] (a time of day may follow)".to_owned();
    let (digits, _, _) = split_ts(value).ok_or_else(bad)?;
    let date = match digits.len() {
        4 => digits.to_owned(),
        6 => format!("{}-{}", &digits[..4], &digits[4..6]),
        8 | 10 | 12 | 14 => format!("{}-{}-{}", &digits[..4], &digits[4..6], &digits[6..8]),
        _ => return Err(bad()),
    };
    parse_partial_date(&date).map_err(|e| format!("{e}"))?;
    Ok(date)
}

/// `Y` or `N`.
pub const fn yn(value: bool) -> &'static str {
    if value { "Y" } else { "N" }
}

/// The boolean of `Y`/`N`.
pub fn bool_of(value: &str) -> Result<bool, String> {
    match value {
        "Y" => Ok(true),
        "N" => Ok(false),
        _ => Err("expected Y or N (HL7 table 0136)".to_owned()),
    }
}

/// HL7 administrative sex (table 0001) of a GB/T 2261.1 code.
pub fn hl7_sex(gb: &str) -> Option<&'static str> {
    match gb {
        "0" => Some("U"),
        "1" => Some("M"),
        "2" => Some("F"),
        "9" => Some("N"),
        _ => None,
    }
}

/// GB/T 2261.1 code of an HL7 administrative sex.
pub fn gb_sex(hl7: &str) -> Option<&'static str> {
    match hl7 {
        "U" | "A" => Some("0"),
        "M" => Some("1"),
        "F" => Some("2"),
        "N" | "O" => Some("9"),
        _ => None,
    }
}

/// GA/T 2000.156 document type ↔ PID-3 identifier type code.
const ID_TYPES: [(&str, &str); 6] = [
    ("111", "NNCHN"),
    ("112", "ZTRID"),
    ("113", "ZHHR"),
    ("114", "MI"),
    ("414", "PPN"),
    ("990", "ZOTH"),
];

/// PID-3 identifier type (CX-5) of a GA/T 2000.156 document type.
pub fn id_type_code(doc_type: &str) -> Option<&'static str> {
    ID_TYPES
        .iter()
        .find(|(gat, _)| *gat == doc_type)
        .map(|(_, code)| *code)
}

/// GA/T 2000.156 document type of a PID-3 identifier type (CX-5).
pub fn doc_type_of(code: &str) -> Option<&'static str> {
    ID_TYPES
        .iter()
        .find(|(_, c)| *c == code)
        .map(|(gat, _)| *gat)
}

/// An HL7 NM of a JSON number (shortest text that reads back to the same value).
pub fn nm_of(value: f64) -> String {
    format!("{value}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn timestamps_both_ways() {
        assert_eq!(
            ts_of("2025-03-09T00:35:42+08:00").unwrap(),
            "20250309003542+0800"
        );
        assert_eq!(
            ts_of("2025-03-09T00:35:42.250-05:30").unwrap(),
            "20250309003542.250-0530"
        );
        assert_eq!(
            ts_of("2025-03-09T00:35:42Z").unwrap(),
            "20250309003542+0000"
        );
        assert_eq!(ts_of("2025-03-09 00:35:42+08:00"), None);
        assert_eq!(
            datetime_of("20250309003542+0800").unwrap(),
            "2025-03-09T00:35:42+08:00"
        );
        assert_eq!(
            datetime_of("20250309003542.250-0530").unwrap(),
            "2025-03-09T00:35:42.250-05:30"
        );
        assert_eq!(
            datetime_of("202503090035").unwrap(),
            "2025-03-09T00:35:00+08:00"
        );
        assert!(datetime_of("20250309").is_err());
        assert!(datetime_of("20250230003542+0800").is_err());
        assert!(datetime_of("2025030900354+0800").is_err());
        assert!(datetime_of("20250309003542+08").is_err());
        assert!(datetime_of("").is_err());
    }

    #[test]
    fn dates_both_ways() {
        assert_eq!(dt_of("2025-03-09").unwrap(), "20250309");
        assert_eq!(dt_of("2025-03"), None);
        assert_eq!(date_of("20250309").unwrap(), "2025-03-09");
        assert!(date_of("202503").is_err());
        assert_eq!(partial_dt_of("1980").unwrap(), "1980");
        assert_eq!(partial_dt_of("1980-05").unwrap(), "198005");
        assert_eq!(partial_date_of("198005").unwrap(), "1980-05");
        assert_eq!(
            partial_date_of("19800101083000+0800").unwrap(),
            "1980-01-01"
        );
        assert!(partial_date_of("19801301").is_err());
        assert!(partial_date_of("19800230").is_err());
        assert!(partial_date_of("1980-01-01").is_err());
    }

    #[test]
    fn sex_and_documents_map_both_ways() {
        for gb in ["0", "1", "2", "9"] {
            assert_eq!(gb_sex(hl7_sex(gb).unwrap()), Some(gb));
        }
        for (gat, _) in ID_TYPES {
            assert_eq!(doc_type_of(id_type_code(gat).unwrap()), Some(gat));
        }
        assert_eq!(nm_of(20.0), "20");
        assert_eq!(nm_of(121.1547), "121.1547");
    }
}
