//! Projection by clearance through the real pipeline: a message more sensitive than a
//! recipient's clearance reaches it without any personal information (PIPL art. 28: all data of
//! a minor is SENSITIVE_MINOR; domain.md §6.3.2: the grid gets "never identity data"), while a
//! cleared recipient gets it whole.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use contracts::model::Actor;
use serde_json::{Value, json};
use support::{Hub, message};

/// The intake of a Taicang resident (the route that tells the township through the grid).
fn local_intake(fixture: &str, sensitivity: &str) -> Value {
    let mut intake = message(fixture, "TCJZ-2026-000777", &[]);
    intake["sensitivity"] = json!(sensitivity);
    intake["payload"]["person"]["household_region_code"] = json!("320585");
    intake["payload"]["person"]["household_address"] = json!("太仓市城厢镇东门街12号");
    intake
}

async fn delivered_to(hub: &Hub, department: Actor) -> Vec<Value> {
    hub.outbox_to(department, "STATION_INTAKE").await
}

#[tokio::test]
async fn the_grid_hears_of_a_local_intake_without_personal_information() {
    let hub = Hub::start().await;
    for (fixture, sensitivity) in [
        (
            "STATION_INTAKE/v1/valid/police_escort_adult_document.json",
            "SENSITIVE",
        ),
        (
            "STATION_INTAKE/v1/valid/minor_grid_referral_temporary_guardianship.json",
            "SENSITIVE_MINOR",
        ),
    ] {
        let intake = local_intake(fixture, sensitivity);
        hub.accept(Actor::Station, &intake).await;
        let at_grid = delivered_to(&hub, Actor::Grid).await;
        let grid = at_grid.last().unwrap();
        assert_eq!(grid["message_id"], intake["message_id"]);
        let person = &grid["payload"]["person"];
        for withheld in [
            "name",
            "id_number",
            "birth_date",
            "household_region_code",
            "household_address",
        ] {
            assert!(
                person.get(withheld).is_none(),
                "{fixture}: GRID received {withheld}: {person}"
            );
        }
        assert_eq!(
            person["sex_code"], intake["payload"]["person"]["sex_code"],
            "untagged facts flow"
        );
        assert_eq!(grid["payload"]["case_id"], intake["payload"]["case_id"]);

        // Civil affairs is cleared for it and receives the person whole.
        let at_civil = delivered_to(&hub, Actor::Civil).await;
        let civil = at_civil.last().unwrap();
        assert_eq!(
            civil["payload"]["person"], intake["payload"]["person"],
            "{fixture}"
        );
    }
}

#[tokio::test]
async fn the_police_get_the_summary_of_an_intake_they_escorted_not_the_station_s_file() {
    let hub = Hub::start().await;
    let intake = message(
        "STATION_INTAKE/v1/valid/police_escort_adult_document.json",
        "TCJZ-2026-000778",
        &[],
    );
    hub.accept(Actor::Station, &intake).await;
    let police = hub.outbox_to(Actor::Police, "STATION_INTAKE").await;
    let civil = hub.outbox_to(Actor::Civil, "STATION_INTAKE").await;
    let (police, civil) = (&police[0]["payload"], &civil[0]["payload"]);
    // Who was taken in: the person's name and ID number reach the police …
    assert_eq!(
        police["person"]["name"],
        intake["payload"]["person"]["name"]
    );
    assert_eq!(
        police["person"]["id_number"],
        intake["payload"]["person"]["id_number"]
    );
    // … the station's file does not (civil affairs, with the full policy, gets it).
    for withheld in ["physical_description", "health_check", "relatives"] {
        if intake["payload"].get(withheld).is_some() {
            assert!(
                police.get(withheld).is_none(),
                "the police received {withheld}"
            );
            assert_eq!(civil[withheld], intake["payload"][withheld], "{withheld}");
        }
    }
}
