//! The transport conformance suite (`tests::conformance`) run against both transports:
//! module [`amqp`] over the real RabbitMQ (a vhost and users of each case's own, via
//! [`TestBroker`]; skipped without a broker unless `CI=true`), module [`embedded`] over a
//! fresh SQLite file per case. Both run the same case list
//! ([`tests::transport_conformance_suite!`]), one test per case:
//! `cargo test -p tests --test conformance -- amqp::` or `-- embedded::`.
//!
//! Each fixture configures its transport for tests (short retry steps, a small delivery
//! limit, a short lease) and says how long an unsettled delivery may take to come back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use contracts::model::Actor;
use hub::transport::Address;

/// The work queues a fixture hands out, one per [`TransportFixture::fresh_queue`] call:
/// `deliver.<R>` for every department, each with its own dead queue `dead.<R>`.
///
/// [`TransportFixture::fresh_queue`]: tests::conformance::TransportFixture::fresh_queue
fn nth_queue(counter: &AtomicUsize) -> Address {
    let departments: Vec<Actor> = Actor::DEPARTMENTS.to_vec();
    let n = counter.fetch_add(1, Ordering::Relaxed);
    let department = departments
        .get(n)
        .unwrap_or_else(|| panic!("a case asked for more than {} queues", departments.len()));
    Address::Deliver(*department)
}

/// The suite over RabbitMQ.
mod amqp {
    use super::*;

    use hub::transport::amqp::{AmqpConfig, AmqpTransport};
    use tests::conformance::{TransportFixture, within};
    use tests::{MANAGEMENT_URL, TestBroker};

    /// Retry steps of the test transport.
    const RETRY_STEPS_MS: [u64; 2] = [200, 600];
    /// Delivery limit of the test transport's work queues.
    const DELIVERY_LIMIT: u32 = 2;
    /// Polling interval of management-API probes (reading broker state, not synchronising).
    const PROBE: Duration = Duration::from_millis(100);

    /// A vhost with department users and a hub user, and the hub's transport on it with the
    /// whole topology declared.
    #[derive(Debug)]
    pub(super) struct AmqpFixture {
        broker: TestBroker,
        hub: AmqpTransport,
        queues: AtomicUsize,
    }

    impl AmqpFixture {
        fn config(broker: &TestBroker) -> AmqpConfig {
            AmqpConfig {
                retry_delays_ms: RETRY_STEPS_MS.to_vec(),
                delivery_limit: DELIVERY_LIMIT,
                reconnect_initial_ms: 50,
                reconnect_max_ms: 1_000,
                management_url: MANAGEMENT_URL.to_owned(),
                ..broker.amqp_config(&broker.hub_user)
            }
        }
    }

    impl TransportFixture for AmqpFixture {
        type T = AmqpTransport;

        async fn create(case: &'static str) -> Option<Self> {
            let name = case.trim_start_matches("case_");
            let broker = TestBroker::create(&format!("conformance-{name}")).await?;
            let hub = within(
                "the hub's connection and topology",
                AmqpTransport::connect(Self::config(&broker), Actor::DEPARTMENTS.to_vec()),
            )
            .await
            .unwrap();
            Some(Self {
                broker,
                hub,
                queues: AtomicUsize::new(0),
            })
        }

        async fn hub(&self) -> AmqpTransport {
            self.hub.clone()
        }

        async fn fresh_queue(&self) -> Address {
            nth_queue(&self.queues)
        }

        fn retry_steps(&self) -> Vec<Duration> {
            RETRY_STEPS_MS
                .iter()
                .map(|&ms| Duration::from_millis(ms))
                .collect()
        }

        fn delivery_limit(&self) -> u32 {
            DELIVERY_LIMIT
        }

        fn redelivery_window(&self) -> Duration {
            // The broker requeues a closed channel's unacked deliveries at once.
            Duration::ZERO
        }

