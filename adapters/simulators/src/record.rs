//! What a simulator received, for tests ([`Received`], snapshots and bounded waits) and for
//! people (a JSON-lines record file, [`RecordFile`]).
//!
//! Invariants:
//! * a document is recorded when it arrives, before it is answered (a `slow` answer is
//!   still pending when [`crate::Simulator::wait_for`] returns), with the answer the mode in force
//!   decided;
//! * waits are bounded and event-driven (a `watch` channel of the count), never polling or
//!   sleeping;
//! * records keep arrival order; `seq` numbers them from 1 per simulator.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::error::{SimError, ViewError};
use crate::view::{NativeView, charset_param, decode_text, is_gb, xml_declared_encoding};

/// How a document reached the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// An HTTP `POST`.
    Http,
    /// An MLLP frame.
    Mllp,
}

/// How the simulator answered (or will answer) a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// The failure mode in force for it (`ok`, `error_5xx`, `slow`, …).
    pub mode: &'static str,
    /// HTTP status (`None` for MLLP).
    pub status: Option<u16>,
    /// HL7 MSA-1 (`AA`, `AE`, `AR`; `None` for HTTP and for malformed answers).
    pub ack_code: Option<&'static str>,
}

/// One document the simulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Arrival number, from 1.
    pub seq: u64,
    /// Arrival time.
    pub at: SystemTime,
    /// Arrival time, RFC 3339 in Beijing time (`2025-03-01T07:26:41.123+08:00`).
    pub received_at: String,
    /// HTTP or MLLP.
    pub transport: Transport,
    /// Request path (`/jzgl/jsxx/XCSQ`); empty for MLLP.
    pub path: String,
    /// `Content-Type` header (`None` for MLLP and when absent).
    pub content_type: Option<String>,
    /// `X-Hub-Message-Id` header (`None` for MLLP and when absent).
    pub message_id: Option<String>,
    /// The body (HTTP) or frame payload (MLLP), as received.
    pub body: Vec<u8>,
    /// The answer.
    pub answered: Answered,
}

impl Received {
    /// The native view of the body (XML map, JSON value or HL7 segments).
    pub fn view(&self) -> Result<NativeView, ViewError> {
        NativeView::parse(self.content_type.as_deref(), &self.body)
    }

    /// The body as text, in the character set it declares (XML declaration, HL7 MSH-18, or
    /// the content type's `charset`; UTF-8 otherwise). `None` when it is not such text.
    pub fn text(&self) -> Option<String> {
        body_text(self.content_type.as_deref(), &self.body)
    }

    /// The record as JSON (the record file's and the control endpoint's form): body as
    /// `body_text` when it is text, always as `body_base64`.
    pub fn to_json(&self) -> Value {
        json!({
            "kind": "received",
            "seq": self.seq,
            "received_at": self.received_at,
            "transport": match self.transport { Transport::Http => "http", Transport::Mllp => "mllp" },
            "path": self.path,
            "content_type": self.content_type,
            "message_id": self.message_id,
            "body_text": self.text(),
            "body_base64": base64(&self.body),
            "answer": {
                "mode": self.answered.mode,
                "status": self.answered.status,
                "ack_code": self.answered.ack_code,
            },
        })
    }
}

/// The body as text in its declared character set (see [`Received::text`]).
pub(crate) fn body_text(content_type: Option<&str>, body: &[u8]) -> Option<String> {
    let declared = xml_declared_encoding(body)
        .or_else(|| msh18(body))
        .or_else(|| content_type.and_then(charset_param));
    match declared {
        Some(charset) if is_gb(&charset) => decode_text(body, Some("GB18030")).ok(),
        _ => decode_text(body, None).ok(),
    }
}

fn msh18(body: &[u8]) -> Option<String> {
    crate::hl7::Hl7View::parse(body)
        .ok()
        .map(|v| v.charset().to_owned())
        .filter(|c| !c.is_empty())
}

/// The documents held, and the number of the next one.
#[derive(Debug, Default)]
struct Held {
    records: Vec<Received>,
    /// Numbers go on after a clear.
    last_seq: u64,
}

/// The received documents of one simulator.
#[derive(Debug)]
pub(crate) struct Recorder {
    records: Mutex<Held>,
    count: watch::Sender<usize>,
    file: Option<RecordFile>,
}

impl Recorder {
    pub(crate) fn new(file: Option<RecordFile>) -> Recorder {
        Recorder {
            records: Mutex::new(Held::default()),
            count: watch::Sender::new(0),
            file,
        }
    }

    /// Records one document (numbering it) and wakes the waiters.
    pub(crate) fn record(
        &self,
        transport: Transport,
        path: String,
        content_type: Option<String>,
        message_id: Option<String>,
        body: Vec<u8>,
        answered: Answered,
    ) -> Received {
        let at = SystemTime::now();
        let mut held = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        held.last_seq += 1;
        let seq = held.last_seq;
        let received = Received {
            seq,
            at,
            received_at: crate::clock::rfc3339_utc8(at),
            transport,
            path,
            content_type,
            message_id,
            body,
            answered,
        };
        held.records.push(received.clone());
        let count = held.records.len();
        // Written under the lock, so the file keeps arrival order.
        if let Some(file) = &self.file {
            file.write(&received.to_json());
        }
        self.count.send_replace(count);
        drop(held);
        received
    }

