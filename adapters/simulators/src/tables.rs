//! One table per department system: how it answers in each failure mode (its receipt
//! templates), where its documents' number and kind are (for the receipts' echo), and where
//! it posts its own documents on the adapter.
//!
//! The receipts follow each department's `adapters/<dept>/FORMAT.md` so that the adapter's
//! `classify_response` reads `ok` as delivered, `error_5xx` as transient and `reject_4xx` as
//! permanent (checked against the codecs in `tests/receipts.rs`). Where a FORMAT.md is not
//! written yet the entry is marked [`Basis::Provisional`] and follows the adapter's current
//! receipt code; revisit it when the FORMAT.md lands.
//!
//! Placeholders in bodies: `{doc_no}` (the received document's own number), `{doc_type}`
//! (its kind), `{message_id}` (the `X-Hub-Message-Id` header), each escaped for the body's
//! syntax (XML or JSON). Invariant: a rendered `ok`/`error_5xx`/`reject_4xx` body is always
//! well-formed, whatever the received document holds; `malformed` bodies never are.

use crate::department::Department;
use crate::hl7::AckCode;
use crate::view::{NativeView, XmlView, json_view};

/// What a table entry is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The department's FORMAT.md, at this section.
    FormatMd(&'static str),
    /// PROVISIONAL: no FORMAT.md yet; follows the adapter's code at this path.
    Provisional(&'static str),
}

/// One answer of an HTTP department system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpAnswer {
    /// HTTP status.
    pub status: u16,
    /// Body template (placeholders: see the module docs).
    pub body: &'static str,
}

/// One answer of the HIS (MLLP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hl7Answer {
    /// An ACK with this code and MSA-3/ERR-8 text.
    Ack(AckCode, Option<&'static str>),
    /// A frame holding these bytes (not HL7: the malformed answer).
    Raw(&'static [u8]),
}

/// How a department system answers, by failure mode (`slow` answers `ok` late; `down` does
/// not answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answers<T> {
    /// Accepted.
    pub ok: T,
    /// "Try again later" (HTTP 503 / HL7 `AE`).
    pub error_5xx: T,
    /// Refused for good (HTTP 422 / HL7 `AR`).
    pub reject_4xx: T,
    /// An answer that cannot be parsed.
    pub malformed: T,
}

/// Where a received document's number and kind are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// XML: the kind is the root element, the number is `<root>/<header>/<doc_no>`.
    XmlHeader {
        /// Header element (`XXT`).
        header: &'static str,
        /// Number element in the header (`wdbh`).
        doc_no: &'static str,
    },
    /// JSON: both at these pointers.
    JsonPointers {
        /// Pointer of the number (`/head/docNo`).
        doc_no: &'static str,
        /// Pointer of the kind (`/head/docType`).
        doc_type: &'static str,
    },
    /// HL7: MSH-10 and MSH-9.
    Hl7,
}

/// Where the department system posts its documents on the adapter (script mode, when the
/// target URL has no path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundPath {
    /// Every document to this path.
    Fixed(&'static str),
    /// By the document's kind (read at `pointer`), from this table of (kind, path).
    ByKind {
        /// JSON pointer of the kind.
        pointer: &'static str,
        /// (kind, path).
        paths: &'static [(&'static str, &'static str)],
    },
    /// No paths (MLLP).
    None,
}

/// Everything the simulator knows of one department system's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpTable {
    /// The department.
    pub department: Department,
    /// What the entries are based on.
    pub basis: Basis,
    /// Content type of the system's answers.
    pub content_type: &'static str,
    /// The answers.
    pub answers: Answers<HttpAnswer>,
    /// Where received documents say their number and kind.
    pub identity: Identity,
    /// Where the system posts on the adapter.
    pub inbound: InboundPath,
}

/// The HIS's table (HEALTH, MLLP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hl7Table {
    /// What the entries are based on.
    pub basis: Basis,
    /// The answers.
    pub answers: Answers<Hl7Answer>,
}

