//! The pipeline: what the hub does with one ingress message.
//!
//! ```text
//! publisher → department ─ validate (contracts) ─ sender = publisher? ─ may send? ─ seen before?
//!   ─ route (route table + ORIGINAL_SENDER) ─ for each recipient: may receive? cast to the
//!   version it reads, project to the fields it may see ─ plan the deadline effects (arm, meet,
//!   close) ─ commit inbox + case state + deadline timers + outbox (one transaction; an illegal
//!   case transition refuses the message and rolls everything back, [`crate::cases`])
//! ```
//!
//! Invariants:
//! * The outcome of a message is decided here and only here; the ingress worker merely
//!   settles the delivery according to the [`Verdict`] (or to [`crate::recoverability`] when
//!   processing failed transiently).
//! * Accepted: the inbox row, the deadline timers it arms, meets or closes
//!   ([`crate::deadlines`]) and every delivery are committed together; a message id seen
//!   before is a [`Verdict::Duplicate`] and changes nothing.
//! * Refused: nothing reaches a recipient; the original bytes go to `dead.ingress` with every
//!   reason and the sender gets `HUB_REJECTED`, committed together ([`refusal`]).
//! * Pure apart from the store: the same message and the same store state give the same
//!   verdict.

pub mod clock;
pub mod projection;
pub mod refusal;

use std::sync::Arc;

use contracts::model::Actor;
use contracts::report::{ValidationReport, Violation};
use contracts::{MessageType, Registry};
use serde_json::Value;

use crate::config::{HubConfig, Recipient};
use crate::deadlines::{Deadlines, SystemClock};
use crate::store::{AcceptedMessage, BeginAccept, PlannedMessage, Store, StoreError};
use crate::transport::{HeaderValue, Headers, header};
pub use refusal::{HubIdentity, RejectionStage};

/// Who published an ingress message, as the transport authenticated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Publisher {
    /// A broker user (RabbitMQ-validated `user_id`).
    BrokerUser(String),
    /// A department already authenticated by the HTTP ingress (bearer token).
    Department(Actor),
}

/// One delivery the pipeline planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDelivery {
    /// Recipient.
    pub recipient: Actor,
    /// Contract major version delivered.
    pub major: u32,
    /// Pointer patterns removed by projection.
    pub projected_away: Vec<String>,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Routed: deliveries committed to the outbox.
    Accepted {
        /// Message id.
        message_id: String,
        /// Sender.
        sender: Actor,
        /// The deliveries.
        deliveries: Vec<PlannedDelivery>,
    },
    /// Seen before: nothing changed.
    Duplicate {
        /// Message id.
        message_id: String,
    },
    /// Refused: dead letter and notice committed.
    Refused {
        /// Stage.
        stage: RejectionStage,
        /// Every reason.
        reasons: Vec<Violation>,
    },
}

/// Processing failed for a reason that may pass (the store is busy or unreachable).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Store failure.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Encoding a delivery failed (a bug, not an input problem).
    #[error("encoding a delivery failed: {0}")]
    Encode(#[from] serde_json::Error),
}

impl From<sqlx::Error> for PipelineError {
    fn from(error: sqlx::Error) -> Self {
        PipelineError::Store(StoreError::from(error))
    }
}

impl PipelineError {
    /// Whether trying again later can help.
    pub fn is_transient(&self) -> bool {
        match self {
            PipelineError::Store(e) => e.is_transient(),
            PipelineError::Encode(_) => false,
        }
    }
}

/// The pipeline, shared by all ingress workers.
#[derive(Debug, Clone)]
pub struct Pipeline {
    registry: Arc<Registry>,
    config: Arc<HubConfig>,
    store: Store,
    identity: HubIdentity,
    /// The deadline rules applied to every accepted message, with their clock.
    deadlines: Deadlines,
}

/// Reason code of a refusal for an illegal case transition ([`crate::cases`]).
pub const CASE_TRANSITION_RULE: &str = "case_transition";

/// An early exit: refuse with this stage and these reasons.
struct Refusal(RejectionStage, Vec<Violation>);

fn reason(pointer: &str, rule: &str, message: String) -> Vec<Violation> {
    vec![Violation {
        pointer: pointer.to_owned(),
        rule: rule.to_owned(),
        message,
    }]
}

