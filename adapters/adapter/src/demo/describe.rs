//! What the demo prints of a native document: its kind and a few fields, read with the
//! simulators' native views ([`dept_sim::XmlView`], [`dept_sim::json_view`],
//! [`dept_sim::Hl7View`]) — the department system's own reading, not the adapters' codecs.
//!
//! Invariant: describing never fails; a document no view can read is shown as text.

use dept_sim::{Hl7View, NativeView, XmlView};
use serde_json::Value;

/// A native document as the demo shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Described {
    /// Its kind (`referral`, `QSHZ`, `ADT^A05`, …).
    pub(crate) kind: String,
    /// Its format (`REST JSON`, `XML`, `HL7`, …).
    pub(crate) format: &'static str,
    /// `(label, value)` of the fields shown, in order.
    pub(crate) fields: Vec<(String, String)>,
}

/// Describes `body`, read as `content_type` says when the document does not declare its
/// character set itself.
pub(crate) fn describe(content_type: Option<&str>, body: &[u8]) -> Described {
    match NativeView::parse(content_type, body) {
        Ok(NativeView::Json(value)) => json(&value),
        Ok(NativeView::Xml(view)) => xml(&view),
        Ok(NativeView::Hl7(view)) => hl7(&view),
        Err(error) => Described {
            kind: "unreadable".to_owned(),
            format: "?",
            fields: vec![
                ("error".to_owned(), error.to_string()),
                (
                    "text".to_owned(),
                    excerpt(&String::from_utf8_lossy(body), 300),
                ),
            ],
        },
    }
}

