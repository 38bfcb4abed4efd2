//! Sex codes of GB/T 2261.1-2003 《个人基本信息分类与代码 第1部分：人的性别代码》 (schema format `sex-code`).
//!
//! Owns: the four codes `0` 未知的性别, `1` 男性, `2` 女性, `9` 未说明的性别 and their names.
//!
//! Invariants: pure functions, no I/O, no panics; the code is always the single ASCII digit of the
//! standard, never a name or an English word.

use std::fmt;

/// A sex code of GB/T 2261.1-2003.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sex {
    /// `0` 未知的性别: sex could not be determined.
    Unknown,
    /// `1` 男性.
    Male,
    /// `2` 女性.
    Female,
    /// `9` 未说明的性别: not stated.
    Unstated,
}

impl Sex {
    /// All four codes in code order.
    pub const ALL: [Sex; 4] = [Sex::Unknown, Sex::Male, Sex::Female, Sex::Unstated];

    /// The code as written in messages: `"0"`, `"1"`, `"2"` or `"9"`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Unknown => "0",
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::Unstated => "9",
        }
    }

    /// The standard's Chinese name, e.g. `男性`.
    pub fn name_zh(self) -> &'static str {
        match self {
            Sex::Unknown => "未知的性别",
            Sex::Male => "男性",
            Sex::Female => "女性",
            Sex::Unstated => "未说明的性别",
        }
    }

    /// The sex for a code, or `None` if `code` is not one of `0`, `1`, `2`, `9`.
    pub fn from_code(code: &str) -> Option<Sex> {
        match code {
            "0" => Some(Sex::Unknown),
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            "9" => Some(Sex::Unstated),
            _ => None,
        }
    }
}

impl fmt::Display for Sex {
    /// The code followed by the Chinese name, e.g. `1 男性`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.name_zh())
    }
}

/// Whether `s` is a GB/T 2261.1-2003 sex code.
pub fn is_sex_code(s: &str) -> bool {
    Sex::from_code(s).is_some()
}

/// A sentence saying why `s` is not a sex code, or `None` if it is one.
pub fn explain(s: &str) -> Option<String> {
    if is_sex_code(s) {
        return None;
    }
    let hint = match s.trim() {
        "男" | "M" | "m" | "male" | "Male" => " (男 is code 1)",
        "女" | "F" | "f" | "female" | "Female" => " (女 is code 2)",
        _ => "",
    };
    Some(format!(
        "sex code {s:?} is not in GB/T 2261.1-2003; use 0 未知的性别, 1 男性, 2 女性 or 9 未说明的性别{hint}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for sex in Sex::ALL {
            assert_eq!(Sex::from_code(sex.code()), Some(sex));
        }
        assert_eq!(Sex::Male.to_string(), "1 男性");
        assert_eq!(Sex::Unknown.name_zh(), "未知的性别");
    }

    #[test]
    fn only_the_four_codes_pass() {
        for ok in ["0", "1", "2", "9"] {
            assert!(is_sex_code(ok));
            assert_eq!(explain(ok), None);
        }
        for bad in ["", "3", "01", "男", "M", " 1", "１"] {
            assert!(!is_sex_code(bad), "{bad}");
        }
        assert!(explain("男").unwrap().contains("code 1"));
        assert!(explain("F").unwrap().contains("code 2"));
    }
}
