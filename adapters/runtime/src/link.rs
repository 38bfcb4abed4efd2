//! How an outbound native document reaches the department system: the [`DepartmentLink`]
//! trait, and [`HttpLink`] (reqwest) for the departments whose systems take HTTP. The
//! HEALTH adapter brings its own MLLP link.
//!
//! Invariant: a link only carries bytes and reports what came back; judging the answer is
//! the codec's job ([`adapter_core::Codec::classify_response`]), retrying is the outbound
//! loop's.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use adapter_core::NativeDocument;

/// A boxed future (links are used as trait objects).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The department system's answer: status (HTTP status, or 200 for transports without one)
/// and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkResponse {
    /// HTTP status, or 200.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Why a call got no answer. Always transient: the system may be back later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Could not connect, or the connection broke.
    #[error("department system unreachable: {0}")]
    Unreachable(String),
    /// No answer within the timeout.
    #[error("department system did not answer within {0} ms")]
    Timeout(u64),
}

/// Carries native documents to a department system.
pub trait DepartmentLink: Send + Sync + std::fmt::Debug + 'static {
    /// Sends one document (whose canonical `message_id` is given for the department's own
    /// deduplication and logs) and returns the system's answer.
    fn send<'a>(
        &'a self,
        document: &'a NativeDocument,
        message_id: &'a str,
    ) -> BoxFuture<'a, Result<LinkResponse, LinkError>>;
}

/// The header carrying the canonical message id on outbound HTTP calls.
pub const MESSAGE_ID_HEADER: &str = "X-Hub-Message-Id";

/// HTTP `POST` of each document to `base_url` + [`NativeDocument::path`].
#[derive(Debug, Clone)]
pub struct HttpLink {
    client: reqwest::Client,
    base_url: String,
    timeout_ms: u64,
}

impl HttpLink {
    /// A link to the system at `base_url` (`http://127.0.0.1:8081`), each call bounded by
    /// `timeout_ms` (connect included).
    pub fn new(base_url: &str, timeout_ms: u64) -> Result<Self, crate::RuntimeError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(timeout_ms))
            .connect_timeout(Duration::from_millis(timeout_ms))
            .build()
            .map_err(|e| crate::RuntimeError::Config(format!("HTTP client: {e}")))?;
        reqwest::Url::parse(base_url).map_err(|e| {
            crate::RuntimeError::Config(format!("department base URL {base_url:?}: {e}"))
        })?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            timeout_ms,
        })
    }
}

impl DepartmentLink for HttpLink {
    fn send<'a>(
        &'a self,
        document: &'a NativeDocument,
        message_id: &'a str,
    ) -> BoxFuture<'a, Result<LinkResponse, LinkError>> {
        Box::pin(async move {
            let url = format!("{}{}", self.base_url, document.path);
            let response = self
                .client
                .post(&url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    document.content_type.as_str(),
                )
                .header(MESSAGE_ID_HEADER, message_id)
                .body(document.body.clone())
                .send()
                .await
                .map_err(|e| self.error(&e))?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(|e| self.error(&e))?;
            Ok(LinkResponse {
                status,
                body: body.to_vec(),
            })
        })
    }
}

impl HttpLink {
    fn error(&self, error: &reqwest::Error) -> LinkError {
        if error.is_timeout() {
            LinkError::Timeout(self.timeout_ms)
        } else {
            LinkError::Unreachable(error.to_string())
        }
    }
}
