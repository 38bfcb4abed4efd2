#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Property tests of the REFERRAL casters (`contracts::casting::referral`) against the schemas.
//!
//! * Every valid v1 payload (generated: optional fields present or absent, 1–5 subjects, every
//!   enum value, Chinese text, real region codes, coordinates with their crs, timestamps at
//!   +08:00, respecting every conditional of `schemas/REFERRAL/v1.json`) is VALID against v1,
//!   upcasts to a payload VALID against v2, and downcasts back to EXACTLY the original JSON.
//! * A v2 payload whose subjects share one willingness and whose grid has no name downcasts to
//!   a VALID v1 payload and upcasts back to EXACTLY the original JSON.
//! * Any valid v2 payload (mixed willingness, grid names) downcasts to a VALID v1 payload; when
//!   something is lost, the v1 `remarks` say so.

use std::sync::OnceLock;

use contracts::casting::{self, CastError};
use contracts::model::referral::{
    ReferralGeo, ReferralGrid, ReferralLocation, ReferralSubjectV1, ReferralSubjectV2, ReferralV1,
    ReferralV2, Reporter, ReporterKind, RequestedAction, SourceEventClass, SourceSystem, Urgency,
    Willingness,
};
use contracts::model::{
    Attachment, AttachmentKind, Build, Crs, HealthCategory, HealthState, IntellectualState,
    Location, MentalState, PhysicalDescription, PlaceType, Sensitivity, SuspectedFlag,
};
use contracts::{MessageType, Registry};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use serde_json::Value;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::embedded().expect("the embedded catalogue compiles"))
}

fn assert_valid(major: u32, payload: &Value) {
    if let Err(report) = registry().validate_payload(MessageType::Referral, major, payload) {
        panic!(
            "not valid against REFERRAL v{major}:\n{report}\npayload:\n{}",
            serde_json::to_string_pretty(payload).unwrap()
        );
    }
}

// ---------------------------------------------------------------- strategies: building blocks

const HAN: &[char] = &[
    '太', '仓', '城', '厢', '镇', '沙', '溪', '浏', '河', '浮', '桥', '璜', '泾', '双', '凤', '娄',
    '东', '陆', '渡', '街', '道', '路', '下', '公', '园', '广', '场', '男', '女', '老', '人', '衣',
    '蓝', '黑', '灰', '白', '短', '发', '拒', '绝', '入', '站', '，', '。', '、', '（', '）', '1',
    '2', '3', '号', '𠀋', '𪚥',
];

/// Chinese text of `min..=max` characters (incl. two characters outside the BMP).
fn text(min: usize, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(select(HAN), min..=max).prop_map(|v| v.into_iter().collect())
}

const ALNUM: &[char] = &[
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'G', 'J', 'Q', 'W', 'Z', 'a',
    'x',
];
const ID_TAIL: &[char] = &[
    '0', '1', '2', '7', '9', 'A', 'W', 'G', 'z', '.', '_', ':', '/', '-',
];

/// An `Identifier` (`^[0-9A-Za-z][0-9A-Za-z._:/-]{0,63}$`).
fn identifier() -> impl Strategy<Value = String> {
    (
        select(ALNUM),
        prop::collection::vec(select(ID_TAIL), 0..=30),
    )
        .prop_map(|(first, tail)| {
            let mut s = String::from(first);
            s.extend(tail);
            s
        })
}

/// Alphanumeric code of `min..=max` characters.
fn alnum(min: usize, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(select(ALNUM), min..=max).prop_map(|v| v.into_iter().collect())
}

