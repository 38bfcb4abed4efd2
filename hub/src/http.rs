//! HTTP ingress for department systems that cannot hold an AMQP connection, and the health
//! endpoints.
//!
//! * `POST /v1/messages` — bearer token per department (stored hashed in config). The
//!   message is validated, its sender checked against the token and its type against the
//!   send side of the authorization matrix; then it is published to the department's ingress
//!   queue. `202` only after the publish is confirmed; `4xx` with every violation as JSON
//!   otherwise; `413` over the size limit; `503` when the broker is unreachable (the
//!   department retries; nothing was accepted).
//! * `GET /healthz` — the process is up. `GET /readyz` — broker and store reachable.
//!
//! Invariant: a 202 means the message is durably in `ingress.<DEPT>`; the pipeline then
//! treats it exactly like an AMQP-published message (the hub's own broker user publishes it
//! with `x-hub-original-publisher`, which the pipeline trusts only from that user).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use contracts::Registry;
use contracts::model::Actor;
use serde_json::{Value, json};

use crate::config::HubConfig;
use crate::store::Store;
use crate::transport::{Address, HeaderValue, Headers, Outgoing, Transport, header};

/// What the handlers share.
#[derive(Debug)]
pub struct HttpState<T> {
    /// The catalogue.
    pub registry: Arc<Registry>,
    /// Configuration (tokens, authorization).
    pub config: Arc<HubConfig>,
    /// The transport to publish to ingress.
    pub transport: Arc<T>,
    /// The store (readiness).
    pub store: Store,
}

/// The router of the hub's HTTP API.
pub fn router<T: Transport>(state: Arc<HttpState<T>>) -> Router {
    let limit = usize::try_from(state.config.http.max_body_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route("/v1/messages", post(submit::<T>))
        .route("/healthz", get(|| async { (StatusCode::OK, "ok\n") }))
        .route("/readyz", get(ready::<T>))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

fn problem(status: StatusCode, title: &str, violations: Value) -> Response {
    (
        status,
        axum::Json(json!({ "status": status.as_u16(), "title": title, "violations": violations })),
    )
        .into_response()
}

fn one(pointer: &str, rule: &str, message: String) -> Value {
    json!([{ "pointer": pointer, "rule": rule, "message": message }])
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

async fn submit<T: Transport>(
    State(state): State<Arc<HttpState<T>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(department) = bearer(&headers).and_then(|t| state.config.department_of_token(t))
    else {
        return problem(
            StatusCode::UNAUTHORIZED,
            "unknown or missing bearer token",
            one(
                "",
                "authentication",
                "send `Authorization: Bearer <your department's token>`.".to_owned(),
            ),
        );
    };
    let validated = match state.registry.validate_message(&body) {
        Ok(v) => v,
        Err(report) => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the message breaks its contract",
                serde_json::to_value(&report.violations).unwrap_or(Value::Null),
            );
        }
    };
    let message_type = validated.message_type.as_str();
    let declared = validated
        .value
        .get("sender_org_type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if declared != department.as_str() {
        return problem(
            StatusCode::FORBIDDEN,
            "sender mismatch",
            one(
                "/sender_org_type",
                "sender",
                format!(
                    "the token belongs to {}, the message says {declared}.",
                    department.as_str()
                ),
            ),
        );
    }
    if !state
        .config
        .authorization
        .may_send(department, message_type)
    {
        return problem(
            StatusCode::FORBIDDEN,
            "not authorized",
            one(
                "/message_type",
                "authorization",
                format!("{} may not send {message_type}.", department.as_str()),
            ),
        );
    }
    let message_id = validated
        .value
        .get("message_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut hub_headers = Headers::new();
    hub_headers.insert(
        header::ORIGINAL_PUBLISHER.to_owned(),
        HeaderValue::Text(department.as_str().to_owned()),
    );
    let outgoing = Outgoing {
        address: Address::Ingress(department),
        message_type: message_type.to_owned(),
        message_id: message_id.clone(),
        body: body.to_vec(),
        headers: hub_headers,
    };
    match state.transport.publish(outgoing).await {
        Ok(()) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({ "message_id": message_id, "status": "accepted" })),
        )
            .into_response(),
        Err(error) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the hub could not store the message; send it again",
            one("", "broker", error.to_string()),
        ),
    }
}

async fn ready<T: Transport>(State(state): State<Arc<HttpState<T>>>) -> Response {
    let broker = state.transport.is_ready();
    let store = state.store.ping().await;
    let status = if broker && store {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(json!({ "broker": broker, "store": store })),
    )
        .into_response()
}

/// Departments in the order the hub serves them (every actor but the hub itself).
pub fn departments() -> impl Iterator<Item = Actor> {
    Actor::ALL.into_iter().filter(|a| *a != Actor::Hub)
}