/// POLICE: `<HZ>` receipts (FORMAT.md "Receipts `<HZ>` (回执)"): `jgdm` 00 accepted,
/// 30 unavailable (with 503), 10 refused (with 422).
pub const POLICE: HttpTable = HttpTable {
    department: Department::Police,
    basis: Basis::FormatMd("adapters/police/FORMAT.md § Receipts <HZ> (回执)"),
    content_type: "application/xml; charset=UTF-8",
    answers: Answers {
        ok: HttpAnswer {
            status: 200,
            body: r#"<?xml version="1.0" encoding="UTF-8"?>
<HZ>
  <ywdbh>{doc_no}</ywdbh>
  <ywdlx>{doc_type}</ywdlx>
  <jgdm>00</jgdm>
  <jgsm>接收成功</jgsm>
</HZ>
"#,
        },
        error_5xx: HttpAnswer {
            status: 503,
            body: r#"<?xml version="1.0" encoding="UTF-8"?>
<HZ>
  <ywdbh>{doc_no}</ywdbh>
  <ywdlx>{doc_type}</ywdlx>
  <jgdm>30</jgdm>
  <jgsm>暂不可用：公安交换服务维护中，请稍后重发同一文档</jgsm>
  <yylb>
    <yy>
      <zz></zz>
      <dm>UNAVAILABLE</dm>
      <sm>模拟故障 error_5xx</sm>
    </yy>
  </yylb>
</HZ>
"#,
        },
        reject_4xx: HttpAnswer {
            status: 422,
            body: r#"<?xml version="1.0" encoding="UTF-8"?>
<HZ>
  <ywdbh>{doc_no}</ywdbh>
  <ywdlx>{doc_type}</ywdlx>
  <jgdm>10</jgdm>
  <jgsm>拒收：文档内容不符合交换规范，请按原因更正后重发</jgsm>
  <yylb>
    <yy>
      <zz></zz>
      <dm>SIMULATED_REJECT</dm>
      <sm>模拟拒收 reject_4xx</sm>
    </yy>
  </yylb>
</HZ>
"#,
        },
        malformed: HttpAnswer {
            status: 200,
            body: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<HZ>\n  <ywdbh>{doc_no}</ywdbh>\n  <jgdm>0",
        },
    },
    identity: Identity::XmlHeader {
        header: "XXT",
        doc_no: "wdbh",
    },
    inbound: InboundPath::Fixed("/police/documents"),
};

/// STATION: JSON receipts (FORMAT.md §5 回执, §5.2): any 2xx without `"success": false` is
/// delivered, 503 transient, 422 permanent.
pub const STATION: HttpTable = HttpTable {
    department: Department::Station,
    basis: Basis::FormatMd("adapters/station/FORMAT.md §5 Receipts (回执)"),
    content_type: "application/json; charset=UTF-8",
    answers: Answers {
        ok: HttpAnswer {
            status: 201,
            body: r#"{
  "success": true,
  "code": "ACCEPTED",
  "message": "已接收",
  "docNo": "{doc_no}",
  "docType": "{doc_type}",
  "messageIds": ["{message_id}"]
}
"#,
        },
        error_5xx: HttpAnswer {
            status: 503,
            body: r#"{
  "success": false,
  "code": "SERVICE_UNAVAILABLE",
  "message": "救助管理系统维护中，请稍后重新发送同一单据",
  "docNo": "{doc_no}",
  "docType": "{doc_type}",
  "retryable": true
}
"#,
        },
        reject_4xx: HttpAnswer {
            status: 422,
            body: r#"{
  "success": false,
  "code": "REFUSED",
  "message": "救助管理系统拒收：单据不符合业务规则",
  "docNo": "{doc_no}",
  "docType": "{doc_type}",
  "retryable": false,
  "errors": [
    {"pointer": "/data", "code": "SIMULATED_REJECT", "message": "模拟拒收 reject_4xx"}
  ]
}
"#,
        },
        malformed: HttpAnswer {
            status: 200,
            body: "{\n  \"success\": true,\n  \"code\": \"ACCEPTED\",\n  \"docNo\": \"{doc_no}",
        },
    },
    identity: Identity::JsonPointers {
        doc_no: "/head/docNo",
        doc_type: "/head/docType",
    },
    inbound: InboundPath::ByKind {
        pointer: "/head/docType",
        paths: &[
            ("referral", "/api/v1/referrals"),
            ("referralOutcome", "/api/v1/referral-outcomes"),
            ("escortHandover", "/api/v1/escort-handovers"),
            ("handoverAck", "/api/v1/handover-acks"),
            ("identityCheckRequest", "/api/v1/identity-check-requests"),
            ("identityCheckResult", "/api/v1/identity-check-results"),
            ("identityUpdate", "/api/v1/identity-updates"),
            ("hospitalAdmission", "/api/v1/hospital-admissions"),
            ("admissionAck", "/api/v1/admission-acks"),
            ("hospitalDischarge", "/api/v1/hospital-discharges"),
            ("intake", "/api/v1/intakes"),
            ("leave", "/api/v1/leaves"),
            ("returnHomeNotice", "/api/v1/return-home-notices"),
            ("returnHomeReceipt", "/api/v1/return-home-receipts"),
            ("missingPersonNotice", "/api/v1/missing-person-notices"),
            ("missingPersonMatch", "/api/v1/missing-person-matches"),
            ("settlementRequest", "/api/v1/settlement-requests"),
            ("settlementDecision", "/api/v1/settlement-decisions"),
            ("incidentReport", "/api/v1/incident-reports"),
            ("followUpVisit", "/api/v1/follow-up-visits"),
            ("hubRejection", "/api/v1/hub-rejections"),
        ],
    },
};

