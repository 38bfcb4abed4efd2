//! Catalogue evolution check: for every message type, each pair of adjacent major versions
//! is compared with [`crate::compat`], and every breaking change must be covered by a caster
//! of [`crate::casting`] — an upcaster (old → new) covers a backward break, a downcaster
//! (new → old) a forward break. `hubctl contracts check` runs this over the catalogue and CI
//! fails on any uncovered break.
//!
//! Invariant: pure; the verdict depends only on the registry's documents and the casters.

use std::fmt;

use crate::casting;
use crate::catalogue::MessageType;
use crate::compat::{self, Change, CompatReport};
use crate::registry::Registry;

/// The verdict on one pair of adjacent versions of one message type.
#[derive(Debug)]
pub struct PairVerdict {
    /// Wire name of the message type.
    pub message_type: String,
    /// Older major version.
    pub from: u32,
    /// Newer major version.
    pub to: u32,
    /// What changed, or why the comparison failed.
    pub outcome: Result<CompatReport, compat::CompatError>,
    /// An upcaster `from → to` exists.
    pub upcaster: bool,
    /// A downcaster `to → from` exists.
    pub downcaster: bool,
}

impl PairVerdict {
    /// Backward breaks (old data unreadable by new readers) that no upcaster covers.
    pub fn uncovered_backward(&self) -> Vec<&Change> {
        match &self.outcome {
            Ok(report) if !self.upcaster => report.breaking_backward().collect(),
            _ => Vec::new(),
        }
    }

    /// Forward breaks (new data unreadable by old readers) that no downcaster covers.
    pub fn uncovered_forward(&self) -> Vec<&Change> {
        match &self.outcome {
            Ok(report) if !self.downcaster => report.breaking_forward().collect(),
            _ => Vec::new(),
        }
    }

    /// The pair is acceptable: compared successfully and every break is covered.
    pub fn is_acceptable(&self) -> bool {
        self.outcome.is_ok()
            && self.uncovered_backward().is_empty()
            && self.uncovered_forward().is_empty()
    }
}

impl fmt::Display for PairVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = format!("{} v{} -> v{}", self.message_type, self.from, self.to);
        let report = match &self.outcome {
            Err(error) => return writeln!(f, "{head}: FAILED to compare: {error}"),
            Ok(report) => report,
        };
        let backward = if report.is_backward_compatible() {
            "backward compatible".to_owned()
        } else if self.upcaster {
            "backward INCOMPATIBLE, covered by upcaster".to_owned()
        } else {
            "backward INCOMPATIBLE, NOT covered (no upcaster)".to_owned()
        };
        let forward = if report.is_forward_compatible() {
            "forward compatible".to_owned()
        } else if self.downcaster {
            "forward INCOMPATIBLE, covered by downcaster".to_owned()
        } else {
            "forward INCOMPATIBLE, NOT covered (no downcaster)".to_owned()
        };
        writeln!(f, "{head}: {backward}; {forward}")?;
        for change in &report.changes {
            let mark = match (change.breaks_backward, change.breaks_forward) {
                (true, true) => "breaks both",
                (true, false) => "breaks backward",
                (false, true) => "breaks forward",
                (false, false) => "compatible",
            };
            writeln!(f, "    [{mark}] {}", change.describe())?;
        }
        Ok(())
    }
}

/// Compares every adjacent version pair of every type in the registry.
pub fn check_catalogue(registry: &Registry) -> Vec<PairVerdict> {
    let mut types: Vec<&str> = registry.contracts().map(|c| c.message_type()).collect();
    types.dedup();
    let mut verdicts = Vec::new();
    for message_type in types {
        let versions = registry.versions(message_type);
        for pair in versions.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            let (Some(old), Some(new)) = (
                registry.contract(message_type, from),
                registry.contract(message_type, to),
            ) else {
                continue;
            };
            let outcome = compat::compare(old.schema_id(), new.schema_id(), registry.documents());
            let typed = message_type.parse::<MessageType>().ok();
            let upcaster = typed.and_then(|t| casting::find(t, from, to)).is_some();
            let downcaster = typed.and_then(|t| casting::find(t, to, from)).is_some();
            verdicts.push(PairVerdict {
                message_type: message_type.to_owned(),
                from,
                to,
                outcome,
                upcaster,
                downcaster,
            });
        }
    }
    verdicts
}
