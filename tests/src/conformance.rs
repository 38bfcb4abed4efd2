//! The transport conformance suite: every delivery rule of `hub::transport` (rules 1–8 of
//! its module documentation) written once as a case generic over a [`TransportFixture`],
//! and run against each transport by [`transport_conformance_suite!`](crate::transport_conformance_suite)
//! (one `#[tokio::test]` per case and transport). Benthos' shared `StreamTests` and
//! NServiceBus' transport tests are the model: a transport that passes every case keeps the
//! contract the pipeline relies on, whatever it is built on.
//!
//! # Invariants
//!
//! * A case sees the transport only through the `Transport`/`Consumer`/`Delivery` traits
//!   and the fixture; nothing transport-specific is asserted. Where the two transports may
//!   legitimately differ under the rule's wording (how many deliveries the limit allows,
//!   which reason headers a transport-made dead letter carries), the case checks the common
//!   denominator and says so in its documentation.
//! * Each case runs on a fixture of its own ([`run`] creates it and cleans it up, also when
//!   the case fails), and uses queues that no other case touches ([`TransportFixture::fresh_queue`]).
//! * Every wait is bounded ([`WAIT`]); the only timed waits are *quiet periods* that assert
//!   that nothing arrives, each longer than the fixture's [`TransportFixture::redelivery_window`].
//!   Timing assertions are lower bounds only (a retry step cannot end early).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hub::transport::{
    Address, Consumer, DeadLetterReason, Delivery, HeaderValue, Headers, Outgoing, Transport,
    header,
};

/// Upper bound of every single wait of a case (a delivery, a publish, a settlement).
pub const WAIT: Duration = Duration::from_secs(30);

/// Upper bound of one whole case, fixture set-up and clean-up excluded.
pub const CASE_LIMIT: Duration = Duration::from_secs(180);

/// Extra listening time of a quiet period beyond the fixture's redelivery window.
const QUIET_MARGIN: Duration = Duration::from_millis(500);

/// Tolerance of the lower-bound timing checks: wall-clock milliseconds (embedded) and
/// broker TTL bookkeeping round to whole milliseconds, the test measures with [`Instant`].
const CLOCK_TOLERANCE: Duration = Duration::from_millis(5);

/// One transport set up for one case: the hub's handle on it, queues of the case's own, and
/// the transport's test settings the cases check against.
pub trait TransportFixture: Send + Sync + Sized + 'static {
    /// The transport under test.
    type T: Transport + Clone;

    /// Sets the transport up for the case named `case`; `None` when the case must be skipped
    /// (no broker outside CI: the fixture prints the `SKIP` line).
    fn create(case: &'static str) -> impl Future<Output = Option<Self>> + Send;

    /// The hub's handle: may publish to and consume any queue, retry and dead-letter. After
    /// [`TransportFixture::reconnect_fault`] it is the handle to use from then on.
    fn hub(&self) -> impl Future<Output = Self::T> + Send;

    /// A work queue (`deliver.<R>`) that is empty and used by nothing else, whose dead queue
    /// is equally unused. Each call returns a different one.
    fn fresh_queue(&self) -> impl Future<Output = Address> + Send;

    /// The configured retry steps, ascending; at least two.
    fn retry_steps(&self) -> Vec<Duration>;

    /// The configured delivery limit (rule 5).
    fn delivery_limit(&self) -> u32;

    /// Longest time after its consumer died before an unsettled delivery can be delivered
    /// again (RabbitMQ: at once when the channel closes; embedded: the lease plus a poll).
    fn redelivery_window(&self) -> Duration;

    /// Whether [`TransportFixture::reconnect_fault`] can be injected.
    fn supports_reconnect_fault(&self) -> bool {
        true
    }

    /// Cuts the transport off its broker or store and lets it come back: RabbitMQ closes
    /// the connections of the case's vhost (management API); embedded drops the transport
    /// and opens it again on the same database file.
    fn reconnect_fault(&self) -> impl Future<Output = ()> + Send;

    /// Whether consumers opened before [`TransportFixture::reconnect_fault`] keep yielding
    /// after it (RabbitMQ: yes, rule 8; embedded: the reopened transport is a new one, so
    /// the case opens a new consumer on it).
    fn consumers_survive_reconnect_fault(&self) -> bool;

    /// Releases everything the fixture made (vhost, users, temporary files).
    fn cleanup(self) -> impl Future<Output = ()> + Send;
}

