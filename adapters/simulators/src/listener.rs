//! Listening and not listening: the simulator's port, taken down and brought back up on
//! the same address when the failure mode says so.
//!
//! A *generation* is one bound listener and the server running on it. The [`Supervisor`]
//! task owns the current generation and applies mode changes in order:
//!
//! * into `down` (without a count): the generation is stopped — the listener is closed
//!   (connections are refused from the moment [`Supervisor::set`] returns) and open
//!   connections are closed (HTTP: gracefully, an answer in progress is finished; MLLP: at
//!   once);
//! * into `down` with a count: the same, then a new generation is bound at once, whose
//!   listener resets the next *N* connections ([`SimListener`]);
//! * out of `down`: a new generation is bound on the same address.
//!
//! Invariant: when [`Supervisor::set`] returns `Ok`, the port is in the state the mode says
//! (the listener is really dropped or really bound), so tests need no sleeps.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, warn};

use crate::error::SimError;
use crate::mode::{FailureMode, ModeControl, check_count};

/// A boxed future.
pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs a server on a listener until the stop signal turns true; must drop the listener
/// as soon as it is told to stop.
pub(crate) type ServeFn =
    Arc<dyn Fn(SimListener, watch::Receiver<bool>) -> BoxFuture + Send + Sync>;

/// Binds `addr` with `SO_REUSEADDR`, so the port can be bound again right after `down`
/// even while closed connections linger in `TIME_WAIT`.
pub(crate) fn bind(addr: SocketAddr) -> Result<TcpListener, SimError> {
    let error = |source| SimError::Listen {
        address: addr.to_string(),
        source,
    };
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(error)?;
    socket.set_reuseaddr(true).map_err(error)?;
    socket.bind(addr).map_err(error)?;
    socket.listen(1024).map_err(error)
}

/// Resolves `listen` (`127.0.0.1:0`, `localhost:8081`) and binds its first address.
pub(crate) async fn bind_str(listen: &str) -> Result<TcpListener, SimError> {
    let addr = tokio::net::lookup_host(listen)
        .await
        .map_err(|source| SimError::Listen {
            address: listen.to_owned(),
            source,
        })?
        .next()
        .ok_or_else(|| SimError::Listen {
            address: listen.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
        })?;
    bind(addr)
}

/// A bound listener that resets connections while the mode is a counted `down`, and
/// reports its own drop (the moment the port stops listening).
#[derive(Debug)]
pub(crate) struct SimListener {
    inner: TcpListener,
    mode: Arc<ModeControl>,
    _dropped: oneshot::Sender<()>,
}

