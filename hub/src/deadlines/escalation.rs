//! Escalation messages: the placeholders of a rule's payload template, the values a
//! deadline captures from its trigger, and the envelope the hub sends them in.
//!
//! # Placeholders
//!
//! * `${trigger:POINTER}` — the value at a JSON pointer of the trigger message (`*` allowed:
//!   then the array of every selected value). Captured when the deadline is armed, so the
//!   timer keeps only what its escalation needs, not the whole trigger.
//! * `${deadline:NAME}` — a fact of the deadline: `rule`, `description`, `basis`, `key`,
//!   `case_id`, `step` (1 = the first deadline, 2 = the first follow-up, …), `item_id`,
//!   `trigger_message_id`, `trigger_type`, `trigger_sender`, and the instants `clock_start`,
//!   `due_at`, `fired_at` (written `YYYY-MM-DDThh:mm:ss+08:00`), which may carry an offset:
//!   `${deadline:fired_at+1h}` (`m`, `h` or `d`).
//!
//! A string that is exactly one placeholder becomes the value (any JSON type) and is left
//! out of its object or array when the value is missing; placeholders inside a longer
//! string are replaced by their text (missing → empty).
//!
//! # Invariants
//!
//! * Pure: rendering reads only the template, the captured values and the deadline's facts.
//! * The envelope is always the hub's: `sender_org_type = HUB`, the hub's organisation code
//!   and region, `correlation_id` = the trigger's `message_id`, `case_id` = the item's case;
//!   whether the result is a valid message is checked against the contracts by the engine
//!   before anything is written.

use std::time::{Duration, SystemTime};

use contracts::model::Sensitivity;
use serde_json::{Map, Value, json};

use super::calendar::{add, local_text};
use super::rules::{DeadlineRule, Escalation};
use crate::config::JsonPointerPattern;
use crate::pipeline::HubIdentity;

/// Names `${deadline:NAME}` accepts.
pub const DEADLINE_NAMES: [&str; 13] = [
    "rule",
    "description",
    "basis",
    "key",
    "case_id",
    "step",
    "item_id",
    "trigger_message_id",
    "trigger_type",
    "trigger_sender",
    "clock_start",
    "due_at",
    "fired_at",
];

/// The instants among [`DEADLINE_NAMES`] (they accept an offset).
const TIME_NAMES: [&str; 3] = ["clock_start", "due_at", "fired_at"];

/// One placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    /// `${trigger:POINTER}`.
    Trigger(String),
    /// `${deadline:NAME}` or `${deadline:NAME+N<unit>}` (offset in seconds).
    Deadline {
        /// One of [`DEADLINE_NAMES`].
        name: String,
        /// Offset added to an instant, in seconds.
        offset_seconds: u64,
    },
}

/// A piece of a template string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Literal text.
    Text(String),
    /// A placeholder.
    Slot(Placeholder),
}

/// Splits a template string into text and placeholders; `Err` names the first malformed
/// placeholder.
fn pieces(text: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            out.push(Piece::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("`{}` has no closing `}}`", &rest[start..]));
        };
        out.push(Piece::Slot(parse_placeholder(&after[..end])?));
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
    Ok(out)
}

fn parse_placeholder(inner: &str) -> Result<Placeholder, String> {
    if let Some(pointer) = inner.strip_prefix("trigger:") {
        let pattern = JsonPointerPattern::from(pointer);
        if let Some(error) = pattern.error() {
            return Err(format!("`${{{inner}}}`: {error}"));
        }
        if pointer.is_empty() {
            return Err(format!(
                "`${{{inner}}}` names the whole trigger; name one of its fields"
            ));
        }
        return Ok(Placeholder::Trigger(pointer.to_owned()));
    }
    if let Some(spec) = inner.strip_prefix("deadline:") {
        let (name, offset) =
            match spec.split_once('+') {
                None => (spec, 0),
                Some((name, offset)) => {
                    if !TIME_NAMES.contains(&name) {
                        return Err(format!(
                            "`${{{inner}}}`: only {} take an offset",
                            TIME_NAMES.join(", ")
                        ));
                    }
                    (name, parse_offset(offset).ok_or_else(|| {
                    format!("`${{{inner}}}`: the offset must be a number and m, h or d, e.g. +1h")
                })?)
                }
            };
        if !DEADLINE_NAMES.contains(&name) {
            return Err(format!(
                "`${{{inner}}}`: unknown deadline fact `{name}` (known: {})",
                DEADLINE_NAMES.join(", ")
            ));
        }
        return Ok(Placeholder::Deadline {
            name: name.to_owned(),
            offset_seconds: offset,
        });
    }
    Err(format!(
        "`${{{inner}}}` is neither ${{trigger:POINTER}} nor ${{deadline:NAME}}"
    ))
}

