//! The store (inbox, outbox, stream numbers, dead-letter index) and the outbox relay, without
//! a broker: file stores in temporary directories, and a fake in-memory transport.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hub::relay::{Relay, RelayError};
use hub::store::{
    AcceptedMessage, CommitOutcome, DeadLetterFilter, NewDeadLetter, OutboxRow, PlannedMessage,
    Store, StoreError,
};
use hub::transport::{
    Address, Consumer, DeadLetterReason, Delivery, HeaderValue, Headers, Outgoing, Transport,
    TransportError, header,
};
use tokio::sync::watch;

const WAIT: Duration = Duration::from_secs(10);

fn accepted(id: &str) -> AcceptedMessage {
    AcceptedMessage {
        message_id: id.to_owned(),
        sender: "GRID".to_owned(),
        message_type: "REFERRAL".to_owned(),
        case_id: Some("CASE-1".to_owned()),
        body_sha256: "00".repeat(32),
    }
}

fn planned(id: &str, recipient: &str, stream: Option<(&str, &str)>) -> PlannedMessage {
    let mut headers = BTreeMap::new();
    headers.insert(
        header::SENDER.to_owned(),
        HeaderValue::Text("GRID".to_owned()),
    );
    headers.insert(header::ATTEMPT.to_owned(), HeaderValue::Int(0));
    PlannedMessage {
        message_id: id.to_owned(),
        address: format!("deliver.{recipient}"),
        message_type: "REFERRAL".to_owned(),
        case_id: Some("CASE-1".to_owned()),
        stream: stream.map(|(s, r)| (s.to_owned(), r.to_owned())),
        body: format!("{{\"message_id\":\"{id}\"}}").into_bytes(),
        headers,
    }
}

fn delivery(id: &str, recipient: &str) -> PlannedMessage {
    planned(id, recipient, Some(("GRID", recipient)))
}

async fn all_pending(store: &Store) -> Vec<OutboxRow> {
    store.pending_outbox(10_000).await.unwrap()
}

fn seqs_to(rows: &[OutboxRow], address: &str) -> Vec<i64> {
    rows.iter()
        .filter(|r| r.address == address)
        .map(|r| r.stream_seq.unwrap())
        .collect()
}

#[tokio::test]
async fn commit_then_duplicate_writes_nothing_more() {
    let store = Store::open_in_memory().await.unwrap();
    let outcome = store
        .commit_accepted(
            &accepted("m1"),
            vec![delivery("o1", "STATION"), delivery("o2", "POLICE")],
        )
        .await
        .unwrap();
    let CommitOutcome::Committed { outbox_ids } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(outbox_ids.len(), 2);
    assert!(outbox_ids[0] < outbox_ids[1]);

    let again = store
        .commit_accepted(&accepted("m1"), vec![delivery("o3", "STATION")])
        .await
        .unwrap();
    let CommitOutcome::Duplicate { first_received_at } = again else {
        panic!("{again:?}")
    };
    assert!(
        first_received_at.ends_with('Z') && first_received_at.len() == 27,
        "{first_received_at}"
    );

    assert_eq!(store.outbox_backlog().await.unwrap(), 2);
    assert!(store.is_duplicate("m1").await.unwrap());
    assert!(!store.is_duplicate("m2").await.unwrap());
    assert_eq!(
        store.sender_of("m1").await.unwrap().as_deref(),
        Some("GRID")
    );
    assert_eq!(store.sender_of("m2").await.unwrap(), None);
    // The duplicate took no stream number: the next message to STATION gets 2.
    store
        .commit_accepted(&accepted("m2"), vec![delivery("o4", "STATION")])
        .await
        .unwrap();
    assert_eq!(
        seqs_to(&all_pending(&store).await, "deliver.STATION"),
        vec![1, 2]
    );
}

