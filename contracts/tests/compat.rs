#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The compatibility checker on constructed schema pairs: every test asserts the exact list of
//! changes with both flags, not just "something changed".

use std::collections::BTreeMap;

use contracts::compat::{Change, ChangeKind, CompatError, CompatReport, compare};
use serde_json::{Value, json};

const HOST: &str = "https://schemas.rescue-hub.invalid";

fn id(path: &str) -> String {
    format!("{HOST}/{path}")
}

/// Gives `schema` the `$id` `<HOST>/<path>` and adds it to `docs`.
fn add(docs: &mut BTreeMap<String, Value>, path: &str, mut schema: Value) {
    schema["$id"] = json!(id(path));
    schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    docs.insert(id(path), schema);
}

/// Compares `old` (as `TEST/v1.json`) with `new` (as `TEST/v2.json`), plus extra documents.
fn compare_with(old: Value, new: Value, extra: &[(&str, Value)]) -> CompatReport {
    let mut docs = BTreeMap::new();
    add(&mut docs, "TEST/v1.json", old);
    add(&mut docs, "TEST/v2.json", new);
    for (path, schema) in extra {
        add(&mut docs, path, schema.clone());
    }
    compare(&id("TEST/v1.json"), &id("TEST/v2.json"), &docs).unwrap()
}

fn pair(old: Value, new: Value) -> CompatReport {
    compare_with(old, new, &[])
}

fn change(pointer: &str, kind: ChangeKind, breaks_backward: bool, breaks_forward: bool) -> Change {
    Change {
        pointer: pointer.to_owned(),
        kind,
        breaks_backward,
        breaks_forward,
    }
}

fn keyword(k: &str) -> String {
    k.to_owned()
}

/// An object with the given properties and required names, closed or open.
fn object(properties: Value, required: &[&str], closed: bool) -> Value {
    let mut schema = json!({ "type": "object", "properties": properties, "required": required });
    if closed {
        schema["additionalProperties"] = json!(false);
    }
    schema
}

fn assert_verdict(report: &CompatReport, backward: bool, forward: bool) {
    assert_eq!(
        report.is_backward_compatible(),
        backward,
        "backward: {report:#?}"
    );
    assert_eq!(
        report.is_forward_compatible(),
        forward,
        "forward: {report:#?}"
    );
}

fn referral_like() -> Value {
    json!({
        "title": "Referral",
        "type": "object",
        "additionalProperties": false,
        "required": ["case_id", "category", "subjects"],
        "properties": {
            "case_id": { "$ref": "../common/v1.json#/$defs/Identifier" },
            "category": { "enum": ["street", "hospital", "police"], "x-sensitivity": "GENERAL" },
            "urgency": { "type": "integer", "minimum": 1, "maximum": 5 },
            "subjects": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["person"],
                    "properties": {
                        "person": { "$ref": "../common/v1.json#/$defs/PersonIdentity" },
                        "willingness": { "enum": ["willing", "refused", "unknown"] }
                    }
                }
            },
            "closed_at": { "type": "string", "format": "date-time" }
        },
        "allOf": [
            {
                "if": { "properties": { "category": { "const": "police" } }, "required": ["category"] },
                "then": { "required": ["urgency"] }
            }
        ]
    })
}

fn common_v1() -> Value {
    json!({
        "$defs": {
            "Identifier": { "type": "string", "pattern": "^[0-9A-Za-z._:/-]{1,64}$" },
            "PersonIdentity": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name"],
                "properties": {
                    "name": { "type": "string", "maxLength": 50, "x-pii": "name" },
                    "id_type": { "enum": ["resident_id", "passport"] }
                }
            }
        }
    })
}

// ----- identity and annotations -----

#[test]
fn identical_schemas_are_compatible_both_ways() {
    let report = compare_with(
        referral_like(),
        referral_like(),
        &[("common/v1.json", common_v1())],
    );
    assert_eq!(report.changes, vec![]);
    assert_verdict(&report, true, true);
}

