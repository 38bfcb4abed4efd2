//! The demo's case: thirteen messages about one person, each built from a valid contract
//! fixture (`contracts/fixtures/<TYPE>/v1/valid/`) with the case's own data laid over it.
//!
//! The case (all data invented, in the shape of the fixtures): 王根宝, a 78-year-old man
//! from 安徽省阜阳市临泉县 with suspected dementia, is found at dawn on 2025-03-01 by the grid
//! worker 陆建芳 at 太仓站站前广场 (城厢镇, Taicang). Officers 顾建华 and 沈磊 of 城厢派出所
//! escort him to 太仓市救助管理站, where 周敏 signs for him and opens case
//! `TCJZ-2025-000318`, and tells the grid platform the referral ended in admission. The
//! police identify him in the population database; his son 王立新
//! had reported him missing. A fever takes him to 太仓市第一人民医院 for a week; then the
//! station escorts him home, where 孙伟 of 临泉县民政局 receives him.
//!
//! # Invariants
//!
//! * Every message names the same case (`case_id` once the station opened it), the same
//!   person and consistent times, and replies name what they answer (`answers`, which the
//!   builder turns into `correlation_id`).
//! * The expected recipients of each message are exactly those `hub/hub.example.toml`
//!   routes it to; the demo fails if the hub delivers anywhere else.
//! * An overlay replaces whole envelope fields and whole payload fields (`null` removes
//!   one); it never merges inside a field, so no data of the fixture's original person is
//!   left in a replaced object.

use contracts::model::Actor;
use serde_json::{Value, json};

/// The station's case number, opened at the handover.
pub(super) const CASE_ID: &str = "TCJZ-2025-000318";

/// Organisation codes (GB 32100) the example configuration grants each department.
const POLICE_ORG: &str = "113205850141601233";
const STATION_ORG: &str = "12320585466880789G";
const CIVIL_ORG: &str = "11320585014160456G";
const HEALTH_ORG: &str = "123205854668903451";
/// 安徽省阜阳市临泉县民政局, an outflow-area party of ORIGIN.
const ORIGIN_ORG: &str = "113412210030123452";

/// The hub's pseudonymous id of the person.
const PERSON_ID: &str = "P-4H8W2N6T";

/// One message of the case, before ids are assigned.
#[derive(Debug, Clone)]
pub(super) struct ScriptedMessage {
    /// Which part of the story it belongs to (printed as a heading when it changes).
    pub(super) scene: &'static str,
    /// What happens, in one line, with the names as in the data.
    pub(super) story: &'static str,
    /// The department that sends it.
    pub(super) sender: Actor,
    /// Its message type (the fixture's).
    pub(super) message_type: &'static str,
    /// The fixture it is built from: file name and contents.
    pub(super) fixture: (&'static str, &'static str),
    /// Index of the earlier message this one answers (its `correlation_id`).
    pub(super) answers: Option<usize>,
    /// Envelope fields and payload fields that replace the fixture's (`null` removes).
    pub(super) overlay: Value,
    /// Who the example configuration routes it to.
    pub(super) expected: &'static [Actor],
    /// Who receives the identity registry's IDENTITY_UPDATE this message causes (sender
    /// HUB): the subscribers and the departments linked to the person.
    pub(super) identity_updates_to: &'static [Actor],
}

macro_rules! fixture {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!("../../../contracts/fixtures/", $path)),
        )
    };
}

/// The person as the police identified him.
fn verified_person() -> Value {
    json!({
        "person_id": PERSON_ID,
        "identity_status": "VERIFIED_POLICE",
        "name": "王根宝",
        "sex_code": "1",
        "birth_date": "1946-11-08",
        "ethnicity_code": "01",
        "nationality_code": "CHN",
        "id_doc_type": "111",
        "id_number": "341221194611083213",
        "household_region_code": "341221",
        "household_address": "安徽省阜阳市临泉县城关街道南门社区东风路27号",
        "dialect_or_accent": "皖北口音",
        "is_minor": false
    })
}

/// What he looked like when found.
fn physical_description() -> Value {
    json!({
        "height_cm": 165,
        "build": "THIN",
        "hair": "花白短发",
        "clothing_when_found": "深蓝色棉袄，灰色长裤，黑色布鞋",
        "intellectual_state": "IMPAIRED",
        "mental_state": "UNKNOWN"
    })
}