#[tokio::test]
async fn stream_numbers_are_gap_free_per_sender_and_recipient() {
    let store = Store::open_in_memory().await.unwrap();
    for i in 0..3 {
        let plan = vec![
            delivery(&format!("s{i}"), "STATION"),
            delivery(&format!("p{i}"), "POLICE"),
            planned(&format!("u{i}"), "HEALTH", None),
        ];
        store
            .commit_accepted(&accepted(&format!("m{i}")), plan)
            .await
            .unwrap();
    }
    // Another sender to the same recipient is another stream.
    store
        .commit_refusal(vec![planned("r1", "STATION", Some(("HUB", "STATION")))])
        .await
        .unwrap();
    let rows = all_pending(&store).await;
    let stream = |sender_msg: char| -> Vec<i64> {
        rows.iter()
            .filter(|r| r.message_id.starts_with(sender_msg))
            .map(|r| r.stream_seq.unwrap())
            .collect()
    };
    assert_eq!(stream('s'), vec![1, 2, 3]);
    assert_eq!(stream('p'), vec![1, 2, 3]);
    assert_eq!(stream('r'), vec![1]);
    assert!(
        rows.iter()
            .filter(|r| r.address == "deliver.HEALTH")
            .all(|r| r.stream_seq.is_none())
    );
}

#[tokio::test]
async fn a_failed_commit_leaves_nothing_behind() {
    let store = Store::open_in_memory().await.unwrap();
    // The second planned message violates a constraint (empty address): everything before
    // it in the transaction (inbox row, first outbox row, stream number) is rolled back.
    let mut broken = delivery("o2", "POLICE");
    broken.address = String::new();
    let result = store
        .commit_accepted(&accepted("m1"), vec![delivery("o1", "STATION"), broken])
        .await;
    let error = result.unwrap_err();
    assert!(matches!(error, StoreError::Database(_)), "{error}");
    assert!(!error.is_transient());
    assert!(!store.is_duplicate("m1").await.unwrap());
    assert_eq!(store.outbox_backlog().await.unwrap(), 0);

    // The refusal path is atomic too.
    let mut broken = planned("x", "STATION", None);
    broken.message_id = String::new();
    assert!(
        store
            .commit_refusal(vec![planned("n1", "GRID", Some(("HUB", "GRID"))), broken])
            .await
            .is_err()
    );
    assert_eq!(store.outbox_backlog().await.unwrap(), 0);

    // A later commit of the same message succeeds, and its stream starts at 1.
    let outcome = store
        .commit_accepted(&accepted("m1"), vec![delivery("o1", "STATION")])
        .await
        .unwrap();
    assert!(matches!(outcome, CommitOutcome::Committed { .. }));
    store
        .commit_refusal(vec![planned("n2", "GRID", Some(("HUB", "GRID")))])
        .await
        .unwrap();
    let rows = all_pending(&store).await;
    assert_eq!(seqs_to(&rows, "deliver.STATION"), vec![1]);
    assert_eq!(seqs_to(&rows, "deliver.GRID"), vec![1]);
}

#[tokio::test]
async fn a_refusal_writes_no_inbox_row() {
    let store = Store::open_in_memory().await.unwrap();
    let mut dead = planned("m1", "x", None);
    dead.address = "dead.ingress".to_owned();
    let ids = store
        .commit_refusal(vec![dead, planned("n1", "GRID", Some(("HUB", "GRID")))])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert!(!store.is_duplicate("m1").await.unwrap());
    assert_eq!(store.outbox_backlog().await.unwrap(), 2);
    let rows = all_pending(&store).await;
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), ids);
    assert_eq!(rows[0].address, "dead.ingress");

    // The fixed message is accepted later.
    let outcome = store
        .commit_accepted(&accepted("m1"), vec![delivery("o1", "STATION")])
        .await
        .unwrap();
    assert!(matches!(outcome, CommitOutcome::Committed { .. }));
}

