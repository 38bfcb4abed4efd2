//! Locating schemas: `$id` bases, `$ref` resolution through a [`SchemaSource`], and the
//! keyword classification shared by the normaliser and the structural comparison.

use std::rc::Rc;

use serde_json::Value;

use super::SchemaSource;
use super::error::CompatError;
use super::uri;

/// The schema `true`, used where a keyword is absent.
pub(super) static TRUE: Value = Value::Bool(true);
/// The schema `false`, used for properties an `additionalProperties: false` forbids.
pub(super) static FALSE: Value = Value::Bool(false);

/// A schema value together with the base URI in effect for it (the base of its parent: the
/// value's own `$id`, if any, is applied by [`Loc::own_base`]).
#[derive(Debug, Clone)]
pub(super) struct Loc<'a> {
    pub(super) base: Rc<str>,
    pub(super) value: &'a Value,
}

impl<'a> Loc<'a> {
    pub(super) fn new(base: Rc<str>, value: &'a Value) -> Self {
        Loc { base, value }
    }

    /// Identity of the schema value (its address inside the borrowed document).
    pub(super) fn id(&self) -> usize {
        std::ptr::from_ref::<Value>(self.value).addr()
    }

    /// The base URI for this value's keywords and subschemas: its `$id` resolved against the
    /// inherited base, or the inherited base.
    pub(super) fn own_base(&self) -> Rc<str> {
        match self.value.get("$id").and_then(Value::as_str) {
            Some(id) if self.value.is_object() => {
                let resolved = uri::resolve(&self.base, id);
                Rc::from(uri::split_fragment(&resolved).0)
            }
            _ => Rc::clone(&self.base),
        }
    }
}

/// Resolves URIs to schema values through a [`SchemaSource`].
#[derive(Clone, Copy)]
pub(super) struct Resolver<'a> {
    source: &'a dyn SchemaSource,
}

impl std::fmt::Debug for Resolver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Resolver")
    }
}

impl<'a> Resolver<'a> {
    pub(super) fn new(source: &'a dyn SchemaSource) -> Self {
        Resolver { source }
    }

    /// The schema an absolute URI (optionally with fragment) names; `None` if unknown.
    pub(super) fn locate(&self, absolute: &str) -> Option<Loc<'a>> {
        let (doc_uri, fragment) = uri::split_fragment(absolute);
        let doc = self.source.document(doc_uri)?;
        let root = Loc::new(Rc::from(doc_uri), doc);
        let fragment = uri::percent_decode(fragment.unwrap_or(""))?;
        if fragment.is_empty() || fragment.starts_with('/') {
            let mut here = root;
            for token in uri::pointer_tokens(&fragment)? {
                let base = here.own_base();
                let child = match here.value {
                    Value::Object(map) => map.get(&token)?,
                    Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
                    _ => return None,
                };
                here = Loc::new(base, child);
            }
            Some(here)
        } else {
            find_anchor(&root, &fragment)
        }
    }

    /// The target of `$ref: reference` written where `base` is in effect.
    pub(super) fn resolve_ref(&self, base: &str, reference: &str) -> Result<Loc<'a>, CompatError> {
        let absolute = uri::resolve(base, reference);
        self.locate(&absolute)
            .ok_or_else(|| CompatError::UnresolvedRef {
                reference: reference.to_owned(),
                base: base.to_owned(),
            })
    }
}

