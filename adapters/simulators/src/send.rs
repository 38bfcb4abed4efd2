//! Sending: the simulated department system sends its native documents to an adapter's
//! inbound endpoint and keeps the answers — from a test ([`Sender::post`],
//! [`Sender::send_mllp`], [`Sender::send`]) or from a script directory ([`Sender::send_dir`]:
//! every file, in file-name order).
//!
//! Targets ([`Target`]): `http://host:port[/path]` (HTTP `POST`) or `mllp://host:port`. An
//! HTTP target without a path gets the department's own inbound path
//! ([`crate::tables::InboundPath`]: `/police/documents`, the STATION resource of the
//! document's `docType`, …).
//!
//! Script files: `*.xml` → `application/xml; charset=<the declared encoding, UTF-8 when
//! none>`, `*.json` → `application/json; charset=UTF-8`, `*.hl7`/`*.er7` → HL7 (over MLLP,
//! with LF and CR LF line ends turned into the CR HL7 wants); other files and names starting
//! with `.` are skipped.
//!
//! Invariant: a failed send (refused connection, timeout) is recorded as such
//! ([`SentOutcome::Failed`]) and a script goes on with the next file; each answer is
//! recorded in order, with the file it answers.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::department::Department;
use crate::error::SimError;
use crate::mllp::{Deframer, frame};
use crate::record::{RecordFile, base64, body_text};
use crate::tables::{self, InboundPath};

/// Content type of HL7 v2 sent over HTTP (MLLP has none).
pub const HL7_CONTENT_TYPE: &str = "x-application/hl7-v2+er7";

/// Where documents go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// HTTP `POST` to this URL.
    Http(String),
    /// MLLP to this `host:port`.
    Mllp(String),
}

impl std::str::FromStr for Target {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(address) = s
            .strip_prefix("mllp://")
            .or_else(|| s.strip_prefix("tcp://"))
        {
            let address = address.trim_end_matches('/');
            if address.is_empty() || !address.contains(':') {
                return Err(SimError::Target(s.to_owned()));
            }
            return Ok(Target::Mllp(address.to_owned()));
        }
        match reqwest::Url::parse(s) {
            Ok(url) if url.scheme() == "http" || url.scheme() == "https" => {
                Ok(Target::Http(s.to_owned()))
            }
            _ => Err(SimError::Target(s.to_owned())),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Http(url) => f.write_str(url),
            Target::Mllp(address) => write!(f, "mllp://{address}"),
        }
    }
}

/// What came back for one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentOutcome {
    /// An HTTP answer.
    Http {
        /// Status.
        status: u16,
        /// `Content-Type` of the answer.
        content_type: Option<String>,
        /// Body.
        body: Vec<u8>,
    },
    /// An MLLP answer: the payload of the frame that came back (the ACK).
    Mllp {
        /// The ACK.
        ack: Vec<u8>,
    },
    /// No answer: could not connect, the connection broke, or the timeout passed.
    Failed {
        /// Why.
        error: String,
    },
}

/// One document sent, and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Send number, from 1.
    pub seq: u64,
    /// When the answer came (or the send failed), RFC 3339 in Beijing time.
    pub answered_at: String,
    /// The script file, when sent from a directory.
    pub file: Option<PathBuf>,
    /// The URL or `mllp://address` it went to.
    pub target: String,
    /// The document's content type (HTTP).
    pub content_type: Option<String>,
    /// The document.
    pub body: Vec<u8>,
    /// The answer.
    pub outcome: SentOutcome,
    /// How long the answer took.
    pub elapsed: Duration,
}

impl Sent {
    /// The answer's body (HTTP) or ACK (MLLP); empty when the send failed.
    pub fn answer_body(&self) -> &[u8] {
        match &self.outcome {
            SentOutcome::Http { body, .. } => body,
            SentOutcome::Mllp { ack } => ack,
            SentOutcome::Failed { .. } => &[],
        }
    }

    /// The answer as JSON (the record file's form), `"kind": "answer"`.
    pub fn to_json(&self) -> Value {
        let (status, content_type, error) = match &self.outcome {
            SentOutcome::Http {
                status,
                content_type,
                ..
            } => (Some(*status), content_type.clone(), None),
            SentOutcome::Mllp { .. } => (None, None, None),
            SentOutcome::Failed { error } => (None, None, Some(error.clone())),
        };
        let answer = self.answer_body();
        json!({
            "kind": "answer",
            "seq": self.seq,
            "answered_at": self.answered_at,
            "file": self.file.as_ref().map(|f| f.display().to_string()),
            "target": self.target,
            "status": status,
            "content_type": content_type,
            "error": error,
            "elapsed_ms": u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
            "body_text": body_text(content_type.as_deref(), answer),
            "body_base64": base64(answer),
        })
    }
}

/// Sends documents as one department system and keeps the answers.
#[derive(Debug)]
pub struct Sender {
    department: Department,
    client: reqwest::Client,
    timeout: Duration,
    sent: Mutex<Vec<Sent>>,
    record: Option<RecordFile>,
}

