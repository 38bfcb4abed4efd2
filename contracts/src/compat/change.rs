//! The changes the checker reports and the sentence each one reads as.

use serde::Serialize;
use serde_json::Value;

/// One difference between the old and the new schema, located by instance path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Instance path the change applies to, as a JSON pointer where `*` stands for every
    /// array element or every undeclared property: `""` is the whole message,
    /// `"/location/grid_code"` a field, `"/subjects/*/willingness"` a field of each element.
    pub pointer: String,
    /// What changed (serialised inline: `"kind": "enum_narrowed", "removed": [...]`).
    #[serde(flatten)]
    pub kind: ChangeKind,
    /// Whether data valid under the old schema may be invalid under the new one.
    pub breaks_backward: bool,
    /// Whether data valid under the new schema may be invalid under the old one.
    pub breaks_forward: bool,
}

/// What changed at a [`Change::pointer`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// A property declared only in the new schema.
    PropertyAdded {
        /// Whether the new schema requires it.
        required: bool,
    },
    /// A property declared only in the old schema.
    PropertyRemoved {
        /// Whether the old schema required it.
        was_required: bool,
    },
    /// A property (or undeclared name) that is required now and was not before.
    BecameRequired,
    /// A property (or undeclared name) that was required and is not any more.
    BecameOptional,
    /// Values the old schema allowed (`enum`/`const`) that the new one does not.
    EnumNarrowed {
        /// The values no longer allowed.
        removed: Vec<Value>,
    },
    /// Values the new schema allows (`enum`/`const`) that the old one did not.
    EnumWidened {
        /// The values newly allowed.
        added: Vec<Value>,
    },
    /// The set of JSON types allowed changed. Names are `null`, `boolean`, `integer`,
    /// `number`, `string`, `array`, `object`; an empty list means "any type".
    TypeChanged {
        /// Types allowed by the old schema.
        old: Vec<String>,
        /// Types allowed by the new schema.
        new: Vec<String>,
    },
    /// An object that rejected undeclared properties now accepts them (or constrains them
    /// with a schema).
    ClosedToOpen,
    /// An object that accepted undeclared properties now rejects them.
    OpenToClosed,
    /// A constraint now admits fewer values (a keyword added, a bound made stricter).
    ConstraintTightened {
        /// The keyword, e.g. `maxLength`, `minimum`, `pattern`, `enum`.
        keyword: String,
    },
    /// A constraint now admits more values (a keyword removed, a bound relaxed).
    ConstraintLoosened {
        /// The keyword.
        keyword: String,
    },
    /// A constraint changed in a way the checker cannot order (e.g. another `pattern`),
    /// reported as breaking both ways.
    ConstraintChanged {
        /// The keyword.
        keyword: String,
    },
    /// An `if`/`then`/`else` rule was added: data must now also satisfy it.
    ConditionalAdded,
    /// An `if`/`then`/`else` rule was removed.
    ConditionalRemoved,
    /// The `if`/`then`/`else` rules differ in a way that is neither a pure addition nor a
    /// pure removal (or they interact with `unevaluatedProperties`/`unevaluatedItems`).
    ConditionalChanged,
    /// The location accepted some values and now accepts none (schema `false`, e.g. a
    /// property forbidden through `allOf`).
    BecameUnsatisfiable,
    /// The location accepted no value and now accepts some.
    BecameSatisfiable,
}

const OLD_DATA_REJECTED: &str =
    "data written under the old version may be rejected by the new version";
const NEW_DATA_REJECTED: &str = "new data may be rejected by readers still on the old version";