#[test]
fn annotation_changes_are_ignored() {
    let mut new = referral_like();
    new["title"] = json!("转介");
    new["description"] = json!("A new description");
    new["properties"]["category"]["x-sensitivity"] = json!("SENSITIVE");
    new["properties"]["urgency"]["description"] = json!("1 = low, 5 = critical");
    new["properties"]["urgency"]["examples"] = json!([3]);
    new["properties"]["closed_at"]["$comment"] = json!("set by the station");
    new["allOf"][0]["then"]["description"] = json!("police referrals carry an urgency");
    let report = compare_with(referral_like(), new, &[("common/v1.json", common_v1())]);
    assert_eq!(report.changes, vec![]);
}

#[test]
fn comparing_a_document_with_itself_finds_nothing() {
    let mut docs = BTreeMap::new();
    add(&mut docs, "common/v1.json", common_v1());
    add(&mut docs, "TEST/v1.json", referral_like());
    let report = compare(&id("TEST/v1.json"), &id("TEST/v1.json"), &docs).unwrap();
    assert_eq!(report.changes, vec![]);
}

// ----- properties added -----

#[test]
fn optional_property_added_to_closed_object_breaks_forward_only() {
    let old = object(json!({ "a": { "type": "string" } }), &["a"], true);
    let new = object(
        json!({ "a": { "type": "string" }, "b": { "type": "integer" } }),
        &["a"],
        true,
    );
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/b",
            ChangeKind::PropertyAdded { required: false },
            false,
            true
        )]
    );
    assert_verdict(&report, true, false);
}

#[test]
fn optional_property_added_to_open_object_is_compatible() {
    let old = object(json!({ "a": { "type": "string" } }), &["a"], false);
    let new = object(
        json!({ "a": { "type": "string" }, "b": { "type": "integer" } }),
        &["a"],
        false,
    );
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/b",
            ChangeKind::PropertyAdded { required: false },
            false,
            false
        )]
    );
    assert_verdict(&report, true, true);
}

#[test]
fn required_property_added_to_closed_object_breaks_both() {
    let old = object(json!({ "a": { "type": "string" } }), &["a"], true);
    let new = object(
        json!({ "a": { "type": "string" }, "b": { "type": "integer" } }),
        &["a", "b"],
        true,
    );
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/b",
            ChangeKind::PropertyAdded { required: true },
            true,
            true
        )]
    );
    assert_verdict(&report, false, false);
}

#[test]
fn required_property_added_to_open_object_breaks_backward_only() {
    let old = object(json!({ "a": { "type": "string" } }), &[], false);
    let new = object(
        json!({ "a": { "type": "string" }, "b": { "type": "integer" } }),
        &["b"],
        false,
    );
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/b",
            ChangeKind::PropertyAdded { required: true },
            true,
            false
        )]
    );
    assert_verdict(&report, false, true);
}

// ----- properties removed -----

#[test]
fn optional_property_removed_with_closed_new_object_breaks_backward_only() {
    let old = object(
        json!({ "a": { "type": "string" }, "b": { "type": "integer" } }),
        &["a"],
        true,
    );
    let new = object(json!({ "a": { "type": "string" } }), &["a"], true);
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/b",
            ChangeKind::PropertyRemoved {
                was_required: false
            },
            true,
            false
        )]
    );
    assert_verdict(&report, false, true);
}

#[test]
fn optional_property_removed_with_open_new_object_is_compatible() {
    let old = object(
        json!({ "a": { "type": "string" }, "b": { "type": "integer" } }),
        &["a"],
        false,
    );
    let new = object(json!({ "a": { "type": "string" } }), &["a"], false);
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/b",
            ChangeKind::PropertyRemoved {
                was_required: false
            },
            false,
            false
        )]
    );
    assert_verdict(&report, true, true);
}