impl<'a> Resolver<'a> {
    /// Follows `$ref`s that have nothing but annotations beside them, so that a reference
    /// and its target count as the same schema.
    pub(super) fn deref(&self, loc: &Loc<'a>) -> Result<Loc<'a>, CompatError> {
        let mut here = loc.clone();
        for _ in 0..MAX_REF_HOPS {
            let Value::Object(map) = here.value else {
                return Ok(here);
            };
            let Some(reference) = map.get("$ref").and_then(Value::as_str) else {
                return Ok(here);
            };
            if map.keys().any(|k| k != "$ref" && is_relevant(k)) {
                return Ok(here);
            }
            let base = here.own_base();
            here = self.resolve_ref(&base, reference)?;
        }
        Err(CompatError::RefCycle {
            reference: loc
                .value
                .get("$ref")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            base: loc.base.to_string(),
        })
    }
}

/// How many plain `$ref` hops [`Resolver::deref`] follows before declaring a loop.
const MAX_REF_HOPS: usize = 64;

/// Finds the subschema declaring `"$anchor": name` (a plain-name fragment).
fn find_anchor<'a>(here: &Loc<'a>, name: &str) -> Option<Loc<'a>> {
    match here.value {
        Value::Object(map) => {
            if map.get("$anchor").and_then(Value::as_str) == Some(name) {
                return Some(here.clone());
            }
            let base = here.own_base();
            map.iter()
                .filter(|(k, _)| !is_data_keyword(k))
                .find_map(|(_, v)| find_anchor(&Loc::new(Rc::clone(&base), v), name))
        }
        Value::Array(items) => items
            .iter()
            .find_map(|v| find_anchor(&Loc::new(Rc::clone(&here.base), v), name)),
        _ => None,
    }
}

/// Keywords that never affect which instances are valid.
pub(super) fn is_annotation(keyword: &str) -> bool {
    matches!(
        keyword,
        "title"
            | "description"
            | "examples"
            | "default"
            | "deprecated"
            | "readOnly"
            | "writeOnly"
            | "$comment"
    ) || keyword.starts_with("x-")
}

/// Keywords that structure documents but constrain nothing by themselves (`$defs` matter
/// only through the `$ref`s that point into them, which are followed).
pub(super) fn is_meta(keyword: &str) -> bool {
    matches!(
        keyword,
        "$id" | "$schema" | "$defs" | "definitions" | "$anchor" | "$dynamicAnchor" | "$vocabulary"
    )
}

/// Keywords that take part in validation (neither annotation nor meta).
pub(super) fn is_relevant(keyword: &str) -> bool {
    !is_annotation(keyword) && !is_meta(keyword)
}

/// Keywords whose value is instance data, not a schema.
fn is_data_keyword(keyword: &str) -> bool {
    matches!(keyword, "enum" | "const" | "examples" | "default")
}

/// How the value of a keyword is compared structurally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeywordClass {
    /// A single subschema.
    Schema,
    /// An object whose values are subschemas.
    SchemaMap,
    /// An array of subschemas.
    SchemaArray,
    /// A `$ref`.
    Ref,
    /// A set of strings or values where order does not matter (`required`, `type`, `enum`).
    DataSet,
    /// Plain data, compared as JSON (numbers by value).
    Data,
}

pub(super) fn keyword_class(keyword: &str) -> KeywordClass {
    match keyword {
        "items"
        | "contains"
        | "additionalProperties"
        | "unevaluatedProperties"
        | "unevaluatedItems"
        | "propertyNames"
        | "not"
        | "if"
        | "then"
        | "else"
        | "contentSchema" => KeywordClass::Schema,
        "properties" | "patternProperties" | "dependentSchemas" => KeywordClass::SchemaMap,
        "allOf" | "anyOf" | "oneOf" | "prefixItems" => KeywordClass::SchemaArray,
        "$ref" => KeywordClass::Ref,
        "required" | "type" | "enum" => KeywordClass::DataSet,
        _ => KeywordClass::Data,
    }
}

/// JSON equality where numbers compare by value (`1` equals `1.0`, as in JSON Schema).
pub(super) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(i), Some(j)) => i == j,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Order-insensitive equality of two JSON arrays as sets (falls back to [`json_eq`]).
pub(super) fn json_set_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.iter().all(|v| y.iter().any(|w| json_eq(v, w)))
                && y.iter().all(|w| x.iter().any(|v| json_eq(v, w)))
        }
        _ => json_eq(a, b),
    }
}
