//! Field annotations: which fields of a payload hold which kind of personal information
//! (`x-pii`) and how sensitive they are (`x-sensitivity`), read from the schemas.
//!
//! The hub uses them to compute "the fields department X may receive" (minimisation), to
//! mask logs and to choose retention. Invariants: a field inherits the sensitivity of its
//! enclosing objects when that is higher (a name inside a minor's guardianship block is as
//! sensitive as the block) and the `x-pii` kind of its nearest annotated ancestor when it has
//! none; annotations on a property override those of the type it references.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Sensitivity;

/// Deepest nesting followed; deeper schemas are cut off (they do not exist in the catalogue,
/// and a `$ref` cycle must not loop).
const MAX_DEPTH: usize = 24;

/// The annotation of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldAnnotation {
    /// Pointer pattern relative to the payload, `*` standing for any array index, e.g.
    /// `/subjects/*/health/notes`.
    pub pointer: String,
    /// Kind of personal information, e.g. `name`, `health`; `None` when the field holds none.
    pub pii: Option<String>,
    /// Effective sensitivity.
    pub sensitivity: Sensitivity,
}

/// What a department may receive, as set in the hub's per-department policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPolicy {
    /// Highest sensitivity the department may receive.
    pub max_sensitivity: Option<Sensitivity>,
    /// Kinds of personal information it may receive.
    pub allowed_pii: BTreeSet<String>,
}

impl FieldPolicy {
    /// Whether a field with this annotation may be sent under the policy.
    pub fn allows(&self, field: &FieldAnnotation) -> bool {
        let sensitivity_ok = self
            .max_sensitivity
            .is_some_and(|max| field.sensitivity <= max)
            || field.sensitivity == Sensitivity::General;
        let pii_ok = field
            .pii
            .as_ref()
            .is_none_or(|kind| self.allowed_pii.contains(kind));
        sensitivity_ok && pii_ok
    }

    /// Splits annotations into (receivable, withheld) pointer patterns.
    pub fn partition<'a>(&self, fields: &'a [FieldAnnotation]) -> (Vec<&'a str>, Vec<&'a str>) {
        let mut receivable = Vec::new();
        let mut withheld = Vec::new();
        for f in fields {
            if self.allows(f) {
                receivable.push(f.pointer.as_str());
            } else {
                withheld.push(f.pointer.as_str());
            }
        }
        (receivable, withheld)
    }
}

fn parse_sensitivity(value: Option<&Value>) -> Option<Sensitivity> {
    match value?.as_str()? {
        "GENERAL" => Some(Sensitivity::General),
        "SENSITIVE" => Some(Sensitivity::Sensitive),
        "SENSITIVE_MINOR" => Some(Sensitivity::SensitiveMinor),
        _ => None,
    }
}

/// Inherited context while walking.
#[derive(Clone)]
struct Context {
    pii: Option<String>,
    sensitivity: Sensitivity,
}

struct Walker<'a> {
    documents: &'a BTreeMap<String, Value>,
    out: BTreeMap<String, FieldAnnotation>,
}

