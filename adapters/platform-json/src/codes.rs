//! Code-table lookups both JSON platforms use, and what they share of their field maps.
//!
//! Tables are `const` slices searched linearly (they are short): two columns
//! `(code, name)` ([`lookup`]) or three `(code, value, name)` ([`value_for_code`],
//! [`code_for_value`], [`listing`]). The canonical↔native field map a refusal reason is
//! pointed with ([`native_field_of`]) is each platform's table; the subjects' fields
//! ([`SUBJECT_FIELDS`]) are the same on both.
//!
//! Invariant: a lookup that finds nothing returns `None`; the caller names the native field
//! and the accepted codes.

use crate::text::snake_to_camel;

/// Field of one subject (`/payload/subjects/<n>/<field>`) ↔ field of one native person.
pub const SUBJECT_FIELDS: &[(&str, &str)] = &[
    ("sex_code", "sex"),
    ("estimated_age", "estimatedAge"),
    ("is_minor_suspected", "minorSuspected"),
    ("willingness", "willingness"),
    ("physical_description", "physicalDescription"),
    ("health", "health"),
];

/// The native field a canonical REFERRAL pointer is about, by `referral_fields` (canonical
/// pointer ↔ native field): the longest prefix in the table wins; the rest of the pointer is
/// appended in camelCase (`[n]` for array positions, a subject's fields by
/// [`SUBJECT_FIELDS`]). `None` when no prefix is in the table.
pub fn native_field_of(pointer: &str, referral_fields: &[(&str, &str)]) -> Option<String> {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    let (prefix_len, prefix, native) = (1..=segments.len()).rev().find_map(|n| {
        let prefix = format!("/{}", segments.get(..n)?.join("/"));
        referral_fields
            .iter()
            .find(|(p, _)| *p == prefix)
            .map(|(_, native)| (n, prefix, *native))
    })?;
    let mut out = native.to_owned();
    let is_subjects = prefix == "/payload/subjects";
    let mut after_index = false;
    for segment in segments.get(prefix_len..).unwrap_or_default() {
        if !segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
            after_index = is_subjects;
            continue;
        }
        let name = if after_index {
            lookup(SUBJECT_FIELDS, segment)
                .map(str::to_owned)
                .unwrap_or_else(|| snake_to_camel(segment))
        } else {
            snake_to_camel(segment)
        };
        after_index = false;
        out.push('.');
        out.push_str(&name);
    }
    Some(out)
}

/// The name of a code in a two-column table.
pub fn lookup(table: &[(&str, &'static str)], code: &str) -> Option<&'static str> {
    table.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The value of a code in a three-column table (`"1"` → `ReporterKind::Citizen`).
pub fn value_for_code<T: Copy>(table: &[(&str, T, &str)], code: &str) -> Option<T> {
    table
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, v, _)| *v)
}

/// The code of a value in a three-column table (`Urgency::Normal` → `"2"`).
pub fn code_for_value<T: PartialEq>(
    table: &[(&'static str, T, &str)],
    value: &T,
) -> Option<&'static str> {
    table
        .iter()
        .find(|(_, v, _)| v == value)
        .map(|(c, _, _)| *c)
}

/// The codes of a table, for error messages (`1 监督员上报, 2 公众举报, …`).
pub fn listing<T>(table: &[(&str, T, &str)]) -> String {
    table
        .iter()
        .map(|(c, _, n)| format!("{c} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_wins_and_subject_fields_take_their_native_names() {
        let table = [("/payload", "p"), ("/payload/subjects", "people")];
        let field = |pointer| native_field_of(pointer, &table);
        assert_eq!(
            field("/payload/subjects/2/is_minor_suspected").as_deref(),
            Some("people[2].minorSuspected")
        );
        assert_eq!(
            field("/payload/subjects/0/health/needs_medical").as_deref(),
            Some("people[0].health.needsMedical")
        );
        assert_eq!(
            field("/payload/photo_refs/1/mime_type").as_deref(),
            Some("p.photoRefs[1].mimeType")
        );
        assert_eq!(field("/sensitivity"), None);
        assert_eq!(field(""), None);
    }

    #[test]
    fn three_column_tables_translate_both_ways() {
        const TABLE: &[(&str, u8, &str)] = &[("1", 10, "一"), ("2", 20, "二")];
        assert_eq!(value_for_code(TABLE, "2"), Some(20));
        assert_eq!(value_for_code(TABLE, "3"), None);
        assert_eq!(code_for_value(TABLE, &10), Some("1"));
        assert_eq!(code_for_value(TABLE, &30), None);
        assert_eq!(listing(TABLE), "1 一, 2 二");
    }
}
