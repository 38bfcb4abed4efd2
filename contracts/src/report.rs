//! Validation reports: every violation of a message, each with the JSON pointer of the
//! offending value and a sentence a department's IT staff can act on.
//!
//! Invariants: a report is never empty (an `Err(ValidationReport)` always names at least one
//! violation); violations are sorted by pointer and deduplicated, so the same input always
//! gives the same report; values are quoted only for code fields, never for free text, so a
//! report can be logged without leaking a person's details ([`Violation::message`] is built
//! from the schema, not from arbitrary instance data, except short code values).

use std::fmt;

use serde::{Deserialize, Serialize};

/// One violated rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Violation {
    /// JSON pointer (RFC 6901) of the offending value in the message, e.g.
    /// `/payload/person/id_number`; for a missing field, the pointer the field should have.
    pub pointer: String,
    /// The rule that failed: a JSON-Schema keyword (`required`, `format`, `enum`, …) or a
    /// cross-field rule name (`minor-sensitivity`, `id-number-birth-date`, …).
    pub rule: String,
    /// What is wrong and how to fix it, in one or two sentences.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(whole message)"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {} [{}]", self.message, self.rule)
    }
}

/// Every violation found in one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// The message type as the sender wrote it, if it could be read.
    pub message_type: Option<String>,
    /// The schema version as the sender wrote it, if it could be read.
    pub schema_version: Option<String>,
    /// The violations, sorted by pointer; at most one per (pointer, rule).
    pub violations: Vec<Violation>,
}

impl ValidationReport {
    /// A report of the given violations (sorted and deduplicated here).
    pub fn new(
        message_type: Option<String>,
        schema_version: Option<String>,
        mut violations: Vec<Violation>,
    ) -> Self {
        violations.sort();
        violations.dedup();
        // The same rule can fail through two routes (a local constraint and a shared type's
        // conditional); keep one violation per (pointer, rule), the most explanatory one.
        violations.sort_by(|a, b| {
            (&a.pointer, &a.rule)
                .cmp(&(&b.pointer, &b.rule))
                .then(b.message.len().cmp(&a.message.len()))
        });
        violations.dedup_by(|later, kept| later.pointer == kept.pointer && later.rule == kept.rule);
        Self {
            message_type,
            schema_version,
            violations,
        }
    }

    /// The pointers of all violations, in order.
    pub fn pointers(&self) -> impl Iterator<Item = &str> {
        self.violations.iter().map(|v| v.pointer.as_str())
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match (&self.message_type, &self.schema_version) {
            (Some(t), Some(v)) => format!("{t} {v}"),
            (Some(t), None) => t.clone(),
            _ => "message".to_owned(),
        };
        let n = self.violations.len();
        writeln!(f, "{what}: {n} violation{}", if n == 1 { "" } else { "s" })?;
        for v in &self.violations {
            writeln!(f, "  {v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationReport {}
