//! OBX observations: how the interface carries canonical fields that have no home in a
//! standard HL7 field, as `OBX|n|<type>|<CODE>^<中文>^99TCH|<sub-ID>|<value>|<units>||||||<status>`.
//!
//! Invariants:
//! * An observation is identified by OBX-3.1 (the code) and OBX-4 (the sub-ID, which groups
//!   the observations of one repeated thing: a referral subject, a person involved, a
//!   notification); observations of other codes are ignored when reading, so a HIS may send
//!   more.
//! * Values are read from OBX-5; a repeating value (flags) is the OBX-5 repetitions of every
//!   OBX with that code and sub-ID.
//! * Errors name the OBX by its code (and sub-ID): `OBX-5 DISCOVERED_AT`, `OBX-5 PERSON_ROLE/2`.

use adapter_core::CodecError;
use serde::de::DeserializeOwned;

use super::datatypes::{self, yn};
use super::parts::{coded, invalid, missing};
use super::{CodeList, LOCAL_CODES, YES_NO, code};
use crate::hl7::{Field, Rep, Segment};

/// The field name of an observation's value, for errors.
pub fn field_name(obs_code: &str, group: &str) -> String {
    if group.is_empty() {
        format!("OBX-5 {obs_code}")
    } else {
        format!("OBX-5 {obs_code}/{group}")
    }
}

/// Collects OBX segments, numbering them and stamping the result status (OBX-11).
#[derive(Debug)]
pub struct ObxWriter {
    segments: Vec<Segment>,
    status: &'static str,
}

impl ObxWriter {
    /// A writer whose observations carry result status `status` (`F` final, `P` preliminary).
    pub fn new(status: &'static str) -> ObxWriter {
        ObxWriter {
            segments: Vec::new(),
            status,
        }
    }

    fn push(&mut self, obs_code: &str, group: &str, value_type: &str, value: Field, units: Rep) {
        if value.is_empty() {
            return;
        }
        let system = if obs_code == code::HEIGHT {
            "LN"
        } else {
            LOCAL_CODES
        };
        let set_id = (self.segments.len() + 1).to_string();
        self.segments.push(
            Segment::new("OBX")
                .with(1, Field::text(set_id))
                .with(2, Field::text(value_type))
                .with(
                    3,
                    Field::rep(
                        Rep::new()
                            .with(1, obs_code)
                            .with(2, code::name(obs_code))
                            .with(3, system),
                    ),
                )
                .with(4, Field::text(group))
                .with(5, value)
                .with(6, Field::rep(units))
                .with(11, Field::text(self.status)),
        );
    }

    /// A short text (ST).
    pub fn st(&mut self, obs_code: &str, group: &str, value: Option<&str>) {
        self.push(obs_code, group, "ST", Field::opt(value), Rep::new());
    }

    /// A long text (TX).
    pub fn tx(&mut self, obs_code: &str, group: &str, value: Option<&str>) {
        self.push(obs_code, group, "TX", Field::opt(value), Rep::new());
    }

    /// A time stamp (TS) from an offset date-time.
    pub fn ts(
        &mut self,
        obs_code: &str,
        group: &str,
        value: Option<&str>,
    ) -> Result<(), CodecError> {
        let Some(value) = value else {
            return Ok(());
        };
        let ts = datatypes::ts_of(value).ok_or_else(|| {
            invalid(
                field_name(obs_code, group),
                value,
                "not an offset date-time",
            )
        })?;
        self.push(obs_code, group, "TS", Field::text(ts), Rep::new());
        Ok(())
    }

    /// A date (DT) from `YYYY-MM-DD`.
    pub fn dt(
        &mut self,
        obs_code: &str,
        group: &str,
        value: Option<&str>,
    ) -> Result<(), CodecError> {
        let Some(value) = value else {
            return Ok(());
        };
        let dt = datatypes::dt_of(value)
            .ok_or_else(|| invalid(field_name(obs_code, group), value, "not a date YYYY-MM-DD"))?;
        self.push(obs_code, group, "DT", Field::text(dt), Rep::new());
        Ok(())
    }

