//! The connection supervisor: the one task that owns the lapin [`Connection`], rebuilds it
//! when it dies, and tells publishers and consumers which connection is current.
//!
//! Invariants:
//! * At most one live [`Session`] at a time; each gets a new `generation`, so a channel
//!   opened on an older session is recognisably stale.
//! * A dead connection is noticed by its (connection-level) error event, by a status check every
//!   [`STATUS_POLL`], or by a component's [`Supervisor::report_broken`]; the session is
//!   then withdrawn (watchers see `None`) before a new connection is attempted.
//! * Reconnect attempts back off exponentially from `reconnect_initial_ms` to
//!   `reconnect_max_ms`; the delay resets after a successful connect.
//! * lapin's own auto-recovery is *not* enabled: its recovery had hangs until 4.12 and
//!   does not recover channel-level errors, so recovery is done here, explicitly, by
//!   building a new connection and letting every user reopen its channels.
//! * After [`Supervisor::shutdown`] no new connection is made and waiting callers get
//!   [`TransportError::Shutdown`].

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::types::LongString;
use lapin::{Channel, Connection, ConnectionProperties, ErrorKind, Event};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use super::config::ValidatedUrl;
use crate::transport::TransportError;

/// How often the supervisor double-checks the connection status (lapin does not emit an
/// event for every way a connection can end, e.g. a broker-initiated close).
pub(crate) const STATUS_POLL: Duration = Duration::from_millis(250);

/// One established connection.
pub(crate) struct Session {
    /// Increases with every new connection.
    pub(crate) generation: u64,
    /// The lapin connection.
    pub(crate) connection: Connection,
}

impl Session {
    fn is_alive(&self) -> bool {
        self.connection.status().connected()
    }

    /// Opens a channel. A channel number the broker just closed can still be closing in
    /// lapin when it is handed out again (`invalid channel state: Closing`); that is
    /// retried a few times. Any other failure reports the connection broken.
    pub(crate) async fn open_channel(
        &self,
        supervisor: &Supervisor,
        purpose: &str,
    ) -> Result<Channel, TransportError> {
        let mut attempt = 0_u32;
        loop {
            match self.connection.create_channel().await {
                Ok(channel) => return Ok(channel),
                Err(error) if attempt < CHANNEL_RETRIES && is_channel_race(&error) => {
                    attempt += 1;
                    debug!(message = "Channel still closing; retrying.", %error, attempt);
                    tokio::time::sleep(CHANNEL_RETRY_DELAY * attempt).await;
                }
                Err(error) => {
                    supervisor.report_broken(self.generation);
                    return Err(TransportError::Connection(format!(
                        "cannot open a {purpose} channel: {error}"
                    )));
                }
            }
        }
    }
}

const CHANNEL_RETRIES: u32 = 5;
const CHANNEL_RETRY_DELAY: Duration = Duration::from_millis(20);

fn is_channel_race(error: &lapin::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::InvalidChannelState(..) | ErrorKind::InvalidChannel(_)
    )
}

type Current = Option<Arc<Session>>;

/// Handle to the supervisor task; cheap to clone.
#[derive(Clone)]
pub(crate) struct Supervisor {
    sessions: watch::Receiver<Current>,
    shutdown: Arc<watch::Sender<bool>>,
    broken: mpsc::UnboundedSender<u64>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let generation = self.sessions.borrow().as_ref().map(|s| s.generation);
        f.debug_struct("Supervisor")
            .field("generation", &generation)
            .finish()
    }
}

/// Back-off and naming settings of the supervisor.
#[derive(Debug, Clone)]
pub(crate) struct SupervisorSettings {
    pub(crate) url: ValidatedUrl,
    pub(crate) connection_name: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) reconnect_initial: Duration,
    pub(crate) reconnect_max: Duration,
}

impl Supervisor {
    /// Spawns the supervisor task on the current Tokio runtime.
    pub(crate) fn start(settings: SupervisorSettings, runtime: &tokio::runtime::Handle) -> Self {
        let (sessions_tx, sessions) = watch::channel(None);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (broken, broken_rx) = mpsc::unbounded_channel();
        let task = SupervisorTask {
            settings,
            sessions: sessions_tx,
            shutdown: shutdown_rx,
            broken: broken_rx,
        };
        runtime.spawn(task.run());
        Self {
            sessions,
            shutdown: Arc::new(shutdown),
            broken,
        }
    }

    /// The current live session, if any.
    pub(crate) fn current(&self) -> Option<Arc<Session>> {
        self.sessions
            .borrow()
            .as_ref()
            .filter(|s| s.is_alive())
            .cloned()
    }

    /// Whether the transport was shut down.
    pub(crate) fn is_shut_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// A receiver that turns `true` on shutdown.
    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Waits for a live session; `Err(Shutdown)` on shutdown. Not bounded: callers wrap it
    /// in a timeout when they must be.
    pub(crate) async fn session(&self) -> Result<Arc<Session>, TransportError> {
        let mut sessions = self.sessions.clone();
        let mut shutdown = self.shutdown_signal();
        loop {
            if *shutdown.borrow() {
                return Err(TransportError::Shutdown);
            }
            if let Some(session) = self.current() {
                return Ok(session);
            }
            tokio::select! {
                changed = sessions.changed() => {
                    if changed.is_err() {
                        return Err(TransportError::Shutdown);
                    }
                }
                _ = shutdown.wait_for(|down| *down) => return Err(TransportError::Shutdown),
                // A session can die without the watch changing yet; look again soon.
                () = tokio::time::sleep(STATUS_POLL) => {}
            }
        }
    }

