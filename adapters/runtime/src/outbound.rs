//! Outbound: the department's delivery queue → the department system, keeping outbound
//! rules 5–8 of [`crate::adapter`].
//!
//! For each delivery, in queue order (prefetch 1 by default):
//!
//! 1. already in the store as delivered → acknowledge, nothing sent (rule 6);
//! 2. read the envelope, cast its payload to the major the codec reads; an
//!    `IDENTITY_UPDATE` older than the version the department already holds for the person
//!    is acknowledged without a call and kept as settled-stale (rule 9);
//! 3. encode it; a delivery that cannot be read or encoded is dead-lettered with the reason
//!    (trying again cannot help);
//! 4. send it through the [`DepartmentLink`] when the circuit breaker allows, and let the
//!    codec judge the answer: delivered → record (for an `IDENTITY_UPDATE` together with the
//!    person's new view, one store transaction), then acknowledge; permanent → dead-letter
//!    with the department's error text; transient → [`decide`].
//!
//! # Counting attempts
//!
//! A transient failure counts against the delivery only while the breaker is closed (the
//! system answers other calls, so the fault may be this message's). Once the breaker is
//! open the system itself is down: the delivery waits in place — no calls, no attempts
//! counted, the department's order kept — and goes out as the probe when the breaker half
//! opens. Failed probes are not counted either, until the delivery has been held for
//! `hold_max` (a message that breaks the department's system must not block it forever):
//! then the failure is counted, and [`decide`] normally moves it to a delayed retry so the
//! next delivery becomes the probe.

use std::sync::Arc;
use std::time::Duration;

use adapter_core::{Codec, DeliveryResponse};
use contracts::catalogue::MessageType;
use contracts::model::Envelope;
use contracts::version::major_of;
use hub::recoverability::{Action, FailureClass, decide};
use hub::transport::{Address, Consumer, DeadLetterReason, Delivery, Transport};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::adapter::Adapter;
use crate::breaker::{Breaker, Permit};
use crate::config::OutboundConfig;
use crate::error::RuntimeError;
use crate::link::DepartmentLink;
use crate::store::{AdapterStore, AppliedIdentity};

/// Longest time a delivery waits on an open breaker before its failures count.
const HOLD_MAX: Duration = Duration::from_secs(15 * 60);

/// Dead-letter stages written by the outbound side.
pub mod stage {
    /// The delivery is not a readable envelope.
    pub const UNREADABLE: &str = "ADAPTER_UNREADABLE";
    /// The codec cannot express it in the native format (or no cast exists).
    pub const UNENCODABLE: &str = "ADAPTER_UNENCODABLE";
    /// The department system refused it for good (4xx, HL7 `AR`).
    pub const DEPARTMENT_REFUSED: &str = "DEPARTMENT_REFUSED";
    /// Transient failures kept happening.
    pub const RETRIES_EXHAUSTED: &str = "DEPARTMENT_RETRIES_EXHAUSTED";
}

/// What happened to one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundOutcome {
    /// The department system accepted it.
    Delivered,
    /// Already delivered before: acknowledged without a call.
    Duplicate,
    /// An `IDENTITY_UPDATE` older than the version held: acknowledged without a call.
    SettledStale,
    /// Handed back for a delayed retry.
    RetryLater,
    /// Dead-lettered with this stage.
    DeadLettered(&'static str),
    /// Left unsettled (shutdown, store failure): it will be redelivered.
    Unsettled,
}

/// The outbound side of one adapter.
#[derive(Debug)]
pub struct Outbound<A: ?Sized> {
    adapter: Arc<A>,
    link: Arc<dyn DepartmentLink>,
    store: AdapterStore,
    config: OutboundConfig,
}

impl<A: Adapter + ?Sized> Outbound<A> {
    /// The outbound side of `adapter`.
    pub fn new(adapter: Arc<A>, store: AdapterStore, config: OutboundConfig) -> Self {
        let link = adapter.link();
        Self {
            adapter,
            link,
            store,
            config,
        }
    }

