//! HTTP ingress for department systems that cannot hold an AMQP connection, and the health
//! endpoints.
//!
//! * `POST /v1/messages` — bearer token per department (stored hashed in config). The
//!   message is validated, its sender checked against the token and its type against the
//!   send side of the authorization matrix; then it is published to the department's ingress
//!   queue. `202` only after the publish is confirmed; `4xx` with every violation as JSON
//!   otherwise (`401` unknown token, `413` over the size limit, `422` contract violations,
//!   `403` sender or organisation code not the token's, or a type the department may not
//!   send); `503` when the broker is unreachable or the publish is not confirmed within
//!   `request_timeout_ms` (the outcome is unknown: the department sends again, and the
//!   pipeline deduplicates by `message_id`).
//! * `GET /v1/deadlines` — the deadline board ([`crate::deadlines::board`]) as JSON: open,
//!   due-soon and breached deadlines and the on-time compliance per rule, at the deadline
//!   clock's "now". An operator token (`http.ops_token_sha256`) reads the whole board; a
//!   department's token reads the part it is party to; anything else is `401`. `503` when
//!   the store cannot be read.
//! * `GET /v1/cases/{id}/timeline` — the case timeline ([`crate::cases::store`]): every
//!   message of the case in accepted order with what each recipient received, and the
//!   case's state history. Same tokens as the deadline board: an operator sees everything,
//!   a department the messages it sent or received (else `404`, like an unknown case).
//! * `GET /v1/identity/persons/{id}`, `/v1/identity/cases/{id}`, `/v1/identity/checks`,
//!   `/v1/identity/reviews`, `/v1/identity/drift` — the identity registry
//!   ([`crate::identity::http`]).
//! * `GET /healthz` — the process is up. `GET /readyz` — broker and store reachable.
//!
//! Invariant: a 202 means the message is durably in `ingress.<DEPT>`; the pipeline then
//! treats it exactly like an AMQP-published message (the hub's own broker user publishes it
//! with `x-hub-original-publisher`, which the pipeline trusts only from that user).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue as HttpHeaderValue, StatusCode, header::AUTHORIZATION};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use contracts::Registry;
use contracts::model::Actor;
use serde_json::{Value, json};

use crate::config::HubConfig;
use crate::deadlines::{Deadlines, board};
use crate::pipeline::RejectionStage;
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
    /// The store (readiness, deadline board).
    pub store: Store,
    /// The deadline rules and their clock (deadline board).
    pub deadlines: Deadlines,
}

/// The router of the hub's HTTP API.
pub fn router<T: Transport>(state: Arc<HttpState<T>>) -> Router {
    let limit = usize::try_from(state.config.http.max_body_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route("/v1/messages", post(submit::<T>))
        .route("/v1/deadlines", get(deadline_board::<T>))
        .route("/v1/cases/{id}/timeline", get(case_timeline::<T>))
        .route(
            "/v1/identity/persons/{id}",
            get(crate::identity::http::person::<T>),
        )
        .route(
            "/v1/identity/cases/{id}",
            get(crate::identity::http::person_of_case::<T>),
        )
        .route(
            "/v1/identity/checks",
            get(crate::identity::http::checks::<T>),
        )
        .route(
            "/v1/identity/reviews",
            get(crate::identity::http::reviews::<T>),
        )
        .route("/v1/identity/drift", get(crate::identity::http::drift::<T>))
        .route("/healthz", get(|| async { (StatusCode::OK, "ok\n") }))
        .route("/readyz", get(ready::<T>))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

pub(crate) fn problem(status: StatusCode, title: &str, violations: Value) -> Response {
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

/// `401` with `WWW-Authenticate: Bearer`, saying which token to send.
fn unauthorized(which: &str) -> Response {
    let mut response = problem(
        StatusCode::UNAUTHORIZED,
        "unknown or missing bearer token",
        one(
            "",
            "authentication",
            format!("send `Authorization: Bearer <{which}>`."),
        ),
    );
    response.headers_mut().insert(
        axum::http::header::WWW_AUTHENTICATE,
        HttpHeaderValue::from_static("Bearer"),
    );
    response
}

/// Who reads: an operator, or a department by its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// An operator token (`http.ops_token_sha256`).
    Ops,
    /// A department's token.
    Department(Actor),
}

/// The reader of a request (`None`: answer [`unauthorized_reader`]).
pub(crate) fn reader<T>(state: &HttpState<T>, headers: &HeaderMap) -> Option<Reader> {
    let token = bearer(headers).unwrap_or_default();
    if state.config.is_ops_token(token) {
        return Some(Reader::Ops);
    }
    state
        .config
        .department_of_token(token)
        .map(Reader::Department)
}

/// The `401` for a request with neither an operator's nor a department's token.
pub(crate) fn unauthorized_reader() -> Response {
    unauthorized("an operator's or your department's token")
}

async fn submit<T: Transport>(
    State(state): State<Arc<HttpState<T>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(department) = bearer(&headers).and_then(|t| state.config.department_of_token(t))
    else {
        return unauthorized("your department's token");
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let (title, rule, detail) = if status == StatusCode::PAYLOAD_TOO_LARGE {
                (
                    "the message is too large",
                    "size",
                    format!(
                        "the body exceeds the limit of {} bytes.",
                        state.config.http.max_body_bytes
                    ),
                )
            } else {
                ("the body could not be read", "body", rejection.body_text())
            };
            return problem(status, title, one("", rule, detail));
        }
    };
    let validated = match state.registry.validate_message(&body) {
        Ok(v) => v,
        Err(report) => {
            let stage = crate::pipeline::stage_of(&report);
            let violations = serde_json::to_value(&report.violations).unwrap_or(Value::Null);
            let parsed: Option<Value> = serde_json::from_slice(&body).ok();
            keep_refused(
                &state.store,
                department,
                &body,
                parsed.as_ref(),
                stage,
                &violations,
            )
            .await;
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the message breaks its contract",
                violations,
            );
        }
    };
    let message_type = validated.message_type.as_str();
    if let Err((stage, reasons)) =
        crate::pipeline::admit(&state.config, department, &validated.value)
    {
        let violations = serde_json::to_value(&reasons).unwrap_or(Value::Null);
        keep_refused(
            &state.store,
            department,
            &body,
            Some(&validated.value),
            stage,
            &violations,
        )
        .await;
        let title = match stage {
            RejectionStage::Unauthorized => "not authorized",
            _ => "sender mismatch",
        };
        return problem(StatusCode::FORBIDDEN, title, violations);
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
    let timeout = Duration::from_millis(state.config.http.request_timeout_ms);
    match tokio::time::timeout(timeout, state.transport.publish(outgoing)).await {
        Ok(Ok(())) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({ "message_id": message_id, "status": "accepted" })),
        )
            .into_response(),
        Ok(Err(error)) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the hub could not store the message; send it again",
            one("", "broker", error.to_string()),
        ),
        Err(_) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the hub could not store the message in time; send it again",
            one(
                "",
                "broker",
                format!(
                    "the broker did not confirm the message within {} ms.",
                    state.config.http.request_timeout_ms
                ),
            ),
        ),
    }
}