/// A timestamp in 2024–2026 at +08:00 (RFC 3339 with explicit offset).
fn timestamp() -> impl Strategy<Value = String> {
    (
        2024u32..=2026,
        1u32..=12,
        1u32..=28,
        0u32..=23,
        0u32..=59,
        0u32..=59,
    )
        .prop_map(|(y, mo, d, h, mi, s)| format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+08:00"))
}

const REGIONS: &[&str] = &["320585", "320506", "411625", "341221", "511322"];
const ORG_CODES: &[&str] = &[
    "113205850141601233",
    "11320585MB15623450",
    "123205854668903451",
    "11320585MB19345675",
    "12320585MB1A23456U",
    "11320585014160456G",
    "12320585466880789G",
];

fn phone() -> impl Strategy<Value = String> {
    prop_oneof![
        (3u8..=9, 0u64..=999_999_999).prop_map(|(b, n)| format!("1{b}{n:09}")),
        (0u32..=99_999_999).prop_map(|n| format!("0512-{n:08}")),
        select(vec!["110", "120", "12345"]).prop_map(str::to_owned),
    ]
}

fn attachment() -> impl Strategy<Value = Attachment> {
    (
        identifier(),
        select(vec![
            AttachmentKind::Photo,
            AttachmentKind::SignedFormScan,
            AttachmentKind::Certificate,
            AttachmentKind::Other,
        ]),
        select(vec!["image/jpeg", "image/png", "application/pdf"]),
        select(vec!["sm3", "sha256"]),
        prop::array::uniform4(any::<u64>()),
        alnum(1, 20),
        prop::option::of(select(vec![
            Sensitivity::General,
            Sensitivity::Sensitive,
            Sensitivity::SensitiveMinor,
        ])),
    )
        .prop_map(
            |(attachment_id, kind, mime, algo, h, file, sensitivity)| Attachment {
                attachment_id,
                kind,
                mime_type: mime.to_owned(),
                hash: format!(
                    "{algo}:{:016x}{:016x}{:016x}{:016x}",
                    h[0], h[1], h[2], h[3]
                ),
                uri: format!("hub://attachments/2025/03/{file}.jpg"),
                sensitivity,
            },
        )
}

static HEALTH: [HealthCategory; 9] = [
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

fn health() -> impl Strategy<Value = HealthState> {
    (
        select(&HEALTH[..]),
        prop::option::of(prop::sample::subsequence(&HEALTH[..], 0..=4)),
        any::<bool>(),
        prop::option::of(text(1, 40)),
    )
        .prop_map(|(overall, flags, needs, notes)| HealthState {
            overall,
            flags,
            // A critically ill person needs medical care (HealthState's own rule).
            needs_medical: needs || overall == HealthCategory::Critical,
            notes,
        })
}

fn physical_description() -> impl Strategy<Value = PhysicalDescription> {
    (
        prop::option::of(30u16..=250),
        prop::option::of(select(vec![
            Build::Thin,
            Build::Medium,
            Build::Stout,
            Build::Unknown,
        ])),
        prop::option::of(text(1, 10)),
        prop::option::of(text(1, 20)),
        prop::option::of(text(1, 30)),
        prop::option::of(select(vec![
            IntellectualState::Normal,
            IntellectualState::Impaired,
            IntellectualState::Unknown,
        ])),
        prop::option::of(select(vec![
            MentalState::Normal,
            MentalState::Abnormal,
            MentalState::Unknown,
        ])),
        prop::option::of(prop::collection::vec(attachment(), 0..=2)),
    )
        .prop_map(
            |(
                height_cm,
                build,
                hair,
                distinguishing_marks,
                clothing_when_found,
                intellectual_state,
                mental_state,
                photo_refs,
            )| {
                PhysicalDescription {
                    height_cm,
                    build,
                    hair,
                    distinguishing_marks,
                    clothing_when_found,
                    intellectual_state,
                    mental_state,
                    photo_refs,
                }
            },
        )
}

fn subject_v1() -> impl Strategy<Value = ReferralSubjectV1> {
    (
        select(vec!["0", "1", "2", "9"]),
        prop::option::of(0u8..=120),
        any::<bool>(),
        prop::option::of(physical_description()),
        health(),
    )
        .prop_map(
            |(sex, estimated_age, minor, physical_description, health)| ReferralSubjectV1 {
                sex_code: sex.to_owned(),
                estimated_age,
                // Estimated under 18 → suspected minor (schema rule).
                is_minor_suspected: minor || estimated_age.is_some_and(|a| a <= 17),
                physical_description,
                health,
            },
        )
}

fn reporter() -> impl Strategy<Value = Reporter> {
    (
        select(vec![
            ReporterKind::GridWorker,
            ReporterKind::CityInspector,
            ReporterKind::PoliceOfficer,
            ReporterKind::HealthWorker,
            ReporterKind::StationStaff,
            ReporterKind::Citizen,
            ReporterKind::HotlineOperator,
        ]),
        prop::option::of(text(2, 4)),
        prop::option::of(phone()),
        prop::option::of(identifier()),
        prop::option::of(select(ORG_CODES).prop_map(str::to_owned)),
        prop::option::of(text(4, 20)),
        text(2, 4),
        text(4, 20),
    )
        .prop_map(
            |(kind, name, phone, staff_no, org_code, org_name, name_req, org_req)| {
                // Anyone but a citizen gives name and org_name (schema rule).
                let (name, org_name) = if kind == ReporterKind::Citizen {
                    (name, org_name)
                } else {
                    (
                        Some(name.unwrap_or(name_req)),
                        Some(org_name.unwrap_or(org_req)),
                    )
                };
                Reporter {
                    kind,
                    name,
                    phone,
                    staff_no,
                    org_code,
                    org_name,
                }
            },
        )
}

static SOURCES: [SourceSystem; 8] = [
    SourceSystem::Grid,
    SourceSystem::Citymgmt,
    SourceSystem::Police110,
    SourceSystem::PolicePatrol,
    SourceSystem::Health,
    SourceSystem::Hotline12345,
    SourceSystem::Citizen,
    SourceSystem::StationPatrol,
];

/// A source system with an event class that fits it (required for GRID and CITYMGMT; exactly
/// 05-02 for CITYMGMT).
fn source() -> impl Strategy<Value = (SourceSystem, Option<SourceEventClass>)> {
    (
        select(&SOURCES[..]),
        any::<bool>(),
        alnum(1, 16),
        prop::option::of(alnum(1, 16)),
        text(2, 20),
    )
        .prop_map(|(system, present, major, minor, name)| {
            let class = match system {
                SourceSystem::Citymgmt => Some(SourceEventClass {
                    major: "05".to_owned(),
                    minor: Some("02".to_owned()),
                    name,
                }),
                SourceSystem::Grid => Some(SourceEventClass { major, minor, name }),
                _ if present => Some(SourceEventClass { major, minor, name }),
                _ => None,
            };
            (system, class)
        })
}

static PLACES: [PlaceType; 10] = [
    PlaceType::RailwayOrBusStation,
    PlaceType::UnderBridge,
    PlaceType::CommercialStreet,
    PlaceType::Hospital,
    PlaceType::BankSelfService,
    PlaceType::ConstructionSite,
    PlaceType::Park,
    PlaceType::Underpass,
    PlaceType::RescueStation,
    PlaceType::Other,
];

/// Parts of a location, shared by the v1 and v2 strategies.
#[derive(Debug, Clone)]
struct LocationParts {
    address_text: String,
    region_code: String,
    community_code: Option<String>,
    grid_code: Option<String>,
    grid_name: Option<String>,
    coordinates: Option<(f64, f64, Crs)>,
    place_type: Option<PlaceType>,
}

fn location_parts() -> impl Strategy<Value = LocationParts> {
    (
        text(4, 40),
        select(REGIONS),
        prop::option::of((100u32..=999, 1u32..=999)),
        prop::option::of(1u32..=99),
        prop::option::of(text(4, 20)),
        prop::option::of((
            -180.0f64..=180.0,
            -90.0f64..=90.0,
            select(vec![Crs::Cgcs2000, Crs::Wgs84, Crs::Gcj02]),
        )),
        prop::option::of(select(&PLACES[..])),
    )
        .prop_map(
            |(address_text, region, community, grid, grid_name, coordinates, place_type)| {
                let community_code = community.map(|(t, c)| format!("{region}{t:03}{c:03}"));
                let grid_code = grid.map(|n| match &community_code {
                    Some(c) => format!("{c}-{n:02}"),
                    None => format!("{region}-G{n:02}"),
                });
                LocationParts {
                    address_text,
                    region_code: region.to_owned(),
                    community_code,
                    grid_code,
                    grid_name,
                    coordinates,
                    place_type,
                }
            },
        )
}

impl LocationParts {
    fn v1(&self) -> Location {
        Location {
            address_text: self.address_text.clone(),
            region_code: self.region_code.clone(),
            community_code: self.community_code.clone(),
            grid_code: self.grid_code.clone(),
            longitude: self.coordinates.map(|c| c.0),
            latitude: self.coordinates.map(|c| c.1),
            crs: self.coordinates.map(|c| c.2),
            place_type: self.place_type,
        }
    }

    /// The v2 location, built independently of the caster; `grid_name` only if `named`.
    fn v2(&self, named: bool) -> ReferralLocation {
        let grid = self.grid_code.as_ref().map(|grid_code| ReferralGrid {
            grid_code: grid_code.clone(),
            grid_name: if named { self.grid_name.clone() } else { None },
            community_code: self.community_code.clone(),
        });
        ReferralLocation {
            address_text: self.address_text.clone(),
            region_code: self.region_code.clone(),
            community_code: if grid.is_some() {
                None
            } else {
                self.community_code.clone()
            },
            grid,
            geo: self
                .coordinates
                .map(|(longitude, latitude, crs)| ReferralGeo {
                    longitude,
                    latitude,
                    crs,
                }),
            place_type: self.place_type,
        }
    }
}

/// Everything of a referral but location and willingness.
#[derive(Debug, Clone)]
struct Common {
    referral_id: String,
    source: (SourceSystem, Option<SourceEventClass>),
    source_case_no: String,
    discovered_at: String,
    reporter: Reporter,
    subjects: Vec<ReferralSubjectV1>,
    suspected_flags: Option<Vec<SuspectedFlag>>,
    urgency: Urgency,
    action_pick: usize,
    deadline_at: Option<String>,
    photos: Option<Vec<Attachment>>,
    remarks: Option<String>,
}

static FLAGS: [SuspectedFlag; 4] = [
    SuspectedFlag::Lost,
    SuspectedFlag::Abandoned,
    SuspectedFlag::Trafficked,
    SuspectedFlag::UnaccompaniedMinor,
];

fn common() -> impl Strategy<Value = Common> {
    (
        (
            identifier(),
            source(),
            identifier(),
            timestamp(),
            reporter(),
        ),
        prop::collection::vec(subject_v1(), 1..=5),
        prop::option::of(prop::sample::subsequence(&FLAGS[..], 0..=4)),
        select(vec![Urgency::Immediate, Urgency::Normal]),
        any::<usize>(),
        prop::option::of(timestamp()),
        prop::option::of(prop::collection::vec(attachment(), 0..=3)),
        prop::option::of(text(1, 60)),
    )
        .prop_map(
            |(
                (referral_id, source, source_case_no, discovered_at, reporter),
                mut subjects,
                suspected_flags,
                urgency,
                action_pick,
                deadline_at,
                photos,
                remarks,
            )| {
                // UNACCOMPANIED_MINOR → at least one suspected minor (schema rule).
                if suspected_flags
                    .as_ref()
                    .is_some_and(|f| f.contains(&SuspectedFlag::UnaccompaniedMinor))
                    && !subjects.iter().any(|s| s.is_minor_suspected)
                    && let Some(first) = subjects.first_mut()
                {
                    first.is_minor_suspected = true;
                }
                Common {
                    referral_id,
                    source,
                    source_case_no,
                    discovered_at,
                    reporter,
                    subjects,
                    suspected_flags,
                    urgency,
                    action_pick,
                    deadline_at,
                    photos,
                    remarks,
                }
            },
        )
}

impl Common {
    /// A requested action allowed by the urgency and by whether everybody refused.
    fn action(&self, all_refused: bool) -> RequestedAction {
        use RequestedAction::*;
        let allowed: &[RequestedAction] = match (self.urgency, all_refused) {
            (Urgency::Immediate, false) => &[SendToHospital, EscortToStation],
            (Urgency::Immediate, true) => &[SendToHospital],
            (Urgency::Normal, false) => {
                &[StreetOutreach, EscortToStation, SendToHospital, InformOnly]
            }
            (Urgency::Normal, true) => &[StreetOutreach, SendToHospital, InformOnly],
        };
        allowed[self.action_pick % allowed.len()]
    }

    fn v1(&self, location: &LocationParts, willingness: Willingness) -> ReferralV1 {
        ReferralV1 {
            referral_id: self.referral_id.clone(),
            source_system: self.source.0,
            source_case_no: self.source_case_no.clone(),
            source_event_class: self.source.1.clone(),
            discovered_at: self.discovered_at.clone(),
            location: location.v1(),
            reporter: self.reporter.clone(),
            subject_count: u32::try_from(self.subjects.len()).unwrap(),
            subjects: self.subjects.clone(),
            willingness,
            suspected_flags: self.suspected_flags.clone(),
            urgency: self.urgency,
            requested_action: self.action(willingness == Willingness::Refused),
            deadline_at: self.deadline_at.clone(),
            photos: self.photos.clone(),
            remarks: self.remarks.clone(),
        }
    }

    /// `willingness[i % len]` for subject i.
    fn v2(&self, location: &LocationParts, named: bool, willingness: &[Willingness]) -> ReferralV2 {
        let subjects: Vec<ReferralSubjectV2> = self
            .subjects
            .iter()
            .enumerate()
            .map(|(i, s)| ReferralSubjectV2 {
                sex_code: s.sex_code.clone(),
                estimated_age: s.estimated_age,
                is_minor_suspected: s.is_minor_suspected,
                physical_description: s.physical_description.clone(),
                health: s.health.clone(),
                willingness: willingness[i % willingness.len()],
            })
            .collect();
        let all_refused = subjects
            .iter()
            .all(|s| s.willingness == Willingness::Refused);
        ReferralV2 {
            referral_id: self.referral_id.clone(),
            source_system: self.source.0,
            source_case_no: self.source_case_no.clone(),
            source_event_class: self.source.1.clone(),
            discovered_at: self.discovered_at.clone(),
            location: location.v2(named),
            reporter: self.reporter.clone(),
            subjects,
            suspected_flags: self.suspected_flags.clone(),
            urgency: self.urgency,
            requested_action: self.action(all_refused),
            deadline_at: self.deadline_at.clone(),
            photos: self.photos.clone(),
            remarks: self.remarks.clone(),
        }
    }
}

fn willingness() -> impl Strategy<Value = Willingness> {
    select(Willingness::ALL.to_vec())
}

fn referral_v1() -> impl Strategy<Value = ReferralV1> {
    (common(), location_parts(), willingness()).prop_map(|(c, l, w)| c.v1(&l, w))
}

/// v2 with one shared willingness and no grid name: the case the downcast keeps exactly.
fn referral_v2_uniform() -> impl Strategy<Value = ReferralV2> {
    (common(), location_parts(), willingness()).prop_map(|(c, l, w)| c.v2(&l, false, &[w]))
}

/// Any v2: per-subject willingness, grid name possibly present.
fn referral_v2_any() -> impl Strategy<Value = ReferralV2> {
    (
        common(),
        location_parts(),
        any::<bool>(),
        prop::collection::vec(willingness(), 1..=5),
    )
        .prop_map(|(c, l, named, w)| c.v2(&l, named, &w))
}

// ---------------------------------------------------------------- properties

proptest! {
    #[test]
    fn v1_upcasts_to_valid_v2_and_back_exactly(v1 in referral_v1()) {
        let original = serde_json::to_value(&v1).unwrap();
        assert_valid(1, &original);

        let v2 = casting::cast(MessageType::Referral, 1, 2, &original).unwrap();
        assert_valid(2, &v2);

        let back = casting::cast(MessageType::Referral, 2, 1, &v2).unwrap();
        prop_assert_eq!(&back, &original);
    }

    #[test]
    fn uniform_v2_downcasts_to_valid_v1_and_back_exactly(v2 in referral_v2_uniform()) {
        let original = serde_json::to_value(&v2).unwrap();
        assert_valid(2, &original);

        let v1 = casting::cast(MessageType::Referral, 2, 1, &original).unwrap();
        assert_valid(1, &v1);

        let back = casting::cast(MessageType::Referral, 1, 2, &v1).unwrap();
        prop_assert_eq!(&back, &original);
    }

    #[test]
    fn any_v2_downcasts_to_valid_v1_and_notes_what_v1_cannot_hold(v2 in referral_v2_any()) {
        let original = serde_json::to_value(&v2).unwrap();
        assert_valid(2, &original);

        let v1_value = casting::cast(MessageType::Referral, 2, 1, &original).unwrap();
        assert_valid(1, &v1_value);
        let v1: ReferralV1 = serde_json::from_value(v1_value).unwrap();

        prop_assert_eq!(v1.subject_count as usize, v2.subjects.len());
        let mixed = v2.subjects.iter().any(|s| s.willingness != v2.subjects[0].willingness);
        let grid_name = v2.location.grid.as_ref().and_then(|g| g.grid_name.clone());
        let remarks = v1.remarks.clone().unwrap_or_default();
        if mixed {
            prop_assert!(remarks.contains("[v2] 对象1: "), "remarks: {remarks}");
            for (i, s) in v2.subjects.iter().enumerate() {
                let expected = format!("对象{}: {}", i + 1, s.willingness.chinese());
                prop_assert!(remarks.contains(&expected), "remarks: {remarks}");
            }
            // The collapsed value keeps the station acting.
            let expected = if v2.subjects.iter().any(|s| s.willingness == Willingness::Willing) {
                Willingness::Willing
            } else if v2.subjects.iter().any(|s| s.willingness == Willingness::CannotExpress) {
                Willingness::CannotExpress
            } else {
                Willingness::Refused
            };
            prop_assert_eq!(v1.willingness, expected);
        } else {
            prop_assert_eq!(v1.willingness, v2.subjects[0].willingness);
        }
        if let Some(name) = grid_name {
            let expected = format!("[v2] 网格名称: {name}");
            prop_assert!(remarks.contains(&expected), "remarks: {remarks}");
        }
        if !mixed && v2.location.grid.as_ref().is_none_or(|g| g.grid_name.is_none()) {
            prop_assert_eq!(v1.remarks, v2.remarks);
        }
    }
}

#[test]
fn a_v1_with_a_wrong_subject_count_is_refused_not_cast() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let v1 = referral_v1().new_tree(&mut runner).unwrap().current();
    let mut value = serde_json::to_value(&v1).unwrap();
    value["subject_count"] = Value::from(v1.subjects.len() + 1);
    match casting::cast(MessageType::Referral, 1, 2, &value) {
        Err(CastError::Unrepresentable { pointer, .. }) => assert_eq!(pointer, "/subject_count"),
        other => panic!("expected Unrepresentable, got {other:?}"),
    }
}

/// The valid fixtures of one REFERRAL major version, as whole envelopes.
fn referral_fixtures(major: u32) -> Vec<(String, Value)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("fixtures/REFERRAL/v{major}/valid"));
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((
                path.display().to_string(),
                serde_json::from_str(&text).unwrap(),
            ));
        }
    }
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

