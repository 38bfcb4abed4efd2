//! The identity record and the pure decisions on it: what a verified check result does to a
//! record (verify, corroborate, conflict, nothing), and what a department's IDENTITY_UPDATE
//! does.
//!
//! A record is a JSON object holding the fields of `PersonIdentity` (contracts
//! `common/v1.json`), always with `person_id` and `identity_status`. Only the fields in
//! [`FIELDS`] are kept, so a record is always a valid `IdentityDelta` of IDENTITY_UPDATE.
//!
//! # Rules
//!
//! * **Unverified → verified.** A MATCHED result over a record that no check has verified
//!   (UNKNOWN, SELF_REPORTED, DOCUMENT) replaces the claimed fields with the verified ones:
//!   verification is what the claims were waiting for, not a disagreement. A name the station
//!   had given (代称) becomes an alias.
//! * **Verified + agreeing result → corroborated.** Fields the record lacks are added; the
//!   status rises to the stronger method (DNA > police > face); nothing is overwritten.
//! * **Verified + disagreeing result → CONFLICT.** Two checks name different people (face
//!   says A, DNA says B): the record's fields stay as they are, its status becomes CONFLICT
//!   and a review is opened for the station ([`ResultDecision::Conflict`]). Only the station
//!   resolves it, with an IDENTITY_UPDATE that sets a status.
//! * **CONFLICT, DECEASED, SETTLED** are not changed by results: a disagreeing result is
//!   added to the review, an agreeing one changes nothing.
//!
//! Two identities *disagree* when both carry one of the defining fields (`id_number`,
//! `name`, `birth_date`, `sex_code`) with different values; `id_number` alone decides when
//! both have it.
//!
//! Invariants: pure; no decision drops a verified field silently.

use serde_json::{Map, Value};

/// The fields of a record (those of `PersonIdentity` and of IDENTITY_UPDATE's
/// `IdentityDelta`).
pub const FIELDS: [&str; 18] = [
    "person_id",
    "identity_status",
    "name",
    "name_is_assigned",
    "alias_names",
    "sex_code",
    "birth_date",
    "estimated_age",
    "ethnicity_code",
    "nationality_code",
    "id_doc_type",
    "id_number",
    "household_region_code",
    "household_address",
    "residence_address",
    "dialect_or_accent",
    "is_minor",
    "national_rescue_record_no",
];

/// Fields that say *who* the person is: a disagreement on one of them is a conflict.
const DEFINING: [&str; 4] = ["id_number", "name", "birth_date", "sex_code"];

/// A person's identity record (see the module docs).
pub type Record = Map<String, Value>;

/// Identity status as the registry reasons about it (CL-ID-STATUS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// UNKNOWN, SELF_REPORTED, DOCUMENT: claims no check has confirmed.
    Unverified,
    /// VERIFIED_POLICE, VERIFIED_DNA, VERIFIED_FACE.
    Verified,
    /// CONFLICT: results disagree; waiting for the station's review.
    Conflict,
    /// DECEASED or SETTLED: the record's life has ended or is settled.
    Terminal,
}

/// The standing of a status text.
pub fn standing(status: &str) -> Standing {
    match status {
        "VERIFIED_POLICE" | "VERIFIED_DNA" | "VERIFIED_FACE" => Standing::Verified,
        "CONFLICT" => Standing::Conflict,
        "DECEASED" | "SETTLED" => Standing::Terminal,
        _ => Standing::Unverified,
    }
}

/// Strength of a verified status: DNA 3, police 2, face 1 (others 0).
fn strength(status: &str) -> u8 {
    match status {
        "VERIFIED_DNA" => 3,
        "VERIFIED_POLICE" => 2,
        "VERIFIED_FACE" => 1,
        _ => 0,
    }
}

/// The status of a record (UNKNOWN when absent).
pub fn status_of(record: &Record) -> &str {
    record
        .get("identity_status")
        .and_then(Value::as_str)
        .unwrap_or("UNKNOWN")
}