#[test]
fn required_property_removed_with_open_new_object_breaks_forward_only() {
    let old = object(
        json!({ "a": { "type": "string" }, "b": { "type": "integer" } }),
        &["a", "b"],
        false,
    );
    let new = object(json!({ "a": { "type": "string" } }), &["a"], false);
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/b",
            ChangeKind::PropertyRemoved { was_required: true },
            false,
            true
        )]
    );
    assert_verdict(&report, true, false);
}

#[test]
fn required_property_removed_with_closed_new_object_breaks_both() {
    let old = object(
        json!({ "a": { "type": "string" }, "b": { "type": "integer" } }),
        &["a", "b"],
        true,
    );
    let new = object(json!({ "a": { "type": "string" } }), &["a"], true);
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/b",
            ChangeKind::PropertyRemoved { was_required: true },
            true,
            true
        )]
    );
}

// ----- required flags -----

#[test]
fn optional_becoming_required_breaks_backward_only() {
    let props = json!({ "a": { "type": "string" }, "b": { "type": "integer" } });
    let report = pair(
        object(props.clone(), &["a"], true),
        object(props, &["a", "b"], true),
    );
    assert_eq!(
        report.changes,
        vec![change("/b", ChangeKind::BecameRequired, true, false)]
    );
}

#[test]
fn required_becoming_optional_breaks_forward_only() {
    let props = json!({ "a": { "type": "string" }, "b": { "type": "integer" } });
    let report = pair(
        object(props.clone(), &["a", "b"], true),
        object(props, &["a"], true),
    );
    assert_eq!(
        report.changes,
        vec![change("/b", ChangeKind::BecameOptional, false, true)]
    );
}

// ----- enums and const -----

#[test]
fn enum_narrowed_breaks_backward_only() {
    let old = object(json!({ "c": { "enum": ["a", "b", "c"] } }), &[], true);
    let new = object(json!({ "c": { "enum": ["a", "b"] } }), &[], true);
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/c",
            ChangeKind::EnumNarrowed {
                removed: vec![json!("c")]
            },
            true,
            false
        )]
    );
    assert_verdict(&report, false, true);
}

#[test]
fn enum_widened_breaks_forward_only() {
    let old = object(
        json!({ "c": { "type": "string", "enum": ["a", "b"] } }),
        &[],
        true,
    );
    let new = object(
        json!({ "c": { "type": "string", "enum": ["b", "a", "d"] } }),
        &[],
        true,
    );
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/c",
            ChangeKind::EnumWidened {
                added: vec![json!("d")]
            },
            false,
            true
        )]
    );
    assert_verdict(&report, true, false);
}

#[test]
fn enum_value_replaced_reports_both_directions() {
    let old = json!({ "enum": [1, 2] });
    let new = json!({ "enum": [2.0, 3] });
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![
            change(
                "",
                ChangeKind::EnumNarrowed {
                    removed: vec![json!(1)]
                },
                true,
                false
            ),
            change(
                "",
                ChangeKind::EnumWidened {
                    added: vec![json!(3)]
                },
                false,
                true
            ),
        ]
    );
}

#[test]
fn enum_dropped_for_its_type_loosens_only() {
    let report = pair(json!({ "enum": ["a", "b"] }), json!({ "type": "string" }));
    assert_eq!(
        report.changes,
        vec![change(
            "",
            ChangeKind::ConstraintLoosened {
                keyword: keyword("enum")
            },
            false,
            true
        )]
    );
}

#[test]
fn const_changed_breaks_both() {
    let report = pair(json!({ "const": "v1" }), json!({ "const": "v2" }));
    assert_eq!(
        report.changes,
        vec![change(
            "",
            ChangeKind::ConstraintChanged {
                keyword: keyword("const")
            },
            true,
            true
        )]
    );
}

// ----- open / closed -----

#[test]
fn open_to_closed_breaks_backward_only() {
    let props = json!({ "a": { "type": "string" } });
    let report = pair(object(props.clone(), &[], false), object(props, &[], true));
    assert_eq!(
        report.changes,
        vec![change("", ChangeKind::OpenToClosed, true, false)]
    );
    assert_verdict(&report, false, true);
}

