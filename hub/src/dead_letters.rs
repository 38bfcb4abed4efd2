//! Dead letters: the index of everything that could not be routed or delivered, and replay.
//!
//! The indexer consumes `dead.ingress` and every `dead.<DEPT>` queue into the store's
//! dead-letter table (acking only after the row is committed), so operators can list and
//! filter dead letters without draining queues (`POST /api/queues/…/get` is "a sysadmin's
//! tool", not an inspection API). Replay publishes the original bytes back to the original
//! sender's ingress queue, marked with who replayed it and why; the pipeline's deduplication
//! by `message_id` makes a replay of an already accepted message a no-op, so replays never
//! create duplicate effects.

use std::sync::Arc;
use std::time::Duration;

use contracts::model::Actor;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::store::{NewDeadLetter, PlannedMessage, Store, StoreError};
use crate::transport::{Address, Consumer, Delivery, HeaderValue, Headers, Transport, header};

/// Why a replay failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// No dead letter with this id.
    #[error("no dead letter #{0}")]
    NotFound(i64),
    /// It was replayed before.
    #[error("dead letter #{id} was already replayed at {at} by {by}")]
    AlreadyReplayed {
        /// Id.
        id: i64,
        /// When.
        at: String,
        /// By whom.
        by: String,
    },
    /// The original sender is unknown, so there is no ingress queue to replay into.
    #[error("dead letter #{0} has no known sender department")]
    NoSender(i64),
    /// Store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn text(headers: &Headers, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(HeaderValue::as_text)
        .map(str::to_owned)
}

/// Consumes every dead-letter queue into the store until shutdown.
pub async fn run_indexer<T: Transport>(
    transport: Arc<T>,
    store: Store,
    shutdown: watch::Receiver<bool>,
) {
    let mut addresses = vec![Address::DeadIngress];
    addresses.extend(Actor::DEPARTMENTS.into_iter().map(Address::Dead));
    let mut tasks = tokio::task::JoinSet::new();
    for address in addresses {
        tasks.spawn(index_queue(
            Arc::clone(&transport),
            store.clone(),
            address,
            shutdown.clone(),
        ));
    }
    while tasks.join_next().await.is_some() {}
}

async fn index_queue<T: Transport>(
    transport: Arc<T>,
    store: Store,
    address: Address,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut consumer = loop {
        match transport.consume(address, 20).await {
            Ok(c) => break c,
            Err(error) => {
                warn!(%error, queue = %address, "Cannot consume dead letters yet; retrying.");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    };
    loop {
        let delivery = tokio::select! {
            d = consumer.next() => match d { Some(d) => d, None => return },
            _ = shutdown.changed() => return,
        };
        let headers = delivery.headers().clone();
        let record = NewDeadLetter {
            queue: address.queue_name(),
            message_id: delivery.message_id().map(str::to_owned),
            message_type: text(&headers, header::MESSAGE_TYPE),
            stage: text(&headers, header::DEAD_STAGE)
                // Dead-lettered by the broker itself (RabbitMQ: `delivery_limit`, `expired`,
                // `maxlen`, `rejected`): the same stage names as the embedded transport.
                .or_else(|| text(&headers, "x-first-death-reason").map(|r| r.to_ascii_uppercase()))
                .unwrap_or_else(|| "BROKER".to_owned()),
            reasons: text(&headers, header::DEAD_REASONS).unwrap_or_else(|| "[]".to_owned()),
            publisher: text(&headers, header::DEAD_PUBLISHER)
                .or_else(|| delivery.authenticated_user().map(str::to_owned)),
            body: delivery.body().to_vec(),
            headers,
        };
        match store.record_dead_letter(record).await {
            Ok(id) => {
                info!(id, queue = %address, "Dead letter indexed.");
                if let Err(error) = delivery.ack().await {
                    warn!(%error, "Ack of an indexed dead letter failed; it will be indexed again (idempotent).");
                }
            }
            Err(error) => {
                warn!(%error, queue = %address, "Cannot index dead letter; retrying later.");
                if let Err(error) = delivery.retry_later(Duration::from_secs(5)).await {
                    warn!(%error, "Retry of a dead letter failed; it will be redelivered.");
                }
            }
        }
    }
}

/// The recipient of a `dead.<DEPT>` queue (a delivery that department could not take).
fn failed_delivery_recipient(queue: &str) -> Option<Actor> {
    let code = queue.strip_prefix("dead.")?;
    Actor::ALL
        .into_iter()
        .find(|a| *a != Actor::Hub && a.as_str() == code)
}

/// Replays dead letter `id` once, recording who and why: a refused ingress message goes back
/// through the pipeline as its original sender; a delivery a department could not take goes
/// back to that department's delivery queue (the hub accepted it already, so going through
/// ingress again would only be deduplicated away).
///
/// The replayed message and the replay record are committed in one store transaction
/// (`commit_replay`); the relay then publishes it. So a replay needs only the store:
/// `hubctl dead-letters replay` works against the hub's database while the hub runs, and a
/// crash cannot leave a replay half done.
pub async fn replay(
    store: &Store,
    id: i64,
    sender_of_publisher: impl Fn(&str) -> Option<Actor>,
    by: &str,
    reason: &str,
) -> Result<i64, ReplayError> {
    let letter = store
        .dead_letter(id)
        .await?
        .ok_or(ReplayError::NotFound(id))?;
    if let (Some(at), Some(by)) = (&letter.replayed_at, &letter.replayed_by) {
        return Err(ReplayError::AlreadyReplayed {
            id,
            at: at.clone(),
            by: by.clone(),
        });
    }
    let (address, mut headers) = match failed_delivery_recipient(&letter.queue) {
        Some(recipient) => {
            let mut headers = letter.headers.clone();
            for dead in [
                header::DEAD_STAGE,
                header::DEAD_REASONS,
                header::DEAD_PUBLISHER,
            ] {
                headers.remove(dead);
            }
            (Address::Deliver(recipient), headers)
        }
        None => {
            let sender = text(&letter.headers, header::SENDER)
                .and_then(|s| Actor::from_code(&s))
                .or_else(|| letter.publisher.as_deref().and_then(&sender_of_publisher))
                .ok_or(ReplayError::NoSender(id))?;
            let mut headers = Headers::new();
            headers.insert(
                header::ORIGINAL_PUBLISHER.to_owned(),
                HeaderValue::Text(sender.as_str().to_owned()),
            );
            (Address::Ingress(sender), headers)
        }
    };
    headers.insert(header::REPLAY_OF.to_owned(), HeaderValue::Int(id));
    headers.insert(
        header::REPLAYED_BY.to_owned(),
        HeaderValue::Text(by.to_owned()),
    );
    let planned = PlannedMessage {
        message_id: letter
            .message_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        address: address.queue_name(),
        message_type: letter
            .message_type
            .clone()
            .unwrap_or_else(|| "UNKNOWN".to_owned()),
        case_id: None,
        stream: None,
        body: letter.body.clone(),
        headers,
    };
    let ids = store
        .commit_replay(id, by, reason, vec![planned])
        .await
        .map_err(|e| match e {
            StoreError::AlreadyReplayed {
                id,
                replayed_at,
                replayed_by,
            } => ReplayError::AlreadyReplayed {
                id,
                at: replayed_at,
                by: replayed_by,
            },
            other => ReplayError::Store(other),
        })?;
    Ok(ids.first().copied().unwrap_or_default())
}
