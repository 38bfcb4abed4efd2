//! Inbound: a native document from the department system → canonical messages published to
//! the hub → the department's answer. Inbound rules 1–3 of [`crate::adapter`] are kept
//! here, in [`Inbound::handle`], for every listener (HTTP here, MLLP in the HEALTH adapter).
//!
//! Order of work for one document: decode (malformed → refuse, keep, publish nothing) →
//! validate *every* message against its contract (any violation → refuse with all reasons,
//! keep, publish nothing) → publish each message to the hub's ingress, waiting for each
//! confirm (any failure → "try again", the resend deduplicates) → answer "accepted".

use std::sync::Arc;

use adapter_core::contracts::model::hub_rejected::RejectionReason;
use adapter_core::{InboundAnswer, NativeDocument, Verdict};
use contracts::registry::Registry;
use hub::pipeline::clock::now_utc8;
use hub::transport::{Address, Headers, Outgoing, Transport};
use tracing::{info, warn};

use crate::adapter::Adapter;
use crate::store::AdapterStore;

/// What happened to one inbound document (for logs, tests and metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundOutcome {
    /// Every message was confirmed by the hub.
    Accepted {
        /// Their ids.
        message_ids: Vec<String>,
    },
    /// Not decodable; kept under this id.
    Malformed {
        /// Refused-document id in the store.
        kept_as: Option<i64>,
    },
    /// Decoded but a message broke its contract; kept under this id.
    Refused {
        /// Refused-document id in the store.
        kept_as: Option<i64>,
    },
    /// The hub did not confirm; the department should send the document again.
    Unavailable,
}

/// The inbound side of one adapter.
#[derive(Debug)]
pub struct Inbound<A: ?Sized, T> {
    adapter: Arc<A>,
    transport: T,
    registry: Arc<Registry>,
    store: AdapterStore,
}

impl<A: Adapter + ?Sized, T: Transport> Inbound<A, T> {
    /// The inbound side of `adapter`, publishing through `transport` (which must publish as
    /// the adapter's department).
    pub fn new(
        adapter: Arc<A>,
        transport: T,
        registry: Arc<Registry>,
        store: AdapterStore,
    ) -> Self {
        Self {
            adapter,
            transport,
            registry,
            store,
        }
    }

    /// Handles one native document and returns the answer for the department system.
    pub async fn handle(&self, native: &[u8]) -> NativeDocument {
        self.handle_with_outcome(native).await.0
    }

    /// [`Inbound::handle`], also returning what happened.
    pub async fn handle_with_outcome(&self, native: &[u8]) -> (NativeDocument, InboundOutcome) {
        let codec = self.adapter.codec();
        let received_at = now_utc8();
        let context = self.adapter.decode_context(received_at.clone());
        let decoded = match codec.decode(native, &context) {
            Ok(decoded) => decoded,
            Err(error) => {
                let kept_as = self
                    .keep(&received_at, "MALFORMED", &error.to_string(), native)
                    .await;
                warn!(message = "Refused a malformed document.", department = self.adapter.department().as_str(), %error, ?kept_as);
                let identified = codec.identify(native, &context);
                let answer = codec.answer(&InboundAnswer {
                    native_ref: identified.as_ref(),
                    verdict: Verdict::Malformed { error: &error },
                });
                return (answer, InboundOutcome::Malformed { kept_as });
            }
        };
        let multi = decoded.messages.len() > 1;
        let mut reasons = Vec::new();
        let mut bodies = Vec::with_capacity(decoded.messages.len());
        for (index, message) in decoded.messages.iter().enumerate() {
            let value = match serde_json::to_value(message) {
                Ok(value) => value,
                Err(error) => {
                    reasons.push(reason(multi, index, "", "serialize", &error.to_string()));
                    continue;
                }
            };
            if let Err(report) = self.registry.validate_value(value.clone()) {
                for v in report.violations {
                    reasons.push(reason(multi, index, &v.pointer, &v.rule, &v.message));
                }
                continue;
            }
            bodies.push((message, value.to_string().into_bytes()));
        }
        if decoded.messages.is_empty() {
            reasons.push(reason(
                false,
                0,
                "",
                "empty",
                "the document holds no message to forward",
            ));
        }
        if !reasons.is_empty() {
            let detail = serde_json::to_string(&reasons).unwrap_or_default();
            let kept_as = self.keep(&received_at, "CONTRACT", &detail, native).await;
            warn!(message = "Refused a document that breaks its contract.", department = self.adapter.department().as_str(), document = %decoded.native_ref.document_id, reasons = reasons.len(), ?kept_as);
            let answer = codec.answer(&InboundAnswer {
                native_ref: Some(&decoded.native_ref),
                verdict: Verdict::Refused { reasons: &reasons },
            });
            return (answer, InboundOutcome::Refused { kept_as });
        }
        let department = self.adapter.department();
        let mut message_ids = Vec::with_capacity(bodies.len());
        for (message, body) in bodies {
            let outgoing = Outgoing {
                address: Address::Ingress(department),
                message_type: message.message_type.as_str().to_owned(),
                message_id: message.message_id.clone(),
                body,
                headers: Headers::new(),
            };
            if let Err(error) = self.transport.publish(outgoing).await {
                let detail = error.to_string();
                warn!(message = "The hub did not confirm; answering 'try again'.", department = department.as_str(), %detail);
                let answer = codec.answer(&InboundAnswer {
                    native_ref: Some(&decoded.native_ref),
                    verdict: Verdict::Unavailable { detail: &detail },
                });
                return (answer, InboundOutcome::Unavailable);
            }
            message_ids.push(message.message_id.clone());
        }
        info!(message = "Forwarded a document to the hub.", department = department.as_str(), document = %decoded.native_ref.document_id, messages = message_ids.len());
        let answer = codec.answer(&InboundAnswer {
            native_ref: Some(&decoded.native_ref),
            verdict: Verdict::Accepted {
                message_ids: &message_ids,
            },
        });
        (answer, InboundOutcome::Accepted { message_ids })
    }

    async fn keep(&self, received_at: &str, kind: &str, detail: &str, body: &[u8]) -> Option<i64> {
        match self
            .store
            .keep_refused(received_at, kind, detail, body)
            .await
        {
            Ok(id) => Some(id),
            Err(error) => {
                warn!(message = "Could not keep a refused document.", %error);
                None
            }
        }
    }
}

/// A refusal reason; for documents holding several messages every pointer is prefixed
/// with the message's index (`/1/payload/...`).
fn reason(multi: bool, index: usize, pointer: &str, code: &str, message: &str) -> RejectionReason {
    RejectionReason {
        pointer: if multi {
            format!("/{index}{pointer}")
        } else {
            pointer.to_owned()
        },
        code: code.to_owned(),
        message: message.to_owned(),
    }
}