/// The text of a JSON value at `pointer`: strings as they are, other values as JSON.
fn at(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The listed `(label, pointer)` fields that are present.
fn pick(value: &Value, wanted: &[(&str, &str)]) -> Vec<(String, String)> {
    wanted
        .iter()
        .filter_map(|(label, pointer)| at(value, pointer).map(|v| ((*label).to_owned(), v)))
        .collect()
}

fn json(value: &Value) -> Described {
    if let Some(doc_type) = at(value, "/head/docType") {
        return station(value, doc_type);
    }
    if let Some(msg_type) = at(value, "/header/msgType") {
        return grid_to_platform(value, &msg_type);
    }
    if value.get("eventId").is_some() {
        let mut fields = pick(
            value,
            &[
                ("eventId", "/eventId"),
                ("taskId", "/taskId"),
                ("eventName", "/eventName"),
                ("happenTime", "/happenTime"),
                ("address", "/address"),
                ("reportPerson", "/reportPerson"),
            ],
        );
        if let Some(persons) = value.get("persons").and_then(Value::as_array) {
            for (i, person) in persons.iter().enumerate() {
                let sex = at(person, "/sex").unwrap_or_default();
                let age = at(person, "/estimatedAge").unwrap_or_default();
                fields.push((format!("persons[{i}]"), format!("sex {sex}, about {age}")));
            }
        }
        return Described {
            kind: "事件上报 eventReport".to_owned(),
            format: "JSON",
            fields,
        };
    }
    // A receipt or anything else: show it whole, briefly.
    Described {
        kind: "document".to_owned(),
        format: "JSON",
        fields: vec![("body".to_owned(), excerpt(&value.to_string(), 200))],
    }
}

/// A station REST JSON document (`head` + `data`).
fn station(value: &Value, doc_type: String) -> Described {
    let wanted: &[(&str, &str)] = match doc_type.as_str() {
        "referral" => &[
            ("docNo", "/head/docNo"),
            ("referralId", "/data/referralId"),
            ("location", "/data/location/addressText"),
            ("grid", "/data/location/gridCode"),
            ("reporter", "/data/reporter/name"),
            ("subjects[0].sexCode", "/data/subjects/0/sexCode"),
            ("subjects[0].estimatedAge", "/data/subjects/0/estimatedAge"),
            ("willingness", "/data/willingness"),
        ],
        "escortHandover" => &[
            ("docNo", "/head/docNo"),
            ("handoverNo", "/data/handoverNo"),
            ("person", "/data/person/name"),
            ("estimatedAge", "/data/person/estimatedAge"),
            ("escort", "/data/escortOfficers/0/name"),
            ("foundLocation", "/data/foundLocation/addressText"),
        ],
        "handoverAck" => &[
            ("docNo", "/head/docNo"),
            ("correlationId", "/head/correlationId"),
            ("handoverNo", "/data/handoverNo"),
            ("decision", "/data/decision"),
            ("receivingStaff", "/data/receivingStaff/name"),
            ("caseId", "/data/caseId"),
        ],
        "hospitalAdmission" => &[
            ("docNo", "/head/docNo"),
            ("transferId", "/data/transferId"),
            ("person", "/data/person/name"),
            ("reason", "/data/reason/description"),
            ("targetHospital", "/data/targetHospital/orgName"),
            ("caseId", "/data/caseId"),
        ],
        "admissionAck" => &[
            ("docNo", "/head/docNo"),
            ("correlationId", "/head/correlationId"),
            ("transferId", "/data/transferId"),
            ("admitted", "/data/admitted"),
            ("admissionNo", "/data/admissionNo"),
            ("department", "/data/department"),
            ("admittedAt", "/data/admittedAt"),
        ],
        "hospitalDischarge" => &[
            ("docNo", "/head/docNo"),
            ("admissionNo", "/data/admissionNo"),
            ("noticeType", "/data/noticeType"),
            ("dischargeType", "/data/dischargeType"),
            ("dischargeAt", "/data/dischargeAt"),
            ("diagnosis", "/data/dischargeDiagnosis/0/text"),
        ],
        "referralOutcome" => &[
            ("docNo", "/head/docNo"),
            ("correlationId", "/head/correlationId"),
            ("referralId", "/data/referralId"),
            ("outcome", "/data/outcome"),
            ("caseId", "/data/caseId"),
            ("handler", "/data/handler/name"),
        ],
        _ => &[
            ("docNo", "/head/docNo"),
            ("correlationId", "/head/correlationId"),
            ("data", "/data"),
        ],
    };
    let mut fields = pick(value, wanted);
    for (_, v) in &mut fields {
        *v = excerpt(v, 200);
    }
    Described {
        kind: doc_type,
        format: "REST JSON",
        fields,
    }
}

/// A document the hub sends the grid platform (`header` + `body`).
fn grid_to_platform(value: &Value, msg_type: &str) -> Described {
    let kind = match msg_type {
        "REFERRAL_OUTCOME" => "taskFeedback 任务反馈",
        "STATION_INTAKE" => "intakeNotice 入站登记通报",
        "HUB_REJECTED" => "rejectNotice 拒收通知",
        other => other,
    };
    let mut fields = pick(
        value,
        &[
            ("msgId", "/header/msgId"),
            ("correlationId", "/header/correlationId"),
            ("eventId", "/body/eventId"),
            ("taskId", "/body/taskId"),
            ("dealResult", "/body/dealResult"),
            ("dealResultName", "/body/dealResultName"),
            ("eventState", "/body/eventState"),
            ("rescueCaseId", "/body/rescueCaseId"),
        ],
    );
    if fields.len() <= 2 {
        fields.push(("body".to_owned(), excerpt(&value.to_string(), 300)));
    }
    Described {
        kind: kind.to_owned(),
        format: "JSON",
        fields,
    }
}

fn xml(view: &XmlView) -> Described {
    let root = view.root().to_owned();
    let wanted: Vec<(&str, String)> = match root.as_str() {
        "JJB" => vec![
            ("wdbh 文档编号", "JJB/XXT/wdbh".to_owned()),
            ("jjbh 交接编号", "JJB/jjbh".to_owned()),
            ("bhsry/xm 被护送人", "JJB/bhsry/xm".to_owned()),
            ("bhsry/mcnl 目测年龄", "JJB/bhsry/mcnl".to_owned()),
            ("hsmj/mj/xm 护送民警", "JJB/hsmj/mj/xm".to_owned()),
            ("fxdd/dzms 发现地点", "JJB/fxdd/dzms".to_owned()),
        ],
        "QSHZ" => vec![
            ("wdbh 文档编号", "QSHZ/XXT/wdbh".to_owned()),
            ("glxxbs 关联消息", "QSHZ/XXT/glxxbs".to_owned()),
            ("jjbh 交接编号", "QSHZ/jjbh".to_owned()),
            ("jsjd 接收结论", "QSHZ/jsjd".to_owned()),
            ("jsr/xm 接收人", "QSHZ/jsr/xm".to_owned()),
            ("jssj 接收时间", "QSHZ/jssj".to_owned()),
            ("jzgah 救助案号", "QSHZ/jzgah".to_owned()),
        ],
        other => vec![
            ("wdbh 文档编号", format!("{other}/XXT/wdbh")),
            ("glxxbs 关联消息", format!("{other}/XXT/glxxbs")),
            ("jgdm 结果代码", format!("{other}/jgdm")),
            ("jgms 结果描述", format!("{other}/jgms")),
        ],
    };
    let fields = wanted
        .into_iter()
        .filter_map(|(label, path)| view.get(&path).map(|v| (label.to_owned(), excerpt(v, 200))))
        .collect();
    let kind = match root.as_str() {
        "JJB" => "交接表 JJB".to_owned(),
        "QSHZ" => "签收回执 QSHZ".to_owned(),
        "HZ" => "回执 HZ".to_owned(),
        "JSTZ" => "拒收通知 JSTZ".to_owned(),
        _ => root,
    };
    Described {
        kind,
        format: "XML",
        fields,
    }
}

fn hl7(view: &Hl7View) -> Described {
    let kind = match (view.field("MSH", 9, 1), view.field("MSH", 9, 2)) {
        (Some(code), Some(event)) => format!("{code}^{event}"),
        (Some(code), None) => code.to_owned(),
        _ => "HL7".to_owned(),
    };
    // (label, segment, field, component, subcomponent or 0 for the whole component)
    let wanted: &[(&str, &str, usize, usize, usize)] = match kind.as_str() {
        "ADT^A05" => &[
            ("MSH-10 message control id", "MSH", 10, 1, 0),
            ("PID-5 name", "PID", 5, 1, 0),
            ("PID-7 birth date", "PID", 7, 1, 0),
            ("PID-8 sex", "PID", 8, 1, 0),
            ("PV1-3 hospital", "PV1", 3, 4, 1),
            ("PV1-5 送医单号", "PV1", 5, 1, 0),
            ("PV2-3 reason", "PV2", 3, 2, 0),
            ("ZHE-4 case", "ZHE", 4, 1, 0),
        ],
        "ADT^A01" | "ADT^A38" => &[
            ("MSH-10 message control id", "MSH", 10, 1, 0),
            ("PV1-3 ward", "PV1", 3, 1, 0),
            ("PV1-5 送医单号", "PV1", 5, 1, 0),
            ("PV1-19 住院号", "PV1", 19, 1, 0),
            ("PV1-44 admitted at", "PV1", 44, 1, 0),
            ("ZHE-5 answers", "ZHE", 5, 1, 0),
        ],
        "ADT^A03" | "ADT^A16" => &[
            ("MSH-10 message control id", "MSH", 10, 1, 0),
            ("PV1-19 住院号", "PV1", 19, 1, 0),
            ("PV1-36 disposition", "PV1", 36, 1, 0),
            ("PV1-45 discharged at", "PV1", 45, 1, 0),
            ("DG1-3 diagnosis", "DG1", 3, 2, 0),
        ],
        ack if ack.starts_with("ACK") => &[
            ("MSA-1 acknowledgement", "MSA", 1, 1, 0),
            ("MSA-2 answers", "MSA", 2, 1, 0),
            ("MSA-3 text", "MSA", 3, 1, 0),
            ("ERR-8 error", "ERR", 8, 1, 0),
        ],
        _ => &[
            ("MSH-10 message control id", "MSH", 10, 1, 0),
            ("ZHE-5 answers", "ZHE", 5, 1, 0),
        ],
    };
    let fields = wanted
        .iter()
        .filter_map(|(label, segment, field, component, subcomponent)| {
            let value = if *subcomponent == 0 {
                view.unescaped(segment, *field, *component)
            } else {
                view.segment(segment)?
                    .component(*field, 1, *component, *subcomponent)
                    .map(str::to_owned)
            };
            value.map(|v| ((*label).to_owned(), excerpt(&v, 200)))
        })
        .collect();
    Described {
        kind,
        format: "HL7",
        fields,
    }
}

/// The acknowledgement code of an HL7 ACK (`MSA-1`), if `body` is one.
pub(crate) fn ack_code(body: &[u8]) -> Option<String> {
    Hl7View::parse(body)
        .ok()?
        .field("MSA", 1, 1)
        .map(str::to_owned)
}

/// An adapter's answer to its department system, briefly: the receipt's result fields
/// (JSON `code`/`success`/`msg`; police XML `jgdm`/`jgsm`), else an excerpt.
pub(crate) fn receipt(content_type: Option<&str>, body: &[u8]) -> String {
    match NativeView::parse(content_type, body) {
        Ok(NativeView::Json(value)) => {
            let parts: Vec<String> = ["code", "success", "msg", "message"]
                .iter()
                .filter_map(|key| at(&value, &format!("/{key}")).map(|v| format!("{key} {v}")))
                .collect();
            if parts.is_empty() {
                excerpt(&value.to_string(), 120)
            } else {
                format!("receipt: {}", parts.join(", "))
            }
        }
        Ok(NativeView::Xml(view)) => {
            let root = view.root().to_owned();
            let parts: Vec<String> = ["jgdm", "jgsm"]
                .iter()
                .filter_map(|key| {
                    view.get(&format!("{root}/{key}"))
                        .map(|v| format!("{key} {v}"))
                })
                .collect();
            format!("{root} receipt: {}", parts.join(", "))
        }
        Ok(NativeView::Hl7(view)) => {
            format!("ACK {}", view.field("MSA", 1, 1).unwrap_or("(no MSA-1)"))
        }
        Err(_) => excerpt(&String::from_utf8_lossy(body), 120),
    }
}

/// How many terminal columns `text` takes: CJK and full-width characters take two.
pub(crate) fn width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let wide = matches!(
                u32::from(c),
                0x1100..=0x115F
                    | 0x2E80..=0x303E
                    | 0x3041..=0x33FF
                    | 0x3400..=0x4DBF
                    | 0x4E00..=0x9FFF
                    | 0xA000..=0xA4CF
                    | 0xAC00..=0xD7A3
                    | 0xF900..=0xFAFF
                    | 0xFE30..=0xFE4F
                    | 0xFF00..=0xFF60
                    | 0xFFE0..=0xFFE6
            );
            if wide { 2 } else { 1 }
        })
        .sum()
}

