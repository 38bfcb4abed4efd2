//! Test support shared by the hub's pipeline-level tests: the real pipeline over an in-memory
//! store with a manual clock (no transport, no broker), contract fixtures with edits, and
//! reading what the pipeline committed to the outbox.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use contracts::Registry;
use contracts::model::Actor;
use hub::config::HubConfig;
use hub::deadlines::calendar::parse_instant;
use hub::deadlines::{Deadlines, ManualClock};
use hub::identity::read::{self, Access};
use hub::pipeline::{HubIdentity, Pipeline, Publisher, Verdict};
use hub::store::Store;
use serde_json::{Value, json};

/// The case most tests use.
pub(crate) const CASE: &str = "TCJZ-2026-001201";

pub(crate) fn fixture(relative: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/fixtures")
        .join(relative);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// `message` with a fresh id and every `(pointer, value)` set (the parent object or array
/// must exist; an array member by index).
pub(crate) fn with(mut message: Value, edits: &[(&str, Value)]) -> Value {
    message["message_id"] = Value::from(uuid::Uuid::new_v4().to_string());
    for (pointer, value) in edits {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = message
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("no {parent} in the fixture"));
        match target {
            Value::Object(members) => {
                members.insert(key.to_owned(), value.clone());
            }
            Value::Array(items) => items[key.parse::<usize>().unwrap()] = value.clone(),
            _ => panic!("{parent} is not a container"),
        }
    }
    message
}

/// `message` with a fresh id, the case `case` (envelope, and payload when it has one) and
/// every `(pointer, value)` set (`None` removes the member).
pub(crate) fn message(relative: &str, case: &str, edits: &[(&str, Option<Value>)]) -> Value {
    let mut message = fixture(relative);
    message["message_id"] = Value::from(uuid::Uuid::new_v4().to_string());
    message["case_id"] = json!(case);
    if message["payload"].get("case_id").is_some() {
        message["payload"]["case_id"] = json!(case);
    }
    for (pointer, value) in edits {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let Some(Value::Object(members)) = message.pointer_mut(parent) else {
            panic!("no object {parent} in {relative}");
        };
        match value {
            Some(value) => members.insert(key.to_owned(), value.clone()),
            None => members.remove(key),
        };
    }
    message
}

pub(crate) struct Hub {
    pub(crate) pipeline: Pipeline,
    pub(crate) store: Store,
    pub(crate) clock: ManualClock,
    pub(crate) registry: Arc<Registry>,
}

impl Hub {
    pub(crate) async fn start() -> Hub {
        let config = Arc::new(
            HubConfig::load(
                Some(&Path::new(env!("CARGO_MANIFEST_DIR")).join("hub.example.toml")),
                std::iter::empty(),
            )
            .unwrap(),
        );
        let registry = Arc::new(Registry::embedded().unwrap());
        let store = Store::open_in_memory().await.unwrap();
        hub::deadlines::timers::prepare(&store).await.unwrap();
        hub::cases::prepare(&store).await.unwrap();
        let clock = ManualClock::new(parse_instant("2026-11-30T01:00:00Z").unwrap());
        let pipeline = Pipeline::new(
            Arc::clone(&registry),
            Arc::clone(&config),
            store.clone(),
            HubIdentity::default(),
        )
        .with_deadlines(Deadlines::new(config, Arc::new(clock.clone())));
        Hub {
            pipeline,
            store,
            clock,
            registry,
        }
    }

    pub(crate) async fn process(&self, sender: Actor, message: &Value) -> Verdict {
        if let Err(report) = self.registry.validate_value(message.clone()) {
            panic!("test message invalid:\n{report}");
        }
        self.pipeline
            .process(
                &serde_json::to_vec(message).unwrap(),
                &Publisher::Department(sender),
            )
            .await
            .unwrap()
    }

    pub(crate) async fn accept(&self, sender: Actor, message: &Value) {
        let verdict = self.process(sender, message).await;
        assert!(
            matches!(verdict, Verdict::Accepted { .. }),
            "{} refused: {verdict:?}",
            message["message_type"]
        );
    }

    /// The refusal's reason codes (panics when the message was not refused).
    pub(crate) async fn refusal(&self, sender: Actor, message: &Value) -> Vec<(String, String)> {
        match self.process(sender, message).await {
            Verdict::Refused { reasons, .. } => {
                reasons.into_iter().map(|r| (r.rule, r.message)).collect()
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// Every IDENTITY_UPDATE in the outbox for `department`, in outbox order.
    pub(crate) async fn updates_to(&self, department: Actor) -> Vec<Value> {
        self.outbox_to(department, "IDENTITY_UPDATE").await
    }

    /// Every message of `message_type` in the outbox for `department`, in outbox order.
    pub(crate) async fn outbox_to(&self, department: Actor, message_type: &str) -> Vec<Value> {
        self.store
            .pending_outbox(10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|row| {
                row.message_type == message_type
                    && row.address == format!("deliver.{}", department.as_str())
            })
            .map(|row| serde_json::from_slice(&row.body).unwrap())
            .collect()
    }

    pub(crate) async fn person_of_case(&self, case: &str) -> String {
        read::person_of_case(&self.store, case)
            .await
            .unwrap()
            .unwrap()
    }

    pub(crate) async fn person(&self, person_id: &str) -> read::PersonView {
        let access = Access {
            reader: "OPS".into(),
            acting: "测试 093047".into(),
            case_id: CASE.into(),
            purpose: "测试".into(),
        };
        read::record_access(&self.store, person_id, &access, self.clock_now())
            .await
            .unwrap();
        read::person(&self.store, person_id).await.unwrap().unwrap()
    }

    pub(crate) fn clock_now(&self) -> SystemTime {
        use hub::deadlines::Clock;
        self.clock.now()
    }
}
