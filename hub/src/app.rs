//! Wiring: the running hub is a set of tasks over one transport, one store and one pipeline.
//!
//! * one ingress worker per department queue ([`crate::ingress`]);
//! * the outbox relay ([`crate::relay`]);
//! * the dead-letter indexer ([`crate::dead_letters`]);
//! * the HTTP API ([`crate::http`]).
//!
//! Shutdown (Ctrl-C or the watch channel): stop intake, let in-flight work finish, drain the
//! outbox once more, stop. Invariant: nothing acknowledged is left unpublished by a clean
//! shutdown (the outbox is durable anyway; the final drain only shortens the wait).

use std::net::SocketAddr;
use std::sync::Arc;

use contracts::Registry;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::config::HubConfig;
use crate::dead_letters;
use crate::http::{self, HttpState};
use crate::ingress;
use crate::pipeline::{HubIdentity, Pipeline};
use crate::relay::Relay;
use crate::store::Store;
use crate::transport::Transport;

/// Errors that stop the hub from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The HTTP listener could not bind.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// Address.
        address: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// Handles to a running hub.
#[derive(Debug)]
pub struct Running {
    /// Where the HTTP API listens.
    pub http_address: SocketAddr,
    tasks: tokio::task::JoinSet<()>,
    shutdown: watch::Sender<bool>,
}

impl Running {
    /// Asks every task to stop and waits for them.
    pub async fn stop(mut self) {
        // An error means every receiver is gone, i.e. all tasks already stopped.
        self.shutdown.send(true).ok();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Starts every task of the hub over `transport` and `store`.
pub async fn start<T: Transport>(
    config: Arc<HubConfig>,
    registry: Arc<Registry>,
    store: Store,
    transport: Arc<T>,
) -> Result<Running, StartError> {
    let (shutdown, watch_rx) = watch::channel(false);
    let pipeline = Pipeline::new(
        Arc::clone(&registry),
        Arc::clone(&config),
        store.clone(),
        HubIdentity::default(),
    );
    let relay = Relay::new(store.clone(), Arc::clone(&transport));
    let wakeup = relay.notifier();
    let mut tasks = tokio::task::JoinSet::new();

    for department in http::departments() {
        tasks.spawn(ingress::run_worker(
            Arc::clone(&transport),
            pipeline.clone(),
            Arc::clone(&config),
            department,
            Arc::clone(&wakeup),
            watch_rx.clone(),
        ));
    }
    tasks.spawn(relay.run(watch_rx.clone()));
    tasks.spawn(dead_letters::run_indexer(
        Arc::clone(&transport),
        store.clone(),
        watch_rx.clone(),
    ));

    let listener = tokio::net::TcpListener::bind(&config.http.listen)
        .await
        .map_err(|source| StartError::Listen {
            address: config.http.listen.clone(),
            source,
        })?;
    let http_address = listener.local_addr().map_err(|source| StartError::Listen {
        address: config.http.listen.clone(),
        source,
    })?;
    let state = Arc::new(HttpState {
        registry,
        config: Arc::clone(&config),
        transport,
        store,
    });
    let router = http::router(state);
    let mut http_shutdown = watch_rx.clone();
    tasks.spawn(async move {
        let server = axum::serve(listener, router).with_graceful_shutdown(async move {
            // Err: the sender is gone, which also means shut down.
            http_shutdown.changed().await.ok();
        });
        if let Err(error) = server.await {
            warn!(%error, "HTTP server stopped with an error.");
        }
    });
    info!(%http_address, "Hub started.");
    Ok(Running {
        http_address,
        tasks,
        shutdown,
    })
}