#[tokio::test]
async fn pending_outbox_is_in_id_order_and_mark_published_settles_rows() {
    let store = Store::open_in_memory().await.unwrap();
    for i in 0..5 {
        store
            .commit_accepted(
                &accepted(&format!("m{i}")),
                vec![delivery(&format!("o{i}"), "STATION")],
            )
            .await
            .unwrap();
    }
    let first_three = store.pending_outbox(3).await.unwrap();
    assert_eq!(
        first_three
            .iter()
            .map(|r| r.message_id.as_str())
            .collect::<Vec<_>>(),
        ["o0", "o1", "o2"]
    );
    let row = &first_three[0];
    assert_eq!(row.address, "deliver.STATION");
    assert_eq!(row.message_type, "REFERRAL");
    assert_eq!(row.case_id.as_deref(), Some("CASE-1"));
    assert_eq!(row.stream_seq, Some(1));
    assert_eq!(row.body, b"{\"message_id\":\"o0\"}");
    assert_eq!(row.headers, planned("o0", "STATION", None).headers);

    store.mark_published(first_three[0].id).await.unwrap();
    store.mark_published(first_three[2].id).await.unwrap();
    store.mark_published(first_three[2].id).await.unwrap(); // idempotent
    assert_eq!(store.outbox_backlog().await.unwrap(), 3);
    let rest = all_pending(&store).await;
    assert_eq!(
        rest.iter()
            .map(|r| r.message_id.as_str())
            .collect::<Vec<_>>(),
        ["o1", "o3", "o4"]
    );
    let after = store.pending_outbox_after(rest[0].id, 10).await.unwrap();
    assert_eq!(
        after
            .iter()
            .map(|r| r.message_id.as_str())
            .collect::<Vec<_>>(),
        ["o3", "o4"]
    );

    let missing = store.mark_published(9_999).await.unwrap_err();
    assert!(
        matches!(missing, StoreError::OutboxRowNotFound(9_999)),
        "{missing}"
    );

    // Pruning removes published rows only.
    assert_eq!(
        store
            .prune_published_outbox("9999-01-01T00:00:00.000000Z")
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.outbox_backlog().await.unwrap(), 3);
}

fn dead_letter(queue: &str, id: Option<&str>, stage: &str, reasons: &str) -> NewDeadLetter {
    let mut headers = Headers::new();
    headers.insert(
        header::DEAD_STAGE.to_owned(),
        HeaderValue::Text(stage.to_owned()),
    );
    NewDeadLetter {
        queue: queue.to_owned(),
        message_id: id.map(str::to_owned),
        message_type: Some("REFERRAL".to_owned()),
        stage: stage.to_owned(),
        reasons: reasons.to_owned(),
        publisher: Some("GRID".to_owned()),
        body: format!("body of {id:?}").into_bytes(),
        headers,
    }
}

