//! Unit tests of the codec's edge cases: character encodings, XML forms, the header's
//! fallbacks, strictness, value forms, encoding details, receipts and response reading.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use adapter_core::contracts::model::hub_rejected::RejectionReason;
use adapter_core::{
    Codec, CodecError, DecodeContext, DeliveryResponse, InboundAnswer, NativeRef, Verdict, ids,
};
use contracts::MessageType;
use contracts::model::envelope::Purpose;
use contracts::model::{Actor, Envelope, Sensitivity};
use serde_json::{Value, json};

use crate::native::Element;
use crate::{OutputEncoding, PoliceCodec};

const JJB_FIXTURE: &str =
    include_str!("../../../contracts/fixtures/POLICE_ESCORT_HANDOVER/v1/valid/typical.json");
const INTAKE_FIXTURE: &str = include_str!(
    "../../../contracts/fixtures/STATION_INTAKE/v1/valid/police_escort_adult_document.json"
);
const REFERRAL_V2_FIXTURE: &str =
    include_str!("../../../contracts/fixtures/REFERRAL/v2/valid/police_110_runaway_minor.json");
const DISCHARGE_FIXTURE: &str = include_str!(
    "../../../contracts/fixtures/HOSPITAL_DISCHARGE/v1/valid/planned_discharge_improved.json"
);

fn ctx() -> DecodeContext {
    DecodeContext::fixed_for_tests("113205850141601233", "太仓市公安局警务综合平台")
}

fn codec() -> PoliceCodec {
    PoliceCodec::default()
}

fn fixture(text: &str) -> Envelope<Value> {
    serde_json::from_str(text).unwrap()
}

/// A complete police-written `<JJB>` with a minimal header; `person` replaces the body of
/// `<bhsry>`, `extra` is appended to the body.
fn jjb(person: &str, extra: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<JJB>
  <XXT><wdbh>TCGA-JJB-1</wdbh><wdlx>JJB</wdlx></XXT>
  <jjbh>HS-1</jjbh>
  <hsdw><dwdm>113205850141601233</dwdm><dwmc>城厢派出所</dwmc></hsdw>
  <hsmj><mj><xm>顾建华</xm><jh>093215</jh><dwmc>城厢派出所</dwmc></mj></hsmj>
  <fxsj>20250301061200</fxsj>
  <fxdd><dzms>太仓站站前广场</dzms><xzqh>320585</xzqh></fxdd>
  <fxjg>群众报警</fxjg>
  <bhsry>{person}</bhsry>
  <tmtz/>
  <yzhc/>
  <jjsjk><jkzk>HEALTHY</jkzk><xsy>0</xsy></jjsjk>
  <sswp/>
  <dzsj>20250301072100</dzsj>
  <sfzzb>0</sfzzb>{extra}
</JJB>
"#
    )
}

const ADULT: &str = "<sfzt>SELF_REPORTED</sfzt><xm>王根宝</xm><xb>1</xb><sfwcn>0</sfwcn>";

fn decode(text: &str) -> Result<Envelope<Value>, CodecError> {
    decode_bytes(text.as_bytes())
}

fn decode_bytes(bytes: &[u8]) -> Result<Envelope<Value>, CodecError> {
    codec()
        .decode(bytes, &ctx())
        .map(|d| d.messages.into_iter().next().unwrap())
}

fn error(text: &str) -> String {
    decode(text).unwrap_err().to_string()
}

// ---------------------------------------------------------------------------------------------
// Header fallbacks.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_minimal_police_header_takes_the_context_and_the_kind_defaults() {
    let decoded = codec().decode(jjb(ADULT, "").as_bytes(), &ctx()).unwrap();
    assert_eq!(decoded.native_ref.document_id, "TCGA-JJB-1");
    assert_eq!(decoded.native_ref.document_kind, "JJB");
    let m = &decoded.messages[0];
    assert_eq!(
        m.message_id,
        ids::message_id(
            Actor::Police,
            "TCGA-JJB-1",
            MessageType::PoliceEscortHandover,
            0
        )
    );
    assert_eq!(m.message_type, MessageType::PoliceEscortHandover);
    assert_eq!(m.schema_version, "1.0.0");
    assert_eq!(m.sender_org_type, Actor::Police);
    assert_eq!(m.sender_org_code, "113205850141601233");
    assert_eq!(m.sender_system, "太仓市公安局警务综合平台");
    assert_eq!(m.receiver_org_codes, ["12320585466880789G"]);
    assert_eq!(m.sent_at, "2025-03-04T22:48:10+08:00");
    assert_eq!(m.region_code, "320585");
    assert_eq!(m.sensitivity, Sensitivity::Sensitive);
    assert_eq!(
        serde_json::to_value(&m.legal_basis).unwrap(),
        json!(["PIPL13_1_3", "RULE381_ART5", "MCA_MPS_2015"])
    );
    assert!(m.case_id.is_none() && m.correlation_id.is_none());
    // Deterministic: the same document gives the same message.
    let again = codec().decode(jjb(ADULT, "").as_bytes(), &ctx()).unwrap();
    assert_eq!(again.messages[0], *m);
}

