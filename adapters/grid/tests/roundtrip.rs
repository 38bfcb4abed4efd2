//! Round trip over every type the grid platform exchanges: `decode(encode(m)) == m` for
//! REFERRAL (generated field by field, with the envelope a grid event gets), REFERRAL_OUTCOME,
//! STATION_INTAKE (the fixtures in full and as projected for the platform by the hub's policy)
//! and HUB_REJECTED (the contract fixtures with fields varied and dropped). Times are Beijing
//! time, whole seconds or with a fraction. The strategies are the 数字城管 adapter's too
//! (`adapter_platform_json::testing`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use adapter_core::{Codec, DecodeContext};
use adapter_grid::GridCodec;
use adapter_platform_json::testing::{
    self, ReferralShape, ReporterShape, STATION, beijing_time, fixture, set, uuid,
};
use contracts::annotations::FieldPolicy;
use contracts::catalogue::MessageType;
use contracts::model::referral::{ReferralV2, ReporterKind, SourceSystem};
use contracts::model::{Actor, Envelope, Sensitivity};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use serde_json::Value;

fn ctx() -> DecodeContext {
    DecodeContext::fixed_for_tests("12320585MB1A23456U", "太仓市网格化联动指挥平台")
}

/// The events the grid platform pushes: type 0306 with an optional sub-type, grids, its
/// report sources.
fn referral() -> impl Strategy<Value = ReferralV2> {
    testing::referral(ReferralShape {
        source_system: SourceSystem::Grid,
        referral_id: "WG-2025[0-9]{4}-[0-9]{6}",
        source_case_no: "SJ320585[0-9]{13}",
        major: "0306",
        minor: "0[1-9]",
        minor_optional: true,
        class_names: vec!["流浪乞讨人员发现", "流浪乞讨"],
        with_grid: true,
        reporter: ReporterShape {
            kinds: vec![
                ReporterKind::GridWorker,
                ReporterKind::Citizen,
                ReporterKind::HotlineOperator,
            ],
            staff_no: "WGY-[0-9]{4}",
            org_code: "12320585MB1A23456U",
            org_name: "太仓市社会治理网格化联动指挥中心",
        },
    })
}

/// The envelope a grid event gets (FORMAT.md § "Envelope of a referral").
fn referral_envelope(r: &ReferralV2, sent_at: String, unit: Option<&str>) -> Envelope<Value> {
    testing::referral_envelope(Actor::Grid, &ctx(), r, sent_at, unit)
}

fn round_trip(message: &Envelope<Value>) -> Envelope<Value> {
    testing::round_trip(&GridCodec::default(), &ctx(), message)
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
    fn referral_outcome_round_trips(m in testing::referral_outcome(vec![
        "REFERRAL_OUTCOME/v1/valid/admitted_after_grid_referral.json",
        "REFERRAL_OUTCOME/v1/valid/refused_supplies_given_citymgmt.json",
        "REFERRAL_OUTCOME/v1/valid/not_found_on_site.json",
    ])) {
        prop_assert_eq!(round_trip(&m), m);
    }

    #[test]
    fn hub_rejected_round_trips(m in testing::hub_rejected(
        vec![
            "HUB_REJECTED/v1/valid/contract_three_reasons.json",
            "HUB_REJECTED/v1/valid/envelope_missing_message_type.json",
            "HUB_REJECTED/v1/valid/parse_failure_without_correlation.json",
            "HUB_REJECTED/v1/valid/unauthorized.json",
        ],
        vec!["", "/payload/subjects/0/health/overall", "/payload/location/region_code",
             "/payload/location/grid/grid_code", "/sensitivity", "/payload/photos/1/uri"],
    )) {
        prop_assert_eq!(round_trip(&m), m);
    }

    /// Decode never panics, whatever the bytes (the fuzz target's property, in miniature).
    #[test]
    fn decode_is_total(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _outcome = GridCodec::default().decode(&bytes, &ctx());
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
        let native = GridCodec::default().encode(&message).unwrap().body;
        testing::mutated_document_is_stable(&GridCodec::default(), &ctx(), native, cut, replace)?;
    }

    /// Reading any answer never panics.
    #[test]
    fn classify_response_is_total(status in 0u16..1000, bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _outcome = GridCodec::default().classify_response(status, &bytes);
    }
}