    /// Consumes the department's delivery queue until `shutdown` turns true or the
    /// transport shuts down. A delivery in hand at shutdown is left unsettled (redelivered).
    pub async fn run<T: Transport>(
        &self,
        transport: &T,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(), RuntimeError> {
        let consumer = transport
            .consume(
                Address::Deliver(self.adapter.department()),
                self.config.prefetch,
            )
            .await?;
        self.run_consumer(consumer, shutdown).await;
        Ok(())
    }

    /// [`Outbound::run`] on a consumer already opened (so that a refused consumer — wrong
    /// user, missing queue — is reported by whoever opened it, before anything runs).
    pub async fn run_consumer<C: Consumer>(
        &self,
        mut consumer: C,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut breaker = Breaker::new(self.config.breaker());
        loop {
            let next = tokio::select! {
                next = consumer.next() => next,
                () = stopped(&mut shutdown) => return,
            };
            let Some(delivery) = next else {
                return;
            };
            self.deliver(delivery, &mut breaker, &mut shutdown).await;
        }
    }

    /// The department (whose delivery queue this side consumes).
    pub fn department(&self) -> contracts::model::Actor {
        self.adapter.department()
    }

    /// Its prefetch.
    pub fn prefetch(&self) -> u16 {
        self.config.prefetch
    }

    /// Carries one delivery to the department system and settles it.
    pub async fn deliver<D: Delivery>(
        &self,
        delivery: D,
        breaker: &mut Breaker,
        shutdown: &mut watch::Receiver<bool>,
    ) -> OutboundOutcome {
        let codec = self.adapter.codec();
        let envelope: Envelope<Value> = match serde_json::from_slice(delivery.body()) {
            Ok(envelope) => envelope,
            Err(error) => {
                let text = format!("the delivery is not a readable envelope: {error}");
                return dead_letter(delivery, stage::UNREADABLE, &text).await;
            }
        };
        let message_id = envelope.message_id.clone();
        let message_type = envelope.message_type;
        match self.store.was_delivered(&message_id).await {
            Ok(true) => {
                info!(message = "Duplicate delivery acknowledged without a call.", %message_id);
                return settle(delivery.ack().await, OutboundOutcome::Duplicate);
            }
            Ok(false) => {}
            Err(error) => {
                warn!(message = "Adapter store unavailable; the delivery stays unsettled.", %error);
                return OutboundOutcome::Unsettled;
            }
        }
        let envelope = match cast(&*codec, envelope) {
            Ok(envelope) => envelope,
            Err(text) => return dead_letter(delivery, stage::UNENCODABLE, &text).await,
        };
        let identity = if message_type == MessageType::IdentityUpdate {
            identity_update_of(&envelope)
        } else {
            None
        };
        if let Some(update) = &identity {
            match self.store.held_identity_version(&update.person_id).await {
                Ok(Some(held)) if held > update.identity_version => {
                    return self.settle_stale(delivery, update, held).await;
                }
                Ok(_) => {}
                Err(error) => {
                    warn!(message = "Adapter store unavailable; the delivery stays unsettled.", %error);
                    return OutboundOutcome::Unsettled;
                }
            }
        }
        let document = match codec.encode(&envelope) {
            Ok(document) => document,
            Err(error) => {
                return dead_letter(delivery, stage::UNENCODABLE, &error.to_string()).await;
            }
        };
        let policy = self.config.retry_policy();
        let backoff = self.config.backoff();
        let per_delivery = policy.immediate_retries.saturating_add(1);
        let mut counted = 0_u32;
        let mut held_since: Option<Instant> = None;
        loop {
            let probe = breaker.is_open();
            if let Permit::WaitUntil(until) = breaker.permit(std::time::Instant::now()) {
                held_since.get_or_insert_with(Instant::now);
                let wait = until.saturating_duration_since(std::time::Instant::now());
                if !sleep_or_stop(wait, shutdown).await {
                    return OutboundOutcome::Unsettled;
                }
                continue;
            }
            let answer = self.link.send(&document, &message_id).await;
            let judged = match answer {
                Ok(response) => (
                    codec.classify_response(response.status, &response.body),
                    response.status,
                ),
                Err(error) => (
                    DeliveryResponse::Transient {
                        reason: error.to_string(),
                    },
                    0,
                ),
            };
            match judged {
                (DeliveryResponse::Delivered, status) => {
                    breaker.success();
                    let recorded = match &identity {
                        Some(update) => self
                            .store
                            .record_delivered_identity(message_type.as_str(), status, update)
                            .await
                            .map(|_| ()),
                        None => {
                            self.store
                                .record_delivered(&message_id, message_type.as_str(), status)
                                .await
                        }
                    };
                    if let Err(error) = recorded {
                        // Unrecorded: a redelivery would call again, so do not ack either.
                        warn!(message = "Delivered, but the adapter store failed; leaving the delivery unsettled.", %message_id, %error);
                        return OutboundOutcome::Unsettled;
                    }
                    info!(message = "Delivered to the department system.", %message_id, message_type = message_type.as_str());
                    return settle(delivery.ack().await, OutboundOutcome::Delivered);
                }
                (DeliveryResponse::Permanent { reason }, status) => {
                    // The system answered: it is up.
                    breaker.success();
                    let text =
                        format!("the department system refused it (status {status}): {reason}");
                    return dead_letter(delivery, stage::DEPARTMENT_REFUSED, &text).await;
                }
                (DeliveryResponse::Transient { reason }, _) => {
                    let opened = breaker.failure(std::time::Instant::now());
                    let held_too_long = held_since.is_some_and(|t| t.elapsed() >= HOLD_MAX);
                    if (opened || probe) && !held_too_long {
                        warn!(message = "The department system is failing; holding the delivery until it is back.", %message_id, %reason);
                        held_since.get_or_insert_with(Instant::now);
                        continue;
                    }
                    counted += 1;
                    held_since = None;
                    let failures = delivery
                        .attempt()
                        .saturating_mul(per_delivery)
                        .saturating_add(counted);
                    match decide(FailureClass::Transient, failures, &policy) {
                        Action::RetryNow => {
                            if !sleep_or_stop(backoff.delay_now(counted), shutdown).await {
                                return OutboundOutcome::Unsettled;
                            }
                        }
                        Action::RetryAfter(delay) => {
                            warn!(message = "Delivery failed; retrying later.", %message_id, %reason, delay_ms = delay.as_millis());
                            return settle(
                                delivery.retry_later(delay).await,
                                OutboundOutcome::RetryLater,
                            );
                        }
                        Action::DeadLetter { .. } => {
                            let text = format!("gave up after {failures} failures; last: {reason}");
                            return dead_letter(delivery, stage::RETRIES_EXHAUSTED, &text).await;
                        }
                    }
                }
            }
        }
    }
}

impl<A: Adapter + ?Sized> Outbound<A> {
    /// Acknowledges an `IDENTITY_UPDATE` older than the version held, without a call, and
    /// keeps it as settled-stale (rule 9).
    async fn settle_stale<D: Delivery>(
        &self,
        delivery: D,
        update: &AppliedIdentity,
        held: i64,
    ) -> OutboundOutcome {
        if let Err(error) = self
            .store
            .record_settled_stale(
                &update.message_id,
                &update.person_id,
                held,
                update.identity_version,
            )
            .await
        {
            warn!(message = "Adapter store unavailable; the delivery stays unsettled.", %error);
            return OutboundOutcome::Unsettled;
        }
        info!(
            message = "Identity update older than the version held; acknowledged without a call.",
            message_id = %update.message_id,
            person_id = %update.person_id,
            held_version = held,
            offered_version = update.identity_version
        );
        settle(delivery.ack().await, OutboundOutcome::SettledStale)
    }
}

/// The person, version and view an `IDENTITY_UPDATE` (at the major the codec reads) carries;
/// `None` when its payload lacks `person_id`, `identity_version` or `changed_fields` (the
/// hub validated it, so this means a payload the version rule cannot judge: it is delivered
/// as any other message, with a warning, and no view is recorded).
fn identity_update_of(envelope: &Envelope<Value>) -> Option<AppliedIdentity> {
    let payload = &envelope.payload;
    let person_id = payload.get("person_id").and_then(Value::as_str);
    let version = payload
        .get("identity_version")
        .and_then(Value::as_u64)
        .and_then(|v| i64::try_from(v).ok());
    let view = payload.get("changed_fields").filter(|v| v.is_object());
    match (person_id, version, view) {
        (Some(person_id), Some(identity_version), Some(view)) => Some(AppliedIdentity {
            person_id: person_id.to_owned(),
            identity_version,
            view: view.clone(),
            merged_into: payload
                .get("merged_into_person_id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            message_id: envelope.message_id.clone(),
        }),
        _ => {
            warn!(
                message = "Identity update without person, version or fields; delivering it without the version rule.",
                message_id = %envelope.message_id
            );
            None
        }
    }
}

/// Casts the payload to the major the codec reads (no-op when they agree).
fn cast(codec: &dyn Codec, mut envelope: Envelope<Value>) -> Result<Envelope<Value>, String> {
    let message_type: MessageType = envelope.message_type;
    let wanted = codec.contract_major(message_type);
    let have = major_of(&envelope.schema_version)
        .ok_or_else(|| format!("unreadable schema_version {:?}", envelope.schema_version))?;
    if have == wanted {
        return Ok(envelope);
    }
    envelope.payload = contracts::casting::cast(message_type, have, wanted, &envelope.payload)
        .map_err(|error| error.to_string())?;
    envelope.schema_version = format!("{wanted}.0.0");
    Ok(envelope)
}

async fn dead_letter<D: Delivery>(delivery: D, stage: &'static str, text: &str) -> OutboundOutcome {
    warn!(message = "Dead-lettering a delivery.", stage, reason = text);
    let reasons = json!([{ "pointer": "", "code": stage, "message": text }]).to_string();
    let outcome = delivery
        .dead_letter(DeadLetterReason {
            stage: stage.to_owned(),
            reasons_json: reasons,
        })
        .await;
    settle(outcome, OutboundOutcome::DeadLettered(stage))
}

fn settle(
    result: Result<(), hub::transport::TransportError>,
    outcome: OutboundOutcome,
) -> OutboundOutcome {
    match result {
        Ok(()) => outcome,
        Err(error) => {
            // Rule 2 of the transport: the delivery comes back; dedup makes that harmless.
            warn!(message = "Settling a delivery failed; it will be redelivered.", %error);
            OutboundOutcome::Unsettled
        }
    }
}

/// Waits `duration` unless `shutdown` turns true first; returns whether the wait completed.
async fn sleep_or_stop(duration: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(duration) => true,
        () = stopped(shutdown) => false,
    }
}

/// Resolves when `shutdown` is (or turns) true, or its sender is gone: the one wait for the
/// adapter's shutdown signal, shared by the outbound loop and the listeners.
pub async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Mutex;

