//! Segment-level mappers shared by several message types, each with its writing half (from
//! the lenient JSON view [`J`], which tolerates fields the hub projected away) and its
//! reading half (into the contracts' typed structs, so a required field that is missing is
//! an error naming the HL7 field) side by side:
//!
//! | canonical | HL7 |
//! |---|---|
//! | `PersonIdentity` / `IdentityDelta` | `PID` + `ZPI` |
//! | `Staff` (contacts, escorts) | `ROL` |
//! | `Reporter`, `Staff` (referral handler) | `PRD` |
//! | `Attachment` | `ZAT` |
//! | `Location`, `ReferralLocation` | `ZLO` |
//! | `Belonging` | `ZBL` (+ `ZAT` for its photo) |
//! | `Diagnosis` | `DG1` |
//! | `PhysicalDescription`, `HealthState` | OBX groups (+ `ZAT` for photos) |

use adapter_core::CodecError;
use contracts::model::identity_update::IdentityDelta;
use contracts::model::referral::{ReferralGeo, ReferralGrid, ReferralLocation};
use contracts::model::{
    Attachment, Belonging, Crs, Diagnosis, HealthState, Location, PersonIdentity,
    PhysicalDescription, PlaceType, Staff,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::datatypes::{self, yn};
use super::obx::{Observations, ObxWriter, ce};
use super::{
    ATTACHMENT_KIND, BUILD, COUNTRY_CODES, CRS, CodeList, DISPOSITION, ETHNICITY_CODES,
    HEALTH_CATEGORY, HUB_AUTHORITY, ICD10, IDENTITY_STATUS, INTELLECTUAL_STATE, J, MCA_AUTHORITY,
    MENTAL_STATE, PLACE_TYPE, ROL_SLOT, SENSITIVITY, STAFF_ROLE, attachment_role, code,
};
use crate::hl7::{Field, Message, Rep, Segment, truncate};

/// A required field is absent.
pub fn missing(field: impl Into<String>, meaning: &str) -> CodecError {
    CodecError::MissingField {
        field: field.into(),
        meaning: meaning.to_owned(),
    }
}

/// A field's value cannot be translated.
pub fn invalid(field: impl Into<String>, value: &str, detail: &str) -> CodecError {
    CodecError::InvalidField {
        field: field.into(),
        value: truncate(value),
        detail: detail.to_owned(),
    }
}

/// A present value, or the error naming the field.
pub fn req<T>(value: Option<T>, field: &str, meaning: &str) -> Result<T, CodecError> {
    value.ok_or_else(|| missing(field, meaning))
}

/// A code of a code list as the canonical enum it names.
pub fn coded<T: DeserializeOwned>(
    value: &str,
    field: &str,
    list: &CodeList,
) -> Result<T, CodecError> {
    if !list.has(value) {
        return Err(invalid(field, value, &list.describe()));
    }
    serde_json::from_value(Value::String(value.to_owned()))
        .map_err(|_| invalid(field, value, &list.describe()))
}

/// The offset date-time of a TS field (component 1).
pub fn read_ts(segment: &Segment, n: usize) -> Result<Option<String>, CodecError> {
    segment
        .text(n)
        .map(|ts| {
            datatypes::datetime_of(ts)
                .map_err(|detail| invalid(format!("{}-{n}", segment.id()), ts, &detail))
        })
        .transpose()
}

/// A TS field that must be present.
pub fn req_ts(segment: &Segment, n: usize, meaning: &str) -> Result<String, CodecError> {
    read_ts(segment, n)?.ok_or_else(|| missing(format!("{}-{n}", segment.id()), meaning))
}

/// A TS field from an offset date-time (empty when absent).
pub fn ts_field(value: Option<&str>, field: &str) -> Result<Field, CodecError> {
    value
        .map(|v| {
            datatypes::ts_of(v)
                .map(Field::text)
                .ok_or_else(|| invalid(field, v, "not an offset date-time"))
        })
        .transpose()
        .map(Option::unwrap_or_default)
}

/// An organisation as HD subcomponents of component `c`: name & USCC & `L`.
fn with_org(rep: Rep, c: usize, name: Option<&str>, org_code: Option<&str>) -> Rep {
    let rep = rep.with_sub(c, 1, name.unwrap_or_default());
    match org_code {
        Some(org_code) => rep.with_sub(c, 2, org_code).with_sub(c, 3, "L"),
        None => rep,
    }
}

// ----------------------------------------------------------------------------------------
// PID + ZPI: PersonIdentity / IdentityDelta
// ----------------------------------------------------------------------------------------

/// The PID of a person (a `PersonIdentity` or an `IdentityDelta`; its own `person_id` is not
/// written: `key_person_id` is the hub person id the PID identifies).
pub fn write_pid(person: J<'_>, key_person_id: Option<&str>) -> Result<Segment, CodecError> {
    let mut ids = Vec::new();
    if let Some(id) = key_person_id {
        ids.push(Rep::text(id).with(4, HUB_AUTHORITY).with(5, "PT"));
    }
    let doc_type = person.get("id_doc_type").str();
    if doc_type.is_some() || person.get("id_number").exists() {
        let type_code = doc_type
            .map(|t| {
                datatypes::id_type_code(t)
                    .ok_or_else(|| invalid("PID-3.5", t, "not a GA/T 2000.156 document type"))
            })
            .transpose()?;
        ids.push(
            Rep::new()
                .with_opt(1, person.get("id_number").str())
                .with_opt(5, type_code),
        );
    }
    if let Some(no) = person.get("national_rescue_record_no").str() {
        ids.push(Rep::text(no).with(4, MCA_AUTHORITY).with(5, "RRI"));
    }
    let mut names = Vec::new();
    let assigned = person.get("name_is_assigned").bool();
    if person.get("name").exists() || assigned.is_some() {
        let type_code = assigned.map(|a| if a { "S" } else { "L" });
        names.push(
            Rep::new()
                .with_opt(1, person.get("name").str())
                .with_opt(7, type_code),
        );
    }
    for alias in person.get("alias_names").strs() {
        names.push(Rep::text(alias).with(7, "A"));
    }
    let birth = person
        .get("birth_date")
        .str()
        .map(|d| {
            datatypes::partial_dt_of(d).ok_or_else(|| invalid("PID-7", d, "not a partial date"))
        })
        .transpose()?;
    let sex = person
        .get("sex_code")
        .str()
        .map(|s| {
            datatypes::hl7_sex(s).ok_or_else(|| invalid("PID-8", s, "not a GB/T 2261.1 sex code"))
        })
        .transpose()?;
    let mut addresses = Vec::new();
    let household_region = person.get("household_region_code").str();
    let household = person.get("household_address").str();
    if household.is_some() || household_region.is_some() {
        addresses.push(
            Rep::new()
                .with_opt(1, household)
                .with(7, "P")
                .with_opt(9, household_region),
        );
    }
    if let Some(residence) = person.get("residence_address").str() {
        addresses.push(Rep::text(residence).with(7, "H"));
    }
    let status = person.get("identity_status").str();
    let mut pid = Segment::new("PID")
        .with(1, Field::text("1"))
        .with(3, Field::reps(ids))
        .with(5, Field::reps(names))
        .with(7, Field::opt(birth.as_deref()))
        .with(8, Field::opt(sex))
        .with(11, Field::reps(addresses));
    if let Some(dialect) = person.get("dialect_or_accent").str() {
        pid.set(15, Field::rep(Rep::new().with(2, dialect)));
    }
    if let Some(ethnicity) = person.get("ethnicity_code").str() {
        let name = contracts::codes::ethnicity::lookup(ethnicity).map_or("", |e| e.name_zh);
        pid.set(
            22,
            Field::rep(
                Rep::new()
                    .with(1, ethnicity)
                    .with(2, name)
                    .with(3, ETHNICITY_CODES),
            ),
        );
    }
    if let Some(country) = person.get("nationality_code").str() {
        pid.set(
            28,
            Field::rep(Rep::new().with(1, country).with(3, COUNTRY_CODES)),
        );
    }
    if let Some(status) = status {
        pid.set(31, Field::text(yn(status == "UNKNOWN")));
        pid.set(32, Field::text(status));
    }
    Ok(pid)
}

/// The ZPI of a person (是否未成年, 目测年龄), if either is known.
pub fn write_zpi(person: J<'_>) -> Option<Segment> {
    let minor = person.get("is_minor").bool();
    let age = person.get("estimated_age").u64();
    (minor.is_some() || age.is_some()).then(|| {
        Segment::new("ZPI")
            .with(1, Field::opt(minor.map(yn)))
            .with(2, Field::opt(age.map(|a| a.to_string()).as_deref()))
    })
}

/// The identity a PID (and ZPI) carries, every field optional; `person_id` is the hub id of
/// PID-3 (type `PT`, authority `HUB`).
pub fn read_identity(pid: &Segment, zpi: Option<&Segment>) -> Result<IdentityDelta, CodecError> {
    let mut d = IdentityDelta::default();
    for rep in pid.reps(3) {
        match (rep.comp(5), rep.comp(4)) {
            (Some("PT"), Some(HUB_AUTHORITY)) if d.person_id.is_none() => {
                d.person_id = rep.comp(1).map(str::to_owned);
            }
            (Some("PT"), Some(HUB_AUTHORITY)) => {}
            (Some("RRI"), _) if d.national_rescue_record_no.is_none() => {
                d.national_rescue_record_no = rep.comp(1).map(str::to_owned);
            }
            (Some("RRI"), _) => {}
            (Some(type_code), _) => {
                if let Some(doc) = datatypes::doc_type_of(type_code)
                    && d.id_doc_type.is_none()
                {
                    d.id_doc_type = Some(doc.to_owned());
                    d.id_number = rep.comp(1).map(str::to_owned);
                }
            }
            _ => {}
        }
    }
    let full_name = |rep: &Rep| -> Option<String> {
        match (rep.sub(1, 1), rep.comp(2)) {
            (Some(family), Some(given)) => Some(format!("{family}{given}")),
            (Some(family), None) => Some(family.to_owned()),
            (None, Some(given)) => Some(given.to_owned()),
            (None, None) => None,
        }
    };
    let mut aliases = Vec::new();
    let mut name_seen = false;
    for rep in pid.reps(5) {
        if rep.comp(7) == Some("A") {
            aliases.extend(full_name(rep));
        } else if !name_seen {
            name_seen = true;
            d.name = full_name(rep);
            d.name_is_assigned = match rep.comp(7) {
                Some("S") => Some(true),
                Some("L") => Some(false),
                _ => None,
            };
        }
    }
    d.alias_names = (!aliases.is_empty()).then_some(aliases);
    if let Some(birth) = pid.text(7) {
        d.birth_date = Some(
            datatypes::partial_date_of(birth).map_err(|detail| invalid("PID-7", birth, &detail))?,
        );
    }
    if let Some(sex) = pid.text(8) {
        d.sex_code = Some(
            datatypes::gb_sex(sex)
                .ok_or_else(|| {
                    invalid("PID-8", sex, "expected M, F, U, A, N or O (HL7 table 0001)")
                })?
                .to_owned(),
        );
    }
    for rep in pid.reps(11) {
        match rep.comp(7) {
            Some("P") if d.household_address.is_none() && d.household_region_code.is_none() => {
                d.household_address = rep.sub(1, 1).map(str::to_owned);
                d.household_region_code = rep.comp(9).map(str::to_owned);
            }
            Some("H") if d.residence_address.is_none() => {
                d.residence_address = rep.sub(1, 1).map(str::to_owned);
            }
            _ => {}
        }
    }
    d.dialect_or_accent = pid.comp(15, 2).map(str::to_owned);
    d.ethnicity_code = pid.comp(22, 1).map(str::to_owned);
    d.nationality_code = pid.comp(28, 1).map(str::to_owned);
    d.identity_status = pid
        .text(32)
        .map(|s| coded(s, "PID-32", &IDENTITY_STATUS))
        .transpose()?;
    if let Some(zpi) = zpi {
        d.is_minor = zpi
            .text(1)
            .map(|v| datatypes::bool_of(v).map_err(|detail| invalid("ZPI-1", v, &detail)))
            .transpose()?;
        d.estimated_age = zpi
            .text(2)
            .map(|v| {
                v.parse::<u8>()
                    .map_err(|_| invalid("ZPI-2", v, "not an age in whole years (0-255)"))
            })
            .transpose()?;
    }
    Ok(d)
}

/// A complete `PersonIdentity` from a PID/ZPI reading (status, sex and minority required).
pub fn person_identity(d: IdentityDelta) -> Result<PersonIdentity, CodecError> {
    Ok(PersonIdentity {
        identity_status: req(d.identity_status, "PID-32", "身份状态 identity status")?,
        sex_code: req(d.sex_code, "PID-8", "性别 sex")?,
        is_minor: req(d.is_minor, "ZPI-1", "是否未成年 minor")?,
        person_id: d.person_id,
        name: d.name,
        name_is_assigned: d.name_is_assigned,
        alias_names: d.alias_names,
        birth_date: d.birth_date,
        estimated_age: d.estimated_age,
        ethnicity_code: d.ethnicity_code,
        nationality_code: d.nationality_code,
        id_doc_type: d.id_doc_type,
        id_number: d.id_number,
        household_region_code: d.household_region_code,
        household_address: d.household_address,
        residence_address: d.residence_address,
        dialect_or_accent: d.dialect_or_accent,
        national_rescue_record_no: d.national_rescue_record_no,
    })
}

// ----------------------------------------------------------------------------------------
// ROL: Staff
// ----------------------------------------------------------------------------------------

/// `ROL|||<slot>^<中文>^99TCH|<no>^<name>^…^<org name>&<USCC>&L|||||<role>|||<phone>`.
pub fn write_rol(slot: &str, staff: J<'_>) -> Segment {
    let person = with_org(
        Rep::new()
            .with_opt(1, staff.get("badge_or_staff_no").str())
            .with_sub(2, 1, staff.get("name").str().unwrap_or_default()),
        14,
        staff.get("org_name").str(),
        staff.get("org_code").str(),
    );
    let mut rol = Segment::new("ROL")
        .with(2, Field::text("AD"))
        .with(3, Field::rep(ce(slot, &ROL_SLOT)))
        .with(4, Field::rep(person));
    if let Some(role) = staff.get("role").str() {
        rol.set(9, Field::rep(ce(role, &STAFF_ROLE)));
    }
    if let Some(phone) = staff.get("phone").str() {
        rol.set(12, Field::text(phone));
    }
    rol
}

/// The slot a ROL fills (ROL-3.1).
pub fn rol_slot(rol: &Segment) -> Option<&str> {
    rol.comp(3, 1)
}

/// The staff member of a ROL.
pub fn read_rol(rol: &Segment) -> Result<Staff, CodecError> {
    let person = rol.field(4).and_then(Field::first);
    let at = |c: usize, s: usize| person.and_then(|p| p.sub(c, s)).map(str::to_owned);
    // XCN-2 family name and XCN-3 given name: a Chinese name is written family first.
    let name = match (at(2, 1), at(3, 1)) {
        (Some(family), Some(given)) => Some(family + &given),
        (family, given) => family.or(given),
    };
    Ok(Staff {
        name: req(name, "ROL-4.2", "姓名 name")?,
        badge_or_staff_no: at(1, 1),
        org_code: at(14, 2),
        org_name: req(at(14, 1), "ROL-4.14", "单位名称 organisation name")?,
        phone: rol.text(12).map(str::to_owned),
        role: rol
            .comp(9, 1)
            .map(|r| coded(r, "ROL-9", &STAFF_ROLE))
            .transpose()?,
    })
}

// ----------------------------------------------------------------------------------------
// PRD: Reporter / referral handler
// ----------------------------------------------------------------------------------------

/// A provider (PRD): the referral's reporter or the station's handler.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provider {
    /// Reporter kind or staff role (PRD-1, second repetition).
    pub kind: Option<String>,
    /// 姓名 (PRD-2).
    pub name: Option<String>,
    /// 电话 (PRD-5).
    pub phone: Option<String>,
    /// 警号/工号 (PRD-7).
    pub staff_no: Option<String>,
    /// 单位代码 (PRD-4.4.2).
    pub org_code: Option<String>,
    /// 单位名称 (PRD-4.4.1).
    pub org_name: Option<String>,
}

