//! Casters of REFERRAL (M01 发现转介) between v1 ([`ReferralV1`]) and v2 ([`ReferralV2`]).
//!
//! Sender → receiver: any referral source (GRID, CITYMGMT, POLICE, HEALTH) → STATION; the hub
//! casts each delivery to the major version its recipient reads.
//!
//! What changed in v2 and how each direction maps it:
//!
//! | v1 | v2 | 1→2 (upcast) | 2→1 (downcast) |
//! |---|---|---|---|
//! | top-level `willingness` | `subjects[i].willingness` | copied into every subject | the shared value; if subjects differ, the value that keeps the station acting (any WILLING → WILLING, else any CANNOT_EXPRESS → CANNOT_EXPRESS, else REFUSED) and a note `[v2] 对象1: 愿意入站; 对象2: 拒绝` appended to `remarks` |
//! | `subject_count` | — | dropped (it must equal `subjects.len()`; a payload where it does not is refused) | `subjects.len()` |
//! | `location.grid_code` | `location.grid.grid_code` | `grid` only when `grid_code` is present | copied back |
//! | `location.community_code` | `location.grid.community_code` when `grid` is present, else `location.community_code` | moved into `grid` with a grid code, kept at location level without one | from whichever of the two holds it |
//! | — | `location.grid.grid_name` | — | noted in `remarks` as `[v2] 网格名称: …` |
//! | `location.longitude/latitude/crs` | `location.geo` | grouped when the coordinates are present | spread back |
//!
//! Invariants:
//! * upcast then downcast gives back the original v1 JSON exactly, for every valid v1 payload
//!   whose `subject_count` matches its subjects (the one exception: a `crs` given without
//!   coordinates says nothing and is dropped by the upcast, as v2's `geo` needs all three);
//! * downcast then upcast gives back the original v2 JSON exactly when all subjects share one
//!   willingness and no `grid_name` is set; otherwise the difference is written into `remarks`,
//!   never silently lost;
//! * a downcast whose notes would make `remarks` longer than v1 allows (4000 characters) fails
//!   with [`CastError::Unrepresentable`] rather than truncating.
//!
//! The property test `contracts/tests/casting_roundtrip.rs` checks the first two against the
//! schemas.

use serde_json::Value;

use super::CastError;
use crate::catalogue::MessageType;
use crate::model::Location;
use crate::model::referral::{
    ReferralGeo, ReferralGrid, ReferralLocation, ReferralSubjectV1, ReferralSubjectV2, ReferralV1,
    ReferralV2, Willingness,
};

/// Longest `remarks` v1 accepts (LongText, in characters).
const REMARKS_MAX_CHARS: usize = 4000;

/// Compatibility note of the 1→2 step.
pub const UPCAST_NOTE: &str = "REFERRAL v1→v2: willingness copied into every subject; subject_count dropped \
     (refused if it differs from the number of subjects); grid_code and community_code moved into \
     location.grid (community_code stays at location level when there is no grid_code); \
     longitude/latitude/crs grouped into location.geo (a crs without coordinates is dropped).";

/// Compatibility note of the 2→1 step.
pub const DOWNCAST_NOTE: &str = "REFERRAL v2→v1: per-subject willingness collapsed to one value (shared value; \
     if they differ: any WILLING → WILLING, else any CANNOT_EXPRESS → CANNOT_EXPRESS, else REFUSED) \
     with each subject's own willingness noted in remarks ([v2] 对象1: 愿意入站; 对象2: 拒绝); \
     subject_count = number of subjects; location.grid/geo flattened; grid_name noted in remarks \
     ([v2] 网格名称: …). Fails if the notes would overflow remarks.";

/// The 1→2 step on JSON (registered in [`super::CASTERS`]).
pub fn upcast_v1_to_v2(payload: &Value) -> Result<Value, CastError> {
    let v1: ReferralV1 =
        serde_json::from_value(payload.clone()).map_err(|source| shape(1, 2, source))?;
    let v2 = v1_to_v2(&v1)?;
    serde_json::to_value(v2).map_err(|source| shape(1, 2, source))
}

/// The 2→1 step on JSON (registered in [`super::CASTERS`]).
pub fn downcast_v2_to_v1(payload: &Value) -> Result<Value, CastError> {
    let v2: ReferralV2 =
        serde_json::from_value(payload.clone()).map_err(|source| shape(2, 1, source))?;
    let v1 = v2_to_v1(&v2)?;
    serde_json::to_value(v1).map_err(|source| shape(2, 1, source))
}

