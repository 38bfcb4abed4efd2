//! The identity registry's HTTP API (`/v1/identity/…`), mounted by [`crate::http::router`].
//!
//! * `GET /v1/identity/persons/{person_id}?acting=…&case_id=…&purpose=…` — a person's record,
//!   versions, provenance, links and reviews. Every reading names the acting officer or staff
//!   member (`acting`, 警号/工号 and name), the case it is for and its purpose (查询事由);
//!   without them it is `400` with each missing parameter. The reading is recorded in the
//!   access log. An operator token reads everything; a department token reads only the
//!   version and status of a person it receives updates for, and what it was last sent
//!   (never the record: its projection is what it received).
//! * `GET /v1/identity/cases/{case_id}` — the person of a case with its version and status
//!   (what a department needs to send a change: `identity_version` = version + 1).
//! * `GET /v1/identity/checks[?open=true]` — tracked identity checks with their state
//!   (REQUESTED, ACKNOWLEDGED, OVERDUE, COMPLETED, REJECTED); operators, POLICE and STATION.
//! * `GET /v1/identity/reviews` — open CONFLICT reviews; operators and STATION.
//! * `GET /v1/identity/drift` — open drift found by digest reports; operators see every
//!   department, a department its own.
//!
//! Invariant: read-only apart from the access log; `401` without a known token, `403` for a
//! department outside a resource's readers, `503` when the store cannot be read.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use contracts::model::Actor;
use serde_json::{Value, json};

use super::read::{self, Access};
use crate::http::{HttpState, Reader, problem, reader, unauthorized_reader};
use crate::store::StoreError;
use crate::transport::Transport;

fn unavailable(error: &StoreError) -> Response {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "the identity registry cannot be read now; try again",
        json!([{ "pointer": "", "rule": "store", "message": error.to_string() }]),
    )
}

fn forbidden(what: &str, department: Actor) -> Response {
    problem(
        StatusCode::FORBIDDEN,
        "not yours to read",
        json!([{ "pointer": "", "rule": "authorization",
                 "message": format!("{} may not read {what}.", department.as_str()) }]),
    )
}