/// `PRD|<RP|RT>^^HL70286~<kind>^<中文>^99TCH|<name>||^^^<org>&<USCC>&L|<phone>||<no>`.
pub fn write_prd(hl7_role: &str, kind_list: &CodeList, p: &Provider) -> Segment {
    let mut roles = vec![Rep::text(hl7_role).with(3, "HL70286")];
    if let Some(kind) = &p.kind {
        roles.push(ce(kind, kind_list));
    }
    let mut prd = Segment::new("PRD")
        .with(1, Field::reps(roles))
        .with(2, Field::opt(p.name.as_deref()))
        .with(5, Field::opt(p.phone.as_deref()))
        .with(7, Field::opt(p.staff_no.as_deref()));
    if p.org_name.is_some() || p.org_code.is_some() {
        prd.set(
            4,
            Field::rep(with_org(
                Rep::new(),
                4,
                p.org_name.as_deref(),
                p.org_code.as_deref(),
            )),
        );
    }
    prd
}

/// The PRD of an HL7 provider role (`RP` referring, `RT` referred-to).
pub fn find_prd<'m>(message: &'m Message, hl7_role: &str) -> Option<&'m Segment> {
    message
        .all("PRD")
        .find(|prd| prd.reps(1).next().and_then(|r| r.comp(1)) == Some(hl7_role))
}