fn parse_offset(text: &str) -> Option<u64> {
    let unit = text.chars().last()?;
    let number: u64 = text.get(..text.len() - unit.len_utf8())?.parse().ok()?;
    let factor = match unit {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    number.checked_mul(factor)
}

/// Every placeholder of a template with the config path of its string (`base.key[0].…`), or
/// the problem (a sentence) of each malformed one.
pub fn placeholders(
    template: &Map<String, Value>,
    base: &str,
) -> Vec<(String, Result<Placeholder, String>)> {
    let mut out = Vec::new();
    for (key, value) in template {
        walk_strings(
            value,
            &format!("{base}.{key}"),
            &mut |path, text| match pieces(text) {
                Ok(pieces) => {
                    for piece in pieces {
                        if let Piece::Slot(p) = piece {
                            out.push((path.to_owned(), Ok(p)));
                        }
                    }
                }
                Err(error) => out.push((path.to_owned(), Err(error))),
            },
        );
    }
    out
}

fn walk_strings(value: &Value, path: &str, visit: &mut dyn FnMut(&str, &str)) {
    match value {
        Value::String(text) => visit(path, text),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk_strings(item, &format!("{path}[{index}]"), visit);
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                walk_strings(member, &format!("{path}.{key}"), visit);
            }
        }
        _ => {}
    }
}

/// The trigger values a rule's escalation needs, keyed by pointer: captured at arm time.
pub fn capture(escalation: &Escalation, trigger: &Value) -> Map<String, Value> {
    let mut context = Map::new();
    for (_, placeholder) in placeholders(&escalation.payload, "") {
        if let Ok(Placeholder::Trigger(pointer)) = placeholder {
            if context.contains_key(&pointer) {
                continue;
            }
            let pattern = JsonPointerPattern::from(pointer.as_str());
            let selected = pattern.select(trigger);
            let value = if pointer.split('/').any(|s| s == "*") {
                Some(Value::Array(selected.into_iter().cloned().collect()))
            } else {
                selected.first().map(|v| (*v).clone())
            };
            if let Some(value) = value {
                context.insert(pointer, value);
            }
        }
    }
    context
}

/// The facts of one deadline step, for `${deadline:…}`.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The rule.
    pub rule: &'a DeadlineRule,
    /// The item's id in the store.
    pub item_id: i64,
    /// The item's key.
    pub key: &'a str,
    /// The item's case.
    pub case_id: Option<&'a str>,
    /// The step (1-based).
    pub step: i64,
    /// The trigger's message id.
    pub trigger_message_id: &'a str,
    /// The trigger's type.
    pub trigger_type: &'a str,
    /// The trigger's sender.
    pub trigger_sender: &'a str,
    /// When the clock started.
    pub clock_start: SystemTime,
    /// When the step was due.
    pub due_at: SystemTime,
    /// When it fired.
    pub fired_at: SystemTime,
}

impl Facts<'_> {
    fn value(&self, name: &str, offset_seconds: u64) -> Option<Value> {
        let instant =
            |t: SystemTime| Value::from(local_text(add(t, Duration::from_secs(offset_seconds))));
        Some(match name {
            "rule" => Value::from(self.rule.name.clone()),
            "description" => Value::from(self.rule.description.clone()),
            "basis" => Value::from(self.rule.basis.clone()?),
            "key" => Value::from(self.key),
            "case_id" => Value::from(self.case_id?),
            "step" => Value::from(self.step),
            "item_id" => Value::from(self.item_id),
            "trigger_message_id" => Value::from(self.trigger_message_id),
            "trigger_type" => Value::from(self.trigger_type),
            "trigger_sender" => Value::from(self.trigger_sender),
            "clock_start" => instant(self.clock_start),
            "due_at" => instant(self.due_at),
            "fired_at" => instant(self.fired_at),
            _ => return None,
        })
    }
}

/// Renders a template with the captured trigger values and the deadline's facts.
pub fn render(
    template: &Map<String, Value>,
    captured: &Map<String, Value>,
    facts: &Facts<'_>,
) -> Value {
    let resolve = |placeholder: &Placeholder| -> Option<Value> {
        match placeholder {
            Placeholder::Trigger(pointer) => captured.get(pointer).cloned(),
            Placeholder::Deadline {
                name,
                offset_seconds,
            } => facts.value(name, *offset_seconds),
        }
    };
    Value::Object(
        template
            .iter()
            .filter_map(|(k, v)| render_value(v, &resolve).map(|v| (k.clone(), v)))
            .collect(),
    )
}

