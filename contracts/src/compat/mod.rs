//! Compatibility checking between two versions of a JSON Schema (draft 2020-12) contract.
//!
//! Owns: deciding whether a new version of a message schema can replace an old one, and
//! saying why not, field by field. It reads schemas the way a validator would — following
//! `$ref` (relative to each document's `$id`, JSON-pointer and `$anchor` fragments, across
//! documents such as `common/v1.json`), folding `allOf` — and compares what each instance
//! location accepts, recursing through `properties`, `additionalProperties` and `items`.
//! Loading schema files is not its business: callers hand it a [`SchemaSource`].
//!
//! Definitions (Confluent Schema Registry semantics):
//! * **backward compatible**: every instance valid under the OLD schema is valid under the
//!   NEW one — a consumer upgraded to the new version can read data from a producer still on
//!   the old one;
//! * **forward compatible**: every instance valid under the NEW schema is valid under the
//!   OLD one — a consumer still on the old version can read data from an upgraded producer.
//!
//! Invariants:
//! * Conservative: when the checker cannot prove that a difference preserves a direction, it
//!   reports that direction as broken, never the reverse. Keywords it cannot order (another
//!   `pattern`, a changed `if`/`then`/`else`, `patternProperties`, unknown keywords) count as
//!   breaking both ways unless structurally equal (after stripping annotations and following
//!   `$ref`s); schemas it cannot read at all (`$dynamicRef`, unresolvable `$ref`) are a
//!   [`CompatError`], not a verdict.
//! * One convention for open objects, as in Confluent: undeclared properties in data are not
//!   expected to collide with names declared later, so adding an optional property to an open
//!   object breaks nothing.
//! * Annotations never matter: `title`, `description`, `examples`, `default`, `deprecated`,
//!   `readOnly`, `writeOnly`, `$comment` and every `x-*` keyword (`x-pii`, `x-sensitivity`).
//! * Pure: no I/O, no global state; recursive schemas terminate (a pair of locations already
//!   under comparison is not compared again).
//!
//! Rules, per instance location (`B` = breaks backward, `F` = breaks forward):
//!
//! | change | B | F |
//! |---|---|---|
//! | optional property added | – | if the old object is closed |
//! | required property added | yes | if the old object is closed |
//! | property removed | if the new object is closed | if it was required |
//! | optional → required / required → optional | yes / – | – / yes |
//! | `enum`/`const` values removed / added | yes / – | – / yes |
//! | `enum`/`const` introduced / dropped | yes / – | – / yes |
//! | `const` replaced by another | yes | yes |
//! | `type` set narrowed / widened (`integer` ⊂ `number`) / other | yes / – / yes | – / yes / yes |
//! | open → closed / closed → open (`additionalProperties`, `unevaluatedProperties: false`) | yes / – | – / yes |
//! | bound (`minimum`, `exclusiveMaximum`, `maxLength`, `minItems`, `maxProperties`, `multipleOf`, `uniqueItems`, ...) tightened / loosened | yes / – | – / yes |
//! | `pattern`, `format`, `anyOf`, `oneOf`, `not`, `contains`, `propertyNames`, `dependent*` added / removed / replaced | yes / – / yes | – / yes / yes |
//! | `if`/`then`/`else` rule added / removed / replaced | yes / – / yes | – / yes / yes |
//! | `prefixItems`, `patternProperties`, `unevaluatedItems`, unknown keyword differing | yes | yes |
//! | schema became `false` / stopped being `false` | yes / – | – / yes |
//!
//! When an object admits undeclared properties through `additionalProperties: {schema}`, a
//! property added or removed is compared against that schema as well. Under
//! `unevaluatedProperties`/`unevaluatedItems`, differing applicators (`anyOf`, `oneOf`,
//! `if`, `contains`, `dependentSchemas`) break both ways, since they also decide what counts
//! as evaluated. Constraints that apply only to a type neither version admits are ignored.
//!
//! Instance paths use `*` for "every array element" and "every undeclared property":
//! `/subjects/*/willingness`.

#![deny(missing_docs)]

mod change;
mod diff;
mod eq;
mod error;
mod normalize;
mod resolve;
mod uri;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

pub use change::{Change, ChangeKind};
pub use error::CompatError;

use diff::Differ;
use resolve::Resolver;

/// Looks up a schema document by absolute URI without fragment (e.g.
/// `"https://schemas.rescue-hub.invalid/common/v1.json"`).
pub trait SchemaSource {
    /// The document whose `$id` is `uri`, if known.
    fn document(&self, uri: &str) -> Option<&Value>;
}

/// A map from `$id` to schema document.
impl SchemaSource for BTreeMap<String, Value> {
    fn document(&self, uri: &str) -> Option<&Value> {
        self.get(uri)
    }
}

/// Compares the schema at `old_uri` with the schema at `new_uri` (absolute URIs, normally
/// `$id`s; a JSON-pointer fragment selects a subschema), resolving every `$ref` through
/// `source`.
///
/// # Errors
///
/// [`CompatError`] when a schema cannot be read: unknown document, unresolvable `$ref`,
/// a `$ref` loop that never reaches a constraint, a malformed keyword, `$dynamicRef`.
pub fn compare(
    old_uri: &str,
    new_uri: &str,
    source: &dyn SchemaSource,
) -> Result<CompatReport, CompatError> {
    let resolver = Resolver::new(source);
    let root = |uri: &str| {
        resolver
            .locate(uri)
            .ok_or_else(|| CompatError::UnknownDocument {
                uri: uri.to_owned(),
            })
    };
    let old = root(old_uri)?;
    let new = root(new_uri)?;
    let mut differ = Differ::new(resolver);
    differ.diff(&[old], &[new], "", 0)?;
    Ok(CompatReport {
        changes: differ.into_changes(),
    })
}

/// Everything that differs between two schema versions, breaking or not.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CompatReport {
    /// The changes, in walk order (parents before children, properties by name).
    pub changes: Vec<Change>,
}

impl CompatReport {
    /// Whether every instance valid under the old schema is valid under the new one.
    pub fn is_backward_compatible(&self) -> bool {
        self.breaking_backward().next().is_none()
    }

    /// Whether every instance valid under the new schema is valid under the old one.
    pub fn is_forward_compatible(&self) -> bool {
        self.breaking_forward().next().is_none()
    }

    /// The changes that break backward compatibility.
    pub fn breaking_backward(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.breaks_backward)
    }

    /// The changes that break forward compatibility.
    pub fn breaking_forward(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.breaks_forward)
    }
}