/// A record from a `PersonIdentity` object: its known fields, with `person_id` set.
pub fn from_person(person_id: &str, person: &Value) -> Record {
    let mut record = Record::new();
    if let Some(fields) = person.as_object() {
        for name in FIELDS {
            if let Some(value) = fields.get(name) {
                record.insert(name.to_owned(), value.clone());
            }
        }
    }
    record.insert("person_id".to_owned(), Value::from(person_id));
    if !record.contains_key("identity_status") {
        record.insert("identity_status".to_owned(), Value::from("UNKNOWN"));
    }
    record
}

/// Whether two identities agree, disagree (with the first differing field) or cannot be
/// compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agreement {
    /// Same person as far as both say.
    Agree,
    /// Different people: this defining field differs.
    Disagree(&'static str),
}

/// Compares the defining fields of two identities (see the module docs).
pub fn agreement(a: &Map<String, Value>, b: &Map<String, Value>) -> Agreement {
    if let (Some(x), Some(y)) = (a.get("id_number"), b.get("id_number")) {
        return if x == y {
            Agreement::Agree
        } else {
            Agreement::Disagree("id_number")
        };
    }
    for field in DEFINING {
        if let (Some(x), Some(y)) = (a.get(field), b.get(field))
            && x != y
        {
            return Agreement::Disagree(field);
        }
    }
    Agreement::Agree
}

/// What a MATCHED check result does to a record.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultDecision {
    /// A new version with this record (verified or corroborated).
    Change(Record),
    /// Nothing changes (an agreeing result that adds nothing, or a record whose status
    /// results do not change).
    Unchanged,
    /// Results disagree: a review is opened; `record` is the new version when the status
    /// becomes CONFLICT, `None` when the status stays (already CONFLICT, DECEASED, SETTLED).
    Conflict {
        /// The new version, if the status changes.
        record: Option<Record>,
        /// Why: the differing field.
        field: &'static str,
    },
}

/// Decides what a MATCHED result with `matched` (a `PersonIdentity` whose status is
/// VERIFIED_*) does to `current` (see the module docs).
pub fn on_matched_result(current: &Record, matched: &Map<String, Value>) -> ResultDecision {
    let person_id = current.get("person_id").cloned().unwrap_or(Value::Null);
    let matched_status = matched
        .get("identity_status")
        .and_then(Value::as_str)
        .unwrap_or("VERIFIED_POLICE");
    let status = status_of(current);
    match standing(status) {
        Standing::Unverified => {
            let mut record = Record::new();
            for name in FIELDS {
                if let Some(value) = matched.get(name) {
                    record.insert(name.to_owned(), value.clone());
                }
            }
            // Keep what the station knows and the check does not say (e.g. its national
            // rescue record number, the person's dialect), never a claimed defining field.
            for (name, value) in current {
                if !record.contains_key(name) && !DEFINING.contains(&name.as_str()) {
                    record.insert(name.clone(), value.clone());
                }
            }
            // A verified name is the person's own: the name the station gave (代称) becomes
            // an alias, so records that knew him by it still find him.
            if matched.contains_key("name") {
                if !matched.contains_key("name_is_assigned") {
                    record.remove("name_is_assigned");
                }
                if let Some(old) = current.get("name")
                    && Some(old) != matched.get("name")
                {
                    let aliases = record
                        .entry("alias_names")
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Some(list) = aliases.as_array_mut()
                        && !list.contains(old)
                        && list.len() < 20
                    {
                        list.push(old.clone());
                    }
                }
            }
            record.insert("person_id".to_owned(), person_id);
            record.insert("identity_status".to_owned(), Value::from(matched_status));
            ResultDecision::Change(record)
        }
        Standing::Verified => match agreement(current, matched) {
            Agreement::Disagree(field) => {
                let mut record = current.clone();
                record.insert("identity_status".to_owned(), Value::from("CONFLICT"));
                ResultDecision::Conflict {
                    record: Some(record),
                    field,
                }
            }
            Agreement::Agree => {
                let mut record = current.clone();
                for name in FIELDS {
                    if let Some(value) = matched.get(name)
                        && !record.contains_key(name)
                    {
                        record.insert(name.to_owned(), value.clone());
                    }
                }
                if strength(matched_status) > strength(status) {
                    record.insert("identity_status".to_owned(), Value::from(matched_status));
                }
                if &record == current {
                    ResultDecision::Unchanged
                } else {
                    ResultDecision::Change(record)
                }
            }
        },
        Standing::Conflict | Standing::Terminal => match agreement(current, matched) {
            Agreement::Disagree(field) => ResultDecision::Conflict {
                record: None,
                field,
            },
            Agreement::Agree => ResultDecision::Unchanged,
        },
    }
}