/// The station's record of his appearance: as found, plus a distinguishing mark and the
/// intake photo (which only departments allowed biometrics and photos receive).
fn station_description() -> Value {
    let mut description = physical_description();
    description["distinguishing_marks"] = json!("左手背有一处旧烫伤疤痕");
    description["photo_refs"] = json!([{
        "attachment_id": "ATT-5A1C9E7B2D40",
        "kind": "PHOTO",
        "mime_type": "image/jpeg",
        "hash": "sha256:5a1c9e7b2d40f8e6a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8",
        "uri": "hub://attachments/2025/03/5a1c9e7b2d40f8e6.jpg",
        "sensitivity": "SENSITIVE"
    }]);
    description
}

fn station_staff(role: &str) -> Value {
    json!({
        "name": "周敏",
        "badge_or_staff_no": "JZ0107",
        "org_code": STATION_ORG,
        "org_name": "太仓市救助管理站",
        "phone": "0512-53521234",
        "role": role
    })
}

fn officer(role: &str) -> Value {
    json!({
        "name": "顾建华",
        "badge_or_staff_no": "093215",
        "org_code": POLICE_ORG,
        "org_name": "太仓市公安局城厢派出所",
        "role": role
    })
}

fn doctor() -> Value {
    json!({
        "name": "沈丽华",
        "badge_or_staff_no": "YS0342",
        "org_code": HEALTH_ORG,
        "org_name": "太仓市第一人民医院",
        "phone": "0512-53102345",
        "role": "DOCTOR"
    })
}

