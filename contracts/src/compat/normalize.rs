//! Flattening one schema location into a [`Node`]: `$ref` chains and `allOf` members are
//! folded into a single conjunction of keyword constraints, with subschemas (property
//! values, items) left as unexpanded [`Loc`] lists so recursive schemas stay finite.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde_json::Value;

use super::error::CompatError;
use super::resolve::{FALSE, Loc, Resolver, is_relevant, json_eq};

/// A JSON type, with `number` split into integers and non-integers so that `integer` is a
/// subset of `number`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Atom {
    Null,
    Boolean,
    Integer,
    Fraction,
    String,
    Array,
    Object,
}

impl Atom {
    pub(super) fn of_value(value: &Value) -> Atom {
        match value {
            Value::Null => Atom::Null,
            Value::Bool(_) => Atom::Boolean,
            Value::Number(n) => {
                if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                    Atom::Integer
                } else {
                    Atom::Fraction
                }
            }
            Value::String(_) => Atom::String,
            Value::Array(_) => Atom::Array,
            Value::Object(_) => Atom::Object,
        }
    }

    fn of_type_name(name: &str) -> Option<&'static [Atom]> {
        Some(match name {
            "null" => &[Atom::Null],
            "boolean" => &[Atom::Boolean],
            "integer" => &[Atom::Integer],
            "number" => &[Atom::Integer, Atom::Fraction],
            "string" => &[Atom::String],
            "array" => &[Atom::Array],
            "object" => &[Atom::Object],
            _ => return None,
        })
    }

    /// JSON Schema type names for a set of atoms.
    pub(super) fn names(atoms: &BTreeSet<Atom>) -> Vec<String> {
        let mut out = Vec::new();
        for atom in atoms {
            let name = match atom {
                Atom::Null => "null",
                Atom::Boolean => "boolean",
                Atom::Integer if atoms.contains(&Atom::Fraction) => "number",
                Atom::Integer => "integer",
                Atom::Fraction if atoms.contains(&Atom::Integer) => continue,
                Atom::Fraction => "non-integer number",
                Atom::String => "string",
                Atom::Array => "array",
                Atom::Object => "object",
            };
            out.push(name.to_owned());
        }
        out
    }
}

/// A numeric bound (`minimum`/`exclusiveMinimum` or `maximum`/`exclusiveMaximum`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Bound {
    pub(super) value: f64,
    pub(super) exclusive: bool,
    pub(super) keyword: &'static str,
}

impl Bound {
    /// Whether `self` admits fewer numbers than `other`, both being lower bounds.
    pub(super) fn tighter_lower(&self, other: &Bound) -> bool {
        self.value > other.value
            || (self.value == other.value && self.exclusive && !other.exclusive)
    }

    /// Whether `self` admits fewer numbers than `other`, both being upper bounds.
    pub(super) fn tighter_upper(&self, other: &Bound) -> bool {
        self.value < other.value
            || (self.value == other.value && self.exclusive && !other.exclusive)
    }
}

/// `min*`/`max*` counts of one kind (length, items, properties).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counts {
    pub(super) min: Option<u64>,
    pub(super) max: Option<u64>,
}

/// What `additionalProperties` says in one schema object.
#[derive(Debug, Clone)]
pub(super) enum Additional<'a> {
    Open,
    False,
    Schema(Loc<'a>),
}

/// The object keywords of one schema object: declared properties and what happens to the
/// others.
#[derive(Debug, Clone)]
pub(super) struct ObjectUnit<'a> {
    /// Declared names; `None` for names an `unevaluatedProperties: false` closure lets through
    /// without a schema of its own.
    pub(super) props: BTreeMap<&'a str, Option<Loc<'a>>>,
    pub(super) additional: Additional<'a>,
    /// `patternProperties` present (or a schema-valued `unevaluatedProperties`): whether an
    /// undeclared name is accepted cannot be decided without evaluating regexes.
    pub(super) unknown_names: bool,
}

/// A keyword (or keyword group, like `if`/`then`/`else`) kept as an opaque conjunct and
/// compared structurally.
#[derive(Debug, Clone)]
pub(super) struct Unit<'a> {
    /// The schema object holding the keywords.
    pub(super) loc: Loc<'a>,
    /// The keywords compared; the first names the unit.
    pub(super) keys: Vec<&'a str>,
}