/// `text` padded with spaces to `columns` terminal columns.
pub(crate) fn pad(text: &str, columns: usize) -> String {
    let mut padded = text.to_owned();
    padded.push_str(&" ".repeat(columns.saturating_sub(width(text))));
    padded
}

/// `text` on one line, at most `max` characters.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn documents_of_each_format_are_described() {
        let station = describe(
            Some("application/json"),
            br#"{"head":{"docType":"referral","docNo":"m-1"},"data":{"referralId":"R-1","subjects":[{"estimatedAge":55}]}}"#,
        );
        assert_eq!(station.kind, "referral");
        assert_eq!(
            station.fields,
            vec![
                ("docNo".to_owned(), "m-1".to_owned()),
                ("referralId".to_owned(), "R-1".to_owned()),
                ("subjects[0].estimatedAge".to_owned(), "55".to_owned()),
            ]
        );
        let xml = describe(None, "<QSHZ><jjbh>J-1</jjbh></QSHZ>".as_bytes());
        assert_eq!(xml.kind, "签收回执 QSHZ");
        assert_eq!(xml.format, "XML");
        assert_eq!(
            xml.fields,
            vec![("jjbh 交接编号".to_owned(), "J-1".to_owned())]
        );
        let hl7 = describe(
            None,
            b"MSH|^~\\&|A|B|C|D|20250101||ACK^A05|X1|P|2.5\rMSA|AA|M-9",
        );
        assert_eq!(hl7.kind, "ACK^A05");
        let unreadable = describe(None, b"???");
        assert_eq!(unreadable.kind, "unreadable");
        assert_eq!(
            ack_code(b"MSH|^~\\&|A|B|C|D|1||ACK|X|P|2.5\rMSA|AE|M"),
            Some("AE".to_owned())
        );
        assert_eq!(excerpt("a\n  b", 10), "a b");
        assert_eq!(width("ab救助站"), 8);
        assert_eq!(pad("救助", 6), "救助  ");
        assert_eq!(
            receipt(None, br#"{"code":200,"success":true,"msg":"ok","data":{}}"#),
            "receipt: code 200, success true, msg ok"
        );
        assert_eq!(
            receipt(
                None,
                "<HZ><jgdm>00</jgdm><jgsm>接收成功</jgsm></HZ>".as_bytes()
            ),
            "HZ receipt: jgdm 00, jgsm 接收成功"
        );
        assert_eq!(excerpt("abcdef", 3), "abc…");
    }
}