/// The provider of a PRD.
pub fn read_prd(prd: &Segment) -> Provider {
    let owned = |v: Option<&str>| v.map(str::to_owned);
    Provider {
        kind: owned(prd.reps(1).nth(1).and_then(|r| r.comp(1))),
        name: match (prd.sub(2, 1, 1), prd.comp(2, 2)) {
            (Some(family), Some(given)) => Some(format!("{family}{given}")),
            (family, given) => owned(family.or(given)),
        },
        phone: owned(prd.text(5)),
        staff_no: owned(prd.text(7)),
        org_code: owned(prd.sub(4, 4, 2)),
        org_name: owned(prd.sub(4, 4, 1)),
    }
}

// ----------------------------------------------------------------------------------------
// ZAT: Attachment
// ----------------------------------------------------------------------------------------

/// `ZAT|<role>|<group>|<id>|<kind>|<mime>|<hash>|<uri>|<sensitivity>`.
pub fn write_zat(role: &str, group: &str, attachment: J<'_>) -> Segment {
    let text = |k: &str| Field::opt(attachment.get(k).str());
    Segment::new("ZAT")
        .with(1, Field::text(role))
        .with(2, Field::text(group))
        .with(3, text("attachment_id"))
        .with(4, text("kind"))
        .with(5, text("mime_type"))
        .with(6, text("hash"))
        .with(7, text("uri"))
        .with(8, text("sensitivity"))
}

