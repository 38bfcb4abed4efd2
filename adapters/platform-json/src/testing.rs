//! Test support for the 数字城管 and grid adapters' test suites (feature `test-support`):
//! the contract fixtures and golden files, a round trip through a codec, and the proptest
//! strategies of their round-trip properties (Beijing times, subjects, photos, locations,
//! reporters, whole referrals in the shape each platform pushes, and REFERRAL_OUTCOME /
//! HUB_REJECTED fixtures with fields varied and dropped, as a projected delivery would be).
//!
//! Invariant: test code only (never a dependency of a codec); it panics on a broken fixture
//! or a failed round trip, which is what a test wants.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use adapter_core::ids::message_id;
use adapter_core::{Codec, CodecError, DecodeContext, InboundAnswer, NativeRef, Verdict};
use contracts::catalogue::MessageType;
use contracts::model::envelope::Purpose;
use contracts::model::referral::{
    ReferralGeo, ReferralGrid, ReferralLocation, ReferralSubjectV2, ReferralV2, Reporter,
    ReporterKind, RequestedAction, SourceEventClass, SourceSystem, Urgency, Willingness,
};
use contracts::model::{
    Actor, Attachment, AttachmentKind, Build, Crs, Envelope, HealthCategory, HealthState,
    MentalState, PhysicalDescription, PlaceType, Sensitivity, SuspectedFlag,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use serde_json::Value;

use crate::referral::{legal_basis_of, sensitivity_of};

/// The rescue station's organisation code in the fixtures and golden files.
pub const STATION: &str = "12320585466880789G";

/// A canonical message of the contracts' fixtures (`REFERRAL/v2/valid/….json`).
pub fn fixture(path: &str) -> Envelope<Value> {
    let path = format!(
        "{}/../../contracts/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// A golden file of `department` (`tests/golden/<department>/<path>`).
pub fn golden(department: &str, path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/golden/{department}/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// `decode(encode(message))`, which must give exactly one message.
pub fn round_trip(
    codec: &dyn Codec,
    ctx: &DecodeContext,
    message: &Envelope<Value>,
) -> Envelope<Value> {
    let native = codec.encode(message).unwrap();
    let decoded = codec
        .decode(&native.body, ctx)
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&native.body)));
    assert_eq!(decoded.messages.len(), 1);
    decoded.messages.into_iter().next().unwrap()
}

/// Decode never panics on a document that looks almost right (`native` with the byte at
/// `cut` replaced by `replace`), and what it accepts is stable:
/// `decode(encode(decode(x))) == decode(x)`.
pub fn mutated_document_is_stable(
    codec: &dyn Codec,
    ctx: &DecodeContext,
    mut native: Vec<u8>,
    cut: usize,
    replace: u8,
) -> Result<(), TestCaseError> {
    if !native.is_empty() {
        let at = cut % native.len();
        native[at] = replace;
    }
    // Whatever decodes encodes again, and decodes to the same messages.
    if let Ok(decoded) = codec.decode(&native, ctx) {
        for message in &decoded.messages {
            let again = round_trip(codec, ctx, message);
            prop_assert_eq!(&again, message);
        }
    }
    Ok(())
}

/// The detail of the [`CodecError::Unencodable`] the codec must give for `message`.
pub fn unencodable(codec: &dyn Codec, message: &Envelope<Value>) -> String {
    match codec.encode(message) {
        Err(CodecError::Unencodable { detail, .. }) => detail,
        other => panic!("expected Unencodable, got {other:?}"),
    }
}

/// The codec's answer to `verdict` on the document `native_ref` (`None`: unidentified): its
/// HTTP status and body (always JSON in UTF-8).
pub fn answer<'a>(
    codec: &dyn Codec,
    native_ref: Option<&'a NativeRef>,
    verdict: Verdict<'a>,
) -> (u16, Value) {
    let doc = codec.answer(&InboundAnswer {
        native_ref,
        verdict,
    });
    assert_eq!(doc.content_type, "application/json; charset=UTF-8");
    (doc.http_status, serde_json::from_slice(&doc.body).unwrap())
}

/// Sets (`Some`) or removes (`None`) a key of a JSON object.
pub fn set(payload: &mut Value, key: &str, value: Option<Value>) {
    let map = payload.as_object_mut().unwrap();
    match value {
        Some(v) => {
            map.insert(key.to_owned(), v);
        }
        None => {
            map.remove(key);
        }
    }
}