#[tokio::test]
async fn dead_letters_are_recorded_listed_filtered_and_replayed_once() {
    let store = Store::open_in_memory().await.unwrap();
    let contract = dead_letter(
        "dead.ingress",
        Some("d1"),
        "CONTRACT",
        r#"[{"pointer":"/payload/age","code":"minimum","message":"too small"}]"#,
    );
    let a = store.record_dead_letter(contract.clone()).await.unwrap();
    let b = store
        .record_dead_letter(dead_letter(
            "dead.ingress",
            Some("d2"),
            "UNAUTHORIZED",
            "[]",
        ))
        .await
        .unwrap();
    let c = store
        .record_dead_letter(dead_letter(
            "dead.STATION",
            Some("d3"),
            "DEPARTMENT_4XX",
            "[]",
        ))
        .await
        .unwrap();
    let anonymous = store
        .record_dead_letter(dead_letter("dead.ingress", None, "PARSE", "[]"))
        .await
        .unwrap();
    // Recording again (an indexer that crashed before its ack) is idempotent.
    assert_eq!(store.record_dead_letter(contract.clone()).await.unwrap(), a);
    assert_eq!(
        store
            .record_dead_letter(dead_letter("dead.ingress", None, "PARSE", "[]"))
            .await
            .unwrap(),
        anonymous
    );

    let all = store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|d| d.id).collect::<Vec<_>>(),
        [a, b, c, anonymous]
    );
    let first = &all[0];
    assert_eq!(first.queue, "dead.ingress");
    assert_eq!(first.message_id.as_deref(), Some("d1"));
    assert_eq!(first.stage, "CONTRACT");
    assert_eq!(first.reasons, contract.reasons);
    assert_eq!(first.publisher.as_deref(), Some("GRID"));
    assert_eq!(first.body, contract.body);
    assert_eq!(first.headers, contract.headers);
    assert!(first.replayed_at.is_none());

    let ids = |filter: DeadLetterFilter| {
        let store = store.clone();
        async move {
            store
                .dead_letters(&filter)
                .await
                .unwrap()
                .iter()
                .map(|d| d.id)
                .collect::<Vec<_>>()
        }
    };
    let by_queue = DeadLetterFilter {
        queue: Some("dead.STATION".to_owned()),
        ..Default::default()
    };
    assert_eq!(ids(by_queue).await, [c]);
    let by_stage = DeadLetterFilter {
        reason: Some("contract".to_owned()),
        ..Default::default()
    };
    assert_eq!(ids(by_stage).await, [a]);
    let by_reason_text = DeadLetterFilter {
        reason: Some("/payload/AGE".to_owned()),
        ..Default::default()
    };
    assert_eq!(ids(by_reason_text).await, [a]);
    let wildcard = DeadLetterFilter {
        reason: Some("%".to_owned()),
        ..Default::default()
    };
    assert_eq!(ids(wildcard).await, Vec::<i64>::new());
    let limited = DeadLetterFilter {
        limit: Some(2),
        ..Default::default()
    };
    assert_eq!(ids(limited).await, [a, b]);

    store
        .mark_replayed(a, "operator-li", "schema fixed")
        .await
        .unwrap();
    let replayed = store.dead_letter(a).await.unwrap().unwrap();
    assert_eq!(replayed.replayed_by.as_deref(), Some("operator-li"));
    assert_eq!(replayed.replay_reason.as_deref(), Some("schema fixed"));
    assert!(replayed.replayed_at.is_some());

    let again = store
        .mark_replayed(a, "operator-wang", "again")
        .await
        .unwrap_err();
    assert!(
        matches!(&again, StoreError::AlreadyReplayed { id, replayed_by, .. } if *id == a && replayed_by == "operator-li"),
        "{again}"
    );
    assert!(!again.is_transient());
    let missing = store.mark_replayed(9_999, "x", "y").await.unwrap_err();
    assert!(
        matches!(missing, StoreError::DeadLetterNotFound(9_999)),
        "{missing}"
    );
    assert!(store.dead_letter(9_999).await.unwrap().is_none());

    assert_eq!(ids(DeadLetterFilter::default()).await, [b, c, anonymous]);
    let with_replayed = DeadLetterFilter {
        include_replayed: true,
        ..Default::default()
    };
    assert_eq!(ids(with_replayed).await, [a, b, c, anonymous]);

    // The replayed message dying again is a new dead letter.
    let later = store.record_dead_letter(contract).await.unwrap();
    assert!(later > anonymous);
}

#[tokio::test]
async fn commit_replay_marks_and_enqueues_together_once() {
    let store = Store::open_in_memory().await.unwrap();
    let id = store
        .record_dead_letter(dead_letter("dead.ingress", Some("d1"), "CONTRACT", "[]"))
        .await
        .unwrap();
    let mut replay = planned("d1", "x", None);
    replay.address = "ingress.GRID".to_owned();
    let ids = store
        .commit_replay(id, "operator", "fixed", vec![replay.clone()])
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    let err = store
        .commit_replay(id, "operator", "twice", vec![replay])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyReplayed { .. }), "{err}");
    assert_eq!(store.outbox_backlog().await.unwrap(), 1);
}

