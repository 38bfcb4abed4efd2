//! Citizen identity numbers (公民身份号码) of GB 11643-1999 (schema format `resident-id`).
//!
//! Owns: parsing an 18-character number into its parts ([`ResidentId`]: address code, birth
//! date, sequence code, sex) and the reasons a number is rejected ([`ResidentIdError`]).
//!
//! Rules checked, in this order: exactly 18 characters; 17 ASCII digits then a check character
//! that is a digit or an uppercase `X` (a lowercase `x` is rejected: the standard writes `X`);
//! the ISO 7064 MOD 11-2 check character; a province prefix of GB/T 2260 (the full 6-digit
//! address code is not looked up, because it is the place of first registration and may be a
//! retired code such as 320584 吴江市); a birth date `YYYYMMDD` that is a real date, not before
//! 1900-01-01 and not after today in China Standard Time (UTC+8).
//!
//! Invariants: pure functions except that [`parse`] reads the clock for "today"; no I/O, no
//! panics. Legacy 15-digit numbers (GB 11643-1989) are rejected with their own hint.

use super::datetime::{CivilDate, today_utc8};
use super::sex::Sex;

/// ISO 7064 MOD 11-2 weights for positions 1–17 (2^(18−i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder of the weighted sum mod 11.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Province-level prefixes (first two digits) that may start a citizen identity number:
/// the 34 province-level divisions of GB/T 2260, plus `83`, which 港澳台居民居住证 use for
/// Taiwan residents (Hong Kong and Macau residents' permits use 81 and 82).
pub const PROVINCE_PREFIXES: [&str; 35] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82", "83",
];

/// The earliest year of birth accepted (birth dates start at 1900-01-01).
const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// The parts of a valid citizen identity number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResidentId {
    /// The 6-digit address code (place of first household registration, GB/T 2260), e.g. `320585`.
    pub region_code: String,
    /// The date of birth.
    pub birth_date: CivilDate,
    /// The 3-digit sequence code, 0–999.
    pub sequence: u16,
    /// Sex from the sequence code's parity: odd → [`Sex::Male`] (`1`), even → [`Sex::Female`] (`2`).
    pub sex: Sex,
}

/// Why a string is not a valid citizen identity number. Each message is meant for department IT staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    /// Not exactly 18 characters.
    #[error("citizen ID number must have 18 characters, not {length}{}", legacy_hint(.length))]
    WrongLength {
        /// The number of characters given.
        length: usize,
    },
    /// A character that is not an ASCII digit (or, at position 18, not a digit or `X`).
    #[error("character {position} of the ID number is {found:?}; {}", position_rule(.position))]
    NonDigit {
        /// 1-based position of the offending character.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The check character does not match the first 17 digits.
    #[error(
        "check digit is {found} but should be {expected} (ISO 7064 MOD 11-2); a digit of the number is probably mistyped"
    )]
    BadCheckChar {
        /// The check character given.
        found: char,
        /// The check character computed from the first 17 digits.
        expected: char,
    },
    /// The check character is a lowercase `x` where `X` is right.
    #[error("check character must be an uppercase X (GB 11643-1999), not a lowercase x")]
    LowercaseX,
    /// The first two digits are not a province code.
    #[error("the ID number starts with {prefix}, which is not a province code of GB/T 2260")]
    UnknownProvince {
        /// The first two digits.
        prefix: String,
    },
    /// Positions 7–14 are not a real calendar date.
    #[error("birth date {text} inside the ID number is not a real date")]
    ImpossibleBirthDate {
        /// The eight digits, written as `YYYY-MM-DD`.
        text: String,
    },
    /// The birth date is before 1900-01-01.
    #[error("birth date {date} inside the ID number is before 1900-01-01")]
    BirthDateBefore1900 {
        /// The birth date.
        date: CivilDate,
    },
    /// The birth date is after today (UTC+8).
    #[error("birth date {date} inside the ID number is in the future (today is {today} in UTC+8)")]
    BirthDateInFuture {
        /// The birth date.
        date: CivilDate,
        /// Today in UTC+8 when checked.
        today: CivilDate,
    },
}

/// Extra words for a wrong length.
fn legacy_hint(length: &usize) -> &'static str {
    if *length == 15 {
        "; 15-digit numbers of GB 11643-1989 must be converted to 18 digits"
    } else {
        ""
    }
}

/// What is allowed at a position.
fn position_rule(position: &usize) -> &'static str {
    if *position == 18 {
        "the check character must be a digit or X"
    } else {
        "positions 1–17 must be digits 0–9"
    }
}

/// The ISO 7064 MOD 11-2 check character for the first 17 digits, or `None` if `first17` is not
/// exactly 17 ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// Parses and checks a citizen identity number against today's date in UTC+8.
pub fn parse(s: &str) -> Result<ResidentId, ResidentIdError> {
    parse_at(s, today_utc8())
}