fn render_value(value: &Value, resolve: &dyn Fn(&Placeholder) -> Option<Value>) -> Option<Value> {
    match value {
        Value::String(text) => {
            let Ok(pieces) = pieces(text) else {
                return Some(value.clone());
            };
            if let [Piece::Slot(only)] = pieces.as_slice() {
                return resolve(only);
            }
            let mut out = String::new();
            for piece in &pieces {
                match piece {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Slot(p) => match resolve(p) {
                        Some(Value::String(s)) => out.push_str(&s),
                        Some(Value::Null) | None => {}
                        Some(other) => out.push_str(&other.to_string()),
                    },
                }
            }
            Some(Value::String(out))
        }
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .filter_map(|i| render_value(i, resolve))
                .collect(),
        )),
        Value::Object(members) => Some(Value::Object(
            members
                .iter()
                .filter_map(|(k, v)| render_value(v, resolve).map(|v| (k.clone(), v)))
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

/// The whole escalation message (envelope and rendered payload), before validation.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// Who the hub is.
    pub identity: &'a HubIdentity,
    /// The new message's id.
    pub message_id: &'a str,
    /// Organisation codes of the recipients (deduplicated here).
    pub receiver_org_codes: Vec<String>,
    /// The item's sensitivity (the trigger's), as written in the trigger's envelope.
    pub trigger_sensitivity: Option<Sensitivity>,
}

/// The message type of the hub's deadline notices (时限提醒).
pub const DEADLINE_NOTICE: &str = "DEADLINE_NOTICE";

/// The payload every DEADLINE_NOTICE carries, filled from the deadline's facts. A rule's
/// template adds what only it knows (`required_action`, `escalation_level`) and may override
/// any of these fields.
fn deadline_notice_template() -> Map<String, Value> {
    let fields = json!({
        "notice_id": "DL-${deadline:item_id}-${deadline:step}",
        "rule": "${deadline:rule}",
        "description": "${deadline:description}",
        "basis": "${deadline:basis}",
        "item_key": "${deadline:key}",
        "step": "${deadline:step}",
        "clock_start": "${deadline:clock_start}",
        "due_at": "${deadline:due_at}",
        "fired_at": "${deadline:fired_at}",
        "trigger": {
            "message_id": "${deadline:trigger_message_id}",
            "message_type": "${deadline:trigger_type}",
            "sender": "${deadline:trigger_sender}"
        }
    });
    match fields {
        Value::Object(members) => members,
        _ => Map::new(),
    }
}

/// The payload template of `escalation`: its own, over the standard fields when it is a
/// DEADLINE_NOTICE.
pub fn payload_template(escalation: &Escalation) -> Map<String, Value> {
    if escalation.message_type != DEADLINE_NOTICE {
        return escalation.payload.clone();
    }
    let mut template = deadline_notice_template();
    for (key, value) in &escalation.payload {
        template.insert(key.clone(), value.clone());
    }
    template
}

/// Builds the escalation message of `facts`' step.
pub fn message(
    escalation: &Escalation,
    envelope: &Envelope<'_>,
    captured: &Map<String, Value>,
    facts: &Facts<'_>,
) -> Value {
    let mut receivers: Vec<String> = Vec::new();
    for code in &envelope.receiver_org_codes {
        if !receivers.contains(code) {
            receivers.push(code.clone());
        }
    }
    let sensitivity = envelope
        .trigger_sensitivity
        .map_or(escalation.sensitivity, |s| s.max(escalation.sensitivity));
    let mut out = json!({
        "message_id": envelope.message_id,
        "message_type": escalation.message_type,
        "schema_version": format!("{}.0.0", escalation.version),
        "sender_org_code": envelope.identity.org_code,
        "sender_org_type": "HUB",
        "sender_system": envelope.identity.system,
        "receiver_org_codes": receivers,
        "sent_at": local_text(facts.fired_at),
        "region_code": envelope.identity.region_code,
        "legal_basis": escalation.legal_basis,
        "purpose_code": escalation.purpose_code,
        "sensitivity": sensitivity,
        "payload": render(&payload_template(escalation), captured, facts),
    });
    if let Some(case_id) = facts.case_id {
        out["case_id"] = Value::from(case_id);
    }
    if uuid::Uuid::try_parse(facts.trigger_message_id).is_ok() {
        out["correlation_id"] = Value::from(facts.trigger_message_id);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadlines::calendar::parse_instant;

    #[test]
    fn placeholders_parse_and_malformed_ones_are_named() {
        assert_eq!(
            pieces("a ${trigger:/payload/x} b").unwrap(),
            vec![
                Piece::Text("a ".into()),
                Piece::Slot(Placeholder::Trigger("/payload/x".into())),
                Piece::Text(" b".into())
            ]
        );
        assert_eq!(
            pieces("${deadline:fired_at+1h}").unwrap(),
            vec![Piece::Slot(Placeholder::Deadline {
                name: "fired_at".into(),
                offset_seconds: 3_600
            })]
        );
        for bad in [
            "${deadline:nope}",
            "${deadline:rule+1h}",
            "${deadline:due_at+1w}",
            "${trigger:payload}",
            "${trigger:}",
            "${other:x}",
            "${deadline:rule",
        ] {
            assert!(pieces(bad).is_err(), "{bad}");
        }
        assert_eq!(pieces("no placeholder $ {x}").unwrap().len(), 1);
    }

    fn rule() -> DeadlineRule {
        let text = r#"
name = "r"
description = "审查"
trigger = { message_type = "STATION_INTAKE" }
key = "/case_id"
clock_start = "ACCEPTED"
due = { days = 10 }
met_by = [{ message_type = "STATION_LEAVE", case_id = "/case_id" }]
[escalation]
message_type = "INCIDENT_REPORT"
recipients = ["CIVIL"]
purpose_code = "STATION_CARE"
legal_basis = ["MCA24"]
[escalation.payload]
incident_id = "DL-${deadline:item_id}-${deadline:step}"
location = "${trigger:/payload/location}"
missing = "${trigger:/payload/nothing}"
persons = ["${trigger:/payload/people/*/id}", "${trigger:/payload/nothing}"]
description = "个案 ${deadline:case_id} 自 ${deadline:clock_start} 起在站超过10天（${deadline:due_at}）。${trigger:/payload/nothing}"
first_report_due_at = "${deadline:fired_at+1h}"
"#;
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_template_renders_values_and_text_and_drops_missing_values() {
        let rule = rule();
        let trigger = json!({
            "case_id": "TC-1",
            "payload": {
                "location": { "address_text": "站内", "region_code": "320585" },
                "people": [{ "id": "a" }, { "id": "b" }]
            }
        });
        let escalation = rule.escalation.clone().unwrap();
        let captured = capture(&escalation, &trigger);
        assert_eq!(captured.len(), 2, "{captured:?}");
        let facts = Facts {
            rule: &rule,
            item_id: 7,
            key: "TC-1",
            case_id: Some("TC-1"),
            step: 1,
            trigger_message_id: "not-a-uuid",
            trigger_type: "STATION_INTAKE",
            trigger_sender: "STATION",
            clock_start: parse_instant("2026-03-01T07:40:00+08:00").unwrap(),
            due_at: parse_instant("2026-03-11T07:40:00+08:00").unwrap(),
            fired_at: parse_instant("2026-03-11T07:40:05+08:00").unwrap(),
        };
        let payload = render(&escalation.payload, &captured, &facts);
        assert_eq!(payload["incident_id"], "DL-7-1");
        assert_eq!(payload["location"]["region_code"], "320585");
        assert!(payload.get("missing").is_none());
        assert_eq!(payload["persons"], json!([["a", "b"]]));
        assert_eq!(
            payload["description"],
            "个案 TC-1 自 2026-03-01T07:40:00+08:00 起在站超过10天（2026-03-11T07:40:00+08:00）。"
        );
        assert_eq!(payload["first_report_due_at"], "2026-03-11T08:40:05+08:00");

        let identity = HubIdentity::default();
        let envelope = Envelope {
            identity: &identity,
            message_id: "0f0a599d-4783-43c2-bf68-25d9e8779d9f",
            receiver_org_codes: vec!["a".into(), "a".into()],
            trigger_sensitivity: Some(Sensitivity::SensitiveMinor),
        };
        let message = message(&escalation, &envelope, &captured, &facts);
        assert_eq!(message["sender_org_type"], "HUB");
        assert_eq!(message["sensitivity"], "SENSITIVE_MINOR");
        assert_eq!(message["receiver_org_codes"], json!(["a"]));
        assert_eq!(message["case_id"], "TC-1");
        assert!(message.get("correlation_id").is_none(), "not a uuid");
    }
}
