//! HL7 acknowledgements, both ways: the ACK this interface answers the HIS with
//! ([`answer`]), and reading the ACK the HIS answers a delivery with ([`classify_response`]).
//!
//! The answer (original acknowledgement mode, on the same MLLP connection):
//!
//! | hub verdict | MSA-1 | ERR |
//! |---|---|---|
//! | accepted | `AA` | one per canonical message id, severity `I` |
//! | hub unavailable: send the same message again later | `AE` | `207`, severity `E`, the detail |
//! | refused by the hub (contract, authorization) | `AR` | one per reason: ERR-5 the rule, ERR-7 the JSON pointer, ERR-8 the text |
//! | not decodable | `AR` | ERR-2 the segment and field (`PID^1^7`), ERR-3 `100`–`207` (HL7 table 0357), ERR-8 the error |
//!
//! MSA-2 echoes the answered MSH-10; MSH-3/4 and MSH-5/6 are the answered message's MSH-5/6
//! and MSH-3/4 (from `NativeRef.reply_to`); MSH-7 is the time the adapter received the
//! message (the codec has no clock, so an answer is deterministic).
//!
//! Reading the HIS's answer: `AA`/`CA` → delivered, `AE`/`CE` → transient (retry), `AR`/`CR`
//! → permanent (dead letter, with the ERR text); an answer that cannot be read is transient.

use adapter_core::{
    CodecError, DeliveryResponse, InboundAnswer, NativeDocument, NativeRef, Verdict,
};

use crate::config::HealthConfig;
use crate::decode::reply_key;
use crate::encode::content_type;
use crate::hl7::{self, Delimiters, Field, Message, Rep, Segment};
use crate::mllp::{CARRIAGE_RETURN, END_BLOCK, START_BLOCK};
use crate::native::{HL7_VERSION, LOCAL_CODES, datatypes};

/// HL7 table 0357 code and text for a rule a refused message broke (a JSON Schema keyword
/// or a hub rule).
pub(crate) fn error_code_of_rule(rule: &str) -> (&'static str, &'static str) {
    match rule {
        "required" | "dependentRequired" => ("101", "Required field missing"),
        "enum" | "const" => ("103", "Table value not found"),
        "format"
        | "pattern"
        | "type"
        | "minLength"
        | "maxLength"
        | "minimum"
        | "maximum"
        | "exclusiveMinimum"
        | "exclusiveMaximum"
        | "minItems"
        | "maxItems"
        | "uniqueItems"
        | "additionalProperties" => ("102", "Data type error"),
        _ => ("207", "Application internal error"),
    }
}

/// HL7 table 0357 code and text for a decoding error.
fn error_code_of(error: &CodecError) -> (&'static str, &'static str) {
    match error {
        CodecError::Malformed { location, .. } if location.starts_with("segment") => {
            ("100", "Segment sequence error")
        }
        CodecError::Malformed { .. } => ("102", "Data type error"),
        CodecError::MissingField { .. } => ("101", "Required field missing"),
        CodecError::InvalidField { detail, .. } if detail.starts_with("one of") => {
            ("103", "Table value not found")
        }
        CodecError::InvalidField { .. } => ("102", "Data type error"),
        CodecError::UnsupportedKind { kind, .. }
            if ["ADT^", "REF^", "RRI^", "ORU^", "ACK"]
                .iter()
                .any(|known| kind.starts_with(known)) =>
        {
            ("201", "Unsupported event code")
        }
        CodecError::UnsupportedKind { .. } => ("200", "Unsupported message type"),
        CodecError::Unencodable { .. } => ("207", "Application internal error"),
    }
}

/// ERR-2 (ERL) of a location such as `PID-7`, `PV1-3.4.2` or `OBX-5 DISCOVERED_AT`:
/// segment ^ 1 ^ field ^ 1 ^ component ^ subcomponent.
fn error_location(error: &CodecError) -> Option<Rep> {
    let location = match error {
        CodecError::Malformed { location, .. } => location.as_str(),
        CodecError::MissingField { field, .. } | CodecError::InvalidField { field, .. } => {
            field.as_str()
        }
        CodecError::UnsupportedKind { .. } => "MSH-9",
        CodecError::Unencodable { .. } => return None,
    };
    let segment = location.get(..3)?;
    if !segment
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return None;
    }
    let rest = location.get(3..)?.strip_prefix('-')?;
    let position = rest
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or_default();
    let mut parts = position.split('.').filter(|p| !p.is_empty());
    let field = parts.next()?;
    let mut rep = Rep::new()
        .with(1, segment)
        .with(2, "1")
        .with(3, field)
        .with(4, "1");
    if let Some(component) = parts.next() {
        rep = rep.with(5, component);
    }
    if let Some(sub) = parts.next() {
        rep = rep.with(6, sub);
    }
    Some(rep)
}

fn err(code: (&str, &str), severity: &str) -> Segment {
    Segment::new("ERR")
        .with(
            3,
            Field::rep(
                Rep::new()
                    .with(1, code.0)
                    .with(2, code.1)
                    .with(3, "HL70357"),
            ),
        )
        .with(4, Field::text(severity))
}