/// The attachment of a ZAT.
pub fn read_zat(zat: &Segment) -> Result<Attachment, CodecError> {
    let text =
        |n: usize, meaning: &str| req(zat.text(n).map(str::to_owned), &format!("ZAT-{n}"), meaning);
    Ok(Attachment {
        attachment_id: text(3, "附件标识 attachment id")?,
        kind: coded(&text(4, "附件类别 kind")?, "ZAT-4", &ATTACHMENT_KIND)?,
        mime_type: text(5, "媒体类型 media type")?,
        hash: text(6, "摘要 hash")?,
        uri: text(7, "引用 uri")?,
        sensitivity: zat
            .text(8)
            .map(|s| coded(s, "ZAT-8", &SENSITIVITY))
            .transpose()?,
    })
}

/// The attachments of one role and group, in order.
pub fn read_attachments(
    message: &Message,
    role: &str,
    group: &str,
) -> Result<Vec<Attachment>, CodecError> {
    message
        .all("ZAT")
        .filter(|z| z.text(1) == Some(role) && z.text(2).unwrap_or_default() == group)
        .map(read_zat)
        .collect()
}

/// The attachments of one role and group; `None` when there are none.
pub fn read_attachments_opt(
    message: &Message,
    role: &str,
    group: &str,
) -> Result<Option<Vec<Attachment>>, CodecError> {
    let all = read_attachments(message, role, group)?;
    Ok((!all.is_empty()).then_some(all))
}