/// The thirteen messages of the case, in the order they are sent.
pub(super) fn case() -> Vec<ScriptedMessage> {
    vec![
        // 0
        ScriptedMessage {
            scene: "1 · 发现转介 Found: a grid worker reports a person in need",
            story: "网格员陆建芳 finds an old man at 太仓站站前广场 (城厢镇) and reports him on the grid app.",
            sender: Actor::Grid,
            message_type: "REFERRAL",
            fixture: fixture!("REFERRAL/v1/valid/grid_sighting_chengxiang.json"),
            answers: None,
            overlay: json!({
                "receiver_org_codes": [STATION_ORG],
                "sent_at": "2025-03-01T06:02:10+08:00",
                "payload": {
                    "referral_id": "WG-20250301-000452",
                    "source_case_no": "SJ3205852025030100452",
                    "discovered_at": "2025-03-01T05:55:00+08:00",
                    "location": {
                        "address_text": "太仓市城厢镇太仓站站前广场东侧候车亭",
                        "region_code": "320585",
                        "community_code": "320585100012",
                        "grid_code": "320585100012-02",
                        "longitude": 121.1198,
                        "latitude": 31.4906,
                        "crs": "GCJ02",
                        "place_type": "RAILWAY_OR_BUS_STATION"
                    },
                    "subjects": [{
                        "sex_code": "1",
                        "estimated_age": 78,
                        "is_minor_suspected": false,
                        "physical_description": {
                            "height_cm": 165,
                            "build": "THIN",
                            "hair": "花白短发",
                            "clothing_when_found": "深蓝色棉袄，灰色长裤，黑色布鞋"
                        },
                        "health": {
                            "overall": "INTELLECTUAL",
                            "needs_medical": false,
                            "notes": "答非所问，疑似认知障碍，无外伤。"
                        }
                    }],
                    "willingness": "WILLING",
                    "deadline_at": "2025-03-01T07:55:00+08:00",
                    "photos": [{
                        "attachment_id": "att-20250301-000452-1",
                        "kind": "PHOTO",
                        "mime_type": "image/jpeg",
                        "hash": "sha256:0c7d1f3a5b9e2d4c6a8f0b1e3d5c7a9f2b4d6e8a0c1e3f5a7b9d2c4e6f8a0b13",
                        "uri": "hub://attachments/2025/03/01/wg000452-1.jpg",
                        "sensitivity": "SENSITIVE"
                    }],
                    "remarks": "老人在候车亭坐了一夜，说不清住址，疑似走失；已通知城厢派出所。"
                }
            }),
            expected: &[Actor::Station],
            identity_updates_to: &[],
        },
        // 1
        ScriptedMessage {
            scene: "2 · 护送交接 Escort: the police bring him to the rescue station",
            story: "民警顾建华、沈磊 (城厢派出所) escort 王根宝 to the station and hand him over on the handover form.",
            sender: Actor::Police,
            message_type: "POLICE_ESCORT_HANDOVER",
            fixture: fixture!("POLICE_ESCORT_HANDOVER/v1/valid/typical.json"),
            answers: None,
            overlay: json!({
                "sent_at": "2025-03-01T07:26:41+08:00",
                "payload": {
                    "found_at": "2025-03-01T06:12:00+08:00",
                    "found_location": {
                        "address_text": "太仓市城厢镇太仓站站前广场东侧候车亭",
                        "region_code": "320585",
                        "community_code": "320585100012",
                        "longitude": 121.1198,
                        "latitude": 31.4906,
                        "crs": "GCJ02",
                        "place_type": "RAILWAY_OR_BUS_STATION"
                    },
                    "found_circumstances": "网格员报告站前广场有老人徘徊一夜，答非所问，说不清住址；民警到场核查后护送至救助站。",
                    "person": {
                        "identity_status": "SELF_REPORTED",
                        "name": "王根宝",
                        "sex_code": "1",
                        "estimated_age": 78,
                        "dialect_or_accent": "皖北口音",
                        "is_minor": false
                    },
                    "physical_description": physical_description(),
                    "self_statement": "自称家住“南门”，说坐火车去看孙子，说不清地址。"
                }
            }),
            expected: &[Actor::Station],
            identity_updates_to: &[],
        },
        // 2
        ScriptedMessage {
            scene: "3 · 签收入站 Receipt and intake: the station signs, opens the case, tells the grid",
            story: "周敏 signs for 王根宝 (HANDOVER_ACK, RECEIVED) and the station opens case TCJZ-2025-000318.",
            sender: Actor::Station,
            message_type: "HANDOVER_ACK",
            fixture: fixture!("HANDOVER_ACK/v1/valid/received.json"),
            answers: Some(1),
            overlay: json!({
                "case_id": CASE_ID,
                "sent_at": "2025-03-01T07:48:05+08:00",
                "payload": {
                    "receiving_staff": station_staff("RECEIVER"),
                    "case_id": CASE_ID
                }
            }),
            expected: &[Actor::Police],
            identity_updates_to: &[],
        },
        // 3
        ScriptedMessage {
            scene: "3 · 签收入站 Receipt and intake: the station signs, opens the case, tells the grid",
            story: "The station registers the intake: help first (old age, suspected dementia), belongings deposited.",
            sender: Actor::Station,
            message_type: "STATION_INTAKE",
            fixture: fixture!("STATION_INTAKE/v1/valid/police_escort_adult_document.json"),
            answers: None,
            overlay: json!({
                "case_id": CASE_ID,
                "receiver_org_codes": [CIVIL_ORG, POLICE_ORG],
                "sent_at": "2025-03-01T07:52:30+08:00",
                "payload": {
                    "case_id": CASE_ID,
                    "intake_at": "2025-03-01T07:40:00+08:00",
                    "intake_channel": "POLICE_ESCORT",
                    "related_refs": [
                        { "type": "HANDOVER", "id": "TCGA-HS-20250301-007" },
                        { "type": "REFERRAL", "id": "WG-20250301-000452" }
                    ],
                    "person": {
                        "person_id": PERSON_ID,
                        "identity_status": "SELF_REPORTED",
                        "name": "王根宝",
                        "sex_code": "1",
                        "estimated_age": 78,
                        "dialect_or_accent": "皖北口音",
                        "is_minor": false
                    },
                    "physical_description": station_description(),
                    "health_check": {
                        "overall": "INTELLECTUAL",
                        "flags": ["INTELLECTUAL"],
                        "needs_medical": false,
                        "notes": "疑似认知障碍，生命体征平稳，已安排进食。"
                    },
                    "belongings_deposited": [
                        { "item": "老年手机", "quantity": 1, "description": "按键机，无电", "disposition": "DEPOSITED" },
                        { "item": "现金", "quantity": 1, "cash_amount": 23.5, "disposition": "DEPOSITED" }
                    ],
                    "social_assistance_status": "UNKNOWN",
                    "vagrancy_reason": { "category": "LOST_MENTAL_OR_INTELLECTUAL" },
                    "vagrancy_since": "2025-02-28",
                    "relatives": null,
                    "eligibility": "HELP_FIRST",
                    "national_rescue_record_no": "JZ320585202503010012",
                    "special_categories": ["ELDERLY"]
                }
            }),
            expected: &[Actor::Civil, Actor::Police],
            identity_updates_to: &[],
        },
        // 4
        ScriptedMessage {
            scene: "3 · 签收入站 Receipt and intake: the station signs, opens the case, tells the grid",
            story: "The station tells the grid platform the referral ended in admission, so 陆建芳's event can be closed.",
            sender: Actor::Station,
            message_type: "REFERRAL_OUTCOME",
            fixture: fixture!("REFERRAL_OUTCOME/v1/valid/admitted_after_grid_referral.json"),
            answers: Some(0),
            overlay: json!({
                "case_id": CASE_ID,
                "sent_at": "2025-03-01T08:06:12+08:00",
                "payload": {
                    "referral_id": "WG-20250301-000452",
                    "source_case_no": "SJ3205852025030100452",
                    "signed_at": "2025-03-01T06:03:02+08:00",
                    "arrived_at": "2025-03-01T07:21:00+08:00",
                    "outcome": "ADMITTED",
                    "case_id": CASE_ID,
                    "closed_at": "2025-03-01T08:05:00+08:00",
                    "handler": station_staff("HANDLER"),
                    "note": "已由城厢派出所民警护送入站，网格事件可核查结案。"
                }
            }),
            expected: &[Actor::Grid],
            identity_updates_to: &[],
        },
        // 5
        ScriptedMessage {
            scene: "4 · 身份核查 Identity check: the station asks the police who he is",
            story: "周敏 asks the police to check 王根宝 against the population and missing-person databases.",
            sender: Actor::Station,
            message_type: "IDENTITY_CHECK_REQUEST",
            fixture: fixture!("IDENTITY_CHECK_REQUEST/v1/valid/population_and_missing_db.json"),
            answers: None,
            overlay: json!({
                "case_id": CASE_ID,
                "sent_at": "2025-03-01T09:15:22+08:00",
                "payload": {
                    "case_id": CASE_ID,
                    "claimed_identity": {
                        "identity_status": "SELF_REPORTED",
                        "name": "王根宝",
                        "sex_code": "1",
                        "estimated_age": 78,
                        "dialect_or_accent": "皖北口音",
                        "is_minor": false
                    },
                    "physical_description": physical_description(),
                    "found_summary": "2025年3月1日清晨网格员在太仓站站前广场发现，由城厢派出所民警护送入站。自称家住“南门”，说不清具体住址。",
                    "intake_at": "2025-03-01T07:40:00+08:00",
                    "requested_by": station_staff("REQUESTER")
                }
            }),
            expected: &[Actor::Police],
            identity_updates_to: &[],
        },
        // 6
        ScriptedMessage {
            scene: "4 · 身份核查 Identity check: the station asks the police who he is",
            story: "顾建华 finds him in the population database (临泉县) and the missing-person report of his son 王立新.",
            sender: Actor::Police,
            message_type: "IDENTITY_CHECK_RESULT",
            fixture: fixture!("IDENTITY_CHECK_RESULT/v1/valid/matched_population_db.json"),
            answers: Some(5),
            overlay: json!({
                "case_id": CASE_ID,
                "sent_at": "2025-03-01T11:40:18+08:00",
                "payload": {
                    "request_id": "TCJZ-HC-2025-0142",
                    "matched_identity": verified_person(),
                    "missing_report_no": "J3412212025022800213",
                    "family_contact": {
                        "name": "王立新",
                        "relation_code": "20",
                        "phone": "13956812345",
                        "address": "安徽省阜阳市临泉县城关街道南门社区东风路27号"
                    },
                    "verified_by": officer("VERIFIER"),
                    "verified_at": "2025-03-01T11:20:00+08:00"
                }
            }),
            expected: &[Actor::Station],
            // The registry verifies him (version 2) and tells the station, the police and
            // civil affairs (the subscribers of domain.md §7.4 M05).
            identity_updates_to: &[Actor::Station, Actor::Police, Actor::Civil],
        },
        // 7
        ScriptedMessage {
            scene: "5 · 身份同步 Identity update: everyone linked to him learns who he is",
            story: "The station adds what his son told the police: the name he goes by and where he lived (version 3).",
            sender: Actor::Station,
            message_type: "IDENTITY_UPDATE",
            fixture: fixture!("IDENTITY_UPDATE/v1/valid/verified_by_population_db.json"),
            answers: None,
            overlay: json!({
                "case_id": CASE_ID,
                "receiver_org_codes": [],
                "sent_at": "2025-03-01T12:05:09+08:00",
                "payload": {
                    "person_id": PERSON_ID,
                    "case_id": CASE_ID,
                    "identity_version": 3,
                    "change_type": "CORRECTED",
                    "source_of_truth": "FAMILY",
                    "changed_fields": {
                        "alias_names": ["王老汉"],
                        "residence_address": "安徽省阜阳市临泉县城关街道南门社区东风路27号"
                    },
                    "evidence_ref": "TCJZ-HC-2025-0142",
                    "effective_at": "2025-03-01T12:00:00+08:00"
                }
            }),
            // The registry, not the route table, distributes identity changes: the station's
            // change becomes version 3 and reaches every subscriber, the station included.
            expected: &[],
            identity_updates_to: &[Actor::Station, Actor::Police, Actor::Civil],
        },
        // 8
        ScriptedMessage {
            scene: "6 · 送医救治 Hospital: a fever, a week on the ward",
            story: "王根宝 runs a fever; station staff 朱俊 takes him to 太仓市第一人民医院.",
            sender: Actor::Station,
            message_type: "HOSPITAL_ADMISSION",
            fixture: fixture!("HOSPITAL_ADMISSION/v1/valid/station_injured_known_person.json"),
            answers: None,
            overlay: json!({
                "case_id": CASE_ID,
                "sent_at": "2025-03-02T21:02:11+08:00",
                "payload": {
                    "transfer_id": "JZ-SY-2025-0031",
                    "case_id": CASE_ID,
                    "person": verified_person(),
                    "physical_description": station_description(),
                    "reason": {
                        "category": "CRITICAL",
                        "description": "入站次日夜间发热39.1℃，咳嗽气促，疑似肺部感染"
                    },
                    "category": "CRITICAL",
                    "departed_at": "2025-03-02T20:30:00+08:00",
                    "arrived_at": "2025-03-02T20:52:00+08:00",
                    "belongings": [
                        { "item": "老年手机", "quantity": 1, "description": "按键机", "disposition": "WITH_PERSON" }
                    ],
                    "station_contact": station_staff("CONTACT")
                }
            }),
            expected: &[Actor::Health],
            identity_updates_to: &[],
        },
        // 9
        ScriptedMessage {
            scene: "6 · 送医救治 Hospital: a fever, a week on the ward",
            story: "The hospital admits him to 呼吸内科 (ADMISSION_ACK to the station, who sent the admission).",
            sender: Actor::Health,
            message_type: "ADMISSION_ACK",
            fixture: fixture!("ADMISSION_ACK/v1/valid/admitted_psychiatric_ward.json"),
            answers: Some(8),
            overlay: json!({
                "case_id": CASE_ID,
                "receiver_org_codes": [STATION_ORG],
                "sent_at": "2025-03-02T21:40:05+08:00",
                "payload": {
                    "transfer_id": "JZ-SY-2025-0031",
                    "admission_no": "ZY2025030207",
                    "admitted_at": "2025-03-02T21:25:00+08:00",
                    "department": "呼吸内科",
                    "preliminary_diagnosis": [{ "code": "J18.9", "text": "肺炎，未特指" }],
                    "hospital_contact": doctor()
                }
            }),
            expected: &[Actor::Station],
            identity_updates_to: &[],
        },
        // 10
        ScriptedMessage {
            scene: "6 · 送医救治 Hospital: a fever, a week on the ward",
            story: "Improved, he is to be discharged on 03-08; the station must collect him by noon.",
            sender: Actor::Health,
            message_type: "HOSPITAL_DISCHARGE",
            fixture: fixture!("HOSPITAL_DISCHARGE/v1/valid/planned_discharge_improved.json"),
            answers: Some(8),
            overlay: json!({
                "case_id": CASE_ID,
                "sent_at": "2025-03-07T09:00:00+08:00",
                "payload": {
                    "transfer_id": "JZ-SY-2025-0031",
                    "admission_no": "ZY2025030207",
                    "discharge_at": "2025-03-08T10:00:00+08:00",
                    "discharge_certificate": {
                        "attachment_id": "ATT-7C21E04B9D3F",
                        "kind": "CERTIFICATE",
                        "mime_type": "application/pdf",
                        "hash": "sha256:7c21e04b9d3f5a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a1b3c5d7e9f1a2b",
                        "uri": "hub://attachments/2025/03/7c21e04b9d3f5a6b.pdf",
                        "sensitivity": "SENSITIVE"
                    },
                    "discharge_diagnosis": [{ "code": "J18.9", "text": "肺炎，未特指" }],
                    "care_instructions": "阿莫西林克拉维酸钾片口服3天；认知障碍，需专人看护，防走失",
                    "identity_info_gathered": null,
                    "pickup_required_by": "2025-03-08T12:00:00+08:00"
                }
            }),
            expected: &[Actor::Station],
            identity_updates_to: &[],
        },
        // 11
        ScriptedMessage {
            scene: "7 · 返乡 Return home: escorted to 临泉 and handed over",
            story: "The station tells 临泉县民政局 that 朱俊 and 钱卫东 will escort 王根宝 home on 03-11.",
            sender: Actor::Station,
            message_type: "RETURN_HOME_NOTICE",
            fixture: fixture!(
                "RETURN_HOME_NOTICE/v1/valid/escort_adult_to_origin_civil_affairs.json"
            ),
            answers: None,
            overlay: json!({
                "case_id": CASE_ID,
                "receiver_org_codes": [ORIGIN_ORG],
                "sent_at": "2025-03-09T10:00:00+08:00",
                "payload": {
                    "notice_id": "JZ-FX-2025-0027",
                    "case_id": CASE_ID,
                    "person": verified_person(),
                    "origin_region_code": "341221",
                    "origin_address": "安徽省阜阳市临泉县城关街道南门社区东风路27号",
                    "planned_departure_at": "2025-03-11T07:30:00+08:00",
                    "planned_arrival_at": "2025-03-11T15:30:00+08:00",
                    "special_needs": "疑似阿尔茨海默病，易走失，需家属专人看护；肺炎出院后继续口服药",
                    "follow_up_required": true
                }
            }),
            expected: &[Actor::Origin],
            identity_updates_to: &[],
        },
        // 12
        ScriptedMessage {
            scene: "7 · 返乡 Return home: escorted to 临泉 and handed over",
            story: "孙伟 of 临泉县民政局 receives 王根宝, with his son 王立新 present, and confirms.",
            sender: Actor::Origin,
            message_type: "RETURN_HOME_RECEIPT",
            fixture: fixture!("RETURN_HOME_RECEIPT/v1/valid/received_by_origin_civil_affairs.json"),
            answers: Some(11),
            overlay: json!({
                "case_id": CASE_ID,
                "sent_at": "2025-03-11T16:05:00+08:00",
                "payload": {
                    "notice_id": "JZ-FX-2025-0027",
                    "handed_over_at": "2025-03-11T15:40:00+08:00",
                    "condition_on_arrival": {
                        "overall": "INTELLECTUAL",
                        "flags": ["INTELLECTUAL"],
                        "needs_medical": false,
                        "notes": "精神状态平稳，体温正常"
                    },
                    "issues": "其子王立新到场一同接回。"
                }
            }),
            expected: &[Actor::Station],
            identity_updates_to: &[],
        },
    ]
}