/// Applies a department's IDENTITY_UPDATE (`change_type`, `changed_fields`) to `current`;
/// `Err` says why it cannot apply. MERGED is not handled here (it changes two records).
pub fn on_department_update(
    current: &Record,
    change_type: &str,
    changed: &Map<String, Value>,
) -> Result<Record, String> {
    let person_id = current.get("person_id").cloned().unwrap_or(Value::Null);
    if let Some(named) = changed.get("person_id")
        && named != &person_id
    {
        return Err(format!(
            "changed_fields.person_id is {named}, but the update is for {person_id}"
        ));
    }
    let mut record = current.clone();
    for (name, value) in changed {
        if FIELDS.contains(&name.as_str()) {
            record.insert(name.clone(), value.clone());
        }
    }
    record.insert("person_id".to_owned(), person_id);
    let forced = match change_type {
        "DECEASED" => Some("DECEASED"),
        "SETTLED" => Some("SETTLED"),
        _ => None,
    };
    if let Some(status) = forced {
        record.insert("identity_status".to_owned(), Value::from(status));
    }
    Ok(record)
}

/// Fills the fields `target` lacks from `absorbed` (a merge keeps the surviving record's
/// values and adds what only the duplicate knew); `person_id` and status stay `target`'s.
pub fn absorb(target: &Record, absorbed: &Record) -> Record {
    let mut record = target.clone();
    for (name, value) in absorbed {
        if name != "person_id" && name != "identity_status" && !record.contains_key(name) {
            record.insert(name.clone(), value.clone());
        }
    }
    record
}

