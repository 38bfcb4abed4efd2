//! Turns a JSON-Schema validation error into [`Violation`]s with sentences for people.
//!
//! The sentence says what is wrong in the sender's terms (which field, which code list,
//! which conditional rule) and, for a failed conditional, quotes the rule's own
//! `description` from the schema, found by walking the keyword location up to its `allOf`
//! entry. Free-text values of the message are never quoted; short code-like values are.

use std::collections::BTreeMap;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use crate::codes;
use crate::report::Violation;

/// Longest instance value quoted in a message; longer values are not echoed.
const MAX_QUOTED_CHARS: usize = 40;

/// Converts one error to violations. `prefix` is prepended to instance pointers (the
/// payload is validated on its own, then reported under `/payload`).
pub(crate) fn violations_of(
    error: &jsonschema::ValidationError<'_>,
    prefix: &str,
    documents: &BTreeMap<String, Value>,
) -> Vec<Violation> {
    let at = format!("{prefix}{}", error.instance_path().as_str());
    let instance = error.instance();
    let rule_note = error
        .absolute_keyword_location()
        .and_then(|uri| rule_description(uri.as_str(), documents))
        .map(|d| format!(" Rule: {d}"))
        .unwrap_or_default();
    let field = field_name(&at);
    let one = |rule: &str, message: String| {
        vec![Violation {
            pointer: at.clone(),
            rule: rule.to_owned(),
            message: format!("{message}{rule_note}"),
        }]
    };
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            vec![Violation {
                pointer: format!("{at}/{}", escape_pointer(name)),
                rule: "required".to_owned(),
                message: format!("required field `{name}` is missing.{rule_note}"),
            }]
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => unexpected
            .iter()
            .map(|name| Violation {
                pointer: format!("{at}/{}", escape_pointer(name)),
                rule: "additionalProperties".to_owned(),
                message: format!(
                    "field `{name}` is not part of this contract; check its spelling or remove it."
                ),
            })
            .collect(),
        ValidationErrorKind::Format { format } => {
            let value = instance.as_str().unwrap_or_default();
            let why = builtin_format_explanation(format)
                .map(str::to_owned)
                .or_else(|| codes::find(format).and_then(|_| codes::explain(value, format)))
                .unwrap_or_else(|| format!("is not a valid `{format}`"));
            one("format", format!("{field} {why}."))
        }
        ValidationErrorKind::Enum { options } => {
            let allowed = list_values(options);
            one(
                "enum",
                format!(
                    "{field} has {}, which is not one of the allowed codes: {allowed}.",
                    quote(instance)
                ),
            )
        }
        ValidationErrorKind::Constant { expected_value } => one(
            "const",
            format!(
                "{field} must be {} here, but is {}.",
                quote(expected_value),
                quote(instance)
            ),
        ),
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(ts) => ts
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            one(
                "type",
                format!(
                    "{field} must be of type {expected}, but is {}.",
                    json_type(instance)
                ),
            )
        }
        ValidationErrorKind::Pattern { .. } => one(
            "pattern",
            format!(
                "{field} has {}, which does not have the required form.",
                quote(instance)
            ),
        ),
        ValidationErrorKind::MinLength { limit } => one(
            "minLength",
            format!("{field} must have at least {limit} character(s)."),
        ),
        ValidationErrorKind::MaxLength { limit } => one(
            "maxLength",
            format!("{field} must have at most {limit} characters."),
        ),
        ValidationErrorKind::MinItems { limit } => one(
            "minItems",
            format!("{field} must list at least {limit} item(s)."),
        ),
        ValidationErrorKind::MaxItems { limit } => one(
            "maxItems",
            format!("{field} may list at most {limit} items."),
        ),
        ValidationErrorKind::MinProperties { limit } => one(
            "minProperties",
            format!("{field} must have at least {limit} field(s)."),
        ),
        ValidationErrorKind::MaxProperties { limit } => one(
            "maxProperties",
            format!("{field} may have at most {limit} fields."),
        ),
        ValidationErrorKind::Minimum { limit } => one(
            "minimum",
            format!("{field} is {}, below the minimum {limit}.", quote(instance)),
        ),
        ValidationErrorKind::Maximum { limit } => one(
            "maximum",
            format!("{field} is {}, above the maximum {limit}.", quote(instance)),
        ),
        ValidationErrorKind::ExclusiveMinimum { limit } => one(
            "exclusiveMinimum",
            format!("{field} must be greater than {limit}."),
        ),
        ValidationErrorKind::ExclusiveMaximum { limit } => one(
            "exclusiveMaximum",
            format!("{field} must be less than {limit}."),
        ),
        ValidationErrorKind::UniqueItems => one(
            "uniqueItems",
            format!("{field} lists the same value more than once."),
        ),
        ValidationErrorKind::Contains => one(
            "contains",
            format!("{field} lacks an item the rule requires."),
        ),
        ValidationErrorKind::AnyOf { .. } => one(
            "anyOf",
            format!("{field} satisfies none of the allowed alternatives."),
        ),
        ValidationErrorKind::OneOfNotValid { .. } => one(
            "oneOf",
            format!("{field} satisfies none of the allowed alternatives."),
        ),
        ValidationErrorKind::OneOfMultipleValid { .. } => one(
            "oneOf",
            format!("{field} matches more than one alternative; it must match exactly one."),
        ),
        ValidationErrorKind::Not { .. } => {
            one("not", format!("{field} has a value this rule forbids."))
        }
        ValidationErrorKind::FalseSchema => one("false", format!("{field} is not allowed here.")),
        ValidationErrorKind::PropertyNames { .. } => one(
            "propertyNames",
            format!("{field} has a field name that is not allowed."),
        ),
        other => one("schema", format!("{field} is invalid: {other:?}")),
    }
}

