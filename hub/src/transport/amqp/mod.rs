//! The RabbitMQ transport (lapin 4, RabbitMQ 3.10): [`AmqpTransport`] implements
//! [`Transport`] with the delivery rules of [`crate::transport`].
//!
//! # Parts
//!
//! * [`config`] — [`AmqpConfig`] (`[transport.amqp]`), validated without I/O;
//! * `connection` — the supervisor owning the connection, reconnecting with back-off;
//! * `publisher` — serialized, confirmed, mandatory, persistent publishes;
//! * `in_doubt` — settling a delivery publish whose confirm was lost, from the delivery log
//!   (no duplicate in the department's queue after a dropped connection);
//! * `consumer` — [`AmqpConsumer`] / [`AmqpDelivery`]: manual acks, retry copies, dead
//!   letters, resumption after reconnects;
//! * [`topology`] — exchanges, quorum queues, retry queues and bindings; declared at start
//!   and exported as `ops/rabbitmq/definitions.json`;
//! * [`management`] — broker users with least privileges and the management-API client.
//!
//! # Invariants
//!
//! * One connection per transport, owned by one supervisor task; publishers and consumers
//!   open their channels on whatever connection is current and reopen them after a loss.
//! * The transport publishes as the user of its URL, and every publish carries that user
//!   as `user_id`: RabbitMQ refuses any other value, which is what makes
//!   [`crate::transport::Delivery::authenticated_user`] trustworthy.
//! * Dropping the last handle (transport, consumers, deliveries) stops the supervisor and
//!   closes the connection; [`AmqpTransport::shutdown`] does it at once and makes every
//!   consumer's `next()` return `None`.

mod connection;
mod consumer;
mod fields;
mod in_doubt;
mod publisher;

pub mod config;
pub mod management;
pub mod topology;

use std::sync::Arc;
use std::time::Duration;

use contracts::model::Actor;
use lapin::BasicProperties;
use tracing::info;

pub use self::config::{AmqpConfig, ValidatedUrl};
use self::connection::{Supervisor, SupervisorSettings};
pub use self::consumer::{AmqpConsumer, AmqpDelivery, RETRIED_PUBLISHER};
use self::fields::{short, to_field_table};
pub use self::management::{BrokerUser, ManagementClient, QueueDepth};
use self::publisher::{Publication, Publisher};
use crate::transport::{Address, Outgoing, Transport, TransportError};

/// Errors of the RabbitMQ transport's setup and tooling (configuration, management API).
/// Publishing and consuming report [`TransportError`].
#[derive(Debug, thiserror::Error)]
pub enum AmqpError {
    /// The configuration is invalid (found without I/O).
    #[error("invalid RabbitMQ transport configuration: {0}")]
    Config(String),
    /// A management-API call failed.
    #[error("RabbitMQ management API {method} {path} failed ({status:?}): {detail}")]
    Management {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// HTTP status, if an answer came.
        status: Option<u16>,
        /// Body of the answer or the transport error.
        detail: String,
    },
    /// Connecting or declaring the topology failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// State shared by the transport, its consumers and their deliveries.
pub(crate) struct Shared {
    pub(crate) config: AmqpConfig,
    pub(crate) url: ValidatedUrl,
    pub(crate) supervisor: Supervisor,
    pub(crate) publisher: Publisher,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Last handle gone: let the supervisor close the connection and end.
        self.supervisor.signal_shutdown();
    }
}

/// The RabbitMQ transport.
#[derive(Clone)]
pub struct AmqpTransport {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for AmqpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpTransport")
            .field("user", &self.shared.url.username())
            .field("vhost", &self.shared.url.vhost())
            .field("supervisor", &self.shared.supervisor)
            .finish()
    }
}

