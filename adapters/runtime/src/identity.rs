//! Reconciliation of identities (身份对账), adapter → hub: the department's view of every
//! person ([`crate::store`], table `identity_views`) reported to the hub as `IDENTITY_DIGEST`
//! messages, so the hub can compare it with what it last sent and re-send what differs
//! (delivery rule 10 of [`crate::adapter`]).
//!
//! A report is one consistent read of the store, published to the hub's ingress exactly
//! like inbound messages ([`crate::inbound`]): same transport, waiting for each confirm, as
//! the department's own broker user. Its envelope is a department message like the ones
//! the codecs build from the adapter's [`DecodeContext`](adapter_core::DecodeContext)
//! (organisation code, system name, region), with a fresh `message_id` per message.
//!
//! Invariants:
//! * Every person held is in exactly one message of a report, at most
//!   [`MAX_PERSONS_PER_DIGEST`] per message; `complete` is true exactly when one message
//!   holds the whole view (an adapter holding no view sends one message, `persons: []`,
//!   `complete: true`). All messages of a report carry the same `view_at`.
//! * `view_at` is taken before the store is read: every version reported was held at
//!   `view_at` or applied after it.
//! * A report that fails part-way is harmless: the messages already published each say
//!   `complete: false` or stand alone, and the next report repeats the whole view.

use std::time::Duration;

use contracts::catalogue::MessageType;
use contracts::model::envelope::{LegalBasis, Purpose};
use contracts::model::identity_digest::{IdentityDigest, PersonDigest};
use contracts::model::{Actor, Envelope, Sensitivity};
use hub::pipeline::clock::now_utc8;
use hub::transport::{Address, Headers, Outgoing, Transport};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};
use tracing::{info, warn};

use crate::adapter::Adapter;
use crate::error::RuntimeError;
use crate::outbound::stopped;
use crate::store::{AdapterStore, IdentityViewDigest};

/// Most persons in one `IDENTITY_DIGEST` message.
pub const MAX_PERSONS_PER_DIGEST: usize = 5_000;

/// The contract version the reports are written in.
pub const DIGEST_SCHEMA_VERSION: &str = "1.0.0";

/// The department that reports, with what its envelopes say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportingDepartment {
    /// 发送单位类别: the department (its broker user publishes as it).
    pub department: Actor,
    /// 发送单位代码: its configured organisation code.
    pub org_code: String,
    /// 发送系统: its system's name.
    pub system_name: String,
    /// 行政区划: its configured region code.
    pub region_code: String,
}

impl ReportingDepartment {
    /// The department `adapter` speaks for, as its decode context describes it (the same
    /// facts the codec puts in the envelopes of inbound messages).
    pub fn of<A: Adapter + ?Sized>(adapter: &A) -> Self {
        let context = adapter.decode_context(String::new());
        Self {
            department: adapter.department(),
            org_code: context.sender_org_code,
            system_name: context.sender_system,
            region_code: context.region_code,
        }
    }
}

/// What one report published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestReport {
    /// Persons reported.
    pub persons: usize,
    /// `IDENTITY_DIGEST` messages published.
    pub messages: usize,
    /// The report's `view_at`.
    pub view_at: String,
    /// The `message_id` of each message published, in order (operators can follow them in
    /// the hub's inbox and dead letters).
    pub message_ids: Vec<String>,
}

