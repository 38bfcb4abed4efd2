//! The codec as the adapter runtime uses it: ACK answers for every verdict (and reading them
//! back with `classify_response`), identification of messages that do not decode, refusal of
//! types HEALTH does not exchange, and totality on damaged input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use adapter_core::{
    Codec, CodecError, DecodeContext, DeliveryResponse, InboundAnswer, Verdict, ids,
};
use adapter_health::hl7::{Charset, Message};
use adapter_health::{HealthCodec, HealthConfig};
use contracts::model::Actor;
use contracts::model::Envelope;
use contracts::model::hub_rejected::RejectionReason;
use proptest::prelude::*;
use serde_json::Value;

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(golden_dir().join(name)).unwrap()
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/health/decode")
}

fn ctx() -> DecodeContext {
    HealthConfig::default().decode_context("2025-03-09T00:36:00+08:00")
}

fn ack_of(body: &[u8]) -> Message {
    let (text, charset) = adapter_health::hl7::decode_bytes(body).unwrap();
    Message::parse(&text, charset).unwrap()
}

#[test]
fn accepted_answer_swaps_applications_and_echoes_the_control_id() {
    let codec = HealthCodec::default();
    let decoded = codec
        .decode(&golden("admission_ack_admitted.hl7"), &ctx())
        .unwrap();
    let ids = vec![decoded.messages[0].message_id.clone()];
    let answer = codec.answer(&InboundAnswer {
        native_ref: Some(&decoded.native_ref),
        verdict: Verdict::Accepted { message_ids: &ids },
    });
    assert_eq!(answer.http_status, 200);
    let ack = ack_of(&answer.body);
    let msh = ack.segment("MSH").unwrap();
    assert_eq!(msh.text(3), Some("RESCUE-HUB"));
    assert_eq!(msh.text(4), Some("TAICANG"));
    assert_eq!(msh.text(5), Some("HIS"));
    assert_eq!(msh.text(6), Some("TCDYRMYY"));
    assert_eq!(msh.text(7), Some("20250309003600+0800"));
    assert_eq!(msh.comp(9, 1), Some("ACK"));
    assert_eq!(msh.comp(9, 2), Some("A01"));
    let msa = ack.segment("MSA").unwrap();
    assert_eq!(msa.text(1), Some("AA"));
    assert_eq!(msa.text(2), Some("HIS20250309003542001"));
    assert_eq!(ack.segment("ERR").unwrap().text(8), Some(ids[0].as_str()));
    assert_eq!(
        codec.classify_response(200, &answer.body),
        DeliveryResponse::Delivered
    );
}