impl SimListener {
    /// The next connection that is not to be reset.
    pub(crate) async fn accept_connection(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => {
                    if self.mode.reset_connection() {
                        // Zero linger: closing sends RST, the client sees ECONNRESET.
                        if let Err(error) = stream.set_zero_linger() {
                            debug!(message = "Could not set zero linger.", %error);
                        }
                        drop(stream);
                        debug!(message = "Reset a connection (counted down).", %peer);
                        continue;
                    }
                    if let Err(error) = stream.set_nodelay(true) {
                        debug!(message = "Could not set TCP_NODELAY.", %error);
                    }
                    return (stream, peer);
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    warn!(message = "Accept failed.", %error);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

impl axum::serve::Listener for SimListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    fn accept(&mut self) -> impl Future<Output = (Self::Io, Self::Addr)> + Send {
        self.accept_connection()
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Resolves when `stop` is (or turns) true, or its sender is gone.
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// One bound listener and its server.
#[derive(Debug)]
struct Generation {
    stop: watch::Sender<bool>,
    dropped: oneshot::Receiver<()>,
}

impl Generation {
    fn start(listener: TcpListener, mode: &Arc<ModeControl>, serve: &ServeFn) -> Generation {
        let (dropped_tx, dropped) = oneshot::channel();
        let (stop, stop_rx) = watch::channel(false);
        let listener = SimListener {
            inner: listener,
            mode: Arc::clone(mode),
            _dropped: dropped_tx,
        };
        tokio::spawn(serve(listener, stop_rx));
        Generation { stop, dropped }
    }

    /// Stops the server and returns once its listener is closed.
    async fn stop(self) {
        self.stop.send_replace(true);
        // Err = the listener was dropped (the only way this resolves).
        let _dropped = self.dropped.await;
    }
}

/// A command to the supervisor task.
#[derive(Debug)]
pub(crate) enum Command {
    /// Switch the mode (and the port with it).
    Set {
        mode: FailureMode,
        count: Option<u32>,
        done: oneshot::Sender<Result<(), SimError>>,
    },
}

/// The task owning the port. Ends (closing the port) when every strong command sender is
/// dropped.
#[derive(Debug)]
pub(crate) struct Supervisor {
    addr: SocketAddr,
    commands: mpsc::Sender<Command>,
    task: tokio::task::JoinHandle<()>,
}

impl Supervisor {
    /// Starts serving `listener` (already bound at `addr`) with `serve`.
    pub(crate) fn start(
        listener: TcpListener,
        addr: SocketAddr,
        mode: Arc<ModeControl>,
        serve: ServeFn,
        commands: mpsc::Sender<Command>,
        receiver: mpsc::Receiver<Command>,
    ) -> Supervisor {
        let generation = Generation::start(listener, &mode, &serve);
        let task = tokio::spawn(run(addr, mode, serve, Some(generation), receiver));
        Supervisor {
            addr,
            commands,
            task,
        }
    }

    /// Switches the mode; see the module docs for what happens to the port.
    pub(crate) async fn set(&self, mode: FailureMode, count: Option<u32>) -> Result<(), SimError> {
        send(&self.commands, self.addr, mode, count).await
    }

    /// Closes the port and waits for it to be closed.
    pub(crate) async fn shutdown(self) {
        drop(self.commands);
        if let Err(error) = self.task.await {
            warn!(message = "The simulator's supervisor failed.", %error);
        }
    }
}

/// Sends a mode switch over `commands` and waits for it to be applied.
pub(crate) async fn send(
    commands: &mpsc::Sender<Command>,
    addr: SocketAddr,
    mode: FailureMode,
    count: Option<u32>,
) -> Result<(), SimError> {
    let (done, result) = oneshot::channel();
    let stopped = || SimError::Stopped(addr);
    commands
        .send(Command::Set { mode, count, done })
        .await
        .map_err(|_| stopped())?;
    result.await.map_err(|_| stopped())?
}

async fn run(
    addr: SocketAddr,
    mode: Arc<ModeControl>,
    serve: ServeFn,
    mut generation: Option<Generation>,
    mut commands: mpsc::Receiver<Command>,
) {
    while let Some(command) = commands.recv().await {
        match command {
            Command::Set {
                mode: wanted,
                count,
                done,
            } => {
                let result = apply(addr, &mode, &serve, &mut generation, wanted, count).await;
                // The asker may have gone away; the switch stands either way.
                let _asker_gone = done.send(result);
            }
        }
    }
    if let Some(generation) = generation.take() {
        generation.stop().await;
    }
}

async fn apply(
    addr: SocketAddr,
    mode: &Arc<ModeControl>,
    serve: &ServeFn,
    generation: &mut Option<Generation>,
    wanted: FailureMode,
    count: Option<u32>,
) -> Result<(), SimError> {
    check_count(wanted, count)?;
    if wanted == FailureMode::Down {
        if let Some(current) = generation.take() {
            current.stop().await;
        }
        mode.set(wanted, count);
        if count.is_some() {
            *generation = Some(Generation::start(bind(addr)?, mode, serve));
        }
        return Ok(());
    }
    mode.set(wanted, count);
    if generation.is_none() {
        *generation = Some(Generation::start(bind(addr)?, mode, serve));
    }
    Ok(())
}