#[test]
fn closed_to_open_breaks_forward_only() {
    let props = json!({ "a": { "type": "string" } });
    let report = pair(object(props.clone(), &[], true), object(props, &[], false));
    assert_eq!(
        report.changes,
        vec![change("", ChangeKind::ClosedToOpen, false, true)]
    );
    assert_verdict(&report, true, false);
}

#[test]
fn unevaluated_properties_false_closes_through_all_of_and_ref() {
    let old = json!({
        "$defs": { "Base": { "properties": { "id": { "type": "string" } }, "required": ["id"] } },
        "allOf": [{ "$ref": "#/$defs/Base" }],
        "properties": { "note": { "type": "string" } },
        "unevaluatedProperties": false
    });
    let mut new = old.clone();
    new["properties"]["extra"] = json!({ "type": "boolean" });
    let report = pair(old, new);
    // `id` comes from the `$ref`'d member and is still allowed; `extra` is new to a closed object.
    assert_eq!(
        report.changes,
        vec![change(
            "/extra",
            ChangeKind::PropertyAdded { required: false },
            false,
            true
        )]
    );
}

#[test]
fn additional_properties_schema_is_compared_like_a_property() {
    let old =
        json!({ "type": "object", "additionalProperties": { "type": "string", "maxLength": 10 } });
    let new =
        json!({ "type": "object", "additionalProperties": { "type": "string", "maxLength": 20 } });
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/*",
            ChangeKind::ConstraintLoosened {
                keyword: keyword("maxLength")
            },
            false,
            true
        )]
    );
}

// ----- types and bounds -----

#[test]
fn type_widened_from_integer_to_number_breaks_forward_only() {
    let report = pair(json!({ "type": "integer" }), json!({ "type": "number" }));
    assert_eq!(
        report.changes,
        vec![change(
            "",
            ChangeKind::TypeChanged {
                old: vec!["integer".into()],
                new: vec!["number".into()]
            },
            false,
            true
        )]
    );
}

#[test]
fn type_added_breaks_forward_and_removed_breaks_backward() {
    let report = pair(
        json!({ "type": "string" }),
        json!({ "type": ["string", "null"] }),
    );
    assert_eq!(
        report.changes,
        vec![change(
            "",
            ChangeKind::TypeChanged {
                old: vec!["string".into()],
                new: vec!["null".into(), "string".into()]
            },
            false,
            true
        )]
    );
    let report = pair(
        json!({ "type": ["string", "null"] }),
        json!({ "type": "string" }),
    );
    assert_eq!(report.changes.len(), 1);
    assert_eq!(
        (
            report.changes[0].breaks_backward,
            report.changes[0].breaks_forward
        ),
        (true, false)
    );
}

#[test]
fn unrelated_type_change_breaks_both() {
    let report = pair(json!({ "type": "string" }), json!({ "type": "integer" }));
    assert_eq!(
        report.changes,
        vec![change(
            "",
            ChangeKind::TypeChanged {
                old: vec!["string".into()],
                new: vec!["integer".into()]
            },
            true,
            true
        )]
    );
}

#[test]
fn max_length_tightened_breaks_backward_only() {
    let old = object(
        json!({ "name": { "type": "string", "maxLength": 50 } }),
        &[],
        true,
    );
    let new = object(
        json!({ "name": { "type": "string", "maxLength": 30 } }),
        &[],
        true,
    );
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/name",
            ChangeKind::ConstraintTightened {
                keyword: keyword("maxLength")
            },
            true,
            false
        )]
    );
    assert_verdict(&report, false, true);
}

#[test]
fn numeric_bounds_compare_by_value_and_exclusivity() {
    let report = pair(
        json!({ "type": "number", "minimum": 0, "maximum": 100 }),
        json!({ "type": "number", "exclusiveMinimum": 0, "maximum": 200 }),
    );
    assert_eq!(
        report.changes,
        vec![
            change(
                "",
                ChangeKind::ConstraintTightened {
                    keyword: keyword("exclusiveMinimum")
                },
                true,
                false
            ),
            change(
                "",
                ChangeKind::ConstraintLoosened {
                    keyword: keyword("maximum")
                },
                false,
                true
            ),
        ]
    );
}

#[test]
fn pattern_replaced_breaks_both_and_format_added_breaks_backward() {
    let report = pair(
        json!({ "type": "string", "pattern": "^[0-9]{6}$" }),
        json!({ "type": "string", "pattern": "^[0-9]{12}$", "format": "region-code" }),
    );
    assert_eq!(
        report.changes,
        vec![
            change(
                "",
                ChangeKind::ConstraintTightened {
                    keyword: keyword("format")
                },
                true,
                false
            ),
            change(
                "",
                ChangeKind::ConstraintChanged {
                    keyword: keyword("pattern")
                },
                true,
                true
            ),
        ]
    );
}

#[test]
fn string_constraints_on_a_non_string_location_are_ignored() {
    let report = pair(
        json!({ "type": "integer", "maxLength": 3 }),
        json!({ "type": "integer", "maxLength": 5 }),
    );
    assert_eq!(report.changes, vec![]);
}

// ----- $ref -----

#[test]
fn change_inside_a_shared_definition_of_the_common_document_is_found() {
    let mut common_v2 = common_v1();
    common_v2["$defs"]["PersonIdentity"]["properties"]["id_type"]["enum"] =
        json!(["resident_id", "passport", "hk_macao_permit"]);
    common_v2["$defs"]["PersonIdentity"]["properties"]["name"]["maxLength"] = json!(30);
    let old = referral_like();
    let mut new = referral_like();
    new["properties"]["subjects"]["items"]["properties"]["person"]["$ref"] =
        json!("../common/v2.json#/$defs/PersonIdentity");
    let report = compare_with(
        old,
        new,
        &[
            ("common/v1.json", common_v1()),
            ("common/v2.json", common_v2),
        ],
    );
    assert_eq!(
        report.changes,
        vec![
            change(
                "/subjects/*/person/id_type",
                ChangeKind::EnumWidened {
                    added: vec![json!("hk_macao_permit")]
                },
                false,
                true
            ),
            change(
                "/subjects/*/person/name",
                ChangeKind::ConstraintTightened {
                    keyword: keyword("maxLength")
                },
                true,
                false
            ),
        ]
    );
}