/// The one attachment of a role (group empty), if any.
pub fn read_attachment(message: &Message, role: &str) -> Result<Option<Attachment>, CodecError> {
    Ok(read_attachments(message, role, "")?.into_iter().next())
}

/// ZAT segments for each attachment of an array.
pub fn write_zats(role: &str, group: &str, attachments: J<'_>) -> Vec<Segment> {
    attachments
        .items()
        .map(|a| write_zat(role, group, a))
        .collect()
}

// ----------------------------------------------------------------------------------------
// ZLO: Location / ReferralLocation
// ----------------------------------------------------------------------------------------

/// A place as ZLO carries it: the union of `Location` and `ReferralLocation`.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatLocation {
    /// 地址描述 (ZLO-2).
    pub address_text: String,
    /// GB/T 2260 region (ZLO-3).
    pub region_code: String,
    /// 村居代码 (ZLO-4).
    pub community_code: Option<String>,
    /// 网格编码 (ZLO-5).
    pub grid_code: Option<String>,
    /// 网格名称 (ZLO-6).
    pub grid_name: Option<String>,
    /// 经度 (ZLO-7).
    pub longitude: Option<f64>,
    /// 纬度 (ZLO-8).
    pub latitude: Option<f64>,
    /// Coordinate system (ZLO-9).
    pub crs: Option<Crs>,
    /// 场所类型 (ZLO-10).
    pub place_type: Option<PlaceType>,
}