#[test]
fn unavailable_and_refused_answers_read_back_as_transient_and_permanent() {
    let codec = HealthCodec::default();
    let decoded = codec
        .decode(
            &golden("admission_ack_not_admitted_custom_delimiters.hl7"),
            &ctx(),
        )
        .unwrap();
    let unavailable = codec.answer(&InboundAnswer {
        native_ref: Some(&decoded.native_ref),
        verdict: Verdict::Unavailable {
            detail: "broker did not confirm",
        },
    });
    assert_eq!(unavailable.http_status, 503);
    let ack = ack_of(&unavailable.body);
    assert_eq!(ack.segment("MSA").unwrap().text(1), Some("AE"));
    assert_eq!(
        ack.segment("MSA").unwrap().text(2),
        Some("HIS20250310081500007")
    );
    // The HIS used its own delimiters; the ACK is written with the standard ones.
    assert_eq!(ack.delimiters(), adapter_health::hl7::Delimiters::STANDARD);
    assert_eq!(ack.segment("MSH").unwrap().text(5), Some("HIS"));
    assert!(matches!(
        codec.classify_response(200, &unavailable.body),
        DeliveryResponse::Transient { reason } if reason.contains("broker did not confirm")
    ));
    let reasons = vec![
        RejectionReason {
            pointer: "/payload/transfer_id".to_owned(),
            code: "pattern".to_owned(),
            message: "送医单号 has characters outside A-Z 0-9 . _ : / -".to_owned(),
        },
        RejectionReason {
            pointer: String::new(),
            code: "UNAUTHORIZED".to_owned(),
            message: "HEALTH may not send HOSPITAL_ADMISSION".to_owned(),
        },
    ];
    let refused = codec.answer(&InboundAnswer {
        native_ref: Some(&decoded.native_ref),
        verdict: Verdict::Refused { reasons: &reasons },
    });
    let ack = ack_of(&refused.body);
    assert_eq!(ack.segment("MSA").unwrap().text(1), Some("AR"));
    let errs: Vec<_> = ack.all("ERR").collect();
    assert_eq!(errs.len(), 2);
    assert_eq!(errs[0].comp(3, 1), Some("102"));
    assert_eq!(errs[0].comp(5, 1), Some("pattern"));
    assert_eq!(errs[0].text(7), Some("/payload/transfer_id"));
    assert_eq!(errs[1].comp(3, 1), Some("207"));
    let DeliveryResponse::Permanent { reason } = codec.classify_response(200, &refused.body) else {
        panic!("AR is permanent");
    };
    assert!(
        reason.contains("HEALTH may not send HOSPITAL_ADMISSION"),
        "{reason}"
    );
}

#[test]
fn malformed_answer_names_segment_and_field_and_echoes_the_control_id() {
    let codec = HealthCodec::default();
    let bytes = golden("bad_birth_date_pid7.hl7");
    let error = codec.decode(&bytes, &ctx()).unwrap_err();
    assert!(matches!(&error, CodecError::InvalidField { field, .. } if field == "PID-7"));
    let native_ref = codec.identify(&bytes, &ctx()).unwrap();
    assert_eq!(native_ref.document_id, "HUB-ECHO-0001");
    let answer = codec.answer(&InboundAnswer {
        native_ref: Some(&native_ref),
        verdict: Verdict::Malformed { error: &error },
    });
    assert_eq!(answer.http_status, 400);
    let ack = ack_of(&answer.body);
    assert_eq!(ack.segment("MSA").unwrap().text(1), Some("AR"));
    assert_eq!(ack.segment("MSA").unwrap().text(2), Some("HUB-ECHO-0001"));
    let err = ack.segment("ERR").unwrap();
    assert_eq!(err.field(2).unwrap().to_er7(), "PID^1^7^1");
    assert_eq!(err.comp(3, 1), Some("102"));
    assert!(err.text(8).unwrap().contains("PID-7"));
    assert!(matches!(
        codec.classify_response(200, &answer.body),
        DeliveryResponse::Permanent { .. }
    ));

    // Bytes without a readable MSH: answered from the configuration, without MSA-2.
    let error = codec.decode(b"garbage", &ctx()).unwrap_err();
    assert!(codec.identify(b"garbage", &ctx()).is_none());
    let answer = codec.answer(&InboundAnswer {
        native_ref: None,
        verdict: Verdict::Malformed { error: &error },
    });
    let ack = ack_of(&answer.body);
    assert_eq!(ack.segment("MSH").unwrap().text(3), Some("RESCUE-HUB"));
    assert_eq!(ack.segment("MSA").unwrap().text(2), None);
    assert_eq!(ack.segment("ERR").unwrap().comp(3, 1), Some("100"));
}

#[test]
fn unsupported_kinds_answer_with_event_code_error() {
    let codec = HealthCodec::default();
    let bytes = golden("unsupported_event_adt_a40.hl7");
    let error = codec.decode(&bytes, &ctx()).unwrap_err();
    let native_ref = codec.identify(&bytes, &ctx()).unwrap();
    assert_eq!(native_ref.document_kind, "ADT^A40");
    let answer = codec.answer(&InboundAnswer {
        native_ref: Some(&native_ref),
        verdict: Verdict::Malformed { error: &error },
    });
    let ack = ack_of(&answer.body);
    assert_eq!(ack.segment("ERR").unwrap().comp(3, 1), Some("201"));
    assert_eq!(
        ack.segment("ERR").unwrap().field(2).unwrap().to_er7(),
        "MSH^1^9^1"
    );
}