    pub(crate) fn snapshot(&self) -> Vec<Received> {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .records
            .clone()
    }

    pub(crate) fn clear(&self) {
        let mut held = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        held.records.clear();
        self.count.send_replace(0);
        drop(held);
    }

    /// Waits until at least `n` documents are held, at most `timeout`.
    pub(crate) async fn wait_for(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<Received>, SimError> {
        let mut count = self.count.subscribe();
        let reached = tokio::time::timeout(timeout, count.wait_for(|c| *c >= n))
            .await
            .is_ok_and(|r| r.is_ok());
        if reached {
            Ok(self.snapshot())
        } else {
            // (The sender lives as long as the recorder, so only the time can run out.)
            Err(SimError::WaitTimeout {
                wanted: n,
                arrived: *count.borrow(),
                waited_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            })
        }
    }

    pub(crate) async fn close(&self) {
        if let Some(file) = &self.file {
            file.close().await;
        }
    }
}

/// A JSON-lines file: one JSON object per line, in order, written by a background task.
#[derive(Debug, Clone)]
pub struct RecordFile {
    path: PathBuf,
    lines: Arc<Mutex<Option<mpsc::UnboundedSender<String>>>>,
    writer: Arc<tokio::sync::Mutex<Option<JoinHandle<()>>>>,
}

impl RecordFile {
    /// Creates (truncates) `path`; lines are appended as they come.
    pub async fn create(path: &Path) -> Result<RecordFile, SimError> {
        let mut file = tokio::fs::File::create(path)
            .await
            .map_err(|source| SimError::File {
                path: path.to_owned(),
                source,
            })?;
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        let shown = path.to_owned();
        let writer = tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                let written = async {
                    file.write_all(line.as_bytes()).await?;
                    file.write_all(b"\n").await?;
                    file.flush().await
                }
                .await;
                if let Err(error) = written {
                    tracing::warn!(message = "Could not write the record file.", path = %shown.display(), %error);
                }
            }
        });
        Ok(RecordFile {
            path: path.to_owned(),
            lines: Arc::new(Mutex::new(Some(tx))),
            writer: Arc::new(tokio::sync::Mutex::new(Some(writer))),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line (after those written before).
    pub fn write(&self, value: &Value) {
        let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tx) = lines.as_ref() {
            // A send fails only after close: nothing more is written then, by design.
            let _closed = tx.send(value.to_string());
        }
    }

    /// Writes what is queued and stops; later writes are dropped.
    pub async fn close(&self) {
        drop(
            self.lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let writer = self.writer.lock().await.take();
        if let Some(writer) = writer
            && let Err(error) = writer.await
        {
            tracing::warn!(message = "The record file writer failed.", %error);
        }
    }
}

/// Standard base64 with padding (RFC 4648 §4).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 63) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn base64_known_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    fn ok() -> Answered {
        Answered {
            mode: "ok",
            status: Some(200),
            ack_code: None,
        }
    }

    #[tokio::test]
    async fn wait_for_is_bounded_and_wakes_on_arrival() {
        let recorder = Arc::new(Recorder::new(None));
        let err = recorder
            .wait_for(1, Duration::from_millis(20))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            SimError::WaitTimeout {
                wanted: 1,
                arrived: 0,
                ..
            }
        ));
        let r = Arc::clone(&recorder);
        let waiter = tokio::spawn(async move { r.wait_for(2, Duration::from_secs(10)).await });
        for i in 0..2 {
            recorder.record(Transport::Http, format!("/{i}"), None, None, vec![], ok());
        }
        let got = waiter.await.unwrap().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].seq, 2);
        assert_eq!(got[1].path, "/1");
        recorder.clear();
        assert!(recorder.snapshot().is_empty());
        // Numbering goes on after a clear.
        let third = recorder.record(Transport::Mllp, String::new(), None, None, vec![], ok());
        assert_eq!(third.seq, 3);
    }

    #[tokio::test]
    async fn record_file_gets_one_line_per_document() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.jsonl");
        let file = RecordFile::create(&path).await.unwrap();
        let recorder = Recorder::new(Some(file));
        let (gb, _, _) = encoding_rs::GB18030
            .encode("<?xml version=\"1.0\" encoding=\"GB18030\"?><JJB><xm>王根宝</xm></JJB>");
        recorder.record(
            Transport::Http,
            "/a".to_owned(),
            Some("application/xml; charset=GB18030".to_owned()),
            Some("m-1".to_owned()),
            gb.into_owned(),
            ok(),
        );
        recorder.record(
            Transport::Http,
            "/b".to_owned(),
            None,
            None,
            vec![0xff],
            ok(),
        );
        recorder.close().await;
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["message_id"], "m-1");
        assert!(lines[0]["body_text"].as_str().unwrap().contains("王根宝"));
        assert_eq!(lines[1]["body_text"], Value::Null);
        assert_eq!(lines[1]["body_base64"], "/w==");
        assert_eq!(lines[1]["answer"]["status"], 200);
    }
}
