//! Round trip over every type the 城管 system exchanges: `decode(encode(m)) == m` for
//! REFERRAL (generated field by field, with the envelope a 城管 case gets), REFERRAL_OUTCOME
//! and HUB_REJECTED (the contract fixtures with fields varied and dropped, as a projected
//! delivery would be). Times are Beijing time, whole seconds or with a fraction. The
//! strategies are the grid adapter's too (`adapter_platform_json::testing`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use adapter_citymgmt::CitymgmtCodec;
use adapter_core::{Codec, DecodeContext};
use adapter_platform_json::testing::{
    self, ReferralShape, ReporterShape, STATION, beijing_time, fixture,
};
use contracts::catalogue::MessageType;
use contracts::model::referral::{ReferralV2, ReporterKind, SourceSystem};
use contracts::model::{Actor, Envelope};
use proptest::prelude::*;
use serde_json::Value;

fn ctx() -> DecodeContext {
    DecodeContext::fixed_for_tests("11320585MB19345675", "太仓市数字城管平台")
}

/// The referrals a 城管 system pushes: class 05-02, no grid, its case sources.
fn referral() -> impl Strategy<Value = ReferralV2> {
    testing::referral(ReferralShape {
        source_system: SourceSystem::Citymgmt,
        referral_id: "CG-2025[0-9]{4}-[0-9]{4}",
        source_case_no: "TC2025[0-9]{10}",
        major: "05",
        minor: "02",
        minor_optional: false,
        class_names: vec!["街面秩序/流浪乞讨", "街面秩序/流浪乞讨人员"],
        with_grid: false,
        reporter: ReporterShape {
            kinds: vec![
                ReporterKind::CityInspector,
                ReporterKind::Citizen,
                ReporterKind::HotlineOperator,
            ],
            staff_no: "JDY-[0-9]{4}",
            org_code: "11320585MB19345675",
            org_name: "太仓市数字化城市管理监督指挥中心",
        },
    })
}

/// The envelope a 城管 case gets (FORMAT.md § "Envelope of a referral").
fn referral_envelope(r: &ReferralV2, sent_at: String, unit: Option<&str>) -> Envelope<Value> {
    testing::referral_envelope(Actor::Citymgmt, &ctx(), r, sent_at, unit)
}

fn round_trip(message: &Envelope<Value>) -> Envelope<Value> {
    testing::round_trip(&CitymgmtCodec, &ctx(), message)
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
        "REFERRAL_OUTCOME/v1/valid/refused_supplies_given_citymgmt.json",
        "REFERRAL_OUTCOME/v1/valid/admitted_after_grid_referral.json",
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
             "/payload/urgency", "/sensitivity", "/payload/photos/1/uri"],
    )) {
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
        replace in prop::sample::select(b"0123456789 -:.,{}[]\"/aZ\x00\xff".to_vec()),
    ) {
        let message = referral_envelope(&r, "2025-03-02T14:20:02+08:00".to_owned(), None);
        let native = CitymgmtCodec.encode(&message).unwrap().body;
        testing::mutated_document_is_stable(&CitymgmtCodec, &ctx(), native, cut, replace)?;
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