/// `GET /v1/identity/persons/{person_id}`.
pub(crate) async fn person<T: Transport>(
    State(state): State<Arc<HttpState<T>>>,
    Path(person_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let Some(who) = reader(&state, &headers) else {
        return unauthorized_reader();
    };
    let missing: Vec<Value> = [
        (
            "acting",
            "the acting officer or staff member (警号/工号 and name)",
        ),
        ("case_id", "the case the reading is for"),
        ("purpose", "why the identity is read (查询事由)"),
    ]
    .into_iter()
    .filter(|(name, _)| query.get(*name).is_none_or(|v| v.trim().is_empty()))
    .map(|(name, what)| {
        json!({ "pointer": format!("?{name}"), "rule": "required",
                "message": format!("name {what} in the `{name}` query parameter.") })
    })
    .collect();
    if !missing.is_empty() {
        return problem(
            StatusCode::BAD_REQUEST,
            "every identity query names who acts, for which case and why",
            Value::Array(missing),
        );
    }
    let text = |name: &str| query.get(name).cloned().unwrap_or_default();
    let access = Access {
        reader: match who {
            Reader::Ops => "OPS".to_owned(),
            Reader::Department(d) => d.as_str().to_owned(),
        },
        acting: text("acting"),
        case_id: text("case_id"),
        purpose: text("purpose"),
    };
    let view = match read::person(&state.store, &person_id).await {
        Err(error) => return unavailable(&error),
        Ok(None) => {
            return problem(
                StatusCode::NOT_FOUND,
                "no such person",
                json!([{ "pointer": "", "rule": "person",
                         "message": format!("the identity registry knows no person {person_id}.") }]),
            );
        }
        Ok(Some(view)) => view,
    };
    let body = match who {
        Reader::Ops => serde_json::to_value(&view).unwrap_or(Value::Null),
        Reader::Department(department) => {
            let Some(sent) = view.sent_to(department.as_str()) else {
                return forbidden(
                    "this person's identity (no update was sent to it)",
                    department,
                );
            };
            json!({
                "person_id": view.person_id,
                "version": view.version,
                "status": view.status,
                "merged_into": view.merged_into,
                "sent": sent,
            })
        }
    };
    if let Err(error) =
        read::record_access(&state.store, &person_id, &access, state.deadlines.now()).await
    {
        return unavailable(&error);
    }
    (StatusCode::OK, Json(body)).into_response()
}

/// `GET /v1/identity/cases/{case_id}`: the person of a case (after merges) with the
/// registry's version and status — what a department needs to write an IDENTITY_UPDATE
/// (`person_id`, `identity_version` = version + 1). Operators, and departments the person's
/// updates are sent to.
pub(crate) async fn person_of_case<T: Transport>(
    State(state): State<Arc<HttpState<T>>>,
    Path(case_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(who) = reader(&state, &headers) else {
        return unauthorized_reader();
    };
    let not_found = || {
        problem(
            StatusCode::NOT_FOUND,
            "no such case",
            json!([{ "pointer": "", "rule": "case",
                     "message": format!("the identity registry knows no person for case {case_id}.") }]),
        )
    };
    let person_id = match read::person_of_case(&state.store, &case_id).await {
        Err(error) => return unavailable(&error),
        Ok(None) => return not_found(),
        Ok(Some(person_id)) => person_id,
    };
    let view = match read::person(&state.store, &person_id).await {
        Err(error) => return unavailable(&error),
        Ok(None) => return not_found(),
        Ok(Some(view)) => view,
    };
    if let Reader::Department(department) = who
        && view.sent_to(department.as_str()).is_none()
    {
        return forbidden(
            "the identity of this case (no update was sent to it)",
            department,
        );
    }
    let body = json!({
        "case_id": case_id,
        "person_id": view.person_id,
        "version": view.version,
        "status": view.status,
    });
    (StatusCode::OK, Json(body)).into_response()
}

/// `GET /v1/identity/checks`.
pub(crate) async fn checks<T: Transport>(
    State(state): State<Arc<HttpState<T>>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    match reader(&state, &headers) {
        None => return unauthorized_reader(),
        Some(Reader::Department(d)) if !matches!(d, Actor::Police | Actor::Station) => {
            return forbidden("identity checks", d);
        }
        Some(_) => {}
    }
    let open = query.get("open").is_some_and(|v| v == "true");
    match read::checks(&state.store, open, state.deadlines.now()).await {
        Ok(checks) => (StatusCode::OK, Json(checks)).into_response(),
        Err(error) => unavailable(&error),
    }
}

/// `GET /v1/identity/reviews`.
pub(crate) async fn reviews<T: Transport>(
    State(state): State<Arc<HttpState<T>>>,
    headers: HeaderMap,
) -> Response {
    match reader(&state, &headers) {
        None => return unauthorized_reader(),
        Some(Reader::Department(d)) if d != Actor::Station => {
            return forbidden("identity reviews", d);
        }
        Some(_) => {}
    }
    match read::open_reviews(&state.store).await {
        Ok(reviews) => (StatusCode::OK, Json(reviews)).into_response(),
        Err(error) => unavailable(&error),
    }
}

/// `GET /v1/identity/drift`.
pub(crate) async fn drift<T: Transport>(
    State(state): State<Arc<HttpState<T>>>,
    headers: HeaderMap,
) -> Response {
    let Some(who) = reader(&state, &headers) else {
        return unauthorized_reader();
    };
    match read::drift(&state.store).await {
        Ok(mut drift) => {
            if let Reader::Department(d) = who {
                drift.retain(|row| row.department == d.as_str());
            }
            (StatusCode::OK, Json(drift)).into_response()
        }
        Err(error) => unavailable(&error),
    }
}
