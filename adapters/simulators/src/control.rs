//! The control endpoint, for users outside the process (the demo, shell scripts, e2e tests
//! running the binaries):
//!
//! | request | answer |
//! |---|---|
//! | `GET /_sim/mode` | `{"mode": "ok"}` (plus `delay_ms`, `remaining` when they apply) |
//! | `POST /_sim/mode` `{"mode": "error_5xx", "count": 3}` | the new mode; 400 with `{"error": …}` when invalid |
//! | `GET /_sim/received` | every record, as JSON (see [`crate::Received::to_json`]) |
//! | `DELETE /_sim/received` | forgets them (204) |
//! | `GET /_sim/wait?count=N&timeout_ms=T` | the records once `N` are held (200), or 408 with `{"error": …, "arrived": n}` after `T` (default 10 000, at most 600 000) ms |
//! | `GET /_sim/health` | `{"department": "POLICE", "listen": "127.0.0.1:18081", "mode": …}` |
//!
//! Invariant: the control endpoint never records anything and is answered whatever the
//! failure mode (on the separate control port also while `down`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::SimError;
use crate::mode::ModeRequest;
use crate::sim::Shared;

/// Longest `/_sim/wait`.
const MAX_WAIT_MS: u64 = 600_000;

/// The `/_sim/*` routes over `shared`.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_sim/mode", get(get_mode).post(post_mode))
        .route("/_sim/received", get(get_received).delete(delete_received))
        .route("/_sim/wait", get(wait))
        .route("/_sim/health", get(health))
        .with_state(shared)
}

async fn get_mode(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(ModeRequest::of_status(shared.mode.status())).into_response()
}

async fn post_mode(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let request: ModeRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return bad_request(&SimError::Mode(error.to_string())),
    };
    let (mode, count) = match request.parse(shared.slow_delay) {
        Ok(parsed) => parsed,
        Err(error) => return bad_request(&error),
    };
    match shared.set_mode(mode, count).await {
        Ok(()) => axum::Json(ModeRequest::of_status(shared.mode.status())).into_response(),
        Err(error @ SimError::Mode(_)) => bad_request(&error),
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({ "error": error.to_string() })),
        )
            .into_response(),
    }
}

fn bad_request(error: &SimError) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": error.to_string() })),
    )
        .into_response()
}

fn records(shared: &Shared) -> Value {
    Value::Array(
        shared
            .recorder
            .snapshot()
            .iter()
            .map(crate::Received::to_json)
            .collect(),
    )
}

async fn get_received(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(records(&shared)).into_response()
}

async fn delete_received(State(shared): State<Arc<Shared>>) -> Response {
    shared.recorder.clear();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Debug, Deserialize)]
struct WaitQuery {
    count: usize,
    timeout_ms: Option<u64>,
}

async fn wait(State(shared): State<Arc<Shared>>, Query(query): Query<WaitQuery>) -> Response {
    let timeout = Duration::from_millis(query.timeout_ms.unwrap_or(10_000).min(MAX_WAIT_MS));
    match shared.recorder.wait_for(query.count, timeout).await {
        Ok(_) => axum::Json(records(&shared)).into_response(),
        Err(SimError::WaitTimeout { arrived, .. }) => (
            StatusCode::REQUEST_TIMEOUT,
            axum::Json(json!({
                "error": format!("{} document(s) wanted, {arrived} arrived", query.count),
                "arrived": arrived,
            })),
        )
            .into_response(),
        Err(error) => bad_request(&error),
    }
}

async fn health(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(json!({
        "department": shared.department.as_str(),
        "listen": shared.local_addr.to_string(),
        "mode": ModeRequest::of_status(shared.mode.status()),
    }))
    .into_response()
}