/// The `IDENTITY_DIGEST` envelopes of one report of `views` read at `view_at`, each with a
/// fresh `message_id` (see the module invariants). Legal basis PIPL art. 13(1)(3), purpose
/// 身份查明, sensitivity 一般: digests and pseudonymous ids only, no personal data.
pub fn digest_messages(
    from: &ReportingDepartment,
    views: &[IdentityViewDigest],
    view_at: &str,
    sent_at: &str,
) -> Vec<Envelope<IdentityDigest>> {
    let chunks: Vec<&[IdentityViewDigest]> = if views.is_empty() {
        vec![&[]]
    } else {
        views.chunks(MAX_PERSONS_PER_DIGEST).collect()
    };
    let complete = chunks.len() == 1;
    chunks
        .into_iter()
        .map(|chunk| Envelope {
            message_id: uuid::Uuid::new_v4().to_string(),
            message_type: MessageType::IdentityDigest,
            schema_version: DIGEST_SCHEMA_VERSION.to_owned(),
            case_id: None,
            correlation_id: None,
            sender_org_code: from.org_code.clone(),
            sender_org_type: from.department,
            sender_system: from.system_name.clone(),
            receiver_org_codes: Vec::new(),
            sent_at: sent_at.to_owned(),
            region_code: from.region_code.clone(),
            legal_basis: vec![LegalBasis::Pipl13_1_3],
            purpose_code: Purpose::IdentityVerification,
            sensitivity: Sensitivity::General,
            retention_until: None,
            signature: None,
            attachments: None,
            payload: IdentityDigest {
                view_at: view_at.to_owned(),
                complete,
                persons: chunk
                    .iter()
                    .map(|v| PersonDigest {
                        person_id: v.person_id.clone(),
                        // Stored versions come from non-negative JSON integers (outbound
                        // reads them as u64), so the conversion always succeeds.
                        identity_version: u64::try_from(v.identity_version).unwrap_or(0),
                        digest: v.digest.clone(),
                    })
                    .collect(),
            },
        })
        .collect()
}

/// Reads the whole view from `store` and publishes it to the hub's ingress through
/// `transport` (which must publish as `from.department`), waiting for each confirm.
pub async fn report_identity_digest<T: Transport>(
    transport: &T,
    store: &AdapterStore,
    from: &ReportingDepartment,
) -> Result<DigestReport, RuntimeError> {
    let view_at = now_utc8();
    let views = store.identity_digests().await?;
    let messages = digest_messages(from, &views, &view_at, &now_utc8());
    let count = messages.len();
    let mut message_ids = Vec::with_capacity(count);
    for message in messages {
        message_ids.push(message.message_id.clone());
        transport
            .publish(Outgoing {
                address: Address::Ingress(from.department),
                message_type: message.message_type.as_str().to_owned(),
                message_id: message.message_id.clone(),
                body: serde_json::to_vec(&message)?,
                headers: Headers::new(),
            })
            .await?;
    }
    info!(
        message = "Reported the identity view to the hub.",
        department = from.department.as_str(),
        persons = views.len(),
        messages = count,
        view_at = %view_at
    );
    Ok(DigestReport {
        persons: views.len(),
        messages: count,
        view_at,
        message_ids,
    })
}

