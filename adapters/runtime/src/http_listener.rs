//! The HTTP listener of the departments whose systems post documents (POLICE, CITYMGMT,
//! GRID, STATION): every `POST` (any path; the codec reads the document kind from the
//! document) goes to [`Inbound::handle`], and its native answer is returned as is (status,
//! content type, body). `GET /healthz` answers 200.
//!
//! Invariant: a body larger than `max_body_bytes` is refused with 413 before it is read
//! whole; nothing else is answered without going through [`Inbound`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hub::transport::Transport;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::adapter::Adapter;
use crate::error::RuntimeError;
use crate::inbound::Inbound;

/// A running listener.
#[derive(Debug)]
pub struct HttpListener {
    /// The bound address (the real port when 0 was asked).
    pub local_addr: SocketAddr,
    /// The server task; ends after the shutdown signal.
    pub task: JoinHandle<()>,
}

/// Binds `listen` and serves until `shutdown` turns true.
pub async fn serve<A, T>(
    inbound: Arc<Inbound<A, T>>,
    listen: &str,
    max_body_bytes: usize,
    mut shutdown: watch::Receiver<bool>,
) -> Result<HttpListener, RuntimeError>
where
    A: Adapter + ?Sized,
    T: Transport,
{
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| RuntimeError::Listen {
            address: listen.to_owned(),
            source,
        })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| RuntimeError::Listen {
            address: listen.to_owned(),
            source,
        })?;
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .fallback(post(submit::<A, T>))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(inbound);
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(async move { crate::outbound::stopped(&mut shutdown).await })
            .await
        {
            tracing::error!(message = "The adapter's HTTP listener failed.", %error);
        }
    });
    Ok(HttpListener { local_addr, task })
}

async fn submit<A, T>(State(inbound): State<Arc<Inbound<A, T>>>, body: Bytes) -> Response
where
    A: Adapter + ?Sized,
    T: Transport,
{
    let answer = inbound.handle(&body).await;
    let status = StatusCode::from_u16(answer.http_status).unwrap_or(StatusCode::OK);
    let content_type = HeaderValue::from_str(&answer.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        status,
        [(header::CONTENT_TYPE, content_type)],
        Body::from(answer.body),
    )
        .into_response()
}
