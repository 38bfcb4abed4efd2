//! Ethnicity codes of GB/T 3304-1991 《中国各民族名称的罗马字母拼写法和代码》 (schema format
//! `ethnicity-code`).
//!
//! Owns: the numeric codes `01`–`56` with their Chinese names, plus the two codes public code
//! lists add to the standard: `97` 其他（未识别民族） and `98` 外国血统中国籍人士.
//!
//! Invariants: pure functions, no I/O, no panics; [`ETHNICITIES`] is sorted by code, codes are
//! exactly two ASCII digits and unique (checked by unit tests). Codes `57`/`58`, which some
//! libraries use for 其他/外国血统, are not accepted.

/// One ethnicity: its two-digit numeric code and Chinese name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ethnicity {
    /// Two-digit code, e.g. `"01"`.
    pub code: &'static str,
    /// Chinese name, e.g. `"汉族"`.
    pub name_zh: &'static str,
}

/// Builds a table entry.
const fn e(code: &'static str, name_zh: &'static str) -> Ethnicity {
    Ethnicity { code, name_zh }
}

/// Every accepted ethnicity code in code order: GB/T 3304-1991 `01`–`56`, then `97` and `98`.
pub const ETHNICITIES: &[Ethnicity] = &[
    e("01", "汉族"),
    e("02", "蒙古族"),
    e("03", "回族"),
    e("04", "藏族"),
    e("05", "维吾尔族"),
    e("06", "苗族"),
    e("07", "彝族"),
    e("08", "壮族"),
    e("09", "布依族"),
    e("10", "朝鲜族"),
    e("11", "满族"),
    e("12", "侗族"),
    e("13", "瑶族"),
    e("14", "白族"),
    e("15", "土家族"),
    e("16", "哈尼族"),
    e("17", "哈萨克族"),
    e("18", "傣族"),
    e("19", "黎族"),
    e("20", "傈僳族"),
    e("21", "佤族"),
    e("22", "畲族"),
    e("23", "高山族"),
    e("24", "拉祜族"),
    e("25", "水族"),
    e("26", "东乡族"),
    e("27", "纳西族"),
    e("28", "景颇族"),
    e("29", "柯尔克孜族"),
    e("30", "土族"),
    e("31", "达斡尔族"),
    e("32", "仫佬族"),
    e("33", "羌族"),
    e("34", "布朗族"),
    e("35", "撒拉族"),
    e("36", "毛南族"),
    e("37", "仡佬族"),
    e("38", "锡伯族"),
    e("39", "阿昌族"),
    e("40", "普米族"),
    e("41", "塔吉克族"),
    e("42", "怒族"),
    e("43", "乌孜别克族"),
    e("44", "俄罗斯族"),
    e("45", "鄂温克族"),
    e("46", "德昂族"),
    e("47", "保安族"),
    e("48", "裕固族"),
    e("49", "京族"),
    e("50", "塔塔尔族"),
    e("51", "独龙族"),
    e("52", "鄂伦春族"),
    e("53", "赫哲族"),
    e("54", "门巴族"),
    e("55", "珞巴族"),
    e("56", "基诺族"),
    e("97", "其他（未识别民族）"),
    e("98", "外国血统中国籍人士"),
];

/// The ethnicity with numeric `code` (e.g. `"01"`), or `None` if the code is not in the table.
pub fn lookup(code: &str) -> Option<&'static Ethnicity> {
    ETHNICITIES
        .binary_search_by(|x| x.code.cmp(code))
        .ok()
        .and_then(|i| ETHNICITIES.get(i))
}

/// The code for a Chinese name (e.g. `"汉族"` → `"01"`); accepts the name without the final 族
/// (`"汉"`, `"蒙古"`), since forms often drop it.
pub fn code_of_name(name: &str) -> Option<&'static str> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    ETHNICITIES
        .iter()
        .find(|x| x.name_zh == name || x.name_zh.strip_suffix('族') == Some(name))
        .map(|x| x.code)
}

/// Whether `s` is an accepted ethnicity code.
pub fn is_ethnicity_code(s: &str) -> bool {
    lookup(s).is_some()
}

/// A sentence saying why `s` is not an ethnicity code, or `None` if it is one.
pub fn explain(s: &str) -> Option<String> {
    if is_ethnicity_code(s) {
        return None;
    }
    if let Some(code) = code_of_name(s) {
        return Some(format!(
            "ethnicity must be the GB/T 3304-1991 numeric code, not the name: {s} is {code}"
        ));
    }
    if matches!(s.as_bytes(), [d] if d.is_ascii_digit()) {
        return Some(format!(
            "ethnicity code must have two digits: write 0{s}, not {s}"
        ));
    }
    if s == "57" || s == "58" {
        let right = if s == "57" { "97" } else { "98" };
        return Some(format!(
            "ethnicity code {s} is not in GB/T 3304-1991; for {} use {right}",
            lookup(right).map_or("", |x| x.name_zh)
        ));
    }
    Some(format!(
        "ethnicity code {s:?} is not in GB/T 3304-1991 (01–56, or 97 其他（未识别民族）, 98 外国血统中国籍人士)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_two_digit() {
        assert_eq!(ETHNICITIES.len(), 58);
        for w in ETHNICITIES.windows(2) {
            assert!(w[0].code < w[1].code, "{} !< {}", w[0].code, w[1].code);
        }
        for (i, x) in ETHNICITIES.iter().take(56).enumerate() {
            assert_eq!(x.code, format!("{:02}", i + 1));
            assert!(x.name_zh.ends_with('族'), "{}", x.name_zh);
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(lookup("01").unwrap().name_zh, "汉族");
        assert_eq!(lookup("04").unwrap().name_zh, "藏族");
        assert_eq!(lookup("56").unwrap().name_zh, "基诺族");
        assert_eq!(lookup("97").unwrap().name_zh, "其他（未识别民族）");
        assert_eq!(lookup("98").unwrap().name_zh, "外国血统中国籍人士");
        assert_eq!(code_of_name("汉族"), Some("01"));
        assert_eq!(code_of_name("蒙古"), Some("02"));
        assert_eq!(code_of_name("外国血统中国籍人士"), Some("98"));
        assert_eq!(code_of_name(""), None);
    }

    #[test]
    fn accepts_and_rejects() {
        for ok in ["01", "10", "56", "97", "98"] {
            assert!(is_ethnicity_code(ok), "{ok}");
            assert_eq!(explain(ok), None);
        }
        for bad in ["", "00", "1", "57", "58", "99", "001", "HA", "汉族"] {
            assert!(!is_ethnicity_code(bad), "{bad}");
            assert!(explain(bad).is_some(), "{bad}");
        }
        assert!(explain("1").unwrap().contains("write 01"));
        assert!(explain("汉族").unwrap().contains("is 01"));
        assert!(explain("57").unwrap().contains("use 97"));
    }
}