/// The ACK answering an inbound message.
pub(crate) fn answer(config: &HealthConfig, answer: &InboundAnswer<'_>) -> NativeDocument {
    let reply = |key: &str| -> Option<Field> {
        let text = answer.native_ref?.reply_to.get(key)?;
        (!text.is_empty()).then(|| Field::from_er7(text))
    };
    let native_ref: Option<&NativeRef> = answer.native_ref;
    let trigger = native_ref
        .and_then(|r| r.document_kind.split('^').nth(1))
        .unwrap_or_default();
    let received_at = native_ref
        .and_then(|r| r.reply_to.get(reply_key::RECEIVED_AT))
        .and_then(|t| datatypes::ts_of(t));
    let control_id = native_ref
        .map(|r| r.document_id.as_str())
        .filter(|id| !id.is_empty());
    let msh = Segment::new("MSH")
        .with(
            3,
            reply(reply_key::RECEIVING_APPLICATION)
                .unwrap_or_else(|| Field::text(&config.hub_application)),
        )
        .with(
            4,
            reply(reply_key::RECEIVING_FACILITY)
                .unwrap_or_else(|| Field::text(&config.hub_facility)),
        )
        .with(
            5,
            reply(reply_key::SENDING_APPLICATION)
                .unwrap_or_else(|| Field::text(&config.his_application)),
        )
        .with(
            6,
            reply(reply_key::SENDING_FACILITY).unwrap_or_else(|| Field::text(&config.his_facility)),
        )
        .with(7, Field::opt(received_at.as_deref()))
        .with(
            9,
            Field::rep(Rep::new().with(1, "ACK").with(2, trigger).with(3, "ACK")),
        )
        .with(
            10,
            Field::text(format!(
                "ACK{}",
                control_id.map(|id| format!("-{id}")).unwrap_or_default()
            )),
        )
        .with(
            11,
            reply(reply_key::PROCESSING_ID)
                .unwrap_or_else(|| Field::text(config.processing_id.code())),
        )
        .with(
            12,
            reply(reply_key::VERSION_ID).unwrap_or_else(|| Field::text(HL7_VERSION)),
        )
        .with(18, Field::text(config.outbound_charset.msh18()));
    let (code, status, text, errors) = match answer.verdict {
        Verdict::Accepted { message_ids } => {
            let errors = message_ids
                .iter()
                .map(|id| {
                    err(("0", "Message accepted"), "I")
                        .with(
                            5,
                            Field::rep(
                                Rep::new()
                                    .with(1, "MESSAGE_ID")
                                    .with(2, "消息标识")
                                    .with(3, LOCAL_CODES),
                            ),
                        )
                        .with(8, Field::text(id))
                })
                .collect();
            ("AA", 200, None, errors)
        }
        Verdict::Unavailable { detail } => {
            let text = format!("hub unavailable, send the same message again later: {detail}");
            let errors =
                vec![err(("207", "Application internal error"), "E").with(8, Field::text(&text))];
            ("AE", 503, Some(text), errors)
        }
        Verdict::Refused { reasons } => {
            let errors = reasons
                .iter()
                .map(|r| {
                    err(error_code_of_rule(&r.code), "E")
                        .with(5, Field::rep(Rep::text(&r.code).with(3, LOCAL_CODES)))
                        .with(7, Field::text(&r.pointer))
                        .with(8, Field::text(&r.message))
                })
                .collect();
            let text = reasons
                .first()
                .map(|r| format!("refused by the hub: {}", r.message));
            ("AR", 422, text, errors)
        }
        Verdict::Malformed { error } => {
            let text = error.to_string();
            let segment = err(error_code_of(error), "E")
                .with(2, error_location(error).map(Field::rep).unwrap_or_default())
                .with(8, Field::text(&text));
            ("AR", 400, Some(text), vec![segment])
        }
    };
    let mut message = Message::new(Delimiters::STANDARD);
    message.push(msh);
    message.push(
        Segment::new("MSA")
            .with(1, Field::text(code))
            .with(2, Field::opt(control_id))
            .with(3, Field::opt(text.as_deref().map(hl7::truncate).as_deref())),
    );
    for segment in errors {
        message.push(segment);
    }
    NativeDocument {
        content_type: content_type(config.outbound_charset).to_owned(),
        path: String::new(),
        http_status: status,
        body: config.outbound_charset.encode(&message.to_er7()),
    }
}