/// Resolves `reference` against the document `base`, returning (document id, schema node).
fn resolve<'a>(
    documents: &'a BTreeMap<String, Value>,
    base: &str,
    reference: &str,
) -> Option<(String, &'a Value)> {
    let (doc, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    let doc_id = if doc.is_empty() {
        base.to_owned()
    } else if doc.contains("://") {
        doc.to_owned()
    } else {
        // Relative: resolve against the base's directory, handling `../`.
        let mut parts: Vec<&str> = base
            .rsplit_once('/')
            .map(|(dir, _)| dir)
            .unwrap_or(base)
            .split('/')
            .collect();
        for segment in doc.split('/') {
            match segment {
                ".." => {
                    parts.pop();
                }
                "." => {}
                s => parts.push(s),
            }
        }
        parts.join("/")
    };
    let root = documents.get(&doc_id)?;
    let node = if fragment.is_empty() {
        root
    } else {
        root.pointer(fragment)?
    };
    Some((doc_id, node))
}

impl Walker<'_> {
    /// Records the annotations of `schema` at `pointer`, then walks into its fields.
    fn walk(&mut self, doc: &str, schema: &Value, pointer: &str, context: Context, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let Value::Object(map) = schema else { return };
        let mut context = context;
        if let Some(s) = parse_sensitivity(map.get("x-sensitivity")) {
            context.sensitivity = context.sensitivity.max(s);
        }
        if let Some(kind) = map.get("x-pii").and_then(Value::as_str) {
            context.pii = Some(kind.to_owned());
        }
        // The node's own annotations are recorded before its `$ref` is followed, so a field's
        // `x-pii` wins over the one of the type it references (`special_needs` tagged
        // `health` stays `health` although it references `LongText`, tagged `free_text`).
        if !pointer.is_empty() {
            let entry = self
                .out
                .entry(pointer.to_owned())
                .or_insert_with(|| FieldAnnotation {
                    pointer: pointer.to_owned(),
                    pii: None,
                    sensitivity: Sensitivity::General,
                });
            entry.sensitivity = entry.sensitivity.max(context.sensitivity);
            if entry.pii.is_none() {
                entry.pii.clone_from(&context.pii);
            }
        }
        if let Some(reference) = map.get("$ref").and_then(Value::as_str)
            && let Some((target_doc, target)) = resolve(self.documents, doc, reference)
        {
            self.walk(&target_doc, target, pointer, context.clone(), depth + 1);
        }
        if let Some(Value::Object(properties)) = map.get("properties") {
            for (name, property) in properties {
                self.walk(
                    doc,
                    property,
                    &format!("{pointer}/{name}"),
                    context.clone(),
                    depth + 1,
                );
            }
        }
        if let Some(items) = map.get("items") {
            self.walk(
                doc,
                items,
                &format!("{pointer}/*"),
                context.clone(),
                depth + 1,
            );
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = map.get(key) {
                for branch in branches {
                    self.walk(doc, branch, pointer, context.clone(), depth + 1);
                }
            }
        }
    }
}

/// Collects the annotations of the payload schema `id` (sorted by pointer).
pub(crate) fn collect(
    id: &str,
    schema: &Value,
    documents: &BTreeMap<String, Value>,
) -> Vec<FieldAnnotation> {
    let mut walker = Walker {
        documents,
        out: BTreeMap::new(),
    };
    let root = Context {
        pii: None,
        sensitivity: Sensitivity::General,
    };
    walker.walk(id, schema, "", root, 0);
    walker.out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn docs() -> BTreeMap<String, Value> {
        let common = json!({
            "$id": "https://s.invalid/common/v1.json",
            "$defs": {
                "Health": {"type": "object", "x-pii": "health", "x-sensitivity": "SENSITIVE",
                           "properties": {"notes": {"type": "string"}}},
                "Person": {"type": "object", "properties": {"name": {"type": "string", "x-pii": "name"}}},
                "Text": {"type": "string", "x-pii": "free_text"}
            }
        });
        let mut d = BTreeMap::new();
        d.insert("https://s.invalid/common/v1.json".to_owned(), common);
        d
    }

    #[test]
    fn inherits_through_refs_and_arrays() {
        let schema = json!({
            "type": "object",
            "properties": {
                "subjects": {"type": "array", "items": {"type": "object", "properties": {
                    "health": {"$ref": "../common/v1.json#/$defs/Health"},
                    "person": {"$ref": "../common/v1.json#/$defs/Person", "x-sensitivity": "SENSITIVE_MINOR"}
                }}},
                "remarks": {"type": "string"},
                "notes": {"$ref": "../common/v1.json#/$defs/Text", "x-pii": "health"}
            }
        });
        let fields = collect("https://s.invalid/X/v1.json", &schema, &docs());
        let get = |p: &str| fields.iter().find(|f| f.pointer == p).unwrap();
        assert_eq!(
            get("/subjects/*/health/notes").pii.as_deref(),
            Some("health")
        );
        assert_eq!(
            get("/subjects/*/health/notes").sensitivity,
            Sensitivity::Sensitive
        );
        assert_eq!(
            get("/subjects/*/person/name").sensitivity,
            Sensitivity::SensitiveMinor
        );
        assert_eq!(get("/subjects/*/person/name").pii.as_deref(), Some("name"));
        assert_eq!(get("/remarks").pii, None);
        assert_eq!(
            get("/notes").pii.as_deref(),
            Some("health"),
            "the field's own x-pii wins"
        );

        let policy = FieldPolicy {
            max_sensitivity: Some(Sensitivity::Sensitive),
            allowed_pii: ["health".to_owned()].into_iter().collect(),
        };
        assert!(policy.allows(get("/subjects/*/health/notes")));
        assert!(!policy.allows(get("/subjects/*/person/name")));
        assert!(policy.allows(get("/remarks")));
    }
}