#[test]
fn a_minor_raises_the_default_sensitivity_and_legal_basis() {
    let minor = "<sfzt>UNKNOWN</sfzt><xb>2</xb><mcnl>9</mcnl><sfwcn>1</sfwcn>";
    let m = decode(&jjb(minor, "")).unwrap();
    assert_eq!(m.sensitivity, Sensitivity::SensitiveMinor);
    assert_eq!(
        serde_json::to_value(&m.legal_basis).unwrap(),
        json!([
            "PIPL13_1_3",
            "RULE381_ART5",
            "MCA_MPS_2015",
            "MINOR_LAW_ART92"
        ])
    );
}

#[test]
fn header_values_override_the_context() {
    let text = jjb(ADULT, "").replace(
        "<wdlx>JJB</wdlx>",
        "<wdlx>JJB</wdlx><xxbs>0f0a599d-4783-43c2-bf68-25d9e8779d9f</xxbs><fsdwdm>11320585MB19345675</fsdwdm>\
         <fsxt>巡逻APP</fsxt><jsdw/><xzqh>320500</xzqh><fssj>20250301072641</fssj><mgjb>GENERAL</mgjb>\
         <fljj><yj>PIPL13_1_4</yj></fljj><clmd>RESCUE_REFERRAL</clmd><bbh>1.2.0</bbh><jzgah>TC-1</jzgah>",
    );
    let decoded = codec().decode(text.as_bytes(), &ctx()).unwrap();
    let m = &decoded.messages[0];
    assert_eq!(m.message_id, "0f0a599d-4783-43c2-bf68-25d9e8779d9f");
    assert_eq!(m.sender_org_code, "11320585MB19345675");
    assert_eq!(m.sender_system, "巡逻APP");
    assert!(m.receiver_org_codes.is_empty());
    assert_eq!(m.region_code, "320500");
    assert_eq!(m.sent_at, "2025-03-01T07:26:41+08:00");
    assert_eq!(m.sensitivity, Sensitivity::General);
    assert_eq!(m.schema_version, "1.2.0");
    assert_eq!(m.case_id.as_deref(), Some("TC-1"));
    assert_eq!(
        decoded
            .native_ref
            .reply_to
            .get("fsdwdm")
            .map(String::as_str),
        Some("11320585MB19345675")
    );
}

#[test]
fn header_codes_are_checked() {
    let with = |header: &str| {
        error(&jjb(ADULT, "").replace("<wdlx>JJB</wdlx>", &format!("<wdlx>JJB</wdlx>{header}")))
    };
    assert!(with("<bbh>2.0.0</bbh>").contains("JJB/XXT/bbh"));
    assert!(with("<fsdwlb>FIRE</fsdwlb>").contains("JJB/XXT/fsdwlb"));
    assert!(with("<fljj><yj>GDPR</yj></fljj>").contains("JJB/XXT/fljj/yj"));
    assert!(with("<mgjb>SECRET</mgjb>").contains("JJB/XXT/mgjb"));
    assert!(with("<fssj>20250230120000</fssj>").contains("not a real calendar date"));
    let wrong_kind = error(&jjb(ADULT, "").replace("<wdlx>JJB</wdlx>", "<wdlx>ZJ</wdlx>"));
    assert!(wrong_kind.contains("JJB/XXT/wdlx"), "{wrong_kind}");
    let no_number = error(&jjb(ADULT, "").replace("<wdbh>TCGA-JJB-1</wdbh>", ""));
    assert!(no_number.contains("missing required field JJB/XXT/wdbh (文档编号)"));
    let two_headers = error(&jjb(ADULT, "<XXT><wdbh>x</wdbh><wdlx>JJB</wdlx></XXT>"));
    assert!(two_headers.contains("appears twice"), "{two_headers}");
}

// ---------------------------------------------------------------------------------------------
// Strictness and value forms.
// ---------------------------------------------------------------------------------------------

