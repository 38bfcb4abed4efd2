//! Administrative division codes of GB/T 2260 (schema format `region-code`).
//!
//! Owns: the shipped table `contracts/data/gb2260.tsv` (province-, prefecture- and county-level
//! codes in current use, with Chinese names; its header names the source and edition), lookups in
//! it, and the check of 6-digit GB/T 2260 codes and 12-digit MCA statistical codes
//! (6-digit county + 3-digit township + 3-digit village).
//!
//! Invariants: the table is compiled in with `include_str!` and parsed once, lazily, into a
//! sorted, de-duplicated vector; a malformed line of the shipped file is skipped at run time and
//! caught by the unit test `shipped_table_is_well_formed`, never by a panic. No I/O. Retired codes
//! (e.g. 320584 吴江市) are not in the table: an ID number's address code may be one, so
//! `resident-id` checks only the province.

use std::sync::OnceLock;

/// The shipped table, `code<TAB>name` per line, `#` comment lines.
const GB2260_TSV: &str = include_str!("../../data/gb2260.tsv");

/// One administrative division of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    /// The 6-digit code, e.g. `"320585"`.
    pub code: &'static str,
    /// The Chinese name, e.g. `"太仓市"`.
    pub name: &'static str,
}

/// Why a string is not a `region-code`. Each message is meant for department IT staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    /// Not 6 or 12 characters.
    #[error(
        "region code must have 6 digits (GB/T 2260) or 12 digits (county + township + village), not {length}"
    )]
    WrongLength {
        /// The number of characters given.
        length: usize,
    },
    /// A character that is not an ASCII digit.
    #[error("region code may contain only digits 0–9; character {position} is {found:?}")]
    NonDigit {
        /// 1-based position of the offending character.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// A 6-digit code that is not in the table.
    #[error("region code {code} is not in the GB/T 2260 table")]
    Unknown {
        /// The code.
        code: String,
    },
    /// A 12-digit code whose county part is not in the table.
    #[error(
        "the first 6 digits {county} of the 12-digit region code are not a GB/T 2260 code in the table"
    )]
    UnknownCounty {
        /// The first six digits.
        county: String,
    },
}

/// A line of the shipped file that could not be read as `code<TAB>name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedLine {
    /// 1-based line number.
    pub line: usize,
    /// The line's text.
    pub text: String,
}

/// The header comment lines of the shipped table (source, edition, count), without the `# `.
pub fn table_source() -> impl Iterator<Item = &'static str> {
    GB2260_TSV
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim())
}

/// The lines of the shipped table that could not be read (empty for a good build; a health check
/// or test can report them). Such lines are skipped by [`all`].
pub fn malformed_lines() -> Vec<MalformedLine> {
    parse_table(GB2260_TSV).1
}

/// Every division of the shipped table, sorted by code.
pub fn all() -> &'static [Region] {
    static TABLE: OnceLock<Vec<Region>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let (mut regions, _malformed) = parse_table(GB2260_TSV);
        regions.sort_by(|a, b| a.code.cmp(b.code));
        regions.dedup_by(|a, b| a.code == b.code);
        regions
    })
}

/// The name of the division with 6-digit `code` (e.g. `"320585"` → `"太仓市"`), if in the table.
pub fn lookup(code: &str) -> Option<&'static str> {
    find(code).map(|r| r.name)
}

/// The division with 6-digit `code`, if in the table.
pub fn find(code: &str) -> Option<Region> {
    let table = all();
    table
        .binary_search_by(|r| r.code.cmp(code))
        .ok()
        .and_then(|i| table.get(i).copied())
}

/// The province-level division containing `code` (any code of 2 or more leading digits, e.g.
/// `"320585"` or `"320585100001"` → 320000 江苏省), if that province is in the table.
pub fn province_of(code: &str) -> Option<Region> {
    let prefix = code
        .get(0..2)
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))?;
    find(&format!("{prefix}0000"))
}

/// The prefecture-level division containing the 6- or 12-digit `code` (e.g. `"320585"` → 320500
/// 苏州市), if there is one in the table (municipalities such as 110000 have none).
pub fn prefecture_of(code: &str) -> Option<Region> {
    let prefix = code
        .get(0..4)
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))?;
    if prefix.ends_with("00") {
        return None;
    }
    find(&format!("{prefix}00"))
}

/// Checks a `region-code`: 6 digits present in the table, or 12 digits whose first 6 are.
pub fn check_region_code(s: &str) -> Result<Region, RegionCodeError> {
    let length = s.chars().count();
    if length != 6 && length != 12 {
        return Err(RegionCodeError::WrongLength { length });
    }
    if let Some((i, found)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(RegionCodeError::NonDigit {
            position: i + 1,
            found,
        });
    }
    let county = s.get(0..6).unwrap_or(s);
    match find(county) {
        Some(r) => Ok(r),
        None if length == 6 => Err(RegionCodeError::Unknown { code: s.to_owned() }),
        None => Err(RegionCodeError::UnknownCounty {
            county: county.to_owned(),
        }),
    }
}

/// Whether `s` is a valid `region-code`.
pub fn is_region_code(s: &str) -> bool {
    check_region_code(s).is_ok()
}

