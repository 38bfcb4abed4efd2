//! Contract versions: `schema_version` is `MAJOR.MINOR.PATCH`; the MAJOR part selects the
//! schema file `v<MAJOR>.json`. MINOR and PATCH record compatible edits for humans and
//! evidence; validation does not depend on them (docs/adr/0001).

/// The major part of a `MAJOR.MINOR.PATCH` version string (`"2.1.0"` → `Some(2)`).
///
/// Returns `None` unless the string has exactly three dot-separated decimal parts and the
/// major is at least 1.
pub fn major_of(version: &str) -> Option<u32> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse::<u32>().ok()?;
    let minor_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let patch_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (major >= 1 && minor_ok && patch_ok && parts.next().is_none()).then_some(major)
}

/// The canonical version string written for a major version (`2` → `"2.0.0"`).
pub fn version_string(major: u32) -> String {
    format!("{major}.0.0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_major() {
        assert_eq!(major_of("1.0.0"), Some(1));
        assert_eq!(major_of("12.3.4"), Some(12));
        assert_eq!(major_of("0.1.0"), None);
        assert_eq!(major_of("1.0"), None);
        assert_eq!(major_of("1.0.0.0"), None);
        assert_eq!(major_of("v1.0.0"), None);
        assert_eq!(major_of("1..0"), None);
    }
}