/// Whether `sender` (the authenticated department) may send this validated message: the
/// envelope must name that department and one of its organisation codes, and the
/// authorization matrix must let it send the type. `Err` carries the refusal stage and its
/// reason. Shared by the pipeline and the HTTP ingress, which answers the same checks
/// synchronously with 403.
pub fn admit(
    config: &HubConfig,
    sender: Actor,
    message: &Value,
) -> Result<(), (RejectionStage, Vec<Violation>)> {
    let text = |name: &str| {
        message
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let declared = text("sender_org_type");
    if declared != sender.as_str() {
        return Err((
            RejectionStage::SenderMismatch,
            reason(
                "/sender_org_type",
                "sender",
                format!(
                    "the message says it comes from {declared}, but it was published by {}.",
                    sender.as_str()
                ),
            ),
        ));
    }
    let org_code = text("sender_org_code");
    if !config.may_use_org_code(sender, org_code) {
        return Err((
            RejectionStage::SenderMismatch,
            reason(
                "/sender_org_code",
                "sender",
                format!(
                    "{org_code} is not an organisation code configured for {}.",
                    sender.as_str()
                ),
            ),
        ));
    }
    let message_type = text("message_type");
    if !config.authorization.may_send(sender, message_type) {
        return Err((
            RejectionStage::Unauthorized,
            reason(
                "/message_type",
                "authorization",
                format!("{} may not send {message_type}.", sender.as_str()),
            ),
        ));
    }
    Ok(())
}

/// The stage a validation report refuses at: PARSE (not JSON), CONTRACT (the payload
/// breaks its contract) or ENVELOPE. Shared by the pipeline and the HTTP ingress.
pub fn stage_of(report: &ValidationReport) -> RejectionStage {
    if report.violations.iter().any(|v| v.rule == "json") {
        RejectionStage::Parse
    } else if report
        .violations
        .iter()
        .any(|v| v.pointer.starts_with("/payload"))
    {
        RejectionStage::Contract
    } else {
        RejectionStage::Envelope
    }
}

impl Pipeline {
    /// A pipeline over the given catalogue, configuration and store, applying the
    /// configuration's deadline rules on the system clock.
    pub fn new(
        registry: Arc<Registry>,
        config: Arc<HubConfig>,
        store: Store,
        identity: HubIdentity,
    ) -> Self {
        let deadlines = Deadlines::new(Arc::clone(&config), Arc::new(SystemClock));
        Self {
            registry,
            config,
            store,
            identity,
            deadlines,
        }
    }

    /// The same pipeline applying `deadlines` (e.g. the same rules on a test clock).
    pub fn with_deadlines(mut self, deadlines: Deadlines) -> Self {
        self.deadlines = deadlines;
        self
    }

    /// The store the pipeline commits to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The deadline rules and their clock.
    pub fn deadlines(&self) -> &Deadlines {
        &self.deadlines
    }

    /// The contract catalogue.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Who the hub is when it writes a message.
    pub fn identity(&self) -> &HubIdentity {
        &self.identity
    }

    /// Decides and commits the fate of one ingress message.
    pub async fn process(
        &self,
        raw: &[u8],
        publisher: &Publisher,
    ) -> Result<Verdict, PipelineError> {
        let sender = match publisher {
            Publisher::Department(d) => Some(*d),
            Publisher::BrokerUser(user) => self.config.department_of_broker_user(user),
        };
        let publisher_name = match publisher {
            Publisher::BrokerUser(user) => user.clone(),
            Publisher::Department(d) => format!("http:{}", d.as_str()),
        };
        let parsed: Option<Value> = serde_json::from_slice(raw).ok();
        let outcome = match sender {
            None => Err(Refusal(
                RejectionStage::SenderMismatch,
                reason(
                    "",
                    "publisher",
                    format!("publisher `{publisher_name}` is not a configured department."),
                ),
            )),
            Some(sender) => self.accept(raw, sender).await?,
        };
        match outcome {
            Ok(verdict) => Ok(verdict),
            Err(Refusal(stage, reasons)) => {
                let refused = refusal::Refused {
                    raw,
                    parsed: parsed.as_ref(),
                    sender,
                    publisher: Some(&publisher_name),
                };
                let planned = refusal::plan_refusal(&self.identity, &refused, stage, &reasons);
                self.store.commit_refusal(planned).await?;
                Ok(Verdict::Refused { stage, reasons })
            }
        }
    }

    /// The acceptance path; `Ok(Err(refusal))` when the message is refused.
    async fn accept(
        &self,
        raw: &[u8],
        sender: Actor,
    ) -> Result<Result<Verdict, Refusal>, PipelineError> {
        let validated = match self.registry.validate_message(raw) {
            Ok(v) => v,
            Err(report) => return Ok(Err(Refusal(stage_of(&report), report.violations))),
        };
        let message = &validated.value;
        let message_type = validated.message_type;
        let text = |name: &str| {
            message
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let message_id = text("message_id").to_owned();

        if let Err((stage, reasons)) = admit(&self.config, sender, message) {
            return Ok(Err(Refusal(stage, reasons)));
        }
        if self.store.is_duplicate(&message_id).await? {
            return Ok(Ok(Verdict::Duplicate { message_id }));
        }

        // The identity registry, not the route table, distributes the types it owns.
        let registry_owned = crate::identity::owns(message_type);
        let recipients = if registry_owned {
            Vec::new()
        } else {
            self.resolve_recipients(message_type, message).await?
        };
        if recipients.is_empty() && !registry_owned {
            return Ok(Err(Refusal(
                RejectionStage::Unroutable,
                reason(
                    "/message_type",
                    "route",
                    format!(
                        "no route delivers {} from {} to anyone.",
                        message_type.as_str(),
                        sender.as_str()
                    ),
                ),
            )));
        }

        let case_id = message
            .get("case_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut planned = Vec::with_capacity(recipients.len());
        let mut deliveries = Vec::with_capacity(recipients.len());
        for recipient in recipients {
            match self.plan_delivery(message, message_type, validated.major, sender, recipient)? {
                Ok((message_out, delivery)) => {
                    planned.push(PlannedMessage {
                        case_id: case_id.clone(),
                        ..message_out
                    });
                    deliveries.push(delivery);
                }
                Err(refusal) => return Ok(Err(refusal)),
            }
        }
        let accepted = AcceptedMessage {
            message_id: message_id.clone(),
            sender: sender.as_str().to_owned(),
            message_type: message_type.as_str().to_owned(),
            case_id,
            body_sha256: crate::store::sha256_hex(raw),
        };
        let now = self.deadlines.now();
        let deadline_plan = self
            .deadlines
            .plan(message_type.as_str(), message, sender, now);
        Ok(Ok(match self.store.begin_accept(&accepted).await? {
            BeginAccept::Duplicate { .. } => Verdict::Duplicate { message_id },
            BeginAccept::New(mut tx) => {
                let mut case_step = None;
                if let Some(case_id) = accepted.case_id.as_deref() {
                    let case_message = crate::cases::store::CaseMessage {
                        case_id,
                        message_id: &message_id,
                        message_type,
                        sender: sender.as_str(),
                        payload: message.get("payload").unwrap_or(&Value::Null),
                    };
                    match crate::cases::store::apply(tx.connection(), &case_message).await? {
                        Ok(step) => case_step = Some(step),
                        Err(illegal) => {
                            // Dropping the transaction rolls back the inbox row: nothing changes.
                            drop(tx);
                            return Ok(Err(Refusal(
                                RejectionStage::Contract,
                                reason(
                                    "/case_id",
                                    CASE_TRANSITION_RULE,
                                    format!(
                                        "case {case_id} is in state {}: {} is not allowed: {}.",
                                        illegal.from, illegal.message, illegal.reason
                                    ),
                                ),
                            )));
                        }
                    }
                }
                let identity_message = crate::identity::IdentityMessage {
                    message_id: &message_id,
                    message_type,
                    sender,
                    case_id: accepted.case_id.as_deref(),
                    message,
                    case_died: matches!(
                        case_step,
                        Some(crate::cases::Step::Moved(crate::cases::CaseState::Deceased))
                    ),
                };
                let effects = match crate::identity::store::apply(
                    tx.connection(),
                    self,
                    &identity_message,
                    now,
                )
                .await?
                {
                    Ok(effects) => effects,
                    Err(refusal) => {
                        // Dropping the transaction rolls back everything: nothing changes.
                        drop(tx);
                        return Ok(Err(Refusal(
                            RejectionStage::Contract,
                            reason(refusal.pointer, refusal.code, refusal.message),
                        )));
                    }
                };
                let mut applied = self
                    .deadlines
                    .apply(tx.connection(), &deadline_plan)
                    .await?;
                // The hub's own identity updates meet deadlines too (e.g. identified before
                // the DNA request was due).
                for update in &effects.messages {
                    let plan = self.deadlines.plan(
                        MessageType::IdentityUpdate.as_str(),
                        update,
                        Actor::Hub,
                        now,
                    );
                    let more = self.deadlines.apply(tx.connection(), &plan).await?;
                    applied.armed += more.armed;
                    applied.met += more.met;
                }
                planned.extend(effects.planned);
                tx.commit(planned).await?;
                if applied.armed > 0 || applied.met > 0 {
                    self.deadlines.wake_engine();
                }
                Verdict::Accepted {
                    message_id,
                    sender,
                    deliveries,
                }
            }
        }))
    }

    /// Plans the delivery of a message the hub itself writes (a deadline escalation) to
    /// `recipient` exactly as a routed message's: cast to the version the recipient reads,
    /// projected to the fields it may see, on the (HUB → recipient) stream. `Ok(Err(reason))`
    /// when it cannot be expressed in that version.
    pub(crate) fn plan_hub_delivery(
        &self,
        message: &Value,
        message_type: MessageType,
        major: u32,
        recipient: Actor,
    ) -> Result<Result<PlannedMessage, String>, PipelineError> {
        Ok(
            match self.plan_delivery(message, message_type, major, Actor::Hub, recipient)? {
                Ok((planned, _)) => Ok(planned),
                Err(Refusal(_, reasons)) => Err(reasons
                    .iter()
                    .map(|r| r.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")),
            },
        )
    }

    /// Route-table recipients, with ORIGINAL_SENDER resolved through the inbox and every
    /// recipient checked against the receive side of the authorization matrix.
    async fn resolve_recipients(
        &self,
        message_type: MessageType,
        message: &Value,
    ) -> Result<Vec<Actor>, PipelineError> {
        let mut out: Vec<Actor> = Vec::new();
        for recipient in self.config.recipients(message_type.as_str(), message) {
            let department = match recipient {
                Recipient::Department(d) => Some(d),
                Recipient::OriginalSender => {
                    match message.get("correlation_id").and_then(Value::as_str) {
                        Some(id) => self
                            .store
                            .sender_of(id)
                            .await?
                            .and_then(|s| Actor::from_code(&s)),
                        None => None,
                    }
                }
            };
            if let Some(d) = department
                && !out.contains(&d)
                && self
                    .config
                    .authorization
                    .may_receive(d, message_type.as_str())
            {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Casts and projects the message for one recipient.
    fn plan_delivery(
        &self,
        message: &Value,
        message_type: MessageType,
        major: u32,
        sender: Actor,
        recipient: Actor,
    ) -> Result<Result<(PlannedMessage, PlannedDelivery), Refusal>, PipelineError> {
        let wanted = self.config.reads(recipient, message_type.as_str());
        let mut payload = message.get("payload").cloned().unwrap_or(Value::Null);
        if wanted != major {
            payload = match contracts::casting::cast(message_type, major, wanted, &payload) {
                Ok(p) => p,
                Err(error) => {
                    return Ok(Err(Refusal(
                        RejectionStage::Contract,
                        reason(
                            "/payload",
                            "cast",
                            format!(
                                "{} reads {} v{wanted}, and this message cannot be expressed in it: {error}",
                                recipient.as_str(),
                                message_type.as_str()
                            ),
                        ),
                    )));
                }
            };
        }
        let policy = projection::policy_for_message(
            self.config
                .field_policy_for(recipient, message_type.as_str()),
            message
                .get("sensitivity")
                .and_then(|s| serde_json::from_value(s.clone()).ok()),
        );
        let projected_away = match self.registry.contract(message_type.as_str(), wanted) {
            Some(contract) => projection::project(&mut payload, contract.annotations(), &policy),
            None => Vec::new(),
        };
        let mut delivered = message.clone();
        delivered["payload"] = payload;
        delivered["schema_version"] = Value::from(contracts::version::version_string(wanted));
        let message_id = message
            .get("message_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();

        let mut headers = Headers::new();
        headers.insert(
            header::SENDER.to_owned(),
            HeaderValue::Text(sender.as_str().to_owned()),
        );
        headers.insert(
            header::MESSAGE_TYPE.to_owned(),
            HeaderValue::Text(message_type.as_str().to_owned()),
        );
        headers.insert(
            header::SCHEMA_VERSION.to_owned(),
            HeaderValue::Text(contracts::version::version_string(wanted)),
        );
        if let Some(case) = message.get("case_id").and_then(Value::as_str) {
            headers.insert(
                header::CASE_ID.to_owned(),
                HeaderValue::Text(case.to_owned()),
            );
        }
        if !projected_away.is_empty() {
            headers.insert(
                header::PROJECTED_AWAY.to_owned(),
                HeaderValue::Text(projected_away.join(",")),
            );
        }
        let planned = PlannedMessage {
            message_id,
            address: crate::transport::Address::Deliver(recipient).queue_name(),
            message_type: message_type.as_str().to_owned(),
            case_id: None,
            stream: Some((sender.as_str().to_owned(), recipient.as_str().to_owned())),
            body: serde_json::to_vec(&delivered)?,
            headers,
        };
        Ok(Ok((
            planned,
            PlannedDelivery {
                recipient,
                major: wanted,
                projected_away,
            },
        )))
    }
}
