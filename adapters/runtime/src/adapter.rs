//! The [`Adapter`] trait: one department system, met where it is.
//!
//! An adapter is a department's [`Codec`] plus the facts the codec cannot know (the
//! department's organisation code and system name, for [`DecodeContext`]) and the way its
//! system is reached outbound ([`DepartmentLink`]). The runtime ([`crate::inbound`],
//! [`crate::outbound`]) does the rest, identically for every department.
//!
//! # Delivery rules (what every adapter guarantees)
//!
//! **Inbound** (department system → hub):
//!
//! 1. **Answered only after the hub has it.** A native document is answered "accepted" only
//!    after *every* canonical message decoded from it was published to the hub's ingress
//!    and confirmed durable by the transport (publisher confirm on RabbitMQ, commit in the
//!    embedded transport). Until then the department's request is held open.
//! 2. **Before the hub's verdict an adapter may only** decode the document, validate each
//!    message against its contract, and refuse what fails either check — answering the
//!    department with every reason in its own error format and keeping the refused bytes in
//!    its store for inspection. It may not route, enrich, reorder or drop messages, answer
//!    early, or publish a message that does not validate.
//! 3. **"Try again" is safe.** When the hub cannot be reached or does not confirm, the
//!    answer says so (HTTP 503, HL7 `AE`). Message ids are derived from the native document
//!    ([`adapter_core::ids`]), so the department's resend carries the same ids and the
//!    hub's deduplication makes it harmless — also when part of a multi-message document
//!    was already confirmed.
//! 4. **The hub's own refusals come back as deliveries.** A message the hub refuses
//!    (unauthorized, unroutable) reaches the department later as a `HUB_REJECTED` delivery,
//!    encoded like any other.
//!
//! **Outbound** (hub → department system):
//!
//! 5. **Acknowledged only when settled.** A delivery is acknowledged to the hub's queue only
//!    after the department system accepted it (or it was already delivered, rule 6), or after
//!    it was dead-lettered with the department's own error text. A crash before that means
//!    redelivery, never loss.
//! 6. **Each message once.** Deliveries are deduplicated by `message_id` in the adapter's
//!    store, recorded after the department's success and before the acknowledgement, so a
//!    redelivered or duplicated message does not reach the department system twice. (A
//!    crash between the department's success and that record can still repeat one call;
//!    the native documents carry the message id for the department's own deduplication.)
//! 7. **Failures are classified, not guessed.** The codec reads the department's answer
//!    ([`Codec::classify_response`]): a permanent refusal (4xx, HL7 `AR`) is dead-lettered
//!    at once with the department's error body; a transient one is retried — in place with
//!    jittered back-off, then through the transport's delayed retry — as decided by the one
//!    recoverability function ([`hub::recoverability::decide`]), until dead-lettered as
//!    exhausted.
//! 8. **A down department system is waited for, not hammered.** A circuit breaker opens
//!    after consecutive failures; while it is open nothing is sent and no attempt is
//!    counted — the delivery in hand waits (holding the department's order), then one probe
//!    goes out; when the system is back, deliveries flow again, each once.
//! 9. **Identities never move backwards.** The adapter keeps, per person, the
//!    `identity_version` and view (`changed_fields`) of the last `IDENTITY_UPDATE` the
//!    department system accepted ([`crate::store`], table `identity_views`). An
//!    `IDENTITY_UPDATE` whose version is *strictly older* than the one held is acknowledged
//!    without calling the department system, logged with the held and offered versions and
//!    kept as settled-stale (table `identity_settled_stale`); one of an *equal or newer*
//!    version is delivered like any other (an equal one is the hub's reconciliation re-send,
//!    under a new `message_id`), and once the department accepted it the view, its digest
//!    ([`hub::identity::digest::view_digest`]) and the `delivered` record are written in one
//!    store transaction, whose upsert never lowers a held version. Hub updates carry the
//!    whole record the department may see, so applying only the newest converges whatever
//!    the order of arrival.
//!
//! **Reconciliation** (adapter → hub):
//!
//! 10. **The view is reported as digests.** The adapter publishes `IDENTITY_DIGEST` messages
//!     ([`crate::identity`]) to the hub's ingress — periodically and on demand, the way
//!     inbound messages are published (same transport, same confirm, the department's own
//!     broker user): every person's held version and digest, at most
//!     [`crate::identity::MAX_PERSONS_PER_DIGEST`] per message; a report that fits one
//!     message says `complete: true`. The hub compares them with what it last sent and
//!     re-sends what differs.

use std::sync::Arc;

use adapter_core::{Codec, DecodeContext};
use contracts::model::Actor;

use crate::link::DepartmentLink;

/// One department system's adapter. See the module docs for the delivery rules the runtime
/// keeps for every implementation.
pub trait Adapter: Send + Sync + 'static {
    /// The department this adapter speaks for (its broker user publishes as it).
    fn department(&self) -> Actor {
        self.codec().department()
    }

    /// The department's native format, both ways.
    fn codec(&self) -> Arc<dyn Codec>;

    /// The decode context for a document received at `received_at` (RFC 3339, `+08:00`).
    fn decode_context(&self, received_at: String) -> DecodeContext;

    /// How outbound native documents reach the department system.
    fn link(&self) -> Arc<dyn DepartmentLink>;
}

/// The adapter of a department whose codec, context and link are known up front — every
/// department's adapter is one of these; only how they are built differs.
#[derive(Debug, Clone)]
pub struct CodecAdapter {
    codec: Arc<dyn Codec>,
    context: DecodeContext,
    link: Arc<dyn DepartmentLink>,
}

impl CodecAdapter {
    /// An adapter from its parts; `context`'s `received_at` is replaced per document.
    pub fn new(
        codec: Arc<dyn Codec>,
        context: DecodeContext,
        link: Arc<dyn DepartmentLink>,
    ) -> Self {
        Self {
            codec,
            context,
            link,
        }
    }
}

impl Adapter for CodecAdapter {
    fn codec(&self) -> Arc<dyn Codec> {
        Arc::clone(&self.codec)
    }

    fn decode_context(&self, received_at: String) -> DecodeContext {
        DecodeContext {
            received_at,
            ..self.context.clone()
        }
    }

    fn link(&self) -> Arc<dyn DepartmentLink> {
        Arc::clone(&self.link)
    }
}