#[test]
fn a_v1_referral_is_encoded_as_its_v2_cast() {
    let v1 = fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json");
    let decoded = round_trip(&v1);
    assert_eq!(decoded.schema_version, "2.0.0");
    let expected = contracts::casting::cast(MessageType::Referral, 1, 2, &v1.payload).unwrap();
    assert_eq!(decoded.payload, expected);
    assert_eq!(decoded.legal_basis, v1.legal_basis);
}

#[test]
fn the_v2_fixture_round_trips_with_its_own_envelope() {
    let m = fixture("REFERRAL/v2/valid/grid_two_subjects_mixed_willingness.json");
    let mut expected = m.clone();
    expected.message_id = referral_envelope(
        &serde_json::from_value(m.payload.clone()).unwrap(),
        m.sent_at.clone(),
        Some(STATION),
    )
    .message_id;
    expected.sender_org_code = ctx().sender_org_code;
    expected.sender_system = ctx().sender_system;
    assert_eq!(round_trip(&m), expected);
}

/// What the hub delivers to the platform: the payload without the fields GRID's policy
/// withholds (hub.example.toml: GENERAL, name/phone/free_text), as `hub::pipeline::projection`
/// removes them.
fn project_for_grid(message: &mut Envelope<Value>) {
    static REGISTRY: std::sync::OnceLock<contracts::registry::Registry> =
        std::sync::OnceLock::new();
    let registry = REGISTRY.get_or_init(|| contracts::registry::Registry::embedded().unwrap());
    let contract = registry
        .contract(
            message.message_type.as_str(),
            message.major_version().unwrap(),
        )
        .unwrap();
    let policy = FieldPolicy {
        max_sensitivity: Some(Sensitivity::General),
        allowed_pii: ["name", "phone", "free_text"]
            .map(str::to_owned)
            .into_iter()
            .collect(),
    };
    let (_, mut withheld) = policy.partition(contract.annotations());
    withheld.sort_by_key(|p| (p.matches('/').count(), p.len()));
    for pattern in withheld {
        let segments: Vec<&str> = pattern.split('/').skip(1).collect();
        remove(&mut message.payload, &segments);
    }
}

fn remove(value: &mut Value, segments: &[&str]) {
    let Some((head, rest)) = segments.split_first() else {
        return;
    };
    if rest.is_empty() {
        if let Value::Object(map) = value {
            map.remove(*head);
        }
        return;
    }
    match (value, *head) {
        (Value::Array(items), "*") => items.iter_mut().for_each(|i| remove(i, rest)),
        (Value::Object(map), key) => {
            if let Some(child) = map.get_mut(key) {
                remove(child, rest);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn station_intake_round_trips_full_and_projected(
        which in select(vec![
            "STATION_INTAKE/v1/valid/minor_grid_referral_temporary_guardianship.json",
            "STATION_INTAKE/v1/valid/not_eligible_self_request.json",
            "STATION_INTAKE/v1/valid/police_escort_adult_document.json",
            "STATION_INTAKE/v1/valid/unidentified_hospital_transfer.json",
        ]),
        projected in any::<bool>(),
        id in uuid(),
        sent_at in beijing_time(),
        intake_at in beijing_time(),
        case_id in "TCJZ-2025-[0-9]{4}",
        drop in subsequence(vec!["related_refs", "vagrancy_since", "national_rescue_record_no",
                                 "prohibited_items_to_police", "refusal_notice_ref",
                                 "family_notice_due_at", "dna_request_due_at"], 0..4),
    ) {
        let mut m = fixture(which);
        m.message_id = id;
        m.sent_at = sent_at;
        m.case_id = Some(case_id.clone());
        let p = &mut m.payload;
        set(p, "case_id", Some(Value::String(case_id)));
        set(p, "intake_at", Some(Value::String(intake_at)));
        for key in drop {
            set(p, key, None);
        }
        if projected {
            project_for_grid(&mut m);
        }
        prop_assert_eq!(round_trip(&m), m);
    }
}