impl<'a> Unit<'a> {
    pub(super) fn keyword(&self) -> &'a str {
        self.keys.first().copied().unwrap_or("")
    }
}

/// The conjunction of everything one instance location must satisfy, as far as the checker
/// models it.
#[derive(Debug, Default)]
pub(super) struct Node<'a> {
    /// Accepts nothing (a `false` schema, an empty `enum`, contradictory `type`s).
    pub(super) never: bool,
    /// Allowed types; `None` = any.
    pub(super) types: Option<BTreeSet<Atom>>,
    /// Allowed values from `enum`/`const`; `None` = unrestricted.
    pub(super) values: Option<Vec<&'a Value>>,
    /// Which of `enum`/`const` contributed to `values`.
    pub(super) value_keywords: BTreeSet<&'static str>,
    pub(super) lower: Option<Bound>,
    pub(super) upper: Option<Bound>,
    pub(super) multiple_of: Vec<f64>,
    pub(super) length: Counts,
    pub(super) item_count: Counts,
    pub(super) property_count: Counts,
    pub(super) unique_items: bool,
    pub(super) required: BTreeSet<&'a str>,
    pub(super) object_units: Vec<ObjectUnit<'a>>,
    /// `items` schemas (conjunction); empty = absent.
    pub(super) items: Vec<Loc<'a>>,
    /// Pure conjuncts compared structurally: adding one only tightens, removing one only
    /// loosens (`pattern`, `format`, `anyOf`, `not`, `contains`, ...).
    pub(super) conjuncts: Vec<Unit<'a>>,
    /// Keywords whose effect depends on others (`prefixItems`, `patternProperties`,
    /// `unevaluatedItems`, unknown keywords): any difference breaks both ways.
    pub(super) opaque: Vec<Unit<'a>>,
    /// `if`/`then`/`else` groups.
    pub(super) conditionals: Vec<Unit<'a>>,
    /// Some `unevaluatedProperties: false` applies here.
    pub(super) unevaluated_properties: bool,
    /// Some `unevaluatedItems` (other than `true`) applies here.
    pub(super) unevaluated_items: bool,
}

/// Keywords kept as pure conjuncts, with the keywords compared together with them.
const CONJUNCTS: &[(&str, &[&str])] = &[
    ("pattern", &["pattern"]),
    ("format", &["format"]),
    ("contentEncoding", &["contentEncoding"]),
    ("contentMediaType", &["contentMediaType"]),
    ("contentSchema", &["contentSchema"]),
    ("anyOf", &["anyOf"]),
    ("oneOf", &["oneOf"]),
    ("not", &["not"]),
    ("dependentRequired", &["dependentRequired"]),
    ("dependentSchemas", &["dependentSchemas"]),
    ("propertyNames", &["propertyNames"]),
    ("contains", &["contains", "minContains", "maxContains"]),
];

/// Applicators that produce evaluation annotations, so that under `unevaluated*` their
/// addition can also widen what is accepted.
pub(super) fn is_annotating_applicator(keyword: &str) -> bool {
    matches!(
        keyword,
        "anyOf" | "oneOf" | "dependentSchemas" | "contains" | "if"
    )
}

/// What a set of [`ObjectUnit`]s amounts to for the object at one location.
#[derive(Debug)]
pub(super) struct ObjectView<'a> {
    /// Every declared name and the conjunction of schemas its value must satisfy.
    pub(super) props: BTreeMap<&'a str, Vec<Loc<'a>>>,
    /// What undeclared names may hold.
    pub(super) rest: Rest<'a>,
    /// Whether undeclared names may be governed by `patternProperties` (or similar).
    pub(super) unknown_names: bool,
}

/// Undeclared properties: any value, none, or values of a schema.
#[derive(Debug)]
pub(super) enum Rest<'a> {
    Open,
    Closed,
    Schema(Vec<Loc<'a>>),
}

impl<'a> Node<'a> {
    /// The allowed types, narrowed to the types of the allowed values when `enum`/`const`
    /// are present.
    pub(super) fn effective_types(&self) -> Option<BTreeSet<Atom>> {
        match &self.values {
            Some(values) => Some(values.iter().map(|v| Atom::of_value(v)).collect()),
            None => self.types.clone(),
        }
    }