#[test]
fn moving_a_definition_behind_a_same_document_ref_changes_nothing() {
    let old = object(
        json!({ "code": { "type": "string", "pattern": "^[0-9]{6}$" } }),
        &["code"],
        true,
    );
    let mut new = object(
        json!({ "code": { "$ref": "#/$defs/RegionCode", "description": "region" } }),
        &["code"],
        true,
    );
    new["$defs"] = json!({ "RegionCode": { "type": "string", "pattern": "^[0-9]{6}$" } });
    let report = pair(old, new);
    assert_eq!(report.changes, vec![]);
}

#[test]
fn a_recursive_schema_terminates_and_reports_each_change_once() {
    let tree = |max: u64| {
        json!({
            "type": "object",
            "properties": { "root": { "$ref": "#/$defs/Node" } },
            "$defs": {
                "Node": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "label": { "type": "string", "maxLength": max },
                        "children": { "type": "array", "items": { "$ref": "#/$defs/Node" } }
                    }
                }
            }
        })
    };
    let report = pair(tree(40), tree(20));
    assert_eq!(
        report.changes,
        vec![change(
            "/root/label",
            ChangeKind::ConstraintTightened {
                keyword: keyword("maxLength")
            },
            true,
            false
        )]
    );
}

#[test]
fn a_ref_cycle_across_documents_terminates() {
    let a = json!({ "$defs": { "A": { "type": "object", "properties": { "b": { "$ref": "b.json#/$defs/B" } } } } });
    let b = json!({ "$defs": { "B": { "type": "object", "properties": { "a": { "$ref": "a.json#/$defs/A" }, "n": { "type": "integer" } } } } });
    let mut b2 = b.clone();
    b2["$defs"]["B"]["properties"]["n"] = json!({ "type": "number" });
    let old = json!({ "$ref": "../cyc/a.json#/$defs/A" });
    let new = json!({ "$ref": "../cyc2/a.json#/$defs/A" });
    let report = compare_with(
        old,
        new,
        &[
            ("cyc/a.json", a.clone()),
            ("cyc/b.json", b),
            ("cyc2/a.json", a),
            ("cyc2/b.json", b2),
        ],
    );
    assert_eq!(
        report.changes,
        vec![change(
            "/b/n",
            ChangeKind::TypeChanged {
                old: vec!["integer".into()],
                new: vec!["number".into()]
            },
            false,
            true
        )]
    );
}