#[test]
fn sent_kinds_are_strict_received_kinds_lenient() {
    let no_number = jjb(ADULT, "").replace("<jjbh>HS-1</jjbh>", "");
    assert_eq!(
        error(&no_number),
        "missing required field JJB/jjbh (交接编号)"
    );
    // A handover ack (received by the police) without its decision still reads.
    let ack = r#"<QSHZ><XXT><wdbh>A1</wdbh><wdlx>QSHZ</wdlx></XXT><jjbh>HS-1</jjbh></QSHZ>"#;
    let m = decode(ack).unwrap();
    assert_eq!(m.payload, json!({"handover_no": "HS-1"}));
}

#[test]
fn answers_the_police_send_name_the_document_answered() {
    let result = r#"<HCJG><XXT><wdbh>R1</wdbh><wdlx>HCJG</wdlx></XXT><sqbh>Q1</sqbh><bdfs>POPULATION_DB</bdfs>
        <jg>NO_MATCH</jg><hcmj><xm>王志刚</xm><jh>093047</jh><dwmc>城厢派出所</dwmc></hcmj>
        <hcsj>20250314164055</hcsj></HCJG>"#;
    assert_eq!(
        error(result),
        "missing required field HCJG/XXT/glxxbs (关联消息标识: the xxbs of the document answered)"
    );
    let answered = result.replace(
        "<wdlx>HCJG</wdlx>",
        "<wdlx>HCJG</wdlx><glxxbs>79e265bc-d5de-4777-83e2-3f6e83e5dd83</glxxbs>",
    );
    assert_eq!(
        decode(&answered).unwrap().correlation_id.as_deref(),
        Some("79e265bc-d5de-4777-83e2-3f6e83e5dd83")
    );
}

/// A check acknowledgement names its request by `<sqbh>`; `glxxbs` is optional (as the
/// contract's `correlation_id` is), but required elements of the body are not.
#[test]
fn a_check_acknowledgement_names_its_request_and_needs_its_handler() {
    let ack = r#"<HCSL><XXT><wdbh>SL1</wdbh><wdlx>HCSL</wdlx><jzgah>TCJZ-2025-000334</jzgah></XXT>
        <sqbh>TCJZ-HC-2025-0150</sqbh><sljd>ACCEPTED</sljd><slsx><sx>FACE</sx><sx>DNA_SAMPLING</sx></slsx>
        <slmj><xm>王志刚</xm><jh>093047</jh><dwmc>太仓市公安局刑事侦查大队</dwmc></slmj>
        <slsj>20250308152000</slsj><yjfkrq>20250408</yjfkrq></HCSL>"#;
    let m = decode(ack).unwrap();
    assert_eq!(m.message_type, MessageType::IdentityCheckAck);
    assert_eq!(m.case_id.as_deref(), Some("TCJZ-2025-000334"));
    assert_eq!(m.correlation_id, None);
    assert_eq!(m.purpose_code, Purpose::IdentityVerification);
    assert_eq!(m.sensitivity, Sensitivity::Sensitive);
    assert_eq!(
        m.payload,
        json!({
            "request_id": "TCJZ-HC-2025-0150",
            "decision": "ACCEPTED",
            "accepted_methods": ["FACE", "DNA_SAMPLING"],
            "handled_by": {"name": "王志刚", "badge_or_staff_no": "093047", "org_name": "太仓市公安局刑事侦查大队"},
            "acknowledged_at": "2025-03-08T15:20:00+08:00",
            "expected_result_by": "2025-04-08"
        })
    );
    let answered = ack.replace(
        "<wdlx>HCSL</wdlx>",
        "<wdlx>HCSL</wdlx><glxxbs>79e265bc-d5de-4777-83e2-3f6e83e5dd83</glxxbs>",
    );
    assert_eq!(
        decode(&answered).unwrap().correlation_id.as_deref(),
        Some("79e265bc-d5de-4777-83e2-3f6e83e5dd83")
    );
    // The police send it, so it is read strictly: the officer's 警号 is required.
    let no_badge = ack.replace("<jh>093047</jh>", "");
    assert_eq!(
        error(&no_badge),
        "missing required field HCSL/slmj/jh (警号/工号)"
    );
}