/// `ZLO|<role>|address|region|community|grid code|grid name|lon|lat|crs|place type` from a
/// `Location` (v1 shape) or a `ReferralLocation` (`grid` and `geo` objects).
pub fn write_zlo<'a>(role: &str, location: J<'a>) -> Segment {
    let grid = location.get("grid");
    let geo = location.get("geo");
    let pick = |flat: &str, nested: J<'a>, key: &str| -> Option<&'a str> {
        location.get(flat).str().or(nested.get(key).str())
    };
    let number = |flat: &str, key: &str| {
        location
            .get(flat)
            .f64()
            .or(geo.get(key).f64())
            .map(datatypes::nm_of)
    };
    Segment::new("ZLO")
        .with(1, Field::text(role))
        .with(2, Field::opt(location.get("address_text").str()))
        .with(3, Field::opt(location.get("region_code").str()))
        .with(
            4,
            Field::opt(pick("community_code", grid, "community_code")),
        )
        .with(5, Field::opt(pick("grid_code", grid, "grid_code")))
        .with(6, Field::opt(grid.get("grid_name").str()))
        .with(7, Field::opt(number("longitude", "longitude").as_deref()))
        .with(8, Field::opt(number("latitude", "latitude").as_deref()))
        .with(9, Field::opt(pick("crs", geo, "crs")))
        .with(10, Field::opt(location.get("place_type").str()))
}

/// The place of the ZLO of a role, if any.
pub fn read_zlo(message: &Message, role: &str) -> Result<Option<FlatLocation>, CodecError> {
    let Some(zlo) = message.all("ZLO").find(|z| z.text(1) == Some(role)) else {
        return Ok(None);
    };
    let text = |n: usize| zlo.text(n).map(str::to_owned);
    let number = |n: usize| -> Result<Option<f64>, CodecError> {
        zlo.text(n)
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| invalid(format!("ZLO-{n}"), v, "not a number"))
            })
            .transpose()
    };
    Ok(Some(FlatLocation {
        address_text: req(text(2), "ZLO-2", "地址描述 address")?,
        region_code: req(text(3), "ZLO-3", "行政区划 region code")?,
        community_code: text(4),
        grid_code: text(5),
        grid_name: text(6),
        longitude: number(7)?,
        latitude: number(8)?,
        crs: zlo.text(9).map(|v| coded(v, "ZLO-9", &CRS)).transpose()?,
        place_type: zlo
            .text(10)
            .map(|v| coded(v, "ZLO-10", &PLACE_TYPE))
            .transpose()?,
    }))
}

impl FlatLocation {
    /// As the shared `Location` (grid name, which it has no place for, is dropped).
    pub fn into_location(self) -> Location {
        Location {
            address_text: self.address_text,
            region_code: self.region_code,
            community_code: self.community_code,
            grid_code: self.grid_code,
            longitude: self.longitude,
            latitude: self.latitude,
            crs: self.crs,
            place_type: self.place_type,
        }
    }

