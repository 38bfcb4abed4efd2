//! The running simulator of one department system: [`Simulator::start`] binds the
//! department's protocol (HTTP for POLICE, CITYMGMT, GRID, STATION; MLLP for HEALTH) and
//! answers every document in the department's native format, as the failure mode in force
//! says ([`crate::mode`]); everything received is recorded ([`crate::record`]).
//!
//! HTTP: `POST` on any path is a document (other methods: 405, not recorded); the answer is
//! the department's receipt from [`crate::tables`]. MLLP: one HL7 message per frame,
//! answered on the same connection with an ACK.
//!
//! The control endpoint ([`crate::control`]) is served under `/_sim/` on the HTTP
//! simulators' own port and, when [`SimConfig::control`] is set, on a separate port that
//! stays up while the simulator is `down` (the only way back up for an out-of-process
//! user).
//!
//! Invariant: dropping a [`Simulator`] closes its ports; [`Simulator::shutdown`] also
//! waits for that and for the record file to be written.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::control;
use crate::department::{Department, Protocol};
use crate::error::SimError;
use crate::hl7::{self, AckCode, Hl7View};
use crate::listener::{self, Command, ServeFn, SimListener, Supervisor, stopped};
use crate::mllp::{Deframer, frame};
use crate::mode::{FailureMode, ModeControl, ModeStatus};
use crate::record::{Answered, Received, RecordFile, Recorder, Transport};
use crate::tables::{self, Hl7Answer, HttpAnswer, HttpTable, Placeholders};

/// The header carrying the hub's canonical message id on the adapter's calls.
pub const MESSAGE_ID_HEADER: &str = "X-Hub-Message-Id";

/// How to run a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen (`127.0.0.1:0` picks a free port; see [`Simulator::local_addr`]).
    pub listen: String,
    /// A separate control endpoint (`127.0.0.1:0`), up even while the simulator is `down`.
    pub control: Option<String>,
    /// The delay of `slow` when the control endpoint does not give `delay_ms`.
    pub slow_delay: Duration,
    /// Append every received document to this JSON-lines file.
    pub record_file: Option<PathBuf>,
    /// Largest HTTP body / MLLP payload accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for SimConfig {
    /// Loopback, a free port, no control port, `slow` = 3 s, no record file, 16 MiB.
    fn default() -> Self {
        SimConfig {
            listen: "127.0.0.1:0".to_owned(),
            control: None,
            slow_delay: Duration::from_secs(3),
            record_file: None,
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
}

/// What request handlers and the control endpoint share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) department: Department,
    pub(crate) local_addr: SocketAddr,
    pub(crate) mode: Arc<ModeControl>,
    pub(crate) recorder: Recorder,
    pub(crate) slow_delay: Duration,
    max_body_bytes: usize,
    /// Weak, so that a server holding `Shared` does not keep its own supervisor alive.
    commands: mpsc::WeakSender<Command>,
}

impl Shared {
    /// Switches the mode through the supervisor (the port follows).
    pub(crate) async fn set_mode(
        &self,
        mode: FailureMode,
        count: Option<u32>,
    ) -> Result<(), SimError> {
        let commands = self
            .commands
            .upgrade()
            .ok_or(SimError::Stopped(self.local_addr))?;
        listener::send(&commands, self.local_addr, mode, count).await
    }
}

/// A running department-system simulator.
#[derive(Debug)]
pub struct Simulator {
    shared: Arc<Shared>,
    supervisor: Supervisor,
    control: Option<ControlServer>,
}

#[derive(Debug)]
struct ControlServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Simulator {
    /// Starts the simulator of `department`'s system: HTTP for POLICE, CITYMGMT, GRID and
    /// STATION, MLLP for HEALTH.
    pub async fn start(department: Department, config: SimConfig) -> Result<Simulator, SimError> {
        let listener = listener::bind_str(&config.listen).await?;
        let local_addr = listener.local_addr().map_err(|source| SimError::Listen {
            address: config.listen.clone(),
            source,
        })?;
        let record_file = match &config.record_file {
            Some(path) => Some(RecordFile::create(path).await?),
            None => None,
        };
        let (commands, receiver) = mpsc::channel(16);
        let mode = Arc::new(ModeControl::default());
        let shared = Arc::new(Shared {
            department,
            local_addr,
            mode: Arc::clone(&mode),
            recorder: Recorder::new(record_file),
            slow_delay: config.slow_delay,
            max_body_bytes: config.max_body_bytes,
            commands: commands.downgrade(),
        });
        let serve = match department.protocol() {
            Protocol::Http => serve_http(&shared)?,
            Protocol::Mllp => serve_mllp(&shared),
        };
        let supervisor = Supervisor::start(listener, local_addr, mode, serve, commands, receiver);
        let control = match &config.control {
            Some(address) => Some(start_control(&shared, address).await?),
            None => None,
        };
        info!(message = "Simulator started.", department = department.as_str(), %local_addr, control = ?control.as_ref().map(|c| c.addr));
        Ok(Simulator {
            shared,
            supervisor,
            control,
        })
    }