impl Sender {
    /// A sender for `department`'s system; each send waits at most `timeout` for its answer
    /// (connecting included).
    pub fn new(department: Department, timeout: Duration) -> Result<Sender, SimError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| SimError::Send {
                target: String::new(),
                detail: format!("HTTP client: {e}"),
            })?;
        Ok(Sender {
            department,
            client,
            timeout,
            sent: Mutex::new(Vec::new()),
            record: None,
        })
    }

    /// Also appends every answer to `record` (JSON lines, `"kind": "answer"`).
    pub fn with_record(mut self, record: RecordFile) -> Sender {
        self.record = Some(record);
        self
    }

    /// Every document sent so far, with its answer, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `POST`s `body` to exactly `url` and returns (and records) the answer.
    pub async fn post(&self, url: &str, content_type: &str, body: Vec<u8>) -> Sent {
        self.post_file(url, content_type, body, None).await
    }

    async fn post_file(
        &self,
        url: &str,
        content_type: &str,
        body: Vec<u8>,
        file: Option<PathBuf>,
    ) -> Sent {
        let started = Instant::now();
        let answer = async {
            let response = self
                .client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body.clone())
                .send()
                .await?;
            let status = response.status().as_u16();
            let answer_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let bytes = response.bytes().await?;
            Ok::<_, reqwest::Error>(SentOutcome::Http {
                status,
                content_type: answer_type,
                body: bytes.to_vec(),
            })
        }
        .await;
        let outcome = answer.unwrap_or_else(|e| SentOutcome::Failed {
            error: describe(&e),
        });
        self.keep(
            url.to_owned(),
            Some(content_type.to_owned()),
            body,
            file,
            outcome,
            started,
        )
    }

    /// Sends one HL7 message over MLLP to `address` (`host:port`) on a new connection and
    /// returns (and records) the ACK.
    pub async fn send_mllp(&self, address: &str, message: Vec<u8>) -> Sent {
        self.send_mllp_file(address, message, None).await
    }

    async fn send_mllp_file(&self, address: &str, message: Vec<u8>, file: Option<PathBuf>) -> Sent {
        let started = Instant::now();
        let outcome =
            match tokio::time::timeout(self.timeout, mllp_exchange(address, &message)).await {
                Ok(Ok(ack)) => SentOutcome::Mllp { ack },
                Ok(Err(error)) => SentOutcome::Failed { error },
                Err(_) => SentOutcome::Failed {
                    error: format!(
                        "no ACK within {} ms",
                        u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX)
                    ),
                },
            };
        self.keep(
            format!("mllp://{address}"),
            None,
            message,
            file,
            outcome,
            started,
        )
    }

    /// Sends one document to `target`: HTTP with `content_type` (to the department's own
    /// inbound path when the URL has none), or MLLP.
    pub async fn send(&self, target: &Target, content_type: &str, body: Vec<u8>) -> Sent {
        self.send_file(target, content_type, body, None).await
    }

    async fn send_file(
        &self,
        target: &Target,
        content_type: &str,
        body: Vec<u8>,
        file: Option<PathBuf>,
    ) -> Sent {
        match target {
            Target::Http(url) => {
                let url = self.resolve(url, &body);
                self.post_file(&url, content_type, body, file).await
            }
            Target::Mllp(address) => self.send_mllp_file(address, body, file).await,
        }
    }

    /// The URL a document goes to: `url` as given when it has a path, else with the
    /// department's inbound path for the document.
    pub fn resolve(&self, url: &str, body: &[u8]) -> String {
        let has_path =
            reqwest::Url::parse(url).is_ok_and(|u| u.path() != "/" && !u.path().is_empty());
        if has_path {
            return url.to_owned();
        }
        let inbound = tables::http_table(self.department).map_or(InboundPath::None, |t| t.inbound);
        match inbound.for_document(body) {
            Some(path) => format!("{}{path}", url.trim_end_matches('/')),
            None => url.to_owned(),
        }
    }

    /// Sends every document file of `dir` to `target`, in file-name order, one after the
    /// other (each answer awaited before the next file). Fails only when `dir` cannot be
    /// read; failed sends are in the returned list.
    pub async fn send_dir(&self, dir: &Path, target: &Target) -> Result<Vec<Sent>, SimError> {
        let files = script_files(dir)?;
        let mut answers = Vec::with_capacity(files.len());
        for (path, kind) in files {
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|source| SimError::File {
                    path: path.clone(),
                    source,
                })?;
            let (content_type, body) = match kind {
                FileKind::Xml => (xml_content_type(&bytes), bytes),
                FileKind::Json => ("application/json; charset=UTF-8".to_owned(), bytes),
                FileKind::Hl7 => (HL7_CONTENT_TYPE.to_owned(), hl7_line_ends(&bytes)),
            };
            answers.push(
                self.send_file(target, &content_type, body, Some(path))
                    .await,
            );
        }
        Ok(answers)
    }

    fn keep(
        &self,
        target: String,
        content_type: Option<String>,
        body: Vec<u8>,
        file: Option<PathBuf>,
        outcome: SentOutcome,
        started: Instant,
    ) -> Sent {
        let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        let seq = u64::try_from(sent.len())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let record = Sent {
            seq,
            answered_at: crate::clock::rfc3339_utc8(SystemTime::now()),
            file,
            target,
            content_type,
            body,
            outcome,
            elapsed: started.elapsed(),
        };
        sent.push(record.clone());
        if let Some(file) = &self.record {
            file.write(&record.to_json());
        }
        record
    }
}