    /// Whether some instance of type `atom` may be accepted.
    pub(super) fn admits(&self, atom: Atom) -> bool {
        self.effective_types().is_none_or(|t| t.contains(&atom))
    }

    pub(super) fn object_view(&self) -> ObjectView<'a> {
        let names: BTreeSet<&'a str> = self
            .object_units
            .iter()
            .flat_map(|u| u.props.keys().copied())
            .collect();
        let mut props = BTreeMap::new();
        for name in names {
            let mut conj = Vec::new();
            for unit in &self.object_units {
                match unit.props.get(name) {
                    Some(Some(loc)) => conj.push(loc.clone()),
                    Some(None) => {}
                    None if unit.unknown_names => {}
                    None => match &unit.additional {
                        Additional::Open => {}
                        Additional::False => conj.push(Loc::new(Rc::from(""), &FALSE)),
                        Additional::Schema(loc) => conj.push(loc.clone()),
                    },
                }
            }
            props.insert(name, conj);
        }
        let closed = self
            .object_units
            .iter()
            .any(|u| matches!(u.additional, Additional::False));
        let schemas: Vec<Loc<'a>> = self
            .object_units
            .iter()
            .filter_map(|u| match &u.additional {
                Additional::Schema(loc) => Some(loc.clone()),
                _ => None,
            })
            .collect();
        let rest = if closed {
            Rest::Closed
        } else if !schemas.is_empty() {
            Rest::Schema(schemas)
        } else {
            Rest::Open
        };
        ObjectView {
            props,
            rest,
            unknown_names: self.object_units.iter().any(|u| u.unknown_names),
        }
    }
}

/// Folds `locs` (a conjunction) into one [`Node`]. `pointer` is the instance path, for errors.
pub(super) fn flatten<'a>(
    resolver: &Resolver<'a>,
    locs: &[Loc<'a>],
    pointer: &str,
) -> Result<Node<'a>, CompatError> {
    let mut flattener = Flattener {
        resolver,
        pointer,
        stack: Vec::new(),
        node: Node::default(),
    };
    for loc in locs {
        flattener.absorb(loc)?;
    }
    let mut node = flattener.node;
    if let (Some(values), Some(types)) = (&mut node.values, &node.types) {
        values.retain(|v| types.contains(&Atom::of_value(v)));
    }
    if node.values.as_ref().is_some_and(Vec::is_empty)
        || node.types.as_ref().is_some_and(BTreeSet::is_empty)
    {
        node.never = true;
    }
    Ok(node)
}

struct Flattener<'r, 'a> {
    resolver: &'r Resolver<'a>,
    pointer: &'r str,
    /// Schema objects being expanded (for `$ref` loop detection).
    stack: Vec<usize>,
    node: Node<'a>,
}