    /// As REFERRAL v2's `ReferralLocation`: the community code goes with the grid when
    /// there is one; coordinates need all of longitude, latitude and CRS.
    pub fn into_referral_location(self) -> Result<ReferralLocation, CodecError> {
        let geo = match (self.longitude, self.latitude, self.crs) {
            (Some(longitude), Some(latitude), Some(crs)) => Some(ReferralGeo {
                longitude,
                latitude,
                crs,
            }),
            (None, None, None) => None,
            _ => {
                return Err(missing(
                    "ZLO-7",
                    "经纬度 coordinates: longitude (ZLO-7), latitude (ZLO-8) and CRS (ZLO-9) go together",
                ));
            }
        };
        let (grid, community_code) = match self.grid_code {
            Some(grid_code) => (
                Some(ReferralGrid {
                    grid_code,
                    grid_name: self.grid_name,
                    community_code: self.community_code,
                }),
                None,
            ),
            None => (None, self.community_code),
        };
        Ok(ReferralLocation {
            address_text: self.address_text,
            region_code: self.region_code,
            community_code,
            grid,
            geo,
            place_type: self.place_type,
        })
    }
}

// ----------------------------------------------------------------------------------------
// ZBL: Belonging
// ----------------------------------------------------------------------------------------

/// `ZBL|<n>|item|quantity|description|cash|is document|is prohibited|disposition` per
/// belonging, and a `ZAT|BELONGING_PHOTO|<n>|…` for each photo.
pub fn write_belongings(belongings: J<'_>) -> (Vec<Segment>, Vec<Segment>) {
    let mut zbl = Vec::new();
    let mut zat = Vec::new();
    for (i, b) in belongings.items().enumerate() {
        let n = (i + 1).to_string();
        zbl.push(
            Segment::new("ZBL")
                .with(1, Field::text(&n))
                .with(2, Field::opt(b.get("item").str()))
                .with(
                    3,
                    Field::opt(b.get("quantity").u64().map(|q| q.to_string()).as_deref()),
                )
                .with(4, Field::opt(b.get("description").str()))
                .with(
                    5,
                    Field::opt(b.get("cash_amount").f64().map(datatypes::nm_of).as_deref()),
                )
                .with(6, Field::opt(b.get("is_document").bool().map(yn)))
                .with(7, Field::opt(b.get("is_prohibited").bool().map(yn)))
                .with(8, Field::opt(b.get("disposition").str())),
        );
        if b.get("photo_ref").exists() {
            zat.push(write_zat(
                attachment_role::BELONGING_PHOTO,
                &n,
                b.get("photo_ref"),
            ));
        }
    }
    (zbl, zat)
}

/// The belongings of the ZBL segments; `None` when there are none.
pub fn read_belongings(message: &Message) -> Result<Option<Vec<Belonging>>, CodecError> {
    let mut out = Vec::new();
    for zbl in message.all("ZBL") {
        let n = zbl.text(1).unwrap_or_default();
        let flag = |i: usize| -> Result<Option<bool>, CodecError> {
            zbl.text(i)
                .map(|v| {
                    datatypes::bool_of(v).map_err(|detail| invalid(format!("ZBL-{i}"), v, &detail))
                })
                .transpose()
        };
        let quantity = req(zbl.text(3), "ZBL-3", "数量 quantity")?;
        out.push(Belonging {
            item: req(zbl.text(2), "ZBL-2", "物品名称 item")?.to_owned(),
            quantity: quantity
                .parse()
                .map_err(|_| invalid("ZBL-3", quantity, "not a whole number"))?,
            description: zbl.text(4).map(str::to_owned),
            cash_amount: zbl
                .text(5)
                .map(|v| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .ok_or_else(|| invalid("ZBL-5", v, "not a number"))
                })
                .transpose()?,
            is_document: flag(6)?,
            is_prohibited: flag(7)?,
            disposition: coded(
                req(zbl.text(8), "ZBL-8", "处置 disposition")?,
                "ZBL-8",
                &DISPOSITION,
            )?,
            photo_ref: read_attachments(message, attachment_role::BELONGING_PHOTO, n)?
                .into_iter()
                .next(),
        });
    }
    Ok((!out.is_empty()).then_some(out))
}

// ----------------------------------------------------------------------------------------
// DG1: Diagnosis
// ----------------------------------------------------------------------------------------

/// `DG1|<n>||<ICD-10>^<text>^I10|||<type>` per diagnosis (`A` admitting, `F` final).
pub fn write_dg1(diagnoses: J<'_>, diagnosis_type: &str) -> Vec<Segment> {
    diagnoses
        .items()
        .enumerate()
        .map(|(i, d)| {
            let code = d.get("code").str();
            Segment::new("DG1")
                .with(1, Field::text((i + 1).to_string()))
                .with(
                    3,
                    Field::rep(
                        Rep::new()
                            .with_opt(1, code)
                            .with_opt(2, d.get("text").str())
                            .with_opt(3, code.map(|_| ICD10)),
                    ),
                )
                .with(6, Field::text(diagnosis_type))
        })
        .collect()
}