    /// A number (NM) with its UCUM unit (`cm`, `a`, `d`, `CNY`).
    pub fn nm(&mut self, obs_code: &str, group: &str, value: Option<f64>, unit: &str) {
        let Some(value) = value else {
            return;
        };
        let units = Rep::new().with(1, unit).with(3, "UCUM");
        self.push(
            obs_code,
            group,
            "NM",
            Field::text(datatypes::nm_of(value)),
            units,
        );
    }

    /// A coded value (CE) of a code list of the interface.
    pub fn ce(&mut self, obs_code: &str, group: &str, value: Option<&str>, list: &CodeList) {
        let Some(value) = value else {
            return;
        };
        self.push(
            obs_code,
            group,
            "CE",
            Field::rep(ce(value, list)),
            Rep::new(),
        );
    }

    /// Several coded values (CE, OBX-5 repeating).
    pub fn ce_many(&mut self, obs_code: &str, group: &str, values: &[&str], list: &CodeList) {
        let reps = values.iter().map(|v| ce(v, list)).collect();
        self.push(obs_code, group, "CE", Field::reps(reps), Rep::new());
    }

    /// A coded value written as the caller built it.
    pub fn ce_rep(&mut self, obs_code: &str, group: &str, value: Rep) {
        self.push(obs_code, group, "CE", Field::rep(value), Rep::new());
    }

    /// A yes/no value (CE of HL7 table 0136).
    pub fn yn(&mut self, obs_code: &str, group: &str, value: Option<bool>) {
        let Some(value) = value else {
            return;
        };
        let text = if value { "是" } else { "否" };
        let rep = Rep::new().with(1, yn(value)).with(2, text).with(3, YES_NO);
        self.push(obs_code, group, "CE", Field::rep(rep), Rep::new());
    }

    /// The OBX segments, numbered from 1.
    pub fn into_segments(self) -> Vec<Segment> {
        self.segments
    }
}

/// A CE of a code list: `CODE^中文^99TCH`.
pub fn ce(value: &str, list: &CodeList) -> Rep {
    Rep::new()
        .with(1, value)
        .with(2, list.text(value))
        .with(3, LOCAL_CODES)
}

/// The observations of a message (or of one OBR group), for reading by code and sub-ID.
#[derive(Debug)]
pub struct Observations<'m> {
    items: Vec<(&'m str, &'m str, &'m Segment)>,
}

impl<'m> Observations<'m> {
    /// The observations among these segments (non-OBX segments are skipped).
    pub fn of(segments: impl Iterator<Item = &'m Segment>) -> Observations<'m> {
        let items = segments
            .filter(|s| s.id() == "OBX")
            .filter_map(|s| Some((s.comp(3, 1)?, s.text(4).unwrap_or_default(), s)))
            .collect();
        Observations { items }
    }

    fn first(&self, obs_code: &str, group: &str) -> Option<&'m Segment> {
        self.items
            .iter()
            .find(|(c, g, _)| *c == obs_code && *g == group)
            .map(|(_, _, s)| *s)
    }