/// A reqwest error with its causes (the first line alone often says only "error sending
/// request").
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if error.is_timeout() {
        text.push_str(" (timeout)");
    }
    text
}

/// Connects, sends one frame, reads until one whole frame comes back.
async fn mllp_exchange(address: &str, message: &[u8]) -> Result<Vec<u8>, String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    stream
        .write_all(&frame(message))
        .await
        .map_err(|e| format!("cannot write: {e}"))?;
    let mut deframer = Deframer::default();
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        let n = stream
            .read(&mut buffer)
            .await
            .map_err(|e| format!("cannot read the ACK: {e}"))?;
        if n == 0 {
            return Err("the connection closed without an ACK".to_owned());
        }
        deframer.push(buffer.get(..n).unwrap_or_default());
        match deframer.next_frame() {
            Some(Ok(ack)) => return Ok(ack),
            Some(Err(fault)) => return Err(format!("bad MLLP answer: {fault}")),
            None => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Xml,
    Json,
    Hl7,
}

/// The document files of a script directory, by name.
fn script_files(dir: &Path) -> Result<Vec<(PathBuf, FileKind)>, SimError> {
    let error = |source| SimError::File {
        path: dir.to_owned(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(error)? {
        let path = entry.map_err(error)?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || !path.is_file() {
            continue;
        }
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let kind = match extension.as_str() {
            "xml" => FileKind::Xml,
            "json" => FileKind::Json,
            "hl7" | "er7" => FileKind::Hl7,
            _ => continue,
        };
        files.push((name, path, kind));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files
        .into_iter()
        .map(|(_, path, kind)| (path, kind))
        .collect())
}

fn xml_content_type(bytes: &[u8]) -> String {
    let charset = crate::view::xml_declared_encoding(bytes).unwrap_or_else(|| "UTF-8".to_owned());
    format!("application/xml; charset={charset}")
}

/// HL7 segments end with CR: CR LF and lone LF become CR; trailing blank lines go.
fn hl7_line_ends(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                out.push(b'\r');
                i += 1;
            }
            b'\n' => out.push(b'\r'),
            _ => out.push(b),
        }
        i += 1;
    }
    while out.ends_with(b"\r\r") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(
            "mllp://127.0.0.1:2575".parse::<Target>().unwrap(),
            Target::Mllp("127.0.0.1:2575".to_owned())
        );
        assert_eq!(
            "http://127.0.0.1:8081/police/documents"
                .parse::<Target>()
                .unwrap(),
            Target::Http("http://127.0.0.1:8081/police/documents".to_owned())
        );
        assert!("ftp://x".parse::<Target>().is_err());
        assert!("mllp://nohost".parse::<Target>().is_err());
        assert!("127.0.0.1:80".parse::<Target>().is_err());
    }

    #[test]
    fn line_ends_become_cr() {
        assert_eq!(
            hl7_line_ends(b"MSH|a\r\nPID|1\nPV1|2\n\n"),
            b"MSH|a\rPID|1\rPV1|2\r"
        );
        assert_eq!(hl7_line_ends(b"MSH|a\rPID|1\r"), b"MSH|a\rPID|1\r");
    }

    #[test]
    fn urls_without_a_path_get_the_departments_inbound_path() {
        let police = Sender::new(Department::Police, Duration::from_secs(1)).unwrap();
        assert_eq!(
            police.resolve("http://h:1", b"<JJB/>"),
            "http://h:1/police/documents"
        );
        assert_eq!(police.resolve("http://h:1/x", b"<JJB/>"), "http://h:1/x");
        let station = Sender::new(Department::Station, Duration::from_secs(1)).unwrap();
        assert_eq!(
            station.resolve("http://h:1/", br#"{"head":{"docType":"leave"}}"#),
            "http://h:1/api/v1/leaves"
        );
        assert_eq!(station.resolve("http://h:1", b"{}"), "http://h:1");
    }

    #[test]
    fn xml_files_are_sent_in_their_declared_charset() {
        assert_eq!(
            xml_content_type(b"<?xml version=\"1.0\" encoding=\"GB18030\"?><a/>"),
            "application/xml; charset=GB18030"
        );
        assert_eq!(xml_content_type(b"<a/>"), "application/xml; charset=UTF-8");
    }
}