/// Upcasts a typed v1 referral to v2 (see the module table).
pub fn v1_to_v2(v1: &ReferralV1) -> Result<ReferralV2, CastError> {
    if !v1.subject_count_matches() {
        return Err(CastError::Unrepresentable {
            pointer: "/subject_count".to_owned(),
            reason: format!(
                "subject_count is {} but {} subjects are listed; v2 has no subject_count and \
                 cannot keep the difference",
                v1.subject_count,
                v1.subjects.len()
            ),
        });
    }
    let subjects = v1
        .subjects
        .iter()
        .map(|s| ReferralSubjectV2 {
            sex_code: s.sex_code.clone(),
            estimated_age: s.estimated_age,
            is_minor_suspected: s.is_minor_suspected,
            physical_description: s.physical_description.clone(),
            health: s.health.clone(),
            willingness: v1.willingness,
        })
        .collect();
    Ok(ReferralV2 {
        referral_id: v1.referral_id.clone(),
        source_system: v1.source_system,
        source_case_no: v1.source_case_no.clone(),
        source_event_class: v1.source_event_class.clone(),
        discovered_at: v1.discovered_at.clone(),
        location: location_up(&v1.location)?,
        reporter: v1.reporter.clone(),
        subjects,
        suspected_flags: v1.suspected_flags.clone(),
        urgency: v1.urgency,
        requested_action: v1.requested_action,
        deadline_at: v1.deadline_at.clone(),
        photos: v1.photos.clone(),
        remarks: v1.remarks.clone(),
    })
}

/// Downcasts a typed v2 referral to v1 (see the module table): what v1 cannot hold is noted in
/// `remarks`.
pub fn v2_to_v1(v2: &ReferralV2) -> Result<ReferralV1, CastError> {
    let mut notes: Vec<String> = Vec::new();

    let willingness = collapse_willingness(&v2.subjects)?;
    if v2.subjects.iter().any(|s| s.willingness != willingness) {
        let each: Vec<String> = v2
            .subjects
            .iter()
            .enumerate()
            .map(|(i, s)| format!("对象{}: {}", i + 1, s.willingness.chinese()))
            .collect();
        notes.push(format!("[v2] {}", each.join("; ")));
    }

    let (location, grid_name) = location_down(&v2.location)?;
    if let Some(name) = grid_name {
        notes.push(format!("[v2] 网格名称: {name}"));
    }

    let subject_count =
        u32::try_from(v2.subjects.len()).map_err(|_| CastError::Unrepresentable {
            pointer: "/subjects".to_owned(),
            reason: "too many subjects for v1's subject_count".to_owned(),
        })?;

    let remarks = append_notes(v2.remarks.as_deref(), &notes)?;

    let subjects = v2
        .subjects
        .iter()
        .map(|s| ReferralSubjectV1 {
            sex_code: s.sex_code.clone(),
            estimated_age: s.estimated_age,
            is_minor_suspected: s.is_minor_suspected,
            physical_description: s.physical_description.clone(),
            health: s.health.clone(),
        })
        .collect();

    Ok(ReferralV1 {
        referral_id: v2.referral_id.clone(),
        source_system: v2.source_system,
        source_case_no: v2.source_case_no.clone(),
        source_event_class: v2.source_event_class.clone(),
        discovered_at: v2.discovered_at.clone(),
        location,
        reporter: v2.reporter.clone(),
        subject_count,
        subjects,
        willingness,
        suspected_flags: v2.suspected_flags.clone(),
        urgency: v2.urgency,
        requested_action: v2.requested_action,
        deadline_at: v2.deadline_at.clone(),
        photos: v2.photos.clone(),
        remarks,
    })
}