/// "field `name`" for a pointer, or "the message" for the root.
fn field_name(pointer: &str) -> String {
    match pointer.rsplit('/').next() {
        Some(last) if !pointer.is_empty() => {
            if last.bytes().all(|b| b.is_ascii_digit()) {
                format!("item {last} of `{}`", pointer)
            } else {
                format!("field `{}`", unescape_pointer(last))
            }
        }
        _ => "the message".to_owned(),
    }
}

fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn unescape_pointer(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Quotes a short scalar value; longer or structured values are described by type only.
fn quote(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() <= MAX_QUOTED_CHARS => format!("`{s}`"),
        Value::Number(_) | Value::Bool(_) | Value::Null => format!("`{value}`"),
        other => format!("a {} value", json_type(other)),
    }
}

fn list_values(options: &Value) -> String {
    match options {
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn builtin_format_explanation(format: &str) -> Option<&'static str> {
    match format {
        "uuid" => Some("is not a UUID (e.g. 6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f)"),
        "date" => Some("is not a calendar date YYYY-MM-DD"),
        _ => None,
    }
}

/// The `description` of the conditional rule (an `allOf` entry) that contains the failing
/// keyword, if any. `uri` is an absolute keyword location such as
/// `https://…/common/v1.json#/$defs/HealthState/allOf/0/then/properties/needs_medical/const`.
fn rule_description(uri: &str, documents: &BTreeMap<String, Value>) -> Option<String> {
    let (document, fragment) = uri.split_once('#')?;
    let root = documents.get(document)?;
    let segments: Vec<String> = fragment
        .split('/')
        .skip(1)
        .map(|s| unescape_pointer(&percent_decode(s)))
        .collect();
    // Find the deepest `allOf/<n>` prefix of the keyword location.
    let mut best = None;
    for i in 0..segments.len().saturating_sub(1) {
        if segments[i] == "allOf" && segments[i + 1].bytes().all(|b| b.is_ascii_digit()) {
            best = Some(i + 2);
        }
    }
    let mut node = root;
    for segment in &segments[..best?] {
        node = match node {
            Value::Object(map) => map.get(segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    node.get("description")?.as_str().map(str::to_owned)
}

/// Decodes `%XX` escapes (a keyword location may percent-encode `$` as `%24`).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%24defs"), "$defs");
        assert_eq!(percent_decode("abc"), "abc");
        assert_eq!(percent_decode("a%2"), "a%2");
    }

    #[test]
    fn field_names() {
        assert_eq!(field_name("/payload/person/name"), "field `name`");
        assert_eq!(field_name(""), "the message");
        assert_eq!(
            field_name("/payload/subjects/0"),
            "item 0 of `/payload/subjects/0`"
        );
    }
}