/// CITYMGMT — PROVISIONAL (no FORMAT.md yet): `{"code": "0", "msg", "data"}` receipts as
/// `adapters/citymgmt/src/receipt.rs` reads them: code `0` delivered, `5001` (with 503)
/// transient, `2001` (with 422) permanent.
pub const CITYMGMT: HttpTable = HttpTable {
    department: Department::Citymgmt,
    basis: Basis::Provisional(
        "adapters/citymgmt/src/receipt.rs + codes.rs (receipt codes); FORMAT.md not written yet",
    ),
    content_type: "application/json; charset=UTF-8",
    answers: Answers {
        ok: HttpAnswer {
            status: 200,
            body: r#"{
  "code": "0",
  "msg": "接收成功",
  "data": {"msgId": "{message_id}", "docNo": "{doc_no}"}
}
"#,
        },
        error_5xx: HttpAnswer {
            status: 503,
            body: r#"{
  "code": "5001",
  "msg": "系统繁忙，请稍后重试",
  "data": {"msgId": "{message_id}"}
}
"#,
        },
        reject_4xx: HttpAnswer {
            status: 422,
            body: r#"{
  "code": "2001",
  "msg": "校验未通过：模拟拒收 reject_4xx",
  "data": {"msgId": "{message_id}", "reasons": [{"field": "", "message": "模拟拒收 reject_4xx"}]}
}
"#,
        },
        malformed: HttpAnswer {
            status: 200,
            body: "{\n  \"code\": \"0\",\n  \"msg\": \"接收",
        },
    },
    identity: Identity::JsonPointers {
        doc_no: "/header/msgId",
        doc_type: "/header/msgType",
    },
    inbound: InboundPath::Fixed("/citymgmt/v1/cases"),
};

/// GRID — PROVISIONAL (no FORMAT.md yet): `{"code": 200, "success", "msg", "data"}`
/// receipts as `adapters/grid/src/receipt.rs` reads them: code 200 delivered, 503
/// transient, 422 permanent.
pub const GRID: HttpTable = HttpTable {
    department: Department::Grid,
    basis: Basis::Provisional(
        "adapters/grid/src/receipt.rs + codes.rs (receipt codes); FORMAT.md not written yet",
    ),
    content_type: "application/json; charset=UTF-8",
    answers: Answers {
        ok: HttpAnswer {
            status: 200,
            body: r#"{
  "code": 200,
  "success": true,
  "msg": "操作成功",
  "data": {"msgId": "{message_id}", "docNo": "{doc_no}"}
}
"#,
        },
        error_5xx: HttpAnswer {
            status: 503,
            body: r#"{
  "code": 503,
  "success": false,
  "msg": "服务繁忙，请稍后重试",
  "data": {"msgId": "{message_id}"}
}
"#,
        },
        reject_4xx: HttpAnswer {
            status: 422,
            body: r#"{
  "code": 422,
  "success": false,
  "msg": "校验未通过：模拟拒收 reject_4xx",
  "data": {"msgId": "{message_id}"}
}
"#,
        },
        malformed: HttpAnswer {
            status: 200,
            body: "{\n  \"code\": 200,\n  \"success\": tr",
        },
    },
    identity: Identity::JsonPointers {
        doc_no: "/header/msgId",
        doc_type: "/header/msgType",
    },
    inbound: InboundPath::Fixed("/grid/v1/events"),
};