#[test]
fn a_ref_loop_that_never_reaches_a_constraint_is_an_error() {
    let looping = json!({
        "$ref": "#/$defs/A",
        "$defs": { "A": { "$ref": "#/$defs/B" }, "B": { "$ref": "#/$defs/A" } }
    });
    let mut docs = BTreeMap::new();
    add(&mut docs, "TEST/v1.json", looping);
    add(&mut docs, "TEST/v2.json", json!({}));
    let error = compare(&id("TEST/v1.json"), &id("TEST/v2.json"), &docs).unwrap_err();
    assert!(matches!(error, CompatError::RefCycle { .. }), "{error:?}");
}

#[test]
fn an_unresolved_ref_is_an_error_not_a_verdict() {
    let mut docs = BTreeMap::new();
    add(
        &mut docs,
        "TEST/v1.json",
        json!({ "$ref": "../common/v9.json#/$defs/Nope" }),
    );
    add(&mut docs, "TEST/v2.json", json!({}));
    let error = compare(&id("TEST/v1.json"), &id("TEST/v2.json"), &docs).unwrap_err();
    assert_eq!(
        error,
        CompatError::UnresolvedRef {
            reference: "../common/v9.json#/$defs/Nope".to_owned(),
            base: id("TEST/v1.json"),
        }
    );
    let error = compare(&id("TEST/v3.json"), &id("TEST/v2.json"), &docs).unwrap_err();
    assert_eq!(
        error,
        CompatError::UnknownDocument {
            uri: id("TEST/v3.json")
        }
    );
}

#[test]
fn anchors_resolve_like_pointers() {
    let old = json!({
        "type": "object",
        "properties": { "phone": { "$ref": "#phone" } },
        "$defs": { "Phone": { "$anchor": "phone", "type": "string", "maxLength": 20 } }
    });
    let mut new = old.clone();
    new["$defs"]["Phone"]["maxLength"] = json!(11);
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change(
            "/phone",
            ChangeKind::ConstraintTightened {
                keyword: keyword("maxLength")
            },
            true,
            false
        )]
    );
}

#[test]
fn changes_serialise_flat_for_tooling() {
    let narrowed = change(
        "/c",
        ChangeKind::EnumNarrowed {
            removed: vec![json!("x")],
        },
        true,
        false,
    );
    assert_eq!(
        serde_json::to_value(&narrowed).unwrap(),
        json!({
            "pointer": "/c",
            "kind": "enum_narrowed",
            "removed": ["x"],
            "breaks_backward": true,
            "breaks_forward": false
        })
    );
}

// ----- arrays -----

#[test]
fn a_change_inside_an_array_of_objects_is_located_per_element() {
    let old = referral_like();
    let mut new = referral_like();
    new["properties"]["subjects"]["items"]["properties"]["willingness"]["enum"] =
        json!(["willing", "refused"]);
    new["properties"]["subjects"]["items"]["properties"]["escort"] = json!({ "type": "boolean" });
    new["properties"]["subjects"]["minItems"] = json!(2);
    let report = compare_with(old, new, &[("common/v1.json", common_v1())]);
    assert_eq!(
        report.changes,
        vec![
            change(
                "/subjects",
                ChangeKind::ConstraintTightened {
                    keyword: keyword("minItems")
                },
                true,
                false
            ),
            change(
                "/subjects/*/escort",
                ChangeKind::PropertyAdded { required: false },
                false,
                true
            ),
            change(
                "/subjects/*/willingness",
                ChangeKind::EnumNarrowed {
                    removed: vec![json!("unknown")]
                },
                true,
                false
            ),
        ]
    );
}