/// Lays `overlay` over `base`: each top-level field except `payload` replaces the base's
/// (`null` removes it); each field of the overlay's `payload` replaces the base payload's
/// field (`null` removes it).
pub(super) fn apply_overlay(base: &mut Value, overlay: &Value) {
    let (Some(target), Some(fields)) = (base.as_object_mut(), overlay.as_object()) else {
        return;
    };
    for (name, value) in fields {
        if name == "payload"
            && let Some(payload_fields) = value.as_object()
            && let Some(payload) = target.get_mut("payload").and_then(Value::as_object_mut)
        {
            for (field, field_value) in payload_fields {
                replace(payload, field, field_value);
            }
        } else {
            replace(target, name, value);
        }
    }
}

fn replace(object: &mut serde_json::Map<String, Value>, name: &str, value: &Value) {
    if value.is_null() {
        object.remove(name);
    } else {
        object.insert(name.to_owned(), value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_replaces_whole_fields_and_removes_nulls() {
        let mut base = json!({
            "a": 1, "b": 2,
            "payload": { "x": { "keep": false, "old": 1 }, "y": 1, "z": 1 }
        });
        apply_overlay(
            &mut base,
            &json!({ "a": 10, "b": null, "c": 3, "payload": { "x": { "keep": true }, "y": null } }),
        );
        assert_eq!(
            base,
            json!({ "a": 10, "c": 3, "payload": { "x": { "keep": true }, "z": 1 } })
        );
    }

    #[test]
    fn replies_answer_earlier_messages_and_every_message_reaches_someone() {
        let case = case();
        for (index, message) in case.iter().enumerate() {
            assert!(
                !message.expected.is_empty() || !message.identity_updates_to.is_empty(),
                "message {index}"
            );
            if let Some(answered) = message.answers {
                assert!(answered < index, "message {index} answers a later one");
            }
            assert!(
                message.fixture.0.starts_with(message.message_type),
                "message {index} is built from another type's fixture"
            );
        }
    }
}
