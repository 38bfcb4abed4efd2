//! Wiring: the running hub is a set of tasks over one transport, one store and one pipeline.
//!
//! * one ingress worker per department queue ([`crate::ingress`]);
//! * the outbox relay ([`crate::relay`]), of the kind the transport calls for
//!   ([`OutboxTransport`]: confirmed publishes on RabbitMQ, one transaction on the embedded
//!   transport);
//! * the dead-letter indexer ([`crate::dead_letters`]);
//! * the deadline engine ([`crate::deadlines::engine`]), on the clock given to
//!   [`start_with_clock`] (the system clock for [`start`]);
//! * the HTTP API ([`crate::http`]).
//!
//! # Shutdown
//!
//! [`Running::stop`] (the binary calls it on Ctrl-C or SIGTERM) stops the hub in stages, each
//! waiting for the one before:
//!
//! 1. **Intake:** the HTTP API stops accepting connections and finishes the requests in
//!    flight (each answered after its publish, as always).
//! 2. **In-flight work:** each ingress worker finishes the message it is processing
//!    (committed and settled) and takes no new delivery; what it had prefetched goes back to
//!    its queue. The deadline engine finishes the step it is firing (one transaction) and
//!    stops; a deadline that falls due while the hub is down fires after the next start.
//! 3. **Outbox:** the relay makes a last pass (bounded), so what the workers committed is
//!    in the queues (embedded transport: moved in one transaction per batch); the
//!    dead-letter indexer stops.
//!
//! The caller then shuts the transport down and closes the store (which checkpoints SQLite's
//! WAL). Each stage is bounded; a stage that overruns is aborted with a warning. Invariant:
//! nothing acknowledged is lost by any shutdown — the inbox, outbox and queues are durable;
//! a clean shutdown only leaves less work for the next start.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use contracts::Registry;
use contracts::model::Actor;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::config::HubConfig;
use crate::dead_letters;
use crate::deadlines::{self, Clock, Deadlines, Engine, SystemClock};
use crate::http::{self, HttpState};
use crate::ingress;
use crate::pipeline::{HubIdentity, Pipeline};
use crate::relay::OutboxTransport;
use crate::store::{Store, StoreError};

/// Longest wait for the HTTP API to finish its requests in flight.
const HTTP_STOP_LIMIT: Duration = Duration::from_secs(15);
/// Longest wait for the ingress workers to finish the messages they are processing.
const WORKERS_STOP_LIMIT: Duration = Duration::from_secs(30);
/// Longest wait for the relay's last pass (itself bounded to 5 s) and the indexer.
const BACKGROUND_STOP_LIMIT: Duration = Duration::from_secs(15);

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
    /// The deadline engine's tables could not be prepared in the store.
    #[error("cannot prepare the deadline timers in the store: {0}")]
    Store(#[from] StoreError),
}

/// Tasks stopped together by one signal.
#[derive(Debug)]
struct Stage {
    /// What the tasks are, for the log.
    name: &'static str,
    /// Turned to `true` to stop them.
    stop: watch::Sender<bool>,
    /// The tasks.
    tasks: JoinSet<()>,
    /// How long they may take to stop.
    limit: Duration,
}

impl Stage {
    fn new(name: &'static str, limit: Duration) -> Self {
        Stage {
            name,
            stop: watch::channel(false).0,
            tasks: JoinSet::new(),
            limit,
        }
    }

    /// Signals the tasks and waits for them, at most `limit`; aborts what remains after it.
    async fn finish(mut self) {
        self.stop.send_replace(true);
        let all = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(self.limit, all).await.is_err() {
            warn!(
                stage = self.name,
                limit_ms = u64::try_from(self.limit.as_millis()).unwrap_or(u64::MAX),
                "Shutdown stage overran its limit; aborting what remains."
            );
            self.tasks.shutdown().await;
        } else {
            info!(stage = self.name, "Stopped.");
        }
    }
}

/// Handles to a running hub.
#[derive(Debug)]
pub struct Running {
    /// Where the HTTP API listens.
    pub http_address: SocketAddr,
    http: Stage,
    workers: Stage,
    background: Stage,
}

impl Running {
    /// Stops the hub in stages (see the module docs): HTTP intake, then the ingress workers
    /// after their in-flight messages, then the relay's last pass and the indexer. The
    /// transport and the store stay open (the caller shuts them down next).
    pub async fn stop(self) {
        info!("Stopping: intake first.");
        self.http.finish().await;
        self.workers.finish().await;
        self.background.finish().await;
        info!("Hub stopped.");
    }
}

/// Starts every task of the hub over `transport` and `store` (for the embedded transport,
/// `transport` must have been opened on `store`), with the deadline engine on the system
/// clock.
pub async fn start<T: OutboxTransport>(
    config: Arc<HubConfig>,
    registry: Arc<Registry>,
    store: Store,
    transport: Arc<T>,
) -> Result<Running, StartError> {
    start_with_clock(config, registry, store, transport, Arc::new(SystemClock)).await
}

/// [`start`] with the deadline engine (accept times, due times, the board) on `clock`: a
/// [`deadlines::ManualClock`] lets a test drive days of deadlines without waiting.
pub async fn start_with_clock<T: OutboxTransport>(
    config: Arc<HubConfig>,
    registry: Arc<Registry>,
    store: Store,
    transport: Arc<T>,
    clock: Arc<dyn Clock>,
) -> Result<Running, StartError> {
    deadlines::timers::prepare(&store).await?;
    crate::cases::prepare(&store).await?;
    let pipeline = Pipeline::new(
        Arc::clone(&registry),
        Arc::clone(&config),
        store.clone(),
        HubIdentity::default(),
    )
    .with_deadlines(Deadlines::new(Arc::clone(&config), clock));
    let relay = T::outbox_relay(store.clone(), Arc::clone(&transport));
    let wakeup = relay.notifier();

    // Bind first: a hub that cannot listen starts nothing.
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

    let mut background = Stage::new("relay and dead-letter indexer", BACKGROUND_STOP_LIMIT);
    background
        .tasks
        .spawn(relay.run(background.stop.subscribe()));
    background.tasks.spawn(dead_letters::run_indexer(
        Arc::clone(&transport),
        store.clone(),
        background.stop.subscribe(),
    ));

    let mut workers = Stage::new("ingress workers and deadline engine", WORKERS_STOP_LIMIT);
    let engine = Engine::new(store.clone(), pipeline.clone(), Arc::clone(&wakeup));
    workers.tasks.spawn(engine.run(workers.stop.subscribe()));
    for department in Actor::DEPARTMENTS {
        workers.tasks.spawn(ingress::run_worker(
            Arc::clone(&transport),
            pipeline.clone(),
            Arc::clone(&config),
            department,
            Arc::clone(&wakeup),
            workers.stop.subscribe(),
        ));
    }

    let mut http_stage = Stage::new("HTTP API", HTTP_STOP_LIMIT);
    let state = Arc::new(HttpState {
        registry,
        config: Arc::clone(&config),
        transport,
        store,
        deadlines: pipeline.deadlines().clone(),
    });
    let router = http::router(state);
    let mut http_shutdown = http_stage.stop.subscribe();
    http_stage.tasks.spawn(async move {
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
        http: http_stage,
        workers,
        background,
    })
}