    /// Resolves once the session of `generation` is no longer the current one.
    pub(crate) async fn session_replaced(&self, generation: u64) {
        let mut sessions = self.sessions.clone();
        let replaced = sessions
            .wait_for(|s| s.as_ref().map(|s| s.generation) != Some(generation))
            .await;
        if replaced.is_err() {
            debug!(
                message = "Supervisor ended; the session is gone as well.",
                generation
            );
        }
    }

    /// Reports that the connection of `generation` misbehaves (e.g. channels cannot be
    /// opened); the supervisor drops and rebuilds it.
    pub(crate) fn report_broken(&self, generation: u64) {
        if self.broken.send(generation).is_err() {
            debug!(
                message = "Supervisor ended; nothing to rebuild.",
                generation
            );
        }
    }

    /// Asks the supervisor to stop without waiting for it (usable in `Drop`).
    pub(crate) fn signal_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Stops reconnecting, closes the connection, and wakes every waiter.
    pub(crate) async fn shutdown(&self) {
        self.signal_shutdown();
        let mut sessions = self.sessions.clone();
        let closed =
            tokio::time::timeout(Duration::from_secs(5), sessions.wait_for(Option::is_none)).await;
        if closed.is_err() {
            warn!(message = "Broker connection did not close within 5 s at shutdown.");
        }
    }
}

struct SupervisorTask {
    settings: SupervisorSettings,
    sessions: watch::Sender<Current>,
    shutdown: watch::Receiver<bool>,
    broken: mpsc::UnboundedReceiver<u64>,
}

impl SupervisorTask {
    async fn run(mut self) {
        let mut delay = self.settings.reconnect_initial;
        let mut generation = 0_u64;
        while !*self.shutdown.borrow() {
            match self.connect().await {
                Ok(connection) => {
                    delay = self.settings.reconnect_initial;
                    generation += 1;
                    let session = Arc::new(Session {
                        generation,
                        connection,
                    });
                    info!(
                        message = "Connected to the broker.",
                        generation,
                        vhost = self.settings.url.vhost()
                    );
                    self.sessions.send_replace(Some(Arc::clone(&session)));
                    self.watch_until_broken(&session).await;
                    self.sessions.send_replace(None);
                    let shutting_down = *self.shutdown.borrow();
                    close(&session, shutting_down).await;
                }
                Err(error) => {
                    warn!(message = "Cannot connect to the broker; backing off.", %error, delay_ms = delay.as_millis());
                    if self.sleep_unless_shutdown(delay).await {
                        break;
                    }
                    delay = (delay * 2).min(self.settings.reconnect_max);
                }
            }
        }
        self.sessions.send_replace(None);
    }

    async fn connect(&self) -> Result<Connection, String> {
        let properties = ConnectionProperties::default()
            .with_connection_name(LongString::from(self.settings.connection_name.as_str()));
        let attempt = Connection::connect_uri(self.settings.url.uri().clone(), properties);
        match tokio::time::timeout(self.settings.connect_timeout, attempt).await {
            Ok(Ok(connection)) => Ok(connection),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!(
                "no answer within {} ms",
                self.settings.connect_timeout.as_millis()
            )),
        }
    }

    /// Returns when the session's connection is dead, reported broken, or on shutdown.
    async fn watch_until_broken(&mut self, session: &Session) {
        let mut events = session.connection.events_listener();
        let mut poll = tokio::time::interval(STATUS_POLL);
        loop {
            tokio::select! {
                event = events.next() => match event {
                    // lapin reports channel-level (soft) errors here too, e.g. a refused
                    // publish; those only close their channel.
                    Some(Event::Error(error)) if error.is_amqp_soft_error() => {
                        debug!(message = "Channel error on the broker connection.", %error);
                    }
                    Some(Event::Error(error)) => {
                        warn!(message = "Broker connection failed.", %error, generation = session.generation);
                        return;
                    }
                    Some(_) => {}
                    None => return,
                },
                _ = poll.tick() => {
                    if !session.is_alive() {
                        warn!(message = "Broker connection lost.", generation = session.generation);
                        return;
                    }
                }
                reported = self.broken.recv() => match reported {
                    Some(g) if g == session.generation => {
                        warn!(message = "Broker connection reported broken; rebuilding.", generation = g);
                        return;
                    }
                    Some(_) => {}
                    None => return,
                },
                _ = self.shutdown.wait_for(|down| *down) => return,
            }
        }
    }

    /// Sleeps `delay`; returns `true` if shutdown was requested meanwhile.
    async fn sleep_unless_shutdown(&mut self, delay: Duration) -> bool {
        let slept = tokio::select! {
            () = tokio::time::sleep(delay) => true,
            _ = self.shutdown.wait_for(|down| *down) => false,
        };
        !slept || *self.shutdown.borrow()
    }
}

/// Closes a withdrawn session's connection (gracefully at shutdown, best effort otherwise).
async fn close(session: &Session, shutting_down: bool) {
    if !session.is_alive() {
        return;
    }
    let text = if shutting_down {
        "hub shutting down"
    } else {
        "connection replaced"
    };
    match tokio::time::timeout(
        Duration::from_secs(5),
        session.connection.close(200, text.into()),
    )
    .await
    {
        Ok(Ok(())) => {}
        // The connection is withdrawn either way; the broker drops it with the socket.
        Ok(Err(error)) => debug!(message = "Closing the broker connection failed.", %error),
        Err(_) => debug!(message = "Closing the broker connection timed out."),
    }
}