/// Keeps a refused HTTP submission for inspection (ARCHITECTURE.md: bad input is kept), in
/// the dead-letter index under `dead.ingress` like a refused AMQP message. Best effort: the
/// department already has every reason in the HTTP answer, so a store failure is logged, not
/// turned into a different answer.
async fn keep_refused(
    store: &Store,
    department: Actor,
    body: &[u8],
    parsed: Option<&Value>,
    stage: RejectionStage,
    violations: &Value,
) {
    let field = |name: &str| {
        parsed
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut headers = Headers::new();
    headers.insert(
        header::SENDER.to_owned(),
        HeaderValue::Text(department.as_str().to_owned()),
    );
    let record = crate::store::NewDeadLetter {
        queue: Address::DeadIngress.queue_name(),
        message_id: field("message_id"),
        message_type: field("message_type"),
        stage: stage.as_str().to_owned(),
        reasons: violations.to_string(),
        publisher: Some(format!("http:{}", department.as_str())),
        body: body.to_vec(),
        headers,
    };
    if let Err(error) = store.record_dead_letter(record).await {
        tracing::warn!(%error, "Could not keep a refused HTTP submission in the dead-letter index.");
    }
}

/// `GET /v1/deadlines`: the whole board for an operator token, a department's part for its
/// token.
async fn deadline_board<T: Transport>(
    State(state): State<Arc<HttpState<T>>>,
    headers: HeaderMap,
) -> Response {
    let department = match reader(&state, &headers) {
        None => return unauthorized_reader(),
        Some(Reader::Ops) => None,
        Some(Reader::Department(department)) => Some(department),
    };
    let read = board::read(
        &state.store,
        state.deadlines.config(),
        state.deadlines.now(),
    )
    .await;
    match read {
        Ok(board) => {
            let board = match department {
                Some(department) => board.visible_to(department, &state.config),
                None => board,
            };
            (StatusCode::OK, axum::Json(board)).into_response()
        }
        Err(error) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the deadline board cannot be read now; try again",
            one("", "store", error.to_string()),
        ),
    }
}

/// `GET /v1/cases/{id}/timeline`: the whole timeline for an operator token, the part a
/// department is party to for its token.
async fn case_timeline<T: Transport>(
    State(state): State<Arc<HttpState<T>>>,
    Path(case_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let department = match reader(&state, &headers) {
        None => return unauthorized_reader(),
        Some(Reader::Ops) => None,
        Some(Reader::Department(department)) => Some(department),
    };
    match crate::cases::timeline(&state.store, &case_id).await {
        Ok(timeline) => {
            let timeline = match department {
                Some(department) => timeline.visible_to(department.as_str()),
                None => timeline,
            };
            if timeline.is_empty() {
                problem(
                    StatusCode::NOT_FOUND,
                    "no such case",
                    one(
                        "",
                        "case",
                        format!("no message of case {case_id} is visible to you."),
                    ),
                )
            } else {
                (StatusCode::OK, axum::Json(timeline)).into_response()
            }
        }
        Err(error) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the case timeline cannot be read now; try again",
            one("", "store", error.to_string()),
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
