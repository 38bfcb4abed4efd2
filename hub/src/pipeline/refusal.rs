//! Refusals: what the hub writes when it will not route a message.
//!
//! Two outgoing messages, committed together in one store transaction before the ingress
//! ack: the original bytes to `dead.ingress` with the stage and every reason in headers
//! (kept for inspection and replay), and a `HUB_REJECTED` notice to the sender's delivery
//! queue naming every reason with its JSON pointer. Invariant: the notice is itself a valid
//! HUB_REJECTED v1 message (a test validates it against the catalogue), and it quotes only
//! the validator's sentences, which never echo free text of the refused message.

use contracts::model::Actor;
use contracts::report::Violation;
use serde_json::{Value, json};

use super::clock::now_utc8;
use crate::store::PlannedMessage;
use crate::transport::{Address, HeaderValue, Headers, header};

/// Longest reason text kept in a notice (the contract's LongText limit).
const MAX_REASON_CHARS: usize = 4000;

pub use contracts::model::hub_rejected::RejectionStage;

/// Who the hub is when it writes a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubIdentity {
    /// GB 32100 code of the hub operator.
    pub org_code: String,
    /// System name.
    pub system: String,
    /// GB/T 2260 region of the hub.
    pub region_code: String,
}

impl Default for HubIdentity {
    fn default() -> Self {
        Self {
            org_code: "11320585MB1D567891".to_owned(),
            system: "太仓市救助管理数据交换枢纽".to_owned(),
            region_code: "320585".to_owned(),
        }
    }
}

/// What is known about the refused message.
#[derive(Debug, Clone, Default)]
pub struct Refused<'a> {
    /// The raw bytes as received.
    pub raw: &'a [u8],
    /// The parsed message, if it parsed.
    pub parsed: Option<&'a Value>,
    /// The sending department, if the publisher is known.
    pub sender: Option<contracts::model::Actor>,
    /// The authenticated publisher (broker user), for the dead-letter record.
    pub publisher: Option<&'a str>,
}