impl Change {
    /// One sentence saying what changed and, when it breaks compatibility, why, e.g.
    /// "required field /location/grid was added: data written under the old version lacks it".
    pub fn describe(&self) -> String {
        let at = if self.pointer.is_empty() {
            "the message root"
        } else {
            self.pointer.as_str()
        };
        let (what, backward, forward): (String, &str, &str) = match &self.kind {
            ChangeKind::PropertyAdded { required } => (
                format!("{} field {at} was added", required_word(*required)),
                if *required {
                    "data written under the old version lacks it"
                } else {
                    "data written under the old version may carry it in a shape the new version rejects"
                },
                "the old object does not admit it, so readers still on the old version reject data that carries it",
            ),
            ChangeKind::PropertyRemoved { was_required } => (
                format!("{} field {at} was removed", required_word(*was_required)),
                "the new object no longer admits it, but data written under the old version may still carry it",
                "readers still on the old version require it, but new data may lack it",
            ),
            ChangeKind::BecameRequired => (
                format!("field {at} became required"),
                "data written under the old version may lack it",
                NEW_DATA_REJECTED,
            ),
            ChangeKind::BecameOptional => (
                format!("field {at} became optional"),
                OLD_DATA_REJECTED,
                "new data may omit it, which readers still on the old version reject",
            ),
            ChangeKind::EnumNarrowed { removed } => (
                format!("{at} no longer allows {}", list(removed)),
                "data written under the old version may still use them",
                NEW_DATA_REJECTED,
            ),
            ChangeKind::EnumWidened { added } => (
                format!("{at} now also allows {}", list(added)),
                OLD_DATA_REJECTED,
                "readers still on the old version reject them",
            ),
            ChangeKind::TypeChanged { old, new } => (
                format!(
                    "the type of {at} changed from {} to {}",
                    types(old),
                    types(new)
                ),
                "data written under the old version may have a type the new version rejects",
                "new data may have a type readers still on the old version reject",
            ),
            ChangeKind::ClosedToOpen => (
                format!("{at} now accepts undeclared fields"),
                OLD_DATA_REJECTED,
                "new data may carry fields that readers still on the old version reject",
            ),
            ChangeKind::OpenToClosed => (
                format!("{at} no longer accepts undeclared fields"),
                "data written under the old version may carry fields the new version rejects",
                NEW_DATA_REJECTED,
            ),
            ChangeKind::ConstraintTightened { keyword } => (
                format!("`{keyword}` on {at} was tightened"),
                "some data written under the old version may no longer be valid",
                NEW_DATA_REJECTED,
            ),
            ChangeKind::ConstraintLoosened { keyword } => (
                format!("`{keyword}` on {at} was loosened"),
                OLD_DATA_REJECTED,
                "new data may fall outside what readers still on the old version accept",
            ),
            ChangeKind::ConstraintChanged { keyword } => (
                format!("`{keyword}` on {at} changed"),
                "data written under the old version may not satisfy the new constraint",
                "new data may not satisfy the constraint readers still on the old version check",
            ),
            ChangeKind::ConditionalAdded => (
                format!("an if/then/else rule on {at} was added"),
                "data written under the old version may not satisfy it",
                NEW_DATA_REJECTED,
            ),
            ChangeKind::ConditionalRemoved => (
                format!("an if/then/else rule on {at} was removed"),
                OLD_DATA_REJECTED,
                "new data may violate it, which readers still on the old version check",
            ),
            ChangeKind::ConditionalChanged => (
                format!("the if/then/else rules on {at} changed"),
                "data written under the old version may not satisfy the new rules",
                "new data may not satisfy the rules readers still on the old version check",
            ),
            ChangeKind::BecameUnsatisfiable => (
                format!("{at} no longer accepts any value"),
                "data written under the old version that has it is rejected",
                NEW_DATA_REJECTED,
            ),
            ChangeKind::BecameSatisfiable => (
                format!("{at} accepted no value and now accepts some"),
                OLD_DATA_REJECTED,
                "new data may carry it, which readers still on the old version reject",
            ),
        };
        let mut reasons = Vec::new();
        if self.breaks_backward {
            reasons.push(backward);
        }
        if self.breaks_forward {
            reasons.push(forward);
        }
        if reasons.is_empty() {
            format!("{what} (compatible both ways)")
        } else {
            format!("{what}: {}", reasons.join("; "))
        }
    }
}

fn required_word(required: bool) -> &'static str {
    if required { "required" } else { "optional" }
}

fn list(values: &[Value]) -> String {
    values
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn types(names: &[String]) -> String {
    if names.is_empty() {
        "any type".to_owned()
    } else {
        names.join(" or ")
    }
}
