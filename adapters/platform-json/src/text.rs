//! Text conventions of the JSON platforms: keys are camelCase, and blocks the platforms have
//! no counterpart for (体貌特征, 健康状况, 附件, the envelope fields of a `header`, …) carry
//! the hub's structure with its keys spelled camelCase ([`camelize`], [`snakify`]) and the
//! hub's values verbatim; values quoted in error messages are cut short ([`quote`]).
//!
//! Invariant: `snakify(camelize(v)) == v` for every value [`camelize`] accepts; every
//! function is total.

use adapter_core::CodecError;
use serde_json::{Map, Value};

/// How long a quoted value may be in an error message.
const MAX_QUOTED_CHARS: usize = 64;

/// `height_cm` → `heightCm`.
pub fn snake_to_camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `heightCm` → `height_cm`.
pub fn camel_to_snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The hub's structure with its keys spelled camelCase, recursively (values unchanged).
/// Fails on a key that would not come back unchanged ([`snakify`] of the result is the input).
pub fn camelize(path: &str, value: &Value) -> Result<Value, CodecError> {
    Ok(match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, child) in map {
                let camel = snake_to_camel(key);
                if camel_to_snake(&camel) != *key {
                    return Err(CodecError::InvalidField {
                        field: format!("{path}/{key}"),
                        value: quote(key),
                        detail: "the key has no camelCase spelling in the native format".to_owned(),
                    });
                }
                out.insert(camel, camelize(&format!("{path}/{key}"), child)?);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| camelize(&format!("{path}/{i}"), item))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// The inverse of [`camelize`]: camelCase keys back to the hub's snake_case. `path` is the
/// native path for errors (`rescueInfo.persons[0].health`, `persons[0].health`); a key not in
/// camelCase is an error.
pub fn snakify(path: &str, value: &Value) -> Result<Value, CodecError> {
    Ok(match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, child) in map {
                let snake = camel_to_snake(key);
                if snake_to_camel(&snake) != *key || key.starts_with(|c: char| c.is_uppercase()) {
                    return Err(CodecError::InvalidField {
                        field: format!("{path}.{key}"),
                        value: quote(key),
                        detail: "keys are camelCase (e.g. needsMedical)".to_owned(),
                    });
                }
                out.insert(snake, snakify(&format!("{path}.{key}"), child)?);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| snakify(&format!("{path}[{i}]"), item))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// A value for an error message: at most 64 characters.
pub fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(MAX_QUOTED_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_between_snake_and_camel_case() {
        let canonical = serde_json::json!({"needs_medical": true, "flags": ["MENTAL"],
            "photo_refs": [{"attachment_id": "a", "mime_type": "image/jpeg"}]});
        let native = camelize("", &canonical).unwrap();
        assert_eq!(
            native,
            serde_json::json!({"needsMedical": true, "flags": ["MENTAL"],
                "photoRefs": [{"attachmentId": "a", "mimeType": "image/jpeg"}]})
        );
        assert_eq!(snakify("x", &native).unwrap(), canonical);
        assert!(snakify("x", &serde_json::json!({"needs_medical": true})).is_err());
        assert!(snakify("x", &serde_json::json!({"NeedsMedical": true})).is_err());
    }

    #[test]
    fn long_values_are_cut_in_errors() {
        assert_eq!(quote("ab"), "ab");
        let long = "字".repeat(70);
        assert_eq!(quote(&long), format!("{}…", "字".repeat(64)));
    }
}