fn is_uuid(s: &str) -> bool {
    // The hyphenated form only, as the envelope's `uuid` format requires.
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

fn reasons_json(reasons: &[Violation]) -> Value {
    Value::Array(
        reasons
            .iter()
            .map(|v| {
                let message: String = v.message.chars().take(MAX_REASON_CHARS).collect();
                json!({ "pointer": v.pointer, "code": v.rule, "message": message })
            })
            .collect(),
    )
}

/// Plans the dead-letter copy and (when the sender is known) the HUB_REJECTED notice.
pub fn plan_refusal(
    identity: &HubIdentity,
    refused: &Refused<'_>,
    stage: RejectionStage,
    reasons: &[Violation],
) -> Vec<PlannedMessage> {
    let field = |name: &str| {
        refused
            .parsed
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
    };
    let refused_id = field("message_id").filter(|id| is_uuid(id));
    let refused_type = field("message_type").filter(|t| !t.is_empty() && t.chars().count() <= 64);
    let reasons_value = reasons_json(reasons);
    let dead_id = refused_id
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());

    let mut dead_headers = Headers::new();
    dead_headers.insert(
        header::DEAD_STAGE.to_owned(),
        HeaderValue::Text(stage.as_str().to_owned()),
    );
    dead_headers.insert(
        header::DEAD_REASONS.to_owned(),
        HeaderValue::Text(reasons_value.to_string()),
    );
    if let Some(publisher) = refused.publisher {
        dead_headers.insert(
            header::DEAD_PUBLISHER.to_owned(),
            HeaderValue::Text(publisher.to_owned()),
        );
    }
    if let Some(sender) = refused.sender {
        dead_headers.insert(
            header::SENDER.to_owned(),
            HeaderValue::Text(sender.as_str().to_owned()),
        );
    }
    if let Some(t) = refused_type {
        dead_headers.insert(
            header::MESSAGE_TYPE.to_owned(),
            HeaderValue::Text(t.to_owned()),
        );
    }
    let mut planned = vec![PlannedMessage {
        message_id: dead_id.clone(),
        address: Address::DeadIngress.queue_name(),
        message_type: refused_type.unwrap_or("UNKNOWN").to_owned(),
        case_id: None,
        stream: None,
        body: refused.raw.to_vec(),
        headers: dead_headers,
    }];

    let Some(sender) = refused.sender.filter(|s| *s != Actor::Hub) else {
        return planned;
    };
    let notice_id = uuid::Uuid::new_v4().to_string();
    let mut payload = json!({
        "received_at": now_utc8(),
        "stage": stage.as_str(),
        "reasons": reasons_value,
        "dead_letter_ref": format!("dead.ingress/{dead_id}"),
        "retry_allowed": stage.retry_allowed(),
    });
    if let Some(id) = refused_id {
        payload["rejected_message_id"] = Value::from(id);
    }
    if let Some(t) = refused_type {
        payload["rejected_message_type"] = Value::from(t);
    }
    let receivers: Vec<&str> = field("sender_org_code")
        .filter(|c| contracts::codes::uscc::is_uscc(c))
        .into_iter()
        .collect();
    let mut notice = json!({
        "message_id": notice_id,
        "message_type": "HUB_REJECTED",
        "schema_version": "1.0.0",
        "sender_org_code": identity.org_code,
        "sender_org_type": "HUB",
        "sender_system": identity.system,
        "receiver_org_codes": receivers,
        "sent_at": now_utc8(),
        "region_code": identity.region_code,
        "legal_basis": ["PIPL13_1_3"],
        "purpose_code": "HUB_NOTICE",
        "sensitivity": "GENERAL",
        "payload": payload,
    });
    if let Some(id) = refused_id {
        notice["correlation_id"] = Value::from(id);
    }
    let mut headers = Headers::new();
    headers.insert(
        header::SENDER.to_owned(),
        HeaderValue::Text(Actor::Hub.as_str().to_owned()),
    );
    headers.insert(
        header::MESSAGE_TYPE.to_owned(),
        HeaderValue::Text("HUB_REJECTED".to_owned()),
    );
    headers.insert(
        header::SCHEMA_VERSION.to_owned(),
        HeaderValue::Text("1.0.0".to_owned()),
    );
    planned.push(PlannedMessage {
        message_id: notice_id,
        address: crate::transport::Address::Deliver(sender).queue_name(),
        message_type: "HUB_REJECTED".to_owned(),
        case_id: None,
        stream: Some((Actor::Hub.as_str().to_owned(), sender.as_str().to_owned())),
        body: notice.to_string().into_bytes(),
        headers,
    });
    planned
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(pointer: &str, rule: &str) -> Violation {
        Violation {
            pointer: pointer.to_owned(),
            rule: rule.to_owned(),
            message: "why.".to_owned(),
        }
    }

    #[test]
    fn notices_are_valid_hub_rejected_messages_at_every_stage() {
        let registry = contracts::Registry::embedded().unwrap();
        let message = serde_json::json!({
            "message_id": "0f0a599d-4783-43c2-bf68-25d9e8779d9f",
            "message_type": "REFERRAL",
            "sender_org_code": "12320585MB1A23456U"
        });
        let raw = message.to_string();
        for stage in [
            RejectionStage::Parse,
            RejectionStage::Envelope,
            RejectionStage::Contract,
            RejectionStage::SenderMismatch,
            RejectionStage::Unauthorized,
            RejectionStage::Unroutable,
        ] {
            let parsed = (stage != RejectionStage::Parse).then_some(&message);
            let refused = Refused {
                raw: raw.as_bytes(),
                parsed,
                sender: Some(Actor::Grid),
                publisher: Some("dept-grid"),
            };
            let planned = plan_refusal(
                &HubIdentity::default(),
                &refused,
                stage,
                &[
                    violation("/payload/x", "required"),
                    violation("/sent_at", "format"),
                ],
            );
            assert_eq!(planned.len(), 2, "{stage:?}");
            assert_eq!(planned[0].address, "dead.ingress");
            assert_eq!(planned[0].body, raw.as_bytes());
            assert_eq!(planned[1].address, "deliver.GRID");
            if let Err(report) = registry.validate_message(&planned[1].body) {
                panic!("{stage:?} notice invalid:\n{report}");
            }
        }
    }

    #[test]
    fn an_unknown_publisher_gets_only_the_dead_letter() {
        let refused = Refused {
            raw: b"not json",
            parsed: None,
            sender: None,
            publisher: Some("stranger"),
        };
        let planned = plan_refusal(
            &HubIdentity::default(),
            &refused,
            RejectionStage::Parse,
            &[violation("", "json")],
        );
        assert_eq!(planned.len(), 1);
        assert_eq!(
            planned[0].headers.get(header::DEAD_PUBLISHER),
            Some(&HeaderValue::Text("stranger".into()))
        );
    }
}
