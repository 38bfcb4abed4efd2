//! Why a comparison could not be made at all (as opposed to a breaking change, which is a
//! result).

/// A comparison that could not be carried out. The checker never guesses past these: an
/// unresolvable or unsupported schema is an error, not a "compatible" verdict.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompatError {
    /// The old or new schema URI given to [`compare`](super::compare) is not in the source.
    #[error("schema document {uri} is not known to the schema source")]
    UnknownDocument {
        /// The URI that was looked up.
        uri: String,
    },
    /// A `$ref` whose document is not in the source, or whose fragment points nowhere.
    #[error("cannot resolve $ref {reference:?} against base {base}")]
    UnresolvedRef {
        /// The `$ref` value as written.
        reference: String,
        /// The base URI it was resolved against.
        base: String,
    },
    /// A chain of `$ref`/`allOf` that comes back to itself before reaching any keyword that
    /// constrains an instance (e.g. `{"$ref": "#"}` at the root), which no validator can
    /// evaluate either. Recursive schemas that descend into properties or items are fine.
    #[error("$ref {reference:?} (base {base}) loops back to a schema that is still being expanded")]
    RefCycle {
        /// The `$ref` value that closed the loop.
        reference: String,
        /// The base URI it was resolved against.
        base: String,
    },
    /// A keyword whose value does not have the shape JSON Schema 2020-12 requires.
    #[error("invalid schema at instance path {pointer:?}: {reason}")]
    InvalidSchema {
        /// The instance path whose schema is invalid.
        pointer: String,
        /// What is wrong.
        reason: String,
    },
    /// A keyword the checker cannot reason about soundly (`$dynamicRef`, `$recursiveRef`).
    #[error(
        "keyword {keyword} at instance path {pointer:?} is not supported by the compatibility checker"
    )]
    Unsupported {
        /// The keyword.
        keyword: String,
        /// The instance path where it occurs.
        pointer: String,
    },
    /// The schemas nest deeper than the checker's limit (a guard against runaway recursion).
    #[error("schemas nest deeper than {limit} levels at instance path {pointer:?}")]
    TooDeep {
        /// The instance path where the limit was hit.
        pointer: String,
        /// The limit.
        limit: usize,
    },
    /// The comparison visited more location pairs than the checker's limit (shared
    /// definitions are compared at every place they are used).
    #[error("comparison exceeded {limit} schema location pairs")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
}
