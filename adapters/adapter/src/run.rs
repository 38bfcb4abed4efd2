//! Starting and stopping one adapter on a hub transport: its listener (HTTP or MLLP), its
//! outbound loop and its periodic identity report (`IDENTITY_DIGEST`, when
//! `identity_digest_interval_s` is not 0), sharing one store and one shutdown signal.
//!
//! Invariants:
//! * [`start`] returns only when the listener is bound and the delivery queue is being
//!   consumed, so a refused consumer (wrong broker user, missing queue) or a taken port
//!   fails the start instead of a background task.
//! * [`RunningAdapter::stop`] stops taking new documents and deliveries, lets the delivery
//!   in hand finish or stay unsettled (it is redelivered), and closes the store.

use std::net::SocketAddr;
use std::sync::Arc;

use adapter_runtime::RuntimeConfig;
use adapter_runtime::RuntimeError;
use adapter_runtime::adapter::Adapter;
use adapter_runtime::http_listener;
use adapter_runtime::identity::{ReportingDepartment, report_periodically};
use adapter_runtime::inbound::Inbound;
use adapter_runtime::outbound::Outbound;
use adapter_runtime::store::AdapterStore;
use contracts::model::Actor;
use contracts::registry::Registry;
use hub::transport::{Address, Transport};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::departments::{Assembled, Listener};
use crate::mllp;

/// A running adapter.
#[derive(Debug)]
pub struct RunningAdapter {
    /// Its department.
    pub department: Actor,
    /// Where its listener is bound (the department system sends here).
    pub inbound_addr: SocketAddr,
    /// Its store (delivered ids, refused documents).
    pub store: AdapterStore,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningAdapter {
    /// Stops the adapter and waits for its tasks.
    pub async fn stop(self) {
        // `send_replace` cannot fail: it works whether or not a receiver is left.
        self.shutdown.send_replace(true);
        for task in self.tasks {
            if let Err(error) = task.await {
                tracing::warn!(message = "An adapter task ended abnormally.", %error);
            }
        }
        self.store.close().await;
    }

    /// The inbound URL for HTTP listeners (`http://addr`).
    pub fn inbound_url(&self) -> String {
        format!("http://{}", self.inbound_addr)
    }
}

/// Starts `assembled` on `transport` (which must publish and consume as the adapter's
/// department).
pub async fn start<T>(
    assembled: Assembled,
    transport: T,
    store: AdapterStore,
    runtime: &RuntimeConfig,
) -> Result<RunningAdapter, RuntimeError>
where
    T: Transport + Clone,
{
    let department = assembled.adapter.department();
    let registry =
        Arc::new(Registry::embedded().map_err(|e| RuntimeError::Contracts(e.to_string()))?);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let outbound = Outbound::new(
        Arc::clone(&assembled.adapter),
        store.clone(),
        runtime.outbound.clone(),
    );
    let consumer = transport
        .consume(Address::Deliver(department), runtime.outbound.prefetch)
        .await?;
    let inbound = Arc::new(Inbound::new(
        Arc::clone(&assembled.adapter),
        transport.clone(),
        registry,
        store.clone(),
    ));
    let (inbound_addr, listener_task) = match &assembled.listener {
        Listener::Http {
            address,
            max_body_bytes,
        } => {
            let listener =
                http_listener::serve(inbound, address, *max_body_bytes, shutdown_rx.clone())
                    .await?;
            (listener.local_addr, listener.task)
        }
        Listener::Mllp {
            address,
            max_frame_bytes,
            idle_timeout,
        } => {
            let listener = mllp::serve(
                inbound,
                address,
                *max_frame_bytes,
                *idle_timeout,
                shutdown_rx.clone(),
            )
            .await?;
            (listener.local_addr, listener.task)
        }
    };
    let outbound_shutdown = shutdown_rx.clone();
    let outbound_task = tokio::spawn(async move {
        outbound.run_consumer(consumer, outbound_shutdown).await;
    });
    let mut tasks = vec![listener_task, outbound_task];
    if let Some(every) = runtime.identity_digest_interval() {
        let reporting = ReportingDepartment::of(&*assembled.adapter);
        tasks.push(tokio::spawn(report_periodically(
            transport,
            store.clone(),
            reporting,
            every,
            shutdown_rx,
        )));
    }
    tracing::info!(
        message = "Adapter started.",
        department = department.as_str(),
        inbound = %inbound_addr
    );
    Ok(RunningAdapter {
        department,
        inbound_addr,
        store,
        shutdown,
        tasks,
    })
}