/// Parses and checks a citizen identity number, taking `today` as the latest possible birth date.
pub fn parse_at(s: &str, today: CivilDate) -> Result<ResidentId, ResidentIdError> {
    let length = s.chars().count();
    if length != 18 {
        return Err(ResidentIdError::WrongLength { length });
    }
    for (i, c) in s.chars().enumerate() {
        let ok = if i < 17 {
            c.is_ascii_digit()
        } else {
            c.is_ascii_digit() || c == 'X' || c == 'x'
        };
        if !ok {
            return Err(ResidentIdError::NonDigit {
                position: i + 1,
                found: c,
            });
        }
    }
    // All 18 characters are ASCII from here on, so byte slicing is safe.
    let b = s.as_bytes();
    let found = b.get(17).map_or('?', |c| char::from(*c));
    let expected = s.get(0..17).and_then(check_char).unwrap_or(CHECK_CHARS[0]);
    if found == 'x' && expected == 'X' {
        return Err(ResidentIdError::LowercaseX);
    }
    if found != expected {
        return Err(ResidentIdError::BadCheckChar { found, expected });
    }
    let prefix = s.get(0..2).unwrap_or_default();
    if !PROVINCE_PREFIXES.contains(&prefix) {
        return Err(ResidentIdError::UnknownProvince {
            prefix: prefix.to_owned(),
        });
    }
    let num = |r: std::ops::Range<usize>| {
        b.get(r)
            .unwrap_or_default()
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (num(6..10), num(10..12), num(12..14));
    let birth_date = i32::try_from(year)
        .ok()
        .zip(u8::try_from(month).ok())
        .zip(u8::try_from(day).ok())
        .and_then(|((y, m), d)| CivilDate::new(y, m, d))
        .ok_or_else(|| ResidentIdError::ImpossibleBirthDate {
            text: format!("{year:04}-{month:02}-{day:02}"),
        })?;
    if birth_date.year() < EARLIEST_BIRTH_YEAR {
        return Err(ResidentIdError::BirthDateBefore1900 { date: birth_date });
    }
    if birth_date > today {
        return Err(ResidentIdError::BirthDateInFuture {
            date: birth_date,
            today,
        });
    }
    let sequence = u16::try_from(num(14..17)).unwrap_or_default();
    let sex = if sequence % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };
    Ok(ResidentId {
        region_code: s.get(0..6).unwrap_or_default().to_owned(),
        birth_date,
        sequence,
        sex,
    })
}