/// HEALTH — PROVISIONAL on the FORMAT.md side (not written yet); the ACK codes are HL7's
/// own and follow `adapters/health/src/ack.rs`: `AA` delivered, `AE` transient, `AR`
/// permanent, unreadable → transient.
pub const HEALTH: Hl7Table = Hl7Table {
    basis: Basis::Provisional(
        "HL7 v2.5 original-mode ACK; adapters/health/src/ack.rs; FORMAT.md not written yet",
    ),
    answers: Answers {
        ok: Hl7Answer::Ack(AckCode::Aa, None),
        error_5xx: Hl7Answer::Ack(
            AckCode::Ae,
            Some(
                "HIS interface engine busy, send the same message again later (simulated error_5xx)",
            ),
        ),
        reject_4xx: Hl7Answer::Ack(
            AckCode::Ar,
            Some("HIS refused the message (simulated reject_4xx)"),
        ),
        malformed: Hl7Answer::Raw(b"<html><body>502 Bad Gateway</body></html>\r"),
    },
};

/// The table of an HTTP department (`None` for HEALTH, see [`HEALTH`]).
pub const fn http_table(department: Department) -> Option<&'static HttpTable> {
    match department {
        Department::Police => Some(&POLICE),
        Department::Station => Some(&STATION),
        Department::Citymgmt => Some(&CITYMGMT),
        Department::Grid => Some(&GRID),
        Department::Health => None,
    }
}

/// A received document's number and kind (empty when the body does not say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentId {
    /// The number (`wdbh`, `docNo`, `msgId`, MSH-10).
    pub doc_no: String,
    /// The kind (root element, `docType`, `msgType`, MSH-9).
    pub doc_type: String,
}

impl Identity {
    /// Reads the number and kind from a received body (independently of the codecs).
    pub fn read(&self, content_type: Option<&str>, body: &[u8]) -> DocumentId {
        match (self, NativeView::parse(content_type, body)) {
            (Identity::XmlHeader { header, doc_no }, Ok(NativeView::Xml(view))) => {
                xml_identity(&view, header, doc_no)
            }
            (Identity::JsonPointers { doc_no, doc_type }, Ok(NativeView::Json(value))) => {
                let text = |pointer: &str| match value.pointer(pointer) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
                DocumentId {
                    doc_no: text(doc_no),
                    doc_type: text(doc_type),
                }
            }
            (Identity::Hl7, Ok(NativeView::Hl7(view))) => DocumentId {
                doc_no: view.field("MSH", 10, 1).unwrap_or_default().to_owned(),
                doc_type: view.field_raw("MSH", 9).unwrap_or_default().to_owned(),
            },
            _ => DocumentId::default(),
        }
    }
}

fn xml_identity(view: &XmlView, header: &str, doc_no: &str) -> DocumentId {
    DocumentId {
        doc_no: view
            .get(&format!("{}/{header}/{doc_no}", view.root()))
            .unwrap_or_default()
            .to_owned(),
        doc_type: view.root().to_owned(),
    }
}

impl InboundPath {
    /// The path a document goes to (`None`: the table does not say).
    pub fn for_document(&self, body: &[u8]) -> Option<&'static str> {
        match self {
            InboundPath::Fixed(path) => Some(path),
            InboundPath::ByKind { pointer, paths } => {
                let value = json_view(body).ok()?;
                let kind = value.pointer(pointer)?.as_str()?;
                paths.iter().find(|(k, _)| *k == kind).map(|(_, p)| *p)
            }
            InboundPath::None => None,
        }
    }
}