        async fn reconnect_fault(&self) {
            let management = &self.broker.management;
            let vhost = &self.broker.vhost;
            // The management API lists a connection once its first statistics are in.
            within("the hub's connection to be listed", async {
                while management
                    .connections_of_vhost(vhost)
                    .await
                    .unwrap()
                    .is_empty()
                {
                    tokio::time::sleep(PROBE).await;
                }
            })
            .await;
            let closed = management.close_connections_of_vhost(vhost).await.unwrap();
            assert!(closed >= 1, "no connection of {vhost} to close");
        }

        fn consumers_survive_reconnect_fault(&self) -> bool {
            true
        }

        async fn cleanup(self) {
            self.hub.shutdown().await;
            self.broker.cleanup().await;
        }
    }

    tests::transport_conformance_suite!(AmqpFixture);
}

/// The suite over the embedded SQLite transport.
mod embedded {
    use super::*;

    use std::path::{Path, PathBuf};
    use std::sync::{Mutex, PoisonError};

    use hub::store::Store;
    use hub::transport::embedded::{EmbeddedConfig, EmbeddedTransport};
    use tempfile::TempDir;
    use tests::conformance::{TransportFixture, within};

    /// A fresh database file, the store on it and the transport over the store.
    #[derive(Debug)]
    pub(super) struct EmbeddedFixture {
        path: PathBuf,
        state: Mutex<(Store, EmbeddedTransport)>,
        queues: AtomicUsize,
        // Dropped last: deletes the database file.
        _dir: TempDir,
    }

    /// Test settings: a short lease (unsettled deliveries come back quickly), fast polling,
    /// short retry steps, a small delivery limit.
    fn config() -> EmbeddedConfig {
        EmbeddedConfig {
            lease_ms: 300,
            poll_interval_ms: 20,
            retry_delays_ms: vec![100, 300],
            delivery_limit: 3,
            ..EmbeddedConfig::default()
        }
    }

    async fn open(path: &Path) -> (Store, EmbeddedTransport) {
        let store = within("the store to open", Store::open(path))
            .await
            .unwrap();
        let transport = within(
            "the transport to open",
            EmbeddedTransport::open(&store, config()),
        )
        .await
        .unwrap();
        (store, transport)
    }

    impl EmbeddedFixture {
        fn current(&self) -> (Store, EmbeddedTransport) {
            self.state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        }
    }

    impl TransportFixture for EmbeddedFixture {
        type T = EmbeddedTransport;

        async fn create(_case: &'static str) -> Option<Self> {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("data").join("hub.sqlite");
            let state = open(&path).await;
            Some(Self {
                path,
                state: Mutex::new(state),
                queues: AtomicUsize::new(0),
                _dir: dir,
            })
        }

        async fn hub(&self) -> EmbeddedTransport {
            self.current().1
        }

        async fn fresh_queue(&self) -> Address {
            nth_queue(&self.queues)
        }

        fn retry_steps(&self) -> Vec<Duration> {
            config()
                .retry_delays_ms
                .iter()
                .map(|&ms| Duration::from_millis(ms))
                .collect()
        }

        fn delivery_limit(&self) -> u32 {
            config().delivery_limit
        }

        fn redelivery_window(&self) -> Duration {
            // The lease runs out, then the next poll claims the row.
            let config = config();
            config.lease() + config.poll_interval() * 2
        }

        async fn reconnect_fault(&self) {
            let (store, transport) = self.current();
            transport.shutdown().await;
            drop(transport);
            within("the old store to close", store.close()).await;
            let reopened = open(&self.path).await;
            *self.state.lock().unwrap_or_else(PoisonError::into_inner) = reopened;
        }

        fn consumers_survive_reconnect_fault(&self) -> bool {
            false
        }

        async fn cleanup(self) {
            let (store, transport) = self.current();
            transport.shutdown().await;
            drop(transport);
            within("the store to close", store.close()).await;
        }
    }

    tests::transport_conformance_suite!(EmbeddedFixture);
}
