//! Checks of Chinese national code lists used by the hub's JSON Schemas as custom `format`s.
//!
//! Owns: the format names the schemas use (`resident-id`, `region-code`, `sex-code`,
//! `ethnicity-code`, `offset-date-time`, `partial-date`, `uscc`), the check behind each
//! ([`FORMATS`]), and a specific sentence for why a value fails one ([`explain`]), written for
//! the IT staff of the sending department. The submodules hold the code lists and parsers:
//! [`resident_id`] (GB 11643-1999), [`region`] (GB/T 2260, with the shipped table
//! `contracts/data/gb2260.tsv`), [`sex`] (GB/T 2261.1-2003), [`ethnicity`] (GB/T 3304-1991),
//! [`datetime`] (RFC 3339 / GB/T 7408 dates and timestamps), [`uscc`] (GB 32100-2015).
//!
//! Invariants: every check is a pure function of its input (only `resident-id` also reads the
//! clock, for "birth date not in the future", in UTC+8); no I/O; no panics on any input,
//! including non-ASCII text; a check returns `true` exactly when [`explain`] returns `None`.

pub mod datetime;
pub mod ethnicity;
pub mod region;
pub mod resident_id;
pub mod sex;
pub mod uscc;

/// One custom JSON-Schema format: its name as used in schemas, the check, and a sentence for department IT staff.
#[derive(Debug, Clone, Copy)]
pub struct FormatCheck {
    /// The format name as written in schemas, e.g. `"resident-id"`.
    pub name: &'static str,
    /// Whether a string value conforms to the format.
    pub check: fn(&str) -> bool,
    /// What the format expects, in one sentence.
    pub explanation: &'static str,
}

/// Every custom format of the hub's schemas.
pub const FORMATS: &[FormatCheck] = &[
    FormatCheck {
        name: "resident-id",
        check: resident_id::is_resident_id,
        explanation: "18-character citizen ID number (GB 11643-1999): 6-digit address code, birth date YYYYMMDD (a real date from 1900-01-01 to today), 3-digit sequence, and an ISO 7064 MOD 11-2 check character (a digit or uppercase X)",
    },
    FormatCheck {
        name: "region-code",
        check: region::is_region_code,
        explanation: "administrative division code: 6 digits from the GB/T 2260 table (e.g. 320585 for 太仓市), or 12 digits (county + 3-digit township + 3-digit village, MCA statistical code) whose first 6 are in the table",
    },
    FormatCheck {
        name: "sex-code",
        check: sex::is_sex_code,
        explanation: "sex code of GB/T 2261.1-2003: 0 未知的性别, 1 男性, 2 女性, 9 未说明的性别",
    },
    FormatCheck {
        name: "ethnicity-code",
        check: ethnicity::is_ethnicity_code,
        explanation: "two-digit ethnicity code of GB/T 3304-1991 (01 汉族 … 56 基诺族), or 97 其他（未识别民族）, 98 外国血统中国籍人士",
    },
    FormatCheck {
        name: "offset-date-time",
        check: datetime::is_offset_date_time,
        explanation: "date and time with seconds and an explicit UTC offset (RFC 3339 / GB/T 7408), e.g. 2025-03-01T17:30:08+08:00 or 2025-03-01T09:30:08Z",
    },
    FormatCheck {
        name: "partial-date",
        check: datetime::is_partial_date,
        explanation: "a date known to the year, month or day: YYYY, YYYY-MM or YYYY-MM-DD (a real date), e.g. 1980 or 1980-05",
    },
    FormatCheck {
        name: "uscc",
        check: uscc::is_uscc,
        explanation: "18-character unified social credit code (GB 32100-2015): digits and uppercase letters except I, O, S, V, Z, with a MOD 31 check character",
    },
];

/// The format called `name`, if it is one of [`FORMATS`].
pub fn find(name: &str) -> Option<&'static FormatCheck> {
    FORMATS.iter().find(|f| f.name == name)
}

/// Whether `value` conforms to `format`, or `None` if `format` is not one of [`FORMATS`].
pub fn check(value: &str, format: &str) -> Option<bool> {
    find(format).map(|f| (f.check)(value))
}

/// A specific sentence saying why `value` fails `format`, or `None` if it passes.
///
/// Examples: "check digit is 7 but should be X (ISO 7064 MOD 11-2); …", "birth date 1980-02-30
/// inside the ID number is not a real date", "region code 320599 is not in the GB/T 2260 table",
/// "timestamp has no UTC offset; add +08:00 (China Standard Time) or Z (UTC)". For a format
/// that is not one of [`FORMATS`], returns a sentence saying so.
pub fn explain(value: &str, format: &str) -> Option<String> {
    match format {
        "resident-id" => resident_id::parse(value).err().map(|e| e.to_string()),
        "region-code" => region::check_region_code(value)
            .err()
            .map(|e| e.to_string()),
        "sex-code" => sex::explain(value),
        "ethnicity-code" => ethnicity::explain(value),
        "offset-date-time" => datetime::parse_offset_date_time(value)
            .err()
            .map(|e| e.to_string()),
        "partial-date" => datetime::parse_partial_date(value)
            .err()
            .map(|e| e.to_string()),
        "uscc" => uscc::check_uscc(value).err().map(|e| e.to_string()),
        other => Some(format!(
            "format {other:?} is not one of the hub's code-list formats"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_are_unique_and_explained() {
        let names: Vec<_> = FORMATS.iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "resident-id",
                "region-code",
                "sex-code",
                "ethnicity-code",
                "offset-date-time",
                "partial-date",
                "uscc"
            ]
        );
        for f in FORMATS {
            assert!(!f.explanation.is_empty());
            assert!(find(f.name).is_some());
        }
        assert!(find("date-time").is_none());
        assert_eq!(check("1", "sex-code"), Some(true));
        assert_eq!(check("1", "no-such-format"), None);
    }

    #[test]
    fn explain_agrees_with_check() {
        let samples = [
            "",
            "0",
            "1",
            "9",
            "01",
            "57",
            "98",
            "1980",
            "1980-05",
            "1980-02-30",
            "320585",
            "320599",
            "320585100001",
            "320599100001",
            "11010519491231002X",
            "11010519491231002x",
            "110105194912310027",
            "320585198001010019",
            "2025-03-01T17:30:08+08:00",
            "2025-03-01T17:30:08",
            "2025-02-30T10:00:00+08:00",
            "2025-03-01T09:30:08Z",
            "11320585TC58500177",
            "11320585TC58500178",
            "太仓市",
            "３２０５８５",
        ];
        for f in FORMATS {
            for v in samples {
                assert_eq!(
                    (f.check)(v),
                    explain(v, f.name).is_none(),
                    "{} {v:?}: {:?}",
                    f.name,
                    explain(v, f.name)
                );
            }
        }
    }

    #[test]
    fn explanations_are_specific() {
        assert_eq!(explain("11010519491231002X", "resident-id"), None);
        assert!(
            explain("110105194912310027", "resident-id")
                .unwrap()
                .starts_with("check digit is 7 but should be X (ISO 7064 MOD 11-2)")
        );
        assert_eq!(
            explain("320585198002300018", "resident-id").as_deref(),
            Some("birth date 1980-02-30 inside the ID number is not a real date")
        );
        assert_eq!(
            explain("320599", "region-code").as_deref(),
            Some("region code 320599 is not in the GB/T 2260 table")
        );
        assert!(
            explain("2025-03-01T17:30:08", "offset-date-time")
                .unwrap()
                .contains("no UTC offset; add +08:00")
        );
        assert!(explain("x", "no-such-format").is_some());
    }
}
