//! Unified social credit codes (统一社会信用代码) of GB 32100-2015 (schema format `uscc`).
//!
//! Owns: the 31-character code alphabet, the MOD 31 check character and the check of a whole
//! 18-character code. Layout of a code: position 1 registration authority (1 = 机构编制,
//! 5 = 民政, 9 = 市场监管, Y = 其他 …), 2 organisation type (under 机构编制: 1 = 机关,
//! 2 = 事业单位 …), 3–8 the GB/T 2260 region code, 9–17 the GB 11714 organisation code,
//! 18 the check character. Only the alphabet and the check character are enforced.
//!
//! Invariants: pure functions, no I/O, no panics.

/// The code alphabet: digits and uppercase letters without I, O, S, V, Z; a character's value is
/// its index here.
pub const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights for positions 1–17 (3^(i−1) mod 31).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a string is not a unified social credit code. Each message is meant for department IT staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    /// Not exactly 18 characters.
    #[error("unified social credit code must have 18 characters, not {length}")]
    WrongLength {
        /// The number of characters given.
        length: usize,
    },
    /// A character outside the code alphabet.
    #[error(
        "character {position} of the unified social credit code is {found:?}; only digits and uppercase letters except I, O, S, V, Z are used{}",
        case_hint(.found)
    )]
    BadChar {
        /// 1-based position of the offending character.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The check character does not match the first 17.
    #[error(
        "check character is {found} but should be {expected} (GB 32100-2015 MOD 31); a character of the code is probably mistyped"
    )]
    BadCheckChar {
        /// The check character given.
        found: char,
        /// The check character computed from the first 17.
        expected: char,
    },
}

/// Extra words for a lowercase letter.
fn case_hint(found: &char) -> &'static str {
    if found.is_ascii_lowercase() {
        " (write letters in uppercase)"
    } else {
        ""
    }
}

/// The value of a character of the alphabet, or `None` if it is not in it.
fn value_of(c: char) -> Option<u32> {
    ALPHABET
        .chars()
        .position(|a| a == c)
        .and_then(|i| u32::try_from(i).ok())
}

/// The check character for the first 17 characters of a code, or `None` if `first17` is not
/// exactly 17 characters of [`ALPHABET`]. Use it to build valid fixture codes.
pub fn uscc_check_char(first17: &str) -> Option<char> {
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value_of(c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    ALPHABET.chars().nth(usize::try_from(check).ok()?)
}

/// Checks an 18-character unified social credit code.
pub fn check_uscc(s: &str) -> Result<(), UsccError> {
    let length = s.chars().count();
    if length != 18 {
        return Err(UsccError::WrongLength { length });
    }
    if let Some((i, found)) = s.chars().enumerate().find(|(_, c)| value_of(*c).is_none()) {
        return Err(UsccError::BadChar {
            position: i + 1,
            found,
        });
    }
    // All characters are ASCII from here on.
    let (first17, last) = s.split_at(17);
    let found = last.chars().next().unwrap_or('?');
    match uscc_check_char(first17) {
        Some(expected) if expected == found => Ok(()),
        Some(expected) => Err(UsccError::BadCheckChar { found, expected }),
        None => Err(UsccError::WrongLength { length }),
    }
}

/// Whether `s` is a valid unified social credit code.
pub fn is_uscc(s: &str) -> bool {
    check_uscc(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic codes for Taicang organisations, for fixtures: prefix 11 (机构编制, 机关) or
    /// 12 (机构编制, 事业单位), region 320585, an invented organisation code `TC585nnn` with a
    /// valid GB 11714 check character, and a valid GB 32100 check character.
    const TAICANG: [(&str, &str); 7] = [
        ("11320585TC58500177", "太仓市公安局"),
        ("11320585TC58500252", "太仓市卫生健康委员会"),
        ("11320585TC5850033W", "太仓市城市管理局"),
        ("12320585TC5850041L", "太仓市社会治理网格化联动指挥中心"),
        ("11320585TC585005XF", "太仓市民政局"),
        ("12320585TC5850068C", "太仓市救助管理站"),
        ("12320585TC58500767", "太仓市第一人民医院"),
    ];

    /// GB 11714-1997 organisation code check character (weights 3 7 9 10 5 8 4 2, MOD 11).
    fn org_code_check(body: &str) -> char {
        let w = [3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = body
            .chars()
            .zip(w)
            .map(|(c, w)| c.to_digit(36).unwrap() * w)
            .sum();
        match 11 - sum % 11 {
            10 => 'X',
            11 => '0',
            d => char::from_digit(d, 10).unwrap(),
        }
    }

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        let mut p = 1u32;
        for w in WEIGHTS {
            assert_eq!(w, p);
            p = p * 3 % 31;
        }
        assert_eq!(ALPHABET.len(), 31);
    }

    #[test]
    fn published_example() {
        assert_eq!(uscc_check_char("91350100M000100Y4"), Some('3'));
        assert!(is_uscc("91350100M000100Y43"));
    }

    #[test]
    fn taicang_fixture_codes_are_valid() {
        for (code, name) in TAICANG {
            assert_eq!(check_uscc(code), Ok(()), "{name}");
            assert_eq!(&code[2..8], "320585", "{name}");
            let org = &code[8..17];
            assert_eq!(
                org_code_check(&org[..8]),
                org.chars().nth(8).unwrap(),
                "{name}"
            );
        }
    }

    #[test]
    fn check_char_and_errors() {
        assert_eq!(uscc_check_char("11320585TC5850017"), Some('7'));
        assert_eq!(uscc_check_char("11320585TC585001"), None);
        assert_eq!(uscc_check_char("11320585TC585001I"), None);
        assert_eq!(
            check_uscc("11320585TC58500178"),
            Err(UsccError::BadCheckChar {
                found: '8',
                expected: '7'
            })
        );
        assert_eq!(
            check_uscc("11320585TC5850017"),
            Err(UsccError::WrongLength { length: 17 })
        );
        assert_eq!(
            check_uscc("11320585tc58500177"),
            Err(UsccError::BadChar {
                position: 9,
                found: 't'
            })
        );
        assert!(
            check_uscc("11320585tc58500177")
                .unwrap_err()
                .to_string()
                .contains("uppercase")
        );
        assert_eq!(
            check_uscc("11320585IC58500177"),
            Err(UsccError::BadChar {
                position: 9,
                found: 'I'
            })
        );
        assert!(!is_uscc("１１320585TC58500177"));
        assert!(!is_uscc(""));
    }
}