/// Parses `code<TAB>name` lines, skipping blank and `#` lines; returns the rows and the lines
/// that were malformed (code not 6 ASCII digits, no tab, empty name, or extra tab).
fn parse_table(text: &'static str) -> (Vec<Region>, Vec<MalformedLine>) {
    let mut regions = Vec::new();
    let mut malformed = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let ok = line.split_once('\t').filter(|(code, name)| {
            code.len() == 6
                && code.bytes().all(|b| b.is_ascii_digit())
                && !name.trim().is_empty()
                && name.trim() == *name
                && !name.contains('\t')
        });
        match ok {
            Some((code, name)) => regions.push(Region { code, name }),
            None => malformed.push(MalformedLine {
                line: i + 1,
                text: line.to_owned(),
            }),
        }
    }
    (regions, malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_is_well_formed() {
        let (rows, malformed) = parse_table(GB2260_TSV);
        assert!(malformed.is_empty(), "malformed lines: {malformed:?}");
        for w in rows.windows(2) {
            assert!(
                w[0].code < w[1].code,
                "not sorted or duplicated: {} then {}",
                w[0].code,
                w[1].code
            );
        }
        assert_eq!(rows.len(), all().len());
        assert!(table_source().any(|l| l.contains("GB/T 2260")));
        let total = format!("Total: {} codes.", rows.len());
        assert!(
            table_source().any(|l| l == total),
            "header must say {total}"
        );
    }

    #[test]
    fn malformed_lines_are_reported_not_panicked() {
        let (rows, bad) = parse_table("# c\n110000\t北京市\n11000\tx\n110101 东城区\n110102\t\n\n");
        assert_eq!(rows.len(), 1);
        assert_eq!(
            bad.iter().map(|m| m.line).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
    }

    #[test]
    fn covers_every_province() {
        let provinces = [
            "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
            "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
            "63", "64", "65", "71", "81", "82",
        ];
        for p in provinces {
            assert!(lookup(&format!("{p}0000")).is_some(), "{p}0000");
        }
        assert_eq!(
            all().iter().filter(|r| r.code.ends_with("0000")).count(),
            34
        );
        assert!(
            all().len() > 3000,
            "expected all county-level codes of China"
        );
    }

    #[test]
    fn covers_jiangsu() {
        let expected = [
            ("320000", "江苏省"),
            ("320100", "南京市"),
            ("320200", "无锡市"),
            ("320300", "徐州市"),
            ("320400", "常州市"),
            ("320500", "苏州市"),
            ("320505", "虎丘区"),
            ("320506", "吴中区"),
            ("320507", "相城区"),
            ("320508", "姑苏区"),
            ("320509", "吴江区"),
            ("320581", "常熟市"),
            ("320582", "张家港市"),
            ("320583", "昆山市"),
            ("320585", "太仓市"),
            ("320600", "南通市"),
            ("320700", "连云港市"),
            ("320800", "淮安市"),
            ("320900", "盐城市"),
            ("321000", "扬州市"),
            ("321100", "镇江市"),
            ("321200", "泰州市"),
            ("321300", "宿迁市"),
        ];
        for (code, name) in expected {
            assert_eq!(lookup(code), Some(name), "{code}");
        }
        // 13 prefectures with 95 county-level divisions.
        let jiangsu: Vec<_> = all().iter().filter(|r| r.code.starts_with("32")).collect();
        assert_eq!(
            jiangsu.iter().filter(|r| r.code.ends_with("00")).count(),
            14
        );
        assert_eq!(jiangsu.len(), 1 + 13 + 95);
        assert_eq!(lookup("320584"), None, "吴江市 became 吴江区 320509");
    }

    #[test]
    fn region_codes() {
        assert_eq!(check_region_code("320585").map(|r| r.name), Ok("太仓市"));
        assert_eq!(
            check_region_code("320599"),
            Err(RegionCodeError::Unknown {
                code: "320599".into()
            })
        );
        assert_eq!(
            check_region_code("320599").unwrap_err().to_string(),
            "region code 320599 is not in the GB/T 2260 table"
        );
        assert!(is_region_code("320585100001"));
        assert!(is_region_code("320585000000"));
        assert_eq!(
            check_region_code("320599100001"),
            Err(RegionCodeError::UnknownCounty {
                county: "320599".into()
            })
        );
        assert_eq!(
            check_region_code("32058"),
            Err(RegionCodeError::WrongLength { length: 5 })
        );
        assert_eq!(
            check_region_code("3205851"),
            Err(RegionCodeError::WrongLength { length: 7 })
        );
        assert_eq!(
            check_region_code("32O585"),
            Err(RegionCodeError::NonDigit {
                position: 3,
                found: 'O'
            })
        );
        assert!(!is_region_code("３２０５８５"));
        assert!(!is_region_code(""));
    }

    #[test]
    fn province_and_prefecture() {
        assert_eq!(province_of("320585").map(|r| r.name), Some("江苏省"));
        assert_eq!(province_of("320585100001").map(|r| r.code), Some("320000"));
        assert_eq!(province_of("990000"), None);
        assert_eq!(province_of("3"), None);
        assert_eq!(province_of("太仓"), None);
        assert_eq!(prefecture_of("320585").map(|r| r.name), Some("苏州市"));
        assert_eq!(prefecture_of("110105"), None);
    }
}
