//! Round trip over every type the 城管 system exchanges: `decode(encode(m)) == m` for
//! REFERRAL (generated field by field, with the envelope a 城管 case gets), REFERRAL_OUTCOME
//! and HUB_REJECTED (the contract fixtures with fields varied and dropped, as a projected
//! delivery would be). Times are Beijing time, whole seconds or with a fraction.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use adapter_citymgmt::{CitymgmtCodec, decode};
use adapter_core::ids::message_id;
use adapter_core::{Codec, DecodeContext};
use contracts::catalogue::MessageType;
use contracts::model::envelope::Purpose;
use contracts::model::referral::{
    ReferralGeo, ReferralLocation, ReferralSubjectV2, ReferralV2, Reporter, ReporterKind,
    RequestedAction, SourceEventClass, SourceSystem, Urgency, Willingness,
};
use contracts::model::{
    Actor, Attachment, AttachmentKind, Build, Crs, Envelope, HealthCategory, HealthState,
    MentalState, PhysicalDescription, PlaceType, Sensitivity, SuspectedFlag,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use serde_json::Value;

const STATION: &str = "12320585466880789G";

fn ctx() -> DecodeContext {
    DecodeContext::fixed_for_tests("11320585MB19345675", "太仓市数字城管平台")
}

/// `YYYY-MM-DDThh:mm:ss[.f]+08:00`.
fn beijing_time() -> impl Strategy<Value = String> {
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

fn chinese_text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[一-龥，。0-9A-Za-z]{{1,{max}}}")).unwrap()
}

fn uuid() -> impl Strategy<Value = String> {
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

fn health() -> impl Strategy<Value = HealthState> {
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

fn physical_description() -> impl Strategy<Value = PhysicalDescription> {
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

fn subject() -> impl Strategy<Value = ReferralSubjectV2> {
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

fn photo() -> impl Strategy<Value = Attachment> {
    ("[a-z0-9-]{4,20}", "[0-9a-f]{64}").prop_map(|(id, hash)| Attachment {
        attachment_id: format!("att-{id}"),
        kind: AttachmentKind::Photo,
        mime_type: "image/jpeg".to_owned(),
        hash: format!("sha256:{hash}"),
        uri: format!("hub://attachments/{id}.jpg"),
        sensitivity: Some(Sensitivity::Sensitive),
    })
}

fn location() -> impl Strategy<Value = ReferralLocation> {
    (
        chinese_text(40),
        prop::option::of("320585[0-9]{6}"),
        prop::option::of((
            120.0f64..122.0,
            30.0f64..32.0,
            select(vec![Crs::Cgcs2000, Crs::Wgs84, Crs::Gcj02]),
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
        .prop_map(|(address, community, geo, place_type)| ReferralLocation {
            address_text: address,
            region_code: "320585".to_owned(),
            community_code: community,
            grid: None,
            geo: geo.map(|(longitude, latitude, crs)| ReferralGeo {
                longitude,
                latitude,
                crs,
            }),
            place_type,
        })
}

fn reporter() -> impl Strategy<Value = Reporter> {
    (
        select(vec![
            ReporterKind::CityInspector,
            ReporterKind::Citizen,
            ReporterKind::HotlineOperator,
        ]),
        prop::option::of(chinese_text(4)),
        prop::option::of("1[3-9][0-9]{9}"),
        prop::option::of("JDY-[0-9]{4}"),
        prop::option::of(Just("11320585MB19345675".to_owned())),
        prop::option::of(Just("太仓市数字化城市管理监督指挥中心".to_owned())),
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

prop_compose! {
    fn referral()(
        dispatch in "CG-2025[0-9]{4}-[0-9]{4}",
        case_no in "TC2025[0-9]{10}",
        class_name in select(vec!["街面秩序/流浪乞讨", "街面秩序/流浪乞讨人员"]),
        discovered_at in beijing_time(),
        location in location(),
        reporter in reporter(),
        subjects in prop::collection::vec(subject(), 1..4),
        flags in prop::option::of(subsequence(vec![
            SuspectedFlag::Lost,
            SuspectedFlag::Abandoned,
            SuspectedFlag::Trafficked,
            SuspectedFlag::UnaccompaniedMinor,
        ], 1..3)),
        urgency in select(vec![Urgency::Immediate, Urgency::Normal]),
        action in select(vec![
            RequestedAction::StreetOutreach,
            RequestedAction::EscortToStation,
            RequestedAction::SendToHospital,
            RequestedAction::InformOnly,
        ]),
        deadline_at in prop::option::of(beijing_time()),
        photos in prop::option::of(prop::collection::vec(photo(), 1..3)),
        remarks in prop::option::of(chinese_text(60)),
    ) -> ReferralV2 {
        ReferralV2 {
            referral_id: dispatch,
            source_system: SourceSystem::Citymgmt,
            source_case_no: case_no,
            source_event_class: Some(SourceEventClass {
                major: "05".to_owned(),
                minor: Some("02".to_owned()),
                name: class_name.to_owned(),
            }),
            discovered_at,
            location,
            reporter,
            subjects,
            suspected_flags: flags,
            urgency,
            requested_action: action,
            deadline_at,
            photos,
            remarks,
        }
    }
}

/// The envelope a 城管 case gets (FORMAT.md § "Envelope of a referral").
fn referral_envelope(r: &ReferralV2, sent_at: String, unit: Option<&str>) -> Envelope<Value> {
    let ctx = ctx();
    Envelope {
        message_id: message_id(
            Actor::Citymgmt,
            &format!("{}/{}", r.source_case_no, r.referral_id),
            MessageType::Referral,
            0,
        ),
        message_type: MessageType::Referral,
        schema_version: "2.0.0".to_owned(),
        case_id: None,
        correlation_id: None,
        sender_org_code: ctx.sender_org_code,
        sender_org_type: Actor::Citymgmt,
        sender_system: ctx.sender_system,
        receiver_org_codes: unit.map_or(ctx.receiver_org_codes, |u| vec![u.to_owned()]),
        sent_at,
        region_code: ctx.region_code,
        legal_basis: decode::legal_basis_of(r),
        purpose_code: Purpose::RescueReferral,
        sensitivity: decode::sensitivity_of(r),
        retention_until: None,
        signature: None,
        attachments: None,
        payload: serde_json::to_value(r).unwrap(),
    }
}

fn fixture(path: &str) -> Envelope<Value> {
    let path = format!(
        "{}/../../contracts/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn round_trip(message: &Envelope<Value>) -> Envelope<Value> {
    let codec = CitymgmtCodec;
    let native = codec.encode(message).unwrap();
    let decoded = codec
        .decode(&native.body, &ctx())
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&native.body)));
    assert_eq!(decoded.messages.len(), 1);
    decoded.messages.into_iter().next().unwrap()
}

fn set(payload: &mut Value, key: &str, value: Option<Value>) {
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn referral_round_trips(
        r in referral(),
        sent_at in beijing_time(),
        unit in prop::option::of(Just(STATION)),
    ) {
        let message = referral_envelope(&r, sent_at, unit);
        prop_assert_eq!(round_trip(&message), message);
    }

    #[test]
    fn referral_outcome_round_trips(
        which in select(vec![
            "REFERRAL_OUTCOME/v1/valid/refused_supplies_given_citymgmt.json",
            "REFERRAL_OUTCOME/v1/valid/admitted_after_grid_referral.json",
            "REFERRAL_OUTCOME/v1/valid/not_found_on_site.json",
        ]),
        id in uuid(),
        sent_at in beijing_time(),
        outcome in select(vec!["ADMITTED", "SENT_TO_HOSPITAL", "REFUSED_SUPPLIES_GIVEN",
                               "NOT_FOUND", "NOT_ELIGIBLE", "TRANSFERRED_POLICE"]),
        signed_at in beijing_time(),
        arrived_at in prop::option::of(beijing_time()),
        closed_at in beijing_time(),
        case_id in prop::option::of("TCJZ-2025-[0-9]{4}"),
        note in prop::option::of(chinese_text(80)),
        drop_handler_fields in subsequence(vec!["badge_or_staff_no", "org_code", "phone", "role"], 0..4),
        drop_handler in any::<bool>(),
    ) {
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
        prop_assert_eq!(round_trip(&m), m);
    }

    #[test]
    fn hub_rejected_round_trips(
        which in select(vec![
            "HUB_REJECTED/v1/valid/contract_three_reasons.json",
            "HUB_REJECTED/v1/valid/envelope_missing_message_type.json",
            "HUB_REJECTED/v1/valid/parse_failure_without_correlation.json",
            "HUB_REJECTED/v1/valid/unauthorized.json",
        ]),
        id in uuid(),
        received_at in beijing_time(),
        stage in select(vec!["PARSE", "ENVELOPE", "CONTRACT", "SENDER_MISMATCH",
                             "UNAUTHORIZED", "UNROUTABLE", "DUPLICATE_CONFLICT"]),
        reasons in prop::collection::vec((
            select(vec!["", "/payload/subjects/0/health/overall", "/payload/location/region_code",
                        "/payload/urgency", "/sensitivity", "/payload/photos/1/uri"]),
            select(vec!["format", "required", "enum", "minor-sensitivity"]),
            chinese_text(100),
        ), 1..4),
        retry in any::<bool>(),
        drop_rejected in any::<bool>(),
    ) {
        let mut m = fixture(which);
        m.message_id = id;
        let p = &mut m.payload;
        set(p, "received_at", Some(Value::String(received_at)));
        set(p, "stage", Some(Value::String(stage.to_owned())));
        set(p, "retry_allowed", Some(Value::Bool(retry)));
        let reasons = reasons
            .into_iter()
            .map(|(pointer, code, message)| serde_json::json!({
                "pointer": pointer, "code": code, "message": message
            }))
            .collect();
        set(p, "reasons", Some(Value::Array(reasons)));
        if drop_rejected {
            set(p, "rejected_message_id", None);
            set(p, "rejected_message_type", None);
        }
        prop_assert_eq!(round_trip(&m), m);
    }

    /// Decode never panics, whatever the bytes (the fuzz target's property, in miniature).
    #[test]
    fn decode_is_total(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _outcome = CitymgmtCodec.decode(&bytes, &ctx());
    }

    /// Decode never panics on JSON that looks almost right either, and what it accepts is
    /// stable: `decode(encode(decode(x))) == decode(x)`.
    #[test]
    fn decode_is_total_on_mutated_cases(
        r in referral(),
        cut in 0usize..2_000,
        replace in select(b"0123456789 -:.,{}[]\"/aZ\x00\xff".to_vec()),
    ) {
        let message = referral_envelope(&r, "2025-03-02T14:20:02+08:00".to_owned(), None);
        let mut native = CitymgmtCodec.encode(&message).unwrap().body;
        if !native.is_empty() {
            let at = cut % native.len();
            native[at] = replace;
        }
        // Whatever decodes encodes again, and decodes to the same messages.
        if let Ok(decoded) = CitymgmtCodec.decode(&native, &ctx()) {
            for message in &decoded.messages {
                let again = round_trip(message);
                prop_assert_eq!(&again, message);
            }
        }
    }

    /// Reading any answer never panics.
    #[test]
    fn classify_response_is_total(status in 0u16..1000, bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _outcome = CitymgmtCodec.classify_response(status, &bytes);
    }
}

#[test]
fn a_v1_referral_is_encoded_as_its_v2_cast() {
    let v1 = fixture("REFERRAL/v1/valid/citymgmt_case_05_02_refused.json");
    let decoded = round_trip(&v1);
    assert_eq!(decoded.schema_version, "2.0.0");
    let expected = contracts::casting::cast(MessageType::Referral, 1, 2, &v1.payload).unwrap();
    assert_eq!(decoded.payload, expected);
}

#[test]
fn the_v2_fixture_round_trips_with_its_own_envelope_fields() {
    let m = fixture("REFERRAL/v2/valid/citymgmt_community_without_grid.json");
    let decoded = round_trip(&m);
    assert_eq!(decoded.payload, m.payload);
    assert_eq!(decoded.sent_at, m.sent_at);
    assert_eq!(decoded.legal_basis, {
        let mut expected = m.legal_basis.clone();
        expected.push(contracts::model::envelope::LegalBasis::Taicang2020_150);
        expected
    });
}