/// The one willingness v1 can say for all subjects: the shared value, or, when they differ, the
/// one that keeps the station acting (WILLING, then CANNOT_EXPRESS, then REFUSED).
fn collapse_willingness(subjects: &[ReferralSubjectV2]) -> Result<Willingness, CastError> {
    let first = subjects.first().ok_or_else(|| CastError::Unrepresentable {
        pointer: "/subjects".to_owned(),
        reason: "a referral without subjects has no willingness to give v1".to_owned(),
    })?;
    if subjects.iter().all(|s| s.willingness == first.willingness) {
        return Ok(first.willingness);
    }
    let any = |w: Willingness| subjects.iter().any(|s| s.willingness == w);
    Ok(if any(Willingness::Willing) {
        Willingness::Willing
    } else if any(Willingness::CannotExpress) {
        Willingness::CannotExpress
    } else {
        Willingness::Refused
    })
}

/// v1 `Location` → v2 `ReferralLocation`.
fn location_up(l: &Location) -> Result<ReferralLocation, CastError> {
    let (grid, community_code) = match &l.grid_code {
        Some(grid_code) => (
            Some(ReferralGrid {
                grid_code: grid_code.clone(),
                grid_name: None,
                community_code: l.community_code.clone(),
            }),
            None,
        ),
        None => (None, l.community_code.clone()),
    };
    let geo = match (l.longitude, l.latitude, l.crs) {
        (Some(longitude), Some(latitude), Some(crs)) => Some(ReferralGeo {
            longitude,
            latitude,
            crs,
        }),
        // A crs without coordinates carries no information (v2's geo needs all three).
        (None, None, _) => None,
        (Some(_), None, _) | (None, Some(_), _) | (Some(_), Some(_), None) => {
            let missing = if l.longitude.is_none() {
                "longitude"
            } else if l.latitude.is_none() {
                "latitude"
            } else {
                "crs"
            };
            return Err(CastError::Unrepresentable {
                pointer: format!("/location/{missing}"),
                reason: "coordinates need longitude, latitude and crs together".to_owned(),
            });
        }
    };
    Ok(ReferralLocation {
        address_text: l.address_text.clone(),
        region_code: l.region_code.clone(),
        community_code,
        grid,
        geo,
        place_type: l.place_type,
    })
}

/// v2 `ReferralLocation` → v1 `Location`, plus the grid name v1 cannot hold.
fn location_down(l: &ReferralLocation) -> Result<(Location, Option<String>), CastError> {
    let grid_community = l.grid.as_ref().and_then(|g| g.community_code.clone());
    let community_code = match (grid_community, &l.community_code) {
        (Some(a), Some(b)) if a != *b => {
            return Err(CastError::Unrepresentable {
                pointer: "/location/community_code".to_owned(),
                reason: format!(
                    "two different community codes ({a} in grid, {b} at location level); v1 has \
                     room for one"
                ),
            });
        }
        (Some(a), _) => Some(a),
        (None, b) => b.clone(),
    };
    let location = Location {
        address_text: l.address_text.clone(),
        region_code: l.region_code.clone(),
        community_code,
        grid_code: l.grid.as_ref().map(|g| g.grid_code.clone()),
        longitude: l.geo.as_ref().map(|g| g.longitude),
        latitude: l.geo.as_ref().map(|g| g.latitude),
        crs: l.geo.as_ref().map(|g| g.crs),
        place_type: l.place_type,
    };
    let grid_name = l.grid.as_ref().and_then(|g| g.grid_name.clone());
    Ok((location, grid_name))
}

/// `remarks` with the cast notes appended, one per line.
fn append_notes(remarks: Option<&str>, notes: &[String]) -> Result<Option<String>, CastError> {
    if notes.is_empty() {
        return Ok(remarks.map(str::to_owned));
    }
    let mut lines: Vec<&str> = Vec::with_capacity(notes.len() + 1);
    if let Some(r) = remarks {
        lines.push(r);
    }
    lines.extend(notes.iter().map(String::as_str));
    let joined = lines.join("\n");
    let chars = joined.chars().count();
    if chars > REMARKS_MAX_CHARS {
        return Err(CastError::Unrepresentable {
            pointer: "/remarks".to_owned(),
            reason: format!(
                "remarks with the v2 notes would be {chars} characters, more than the \
                 {REMARKS_MAX_CHARS} v1 allows"
            ),
        });
    }
    Ok(Some(joined))
}

