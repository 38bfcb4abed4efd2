//! Cross-field rules JSON Schema cannot express, checked after the schemas.
//!
//! * `minor-sensitivity` — a message about a minor (any `is_minor`, `is_minor_suspected`
//!   or `subject_is_minor` that is `true`) must be marked `SENSITIVE_MINOR` (PIPL art. 28,
//!   domain.md §7.7);
//! * `id-number-birth-date`, `id-number-sex` — a GB 11643 ID number agrees with the
//!   `birth_date` and `sex_code` beside it (domain.md §3.1, §7.7);
//! * `case-id-agrees` — the envelope's `case_id` equals the payload's, when both are given;
//! * `trigger-agrees` — a DEADLINE_NOTICE's envelope `correlation_id` equals its payload's
//!   `trigger.message_id`, when both are given (both name the message that started the clock);
//! * `subject-count` — REFERRAL v1's `subject_count` equals the number of `subjects`.
//!
//! Invariant: rules only read the parts that are present and well-typed; a missing or
//! malformed field is the schemas' business, never reported twice.

use serde_json::Value;

use crate::codes::resident_id;
use crate::report::Violation;

/// Keys whose `true` marks a minor.
const MINOR_KEYS: [&str; 3] = ["is_minor", "is_minor_suspected", "subject_is_minor"];

/// Deepest nesting searched.
const MAX_DEPTH: usize = 32;

/// Runs every rule on a whole message.
pub(crate) fn check(
    message: &Value,
    message_type: Option<&str>,
    major: Option<u32>,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let Some(payload) = message.get("payload") else {
        return out;
    };

    if concerns_minor(payload, 0)
        && message.get("sensitivity").and_then(Value::as_str) != Some("SENSITIVE_MINOR")
    {
        out.push(Violation {
            pointer: "/sensitivity".to_owned(),
            rule: "minor-sensitivity".to_owned(),
            message: "the payload concerns a minor, so `sensitivity` must be SENSITIVE_MINOR (PIPL art. 28)."
                .to_owned(),
        });
    }

    walk_identities(payload, &mut Vec::new(), &mut out);

    if let (Some(outer), Some(inner)) = (
        message.get("case_id").and_then(Value::as_str),
        payload.get("case_id").and_then(Value::as_str),
    ) && outer != inner
    {
        out.push(Violation {
            pointer: "/payload/case_id".to_owned(),
            rule: "case-id-agrees".to_owned(),
            message: format!(
                "payload case_id `{inner}` differs from the envelope's case_id `{outer}`."
            ),
        });
    }

    if message_type == Some("DEADLINE_NOTICE")
        && let (Some(correlation), Some(trigger)) = (
            message.get("correlation_id").and_then(Value::as_str),
            payload
                .get("trigger")
                .and_then(|t| t.get("message_id"))
                .and_then(Value::as_str),
        )
        && correlation != trigger
    {
        out.push(Violation {
            pointer: "/payload/trigger/message_id".to_owned(),
            rule: "trigger-agrees".to_owned(),
            message: format!(
                "trigger message_id `{trigger}` differs from the envelope's correlation_id `{correlation}`; both name the message that started the clock."
            ),
        });
    }

    if message_type == Some("REFERRAL")
        && major == Some(1)
        && let (Some(count), Some(subjects)) = (
            payload.get("subject_count").and_then(Value::as_u64),
            payload.get("subjects").and_then(Value::as_array),
        )
        && count != subjects.len() as u64
    {
        out.push(Violation {
            pointer: "/payload/subject_count".to_owned(),
            rule: "subject-count".to_owned(),
            message: format!(
                "subject_count is {count} but {} subject(s) are listed.",
                subjects.len()
            ),
        });
    }
    out
}

fn concerns_minor(value: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        Value::Object(map) => {
            MINOR_KEYS
                .iter()
                .any(|k| map.get(*k) == Some(&Value::Bool(true)))
                || map.values().any(|v| concerns_minor(v, depth + 1))
        }
        Value::Array(items) => items.iter().any(|v| concerns_minor(v, depth + 1)),
        _ => false,
    }
}

/// One step of the path from the payload to the current value; rendered into a JSON
/// pointer only when a violation is reported, so a valid message allocates nothing here.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn render(path: &[Step<'_>], leaf: &str) -> String {
    let mut pointer = String::from("/payload");
    for step in path {
        pointer.push('/');
        match step {
            Step::Key(k) => pointer.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Step::Index(i) => pointer.push_str(&i.to_string()),
        }
    }
    pointer.push('/');
    pointer.push_str(leaf);
    pointer
}

/// Finds objects carrying a resident ID number and checks it against the fields beside it.
fn walk_identities<'a>(value: &'a Value, path: &mut Vec<Step<'a>>, out: &mut Vec<Violation>) {
    if path.len() > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            let doc_type = map.get("id_doc_type").and_then(Value::as_str);
            let number = map.get("id_number").and_then(Value::as_str);
            if let (Some("111" | "112"), Some(number)) = (doc_type, number)
                && let Ok(id) = resident_id::parse(number)
            {
                let id_birth = id.birth_date.to_string();
                // A partial birth date must be a prefix of the full one.
                if let Some(birth) = map.get("birth_date").and_then(Value::as_str)
                    && !id_birth.starts_with(birth)
                {
                    out.push(Violation {
                        pointer: render(path, "birth_date"),
                        rule: "id-number-birth-date".to_owned(),
                        message: format!(
                            "birth_date {birth} disagrees with the birth date {id_birth} inside id_number."
                        ),
                    });
                }
                let id_sex = id.sex.code();
                if let Some(sex) = map.get("sex_code").and_then(Value::as_str)
                    && (sex == "1" || sex == "2")
                    && sex != id_sex
                {
                    out.push(Violation {
                        pointer: render(path, "sex_code"),
                        rule: "id-number-sex".to_owned(),
                        message: format!(
                            "sex_code {sex} disagrees with id_number, whose sequence digit gives sex {id_sex}."
                        ),
                    });
                }
            }
            for (key, child) in map {
                if child.is_object() || child.is_array() {
                    path.push(Step::Key(key));
                    walk_identities(child, path, out);
                    path.pop();
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                if child.is_object() || child.is_array() {
                    path.push(Step::Index(i));
                    walk_identities(child, path, out);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}
