//! The simulators' real answers, read by the adapters' own `classify_response`, for the
//! departments whose FORMAT.md is written (POLICE, STATION): `ok` and `slow` are delivered,
//! `error_5xx` transient, `reject_4xx` permanent, and `malformed` what each format says of
//! an unreadable 2xx body (police: permanent; station: delivered, FORMAT.md §5.2).
//!
//! CITYMGMT, GRID and HEALTH are provisional (no FORMAT.md yet) and not checked here; add
//! them to this file when their FORMAT.md lands.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use adapter_core::{Codec, DeliveryResponse};
use adapter_police::PoliceCodec;
use adapter_station::StationCodec;
use common::{JSON, POLICE_XCSQ, STATION_HANDOVER, XML, client, post};
use dept_sim::{Department, FailureMode, SimConfig, Simulator};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Delivered,
    Transient,
    Permanent,
}

fn verdict(response: &DeliveryResponse) -> Verdict {
    match response {
        DeliveryResponse::Delivered => Verdict::Delivered,
        DeliveryResponse::Transient { .. } => Verdict::Transient,
        DeliveryResponse::Permanent { .. } => Verdict::Permanent,
    }
}

async fn classify_every_mode(
    department: Department,
    codec: &dyn Codec,
    content_type: &str,
    document: &str,
) -> Vec<(&'static str, Verdict)> {
    let sim = Simulator::start(department, SimConfig::default())
        .await
        .unwrap();
    let url = format!("{}/deliveries", sim.base_url());
    let mut verdicts = Vec::new();
    for mode in [
        FailureMode::Ok,
        FailureMode::Slow(Duration::from_millis(5)),
        FailureMode::Error5xx,
        FailureMode::Reject4xx,
        FailureMode::Malformed,
    ] {
        if mode != FailureMode::Ok {
            sim.set_mode_for(mode, 1).await.unwrap();
        }
        let (status, body) = post(&client(), &url, content_type, document).await.unwrap();
        let response = codec.classify_response(status, &body);
        verdicts.push((mode.name(), verdict(&response)));
    }
    sim.shutdown().await;
    verdicts
}

#[tokio::test]
async fn police_answers_are_classified_as_the_modes_intend() {
    let verdicts = classify_every_mode(
        Department::Police,
        &PoliceCodec::default(),
        XML,
        POLICE_XCSQ,
    )
    .await;
    assert_eq!(
        verdicts,
        [
            ("ok", Verdict::Delivered),
            ("slow", Verdict::Delivered),
            ("error_5xx", Verdict::Transient),
            ("reject_4xx", Verdict::Permanent),
            ("malformed", Verdict::Permanent),
        ]
    );
}

#[tokio::test]
async fn station_answers_are_classified_as_the_modes_intend() {
    let verdicts = classify_every_mode(
        Department::Station,
        &StationCodec::new(),
        JSON,
        STATION_HANDOVER,
    )
    .await;
    assert_eq!(
        verdicts,
        [
            ("ok", Verdict::Delivered),
            ("slow", Verdict::Delivered),
            ("error_5xx", Verdict::Transient),
            ("reject_4xx", Verdict::Permanent),
            // FORMAT.md §5.2: any 2xx is delivered unless its receipt says success: false;
            // an unreadable body says nothing.
            ("malformed", Verdict::Delivered),
        ]
    );
}