/// Whether `s` is a valid citizen identity number today.
pub fn is_resident_id(s: &str) -> bool {
    parse(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u8, d: u8) -> CivilDate {
        CivilDate::new(y, m, d).unwrap()
    }

    /// A fixed "today" so the tests do not depend on the clock.
    fn today() -> CivilDate {
        day(2025, 3, 1)
    }

    /// Appends the right check character.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17).unwrap())
    }

    #[test]
    fn weights_are_powers_of_two_mod_11() {
        for (i, w) in WEIGHTS.iter().enumerate() {
            assert_eq!(*w, (1u32 << (17 - i)) % 11);
        }
    }

    #[test]
    fn textbook_example_with_x() {
        let id = parse_at("11010519491231002X", today()).unwrap();
        assert_eq!(id.region_code, "110105");
        assert_eq!(id.birth_date, day(1949, 12, 31));
        assert_eq!(id.sequence, 2);
        assert_eq!(id.sex, Sex::Female);
        assert!(is_resident_id("11010519491231002X"));
    }

    #[test]
    fn taicang_examples() {
        let man = parse_at("320585198001010019", today()).unwrap();
        assert_eq!(man.region_code, "320585");
        assert_eq!(man.birth_date, day(1980, 1, 1));
        assert_eq!(man.sequence, 1);
        assert_eq!(man.sex, Sex::Male);
        let girl = parse_at("320585201506010027", today()).unwrap();
        assert_eq!(girl.birth_date, day(2015, 6, 1));
        assert_eq!(girl.sex, Sex::Female);
    }

    #[test]
    fn wrong_check_digit() {
        let e = parse_at("320585198001010018", today()).unwrap_err();
        assert_eq!(
            e,
            ResidentIdError::BadCheckChar {
                found: '8',
                expected: '9'
            }
        );
        assert!(
            e.to_string()
                .starts_with("check digit is 8 but should be 9 (ISO 7064 MOD 11-2)")
        );
        let e = parse_at("110105194912310027", today()).unwrap_err();
        assert_eq!(
            e,
            ResidentIdError::BadCheckChar {
                found: '7',
                expected: 'X'
            }
        );
        assert!(
            e.to_string()
                .starts_with("check digit is 7 but should be X")
        );
        // A transposition of two digits is caught.
        assert!(parse_at("320585190801010019", today()).is_err());
    }

    #[test]
    fn lowercase_x_is_rejected() {
        assert_eq!(
            parse_at("11010519491231002x", today()),
            Err(ResidentIdError::LowercaseX)
        );
        assert!(
            ResidentIdError::LowercaseX
                .to_string()
                .contains("uppercase X")
        );
        // A lowercase x where the check is a digit is simply a wrong check character.
        assert_eq!(
            parse_at("32058519800101001x", today()),
            Err(ResidentIdError::BadCheckChar {
                found: 'x',
                expected: '9'
            })
        );
    }

    #[test]
    fn impossible_birth_date() {
        let id = with_check("32058519800230001");
        let e = parse_at(&id, today()).unwrap_err();
        assert_eq!(
            e,
            ResidentIdError::ImpossibleBirthDate {
                text: "1980-02-30".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "birth date 1980-02-30 inside the ID number is not a real date"
        );
        assert!(parse_at(&with_check("32058519801301001"), today()).is_err());
        assert!(parse_at(&with_check("32058519800100001"), today()).is_err());
        assert!(parse_at(&with_check("32058520000229001"), today()).is_ok());
        assert!(parse_at(&with_check("32058519000229001"), today()).is_err());
    }

    #[test]
    fn birth_date_range() {
        let future = with_check("32058520250302001");
        assert_eq!(
            parse_at(&future, today()),
            Err(ResidentIdError::BirthDateInFuture {
                date: day(2025, 3, 2),
                today: today()
            })
        );
        assert!(parse_at(&with_check("32058520250301001"), today()).is_ok());
        assert!(!is_resident_id(&with_check("32058530000101001")));
        assert_eq!(
            parse_at(&with_check("32058518991231001"), today()),
            Err(ResidentIdError::BirthDateBefore1900 {
                date: day(1899, 12, 31)
            })
        );
        assert!(parse_at(&with_check("32058519000101001"), today()).is_ok());
    }

    #[test]
    fn wrong_length_and_characters() {
        assert_eq!(
            parse_at("32058519800101001", today()),
            Err(ResidentIdError::WrongLength { length: 17 })
        );
        assert_eq!(
            parse_at("3205851980010100199", today()),
            Err(ResidentIdError::WrongLength { length: 19 })
        );
        let e = parse_at("320585800101001", today()).unwrap_err();
        assert!(e.to_string().contains("15-digit"));
        assert_eq!(
            parse_at("", today()),
            Err(ResidentIdError::WrongLength { length: 0 })
        );
        assert_eq!(
            parse_at("3205851980O1010019", today()),
            Err(ResidentIdError::NonDigit {
                position: 11,
                found: 'O'
            })
        );
        assert_eq!(
            parse_at("32058519800101001Y", today()),
            Err(ResidentIdError::NonDigit {
                position: 18,
                found: 'Y'
            })
        );
        // Full-width digits are 18 characters but not ASCII digits; no panic on multi-byte text.
        assert!(matches!(
            parse_at("３２０５８５１９８００１０１００１９", today()),
            Err(ResidentIdError::NonDigit { position: 1, .. })
        ));
        assert!(parse_at(" 320585198001010019", today()).is_err());
    }

    #[test]
    fn unknown_province() {
        let id = with_check("99058519800101001");
        assert_eq!(
            parse_at(&id, today()),
            Err(ResidentIdError::UnknownProvince {
                prefix: "99".into()
            })
        );
        for p in [
            "10", "16", "20", "24", "30", "38", "40", "47", "49", "55", "60", "66", "70", "72",
            "80", "84", "90",
        ] {
            let id = with_check(&format!("{p}058519800101001"));
            assert!(parse_at(&id, today()).is_err(), "{p}");
        }
        for p in PROVINCE_PREFIXES {
            let id = with_check(&format!("{p}010119800101001"));
            assert!(parse_at(&id, today()).is_ok(), "{p}");
        }
        // A retired county code is still a valid address code inside an ID number.
        assert!(parse_at(&with_check("32058419800101001"), today()).is_ok());
    }

    #[test]
    fn sex_from_sequence_parity() {
        for seq in 0..20u16 {
            let id = parse_at(&with_check(&format!("32058519800101{seq:03}")), today()).unwrap();
            assert_eq!(id.sequence, seq);
            assert_eq!(id.sex, if seq % 2 == 1 { Sex::Male } else { Sex::Female });
        }
    }

    #[test]
    fn check_char_input_must_be_17_digits() {
        assert_eq!(check_char("11010519491231002"), Some('X'));
        assert_eq!(check_char("1101051949123100"), None);
        assert_eq!(check_char("1101051949123100A"), None);
    }
}
