//! The parts of a REFERRAL (v2) both JSON platforms translate the same way: the persons
//! found (对象) ↔ subjects, 疑似情形 ↔ suspected flags, photos ↔ attachments, and the
//! envelope a referral gets (legal bases, sensitivity, message id). The rest of a referral
//! (case or event numbers, classes, location, reporter) is each platform's own.
//!
//! Invariants: total; nothing invented (an absent native field stays absent); the native
//! paths in errors are the ones the adapter passes (`rescueInfo.persons`, `persons`).

use adapter_core::ids::message_id;
use adapter_core::{CodecError, DecodeContext};
use contracts::casting;
use contracts::catalogue::MessageType;
use contracts::model::envelope::{LegalBasis, Purpose};
use contracts::model::referral::{
    ReferralSubjectV2, ReferralV2, RequestedAction, Urgency, Willingness,
};
use contracts::model::{
    Actor, Attachment, Envelope, HealthState, PhysicalDescription, Sensitivity, SuspectedFlag,
};
use serde_json::Value;

use crate::document::Person;
use crate::read::{hub_block, hub_code, missing, required};
use crate::text::camelize;
use crate::write::{code_of, to_value, unencodable};

/// The schema version of the REFERRAL both codecs produce.
pub const REFERRAL_SCHEMA_VERSION: &str = "2.0.0";

/// The legal bases of a referral from 城管 or the grid (FORMAT.md § "Envelope of a
/// referral"): PIPL 13(1)(3) and 办法 art. 5 always; PIPL 13(1)(4) when life is in danger
/// (`IMMEDIATE`); 民发〔2006〕6号 when the person is to be sent to hospital; the 2015 MCA–MPS
/// 意见 when the person may be lost, abandoned or trafficked; 未成年人保护法 art. 92 for a
/// suspected minor; and the Taicang programme 太政办〔2020〕150号, which makes 城管 and the
/// grid referring departments. In the contract's order.
pub fn legal_basis_of(referral: &ReferralV2) -> Vec<LegalBasis> {
    let flags = referral.suspected_flags.as_deref().unwrap_or_default();
    let minor = referral.subjects.iter().any(|s| s.is_minor_suspected)
        || flags.contains(&SuspectedFlag::UnaccompaniedMinor);
    let identity = flags.iter().any(|f| {
        matches!(
            f,
            SuspectedFlag::Lost | SuspectedFlag::Abandoned | SuspectedFlag::Trafficked
        )
    });
    let mut basis = vec![LegalBasis::Pipl13_1_3];
    if referral.urgency == Urgency::Immediate {
        basis.push(LegalBasis::Pipl13_1_4);
    }
    basis.push(LegalBasis::Rule381Art5);
    if identity {
        basis.push(LegalBasis::McaMps2015);
    }
    if referral.requested_action == RequestedAction::SendToHospital {
        basis.push(LegalBasis::Mca2006_6);
    }
    if minor {
        basis.push(LegalBasis::MinorLawArt92);
    }
    basis.push(LegalBasis::Taicang2020_150);
    basis
}

/// The sensitivity of a referral: `SENSITIVE_MINOR` when a subject may be a minor (PIPL
/// art. 28), otherwise `SENSITIVE` (it always carries whereabouts and health).
pub fn sensitivity_of(referral: &ReferralV2) -> Sensitivity {
    if referral.subjects.iter().any(|s| s.is_minor_suspected) {
        Sensitivity::SensitiveMinor
    } else {
        Sensitivity::Sensitive
    }
}

/// The envelope of a referral a platform pushed (FORMAT.md § "Envelope of a referral"): the
/// message id from `native_id` (`<caseNo>/<dispatchNo>`, `<eventId>/<taskId>`), the sender
/// from the context, the receivers from the native `unit` (else the context's stations).
pub fn referral_envelope(
    sender: Actor,
    native_id: &str,
    ctx: &DecodeContext,
    unit: Option<&String>,
    sent_at: String,
    referral: &ReferralV2,
    payload: Value,
) -> Envelope<Value> {
    let receiver_org_codes = match unit {
        Some(code) => vec![code.clone()],
        None => ctx.receiver_org_codes.clone(),
    };
    Envelope {
        message_id: message_id(sender, native_id, MessageType::Referral, 0),
        message_type: MessageType::Referral,
        schema_version: REFERRAL_SCHEMA_VERSION.to_owned(),
        case_id: None,
        correlation_id: None,
        sender_org_code: ctx.sender_org_code.clone(),
        sender_org_type: sender,
        sender_system: ctx.sender_system.clone(),
        receiver_org_codes,
        sent_at,
        region_code: ctx.region_code.clone(),
        legal_basis: legal_basis_of(referral),
        purpose_code: Purpose::RescueReferral,
        sensitivity: sensitivity_of(referral),
        retention_until: None,
        signature: None,
        attachments: None,
        payload,
    }
}