#[test]
fn empty_leaves_are_not_filled_in_and_typed_values_may_be_padded() {
    let person = "<sfzt>SELF_REPORTED</sfzt><xm></xm><xb>1</xb><csrq/><sfzh/><mcnl> 78 </mcnl><sfwcn>\n 0\n</sfwcn><ky>  </ky>";
    let m = decode(&jjb(person, "")).unwrap();
    assert_eq!(
        m.payload["person"],
        json!({"identity_status": "SELF_REPORTED", "sex_code": "1", "estimated_age": 78, "is_minor": false, "dialect_or_accent": "  "})
    );
}

#[test]
fn id_numbers_are_read_from_sfzh_or_zjhm_but_not_both() {
    let card = "<sfzt>DOCUMENT</sfzt><xb>2</xb><zjlx>111</zjlx><sfzh>11010519491231002X</sfzh><sfwcn>0</sfwcn>";
    let m = decode(&jjb(card, "")).unwrap();
    assert_eq!(m.payload["person"]["id_number"], "11010519491231002X");
    let passport =
        "<sfzt>DOCUMENT</sfzt><xb>2</xb><zjlx>414</zjlx><zjhm>E12345678</zjhm><sfwcn>0</sfwcn>";
    let m = decode(&jjb(passport, "")).unwrap();
    assert_eq!(m.payload["person"]["id_number"], "E12345678");
    let both = "<sfzt>DOCUMENT</sfzt><xb>2</xb><sfzh>1</sfzh><zjhm>2</zjhm><sfwcn>0</sfwcn>";
    assert!(error(&jjb(both, "")).contains("JJB/bhsry/zjhm"));
}

#[test]
fn values_in_the_wrong_form_name_their_element() {
    let cases = [
        (
            "<sfwcn>是</sfwcn>",
            "JJB/bhsry/sfwcn",
            "expected 1 (是) or 0 (否)",
        ),
        (
            "<mcnl>七十八</mcnl><sfwcn>0</sfwcn>",
            "JJB/bhsry/mcnl",
            "expected an integer",
        ),
        (
            "<csrq>198013</csrq><sfwcn>0</sfwcn>",
            "JJB/bhsry/csrq",
            "month 13 is not 01–12",
        ),
        (
            "<csrq>1980-05-17</csrq><sfwcn>0</sfwcn>",
            "JJB/bhsry/csrq",
            "expected YYYY, YYYYMM or YYYYMMDD",
        ),
    ];
    for (tail, field, detail) in cases {
        let person = format!("<sfzt>SELF_REPORTED</sfzt><xb>1</xb>{tail}");
        let e = error(&jjb(&person, ""));
        assert!(e.contains(field) && e.contains(detail), "{e}");
    }
    let time = error(
        &jjb(ADULT, "").replace("<dzsj>20250301072100</dzsj>", "<dzsj>20250301256000</dzsj>"),
    );
    assert!(
        time.contains("JJB/dzsj") && time.contains("out of range"),
        "{time}"
    );
    let dec = error(&jjb(
        ADULT,
        "<sswp><wp><wpmc>现金</wpmc><sl>1</sl><xjje>23,5</xjje><clfs>DEPOSITED</clfs></wp></sswp>",
    ).replace("<sswp/>", ""));
    assert!(dec.contains("JJB/sswp/wp[1]/xjje"), "{dec}");
}