    /// The department whose system this is.
    pub fn department(&self) -> Department {
        self.shared.department
    }

    /// The bound address (the real port when 0 was asked); it stays the same across
    /// `down`/`up`.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    /// `http://<local_addr>` (HTTP departments) or `mllp://<local_addr>` (HEALTH): the base
    /// URL an adapter's link is configured with.
    pub fn base_url(&self) -> String {
        match self.shared.department.protocol() {
            Protocol::Http => format!("http://{}", self.shared.local_addr),
            Protocol::Mllp => format!("mllp://{}", self.shared.local_addr),
        }
    }

    /// The separate control endpoint's address, if one was asked for.
    pub fn control_addr(&self) -> Option<SocketAddr> {
        self.control.as_ref().map(|c| c.addr)
    }

    /// Switches to `mode` until switched again. Returns once the port is in the state the
    /// mode says (closed for `down`, listening otherwise).
    pub async fn set_mode(&self, mode: FailureMode) -> Result<(), SimError> {
        self.supervisor.set(mode, None).await
    }

    /// Switches to `mode` for the next `requests` requests (connections, for `down`), then
    /// back to `ok`. `requests` must be at least 1.
    pub async fn set_mode_for(&self, mode: FailureMode, requests: u32) -> Result<(), SimError> {
        self.supervisor.set(mode, Some(requests)).await
    }

    /// The mode in force.
    pub fn mode(&self) -> ModeStatus {
        self.shared.mode.status()
    }

    /// Everything received so far (since the last [`Simulator::clear`]), in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.recorder.snapshot()
    }

    /// Waits until at least `n` documents are held, at most `timeout`; then returns them
    /// all. Fails with [`SimError::WaitTimeout`] (saying how many arrived) when time is up.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Result<Vec<Received>, SimError> {
        self.shared.recorder.wait_for(n, timeout).await
    }

    /// Forgets what was received (the record file keeps it; numbering goes on).
    pub fn clear(&self) {
        self.shared.recorder.clear();
    }

    /// Closes the ports, waits for that, and writes out the record file.
    pub async fn shutdown(self) {
        self.supervisor.shutdown().await;
        if let Some(control) = self.control {
            control.stop.send_replace(true);
            if let Err(error) = control.task.await {
                warn!(message = "The control endpoint failed.", %error);
            }
        }
        self.shared.recorder.close().await;
    }
}

async fn start_control(shared: &Arc<Shared>, address: &str) -> Result<ControlServer, SimError> {
    let listener = listener::bind_str(address).await?;
    let addr = listener.local_addr().map_err(|source| SimError::Listen {
        address: address.to_owned(),
        source,
    })?;
    let (stop, mut stop_rx) = watch::channel(false);
    let app = control::router(Arc::clone(shared));
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stopped(&mut stop_rx).await })
            .await;
        if let Err(error) = served {
            warn!(message = "The control endpoint stopped.", %error);
        }
    });
    Ok(ControlServer { addr, stop, task })
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct HttpState {
    shared: Arc<Shared>,
    table: &'static HttpTable,
}

fn serve_http(shared: &Arc<Shared>) -> Result<ServeFn, SimError> {
    let table = tables::http_table(shared.department).ok_or_else(|| {
        SimError::Unsupported(format!("{} has no HTTP system", shared.department))
    })?;
    let state = HttpState {
        shared: Arc::clone(shared),
        table,
    };
    let app: Router = control::router(Arc::clone(shared)).merge(
        Router::new()
            .fallback(document)
            .layer(DefaultBodyLimit::max(shared.max_body_bytes))
            .with_state(state),
    );
    Ok(Arc::new(move |listener: SimListener, mut stop| {
        let app = app.clone();
        Box::pin(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move { stopped(&mut stop).await })
                .await;
            if let Err(error) = served {
                warn!(message = "The HTTP simulator stopped.", %error);
            }
        })
    }))
}

