//! The digest of one department's view of a person's identity: what an adapter reports in
//! `IDENTITY_DIGEST` and what the hub expects from what it last sent that department.
//!
//! The view is the `changed_fields` object of the last hub `IDENTITY_UPDATE` the department
//! applied (hub updates carry the whole record the department may see, not a delta; see
//! ADR 0012). The digest is the lower-case hex SHA-256 of its canonical JSON text: object
//! keys sorted by their UTF-8 bytes at every level, no insignificant whitespace, strings and
//! numbers as `serde_json` writes them.
//!
//! Invariants:
//! * Pure and total: equal JSON values (whatever their key order) have equal digests.
//! * Shared by the hub and the adapter runtime, so both sides always compute it alike.

use serde_json::Value;

use crate::store::sha256_hex;

/// The canonical JSON text of `value`: keys sorted at every level, no whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(members) => {
            let mut keys: Vec<&String> = members.keys().collect();
            keys.sort();
            out.push('{');
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(member) = members.get(key) {
                    write_canonical(member, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The digest of a department's view of one person (see the module docs).
pub fn view_digest(view: &Value) -> String {
    sha256_hex(canonical_json(view).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_change_the_digest() {
        let a = json!({"name": "张三", "sex_code": "1", "nested": {"b": 1, "a": [2, {"y": 1, "x": 2}]}});
        let b = json!({"nested": {"a": [2, {"x": 2, "y": 1}], "b": 1}, "sex_code": "1", "name": "张三"});
        assert_eq!(view_digest(&a), view_digest(&b));
        assert_eq!(
            canonical_json(&a),
            r#"{"name":"张三","nested":{"a":[2,{"x":2,"y":1}],"b":1},"sex_code":"1"}"#
        );
    }

    #[test]
    fn any_change_of_content_changes_the_digest() {
        let a = json!({"name": "张三", "is_minor": false});
        let b = json!({"name": "张三", "is_minor": true});
        let c = json!({"name": "张三"});
        assert_ne!(view_digest(&a), view_digest(&b));
        assert_ne!(view_digest(&a), view_digest(&c));
        assert_eq!(view_digest(&a).len(), 64);
    }
}