/// The IDENTITY_UPDATE `source_of_truth` for a check method.
pub fn source_of_truth(method: &str) -> &'static str {
    match method {
        "DNA" | "DNA_SAMPLING" => "DNA",
        "FACE" => "FACE",
        _ => "POLICE_POPULATION_DB",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn claimed() -> Record {
        from_person(
            "P1",
            &json!({"identity_status": "SELF_REPORTED", "name": "李某", "sex_code": "1",
                    "is_minor": false, "dialect_or_accent": "河南口音"}),
        )
    }

    fn verified(name: &str, id: &str, status: &str) -> Map<String, Value> {
        obj(
            json!({"identity_status": status, "name": name, "sex_code": "1", "is_minor": false,
                   "id_doc_type": "111", "id_number": id, "birth_date": "1961-03-07"}),
        )
    }

    #[test]
    fn a_verified_result_replaces_claims_and_keeps_what_only_the_station_knows() {
        let decision = on_matched_result(&claimed(), &verified("李建国", "X1", "VERIFIED_POLICE"));
        let ResultDecision::Change(record) = decision else {
            panic!("expected a change, got {decision:?}");
        };
        assert_eq!(record["name"], "李建国");
        assert_eq!(record["identity_status"], "VERIFIED_POLICE");
        assert_eq!(record["dialect_or_accent"], "河南口音");
        assert_eq!(record["person_id"], "P1");
    }

    #[test]
    fn a_verified_name_replaces_the_station_s_assigned_name_which_becomes_an_alias() {
        let assigned = from_person(
            "P1",
            &json!({"identity_status": "UNKNOWN", "name": "太无名0412", "name_is_assigned": true,
                    "sex_code": "1", "is_minor": false}),
        );
        let ResultDecision::Change(record) =
            on_matched_result(&assigned, &verified("李建国", "X1", "VERIFIED_POLICE"))
        else {
            panic!()
        };
        assert_eq!(record["name"], "李建国");
        assert!(record.get("name_is_assigned").is_none());
        assert_eq!(record["alias_names"], json!(["太无名0412"]));
    }

    #[test]
    fn an_agreeing_result_corroborates_and_a_stronger_method_raises_the_status() {
        let ResultDecision::Change(first) =
            on_matched_result(&claimed(), &verified("李建国", "X1", "VERIFIED_FACE"))
        else {
            panic!()
        };
        let ResultDecision::Change(second) =
            on_matched_result(&first, &verified("李建国", "X1", "VERIFIED_DNA"))
        else {
            panic!()
        };
        assert_eq!(second["identity_status"], "VERIFIED_DNA");
        assert_eq!(
            on_matched_result(&second, &verified("李建国", "X1", "VERIFIED_FACE")),
            ResultDecision::Unchanged,
            "a weaker agreeing result changes nothing"
        );
    }

    #[test]
    fn disagreeing_verified_results_conflict_without_overwriting() {
        let ResultDecision::Change(face) =
            on_matched_result(&claimed(), &verified("李建国", "X1", "VERIFIED_FACE"))
        else {
            panic!()
        };
        let decision = on_matched_result(&face, &verified("王志强", "X2", "VERIFIED_DNA"));
        let ResultDecision::Conflict {
            record: Some(record),
            field,
        } = decision
        else {
            panic!("expected a conflict, got {decision:?}");
        };
        assert_eq!(field, "id_number");
        assert_eq!(record["identity_status"], "CONFLICT");
        assert_eq!(record["name"], "李建国", "fields are not overwritten");
        // While in CONFLICT, results only add to the review.
        assert_eq!(
            on_matched_result(&record, &verified("赵六", "X3", "VERIFIED_POLICE")),
            ResultDecision::Conflict {
                record: None,
                field: "id_number"
            }
        );
    }

    #[test]
    fn without_id_numbers_names_and_birth_dates_decide() {
        let a = obj(json!({"name": "张三", "birth_date": "1970"}));
        let b = obj(json!({"name": "张三"}));
        let c = obj(json!({"name": "张三", "birth_date": "1971"}));
        assert_eq!(agreement(&a, &b), Agreement::Agree);
        assert_eq!(agreement(&a, &c), Agreement::Disagree("birth_date"));
    }

    #[test]
    fn department_updates_apply_fields_and_terminal_changes_set_the_status() {
        let record = claimed();
        let corrected =
            on_department_update(&record, "CORRECTED", &obj(json!({"name": "李建国"}))).unwrap();
        assert_eq!(corrected["name"], "李建国");
        assert_eq!(corrected["identity_status"], "SELF_REPORTED");
        let dead =
            on_department_update(&record, "DECEASED", &obj(json!({"is_minor": false}))).unwrap();
        assert_eq!(dead["identity_status"], "DECEASED");
        assert!(
            on_department_update(&record, "CORRECTED", &obj(json!({"person_id": "P2"}))).is_err()
        );
    }

    #[test]
    fn a_merge_fills_gaps_and_keeps_the_survivor_s_values() {
        let target = from_person(
            "A",
            &json!({"identity_status": "VERIFIED_DNA", "name": "甲", "sex_code": "1", "is_minor": false}),
        );
        let dup = from_person(
            "B",
            &json!({"identity_status": "SELF_REPORTED", "name": "乙", "sex_code": "1", "is_minor": false, "dialect_or_accent": "四川"}),
        );
        let merged = absorb(&target, &dup);
        assert_eq!(merged["name"], "甲");
        assert_eq!(merged["person_id"], "A");
        assert_eq!(merged["dialect_or_accent"], "四川");
        assert_eq!(merged["identity_status"], "VERIFIED_DNA");
    }
}