/// Runs one case: creates its fixture, runs `case` in a task of its own (bounded by
/// [`CASE_LIMIT`]), cleans the fixture up whatever happened, then reports the case's
/// failure, if any, as this test's failure.
pub async fn run<F, C, Fut>(name: &'static str, case: C)
where
    F: TransportFixture,
    C: FnOnce(Arc<F>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(fixture) = F::create(name).await else {
        return;
    };
    let fixture = Arc::new(fixture);
    let task = tokio::spawn(case(Arc::clone(&fixture)));
    let abort = task.abort_handle();
    let outcome = tokio::time::timeout(CASE_LIMIT, task).await;
    abort.abort();
    // The case's task holds the other reference until it has ended or been aborted.
    let fixture = within("the case's task to release its fixture", async {
        let mut fixture = fixture;
        loop {
            match Arc::try_unwrap(fixture) {
                Ok(owned) => return owned,
                Err(shared) => {
                    fixture = shared;
                    tokio::task::yield_now().await;
                }
            }
        }
    })
    .await;
    fixture.cleanup().await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(error)) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Ok(Err(error)) => panic!("case {name} did not finish: {error}"),
        Err(_) => panic!("case {name} took longer than {CASE_LIMIT:?}"),
    }
}

/// Defines one `#[tokio::test]` per conformance case for the fixture type given, in the
/// module where it is invoked: `transport_conformance_suite!(AmqpFixture);`. This list is
/// the suite: a case added here runs against every transport.
#[macro_export]
macro_rules! transport_conformance_suite {
    ($fixture:ty) => {
        $crate::transport_conformance_suite!(@cases $fixture;
            case_is_ready_when_up,
            case_publish_is_confirmed_and_consumable_intact,
            case_ack_removes_the_message,
            case_unsettled_delivery_comes_back_redelivered,
            case_retry_later_comes_back_after_the_step_with_the_next_attempt,
            case_dead_letter_moves_the_message_with_its_reasons,
            case_delivery_limit_dead_letters_a_poison_message,
            case_one_queue_delivers_in_publish_order,
            case_duplicates_are_delivered_not_deduplicated,
            case_consumer_crash_and_restart_redelivers_exactly_the_unacked,
            case_consumer_resumes_after_a_reconnect_fault,
        );
    };
    (@cases $fixture:ty; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $crate::conformance::run::<$fixture, _, _>(
                    stringify!($case),
                    |fixture: ::std::sync::Arc<$fixture>| async move {
                        $crate::conformance::$case(&*fixture).await
                    },
                )
                .await;
            }
        )+
    };
}

// -------------------------------------------------------------------------------------------
// Helpers
// -------------------------------------------------------------------------------------------

/// Awaits `future` at most [`WAIT`]; a timeout fails the case naming `what`.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out after {WAIT:?} waiting for {what}"))
}

/// The next delivery of `consumer`, within [`WAIT`].
pub async fn next_delivery<C: Consumer>(consumer: &mut C, what: &str) -> C::Delivery {
    within(what, consumer.next())
        .await
        .unwrap_or_else(|| panic!("the consumer ended while waiting for {what}"))
}

/// How long a case listens to be sure nothing (more) arrives.
pub fn quiet_period<F: TransportFixture>(fixture: &F) -> Duration {
    fixture.redelivery_window() + QUIET_MARGIN
}