#[test]
fn answers_in_gb18030_when_configured() {
    let codec = HealthCodec::new(HealthConfig {
        outbound_charset: Charset::Gb18030,
        ..HealthConfig::default()
    });
    let decoded = codec
        .decode(&golden("discharge_planned_gb18030.hl7"), &ctx())
        .unwrap();
    let reasons = vec![RejectionReason {
        pointer: "/payload/discharge_at".to_owned(),
        code: "format".to_owned(),
        message: "出院时间格式错误".to_owned(),
    }];
    let answer = codec.answer(&InboundAnswer {
        native_ref: Some(&decoded.native_ref),
        verdict: Verdict::Refused { reasons: &reasons },
    });
    assert!(answer.content_type.contains("GB18030"));
    assert!(std::str::from_utf8(&answer.body).is_err());
    let DeliveryResponse::Permanent { reason } = codec.classify_response(200, &answer.body) else {
        panic!("AR is permanent");
    };
    assert!(reason.contains("出院时间格式错误"));
}

#[test]
fn types_health_does_not_exchange_are_unencodable() {
    let codec = HealthCodec::default();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/fixtures/STATION_INTAKE/v1/valid/minor_grid_referral_temporary_guardianship.json");
    let message: Envelope<Value> =
        serde_json::from_slice(&std::fs::read(fixture).unwrap()).unwrap();
    assert!(matches!(
        codec.encode(&message),
        Err(CodecError::Unencodable { .. })
    ));
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/fixtures/ADMISSION_ACK/v1/valid/admitted_psychiatric_ward.json");
    let mut message: Envelope<Value> =
        serde_json::from_slice(&std::fs::read(fixture).unwrap()).unwrap();
    message.schema_version = "2.0.0".to_owned();
    assert!(matches!(
        codec.encode(&message),
        Err(CodecError::Unencodable { .. })
    ));
}

fn goldens() -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "hl7"))
        .collect();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    /// Damaged messages (cut short, bytes overwritten with delimiters or anything) decode or
    /// fail cleanly, and a failure's answer reads back as a permanent refusal.
    #[test]
    fn damaged_messages_never_panic(
        index in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), prop_oneof![
                Just(b'|'), Just(b'^'), Just(b'~'), Just(b'\\'), Just(b'&'), Just(b'\r'), any::<u8>()
            ]),
            0..6,
        ),
    ) {
        let all = goldens();
        let mut bytes = all[index.index(all.len())].clone();
        for (at, byte) in edits {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        let codec = HealthCodec::default();
        let decoded = codec.decode(&bytes, &ctx());
        if let Ok(decoded) = &decoded {
            // Whatever decodes encodes again and decodes to the same envelope (the second
            // decode derives its message_id from the first's, written in MSH-10).
            for message in &decoded.messages {
                let document = codec.encode(message).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let again = codec.decode(&document.body, &ctx()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let mut expected = message.clone();
                expected.message_id = ids::message_id(Actor::Health, &message.message_id, message.message_type, 0);
                prop_assert_eq!(&again.messages[0], &expected);
            }
        }
        if let Err(error) = decoded {
            let native_ref = codec.identify(&bytes, &ctx());
            let answer = codec.answer(&InboundAnswer {
                native_ref: native_ref.as_ref(),
                verdict: Verdict::Malformed { error: &error },
            });
            let is_permanent = matches!(
                codec.classify_response(200, &answer.body),
                DeliveryResponse::Permanent { .. }
            );
            prop_assert!(is_permanent);
        }
    }
}
