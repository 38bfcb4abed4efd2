//! Fixtures and helpers shared by the simulator's integration tests: small native documents
//! written for these tests (independent of the adapters' golden files) and an HTTP client.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

/// A police 身份核查协查申请 as the hub would deliver it.
pub(crate) const POLICE_XCSQ: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<XCSQ>
  <XXT>
    <wdbh>9f0c2a4e-5d1b-4c3e-8f7a-1b2c3d4e5f60</wdbh>
    <wdlx>XCSQ</wdlx>
    <xxbs>9f0c2a4e-5d1b-4c3e-8f7a-1b2c3d4e5f60</xxbs>
    <fsdwdm>12320585MB1A23456U</fsdwdm>
    <fssj>20250301072641</fssj>
  </XXT>
  <sqbh>TCJZ-XC-20250301-0003</sqbh>
  <bhcry>
    <sfzt>UNKNOWN</sfzt>
    <xm>无名氏</xm>
    <xb>1</xb>
    <sfwcn>0</sfwcn>
  </bhcry>
  <hcnr>
    <xm>DNA</xm>
    <xm>FACE</xm>
  </hcnr>
</XCSQ>
"#;

/// The message id the "adapter" sends with [`POLICE_XCSQ`].
pub(crate) const MESSAGE_ID: &str = "9f0c2a4e-5d1b-4c3e-8f7a-1b2c3d4e5f60";

/// A station 交接表 delivery.
pub(crate) const STATION_HANDOVER: &str = r#"{
  "head": {"docType": "escortHandover", "docNo": "b1c2d3e4-0000-4000-8000-000000000001", "senderOrgType": "POLICE"},
  "data": {"handoverId": "TCGA-HS-20250301-007", "person": {"name": "王根宝", "sexCode": "1"}}
}"#;

/// A grid/citymgmt-style delivery (header/body).
pub(crate) const HEADER_BODY: &str = r#"{
  "header": {"msgId": "c5d0a1e2-7f3b-4c8d-9e0f-1a2b3c4d5e6f", "msgType": "REFERRAL_OUTCOME"},
  "body": {"outcome": "ADMITTED"}
}"#;

/// An ADT^A05 (送医) as the hub would deliver it to the HIS.
pub(crate) const ADT_A05: &str = "MSH|^~\\&|RESCUE-HUB|TAICANG|HIS|TCDYRMYY|20250309003542+0800||ADT^A05^ADT_A05|HUB-0001|P|2.5|||||CHN|UNICODE UTF-8\r\
EVN|A05|20250309003542+0800\r\
PID|1||TCJZ-2025-0152^^^TCJZ^PI||王根宝^^^^^^L||1947|M\r\
PV1|1|I|精神心理科^0501^12^TCDYRMYY\r";

/// [`ADT_A05`] with another control id.
pub(crate) fn adt(control_id: &str) -> String {
    ADT_A05.replace("HUB-0001", control_id)
}

/// A client without connection reuse surprises: a fresh pool per call site.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// POSTs `body` with the message id header and returns (status, body, elapsed).
pub(crate) async fn post(
    client: &reqwest::Client,
    url: &str,
    content_type: &str,
    body: &str,
) -> Result<(u16, Vec<u8>), reqwest::Error> {
    let response = client
        .post(url)
        .header("Content-Type", content_type)
        .header("X-Hub-Message-Id", MESSAGE_ID)
        .body(body.to_owned())
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.bytes().await?.to_vec()))
}

pub(crate) const XML: &str = "application/xml; charset=UTF-8";
pub(crate) const JSON: &str = "application/json; charset=UTF-8";
pub(crate) const WAIT: Duration = Duration::from_secs(10);