    /// The sub-IDs used with this code, in order of first appearance.
    pub fn groups(&self, obs_code: &str) -> Vec<&'m str> {
        let mut out: Vec<&str> = Vec::new();
        for (c, g, _) in &self.items {
            if *c == obs_code && !out.contains(g) {
                out.push(g);
            }
        }
        out
    }

    /// The value's first repetition.
    pub fn rep(&self, obs_code: &str, group: &str) -> Option<&'m Rep> {
        self.first(obs_code, group)?
            .field(5)?
            .iter()
            .find(|r| !r.is_empty() && !r.is_null())
    }

    /// The value as text (OBX-5.1).
    pub fn text(&self, obs_code: &str, group: &str) -> Option<String> {
        self.rep(obs_code, group)?.comp(1).map(str::to_owned)
    }

    /// A text that must be present.
    pub fn req_text(&self, obs_code: &str, group: &str) -> Result<String, CodecError> {
        self.text(obs_code, group)
            .ok_or_else(|| missing(field_name(obs_code, group), code::name(obs_code)))
    }

    /// A time stamp as an offset date-time.
    pub fn datetime(&self, obs_code: &str, group: &str) -> Result<Option<String>, CodecError> {
        self.text(obs_code, group)
            .map(|ts| {
                datatypes::datetime_of(&ts)
                    .map_err(|detail| invalid(field_name(obs_code, group), &ts, &detail))
            })
            .transpose()
    }

    /// A time stamp that must be present.
    pub fn req_datetime(&self, obs_code: &str, group: &str) -> Result<String, CodecError> {
        self.datetime(obs_code, group)?
            .ok_or_else(|| missing(field_name(obs_code, group), code::name(obs_code)))
    }

    /// A date `YYYY-MM-DD`.
    pub fn date(&self, obs_code: &str, group: &str) -> Result<Option<String>, CodecError> {
        self.text(obs_code, group)
            .map(|dt| {
                datatypes::date_of(&dt)
                    .map_err(|detail| invalid(field_name(obs_code, group), &dt, &detail))
            })
            .transpose()
    }

    /// A number.
    pub fn number(&self, obs_code: &str, group: &str) -> Result<Option<f64>, CodecError> {
        self.text(obs_code, group)
            .map(|nm| {
                nm.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| invalid(field_name(obs_code, group), &nm, "not a number"))
            })
            .transpose()
    }

    /// A whole number that fits `T`.
    pub fn whole<T: TryFrom<u64>>(
        &self,
        obs_code: &str,
        group: &str,
    ) -> Result<Option<T>, CodecError> {
        self.text(obs_code, group)
            .map(|nm| {
                nm.trim()
                    .parse::<u64>()
                    .ok()
                    .and_then(|n| T::try_from(n).ok())
                    .ok_or_else(|| {
                        invalid(
                            field_name(obs_code, group),
                            &nm,
                            "not a whole number in range",
                        )
                    })
            })
            .transpose()
    }

    /// A yes/no value.
    pub fn yn(&self, obs_code: &str, group: &str) -> Result<Option<bool>, CodecError> {
        self.text(obs_code, group)
            .map(|v| {
                datatypes::bool_of(&v)
                    .map_err(|detail| invalid(field_name(obs_code, group), &v, &detail))
            })
            .transpose()
    }

    /// A yes/no value that must be present.
    pub fn req_yn(&self, obs_code: &str, group: &str) -> Result<bool, CodecError> {
        self.yn(obs_code, group)?
            .ok_or_else(|| missing(field_name(obs_code, group), code::name(obs_code)))
    }

    /// A coded value of a code list, as the canonical enum.
    pub fn coded<T: DeserializeOwned>(
        &self,
        obs_code: &str,
        group: &str,
        list: &CodeList,
    ) -> Result<Option<T>, CodecError> {
        self.text(obs_code, group)
            .map(|v| coded(&v, &field_name(obs_code, group), list))
            .transpose()
    }

    /// A coded value that must be present.
    pub fn req_coded<T: DeserializeOwned>(
        &self,
        obs_code: &str,
        group: &str,
        list: &CodeList,
    ) -> Result<T, CodecError> {
        self.coded(obs_code, group, list)?
            .ok_or_else(|| missing(field_name(obs_code, group), code::name(obs_code)))
    }

    /// Every coded value of the OBX-5 repetitions of this code and sub-ID; `None` when no
    /// such observation exists.
    pub fn coded_many<T: DeserializeOwned>(
        &self,
        obs_code: &str,
        group: &str,
        list: &CodeList,
    ) -> Result<Option<Vec<T>>, CodecError> {
        let name = field_name(obs_code, group);
        let mut found = false;
        let mut out = Vec::new();
        for (_, _, segment) in self
            .items
            .iter()
            .filter(|(c, g, _)| *c == obs_code && *g == group)
        {
            found = true;
            for rep in segment.reps(5) {
                if let Some(v) = rep.comp(1) {
                    out.push(coded(v, &name, list)?);
                }
            }
        }
        Ok(found.then_some(out).filter(|v| !v.is_empty()))
    }
}