/// The diagnoses of the DG1 segments; `None` when there are none.
pub fn read_dg1(message: &Message) -> Result<Option<Vec<Diagnosis>>, CodecError> {
    let all: Vec<Diagnosis> = message
        .all("DG1")
        .map(|dg1| {
            Ok(Diagnosis {
                code: dg1.comp(3, 1).map(str::to_owned),
                text: req(dg1.comp(3, 2), "DG1-3.2", "诊断名称 diagnosis text")?.to_owned(),
            })
        })
        .collect::<Result<_, CodecError>>()?;
    Ok((!all.is_empty()).then_some(all))
}

// ----------------------------------------------------------------------------------------
// OBX groups: PhysicalDescription, HealthState
// ----------------------------------------------------------------------------------------

/// The observations of a physical description (sub-ID `group`); returns the ZAT segments
/// of its photos.
pub fn write_physical(obx: &mut ObxWriter, group: &str, pd: J<'_>) -> Vec<Segment> {
    obx.nm(code::HEIGHT, group, pd.get("height_cm").f64(), "cm");
    obx.ce(code::BUILD, group, pd.get("build").str(), &BUILD);
    obx.st(code::HAIR, group, pd.get("hair").str());
    obx.st(code::MARKS, group, pd.get("distinguishing_marks").str());
    obx.st(code::CLOTHING, group, pd.get("clothing_when_found").str());
    obx.ce(
        code::INTELLECT,
        group,
        pd.get("intellectual_state").str(),
        &INTELLECTUAL_STATE,
    );
    obx.ce(
        code::MENTAL,
        group,
        pd.get("mental_state").str(),
        &MENTAL_STATE,
    );
    write_zats(attachment_role::PHOTO, group, pd.get("photo_refs"))
}

/// The physical description of sub-ID `group`; `None` when none of its observations (or
/// photos) is present.
pub fn read_physical(
    obs: &Observations<'_>,
    message: &Message,
    group: &str,
) -> Result<Option<PhysicalDescription>, CodecError> {
    let pd = PhysicalDescription {
        height_cm: obs.whole(code::HEIGHT, group)?,
        build: obs.coded(code::BUILD, group, &BUILD)?,
        hair: obs.text(code::HAIR, group),
        distinguishing_marks: obs.text(code::MARKS, group),
        clothing_when_found: obs.text(code::CLOTHING, group),
        intellectual_state: obs.coded(code::INTELLECT, group, &INTELLECTUAL_STATE)?,
        mental_state: obs.coded(code::MENTAL, group, &MENTAL_STATE)?,
        photo_refs: read_attachments_opt(message, attachment_role::PHOTO, group)?,
    };
    Ok((pd != PhysicalDescription::default()).then_some(pd))
}

/// The observations of a health state (sub-ID `group`).
pub fn write_health(obx: &mut ObxWriter, group: &str, health: J<'_>) {
    obx.ce(
        code::HEALTH,
        group,
        health.get("overall").str(),
        &HEALTH_CATEGORY,
    );
    obx.ce_many(
        code::HEALTH_FLAG,
        group,
        &health.get("flags").strs(),
        &HEALTH_CATEGORY,
    );
    obx.yn(
        code::NEEDS_MEDICAL,
        group,
        health.get("needs_medical").bool(),
    );
    obx.tx(code::HEALTH_NOTES, group, health.get("notes").str());
}

/// The health state of sub-ID `group` (overall and needs-medical required).
pub fn read_health(obs: &Observations<'_>, group: &str) -> Result<HealthState, CodecError> {
    Ok(HealthState {
        overall: obs.req_coded(code::HEALTH, group, &HEALTH_CATEGORY)?,
        flags: obs.coded_many(code::HEALTH_FLAG, group, &HEALTH_CATEGORY)?,
        needs_medical: obs.req_yn(code::NEEDS_MEDICAL, group)?,
        notes: obs.text(code::HEALTH_NOTES, group),
    })
}