/// The envelope with its payload replaced and `schema_version` set to `major`.0.0, validated
/// whole (envelope, payload and the cross-field rules).
fn assert_valid_message(envelope: &Value, major: u32, payload: Value, name: &str) {
    let mut message = envelope.clone();
    message["schema_version"] = Value::from(format!("{major}.0.0"));
    message["payload"] = payload;
    if let Err(report) = registry().validate_value(message) {
        panic!("{name} cast to v{major} is not a valid message:\n{report}");
    }
}

#[test]
fn every_valid_v1_fixture_casts_up_and_back_exactly() {
    for (name, envelope) in referral_fixtures(1) {
        let payload = &envelope["payload"];
        let v2 = casting::cast(MessageType::Referral, 1, 2, payload).unwrap();
        assert_valid_message(&envelope, 2, v2.clone(), &name);
        let back = casting::cast(MessageType::Referral, 2, 1, &v2).unwrap();
        assert_eq!(&back, payload, "{name}");
    }
}

#[test]
fn every_valid_v2_fixture_casts_down_to_a_valid_v1_message() {
    for (name, envelope) in referral_fixtures(2) {
        let payload = &envelope["payload"];
        let v1 = casting::cast(MessageType::Referral, 2, 1, payload).unwrap();
        assert_valid_message(&envelope, 1, v1.clone(), &name);
        let again = casting::cast(MessageType::Referral, 1, 2, &v1).unwrap();
        assert_valid_message(&envelope, 2, again, &name);
    }
}

#[test]
fn the_mixed_willingness_fixture_is_noted_in_v1_remarks() {
    let (_, envelope) = referral_fixtures(2)
        .into_iter()
        .find(|(name, _)| name.ends_with("grid_two_subjects_mixed_willingness.json"))
        .unwrap();
    let v1 = casting::cast(MessageType::Referral, 2, 1, &envelope["payload"]).unwrap();
    assert_eq!(v1["willingness"], "WILLING");
    assert_eq!(v1["subject_count"], 2);
    assert_eq!(
        v1["remarks"],
        "两人在桥洞内过夜，年长者愿意入站，另一人醉酒拒绝。\n\
         [v2] 对象1: 愿意入站; 对象2: 拒绝\n\
         [v2] 网格名称: 沙溪镇松南村第2网格"
    );
    assert_eq!(v1["location"]["grid_code"], "320585101004-02");
    assert_eq!(v1["location"]["community_code"], "320585101004");
}