impl AmqpTransport {
    /// Validates the configuration and starts the connection supervisor in the current
    /// Tokio runtime; returns at once (the first connection is made in the background).
    pub fn start(config: AmqpConfig) -> Result<Self, AmqpError> {
        let url = config.validate()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            AmqpError::Config("the transport must be started inside a Tokio runtime".to_owned())
        })?;
        let settings = SupervisorSettings {
            url: url.clone(),
            connection_name: config.connection_name.clone(),
            connect_timeout: config.confirm_timeout(),
            reconnect_initial: Duration::from_millis(config.reconnect_initial_ms),
            reconnect_max: Duration::from_millis(config.reconnect_max_ms),
        };
        let supervisor = Supervisor::start(settings, &runtime);
        let user_id = short(url.username())?;
        let publisher = Publisher::new(supervisor.clone(), user_id, config.confirm_timeout());
        Ok(Self {
            shared: Arc::new(Shared {
                config,
                url,
                supervisor,
                publisher,
            }),
        })
    }

    /// Starts the transport, waits for the first connection (at most `confirm_timeout_ms`)
    /// and declares the topology for `departments` (nothing is declared when empty, e.g.
    /// for a department's own connection, which may not declare).
    pub async fn connect(config: AmqpConfig, departments: Vec<Actor>) -> Result<Self, AmqpError> {
        let transport = Self::start(config)?;
        transport
            .wait_ready(transport.shared.config.confirm_timeout())
            .await?;
        if !departments.is_empty() {
            transport.declare_topology(&departments).await?;
            info!(
                message = "Broker topology declared.",
                departments = departments.len()
            );
        }
        Ok(transport)
    }

    /// Waits until a connection is up, at most `timeout`.
    pub async fn wait_ready(&self, timeout: Duration) -> Result<(), TransportError> {
        match tokio::time::timeout(timeout, self.shared.supervisor.session()).await {
            Ok(session) => session.map(drop),
            Err(_) => Err(TransportError::Connection(format!(
                "no connection to the broker (vhost {}) within {} ms",
                self.shared.url.vhost(),
                timeout.as_millis()
            ))),
        }
    }

    /// Declares exchanges, queues and bindings for `departments` (idempotent).
    pub async fn declare_topology(&self, departments: &[Actor]) -> Result<(), TransportError> {
        let session = self.shared.supervisor.session().await?;
        let channel = session
            .open_channel(&self.shared.supervisor, "topology")
            .await?;
        let declared = topology::declare_topology(&channel, departments, &self.shared.config).await;
        if channel.status().connected()
            && let Err(error) = channel.close(200, "topology declared".into()).await
        {
            tracing::debug!(message = "Closing the topology channel failed.", %error);
        }
        declared
    }

    /// The broker user this transport connects and publishes as.
    pub fn user(&self) -> &str {
        self.shared.url.username()
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &AmqpConfig {
        &self.shared.config
    }

    /// How delivery publishes left in doubt by a lost confirm were settled since start:
    /// `(found stored, not stored and published again, log unreadable and published again)`.
    pub fn in_doubt_settled(&self) -> (u64, u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let counts = self.shared.publisher.in_doubt_counts();
        (
            counts.stored.load(Relaxed),
            counts.not_stored.load(Relaxed),
            counts.given_up.load(Relaxed),
        )
    }

    /// Stops reconnecting, closes the connection and ends every consumer's stream.
    pub async fn shutdown(&self) {
        self.shared.supervisor.shutdown().await;
    }
}

impl Transport for AmqpTransport {
    type Consumer = AmqpConsumer;

    async fn publish(&self, message: Outgoing) -> Result<(), TransportError> {
        let properties = BasicProperties::default()
            .with_message_id(short(&message.message_id)?)
            .with_type(short(&message.message_type)?)
            .with_content_type("application/json".into())
            .with_headers(to_field_table(&message.headers)?);
        let publication = Publication {
            address: message.address,
            route: topology::route(message.address, &message.message_type),
            message_id: &message.message_id,
            body: &message.body,
            properties,
        };
        self.shared.publisher.publish(&publication).await
    }

    async fn consume(
        &self,
        address: Address,
        prefetch: u16,
    ) -> Result<AmqpConsumer, TransportError> {
        AmqpConsumer::open(Arc::clone(&self.shared), address, prefetch).await
    }

    fn is_ready(&self) -> bool {
        self.shared.supervisor.current().is_some()
    }
}