/// A payload that does not fit the step's `from` type (or a result that does not fit JSON).
fn shape(from: u32, to: u32, source: serde_json::Error) -> CastError {
    CastError::Shape {
        message_type: MessageType::Referral,
        from,
        to,
        source,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::casting::{CASTERS, cast, find};

    fn v1() -> Value {
        json!({
            "referral_id": "GRID-20250301-0042",
            "source_system": "GRID",
            "source_case_no": "WG3205852025030100042",
            "source_event_class": { "major": "0302", "name": "流浪乞讨人员" },
            "discovered_at": "2025-03-01T06:40:00+08:00",
            "location": {
                "address_text": "太仓市城厢镇人民南路与县府街交叉口东北角",
                "region_code": "320585",
                "community_code": "320585100203",
                "grid_code": "320585100203-03",
                "longitude": 121.109_52,
                "latitude": 31.449_18,
                "crs": "GCJ02",
                "place_type": "COMMERCIAL_STREET"
            },
            "reporter": { "kind": "GRID_WORKER", "name": "陆建芳", "org_name": "城厢镇网格化服务管理中心" },
            "subject_count": 2,
            "subjects": [
                { "sex_code": "1", "estimated_age": 60, "is_minor_suspected": false,
                  "health": { "overall": "HEALTHY", "needs_medical": false } },
                { "sex_code": "2", "is_minor_suspected": false,
                  "health": { "overall": "INJURED", "needs_medical": true } }
            ],
            "willingness": "WILLING",
            "urgency": "NORMAL",
            "requested_action": "ESCORT_TO_STATION",
            "remarks": "两人在商铺门口过夜"
        })
    }

    #[test]
    fn upcast_moves_grid_geo_and_willingness() {
        let v2 = upcast_v1_to_v2(&v1()).unwrap();
        assert_eq!(
            v2["location"]["grid"],
            json!({ "grid_code": "320585100203-03", "community_code": "320585100203" })
        );
        assert!(v2["location"].get("community_code").is_none());
        assert_eq!(
            v2["location"]["geo"],
            json!({ "longitude": 121.109_52, "latitude": 31.449_18, "crs": "GCJ02" })
        );
        assert!(v2.get("willingness").is_none());
        assert!(v2.get("subject_count").is_none());
        assert_eq!(v2["subjects"][0]["willingness"], "WILLING");
        assert_eq!(v2["subjects"][1]["willingness"], "WILLING");
    }

    #[test]
    fn round_trip_v1_is_exact() {
        let original = v1();
        let back = downcast_v2_to_v1(&upcast_v1_to_v2(&original).unwrap()).unwrap();
        assert_eq!(back, original);
    }

    #[test]
    fn community_code_without_grid_stays_at_location_level() {
        let mut p = v1();
        let loc = p["location"].as_object_mut().unwrap();
        loc.remove("grid_code");
        let v2 = upcast_v1_to_v2(&p).unwrap();
        assert!(v2["location"].get("grid").is_none());
        assert_eq!(v2["location"]["community_code"], "320585100203");
        assert_eq!(downcast_v2_to_v1(&v2).unwrap(), p);
    }

    #[test]
    fn crs_without_coordinates_is_dropped() {
        let mut p = v1();
        let loc = p["location"].as_object_mut().unwrap();
        loc.remove("longitude");
        loc.remove("latitude");
        let v2 = upcast_v1_to_v2(&p).unwrap();
        assert!(v2["location"].get("geo").is_none());
        assert!(
            downcast_v2_to_v1(&v2).unwrap()["location"]
                .get("crs")
                .is_none()
        );
    }

    #[test]
    fn half_coordinates_are_refused() {
        let mut p = v1();
        p["location"].as_object_mut().unwrap().remove("latitude");
        match upcast_v1_to_v2(&p) {
            Err(CastError::Unrepresentable { pointer, .. }) => {
                assert_eq!(pointer, "/location/latitude")
            }
            other => panic!("expected Unrepresentable, got {other:?}"),
        }
    }

    #[test]
    fn wrong_subject_count_is_refused() {
        let mut p = v1();
        p["subject_count"] = json!(3);
        match upcast_v1_to_v2(&p) {
            Err(CastError::Unrepresentable { pointer, .. }) => {
                assert_eq!(pointer, "/subject_count")
            }
            other => panic!("expected Unrepresentable, got {other:?}"),
        }
    }

    #[test]
    fn not_a_v1_payload_is_a_shape_error() {
        let mut p = v1();
        p["subjects"][0]["willingness"] = json!("WILLING");
        assert!(matches!(
            upcast_v1_to_v2(&p),
            Err(CastError::Shape {
                message_type: MessageType::Referral,
                from: 1,
                to: 2,
                ..
            })
        ));
    }

    fn mixed(w: [&str; 2], grid_name: Option<&str>) -> Value {
        let mut v2 = upcast_v1_to_v2(&v1()).unwrap();
        v2["subjects"][0]["willingness"] = json!(w[0]);
        v2["subjects"][1]["willingness"] = json!(w[1]);
        if let Some(name) = grid_name {
            v2["location"]["grid"]["grid_name"] = json!(name);
        }
        v2
    }

    #[test]
    fn mixed_willingness_prefers_willing_and_is_noted() {
        let back = downcast_v2_to_v1(&mixed(["WILLING", "REFUSED"], None)).unwrap();
        assert_eq!(back["willingness"], "WILLING");
        assert_eq!(
            back["remarks"],
            "两人在商铺门口过夜\n[v2] 对象1: 愿意入站; 对象2: 拒绝"
        );
        assert_eq!(back["subject_count"], 2);
    }

    #[test]
    fn mixed_without_willing_prefers_cannot_express() {
        let back = downcast_v2_to_v1(&mixed(["REFUSED", "CANNOT_EXPRESS"], None)).unwrap();
        assert_eq!(back["willingness"], "CANNOT_EXPRESS");
        assert_eq!(
            back["remarks"],
            "两人在商铺门口过夜\n[v2] 对象1: 拒绝; 对象2: 无法表达"
        );
    }

    #[test]
    fn shared_willingness_needs_no_note() {
        let mut v2 = mixed(["REFUSED", "REFUSED"], None);
        v2["requested_action"] = json!("STREET_OUTREACH");
        let back = downcast_v2_to_v1(&v2).unwrap();
        assert_eq!(back["willingness"], "REFUSED");
        assert_eq!(back["remarks"], "两人在商铺门口过夜");
        assert_eq!(upcast_v1_to_v2(&back).unwrap(), v2);
    }

    #[test]
    fn grid_name_is_noted_and_remarks_created_when_absent() {
        let mut v2 = mixed(["WILLING", "WILLING"], Some("城厢镇新区村第3网格"));
        v2.as_object_mut().unwrap().remove("remarks");
        let back = downcast_v2_to_v1(&v2).unwrap();
        assert_eq!(back["remarks"], "[v2] 网格名称: 城厢镇新区村第3网格");
        assert_eq!(back["location"]["grid_code"], "320585100203-03");
        assert_eq!(back["location"]["community_code"], "320585100203");
    }

    #[test]
    fn overflowing_remarks_fail_instead_of_truncating() {
        let mut v2 = mixed(["WILLING", "REFUSED"], None);
        v2["remarks"] = json!("备".repeat(3990));
        match downcast_v2_to_v1(&v2) {
            Err(CastError::Unrepresentable { pointer, .. }) => assert_eq!(pointer, "/remarks"),
            other => panic!("expected Unrepresentable, got {other:?}"),
        }
    }

    #[test]
    fn conflicting_community_codes_are_refused() {
        let mut v2 = upcast_v1_to_v2(&v1()).unwrap();
        v2["location"]["community_code"] = json!("320585100204");
        assert!(matches!(
            downcast_v2_to_v1(&v2),
            Err(CastError::Unrepresentable { .. })
        ));
    }

    #[test]
    fn table_and_chaining() {
        assert_eq!(CASTERS.len(), 2);
        let up = find(MessageType::Referral, 1, 2).unwrap();
        assert!(up.lossless);
        let down = find(MessageType::Referral, 2, 1).unwrap();
        assert!(!down.lossless);
        assert!(find(MessageType::Referral, 1, 3).is_none());

        let p = v1();
        assert_eq!(cast(MessageType::Referral, 1, 1, &p).unwrap(), p);
        let v2 = cast(MessageType::Referral, 1, 2, &p).unwrap();
        assert_eq!(cast(MessageType::Referral, 2, 1, &v2).unwrap(), p);
        assert!(matches!(
            cast(MessageType::Referral, 1, 3, &p),
            Err(CastError::NoPath { from: 1, to: 3, .. })
        ));
        assert!(matches!(
            cast(MessageType::StationIntake, 1, 2, &p),
            Err(CastError::NoPath { .. })
        ));
    }
}