/// Reads the HIS's answer to a delivery.
pub(crate) fn classify_response(status: u16, body: &[u8]) -> DeliveryResponse {
    let body = body.strip_prefix(&[START_BLOCK]).unwrap_or(body);
    let body = body
        .strip_suffix(&[END_BLOCK, CARRIAGE_RETURN])
        .unwrap_or(body);
    let unreadable = |why: String| DeliveryResponse::Transient {
        reason: format!("unreadable answer from the HIS (status {status}): {why}"),
    };
    let message =
        match hl7::decode_bytes(body).and_then(|(text, charset)| Message::parse(&text, charset)) {
            Ok(message) => message,
            Err(e) => return unreadable(e.to_string()),
        };
    let Some(msa) = message.segment("MSA") else {
        return unreadable("no MSA segment".to_owned());
    };
    let code = msa.text(1).unwrap_or_default();
    let reason = || {
        let mut parts: Vec<String> = Vec::new();
        if let Some(text) = msa.text(3) {
            parts.push(text.to_owned());
        }
        for e in message.all("ERR") {
            let mut part = String::new();
            if let Some(c) = e.comp(3, 1) {
                part.push_str(c);
                if let Some(t) = e.comp(3, 2) {
                    part.push(' ');
                    part.push_str(t);
                }
            }
            if let (Some(seg), Some(field)) = (e.comp(2, 1), e.comp(2, 3)) {
                part.push_str(&format!(" at {seg}-{field}"));
            }
            // HL7 2.3/2.4 HIS put the whole error in ERR-1 (ELD: segment^seq^field^code&text).
            if part.is_empty()
                && let Some(eld) = e.field(1).and_then(Field::first)
            {
                let seg = eld.comp(1).unwrap_or_default();
                let field = eld.comp(3).unwrap_or_default();
                let text = eld.sub(4, 2).or(eld.sub(4, 1)).unwrap_or_default();
                part.push_str(&format!("{seg}-{field} {text}"));
            }
            if let Some(user) = e.text(8) {
                part.push_str(": ");
                part.push_str(user);
            }
            let part = part.trim().to_owned();
            if !part.is_empty() {
                parts.push(part);
            }
        }
        if parts.is_empty() {
            format!("HL7 {code} without error text")
        } else {
            format!("HL7 {code}: {}", parts.join("; "))
        }
    };
    match code {
        "AA" | "CA" => DeliveryResponse::Delivered,
        "AE" | "CE" => DeliveryResponse::Transient { reason: reason() },
        "AR" | "CR" => DeliveryResponse::Permanent { reason: reason() },
        other => unreadable(format!("MSA-1 {other:?} is not AA, AE, AR, CA, CE or CR")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn locations_become_erl() {
        let e = CodecError::InvalidField {
            field: "PID-7".to_owned(),
            value: "19801301".to_owned(),
            detail: "month".to_owned(),
        };
        assert_eq!(
            Field::rep(error_location(&e).unwrap()).to_er7(),
            "PID^1^7^1"
        );
        let e = CodecError::MissingField {
            field: "PV1-3.4.2".to_owned(),
            meaning: String::new(),
        };
        assert_eq!(
            Field::rep(error_location(&e).unwrap()).to_er7(),
            "PV1^1^3^1^4^2"
        );
        let e = CodecError::MissingField {
            field: "OBX-5 DISCOVERED_AT".to_owned(),
            meaning: String::new(),
        };
        assert_eq!(
            Field::rep(error_location(&e).unwrap()).to_er7(),
            "OBX^1^5^1"
        );
        let e = hl7::malformed("segment 3", "x");
        assert!(error_location(&e).is_none());
    }

    #[test]
    fn classifies_acks() {
        let ack = |code: &str| {
            format!(
                "MSH|^~\\&|HIS|H|HUB|T|20250101000000||ACK^A05^ACK|9|P|2.5\rMSA|{code}|1|text\rERR||PID^1^7|102^Data type error^HL70357|E||||bad date\r"
            )
        };
        assert_eq!(
            classify_response(200, ack("AA").as_bytes()),
            DeliveryResponse::Delivered
        );
        assert_eq!(
            classify_response(200, ack("CA").as_bytes()),
            DeliveryResponse::Delivered
        );
        let DeliveryResponse::Transient { reason } = classify_response(200, ack("AE").as_bytes())
        else {
            panic!("AE is transient");
        };
        assert!(
            reason.contains("102 Data type error at PID-7: bad date"),
            "{reason}"
        );
        assert!(matches!(
            classify_response(200, ack("AR").as_bytes()),
            DeliveryResponse::Permanent { .. }
        ));
        assert!(matches!(
            classify_response(200, ack("CR").as_bytes()),
            DeliveryResponse::Permanent { .. }
        ));
        assert!(matches!(
            classify_response(200, b"<html>502</html>"),
            DeliveryResponse::Transient { .. }
        ));
        assert!(matches!(
            classify_response(200, ack("ZZ").as_bytes()),
            DeliveryResponse::Transient { .. }
        ));
        let framed = crate::mllp::frame(ack("AR").as_bytes()).unwrap();
        assert!(matches!(
            classify_response(200, &framed),
            DeliveryResponse::Permanent { .. }
        ));
        let old = "MSH|^~\\&|HIS|H|HUB|T|20250101000000||ACK|9|P|2.3\rMSA|AR|1\rERR|PID^1^7^102&Data type error\r";
        let DeliveryResponse::Permanent { reason } = classify_response(200, old.as_bytes()) else {
            panic!("AR is permanent");
        };
        assert!(reason.contains("PID-7 Data type error"), "{reason}");
    }
}
