//! The five department systems a simulator can stand in for, and the protocol each speaks.
//!
//! Deliberately independent of `contracts::model::Actor` and of the adapters: a simulator is
//! the department's own system and knows nothing of the hub's model.

use std::fmt;
use std::str::FromStr;

use crate::error::SimError;

/// A department system (部门业务系统).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Department {
    /// 公安: the police information system behind the boundary platform (XML over HTTP).
    Police,
    /// 卫健: the hospital's HIS interface engine (HL7 v2 over MLLP).
    Health,
    /// 城管: the digital city-management platform (JSON over HTTP).
    Citymgmt,
    /// 网格: the social-governance grid platform (JSON over HTTP).
    Grid,
    /// 救助站: the rescue station's management system (JSON over HTTP).
    Station,
}

/// How a department system is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP `POST` of documents, receipts in the answer.
    Http,
    /// HL7 v2 over MLLP, ACKs on the same connection.
    Mllp,
}

impl Department {
    /// All five, in a stable order.
    pub const ALL: [Department; 5] = [
        Department::Police,
        Department::Health,
        Department::Citymgmt,
        Department::Grid,
        Department::Station,
    ];

    /// The upper-case name the hub uses (`POLICE`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Department::Police => "POLICE",
            Department::Health => "HEALTH",
            Department::Citymgmt => "CITYMGMT",
            Department::Grid => "GRID",
            Department::Station => "STATION",
        }
    }

    /// The protocol of the department's system.
    pub const fn protocol(self) -> Protocol {
        match self {
            Department::Health => Protocol::Mllp,
            _ => Protocol::Http,
        }
    }
}

impl fmt::Display for Department {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Department {
    type Err = SimError;

    /// Case-insensitive: `police`, `POLICE`, `Police`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Department::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SimError::Department(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn names_parse_both_ways() {
        for d in Department::ALL {
            assert_eq!(d.as_str().parse::<Department>().unwrap(), d);
            assert_eq!(d.as_str().to_lowercase().parse::<Department>().unwrap(), d);
        }
        assert!("CIVIL".parse::<Department>().is_err());
        assert_eq!(Department::Health.protocol(), Protocol::Mllp);
        assert_eq!(Department::Grid.protocol(), Protocol::Http);
    }
}