    use adapter_core::DecodeContext;
    use hub::identity::digest::view_digest;

    use super::*;
    use crate::adapter::CodecAdapter;
    use crate::testing::{AcceptingLink, FakeDelivery, JsonCodec, Settled};

    /// A hub `IDENTITY_UPDATE` of person `P-7F3K9Q2M` at `version`, under a fresh id.
    fn identity_update(version: u64, name: &str) -> Envelope<Value> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../contracts/fixtures/IDENTITY_UPDATE/v1/valid/verified_by_population_db.json"
        );
        let mut envelope: Envelope<Value> =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        envelope.message_id = format!("m-v{version}-{name}");
        envelope.sender_org_type = contracts::model::Actor::Hub;
        envelope.payload["identity_version"] = json!(version);
        envelope.payload["changed_fields"]["name"] = json!(name);
        envelope
    }

    #[tokio::test]
    async fn identity_updates_older_than_held_are_settled_without_a_call() {
        let store = AdapterStore::in_memory().await.unwrap();
        let link = Arc::new(AcceptingLink::default());
        let adapter = Arc::new(CodecAdapter::new(
            Arc::new(JsonCodec),
            DecodeContext::fixed_for_tests("113205850141601233", "警务综合平台"),
            Arc::clone(&link) as Arc<dyn DepartmentLink>,
        ));
        let outbound = Outbound::new(adapter, store.clone(), OutboundConfig::default());
        let mut breaker = Breaker::new(OutboundConfig::default().breaker());
        let (_stop, mut shutdown) = watch::channel(false);
        let log = Arc::new(Mutex::new(Vec::new()));

        let v2 = identity_update(2, "张二");
        let v1 = identity_update(1, "张一");
        let v3 = identity_update(3, "张三");
        let v3_again = identity_update(3, "张三-重发");
        let mut outcomes = Vec::new();
        for envelope in [&v2, &v1, &v3, &v3_again] {
            let body = serde_json::to_vec(envelope).unwrap();
            let delivery = FakeDelivery::new(body, &log);
            outcomes.push(
                outbound
                    .deliver(delivery, &mut breaker, &mut shutdown)
                    .await,
            );
        }
        assert_eq!(
            outcomes,
            [
                OutboundOutcome::Delivered,
                OutboundOutcome::SettledStale,
                OutboundOutcome::Delivered,
                OutboundOutcome::Delivered,
            ]
        );
        assert_eq!(*log.lock().unwrap(), [Settled::Ack; 4], "all acknowledged");
        assert_eq!(
            *link.sent.lock().unwrap(),
            [&v2.message_id, &v3.message_id, &v3_again.message_id].map(String::clone),
            "the older version never reached the department system"
        );
        assert_eq!(store.settled_stale_count().await.unwrap(), 1);
        assert!(!store.was_delivered(&v1.message_id).await.unwrap());
        let held = store.identity_view("P-7F3K9Q2M").await.unwrap().unwrap();
        assert_eq!(held.identity_version, 3);
        assert_eq!(held.applied_message_id, v3_again.message_id);
        assert_eq!(held.view, v3_again.payload["changed_fields"]);
        assert_eq!(
            held.digest,
            view_digest(&v3_again.payload["changed_fields"])
        );

        // A redelivery of the stale one is still settled without a call.
        let delivery = FakeDelivery::new(serde_json::to_vec(&v1).unwrap(), &log);
        assert_eq!(
            outbound
                .deliver(delivery, &mut breaker, &mut shutdown)
                .await,
            OutboundOutcome::SettledStale
        );
        assert_eq!(link.sent.lock().unwrap().len(), 3);
        assert_eq!(store.settled_stale_count().await.unwrap(), 1);
    }
}