/// Asserts that `consumer` yields nothing for `quiet`.
pub async fn assert_nothing_for<C: Consumer>(consumer: &mut C, quiet: Duration, what: &str) {
    if let Ok(delivery) = tokio::time::timeout(quiet, consumer.next()).await {
        let id = delivery
            .as_ref()
            .and_then(|d| d.message_id().map(str::to_owned));
        panic!("{what}: expected nothing for {quiet:?}, got message {id:?}");
    }
}

/// Asserts that `address` holds nothing deliverable, now or after the redelivery window:
/// a new consumer receives nothing for the quiet period. Drop the case's own consumers of
/// `address` first (an open consumer keeps its unsettled deliveries).
pub async fn assert_queue_empty<F: TransportFixture>(fixture: &F, hub: &F::T, address: Address) {
    let mut probe = within("a probe consumer", hub.consume(address, 10))
        .await
        .unwrap_or_else(|error| panic!("consume {address}: {error}"));
    assert_nothing_for(
        &mut probe,
        quiet_period(fixture),
        &format!("{address} should be empty"),
    )
    .await;
}

/// The dead queue of a work queue (table of `hub::transport`): `dead.ingress` for
/// `ingress.<S>`, `dead.<R>` for `deliver.<R>`.
pub fn dead_queue_of(address: Address) -> Address {
    match address {
        Address::Ingress(_) | Address::DeadIngress => Address::DeadIngress,
        Address::Deliver(recipient) | Address::Dead(recipient) => Address::Dead(recipient),
    }
}