impl<'a> Flattener<'_, 'a> {
    fn invalid(&self, reason: String) -> CompatError {
        CompatError::InvalidSchema {
            pointer: self.pointer.to_owned(),
            reason,
        }
    }

    fn absorb(&mut self, loc: &Loc<'a>) -> Result<(), CompatError> {
        let map = match loc.value {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => {
                self.node.never = true;
                return Ok(());
            }
            Value::Object(map) => map,
            other => {
                return Err(self.invalid(format!(
                    "a schema must be an object or a boolean, not {other}"
                )));
            }
        };
        self.stack.push(loc.id());
        let base = loc.own_base();
        let units_start = self.node.object_units.len();
        let mut unevaluated_false = false;
        let mut has_object_keywords = false;

        for (key, value) in map {
            let key = key.as_str();
            if !is_relevant(key) {
                continue;
            }
            match key {
                "$ref" | "allOf" | "then" | "else" | "minContains" | "maxContains" => {}
                "properties" | "additionalProperties" | "patternProperties" => {
                    has_object_keywords = true;
                }
                "$dynamicRef" | "$recursiveRef" => {
                    return Err(CompatError::Unsupported {
                        keyword: key.to_owned(),
                        pointer: self.pointer.to_owned(),
                    });
                }
                "type" => self.absorb_type(value)?,
                "enum" => match value {
                    Value::Array(values) => self.absorb_values("enum", values.iter().collect()),
                    _ => return Err(self.invalid("`enum` must be an array".to_owned())),
                },
                "const" => self.absorb_values("const", vec![value]),
                "minimum" | "exclusiveMinimum" => {
                    let bound = self.bound(key, value)?;
                    if self.node.lower.is_none_or(|b| bound.tighter_lower(&b)) {
                        self.node.lower = Some(bound);
                    }
                }
                "maximum" | "exclusiveMaximum" => {
                    let bound = self.bound(key, value)?;
                    if self.node.upper.is_none_or(|b| bound.tighter_upper(&b)) {
                        self.node.upper = Some(bound);
                    }
                }
                "multipleOf" => match value.as_f64() {
                    Some(m) if m > 0.0 => self.node.multiple_of.push(m),
                    _ => {
                        return Err(
                            self.invalid("`multipleOf` must be a positive number".to_owned())
                        );
                    }
                },
                "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties"
                | "maxProperties" => {
                    let n = self.count(key, value)?;
                    let counts = match key {
                        "minLength" | "maxLength" => &mut self.node.length,
                        "minItems" | "maxItems" => &mut self.node.item_count,
                        _ => &mut self.node.property_count,
                    };
                    if key.starts_with("min") {
                        counts.min = Some(counts.min.map_or(n, |m| m.max(n)));
                    } else {
                        counts.max = Some(counts.max.map_or(n, |m| m.min(n)));
                    }
                }
                "uniqueItems" => match value {
                    Value::Bool(b) => self.node.unique_items |= *b,
                    _ => return Err(self.invalid("`uniqueItems` must be a boolean".to_owned())),
                },
                "required" => match value {
                    Value::Array(names) => {
                        for name in names {
                            match name {
                                Value::String(s) => {
                                    self.node.required.insert(s.as_str());
                                }
                                _ => {
                                    return Err(
                                        self.invalid("`required` must list strings".to_owned())
                                    );
                                }
                            }
                        }
                    }
                    _ => return Err(self.invalid("`required` must be an array".to_owned())),
                },
                "items" => match value {
                    Value::Object(_) | Value::Bool(_) => {
                        self.node.items.push(Loc::new(Rc::clone(&base), value));
                    }
                    // The pre-2020-12 tuple form: kept opaque.
                    _ => self.node.opaque.push(unit(loc, &["items"])),
                },
                "if" => self
                    .node
                    .conditionals
                    .push(unit(loc, &["if", "then", "else"])),
                "unevaluatedProperties" => match value {
                    Value::Bool(true) => {}
                    Value::Bool(false) => unevaluated_false = true,
                    _ => {
                        self.node.opaque.push(unit(loc, &["unevaluatedProperties"]));
                        self.node.object_units.push(ObjectUnit {
                            props: BTreeMap::new(),
                            additional: Additional::Open,
                            unknown_names: true,
                        });
                    }
                },
                "unevaluatedItems" => {
                    if value != &Value::Bool(true) {
                        self.node.unevaluated_items = true;
                        self.node.opaque.push(unit(loc, &["unevaluatedItems"]));
                    }
                }
                _ => match CONJUNCTS.iter().find(|(name, _)| *name == key) {
                    Some((_, keys)) => self.node.conjuncts.push(unit(loc, keys)),
                    None => self.node.opaque.push(Unit {
                        loc: loc.clone(),
                        keys: vec![key],
                    }),
                },
            }
        }

        if has_object_keywords {
            let object_unit = self.object_unit(map, &base)?;
            self.node.object_units.push(object_unit);
        }
        if let Some(reference) = map.get("$ref") {
            let Some(reference) = reference.as_str() else {
                return Err(self.invalid("`$ref` must be a string".to_owned()));
            };
            let target = self.resolver.resolve_ref(&base, reference)?;
            if self.stack.contains(&target.id()) {
                return Err(CompatError::RefCycle {
                    reference: reference.to_owned(),
                    base: base.to_string(),
                });
            }
            self.absorb(&target)?;
        }
        if let Some(members) = map.get("allOf") {
            let Value::Array(members) = members else {
                return Err(self.invalid("`allOf` must be an array".to_owned()));
            };
            for member in members {
                self.absorb(&Loc::new(Rc::clone(&base), member))?;
            }
        }
        if unevaluated_false {
            // Closes the object over every name declared in this schema object's subtree
            // (its own keywords, its `$ref` target and its `allOf` members).
            let units = &self.node.object_units[units_start..];
            let props = units
                .iter()
                .flat_map(|u| u.props.keys().copied())
                .map(|name| (name, None))
                .collect();
            let unknown_names = units.iter().any(|u| u.unknown_names);
            self.node.object_units.push(ObjectUnit {
                props,
                additional: Additional::False,
                unknown_names,
            });
            self.node.unevaluated_properties = true;
        }
        self.stack.pop();
        Ok(())
    }

    fn object_unit(
        &self,
        map: &'a serde_json::Map<String, Value>,
        base: &Rc<str>,
    ) -> Result<ObjectUnit<'a>, CompatError> {
        let mut props = BTreeMap::new();
        match map.get("properties") {
            None => {}
            Some(Value::Object(declared)) => {
                for (name, schema) in declared {
                    props.insert(name.as_str(), Some(Loc::new(Rc::clone(base), schema)));
                }
            }
            Some(_) => return Err(self.invalid("`properties` must be an object".to_owned())),
        }
        let additional = match map.get("additionalProperties") {
            None | Some(Value::Bool(true)) => Additional::Open,
            Some(Value::Bool(false)) => Additional::False,
            Some(schema @ Value::Object(_)) => {
                Additional::Schema(Loc::new(Rc::clone(base), schema))
            }
            Some(_) => {
                return Err(self.invalid("`additionalProperties` must be a schema".to_owned()));
            }
        };
        let unknown_names = map.contains_key("patternProperties");
        Ok(ObjectUnit {
            props,
            additional,
            unknown_names,
        })
    }

    fn absorb_type(&mut self, value: &Value) -> Result<(), CompatError> {
        let names: Vec<&Value> = match value {
            Value::Array(names) => names.iter().collect(),
            other => vec![other],
        };
        let mut atoms = BTreeSet::new();
        for name in names {
            let found = name.as_str().and_then(Atom::of_type_name);
            match found {
                Some(found) => atoms.extend(found.iter().copied()),
                None => return Err(self.invalid(format!("unknown type {name}"))),
            }
        }
        self.node.types = Some(match self.node.types.take() {
            Some(previous) => previous.intersection(&atoms).copied().collect(),
            None => atoms,
        });
        Ok(())
    }

    fn absorb_values(&mut self, keyword: &'static str, values: Vec<&'a Value>) {
        self.node.value_keywords.insert(keyword);
        self.node.values = Some(match self.node.values.take() {
            Some(previous) => previous
                .into_iter()
                .filter(|v| values.iter().any(|w| json_eq(v, w)))
                .collect(),
            None => {
                let mut distinct: Vec<&'a Value> = Vec::new();
                for v in values {
                    if !distinct.iter().any(|w| json_eq(v, w)) {
                        distinct.push(v);
                    }
                }
                distinct
            }
        });
    }

    fn bound(&self, keyword: &str, value: &Value) -> Result<Bound, CompatError> {
        let Some(number) = value.as_f64() else {
            return Err(self.invalid(format!("`{keyword}` must be a number")));
        };
        let (keyword, exclusive) = match keyword {
            "minimum" => ("minimum", false),
            "exclusiveMinimum" => ("exclusiveMinimum", true),
            "maximum" => ("maximum", false),
            _ => ("exclusiveMaximum", true),
        };
        Ok(Bound {
            value: number,
            exclusive,
            keyword,
        })
    }

    fn count(&self, keyword: &str, value: &Value) -> Result<u64, CompatError> {
        if let Some(n) = value.as_u64() {
            return Ok(n);
        }
        match value.as_f64() {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 1.8e19 => Ok(f as u64),
            _ => Err(self.invalid(format!("`{keyword}` must be a non-negative integer"))),
        }
    }
}

fn unit<'a>(loc: &Loc<'a>, keys: &[&'static str]) -> Unit<'a> {
    Unit {
        loc: loc.clone(),
        keys: keys.to_vec(),
    }
}