/// One document posted by the adapter.
async fn document(
    State(state): State<HttpState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "the department system takes documents by POST\n",
        )
            .into_response();
    }
    let header_text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header_text(header::CONTENT_TYPE.as_str());
    let message_id = header_text(MESSAGE_ID_HEADER);
    let table = state.table;
    let mode = state.shared.mode.for_request();
    let answer: HttpAnswer = match mode {
        FailureMode::Ok | FailureMode::Slow(_) | FailureMode::Down => table.answers.ok,
        FailureMode::Error5xx => table.answers.error_5xx,
        FailureMode::Reject4xx => table.answers.reject_4xx,
        FailureMode::Malformed => table.answers.malformed,
    };
    let id = table.identity.read(content_type.as_deref(), &body);
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let received = state.shared.recorder.record(
        Transport::Http,
        path,
        content_type,
        message_id.clone(),
        body.to_vec(),
        Answered {
            mode: mode.name(),
            status: Some(answer.status),
            ack_code: None,
        },
    );
    debug!(message = "Received a document.", department = state.shared.department.as_str(), seq = received.seq, path = %received.path, mode = mode.name());
    if let FailureMode::Slow(delay) = mode {
        tokio::time::sleep(delay).await;
    }
    let body = tables::render(
        answer.body,
        table.content_type,
        &Placeholders {
            doc_no: id.doc_no,
            doc_type: id.doc_type,
            message_id: message_id.unwrap_or_default(),
        },
    );
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    (status, [(header::CONTENT_TYPE, table.content_type)], body).into_response()
}

// ---------------------------------------------------------------------------------------------
// MLLP
// ---------------------------------------------------------------------------------------------

fn serve_mllp(shared: &Arc<Shared>) -> ServeFn {
    let shared = Arc::clone(shared);
    Arc::new(move |mut listener: SimListener, mut stop| {
        let shared = Arc::clone(&shared);
        Box::pin(async move {
            loop {
                tokio::select! {
                    (stream, peer) = listener.accept_connection() => {
                        debug!(message = "MLLP connection.", %peer);
                        tokio::spawn(mllp_connection(Arc::clone(&shared), stream, stop.clone()));
                    }
                    () = stopped(&mut stop) => break,
                }
            }
            drop(listener);
        })
    })
}

/// Serves one MLLP connection until the peer closes it or the generation stops.
async fn mllp_connection(
    shared: Arc<Shared>,
    mut stream: TcpStream,
    mut stop: watch::Receiver<bool>,
) {
    let mut deframer = Deframer::new(shared.max_body_bytes);
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        let read = tokio::select! {
            read = stream.read(&mut buffer) => read,
            () = stopped(&mut stop) => return,
        };
        let n = match read {
            Ok(0) => return,
            Ok(n) => n,
            Err(error) => {
                debug!(message = "MLLP connection failed.", %error);
                return;
            }
        };
        deframer.push(buffer.get(..n).unwrap_or_default());
        while let Some(next) = deframer.next_frame() {
            let payload = match next {
                Ok(payload) => payload,
                Err(error) => {
                    warn!(message = "MLLP framing fault; skipped.", %error);
                    continue;
                }
            };
            let Some(answer) = mllp_answer(&shared, payload, &mut stop).await else {
                return;
            };
            if let Err(error) = stream.write_all(&frame(&answer)).await {
                debug!(message = "Could not write the ACK.", %error);
                return;
            }
        }
    }
}

/// Records one HL7 message and builds its answer (`None`: the generation stopped while a
/// `slow` answer was pending).
async fn mllp_answer(
    shared: &Shared,
    payload: Vec<u8>,
    stop: &mut watch::Receiver<bool>,
) -> Option<Vec<u8>> {
    let mode = shared.mode.for_request();
    let answers = tables::HEALTH.answers;
    let view = Hl7View::parse(&payload);
    let planned = match mode {
        FailureMode::Ok | FailureMode::Slow(_) | FailureMode::Down => answers.ok,
        FailureMode::Error5xx => answers.error_5xx,
        FailureMode::Reject4xx => answers.reject_4xx,
        FailureMode::Malformed => answers.malformed,
    };
    // What is not HL7 is refused, whatever the mode (except the malformed answer).
    let planned = match (&view, planned) {
        (Err(_), Hl7Answer::Ack(..)) => Hl7Answer::Ack(AckCode::Ar, Some("not an HL7 v2 message")),
        (_, planned) => planned,
    };
    let ack_code = match planned {
        Hl7Answer::Ack(code, _) => Some(code.as_str()),
        Hl7Answer::Raw(_) => None,
    };
    shared.recorder.record(
        Transport::Mllp,
        String::new(),
        None,
        None,
        payload,
        Answered {
            mode: mode.name(),
            status: None,
            ack_code,
        },
    );
    if let FailureMode::Slow(delay) = mode {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stopped(stop) => return None,
        }
    }
    let now = crate::clock::hl7_utc8(SystemTime::now());
    Some(match (planned, &view) {
        (Hl7Answer::Ack(code, text), Ok(view)) => hl7::ack(view, code, text, &now),
        (Hl7Answer::Ack(code, text), Err(_)) => format!(
            "MSH|^~\\&|HIS|SIMULATOR|||{now}||ACK|ACK-UNKNOWN|P|2.5\rMSA|{}||{}\r",
            code.as_str(),
            text.unwrap_or_default()
        )
        .into_bytes(),
        (Hl7Answer::Raw(bytes), _) => bytes.to_vec(),
    })
}