// ----- conditionals -----

#[test]
fn conditional_added_breaks_backward_only() {
    let old = object(
        json!({ "s": { "enum": ["open", "closed"] }, "t": { "type": "string" } }),
        &[],
        true,
    );
    let mut new = old.clone();
    new["allOf"] = json!([{ "if": { "properties": { "s": { "const": "closed" } } }, "then": { "required": ["t"] } }]);
    let report = pair(old, new);
    assert_eq!(
        report.changes,
        vec![change("", ChangeKind::ConditionalAdded, true, false)]
    );
}

#[test]
fn conditional_changed_breaks_both() {
    let old = referral_like();
    let mut new = referral_like();
    new["allOf"][0]["then"] = json!({ "required": ["urgency", "closed_at"] });
    let report = compare_with(old, new, &[("common/v1.json", common_v1())]);
    assert_eq!(
        report.changes,
        vec![change("", ChangeKind::ConditionalChanged, true, true)]
    );
}

#[test]
fn conditional_removed_breaks_forward_only() {
    let old = referral_like();
    let mut new = referral_like();
    new.as_object_mut().unwrap().remove("allOf");
    let report = compare_with(old, new, &[("common/v1.json", common_v1())]);
    assert_eq!(
        report.changes,
        vec![change("", ChangeKind::ConditionalRemoved, false, true)]
    );
}

// ----- report helpers and sentences -----

#[test]
fn report_helpers_and_descriptions() {
    let old = object(
        json!({ "location": object(json!({ "x": { "type": "number" } }), &[], true) }),
        &[],
        true,
    );
    let new = object(
        json!({ "location": object(json!({ "x": { "type": "number" }, "grid": { "type": "string" } }), &["grid"], true) }),
        &[],
        true,
    );
    let report = pair(old, new);
    assert_eq!(report.breaking_backward().count(), 1);
    assert_eq!(report.breaking_forward().count(), 1);
    assert_eq!(
        report.changes[0].describe(),
        "required field /location/grid was added: data written under the old version lacks it; \
         the old object does not admit it, so readers still on the old version reject data that carries it"
    );
    let added = change(
        "/location/grid",
        ChangeKind::PropertyAdded { required: true },
        true,
        false,
    );
    assert_eq!(
        added.describe(),
        "required field /location/grid was added: data written under the old version lacks it"
    );
    let harmless = change(
        "/note",
        ChangeKind::PropertyAdded { required: false },
        false,
        false,
    );
    assert_eq!(
        harmless.describe(),
        "optional field /note was added (compatible both ways)"
    );
}

// ----- the real catalogue -----

/// Every schema of `contracts/schemas`, keyed by `$id`.
fn catalogue() -> BTreeMap<String, Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut docs = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        if !entry.file_type().unwrap().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(entry.path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let schema: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let id = schema["$id"].as_str().unwrap().to_owned();
                docs.insert(id, schema);
            }
        }
    }
    docs
}

#[test]
fn every_catalogue_schema_is_compatible_with_a_copy_of_itself() {
    let mut docs = catalogue();
    let ids: Vec<String> = docs
        .keys()
        .filter(|k| !k.contains("/common/"))
        .cloned()
        .collect();
    assert!(!ids.is_empty());
    for id in ids {
        // A copy under another (sibling) $id: relative refs resolve the same, but the walk
        // cannot short-cut on identity at the root.
        let copy_id = id.replace(".json", "-copy.json");
        let mut copy = docs[&id].clone();
        copy["$id"] = json!(copy_id);
        docs.insert(copy_id.clone(), copy);
        let report = compare(&id, &copy_id, &docs).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(report.changes, vec![], "{id}");
    }
}
