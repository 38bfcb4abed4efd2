//! Replay rules of the dead-letter index (no broker: the replay is a store transaction; the
//! relay publishes it later).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hub::dead_letters::{ReplayError, replay};
use hub::store::{NewDeadLetter, Store};
use hub::transport::{HeaderValue, Headers, header};

fn letter(queue: &str, headers: Headers) -> NewDeadLetter {
    NewDeadLetter {
        queue: queue.to_owned(),
        message_id: Some("0f0a599d-4783-43c2-bf68-25d9e8779d9f".to_owned()),
        message_type: Some("REFERRAL".to_owned()),
        stage: "DELIVERY_LIMIT".to_owned(),
        reasons: "[]".to_owned(),
        publisher: Some("hub".to_owned()),
        body: br#"{"message_type":"REFERRAL"}"#.to_vec(),
        headers,
    }
}

#[tokio::test]
async fn a_failed_delivery_goes_back_to_the_recipient_with_its_sequence_number() {
    let store = Store::open_in_memory().await.unwrap();
    let mut headers = Headers::new();
    headers.insert(header::SENDER.to_owned(), HeaderValue::Text("GRID".into()));
    headers.insert(header::STREAM_SEQ.to_owned(), HeaderValue::Int(42));
    headers.insert(
        header::DEAD_STAGE.to_owned(),
        HeaderValue::Text("DELIVERY_LIMIT".into()),
    );
    let id = store
        .record_dead_letter(letter("dead.STATION", headers))
        .await
        .unwrap();

    replay(&store, id, |_| None, "ops:li.na", "station system fixed")
        .await
        .unwrap();
    let pending = store.pending_outbox(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0].address, "deliver.STATION",
        "not through ingress: it was accepted already"
    );
    assert_eq!(
        pending[0].headers.get(header::STREAM_SEQ),
        Some(&HeaderValue::Int(42))
    );
    assert_eq!(
        pending[0].headers.get(header::SENDER),
        Some(&HeaderValue::Text("GRID".into()))
    );
    assert!(!pending[0].headers.contains_key(header::DEAD_STAGE));
    assert_eq!(
        pending[0].headers.get(header::REPLAY_OF),
        Some(&HeaderValue::Int(id))
    );

    let again = replay(&store, id, |_| None, "ops:li.na", "again").await;
    assert!(
        matches!(again, Err(ReplayError::AlreadyReplayed { .. })),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_refused_message_goes_back_through_the_senders_ingress() {
    let store = Store::open_in_memory().await.unwrap();
    let mut headers = Headers::new();
    headers.insert(header::SENDER.to_owned(), HeaderValue::Text("GRID".into()));
    let id = store
        .record_dead_letter(letter("dead.ingress", headers))
        .await
        .unwrap();
    replay(&store, id, |_| None, "ops:li.na", "authorization fixed")
        .await
        .unwrap();
    let pending = store.pending_outbox(10).await.unwrap();
    assert_eq!(pending[0].address, "ingress.GRID");
    assert_eq!(
        pending[0].headers.get(header::ORIGINAL_PUBLISHER),
        Some(&HeaderValue::Text("GRID".into()))
    );
}

#[tokio::test]
async fn a_refused_message_of_an_unknown_publisher_cannot_be_replayed() {
    let store = Store::open_in_memory().await.unwrap();
    let id = store
        .record_dead_letter(letter("dead.ingress", Headers::new()))
        .await
        .unwrap();
    let outcome = replay(&store, id, |_| None, "ops:li.na", "try").await;
    assert!(
        matches!(outcome, Err(ReplayError::NoSender(_))),
        "{outcome:?}"
    );
    assert!(store.pending_outbox(10).await.unwrap().is_empty());
}
