//! Projection: remove from a payload every field the recipient may not receive.
//!
//! The fields a recipient may receive come from the contract's `x-pii` / `x-sensitivity`
//! annotations ([`contracts::annotations`]) and the recipient's policy in config
//! (`max_sensitivity`, `allowed_pii`), narrowed by the message's own sensitivity
//! ([`policy_for_message`]): personal information inside a message more sensitive than the
//! recipient's clearance is withheld whatever its field's own tag (all data of a minor is
//! SENSITIVE_MINOR, PIPL art. 28; the grid and city management get "never identity data",
//! domain.md §6.3.2). Invariant: only withheld fields are removed, and a withheld object is
//! removed whole (its children go with it); the list of removed pointer patterns is returned
//! so it can travel with the message and into the evidence.

use contracts::annotations::{FieldAnnotation, FieldPolicy};
use contracts::model::Sensitivity;
use serde_json::Value;

/// The recipient's `policy` for a message whose envelope says `sensitivity`: unchanged when
/// the recipient is cleared for it; otherwise no personal information at all (every `x-pii`
/// field is withheld, the message's other fields still flow).
pub fn policy_for_message(
    mut policy: FieldPolicy,
    sensitivity: Option<Sensitivity>,
) -> FieldPolicy {
    if let (Some(message), Some(cleared)) = (sensitivity, policy.max_sensitivity)
        && message > cleared
    {
        policy.allowed_pii.clear();
    }
    policy
}

/// Removes every field of `payload` the policy withholds; returns the removed patterns
/// (e.g. `/subjects/*/health`) that matched at least one field, shortest first.
pub fn project(
    payload: &mut Value,
    fields: &[FieldAnnotation],
    policy: &FieldPolicy,
) -> Vec<String> {
    let (_, mut withheld) = policy.partition(fields);
    // Parents before children: once a parent is gone its children cannot match.
    withheld.sort_by_key(|p| (p.matches('/').count(), p.len()));
    let mut removed = Vec::new();
    for pattern in withheld {
        let segments: Vec<&str> = pattern.split('/').skip(1).collect();
        if remove(payload, &segments) > 0 {
            removed.push(pattern.to_owned());
        }
    }
    removed
}

/// Removes the fields matching `segments` (`*` = every array item); returns how many.
fn remove(value: &mut Value, segments: &[&str]) -> usize {
    let Some((head, rest)) = segments.split_first() else {
        return 0;
    };
    if rest.is_empty() {
        return match value {
            Value::Object(map) => usize::from(map.remove(*head).is_some()),
            _ => 0,
        };
    }
    match (value, *head) {
        (Value::Array(items), "*") => items.iter_mut().map(|item| remove(item, rest)).sum(),
        (Value::Object(map), "*") => map.values_mut().map(|item| remove(item, rest)).sum(),
        (Value::Object(map), key) => map
            .get_mut(key)
            .map(|child| remove(child, rest))
            .unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(pointer: &str, pii: Option<&str>, sensitivity: Sensitivity) -> FieldAnnotation {
        FieldAnnotation {
            pointer: pointer.to_owned(),
            pii: pii.map(str::to_owned),
            sensitivity,
        }
    }

    #[test]
    fn a_message_above_the_recipient_s_clearance_loses_all_personal_information() {
        let grid = FieldPolicy {
            max_sensitivity: Some(Sensitivity::General),
            allowed_pii: ["name".to_owned(), "phone".to_owned()].into(),
        };
        let general = policy_for_message(grid.clone(), Some(Sensitivity::General));
        assert_eq!(general, grid);
        let minor = policy_for_message(grid.clone(), Some(Sensitivity::SensitiveMinor));
        assert!(minor.allowed_pii.is_empty());
        assert_eq!(minor.max_sensitivity, Some(Sensitivity::General));
        let mut payload = json!({"case_id": "C1", "person": {"name": "李小军", "is_minor": true}});
        let fields = vec![
            field("/case_id", None, Sensitivity::General),
            field("/person/name", Some("name"), Sensitivity::General),
            field("/person/is_minor", None, Sensitivity::General),
        ];
        assert_eq!(project(&mut payload, &fields, &minor), ["/person/name"]);
        assert_eq!(
            payload,
            json!({"case_id": "C1", "person": {"is_minor": true}})
        );
        let station = FieldPolicy {
            max_sensitivity: Some(Sensitivity::SensitiveMinor),
            allowed_pii: ["name".to_owned()].into(),
        };
        assert_eq!(
            policy_for_message(station.clone(), Some(Sensitivity::SensitiveMinor)),
            station
        );
    }

    #[test]
    fn removes_withheld_fields_through_arrays_and_keeps_the_rest() {
        let mut payload = json!({
            "referral_id": "R1",
            "subjects": [
                {"sex_code": "1", "health": {"overall": "CRITICAL", "notes": "x"}},
                {"sex_code": "2", "health": {"overall": "HEALTHY"}}
            ],
            "reporter": {"name": "张三", "org_name": "城厢镇网格"}
        });
        let fields = vec![
            field("/referral_id", None, Sensitivity::General),
            field("/subjects", None, Sensitivity::General),
            field("/subjects/*/sex_code", None, Sensitivity::General),
            field("/subjects/*/health", Some("health"), Sensitivity::Sensitive),
            field(
                "/subjects/*/health/notes",
                Some("health"),
                Sensitivity::Sensitive,
            ),
            field("/reporter/name", Some("name"), Sensitivity::General),
        ];
        let policy = FieldPolicy {
            max_sensitivity: Some(Sensitivity::General),
            allowed_pii: Default::default(),
        };
        let removed = project(&mut payload, &fields, &policy);
        assert_eq!(removed, vec!["/reporter/name", "/subjects/*/health"]);
        assert_eq!(
            payload,
            json!({
                "referral_id": "R1",
                "subjects": [{"sex_code": "1"}, {"sex_code": "2"}],
                "reporter": {"org_name": "城厢镇网格"}
            })
        );
    }

    #[test]
    fn a_permissive_policy_removes_nothing() {
        let mut payload = json!({"person": {"name": "王根宝"}});
        let fields = vec![field(
            "/person/name",
            Some("name"),
            Sensitivity::SensitiveMinor,
        )];
        let policy = FieldPolicy {
            max_sensitivity: Some(Sensitivity::SensitiveMinor),
            allowed_pii: ["name".to_owned()].into_iter().collect(),
        };
        assert!(project(&mut payload, &fields, &policy).is_empty());
        assert_eq!(payload, json!({"person": {"name": "王根宝"}}));
    }
}
