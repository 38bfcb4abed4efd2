//! Ingress workers: one per department queue, feeding the pipeline and settling each
//! delivery by its verdict.
//!
//! Invariant (the ack rule of ARCHITECTURE.md): a delivery is acked only after the pipeline
//! committed its outcome (accepted deliveries, or the refusal's dead letter and notice).
//! When processing fails transiently, [`crate::recoverability::decide`] chooses between an
//! immediate retry, a delayed retry through the transport, and the dead-letter queue; the
//! worker never decides that itself.

use std::sync::Arc;

use contracts::model::Actor;
use tokio::sync::{Notify, watch};
use tracing::{debug, error, info, warn};

use crate::config::HubConfig;
use crate::pipeline::{Pipeline, Publisher, Verdict};
use crate::recoverability::{self, Action, FailureClass};
use crate::transport::{Address, Consumer, DeadLetterReason, Delivery, Transport, header};

/// Who published a delivery: the broker user, unless the publisher is the hub's own HTTP
/// ingress or replay tool, which names the original department in a header.
fn publisher_of<D: Delivery>(delivery: &D, hub_user: Option<&str>) -> Publisher {
    let user = delivery.authenticated_user().unwrap_or_default().to_owned();
    if hub_user.is_some_and(|h| h == user)
        && let Some(original) = delivery
            .headers()
            .get(header::ORIGINAL_PUBLISHER)
            .and_then(|v| v.as_text())
        && let Some(actor) = Actor::from_code(original)
    {
        return Publisher::Department(actor);
    }
    Publisher::BrokerUser(user)
}

/// Consumes `ingress.<department>` until shutdown.
pub async fn run_worker<T: Transport>(
    transport: Arc<T>,
    pipeline: Pipeline,
    config: Arc<HubConfig>,
    department: Actor,
    relay_wakeup: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let address = Address::Ingress(department);
    let policy = config.retry_policy();
    let hub_user = config.hub_broker_user().map(str::to_owned);
    let mut consumer = loop {
        match transport
            .consume(address, config.pipeline.ingress_prefetch)
            .await
        {
            Ok(c) => break c,
            Err(error) => {
                warn!(%error, queue = %address, "Cannot consume yet; retrying.");
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    };
    info!(queue = %address, "Ingress worker started.");
    loop {
        let delivery = tokio::select! {
            d = consumer.next() => match d { Some(d) => d, None => break },
            _ = shutdown.changed() => break,
        };
        let publisher = publisher_of(&delivery, hub_user.as_deref());
        let mut failures = delivery.attempt();
        let settled = loop {
            match pipeline.process(delivery.body(), &publisher).await {
                Ok(verdict) => {
                    log_verdict(&verdict, &address);
                    relay_wakeup.notify_one();
                    break delivery.ack().await;
                }
                Err(error) => {
                    failures += 1;
                    let class = if error.is_transient() {
                        FailureClass::Transient
                    } else {
                        FailureClass::Permanent
                    };
                    match recoverability::decide(class, failures, &policy) {
                        Action::RetryNow => {
                            warn!(%error, attempt = failures, "Processing failed; retrying now.");
                            continue;
                        }
                        Action::RetryAfter(delay) => {
                            warn!(%error, attempt = failures, ?delay, "Processing failed; retrying later.");
                            break delivery.retry_later(delay).await;
                        }
                        Action::DeadLetter { reason } => {
                            error!(%error, attempt = failures, ?reason, "Processing failed for good; dead-lettering.");
                            let reasons = serde_json::json!([{
                                "pointer": "", "code": "processing", "message": error.to_string()
                            }]);
                            break delivery
                                .dead_letter(DeadLetterReason {
                                    stage: "PROCESSING".to_owned(),
                                    reasons_json: reasons.to_string(),
                                })
                                .await;
                        }
                    }
                }
            }
        };
        if let Err(error) = settled {
            // The outcome is committed; the redelivery will be a duplicate and change nothing.
            warn!(%error, queue = %address, "Settling failed; the message will be redelivered and deduplicated.");
        }
    }
    info!(queue = %address, "Ingress worker stopped.");
}

fn log_verdict(verdict: &Verdict, address: &Address) {
    match verdict {
        Verdict::Accepted {
            message_id,
            sender,
            deliveries,
        } => {
            let to: Vec<&str> = deliveries.iter().map(|d| d.recipient.as_str()).collect();
            info!(%message_id, sender = sender.as_str(), recipients = ?to, "Accepted.");
        }
        Verdict::Duplicate { message_id } => {
            debug!(%message_id, queue = %address, "Duplicate ignored.")
        }
        Verdict::Refused { stage, reasons } => {
            info!(stage = stage.as_str(), reasons = reasons.len(), queue = %address, "Refused.");
        }
    }
}