/// Reports every `every` (the first report one period after the start) until `shutdown`
/// turns true. A failed report is logged and tried again at the next period; a report in
/// progress at shutdown is abandoned (harmless, see the module invariants). A zero period
/// reports nothing.
pub async fn report_periodically<T: Transport>(
    transport: T,
    store: AdapterStore,
    from: ReportingDepartment,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some(first) = Instant::now()
        .checked_add(every)
        .filter(|_| !every.is_zero())
    else {
        return;
    };
    let mut ticks = tokio::time::interval_at(first, every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stopped(&mut shutdown) => return,
        }
        let outcome = tokio::select! {
            outcome = report_identity_digest(&transport, &store, &from) => outcome,
            () = stopped(&mut shutdown) => return,
        };
        if let Err(error) = outcome {
            warn!(
                message = "Reporting the identity view failed; trying again at the next period.",
                department = from.department.as_str(),
                %error
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::{Arc, Mutex};

    use hub::transport::TransportError;
    use serde_json::{Value, json};
    use tokio::sync::mpsc;

    use super::*;

    fn police() -> ReportingDepartment {
        ReportingDepartment {
            department: Actor::Police,
            org_code: "113205850141601233".to_owned(),
            system_name: "太仓市公安局警务综合平台".to_owned(),
            region_code: "320585".to_owned(),
        }
    }

    fn views(n: usize) -> Vec<IdentityViewDigest> {
        (0..n)
            .map(|i| IdentityViewDigest {
                person_id: format!("P-{i:08}"),
                identity_version: 1,
                digest: "0".repeat(64),
            })
            .collect()
    }

    fn persons(message: &Envelope<IdentityDigest>) -> usize {
        message.payload.persons.len()
    }

    #[test]
    fn a_report_is_cut_into_messages_of_at_most_5000_persons() {
        let at = "2025-03-06T15:01:09+08:00";
        let none = digest_messages(&police(), &[], at, at);
        assert_eq!(none.len(), 1);
        assert_eq!(persons(&none[0]), 0);
        assert!(none[0].payload.complete);

        let full = digest_messages(&police(), &views(MAX_PERSONS_PER_DIGEST), at, at);
        assert_eq!(full.len(), 1);
        assert_eq!(persons(&full[0]), MAX_PERSONS_PER_DIGEST);
        assert!(full[0].payload.complete);

        let over = digest_messages(&police(), &views(2 * MAX_PERSONS_PER_DIGEST + 1), at, at);
        assert_eq!(over.len(), 3);
        assert_eq!(
            over.iter().map(persons).collect::<Vec<_>>(),
            [MAX_PERSONS_PER_DIGEST, MAX_PERSONS_PER_DIGEST, 1]
        );
        for message in &over {
            assert!(!message.payload.complete);
            assert_eq!(message.payload.view_at, at);
        }
        let ids: std::collections::BTreeSet<&str> =
            over.iter().map(|m| m.message_id.as_str()).collect();
        assert_eq!(ids.len(), 3, "a fresh message id per message");
    }

    #[test]
    fn every_message_is_a_department_message_that_keeps_the_contract() {
        let at = "2025-03-06T15:01:09+08:00";
        let message =
            serde_json::to_value(&digest_messages(&police(), &views(1), at, at)[0]).unwrap();
        assert_eq!(message["message_type"], "IDENTITY_DIGEST");
        assert_eq!(message["schema_version"], "1.0.0");
        assert_eq!(message["sender_org_type"], "POLICE");
        assert_eq!(message["sender_org_code"], "113205850141601233");
        assert_eq!(message["sender_system"], "太仓市公安局警务综合平台");
        assert_eq!(message["receiver_org_codes"], json!([]));
        assert_eq!(message["region_code"], "320585");
        assert_eq!(message["legal_basis"], json!(["PIPL13_1_3"]));
        assert_eq!(message["purpose_code"], "IDENTITY_VERIFICATION");
        assert_eq!(message["sensitivity"], "GENERAL");
        assert!(message.get("case_id").is_none());
        assert!(uuid::Uuid::try_parse(message["message_id"].as_str().unwrap()).is_ok());
        assert_eq!(
            message["payload"],
            json!({
                "view_at": at,
                "complete": true,
                "persons": [{"person_id": "P-00000000", "identity_version": 1, "digest": "0".repeat(64)}],
            })
        );
        // Every message of a report, full, partial or empty, keeps the contract.
        let registry = contracts::registry::Registry::embedded().unwrap();
        for count in [0, 1, MAX_PERSONS_PER_DIGEST + 1] {
            for message in digest_messages(&police(), &views(count), at, at) {
                let checked = registry.validate_value(serde_json::to_value(&message).unwrap());
                assert!(checked.is_ok(), "{count} persons: {:?}", checked.err());
            }
        }
    }

    /// A transport that hands every publish attempt to a channel, with whether it was
    /// confirmed (it refuses them all while `refuse` is set).
    #[derive(Debug, Clone)]
    struct Recording {
        published: mpsc::UnboundedSender<(Outgoing, bool)>,
        refuse: Arc<Mutex<bool>>,
    }

    impl Transport for Recording {
        type Consumer = crate::testing::NoConsumer;

        async fn publish(&self, message: Outgoing) -> Result<(), TransportError> {
            let refused = *self.refuse.lock().unwrap();
            self.published.send((message, !refused)).unwrap();
            if refused {
                return Err(TransportError::Connection("down".to_owned()));
            }
            Ok(())
        }

        async fn consume(
            &self,
            _address: Address,
            _prefetch: u16,
        ) -> Result<Self::Consumer, TransportError> {
            Ok(crate::testing::NoConsumer)
        }

        fn is_ready(&self) -> bool {
            true
        }
    }

    fn recording() -> (Recording, mpsc::UnboundedReceiver<(Outgoing, bool)>) {
        let (published, rx) = mpsc::unbounded_channel();
        let transport = Recording {
            published,
            refuse: Arc::new(Mutex::new(false)),
        };
        (transport, rx)
    }

    #[tokio::test]
    async fn a_report_publishes_the_held_view_to_the_department_s_ingress() {
        let store = AdapterStore::in_memory().await.unwrap();
        let view = json!({"name": "张建军"});
        store
            .apply_identity(&crate::store::AppliedIdentity {
                person_id: "P-7F3K9Q2M".to_owned(),
                identity_version: 3,
                view: view.clone(),
                merged_into: None,
                message_id: "m-v3".to_owned(),
            })
            .await
            .unwrap();
        let (transport, mut rx) = recording();
        let report = report_identity_digest(&transport, &store, &police())
            .await
            .unwrap();
        assert_eq!((report.persons, report.messages), (1, 1));
        let (sent, confirmed) = rx.try_recv().unwrap();
        assert!(confirmed);
        assert_eq!(sent.address, Address::Ingress(Actor::Police));
        assert_eq!(sent.message_type, "IDENTITY_DIGEST");
        let body: Value = serde_json::from_slice(&sent.body).unwrap();
        assert_eq!(body["message_id"], sent.message_id.as_str());
        assert_eq!(body["payload"]["view_at"], report.view_at.as_str());
        assert_eq!(
            body["payload"]["persons"],
            json!([{
                "person_id": "P-7F3K9Q2M",
                "identity_version": 3,
                "digest": hub::identity::digest::view_digest(&view),
            }])
        );
        assert!(rx.try_recv().is_err(), "one message");

        *transport.refuse.lock().unwrap() = true;
        let error = report_identity_digest(&transport, &store, &police()).await;
        assert!(matches!(error, Err(RuntimeError::Transport(_))));
    }

    #[tokio::test]
    async fn periodic_reports_repeat_survive_failures_and_stop_on_shutdown() {
        let store = AdapterStore::in_memory().await.unwrap();
        let (transport, mut rx) = recording();
        *transport.refuse.lock().unwrap() = true;
        let refuse = Arc::clone(&transport.refuse);
        let (stop, shutdown) = watch::channel(false);
        let task = tokio::spawn(report_periodically(
            transport,
            store,
            police(),
            Duration::from_millis(20),
            shutdown,
        ));
        // The first period fails (the hub is down); reports go on once it is back.
        let wait = Duration::from_secs(10);
        let (_, confirmed) = tokio::time::timeout(wait, rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(!confirmed);
        *refuse.lock().unwrap() = false;
        let mut reported = 0;
        while reported < 2 {
            let (sent, confirmed) = tokio::time::timeout(wait, rx.recv())
                .await
                .unwrap()
                .unwrap();
            if !confirmed {
                continue; // refused before the hub came back
            }
            reported += 1;
            let body: Value = serde_json::from_slice(&sent.body).unwrap();
            assert_eq!(body["payload"]["complete"], true);
            assert_eq!(body["payload"]["persons"], json!([]));
        }
        stop.send_replace(true);
        tokio::time::timeout(wait, task).await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_zero_period_reports_nothing() {
        let store = AdapterStore::in_memory().await.unwrap();
        let (transport, mut rx) = recording();
        let (_stop, shutdown) = watch::channel(false);
        tokio::time::timeout(
            Duration::from_secs(10),
            report_periodically(transport, store, police(), Duration::ZERO, shutdown),
        )
        .await
        .unwrap();
        assert!(rx.try_recv().is_err());
    }
}