/// A test message to `address` with a fresh `message_id`, a JSON body naming `label`, and
/// hub headers of both value kinds.
pub fn message(address: Address, label: &str) -> Outgoing {
    let message_id = format!("{label}-{}", uuid::Uuid::new_v4().simple());
    let mut headers = Headers::new();
    headers.insert(
        header::MESSAGE_TYPE.to_owned(),
        HeaderValue::Text("STATION.REFERRAL".to_owned()),
    );
    headers.insert(
        header::CASE_ID.to_owned(),
        HeaderValue::Text("TCJZ-2025-100001".to_owned()),
    );
    headers.insert(header::STREAM_SEQ.to_owned(), HeaderValue::Int(42));
    headers.insert(
        header::TRACEPARENT.to_owned(),
        HeaderValue::Text("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
    );
    Outgoing {
        address,
        message_type: "REFERRAL".to_owned(),
        body: format!(r#"{{"message_id":"{message_id}","label":"{label}"}}"#).into_bytes(),
        message_id,
        headers,
    }
}

/// Publishes `message` within [`WAIT`]; an error fails the case.
pub async fn publish<T: Transport>(hub: &T, message: &Outgoing) {
    within(
        &format!("the publish of {}", message.message_id),
        hub.publish(message.clone()),
    )
    .await
    .unwrap_or_else(|error| panic!("publish of {}: {error}", message.message_id));
}

/// Opens a consumer of `address` within [`WAIT`]; an error fails the case.
pub async fn consume<T: Transport>(hub: &T, address: Address, prefetch: u16) -> T::Consumer {
    within(
        &format!("consuming {address}"),
        hub.consume(address, prefetch),
    )
    .await
    .unwrap_or_else(|error| panic!("consume {address}: {error}"))
}

/// Acks `delivery` within [`WAIT`]; an error fails the case.
pub async fn ack<D: Delivery>(delivery: D) {
    let id = delivery.message_id().map(str::to_owned);
    within("an ack", delivery.ack())
        .await
        .unwrap_or_else(|error| panic!("ack of {id:?}: {error}"));
}

/// Asserts that every header of `sent` arrived with the same value on `delivery`.
pub fn assert_headers_kept<D: Delivery>(delivery: &D, sent: &Outgoing, what: &str) {
    for (name, value) in &sent.headers {
        assert_eq!(
            delivery.headers().get(name),
            Some(value),
            "{what}: header {name} changed or lost"
        );
    }
}

fn id_of<D: Delivery>(delivery: &D) -> String {
    delivery
        .message_id()
        .unwrap_or_else(|| panic!("a delivery without message_id"))
        .to_owned()
}

// -------------------------------------------------------------------------------------------
// Cases
// -------------------------------------------------------------------------------------------

/// Readiness (`/readyz`): a transport that is up says so with `is_ready()`, and a publish
/// through it succeeds (rule 1's precondition).
pub async fn case_is_ready_when_up<F: TransportFixture>(f: &F) {
    let hub = f.hub().await;
    assert!(hub.is_ready(), "a freshly started transport is not ready");
    let queue = f.fresh_queue().await;
    publish(&hub, &message(queue, "ready")).await;
    assert!(hub.is_ready(), "not ready after a successful publish");
}

/// Rule 1 (publish is durable or an error) and the delivery's view of it: a confirmed
/// publish is consumable with its body, `message_id` and headers intact, as a first delivery
/// (`redelivered` false, `attempt` 0) naming the hub as its authenticated publisher (rule 7).
pub async fn case_publish_is_confirmed_and_consumable_intact<F: TransportFixture>(f: &F) {
    let hub = f.hub().await;
    let queue = f.fresh_queue().await;
    let sent = message(queue, "intact");
    publish(&hub, &sent).await;

    let mut consumer = consume(&hub, queue, 10).await;
    let delivery = next_delivery(&mut consumer, "the published message").await;
    assert_eq!(delivery.body(), sent.body.as_slice(), "body changed");
    assert_eq!(delivery.message_id(), Some(sent.message_id.as_str()));
    assert_headers_kept(&delivery, &sent, "first delivery");
    assert!(
        !delivery.redelivered(),
        "a first delivery is not redelivered"
    );
    assert_eq!(delivery.attempt(), 0, "a first delivery is attempt 0");
    assert!(
        delivery.authenticated_user().is_some_and(|u| !u.is_empty()),
        "the hub's publish has no authenticated publisher"
    );
    ack(delivery).await;
}

/// Rule 2 (at least once, settled exactly once): `ack` removes the message — neither the
/// consumer that acked nor a new one gets it again.
pub async fn case_ack_removes_the_message<F: TransportFixture>(f: &F) {
    let hub = f.hub().await;
    let queue = f.fresh_queue().await;
    let sent = message(queue, "acked");
    publish(&hub, &sent).await;
    let mut consumer = consume(&hub, queue, 10).await;
    let delivery = next_delivery(&mut consumer, "the message to ack").await;
    assert_eq!(delivery.message_id(), Some(sent.message_id.as_str()));
    ack(delivery).await;
    assert_nothing_for(
        &mut consumer,
        quiet_period(f),
        "the acking consumer after the ack",
    )
    .await;
    drop(consumer);
    assert_queue_empty(f, &hub, queue).await;
}

/// Rule 2 (a consumer that dies before settling gets the delivery again): a delivery not
/// settled before its consumer is dropped comes back, to a new consumer, with `redelivered`
/// true, intact, and still at `attempt` 0 (redelivery is not a retry).
pub async fn case_unsettled_delivery_comes_back_redelivered<F: TransportFixture>(f: &F) {
    let hub = f.hub().await;
    let queue = f.fresh_queue().await;
    let sent = message(queue, "unsettled");
    publish(&hub, &sent).await;

    let mut first = consume(&hub, queue, 1).await;
    let delivery = next_delivery(&mut first, "the first delivery").await;
    assert!(!delivery.redelivered());
    // The consumer "dies" holding the delivery.
    drop(delivery);
    drop(first);

    let mut second = consume(&hub, queue, 1).await;
    let again = next_delivery(&mut second, "the redelivery").await;
    assert_eq!(again.message_id(), Some(sent.message_id.as_str()));
    assert_eq!(again.body(), sent.body.as_slice());
    assert_headers_kept(&again, &sent, "redelivery");
    assert!(
        again.redelivered(),
        "an unsettled delivery came back without `redelivered`"
    );
    assert_eq!(again.attempt(), 0, "a redelivery is not a retry");
    ack(again).await;
    drop(second);
    assert_queue_empty(f, &hub, queue).await;
}

/// Rule 3 (retry is delayed redelivery): `retry_later(d)` brings the message back to the
/// same queue after at least the smallest step `>= d` (asking for just over the first step
/// waits the second), intact, with `attempt` one higher each time; once acked it is gone
/// (no copy left in a retry step).
pub async fn case_retry_later_comes_back_after_the_step_with_the_next_attempt<
    F: TransportFixture,
>(
    f: &F,
) {
    let steps = f.retry_steps();
    assert!(steps.len() >= 2, "the fixture needs two retry steps");
    let hub = f.hub().await;
    let queue = f.fresh_queue().await;
    let sent = message(queue, "retried");
    publish(&hub, &sent).await;
    let mut consumer = consume(&hub, queue, 5).await;

    let first = next_delivery(&mut consumer, "the first delivery").await;
    assert_eq!(first.attempt(), 0);
    let publisher = first.authenticated_user().map(str::to_owned);
    let asked = steps[0] + Duration::from_millis(1);
    let start = Instant::now();
    within("retry_later", first.retry_later(asked))
        .await
        .unwrap_or_else(|error| panic!("retry_later: {error}"));

    let retried = next_delivery(&mut consumer, "the retried message").await;
    let waited = start.elapsed();
    assert!(
        waited + CLOCK_TOLERANCE >= steps[1],
        "asked {asked:?}: the smallest step >= it is {:?}, but it came back after {waited:?}",
        steps[1]
    );
    assert_eq!(retried.message_id(), Some(sent.message_id.as_str()));
    assert_eq!(retried.body(), sent.body.as_slice());
    assert_headers_kept(&retried, &sent, "retried message");
    assert_eq!(retried.attempt(), 1, "attempt after one retry");
    assert_eq!(
        retried.authenticated_user().map(str::to_owned),
        publisher,
        "a retry keeps the authenticated publisher (rule 7)"
    );

    let start = Instant::now();
    within(
        "the second retry_later",
        retried.retry_later(Duration::ZERO),
    )
    .await
    .unwrap_or_else(|error| panic!("retry_later: {error}"));
    let twice = next_delivery(&mut consumer, "the twice-retried message").await;
    let waited = start.elapsed();
    assert!(
        waited + CLOCK_TOLERANCE >= steps[0],
        "retry_later(0) uses the first step {:?}, but it came back after {waited:?}",
        steps[0]
    );
    assert_eq!(twice.message_id(), Some(sent.message_id.as_str()));
    assert_eq!(twice.attempt(), 2, "attempt after two retries");
    ack(twice).await;
    assert_nothing_for(
        &mut consumer,
        quiet_period(f),
        "after acking the retried message",
    )
    .await;
    drop(consumer);
    assert_queue_empty(f, &hub, queue).await;
}

/// Rule 4 (dead letters keep everything): `dead_letter(reason)` moves the message to the
/// dead queue of its address with its bytes, `message_id`, headers, the reason (stage and
/// reasons verbatim) and the authenticated publisher, and removes it from the work queue.
pub async fn case_dead_letter_moves_the_message_with_its_reasons<F: TransportFixture>(f: &F) {
    let hub = f.hub().await;
    let queue = f.fresh_queue().await;
    let dead = dead_queue_of(queue);
    let sent = message(queue, "dead");
    publish(&hub, &sent).await;
    let reason = DeadLetterReason {
        stage: "DEPARTMENT_4XX".to_owned(),
        reasons_json: r#"[{"pointer":"/payload/subject","code":"HTTP_422","message":"refused"}]"#
            .to_owned(),
    };

    let mut consumer = consume(&hub, queue, 5).await;
    let delivery = next_delivery(&mut consumer, "the message to dead-letter").await;
    let publisher = delivery.authenticated_user().map(str::to_owned);
    within("dead_letter", delivery.dead_letter(reason.clone()))
        .await
        .unwrap_or_else(|error| panic!("dead_letter: {error}"));
    drop(consumer);
    assert_queue_empty(f, &hub, queue).await;

    let mut dead_consumer = consume(&hub, dead, 5).await;
    let letter = next_delivery(&mut dead_consumer, "the dead letter").await;
    assert_eq!(letter.body(), sent.body.as_slice(), "dead letter bytes");
    assert_eq!(letter.message_id(), Some(sent.message_id.as_str()));
    assert_headers_kept(&letter, &sent, "dead letter");
    let text = |name: &str| {
        letter
            .headers()
            .get(name)
            .and_then(HeaderValue::as_text)
            .map(str::to_owned)
    };
    assert_eq!(text(header::DEAD_STAGE), Some(reason.stage.clone()));
    assert_eq!(
        text(header::DEAD_REASONS),
        Some(reason.reasons_json.clone())
    );
    assert_eq!(
        text(header::DEAD_PUBLISHER),
        publisher,
        "the dead letter names the original publisher"
    );
    ack(letter).await;
    assert_nothing_for(&mut dead_consumer, quiet_period(f), "one dead letter only").await;
}

/// Rule 5 (poison messages are bounded): a message that keeps coming back unsettled (its
/// consumer dies holding it, again and again) is dead-lettered by the transport itself,
/// intact, and leaves the work queue.
///
/// Common denominator: the rule says "delivered more than the limit"; RabbitMQ's quorum
/// queue delivers it `limit + 1` times (dead-letters on the return that exceeds the
/// limit), the embedded transport `limit` times (refuses the claim that would exceed it).
/// Both are accepted: `limit <= deliveries <= limit + 1`. The reason headers of a
/// transport-made dead letter also differ (RabbitMQ: broker `x-death`; embedded: stage
/// `DELIVERY_LIMIT`) and are not checked.
pub async fn case_delivery_limit_dead_letters_a_poison_message<F: TransportFixture>(f: &F) {
    let limit = f.delivery_limit();
    let hub = f.hub().await;
    let queue = f.fresh_queue().await;
    let sent = message(queue, "poison");
    publish(&hub, &sent).await;

    let mut dead = consume(&hub, dead_queue_of(queue), 5).await;
    let mut deliveries = 0_u32;
    let letter = within("the poison message to reach the dead queue", async {
        loop {
            // A new consumer per round: the previous one died holding the message.
            let mut work = consume(&hub, queue, 1).await;
            tokio::select! {
                delivery = work.next() => {
                    let delivery = delivery.unwrap_or_else(|| panic!("the work consumer ended"));
                    assert_eq!(delivery.message_id(), Some(sent.message_id.as_str()));
                    deliveries += 1;
                    assert!(
                        deliveries <= limit + 1,
                        "delivered {deliveries} times, limit {limit}"
                    );
                    drop(delivery);
                    drop(work);
                }
                letter = dead.next() => {
                    break letter.unwrap_or_else(|| panic!("the dead consumer ended"));
                }
            }
        }
    })
    .await;
    eprintln!("delivery limit {limit}: dead-lettered after {deliveries} deliveries");
    assert!(
        deliveries >= limit,
        "dead-lettered after {deliveries} deliveries, before reaching the limit {limit}"
    );
    assert_eq!(letter.message_id(), Some(sent.message_id.as_str()));
    assert_eq!(letter.body(), sent.body.as_slice());
    assert_headers_kept(&letter, &sent, "poison dead letter");
    ack(letter).await;
    assert_queue_empty(f, &hub, queue).await;
}

/// Rule 6 (order): one queue delivers to a single consumer in publish order — 300
/// messages published one after the other arrive in that order, each once.
pub async fn case_one_queue_delivers_in_publish_order<F: TransportFixture>(f: &F) {
    const COUNT: usize = 300;
    let hub = f.hub().await;
    let queue = f.fresh_queue().await;
    let mut published = Vec::with_capacity(COUNT);
    for i in 0..COUNT {
        let sent = message(queue, &format!("order-{i:04}"));
        publish(&hub, &sent).await;
        published.push(sent.message_id);
    }
    let mut consumer = consume(&hub, queue, 50).await;
    let mut received = Vec::with_capacity(COUNT);
    for i in 0..COUNT {
        let delivery = next_delivery(&mut consumer, &format!("message {i} of {COUNT}")).await;
        received.push(id_of(&delivery));
        ack(delivery).await;
    }
    if let Some(first) = published.iter().zip(&received).position(|(p, r)| p != r) {
        panic!(
            "out of publish order from position {first}: expected {:?}, got {:?}",
            &published[first..(first + 3).min(COUNT)],
            &received[first..(first + 3).min(COUNT)]
        );
    }
    assert_nothing_for(&mut consumer, quiet_period(f), "after the 300th message").await;
}

/// Rule 2's corollary (deduplication is the consumers' job): the same `message_id`
/// published twice is delivered twice. The transport does not deduplicate, and this case
/// exists so that nobody relies on it doing so.
pub async fn case_duplicates_are_delivered_not_deduplicated<F: TransportFixture>(f: &F) {
    let hub = f.hub().await;
    let queue = f.fresh_queue().await;
    let sent = message(queue, "duplicate");
    publish(&hub, &sent).await;
    publish(&hub, &sent).await;
    let mut consumer = consume(&hub, queue, 10).await;
    for copy in 1..=2 {
        let delivery = next_delivery(&mut consumer, &format!("copy {copy} of 2")).await;
        assert_eq!(delivery.message_id(), Some(sent.message_id.as_str()));
        assert_eq!(delivery.body(), sent.body.as_slice());
        assert!(
            !delivery.redelivered(),
            "copy {copy} is a delivery of its own, not a redelivery"
        );
        ack(delivery).await;
    }
    assert_nothing_for(&mut consumer, quiet_period(f), "after both copies").await;
}

/// Rules 2 and 8 (a consumer that dies comes back without losing or repeating acked work):
/// of 100 messages a consumer receives 50, acks 25 of them (every other one), and is
/// dropped holding the other 25 unsettled (plus whatever it had prefetched). A new consumer
/// then receives exactly the 75 unacked messages, each once; the 25 it held unsettled come
/// back `redelivered`; none of the acked ones comes back. Order is not checked (rule 6 lets
/// redeliveries overtake).
pub async fn case_consumer_crash_and_restart_redelivers_exactly_the_unacked<F: TransportFixture>(
    f: &F,
) {
    const TOTAL: usize = 100;
    const RECEIVED: usize = 50;
    let hub = f.hub().await;
    let queue = f.fresh_queue().await;
    let mut all = BTreeSet::new();
    for i in 0..TOTAL {
        let sent = message(queue, &format!("crash-{i:03}"));
        publish(&hub, &sent).await;
        all.insert(sent.message_id);
    }

    // Prefetch above the 25 held deliveries, so holding them does not stall the consumer.
    let mut crashing = consume(&hub, queue, 40).await;
    let mut acked = BTreeSet::new();
    let mut held_ids = BTreeSet::new();
    let mut held = Vec::new();
    for i in 0..RECEIVED {
        let delivery =
            next_delivery(&mut crashing, &format!("delivery {i} before the crash")).await;
        let id = id_of(&delivery);
        assert!(all.contains(&id), "unknown message {id}");
        if i % 2 == 1 {
            ack(delivery).await;
            assert!(acked.insert(id), "delivered twice before the crash");
        } else {
            assert!(held_ids.insert(id), "delivered twice before the crash");
            held.push(delivery);
        }
    }
    assert_eq!(acked.len(), RECEIVED / 2);
    // The crash: nothing held is settled.
    drop(held);
    drop(crashing);

    let expected: BTreeSet<String> = all.difference(&acked).cloned().collect();
    let mut restarted = consume(&hub, queue, 50).await;
    let mut received = BTreeMap::new();
    while received.len() < expected.len() {
        let delivery = next_delivery(
            &mut restarted,
            &format!(
                "delivery {} of {} after the restart",
                received.len() + 1,
                expected.len()
            ),
        )
        .await;
        let id = id_of(&delivery);
        assert!(
            !acked.contains(&id),
            "{id} was acked before the crash and came back"
        );
        assert!(expected.contains(&id), "unknown message {id}");
        let redelivered = delivery.redelivered();
        assert!(
            received.insert(id.clone(), redelivered).is_none(),
            "{id} delivered twice after the restart"
        );
        ack(delivery).await;
    }
    assert_nothing_for(
        &mut restarted,
        quiet_period(f),
        "after the 75 unacked messages",
    )
    .await;
    let received_ids: BTreeSet<String> = received.keys().cloned().collect();
    assert_eq!(
        received_ids, expected,
        "exactly the unacked messages come back"
    );
    for id in &held_ids {
        assert_eq!(
            received.get(id),
            Some(&true),
            "{id} was held unsettled by the dead consumer and came back without `redelivered`"
        );
    }
}

/// Rule 8 (reconnects are internal) and rule 1 (what was confirmed survives): after a
/// reconnect fault (RabbitMQ: the vhost's connections closed by the broker; embedded: the
/// transport dropped and reopened on the same file), a new publish succeeds (after
/// transient errors, republished as rule 1 asks) and is consumed — by the consumer opened
/// before the fault where the transport keeps consumers (RabbitMQ), by a new consumer on
/// the reopened transport otherwise (embedded) — and the transport reports ready again.
/// A publish whose outcome was unknown may arrive twice; any other message may not.
pub async fn case_consumer_resumes_after_a_reconnect_fault<F: TransportFixture>(f: &F) {
    if !f.supports_reconnect_fault() {
        eprintln!("SKIP case_consumer_resumes_after_a_reconnect_fault: fixture has no fault");
        return;
    }
    let hub = f.hub().await;
    let queue = f.fresh_queue().await;
    let mut consumer = consume(&hub, queue, 10).await;
    let before = message(queue, "before-fault");
    publish(&hub, &before).await;
    let delivery = next_delivery(&mut consumer, "the message before the fault").await;
    assert_eq!(delivery.message_id(), Some(before.message_id.as_str()));
    ack(delivery).await;

    within("the reconnect fault", f.reconnect_fault()).await;
    let hub = f.hub().await;
    if !f.consumers_survive_reconnect_fault() {
        drop(consumer);
        consumer = consume(&hub, queue, 10).await;
    }

    let after = message(queue, "after-fault");
    within("a confirmed publish after the fault", async {
        loop {
            match hub.publish(after.clone()).await {
                Ok(()) => break,
                Err(error) if error.is_transient() => {
                    // Outcome unknown: back off a little, then republish (consumers
                    // deduplicate). Not a synchronisation: the loop ends on success.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => panic!("publish after the fault failed for good: {error}"),
            }
        }
    })
    .await;
    let resumed = next_delivery(&mut consumer, "the message after the fault").await;
    assert_eq!(
        resumed.message_id(),
        Some(after.message_id.as_str()),
        "the consumer got something else after the fault"
    );
    ack(resumed).await;
    // Only republished copies of `after` may follow.
    while let Ok(Some(extra)) = tokio::time::timeout(quiet_period(f), consumer.next()).await {
        assert_eq!(
            extra.message_id(),
            Some(after.message_id.as_str()),
            "an unexpected message after the fault"
        );
        ack(extra).await;
    }
    assert!(hub.is_ready(), "not ready after recovering from the fault");
}