#[test]
fn numbers_keep_their_json_form() {
    let extra = "<sswp><wp><wpmc>现金</wpmc><sl>1</sl><xjje>23</xjje><clfs>DEPOSITED</clfs></wp>\
                 <wp><wpmc>现金</wpmc><sl>1</sl><xjje>23.0</xjje><clfs>DEPOSITED</clfs></wp>\
                 <wp><wpmc>现金</wpmc><sl>1</sl><xjje>2.5e1</xjje><clfs>DEPOSITED</clfs></wp></sswp>";
    let m = decode(&jjb(ADULT, extra).replace("<sswp/>", "")).unwrap();
    let amounts: Vec<&Value> = m.payload["belongings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["cash_amount"])
        .collect();
    assert!(amounts[0].is_u64());
    assert!(amounts[1].is_f64() && amounts[1].as_f64() == Some(23.0));
    assert_eq!(amounts[2].as_f64(), Some(25.0));
}

#[test]
fn structure_errors_are_refused() {
    let unknown = error(&jjb(ADULT, "<xyz>1</xyz>"));
    assert!(
        unknown.contains("<xyz> is not an element of <JJB>"),
        "{unknown}"
    );
    let twice = error(&jjb(ADULT, "<jjbh>HS-2</jjbh>"));
    assert!(
        twice.contains("JJB/jjbh") && twice.contains("appears twice"),
        "{twice}"
    );
    let text_in_group = error(&jjb(ADULT, "").replace("<tmtz/>", "<tmtz>高个</tmtz>"));
    assert!(
        text_in_group.contains("<tmtz> holds elements, not text"),
        "{text_in_group}"
    );
    let element_in_leaf = error(&jjb(ADULT, "").replace("<jjbh>HS-1</jjbh>", "<jjbh><a/></jjbh>"));
    assert!(
        element_in_leaf.contains("holds a value, not elements"),
        "{element_in_leaf}"
    );
    let wrong_item = error(&jjb(ADULT, "").replace("<yzhc/>", "<yzhc><wp/></yzhc>"));
    assert!(
        wrong_item.contains("<yzhc> holds only <hc> elements"),
        "{wrong_item}"
    );
    let empty_item = error(&jjb(ADULT, "<ysqx><qx/></ysqx>"));
    assert!(empty_item.contains("JJB/ysqx/qx[1]"), "{empty_item}");
}

// ---------------------------------------------------------------------------------------------
// Character encodings and XML forms.
// ---------------------------------------------------------------------------------------------

#[test]
fn utf8_with_bom_or_without_declaration_reads() {
    let plain = jjb(ADULT, "");
    let undeclared = plain.split_once('\n').unwrap().1;
    let expected = decode(&plain).unwrap();
    assert_eq!(decode(undeclared).unwrap(), expected);
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(plain.as_bytes());
    assert_eq!(decode_bytes(&bom).unwrap(), expected);
    let single = plain.replace(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>",
    );
    assert_eq!(decode(&single).unwrap(), expected);
}

#[test]
fn gb18030_and_gbk_declarations_read_rare_characters() {
    // 𠀀 (U+20000) and 䶮 (U+4DAE) take four bytes in GB18030.
    let person = "<sfzt>SELF_REPORTED</sfzt><xm>刘䶮𠀀</xm><xb>1</xb><sfwcn>0</sfwcn>";
    for label in ["GB18030", "gbk", "GB2312"] {
        let text = jjb(person, "").replace("UTF-8", label);
        let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
        assert!(!unmappable);
        assert_ne!(bytes.as_ref(), text.as_bytes());
        let m = decode_bytes(&bytes).unwrap();
        assert_eq!(m.payload["person"]["name"], "刘䶮𠀀", "{label}");
    }
}

#[test]
fn wrong_or_unsupported_encodings_are_refused() {
    let text = jjb(ADULT, "");
    let gb_bytes = encoding_rs::GB18030.encode(&text).0.into_owned();
    assert!(
        decode_bytes(&gb_bytes)
            .unwrap_err()
            .to_string()
            .contains("declares UTF-8, but byte 0x")
    );
    let latin = text.replace("UTF-8", "ISO-8859-1");
    assert!(error(&latin).contains(r#"encoding "ISO-8859-1" is not accepted"#));
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert!(
        decode_bytes(&utf16)
            .unwrap_err()
            .to_string()
            .contains("UTF-16")
    );
    let mut bom_gb = vec![0xEF, 0xBB, 0xBF];
    bom_gb.extend(text.replace("UTF-8", "GB18030").into_bytes());
    assert!(
        decode_bytes(&bom_gb)
            .unwrap_err()
            .to_string()
            .contains("byte order mark")
    );
    let truncated_gb = {
        let mut b = encoding_rs::GB18030
            .encode(&text.replace("UTF-8", "GB18030"))
            .0
            .into_owned();
        b.push(0x81); // the first byte of a two- or four-byte sequence, then the end
        b
    };
    assert!(
        decode_bytes(&truncated_gb)
            .unwrap_err()
            .to_string()
            .contains("not valid GB18030")
    );
    assert!(error(&text.replace("version=\"1.0\"", "version=\"1.1\"")).contains("XML version"));
    assert!(error(&text.replace("?>", "")).contains("not closed"));
}

#[test]
fn escapes_cdata_and_character_references_are_read() {
    let person = "<sfzt>SELF_REPORTED</sfzt><xm>&#x738B;&#26681;<![CDATA[<宝>&]]>&amp;&lt;&gt;&quot;&apos;</xm><xb>1</xb><sfwcn>0</sfwcn>";
    let m = decode(&jjb(person, "")).unwrap();
    assert_eq!(m.payload["person"]["name"], "王根<宝>&&<>\"'");
    assert!(error(&jjb("<xm>&nbsp;</xm>", "")).contains("unknown entity &nbsp;"));
    assert!(error(&jjb("<xm>&#1;</xm>", "")).contains("U+0001"));
}

#[test]
fn xml_that_is_not_a_single_plain_tree_is_refused() {
    let text = jjb(ADULT, "");
    assert!(decode(&text.replace("<JJB>", r#"<JJB xmlns="urn:x" xmlns:g="urn:g">"#)).is_ok());
    assert!(error(&text.replace("<JJB>", r#"<JJB bb="1">"#)).contains("attribute \"bb\""));
    assert!(error(&format!("{text}<JJB/>")).contains("exactly one root"));
    assert!(error(&format!("{text}trailing")).contains("text outside the root"));
    assert!(error(&text.replace("</JJB>", "")).contains("ends inside <JJB>"));
    assert!(error("").contains("no root element"));
    assert!(error(&format!("  {text}")).contains("very first"));
    let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    assert!(error(&deep).contains("nested more than 32 deep"));
    let wide = format!("<ZJ>{}</ZJ>", "<a/>".repeat(100_001));
    assert!(error(&wide).contains("more than 100000 elements"));
}

#[test]
fn errors_carry_line_and_column() {
    let broken = jjb(ADULT, "").replace("</fxjg>", "</fxjgg>");
    let e = error(&broken);
    assert!(
        e.starts_with("malformed XML document at line 9, column "),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// Encoding.
// ---------------------------------------------------------------------------------------------

fn encode_text(m: &Envelope<Value>) -> String {
    String::from_utf8(codec().encode(m).unwrap().body).unwrap()
}

#[test]
fn timestamps_are_written_in_beijing_time() {
    let mut m = fixture(JJB_FIXTURE);
    m.sent_at = "2025-12-31T20:30:00.25Z".to_owned();
    m.payload["found_at"] = json!("2025-03-01T00:30:00+09:00");
    m.payload["arrived_at"] = json!("2025-03-01t07:21:00+08:00");
    let text = encode_text(&m);
    assert!(text.contains("<fssj>20260101043000.25</fssj>"), "{text}");
    assert!(text.contains("<fxsj>20250228233000</fxsj>"));
    let back = decode(&text).unwrap();
    assert_eq!(back.sent_at, "2026-01-01T04:30:00.25+08:00");
    assert_eq!(back.payload["found_at"], "2025-02-28T23:30:00+08:00");
    assert_eq!(back.payload["arrived_at"], "2025-03-01T07:21:00+08:00");
}

#[test]
fn id_numbers_are_written_sfzh_only_for_resident_cards() {
    let mut m = fixture(JJB_FIXTURE);
    m.payload["person"]["id_doc_type"] = json!("414");
    m.payload["person"]["id_number"] = json!("E12345678");
    assert!(encode_text(&m).contains("<zjlx>414</zjlx>\n    <zjhm>E12345678</zjhm>"));
    m.payload["person"]["id_doc_type"] = json!("111");
    m.payload["person"]["id_number"] = json!("320585198001010019");
    assert!(encode_text(&m).contains("<sfzh>320585198001010019</sfzh>"));
}

#[test]
fn what_the_format_cannot_carry_is_unencodable() {
    let unencodable = |m: &Envelope<Value>| match codec().encode(m) {
        Err(CodecError::Unencodable { detail, .. }) => detail,
        other => panic!("expected Unencodable, got {other:?}"),
    };
    let mut m = fixture(JJB_FIXTURE);
    m.payload["person"]["shoe_size"] = json!(42);
    assert!(unencodable(&m).contains("JJB/bhsry: field `shoe_size` has no element"));
    let mut m = fixture(JJB_FIXTURE);
    m.payload["paper_form_used"] = json!("no");
    assert!(unencodable(&m).contains("JJB/sfzzb: expected true or false"));
    let mut m = fixture(JJB_FIXTURE);
    m.payload["found_circumstances"] = json!("bell\u{7}");
    assert!(unencodable(&m).contains("U+0007"));
    let mut m = fixture(JJB_FIXTURE);
    m.payload["found_at"] = json!("2025-03-01 06:12:00");
    assert!(unencodable(&m).contains("JJB/fxsj"));
    assert!(unencodable(&fixture(REFERRAL_V2_FIXTURE)).contains("version 1 of REFERRAL"));
    assert!(unencodable(&fixture(DISCHARGE_FIXTURE)).contains("neither sends nor receives"));
}

#[test]
fn special_characters_and_carriage_returns_survive() {
    let mut m = fixture(JJB_FIXTURE);
    let tricky = " <&>\"' 第一行\r\n第二行\r 𠀀䶮\t ";
    m.payload["found_circumstances"] = json!(tricky);
    let text = encode_text(&m);
    assert!(text.contains("&lt;&amp;&gt;\"'"));
    assert!(text.contains("&#13;"));
    assert_eq!(decode(&text).unwrap(), m);
}

#[test]
fn a_projected_delivery_encodes_without_the_removed_fields() {
    let mut m = fixture(INTAKE_FIXTURE);
    let payload = m.payload.as_object_mut().unwrap();
    payload.remove("health_check");
    payload.remove("physical_description");
    let text = encode_text(&m);
    assert!(!text.contains("<jsjg>") && !text.contains("<tmtz>"));
    // The police only receive intakes, so the summary reads back as it is.
    assert_eq!(decode(&text).unwrap(), m);
}

#[test]
fn gb18030_output_is_declared_and_reads_back() {
    let gb = PoliceCodec::with_output_encoding(OutputEncoding::Gb18030);
    let mut m = fixture(JJB_FIXTURE);
    m.payload["person"]["name"] = json!("王𠀀䶮\u{E5E5}");
    let document = gb.encode(&m).unwrap();
    assert_eq!(document.content_type, "application/xml; charset=GB18030");
    assert!(
        document
            .body
            .starts_with(br#"<?xml version="1.0" encoding="GB18030"?>"#)
    );
    assert!(
        std::str::from_utf8(&document.body).is_err(),
        "GB18030, not UTF-8 bytes"
    );
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(&document.body);
    assert!(!had_errors);
    assert!(
        text.contains("<xm>王𠀀䶮&#58853;</xm>"),
        "U+E5E5 as a character reference"
    );
    assert_eq!(gb.decode(&document.body, &ctx()).unwrap().messages[0], m);
    // Same document as UTF-8 but for the declaration and the bytes.
    let utf8 = codec().encode(&m).unwrap();
    assert_eq!(
        text.replace("GB18030", "UTF-8")
            .replace("&#58853;", "\u{E5E5}"),
        String::from_utf8(utf8.body).unwrap()
    );
    assert_eq!(utf8.content_type, "application/xml; charset=UTF-8");
    assert_eq!(utf8.path, "/police/documents");
}

#[test]
fn deliveries_go_to_the_kinds_paths() {
    let document = codec().encode(&fixture(INTAKE_FIXTURE)).unwrap();
    assert_eq!(document.path, "/jzgl/jsxx/RZDJ");
    assert_eq!(document.http_status, 200);
}

// ---------------------------------------------------------------------------------------------
// Receipts.
// ---------------------------------------------------------------------------------------------

fn native_ref() -> NativeRef {
    let mut reply_to = std::collections::BTreeMap::new();
    reply_to.insert("fsdwdm".to_owned(), "113205850141601233".to_owned());
    NativeRef {
        document_id: "TCGA-JJB-1".to_owned(),
        document_kind: "JJB".to_owned(),
        reply_to,
    }
}

fn receipt(codec: &PoliceCodec, verdict: Verdict<'_>) -> (u16, Element, Vec<u8>) {
    let r = native_ref();
    let document = codec.answer(&InboundAnswer {
        native_ref: Some(&r),
        verdict,
    });
    assert_eq!(document.path, "");
    let text = crate::decode::read_text(&document.body)
        .unwrap()
        .into_owned();
    let tree = crate::decode::parse_tree(&text).unwrap();
    assert_eq!(tree.name, "HZ");
    (document.http_status, tree, document.body)
}

fn leaf<'a>(tree: &'a Element, name: &str) -> &'a str {
    &tree.child(name).unwrap().text
}

#[test]
fn an_accepted_document_is_answered_00_with_the_message_ids() {
    let ids = ["a585ede5-5b4b-542d-8ba1-65611d551684".to_owned()];
    let (status, tree, body) = receipt(&codec(), Verdict::Accepted { message_ids: &ids });
    assert_eq!(status, 200);
    assert_eq!(leaf(&tree, "ywdbh"), "TCGA-JJB-1");
    assert_eq!(leaf(&tree, "ywdlx"), "JJB");
    assert_eq!(leaf(&tree, "jsdwdm"), "113205850141601233");
    assert_eq!(leaf(&tree, "jgdm"), "00");
    assert_eq!(leaf(tree.child("xxbslb").unwrap(), "xxbs"), ids[0]);
    assert_eq!(
        codec().classify_response(200, &body),
        DeliveryResponse::Delivered
    );
}

#[test]
fn a_refused_document_is_answered_10_with_every_reason() {
    let reasons = [
        RejectionReason {
            pointer: "/payload/person/id_number".to_owned(),
            code: "format".to_owned(),
            message: "check digit <X> & more".to_owned(),
        },
        RejectionReason {
            pointer: String::new(),
            code: "minor-sensitivity".to_owned(),
            message: "whole message".to_owned(),
        },
    ];
    let (status, tree, body) = receipt(&codec(), Verdict::Refused { reasons: &reasons });
    assert_eq!(status, 422);
    assert_eq!(leaf(&tree, "jgdm"), "10");
    let items = &tree.child("yylb").unwrap().children;
    assert_eq!(items.len(), 2);
    assert_eq!(leaf(&items[0], "zz"), "/payload/person/id_number");
    assert_eq!(leaf(&items[0], "sm"), "check digit <X> & more");
    assert_eq!(leaf(&items[1], "zz"), "");
    match codec().classify_response(200, &body) {
        DeliveryResponse::Permanent { reason } => {
            assert!(reason.contains("jgdm=10") && reason.contains("/payload/person/id_number"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_malformed_document_is_answered_20_even_when_it_quotes_control_characters() {
    let error = CodecError::Malformed {
        format: "XML",
        location: "line 1, column 1".to_owned(),
        detail: "a\u{1}b".to_owned(),
    };
    let document = codec().answer(&InboundAnswer {
        native_ref: None,
        verdict: Verdict::Malformed { error: &error },
    });
    assert_eq!(document.http_status, 400);
    let text = String::from_utf8(document.body).unwrap();
    assert!(text.contains("<jgdm>20</jgdm>") && text.contains("<dm>MALFORMED</dm>"));
    assert!(text.contains("a\u{FFFD}b"));
    assert!(!text.contains("ywdbh"));
}

#[test]
fn an_unavailable_hub_is_answered_30_in_the_configured_encoding() {
    let gb = PoliceCodec::with_output_encoding(OutputEncoding::Gb18030);
    let (status, tree, body) = receipt(
        &gb,
        Verdict::Unavailable {
            detail: "broker down",
        },
    );
    assert_eq!(status, 503);
    assert_eq!(leaf(&tree, "jgdm"), "30");
    assert!(body.starts_with(br#"<?xml version="1.0" encoding="GB18030"?>"#));
    assert!(matches!(
        gb.classify_response(200, &body),
        DeliveryResponse::Transient { .. }
    ));
}

#[test]
fn responses_to_deliveries_are_classified() {
    let c = codec();
    let receipt = |code: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><HZ><jgdm>{code}</jgdm><jgsm>说明</jgsm></HZ>"#
        )
        .into_bytes()
    };
    assert_eq!(c.classify_response(200, b""), DeliveryResponse::Delivered);
    assert_eq!(
        c.classify_response(204, b" \n"),
        DeliveryResponse::Delivered
    );
    assert_eq!(
        c.classify_response(200, &receipt("00")),
        DeliveryResponse::Delivered
    );
    let transient = |status, body: &[u8]| {
        matches!(
            c.classify_response(status, body),
            DeliveryResponse::Transient { .. }
        )
    };
    let permanent = |status, body: &[u8]| {
        matches!(
            c.classify_response(status, body),
            DeliveryResponse::Permanent { .. }
        )
    };
    assert!(transient(200, &receipt("30")));
    assert!(permanent(200, &receipt("10")));
    assert!(permanent(200, &receipt("20")));
    assert!(permanent(200, b"OK"));
    assert!(permanent(200, b"<ACK/>"));
    assert!(permanent(200, b"<HZ><jgsm>no code</jgsm></HZ>"));
    assert!(transient(500, b""));
    assert!(transient(503, &receipt("30")));
    assert!(transient(429, b"slow down"));
    assert!(transient(408, b""));
    assert!(permanent(400, &receipt("20")));
    assert!(permanent(404, b"not found"));
    assert!(permanent(302, b""));
    match c.classify_response(502, b"<html>Bad Gateway</html>") {
        DeliveryResponse::Transient { reason } => {
            assert_eq!(reason, "HTTP 502: <html>Bad Gateway</html>");
        }
        other => panic!("{other:?}"),
    }
    match c.classify_response(200, &receipt("10")) {
        DeliveryResponse::Permanent { reason } => assert_eq!(reason, "HTTP 200: 回执 jgdm=10 说明"),
        other => panic!("{other:?}"),
    }
}