#[tokio::test]
async fn a_file_store_keeps_everything_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("state").join("hub.db");
    {
        let store = Store::open(&path).await.unwrap();
        store
            .commit_accepted(&accepted("m1"), vec![delivery("o1", "STATION")])
            .await
            .unwrap();
        store
            .record_dead_letter(dead_letter("dead.ingress", Some("d1"), "CONTRACT", "[]"))
            .await
            .unwrap();
        store.close().await;
    }
    assert!(path.exists());
    let store = Store::open(&path).await.unwrap(); // schema already there: idempotent
    assert_eq!(
        store.schema_version().await.unwrap(),
        hub::store::SCHEMA_VERSION
    );
    assert!(store.ping().await);
    assert!(store.is_duplicate("m1").await.unwrap());
    let rows = all_pending(&store).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].message_id, "o1");
    assert_eq!(
        store
            .dead_letters(&DeadLetterFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    // The stream continues where it was.
    store
        .commit_accepted(&accepted("m2"), vec![delivery("o2", "STATION")])
        .await
        .unwrap();
    assert_eq!(
        seqs_to(&all_pending(&store).await, "deliver.STATION"),
        vec![1, 2]
    );
    // A second store on the same file (another process, e.g. hubctl) sees the same state.
    let other = Store::open(&path).await.unwrap();
    assert!(other.is_duplicate("m2").await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_commits_of_one_message_id_commit_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("hub.db")).await.unwrap();
    for round in 0..10 {
        let message_id = format!("m{round}");
        let barrier = Arc::new(tokio::sync::Barrier::new(4));
        let mut tasks = tokio::task::JoinSet::new();
        for task in 0..4 {
            let (store, barrier, message_id) =
                (store.clone(), Arc::clone(&barrier), message_id.clone());
            tasks.spawn(async move {
                let plan = vec![delivery(&format!("{message_id}-{task}"), "STATION")];
                barrier.wait().await;
                store
                    .commit_accepted(&accepted(&message_id), plan)
                    .await
                    .unwrap()
            });
        }
        let outcomes: Vec<CommitOutcome> =
            tokio::time::timeout(WAIT, tasks.join_all()).await.unwrap();
        let committed = outcomes
            .iter()
            .filter(|o| matches!(o, CommitOutcome::Committed { .. }))
            .count();
        assert_eq!(committed, 1, "round {round}: {outcomes:?}");
    }
    let rows = all_pending(&store).await;
    assert_eq!(rows.len(), 10);
    assert_eq!(
        seqs_to(&rows, "deliver.STATION"),
        (1..=10).collect::<Vec<i64>>()
    );
}

#[tokio::test]
async fn in_memory_stores_are_independent() {
    let one = Store::open_in_memory().await.unwrap();
    let two = Store::open_in_memory().await.unwrap();
    one.commit_accepted(&accepted("m1"), vec![]).await.unwrap();
    assert!(one.is_duplicate("m1").await.unwrap());
    assert!(!two.is_duplicate("m1").await.unwrap());
}

// ---- relay -------------------------------------------------------------------------------

/// One publish attempt seen by the fake transport.
#[derive(Debug, Clone)]
struct Attempt {
    queue: String,
    message_id: String,
    ok: bool,
}

/// An in-memory transport whose every `fail_every`-th publish attempt fails (not stored).
#[derive(Debug)]
struct FlakyTransport {
    fail_every: usize,
    attempts: AtomicUsize,
    log: Mutex<Vec<Attempt>>,
    stored: Mutex<Vec<Outgoing>>,
    stored_count: watch::Sender<usize>,
}

impl FlakyTransport {
    fn new(fail_every: usize) -> Self {
        FlakyTransport {
            fail_every,
            attempts: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
            stored: Mutex::new(Vec::new()),
            stored_count: watch::channel(0).0,
        }
    }
}

#[derive(Debug)]
struct NoConsumer;

#[derive(Debug)]
struct NoDelivery(Headers);

impl Delivery for NoDelivery {
    fn body(&self) -> &[u8] {
        &[]
    }
    fn message_id(&self) -> Option<&str> {
        None
    }
    fn authenticated_user(&self) -> Option<&str> {
        None
    }
    fn headers(&self) -> &Headers {
        &self.0
    }
    fn redelivered(&self) -> bool {
        false
    }
    fn attempt(&self) -> u32 {
        0
    }
    async fn ack(self) -> Result<(), TransportError> {
        Ok(())
    }
    async fn retry_later(self, _delay: Duration) -> Result<(), TransportError> {
        Ok(())
    }
    async fn dead_letter(self, _reason: DeadLetterReason) -> Result<(), TransportError> {
        Ok(())
    }
}

impl Consumer for NoConsumer {
    type Delivery = NoDelivery;
    async fn next(&mut self) -> Option<NoDelivery> {
        None
    }
}

impl Transport for FlakyTransport {
    type Consumer = NoConsumer;

    async fn publish(&self, message: Outgoing) -> Result<(), TransportError> {
        let n = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        let ok = !n.is_multiple_of(self.fail_every);
        self.log.lock().unwrap().push(Attempt {
            queue: message.address.queue_name(),
            message_id: message.message_id.clone(),
            ok,
        });
        if !ok {
            return Err(TransportError::NotConfirmed {
                message_id: message.message_id,
                address: message.address,
                detail: "fake nack".to_owned(),
            });
        }
        let count = {
            let mut stored = self.stored.lock().unwrap();
            stored.push(message);
            stored.len()
        };
        self.stored_count.send_replace(count);
        Ok(())
    }

    async fn consume(
        &self,
        _address: Address,
        _prefetch: u16,
    ) -> Result<NoConsumer, TransportError> {
        Ok(NoConsumer)
    }

    fn is_ready(&self) -> bool {
        true
    }
}

/// Commits ingress messages `messages`, each delivering to one of three recipients in turn,
/// and returns the pending outbox rows in id order. Deterministic: the same calls on two
/// stores give the same rows.
async fn fill_outbox(store: &Store, messages: std::ops::Range<usize>) -> Vec<OutboxRow> {
    let recipients = ["STATION", "POLICE", "HEALTH"];
    for i in messages {
        let recipient = recipients[i % recipients.len()];
        store
            .commit_accepted(
                &accepted(&format!("m{i}")),
                vec![delivery(&format!("o{i}"), recipient)],
            )
            .await
            .unwrap();
    }
    all_pending(store).await
}

/// Every row stored exactly once, per queue in outbox order with its stream number, and no
/// failed row overtaken by a later row of its queue.
fn check_relayed(transport: &FlakyTransport, rows: &[OutboxRow]) {
    let stored = transport.stored.lock().unwrap();
    assert_eq!(stored.len(), rows.len(), "every row stored once");
    let mut expected: HashMap<String, Vec<&OutboxRow>> = HashMap::new();
    for row in rows {
        expected.entry(row.address.clone()).or_default().push(row);
    }
    let mut got: HashMap<String, Vec<&Outgoing>> = HashMap::new();
    for out in stored.iter() {
        got.entry(out.address.queue_name()).or_default().push(out);
    }
    for (queue, rows) in &expected {
        let outs = &got[queue];
        assert_eq!(
            outs.iter()
                .map(|o| o.message_id.as_str())
                .collect::<Vec<_>>(),
            rows.iter()
                .map(|r| r.message_id.as_str())
                .collect::<Vec<_>>(),
            "order on {queue}"
        );
        for (out, row) in outs.iter().zip(rows) {
            assert_eq!(
                out.headers.get(header::STREAM_SEQ),
                Some(&HeaderValue::Int(row.stream_seq.unwrap()))
            );
            assert_eq!(
                out.headers.get(header::SENDER),
                Some(&HeaderValue::Text("GRID".to_owned()))
            );
            assert_eq!(out.body, row.body);
            assert_eq!(out.message_type, row.message_type);
        }
    }
    // After a failed attempt, the next attempt on the same queue is the same message.
    let log = transport.log.lock().unwrap();
    let failures = log.iter().filter(|a| !a.ok).count();
    assert!(failures > 0, "the fake failed some publishes");
    for (i, attempt) in log.iter().enumerate() {
        if attempt.ok {
            continue;
        }
        if let Some(next) = log[i + 1..].iter().find(|a| a.queue == attempt.queue) {
            assert_eq!(
                next.message_id, attempt.message_id,
                "a failed row was overtaken on {}",
                attempt.queue
            );
        }
    }
}

#[tokio::test]
async fn the_relay_publishes_every_row_once_in_order_despite_failures() {
    let store = Store::open_in_memory().await.unwrap();
    let rows = fill_outbox(&store, 0..30).await;
    let transport = Arc::new(FlakyTransport::new(3));
    let relay = Relay::new(store.clone(), Arc::clone(&transport));

    let mut passes = 0;
    let mut failed_passes = 0;
    while store.outbox_backlog().await.unwrap() > 0 {
        passes += 1;
        assert!(passes < 200, "the relay makes progress");
        match relay.drain_once().await {
            Ok(_) => {}
            Err(RelayError::Publish { source, .. }) => {
                assert!(source.is_transient());
                failed_passes += 1;
            }
            Err(other) => panic!("unexpected relay error: {other}"),
        }
    }
    assert!(failed_passes > 0);
    assert_eq!(relay.drain_once().await.unwrap(), 0, "nothing left");
    check_relayed(&transport, &rows);
}

#[tokio::test]
async fn a_row_with_an_unknown_address_holds_back_only_its_address() {
    let store = Store::open_in_memory().await.unwrap();
    store
        .commit_refusal(vec![
            planned("a1", "NOBODY", None),
            planned("b1", "STATION", None),
            planned("a2", "NOBODY", None),
            planned("b2", "STATION", None),
        ])
        .await
        .unwrap();
    let transport = Arc::new(FlakyTransport::new(usize::MAX));
    let relay = Relay::new(store.clone(), Arc::clone(&transport));
    let error = relay.drain_once().await.unwrap_err();
    assert!(
        matches!(&error, RelayError::UnknownAddress { address, .. } if address == "deliver.NOBODY"),
        "{error}"
    );
    assert!(!error.is_transient());
    let pending: Vec<String> = all_pending(&store)
        .await
        .into_iter()
        .map(|r| r.message_id)
        .collect();
    assert_eq!(pending, ["a1", "a2"]);
    let stored: Vec<String> = transport
        .stored
        .lock()
        .unwrap()
        .iter()
        .map(|o| o.message_id.clone())
        .collect();
    assert_eq!(stored, ["b1", "b2"]);
}

#[tokio::test]
async fn the_running_relay_wakes_on_notify_and_stops_on_shutdown() {
    let store = Store::open_in_memory().await.unwrap();
    let transport = Arc::new(FlakyTransport::new(3));
    let relay = Relay::new(store.clone(), Arc::clone(&transport));
    let wakeup = relay.notifier();
    let (stop, shutdown) = watch::channel(false);
    // What the outbox holds, from an identical twin store (the relay publishes as we fill).
    let twin = Store::open_in_memory().await.unwrap();
    let rows = fill_outbox(&twin, 0..24).await;
    fill_outbox(&store, 0..12).await;
    let running = tokio::spawn(relay.run(shutdown));

    // A later batch arrives while the relay runs, with a wake-up as the pipeline gives.
    fill_outbox(&store, 12..24).await;
    wakeup.notify_one();
    let mut stored = transport.stored_count.subscribe();
    tokio::time::timeout(WAIT, stored.wait_for(|n| *n >= 24))
        .await
        .unwrap()
        .unwrap();

    stop.send_replace(true);
    tokio::time::timeout(WAIT, running).await.unwrap().unwrap();
    // Every confirmed publish was marked before the relay stopped.
    assert_eq!(store.outbox_backlog().await.unwrap(), 0);
    check_relayed(&transport, &rows);
}