/// The values the placeholders take for one answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placeholders {
    /// `{doc_no}`.
    pub doc_no: String,
    /// `{doc_type}`.
    pub doc_type: String,
    /// `{message_id}`.
    pub message_id: String,
}

/// Fills `template`, escaping each value for XML or JSON as `content_type` says.
pub fn render(template: &str, content_type: &str, values: &Placeholders) -> Vec<u8> {
    let xml = content_type.contains("xml");
    let escape = |value: &str| {
        if xml {
            escape_xml(value)
        } else {
            escape_json(value)
        }
    };
    template
        .replace("{doc_no}", &escape(&values.doc_no))
        .replace("{doc_type}", &escape(&values.doc_type))
        .replace("{message_id}", &escape(&values.message_id))
        .into_bytes()
}

fn escape_xml(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry are left out.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n') => {}
            c => out.push(c),
        }
    }
    out
}

fn escape_json(value: &str) -> String {
    let quoted = serde_json::Value::String(value.to_owned()).to_string();
    quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn tricky() -> Placeholders {
        Placeholders {
            doc_no: "a<&>\"'\u{1}b".to_owned(),
            doc_type: "JJB".to_owned(),
            message_id: "\"quoted\"\n".to_owned(),
        }
    }

    #[test]
    fn rendered_receipts_are_well_formed_and_malformed_ones_are_not() {
        for table in [&POLICE, &STATION, &CITYMGMT, &GRID] {
            let a = &table.answers;
            for answer in [a.ok, a.error_5xx, a.reject_4xx] {
                let body = render(answer.body, table.content_type, &tricky());
                let view = NativeView::parse(Some(table.content_type), &body);
                assert!(
                    view.is_ok(),
                    "{:?} {}: {view:?}",
                    table.department,
                    answer.status
                );
            }
            let body = render(a.malformed.body, table.content_type, &tricky());
            assert!(NativeView::parse(Some(table.content_type), &body).is_err());
            assert_eq!(a.ok.status / 100, 2);
            assert_eq!(a.malformed.status / 100, 2);
            assert_eq!(a.error_5xx.status, 503);
            assert_eq!(a.reject_4xx.status, 422);
        }
    }

    #[test]
    fn values_are_escaped() {
        let body = render(POLICE.answers.ok.body, POLICE.content_type, &tricky());
        let view = XmlView::parse(&body).unwrap();
        assert_eq!(view.get("HZ/ywdbh"), Some("a<&>\"'b"));
        let body = render(STATION.answers.ok.body, STATION.content_type, &tricky());
        let value = json_view(&body).unwrap();
        assert_eq!(value["messageIds"][0], "\"quoted\"\n");
        assert_eq!(value["docNo"], "a<&>\"'\u{1}b");
    }

    #[test]
    fn identities_and_paths() {
        let xml = b"<?xml version=\"1.0\"?><XCSQ><XXT><wdbh>W-1</wdbh></XXT></XCSQ>";
        let id = POLICE.identity.read(None, xml);
        assert_eq!((id.doc_no.as_str(), id.doc_type.as_str()), ("W-1", "XCSQ"));
        let json = br#"{"head":{"docNo":"D-1","docType":"intake"},"data":{}}"#;
        let id = STATION.identity.read(None, json);
        assert_eq!(
            (id.doc_no.as_str(), id.doc_type.as_str()),
            ("D-1", "intake")
        );
        assert_eq!(STATION.inbound.for_document(json), Some("/api/v1/intakes"));
        assert_eq!(STATION.inbound.for_document(b"{}"), None);
        assert_eq!(POLICE.inbound.for_document(b""), Some("/police/documents"));
        assert_eq!(
            POLICE.identity.read(None, b"garbage"),
            DocumentId::default()
        );
        let hl7 = b"MSH|^~\\&|HIS|H|HUB|T|20250101||ADT^A01^ADT_A01|C-9|P|2.5";
        let id = Identity::Hl7.read(None, hl7);
        assert_eq!(
            (id.doc_no.as_str(), id.doc_type.as_str()),
            ("C-9", "ADT^A01^ADT_A01")
        );
    }
}