/// The subjects of a referral from the persons found; `field` is the native list
/// (`rescueInfo.persons`), which must not be empty.
pub fn subjects(
    field: &str,
    persons: Option<&[Person]>,
) -> Result<Vec<ReferralSubjectV2>, CodecError> {
    persons
        .filter(|p| !p.is_empty())
        .ok_or_else(|| missing(field, "对象 (发现的人员)"))?
        .iter()
        .enumerate()
        .map(|(i, p)| subject(&format!("{field}[{i}]"), p))
        .collect()
}

fn subject(at: &str, person: &Person) -> Result<ReferralSubjectV2, CodecError> {
    let estimated_age = person
        .estimated_age
        .map(|age| {
            u8::try_from(age)
                .ok()
                .filter(|a| *a <= 120)
                .ok_or_else(|| CodecError::InvalidField {
                    field: format!("{at}.estimatedAge"),
                    value: age.to_string(),
                    detail: "目测年龄 is 0–120 years".to_owned(),
                })
        })
        .transpose()?;
    Ok(ReferralSubjectV2 {
        sex_code: required(&person.sex, &format!("{at}.sex"), "性别")?.to_owned(),
        estimated_age,
        is_minor_suspected: person
            .minor_suspected
            .ok_or_else(|| missing(&format!("{at}.minorSuspected"), "疑似未成年"))?,
        physical_description: person
            .physical_description
            .as_ref()
            .map(|v| hub_block::<PhysicalDescription>(&format!("{at}.physicalDescription"), v))
            .transpose()?,
        health: hub_block::<HealthState>(
            &format!("{at}.health"),
            person
                .health
                .as_ref()
                .ok_or_else(|| missing(&format!("{at}.health"), "健康状况"))?,
        )?,
        willingness: hub_code::<Willingness>(
            &format!("{at}.willingness"),
            required(
                &person.willingness,
                &format!("{at}.willingness"),
                "本人意愿",
            )?,
        )?,
    })
}

/// The suspected flags of a referral (hub codes); `field` is the native list
/// (`rescueInfo.suspectedFlags`).
pub fn suspected_flags(
    field: &str,
    flags: Option<&[String]>,
) -> Result<Option<Vec<SuspectedFlag>>, CodecError> {
    flags
        .map(|flags| {
            flags
                .iter()
                .enumerate()
                .map(|(i, f)| hub_code::<SuspectedFlag>(&format!("{field}[{i}]"), f))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
}

/// The REFERRAL v2 payload of a message to encode (v2, or v1 cast up to v2).
pub fn referral_v2(message: &Envelope<Value>) -> Result<ReferralV2, CodecError> {
    const T: MessageType = MessageType::Referral;
    let payload = match message.major_version() {
        Some(2) => message.payload.clone(),
        Some(1) => casting::cast(T, 1, 2, &message.payload)
            .map_err(|e| unencodable(T, format!("v1 payload cannot be cast to v2: {e}")))?,
        _ => {
            return Err(unencodable(
                T,
                format!(
                    "schema_version {} is not 1.x or 2.x",
                    message.schema_version
                ),
            ));
        }
    };
    serde_json::from_value(payload)
        .map_err(|e| unencodable(T, format!("not a REFERRAL v2 payload: {e}")))
}

/// The persons found, from a referral's subjects (hub blocks camelCase).
pub fn persons(subjects: &[ReferralSubjectV2]) -> Result<Vec<Person>, CodecError> {
    subjects
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Ok(Person {
                sex: Some(s.sex_code.clone()),
                estimated_age: s.estimated_age.map(u64::from),
                minor_suspected: Some(s.is_minor_suspected),
                willingness: Some(code_of(&s.willingness)),
                physical_description: s
                    .physical_description
                    .as_ref()
                    .map(|d| {
                        camelize(
                            &format!("/payload/subjects/{i}/physical_description"),
                            &to_value(d)?,
                        )
                    })
                    .transpose()?,
                health: Some(camelize(
                    &format!("/payload/subjects/{i}/health"),
                    &to_value(&s.health)?,
                )?),
            })
        })
        .collect()
}

/// A referral's photos as hub attachments with camelCase keys.
pub fn photos(photos: Option<&[Attachment]>) -> Result<Option<Vec<Value>>, CodecError> {
    photos
        .map(|photos| {
            photos
                .iter()
                .enumerate()
                .map(|(i, p)| camelize(&format!("/payload/photos/{i}"), &to_value(p)?))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
}

/// A referral's suspected flags as hub codes.
pub fn suspected_flag_codes(flags: Option<&[SuspectedFlag]>) -> Option<Vec<String>> {
    flags.map(|flags| flags.iter().map(code_of).collect())
}