/// `YYYY-MM-DDThh:mm:ss[.f]+08:00`.
pub fn beijing_time() -> impl Strategy<Value = String> {
    (
        2020u32..2031,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..60,
        0u32..60,
        prop::option::of("[0-9]{1,3}"),
    )
        .prop_map(|(y, mo, d, h, mi, s, frac)| {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}+08:00")
        })
}

/// Chinese text with digits and Latin letters, 1 to `max` characters.
pub fn chinese_text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[一-龥，。0-9A-Za-z]{{1,{max}}}")).unwrap()
}

/// A UUID in its text form.
pub fn uuid() -> impl Strategy<Value = String> {
    any::<u128>().prop_map(|n| {
        let h = format!("{n:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    })
}

/// A subject's health.
pub fn health() -> impl Strategy<Value = HealthState> {
    let categories = vec![
        HealthCategory::Healthy,
        HealthCategory::Critical,
        HealthCategory::Mental,
        HealthCategory::Intellectual,
        HealthCategory::PhysicalDisability,
        HealthCategory::InfectiousSuspected,
        HealthCategory::Injured,
        HealthCategory::Intoxicated,
        HealthCategory::DrugSuspected,
    ];
    (
        select(categories.clone()),
        prop::option::of(subsequence(categories, 1..3)),
        any::<bool>(),
        prop::option::of(chinese_text(30)),
    )
        .prop_map(|(overall, flags, needs_medical, notes)| HealthState {
            overall,
            flags,
            needs_medical,
            notes,
        })
}

/// A subject's physical description.
pub fn physical_description() -> impl Strategy<Value = PhysicalDescription> {
    (
        prop::option::of(100u16..200),
        prop::option::of(select(vec![
            Build::Thin,
            Build::Medium,
            Build::Stout,
            Build::Unknown,
        ])),
        prop::option::of(chinese_text(10)),
        prop::option::of(chinese_text(20)),
        prop::option::of(select(vec![MentalState::Normal, MentalState::Abnormal])),
    )
        .prop_map(
            |(height_cm, build, hair, clothing, mental_state)| PhysicalDescription {
                height_cm,
                build,
                hair,
                clothing_when_found: clothing,
                mental_state,
                ..PhysicalDescription::default()
            },
        )
}

/// One subject of a referral.
pub fn subject() -> impl Strategy<Value = ReferralSubjectV2> {
    (
        select(vec!["0", "1", "2", "9"]),
        prop::option::of(0u8..=120),
        any::<bool>(),
        prop::option::of(physical_description()),
        health(),
        select(Willingness::ALL.to_vec()),
    )
        .prop_map(
            |(sex, age, minor, description, health, willingness)| ReferralSubjectV2 {
                sex_code: sex.to_owned(),
                estimated_age: age,
                is_minor_suspected: minor || age.is_some_and(|a| a < 18),
                physical_description: description,
                health,
                willingness,
            },
        )
}

/// A photo attachment.
pub fn photo() -> impl Strategy<Value = Attachment> {
    ("[a-z0-9-]{4,20}", "[0-9a-f]{64}").prop_map(|(id, hash)| Attachment {
        attachment_id: format!("att-{id}"),
        kind: AttachmentKind::Photo,
        mime_type: "image/jpeg".to_owned(),
        hash: format!("sha256:{hash}"),
        uri: format!("hub://attachments/{id}.jpg"),
        sensitivity: Some(Sensitivity::Sensitive),
    })
}

/// A location in Taicang; with a social-governance grid (which then holds the community
/// code) only when `with_grid`.
pub fn location(with_grid: bool) -> impl Strategy<Value = ReferralLocation> {
    (
        chinese_text(40),
        prop::option::of("320585[0-9]{6}"),
        prop::option::of((
            120.0f64..122.0,
            30.0f64..32.0,
            select(vec![Crs::Cgcs2000, Crs::Wgs84, Crs::Gcj02]),
        )),
        prop::option::of((
            "320585[0-9]{6}-[0-9]{2}",
            prop::option::of(chinese_text(12)),
        )),
        prop::option::of(select(vec![
            PlaceType::RailwayOrBusStation,
            PlaceType::UnderBridge,
            PlaceType::CommercialStreet,
            PlaceType::Park,
            PlaceType::Underpass,
            PlaceType::Other,
        ])),
    )
        .prop_map(move |(address, community, geo, grid, place_type)| {
            let grid = grid.filter(|_| with_grid);
            ReferralLocation {
                address_text: address,
                region_code: "320585".to_owned(),
                community_code: if grid.is_some() {
                    None
                } else {
                    community.clone()
                },
                grid: grid.map(|(grid_code, grid_name)| ReferralGrid {
                    grid_code,
                    grid_name,
                    community_code: community,
                }),
                geo: geo.map(|(longitude, latitude, crs)| ReferralGeo {
                    longitude,
                    latitude,
                    crs,
                }),
                place_type,
            }
        })
}

/// Who reports on a platform: the reporter kinds it has a code for, the pattern of its staff
/// numbers, and its own organisation.
#[derive(Debug, Clone)]
pub struct ReporterShape {
    /// Reporter kinds with a native code.
    pub kinds: Vec<ReporterKind>,
    /// Regex of staff numbers (`JDY-[0-9]{4}`).
    pub staff_no: &'static str,
    /// The platform's organisation code.
    pub org_code: &'static str,
    /// The platform's organisation name.
    pub org_name: &'static str,
}

/// A reporter of `shape`.
pub fn reporter(shape: ReporterShape) -> impl Strategy<Value = Reporter> {
    (
        select(shape.kinds),
        prop::option::of(chinese_text(4)),
        prop::option::of("1[3-9][0-9]{9}"),
        prop::option::of(shape.staff_no),
        prop::option::of(Just(shape.org_code.to_owned())),
        prop::option::of(Just(shape.org_name.to_owned())),
    )
        .prop_map(
            |(kind, name, phone, staff_no, org_code, org_name)| Reporter {
                kind,
                name,
                phone,
                staff_no,
                org_code,
                org_name,
            },
        )
}

/// The referrals a platform pushes: its source system, the patterns of its referral ids and
/// case numbers, its event class, whether it has grids, and its reporters.
#[derive(Debug, Clone)]
pub struct ReferralShape {
    /// `source_system`.
    pub source_system: SourceSystem,
    /// Regex of `referral_id` (the dispatch or task number).
    pub referral_id: &'static str,
    /// Regex of `source_case_no`.
    pub source_case_no: &'static str,
    /// `source_event_class.major`.
    pub major: &'static str,
    /// Regex of `source_event_class.minor`.
    pub minor: &'static str,
    /// Whether `source_event_class.minor` may be absent (else it is always present).
    pub minor_optional: bool,
    /// `source_event_class.name`s.
    pub class_names: Vec<&'static str>,
    /// Whether locations may carry a grid.
    pub with_grid: bool,
    /// The reporters.
    pub reporter: ReporterShape,
}

/// A referral of `shape`, generated field by field.
pub fn referral(shape: ReferralShape) -> impl Strategy<Value = ReferralV2> {
    let (source_system, major) = (shape.source_system, shape.major);
    let minor_optional = shape.minor_optional;
    (
        (
            shape.referral_id,
            shape.source_case_no,
            select(shape.class_names),
            (shape.minor, any::<bool>()),
            beijing_time(),
            location(shape.with_grid),
            reporter(shape.reporter),
        ),
        (
            prop::collection::vec(subject(), 1..4),
            prop::option::of(subsequence(
                vec![
                    SuspectedFlag::Lost,
                    SuspectedFlag::Abandoned,
                    SuspectedFlag::Trafficked,
                    SuspectedFlag::UnaccompaniedMinor,
                ],
                1..3,
            )),
            select(vec![Urgency::Immediate, Urgency::Normal]),
            select(vec![
                RequestedAction::StreetOutreach,
                RequestedAction::EscortToStation,
                RequestedAction::SendToHospital,
                RequestedAction::InformOnly,
            ]),
            prop::option::of(beijing_time()),
            prop::option::of(prop::collection::vec(photo(), 1..3)),
            prop::option::of(chinese_text(60)),
        ),
    )
        .prop_map(
            move |(
                (
                    referral_id,
                    source_case_no,
                    class_name,
                    (minor, present),
                    discovered_at,
                    location,
                    reporter,
                ),
                (
                    subjects,
                    suspected_flags,
                    urgency,
                    requested_action,
                    deadline_at,
                    photos,
                    remarks,
                ),
            )| ReferralV2 {
                referral_id,
                source_system,
                source_case_no,
                source_event_class: Some(SourceEventClass {
                    major: major.to_owned(),
                    minor: (present || !minor_optional).then_some(minor),
                    name: class_name.to_owned(),
                }),
                discovered_at,
                location,
                reporter,
                subjects,
                suspected_flags,
                urgency,
                requested_action,
                deadline_at,
                photos,
                remarks,
            },
        )
}

/// The envelope a referral pushed by `sender` gets (FORMAT.md § "Envelope of a referral"),
/// written out independently of the decoder: the message id from `<case>/<referral id>`, the
/// sender from `ctx`, the receivers `unit` or the context's stations.
pub fn referral_envelope(
    sender: Actor,
    ctx: &DecodeContext,
    r: &ReferralV2,
    sent_at: String,
    unit: Option<&str>,
) -> Envelope<Value> {
    let ctx = ctx.clone();
    Envelope {
        message_id: message_id(
            sender,
            &format!("{}/{}", r.source_case_no, r.referral_id),
            MessageType::Referral,
            0,
        ),
        message_type: MessageType::Referral,
        schema_version: "2.0.0".to_owned(),
        case_id: None,
        correlation_id: None,
        sender_org_code: ctx.sender_org_code,
        sender_org_type: sender,
        sender_system: ctx.sender_system,
        receiver_org_codes: unit.map_or(ctx.receiver_org_codes, |u| vec![u.to_owned()]),
        sent_at,
        region_code: ctx.region_code,
        legal_basis: legal_basis_of(r),
        purpose_code: Purpose::RescueReferral,
        sensitivity: sensitivity_of(r),
        retention_until: None,
        signature: None,
        attachments: None,
        payload: serde_json::to_value(r).unwrap(),
    }
}

/// One of the REFERRAL_OUTCOME `fixtures` with its id, times, outcome, case id and note
/// varied, and handler fields (or the whole handler) dropped.
pub fn referral_outcome(fixtures: Vec<&'static str>) -> impl Strategy<Value = Envelope<Value>> {
    (
        select(fixtures),
        uuid(),
        beijing_time(),
        select(vec![
            "ADMITTED",
            "SENT_TO_HOSPITAL",
            "REFUSED_SUPPLIES_GIVEN",
            "NOT_FOUND",
            "NOT_ELIGIBLE",
            "TRANSFERRED_POLICE",
        ]),
        beijing_time(),
        prop::option::of(beijing_time()),
        beijing_time(),
        prop::option::of("TCJZ-2025-[0-9]{4}"),
        prop::option::of(chinese_text(80)),
        subsequence(vec!["badge_or_staff_no", "org_code", "phone", "role"], 0..4),
        any::<bool>(),
    )
        .prop_map(
            |(
                which,
                id,
                sent_at,
                outcome,
                signed_at,
                arrived_at,
                closed_at,
                case_id,
                note,
                drop_handler_fields,
                drop_handler,
            )| {
                let mut m = fixture(which);
                m.message_id = id;
                m.sent_at = sent_at;
                m.case_id = case_id.clone();
                let p = &mut m.payload;
                set(p, "outcome", Some(Value::String(outcome.to_owned())));
                set(p, "signed_at", Some(Value::String(signed_at)));
                set(p, "arrived_at", arrived_at.map(Value::String));
                set(p, "closed_at", Some(Value::String(closed_at)));
                set(p, "case_id", case_id.map(Value::String));
                set(p, "note", note.map(Value::String));
                if drop_handler {
                    set(p, "handler", None);
                } else {
                    let handler = p.get_mut("handler").unwrap();
                    for key in drop_handler_fields {
                        set(handler, key, None);
                    }
                }
                m
            },
        )
}

/// One of the HUB_REJECTED `fixtures` with its id, time, stage and retry varied, 1–3 reasons
/// pointing at `pointers`, and the rejected message's id and type sometimes dropped.
pub fn hub_rejected(
    fixtures: Vec<&'static str>,
    pointers: Vec<&'static str>,
) -> impl Strategy<Value = Envelope<Value>> {
    (
        select(fixtures),
        uuid(),
        beijing_time(),
        select(vec![
            "PARSE",
            "ENVELOPE",
            "CONTRACT",
            "SENDER_MISMATCH",
            "UNAUTHORIZED",
            "UNROUTABLE",
            "DUPLICATE_CONFLICT",
        ]),
        prop::collection::vec(
            (
                select(pointers),
                select(vec!["format", "required", "enum", "minor-sensitivity"]),
                chinese_text(100),
            ),
            1..4,
        ),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(which, id, received_at, stage, reasons, retry, drop_rejected)| {
                let mut m = fixture(which);
                m.message_id = id;
                let p = &mut m.payload;
                set(p, "received_at", Some(Value::String(received_at)));
                set(p, "stage", Some(Value::String(stage.to_owned())));
                set(p, "retry_allowed", Some(Value::Bool(retry)));
                let reasons = reasons
                    .into_iter()
                    .map(|(pointer, code, message)| {
                        serde_json::json!({
                            "pointer": pointer, "code": code, "message": message
                        })
                    })
                    .collect();
                set(p, "reasons", Some(Value::Array(reasons)));
                if drop_rejected {
                    set(p, "rejected_message_id", None);
                    set(p, "rejected_message_type", None);
                }
                m
            },
        )
}
