//! MLLP over TCP for the HEALTH adapter: the listener the hospital information system (HIS)
//! sends its HL7 messages to, and the link that sends deliveries to the HIS and waits for
//! its ACK. Framing is `adapter_health::mllp` (pure); this module only does the I/O.
//!
//! Invariants:
//! * Listener: each frame is handed to [`Inbound::handle`] and its answer (the HL7 ACK) is
//!   written back as one frame **before the next frame of that connection is read** — HL7's
//!   original-mode acknowledgement, which keeps the sender's order. A frame that cannot be
//!   deframed (too large, stray bytes) is answered by handing the bad bytes to the codec too,
//!   which refuses them (`AR`), so the sender is never left without an answer.
//! * Link: one connection per call (HIS MLLP listeners commonly serve one message per
//!   connection); connect, send and ACK each bounded by the configured timeouts; no ACK in
//!   time is a transient failure ([`LinkError::Timeout`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use adapter_core::NativeDocument;
use adapter_health::mllp::{Deframer, frame};
use adapter_runtime::RuntimeError;
use adapter_runtime::adapter::Adapter;
use adapter_runtime::inbound::Inbound;
use adapter_runtime::link::{BoxFuture, DepartmentLink, LinkError, LinkResponse};
use hub::transport::Transport;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

/// A running MLLP listener.
#[derive(Debug)]
pub struct MllpListener {
    /// The bound address.
    pub local_addr: SocketAddr,
    /// The accept loop; ends after the shutdown signal.
    pub task: JoinHandle<()>,
}

/// Binds `listen` and serves MLLP until `shutdown` turns true.
pub async fn serve<A, T>(
    inbound: Arc<Inbound<A, T>>,
    listen: &str,
    max_frame_bytes: usize,
    idle_timeout: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> Result<MllpListener, RuntimeError>
where
    A: Adapter + ?Sized,
    T: Transport,
{
    let listen_error = |source| RuntimeError::Listen {
        address: listen.to_owned(),
        source,
    };
    let listener = TcpListener::bind(listen).await.map_err(listen_error)?;
    let local_addr = listener.local_addr().map_err(listen_error)?;
    let task = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = shutdown.changed() => {
                    if *shutdown.borrow() { return; }
                    continue;
                }
            };
            match accepted {
                Ok((stream, peer)) => {
                    let inbound = Arc::clone(&inbound);
                    let shutdown = shutdown.clone();
                    tokio::spawn(async move {
                        if let Err(error) =
                            connection(inbound, stream, max_frame_bytes, idle_timeout, shutdown)
                                .await
                        {
                            debug!(message = "MLLP connection ended.", %peer, %error);
                        }
                    });
                }
                Err(error) => {
                    warn!(message = "MLLP accept failed.", %error);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    });
    Ok(MllpListener { local_addr, task })
}

async fn connection<A, T>(
    inbound: Arc<Inbound<A, T>>,
    mut stream: TcpStream,
    max_frame_bytes: usize,
    idle_timeout: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()>
where
    A: Adapter + ?Sized,
    T: Transport,
{
    let mut deframer = Deframer::new(max_frame_bytes);
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        while let Some(next) = deframer.next_frame() {
            let answer = match next {
                Ok(payload) => inbound.handle(&payload).await,
                // The codec refuses what is not HL7 with an AR naming the problem.
                Err(error) => inbound.handle(error.to_string().as_bytes()).await,
            };
            write_frame(&mut stream, &answer.body).await?;
        }
        let read = tokio::select! {
            read = tokio::time::timeout(idle_timeout, stream.read(&mut buffer)) => read,
            _ = shutdown.changed() => return Ok(()),
        };
        match read {
            Err(_) => return Ok(()), // idle: close
            Ok(Ok(0)) => return Ok(()),
            Ok(Ok(n)) => deframer.push(buffer.get(..n).unwrap_or_default()),
            Ok(Err(error)) => return Err(error),
        }
    }
}

async fn write_frame(stream: &mut TcpStream, payload: &[u8]) -> std::io::Result<()> {
    let framed = frame(payload).map_err(std::io::Error::other)?;
    stream.write_all(&framed).await?;
    stream.flush().await
}

/// Sends each document to the HIS over MLLP and returns its ACK as the body (status 200).
#[derive(Debug, Clone)]
pub struct MllpLink {
    address: String,
    connect_timeout: Duration,
    ack_timeout: Duration,
    max_frame_bytes: usize,
}

impl MllpLink {
    /// A link to the HIS at `address` (`host:port`).
    pub fn new(
        address: &str,
        connect_timeout: Duration,
        ack_timeout: Duration,
        max_frame_bytes: usize,
    ) -> Self {
        Self {
            address: address.to_owned(),
            connect_timeout,
            ack_timeout,
            max_frame_bytes,
        }
    }

    async fn call(&self, document: &NativeDocument) -> Result<LinkResponse, LinkError> {
        let unreachable = |e: &dyn std::fmt::Display| {
            LinkError::Unreachable(format!("HIS at {}: {e}", self.address))
        };
        let mut stream =
            tokio::time::timeout(self.connect_timeout, TcpStream::connect(&self.address))
                .await
                .map_err(|_| LinkError::Timeout(millis(self.connect_timeout)))?
                .map_err(|e| unreachable(&e))?;
        let exchange = async {
            write_frame(&mut stream, &document.body)
                .await
                .map_err(|e| unreachable(&e))?;
            let mut deframer = Deframer::new(self.max_frame_bytes);
            let mut buffer = vec![0_u8; 16 * 1024];
            loop {
                if let Some(next) = deframer.next_frame() {
                    return match next {
                        Ok(ack) => Ok(LinkResponse {
                            status: 200,
                            body: ack,
                        }),
                        // An unreadable answer: the codec will call it transient.
                        Err(error) => Ok(LinkResponse {
                            status: 200,
                            body: error.to_string().into_bytes(),
                        }),
                    };
                }
                let n = stream
                    .read(&mut buffer)
                    .await
                    .map_err(|e| unreachable(&e))?;
                if n == 0 {
                    return Err(unreachable(&"connection closed before the ACK"));
                }
                deframer.push(buffer.get(..n).unwrap_or_default());
            }
        };
        tokio::time::timeout(self.ack_timeout, exchange)
            .await
            .map_err(|_| LinkError::Timeout(millis(self.ack_timeout)))?
    }
}

impl DepartmentLink for MllpLink {
    fn send<'a>(
        &'a self,
        document: &'a NativeDocument,
        _message_id: &'a str,
    ) -> BoxFuture<'a, Result<LinkResponse, LinkError>> {
        Box::pin(self.call(document))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
