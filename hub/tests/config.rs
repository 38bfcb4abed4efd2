//! Configuration: loading (`hub.toml` + `HUB_…` environment), validation of every problem
//! with its path, the route table on real contract fixtures, the authorization matrix and
//! the token lookup — against `hub/hub.example.toml`, the default test configuration.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use hub::config::{ConfigError, ConfigProblem, HubConfig, Recipient, token_sha256};
use hub::contracts::Registry;
use hub::contracts::catalogue::MessageType;
use hub::contracts::model::{Actor, Sensitivity};
use serde_json::{Value, json};

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("hub.example.toml")
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/fixtures")
}

fn no_env() -> std::iter::Empty<(String, String)> {
    std::iter::empty()
}

fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect::<Vec<_>>()
        .into_iter()
}

fn example() -> HubConfig {
    HubConfig::load(Some(&example_path()), no_env()).expect("the example configuration loads")
}

fn registry() -> Registry {
    Registry::embedded().expect("embedded catalogue")
}

/// Writes `text` to a temporary TOML file (kept alive by the returned guard).
fn toml_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

fn load_text(text: &str) -> Result<HubConfig, ConfigError> {
    let file = toml_file(text);
    HubConfig::load(Some(file.path()), no_env())
}

fn fixture(relative: &str) -> Value {
    let path = fixtures_dir().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn referral(name: &str) -> Value {
    fixture(&format!("REFERRAL/v1/valid/{name}.json"))
}

const REFERRALS: [&str; 4] = [
    "citymgmt_case_05_02_refused",
    "grid_sighting_chengxiang",
    "hotline_12345_critical_send_to_hospital",
    "police_patrol_suspected_trafficked_minor",
];

fn dept(actor: Actor) -> Recipient {
    Recipient::Department(actor)
}

// ---------------------------------------------------------------------------------------
// The example configuration
// ---------------------------------------------------------------------------------------

#[test]
fn the_example_configuration_loads_and_validates_against_the_embedded_catalogue() {
    let config = example();
    if let Err(problems) = config.validate(&registry()) {
        let listed: Vec<String> = problems.iter().map(ConfigProblem::to_string).collect();
        panic!("hub.example.toml has problems:\n{}", listed.join("\n"));
    }
    assert!(
        config.transport.amqp.is_none() && config.transport.embedded.is_none(),
        "the example runs on the embedded transport with its defaults"
    );
    assert!(config.transport.is_embedded());
    assert_eq!(config.http.listen, "127.0.0.1:8080");
    assert_eq!(config.http.max_body_bytes, 262_144);
    assert_eq!(
        config.pipeline.retry_delays_ms,
        vec![5_000, 60_000, 600_000]
    );
    assert_eq!(config.store.path, PathBuf::from("data/hub.sqlite"));
    let codes: Vec<Actor> = config.departments.keys().copied().collect();
    assert_eq!(
        codes,
        vec![
            Actor::Police,
            Actor::Health,
            Actor::Citymgmt,
            Actor::Grid,
            Actor::Civil,
            Actor::Station,
            Actor::Origin
        ]
    );
}

#[test]
fn without_a_file_the_built_in_example_is_loaded_and_runs_embedded() {
    let built_in = HubConfig::load(None, no_env()).unwrap();
    let example = example();
    built_in.validate(&registry()).unwrap();
    assert!(built_in.transport.is_embedded());
    assert_eq!(
        built_in.departments.keys().collect::<Vec<_>>(),
        example.departments.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        built_in.routes.routes().len(),
        example.routes.routes().len()
    );
    assert_eq!(
        built_in.department_of_token("dev-token-grid"),
        Some(Actor::Grid)
    );
    assert_eq!(built_in.store.path, PathBuf::from("data/hub.sqlite"));
    assert_eq!(built_in.hub_broker_user(), Some("hub"));

    // One variable switches it to RabbitMQ (with the transport's defaults).
    let on_rabbitmq = HubConfig::load(
        None,
        env(&[(
            "HUB_TRANSPORT__AMQP__URL",
            "amqp://hub:pw@127.0.0.1:5672/%2f",
        )]),
    )
    .unwrap();
    on_rabbitmq.validate(&registry()).unwrap();
    assert!(!on_rabbitmq.transport.is_embedded());
    assert_eq!(on_rabbitmq.hub_broker_user(), Some("hub"));
}

#[test]
fn both_transports_at_once_are_refused() {
    let config = HubConfig::load(
        None,
        env(&[
            (
                "HUB_TRANSPORT__AMQP__URL",
                "amqp://hub:pw@127.0.0.1:5672/%2f",
            ),
            ("HUB_TRANSPORT__EMBEDDED__LEASE_MS", "10000"),
        ]),
    )
    .unwrap();
    let problems = config.validate(&registry()).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["transport"], "{problems:?}");

    let config = load_text("[transport.embedded]\nlease_ms = 0\n").unwrap();
    let problems = config.validate(&registry()).unwrap_err();
    assert_eq!(problems[0].path, "transport.embedded", "{problems:?}");
    assert!(load_text("[transport.embedded]\nlease_secs = 3\n").is_err());
}

#[test]
fn an_empty_configuration_file_has_every_default_and_validates() {
    let config = load_text("").unwrap();
    assert!(config.transport.amqp.is_none());
    assert_eq!(config.http.listen, "127.0.0.1:8080");
    assert_eq!(config.http.max_body_bytes, 262_144);
    assert_eq!(config.http.request_timeout_ms, 10_000);
    assert_eq!(config.pipeline.ingress_prefetch, 50);
    assert_eq!(config.pipeline.immediate_retries, 2);
    assert_eq!(config.pipeline.max_attempts, 6);
    assert_eq!(
        config.retry_policy().delays_ms,
        vec![5_000, 60_000, 600_000]
    );
    assert!(config.departments.is_empty());
    assert!(config.routes.routes().is_empty());
    config.validate(&registry()).unwrap();
}

#[test]
fn every_example_department_gets_its_development_token_and_broker_user() {
    let config = example();
    for actor in [
        Actor::Police,
        Actor::Health,
        Actor::Citymgmt,
        Actor::Grid,
        Actor::Civil,
        Actor::Station,
        Actor::Origin,
    ] {
        let lower = actor.as_str().to_lowercase();
        assert_eq!(
            config.department_of_token(&format!("dev-token-{lower}")),
            Some(actor)
        );
        assert_eq!(
            config.department_of_broker_user(&format!("dept-{lower}")),
            Some(actor)
        );
        assert!(
            config.authorization.may_receive(actor, "HUB_REJECTED"),
            "{actor:?} gets its refusals"
        );
    }
    assert_eq!(config.department_of_broker_user("hub"), None);
    assert_eq!(config.hub_broker_user(), Some("hub"));
}

#[test]
fn every_valid_fixture_is_sendable_and_routable_under_the_example_configuration() {
    let config = example();
    let mut checked = 0;
    for message_type in MessageType::ALL {
        let dir = fixtures_dir().join(message_type.as_str()).join("v1/valid");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let message: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let sender = message["sender_org_type"].as_str().unwrap();
            let Some(sender) = Actor::from_code(sender) else {
                continue;
            };
            if sender == Actor::Hub {
                continue;
            }
            let name = path.display();
            let type_name = message_type.as_str();
            assert!(
                config.authorization.may_send(sender, type_name),
                "{name}: {sender:?} may not send {type_name}"
            );
            let org_code = message["sender_org_code"].as_str().unwrap();
            assert!(
                config.may_use_org_code(sender, org_code),
                "{name}: {org_code} is not configured for {sender:?}"
            );
            if hub::identity::owns(message_type) {
                // Distributed by the identity registry, not by routes.
                assert!(config.recipients(type_name, &message).is_empty(), "{name}");
                checked += 1;
                continue;
            }
            let recipients = config.recipients(type_name, &message);
            assert!(!recipients.is_empty(), "{name}: no route");
            for recipient in recipients {
                if let Recipient::Department(d) = recipient {
                    assert_ne!(d, sender, "{name}: routed back to its sender");
                    assert!(
                        config.authorization.may_receive(d, type_name),
                        "{name}: {d:?}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} fixtures checked");
}

// ---------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------

#[test]
fn environment_variables_override_the_file_with_double_underscore_nesting() {
    let config = HubConfig::load(
        Some(&example_path()),
        env(&[
            ("HUB_HTTP__MAX_BODY_BYTES", "1024"),
            ("HUB_DEPARTMENTS__GRID__BROKER_USER", "x"),
            ("HUB_DEPARTMENTS__STATION__READS__REFERRAL", "2"),
            (
                "HUB_DEPARTMENTS__GRID__HTTP_TOKEN_SHA256",
                &format!("{},{}", token_sha256("a"), token_sha256("b")),
            ),
            ("HUB_PIPELINE__RETRY_DELAYS_MS", "1000, 2000"),
            (
                "HUB_AUTHORIZATION__RECEIVE__GRID",
                "REFERRAL_OUTCOME,HUB_REJECTED",
            ),
            (
                "HUB_TRANSPORT__AMQP__URL",
                "amqp://hub:secret@127.0.0.1:5672/%2f",
            ),
            ("HUB_LOG", "debug"),
            ("PATH", "/usr/bin"),
        ]),
    )
    .unwrap();
    assert_eq!(config.http.max_body_bytes, 1024);
    assert_eq!(
        config.http.listen, "127.0.0.1:8080",
        "untouched keys keep the file's value"
    );
    let grid = &config.departments[&Actor::Grid];
    assert_eq!(grid.broker_user.as_deref(), Some("x"));
    assert_eq!(
        grid.org_codes,
        vec!["12320585MB1A23456U"],
        "the rest of the table stays"
    );
    assert_eq!(config.department_of_broker_user("x"), Some(Actor::Grid));
    assert_eq!(config.department_of_broker_user("dept-grid"), None);
    assert_eq!(config.department_of_token("a"), Some(Actor::Grid));
    assert_eq!(config.department_of_token("b"), Some(Actor::Grid));
    assert_eq!(
        config.department_of_token("dev-token-grid"),
        None,
        "the list is replaced"
    );
    assert_eq!(config.reads(Actor::Station, "REFERRAL"), 2);
    assert_eq!(config.pipeline.retry_delays_ms, vec![1_000, 2_000]);
    assert_eq!(config.hub_broker_user(), Some("hub"));
}

#[test]
fn environment_alone_builds_a_department_table() {
    let config = HubConfig::load(
        None,
        env(&[
            ("HUB_DEPARTMENTS__GRID__BROKER_USER", "x"),
            ("HUB_STORE__PATH", "/var/lib/hub/hub.sqlite"),
        ]),
    )
    .unwrap();
    assert_eq!(
        config.departments[&Actor::Grid].broker_user.as_deref(),
        Some("x")
    );
    assert_eq!(
        config.departments[&Actor::Grid].max_sensitivity,
        Sensitivity::General
    );
    assert_eq!(config.store.path, PathBuf::from("/var/lib/hub/hub.sqlite"));
}

#[test]
fn bad_environment_values_and_keys_are_refused_by_name() {
    let error = HubConfig::load(None, env(&[("HUB_HTTP__MAX_BODY_BYTES", "lots")]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("max_body_bytes"), "{error}");
    assert!(error.contains("HUB_HTTP__MAX_BODY_BYTES"), "{error}");

    let error = HubConfig::load(None, env(&[("HUB_HTTP__MAX_BODY", "1")]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("max_body"), "{error}");

    let error =
        HubConfig::load(None, env(&[("HUB_ROUTES__0__MESSAGE_TYPE", "REFERRAL")])).unwrap_err();
    assert!(
        matches!(error, ConfigError::Environment { ref name, .. } if name == "HUB_ROUTES__0__MESSAGE_TYPE"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------
// Unknown keys and malformed values
// ---------------------------------------------------------------------------------------

#[test]
fn unknown_keys_are_refused_with_their_name() {
    for (text, key) in [
        ("[http]\nmax_body = 1\n", "max_body"),
        ("[htttp]\nlisten = \"x:1\"\n", "htttp"),
        ("[departments.GRID]\nbroker = \"x\"\n", "broker"),
        ("[authorization]\nsends.GRID = [\"REFERRAL\"]\n", "sends"),
        (
            "[[routes]]\nmessage_type = \"REFERRAL\"\nrecipients = [\"STATION\"]\npriority = 1\n",
            "priority",
        ),
        (
            "[[routes]]\nmessage_type = \"REFERRAL\"\nrecipients = [\"STATION\"]\nwhen = { pointer = \"/a\", equal = 1 }\n",
            "equal",
        ),
        ("[transport.amqp]\nprefetch_count = 3\n", "prefetch_count"),
    ] {
        let error = load_text(text).unwrap_err().to_string();
        assert!(error.contains(key), "{text:?} → {error}");
    }
}

#[test]
fn unknown_department_codes_and_recipients_are_refused() {
    let error = load_text("[departments.POLIZEI]\nbroker_user = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("POLIZEI"), "{error}");
    let error = load_text("[[routes]]\nmessage_type = \"REFERRAL\"\nrecipients = [\"station\"]\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("station"), "{error}");
    assert!(error.contains("ORIGINAL_SENDER"), "{error}");
}

#[test]
fn a_predicate_with_two_tests_is_refused_with_the_forms_it_may_take() {
    let error = load_text(
        "[[routes]]\nmessage_type = \"REFERRAL\"\nrecipients = [\"STATION\"]\nwhen = { pointer = \"/a\", equals = 1, prefix = \"x\" }\n",
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("pointer, equals, prefix"), "{error}");
    assert!(error.contains("{ pointer, exists }"), "{error}");
}

#[test]
fn a_missing_file_is_an_error() {
    let error = HubConfig::load(Some(Path::new("/nonexistent/hub.toml")), no_env())
        .unwrap_err()
        .to_string();
    assert!(error.contains("hub.toml"), "{error}");
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

const MANY_PROBLEMS: &str = r#"
[http]
listen = "8080"
max_body_bytes = 0

[pipeline]
ingress_prefetch = 0
retry_delays_ms = [5000, 5000, 1000]
max_attempts = 0

[departments.POLICE]
broker_user = "dept-shared"
http_token_sha256 = ["dev-token-police"]
org_codes = ["113205850141601233"]
reads = { IDENTITY_CHECK_REQUEST = 3, NO_SUCH_TYPE = 1 }
allowed_pii = ["name", "helth"]

[departments.GRID]
broker_user = "dept-shared"
org_codes = ["113205850141601233", "not-a-code"]

[departments.HUB]
broker_user = "hub"

[authorization]
send.GRID = ["REFERRAL", "REFERRAL_TYPO", "HUB_REJECTED", "STATION_INTAKE"]
send.CIVIL = ["SETTLEMENT_REQUEST"]
receive.STATION = ["REFERRAL"]
receive.CITYMGMT = ["REFERRAL_OUTCOME"]

[[routes]]
message_type = "IDENTITY_CHECK_RESULT"
recipients = ["CITYMGMT"]

[[routes]]
message_type = "REFERRAL"
when = { any = [ { pointer = "payload/subjects", exists = true }, { pointer = "/payload/subject/*/is_minor_suspected", equals = true }, { all = [] } ] }
recipients = ["STATION", "HUB"]

[[routes]]
message_type = "SETTLEMENT_REQUEST"
when = { pointer = "/sender_type", equals = "CIVIL" }
recipients = []

[[routes]]
message_type = "ADMISSION_ACK"
recipients = ["ORIGINAL_SENDER"]
"#;

#[test]
fn a_configuration_with_several_problems_reports_all_of_them_with_paths() {
    let config = load_text(MANY_PROBLEMS).unwrap();
    let problems = config.validate(&registry()).unwrap_err();
    let listed: Vec<String> = problems.iter().map(ConfigProblem::to_string).collect();
    let expected = [
        "http.listen: `8080` is not host:port",
        "http.max_body_bytes: must be greater than 0",
        "pipeline.ingress_prefetch: must be at least 1",
        "pipeline.max_attempts: must be at least 1",
        "pipeline.retry_delays_ms[1]: 5000 is not greater than the step before it (5000)",
        "pipeline.retry_delays_ms[2]: 1000 is not greater",
        "departments.POLICE.http_token_sha256[0]: must be the token's SHA-256 as 64 lowercase hex digits",
        "departments.POLICE.reads.IDENTITY_CHECK_REQUEST: IDENTITY_CHECK_REQUEST has no contract version 3 (known: 1)",
        "departments.POLICE.reads.NO_SUCH_TYPE: NO_SUCH_TYPE is not a message type",
        "departments.POLICE.allowed_pii[1]: `helth` is not an x-pii kind",
        "departments.GRID.broker_user: `dept-shared` is also the broker user of POLICE",
        "departments.GRID.org_codes[0]: `113205850141601233` is also an organisation code of POLICE",
        "departments.GRID.org_codes[1]: `not-a-code` is not a GB 32100 unified social credit code",
        "departments.HUB: HUB is the hub itself, not a department",
        "authorization.send.GRID[1]: REFERRAL_TYPO is not a message type",
        "authorization.send.GRID[2]: only the hub sends HUB_REJECTED",
        "authorization.send.GRID[3]: GRID may send STATION_INTAKE but no route delivers STATION_INTAKE",
        "authorization.send.CIVIL: CIVIL may send but has no [departments.CIVIL] table",
        "routes[0].recipients[0]: CITYMGMT may not receive IDENTITY_CHECK_RESULT (authorization.receive)",
        "routes[1].when.any[0].pointer: `payload/subjects` is malformed",
        "routes[1].when.any[1].pointer: `/payload/subject/*/is_minor_suspected` names no field of REFERRAL (versions 1, 2)",
        "routes[1].when.any[2].all: an empty `all` always holds",
        "routes[1].recipients[1]: HUB is the hub itself, not a department",
        "routes[2].recipients: a route needs at least one recipient",
        "routes[2].when.pointer: `/sender_type` names no envelope field",
        "routes[3].recipients[0]: no department may receive ADMISSION_ACK (authorization.receive), so ORIGINAL_SENDER can never be delivered",
    ];
    for wanted in expected {
        assert!(
            listed.iter().any(|p| p.starts_with(wanted)),
            "missing `{wanted}` in:\n{}",
            listed.join("\n")
        );
    }
    // GRID has a broker user, so only the department without any credentials is reported.
    assert!(
        !listed
            .iter()
            .any(|p| p.starts_with("authorization.send.GRID: GRID may send but")),
        "{}",
        listed.join("\n")
    );
    // Every problem has a path and a sentence.
    for problem in &problems {
        assert!(
            !problem.path.is_empty() && problem.message.len() > 10,
            "{problem:?}"
        );
    }
}

#[test]
fn a_department_without_credentials_or_org_codes_cannot_be_a_sender() {
    let config = load_text(
        "[departments.GRID]\nmax_sensitivity = \"GENERAL\"\n[authorization]\nsend.GRID = [\"REFERRAL\"]\nreceive.STATION = [\"REFERRAL\"]\n[[routes]]\nmessage_type = \"REFERRAL\"\nrecipients = [\"STATION\"]\n",
    )
    .unwrap();
    let problems = config.validate(&registry()).unwrap_err();
    let listed: Vec<String> = problems.iter().map(ConfigProblem::to_string).collect();
    assert_eq!(problems.len(), 2, "{listed:?}");
    assert!(
        listed[0].contains("neither broker_user nor http_token_sha256"),
        "{listed:?}"
    );
    assert!(listed[1].contains("no org_codes"), "{listed:?}");
}

#[test]
fn the_hub_user_must_not_be_a_department_user_and_retry_steps_must_exist_in_the_transport() {
    let config = HubConfig::load(
        Some(&example_path()),
        env(&[
            ("HUB_DEPARTMENTS__GRID__BROKER_USER", "hub"),
            ("HUB_PIPELINE__RETRY_DELAYS_MS", "5000,30000"),
        ]),
    )
    .unwrap();
    let problems = config.validate(&registry()).unwrap_err();
    let paths: BTreeSet<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "departments.GRID.broker_user",
            "pipeline.retry_delays_ms[1]"
        ]),
        "{problems:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Route predicates on real fixtures
// ---------------------------------------------------------------------------------------

/// Which of the REFERRAL fixtures a `when` selects (via a one-route table to POLICE).
fn selected_by(when: &str) -> Vec<&'static str> {
    let text = format!(
        "[authorization]\nreceive.POLICE = [\"REFERRAL\"]\n[[routes]]\nmessage_type = \"REFERRAL\"\nwhen = {when}\nrecipients = [\"POLICE\"]\n"
    );
    let config = load_text(&text).unwrap_or_else(|e| panic!("{when}: {e}"));
    config
        .validate(&registry())
        .unwrap_or_else(|p| panic!("{when}: {p:?}"));
    REFERRALS
        .into_iter()
        .filter(|name| !config.recipients("REFERRAL", &referral(name)).is_empty())
        .collect()
}

#[test]
fn equals_with_a_wildcard_over_array_elements() {
    assert_eq!(
        selected_by(r#"{ pointer = "/payload/subjects/*/is_minor_suspected", equals = true }"#),
        ["police_patrol_suspected_trafficked_minor"]
    );
    assert_eq!(
        selected_by(r#"{ pointer = "/payload/subjects/*/health/overall", equals = "CRITICAL" }"#),
        ["hotline_12345_critical_send_to_hospital"]
    );
    // The second subject of the city-management referral is a woman (sex code 2): index access.
    assert_eq!(
        selected_by(r#"{ pointer = "/payload/subjects/1/sex_code", equals = "2" }"#),
        ["citymgmt_case_05_02_refused"]
    );
    assert_eq!(
        selected_by(r#"{ pointer = "/payload/subject_count", equals = 2 }"#),
        ["citymgmt_case_05_02_refused"]
    );
}

#[test]
fn prefix_on_region_codes() {
    assert_eq!(
        selected_by(r#"{ pointer = "/payload/location/region_code", prefix = "320585" }"#),
        REFERRALS
    );
    // 320585100… is 城厢镇 (the grid sighting); the others are in other towns or have no code.
    assert_eq!(
        selected_by(r#"{ pointer = "/payload/location/community_code", prefix = "320585100" }"#),
        ["grid_sighting_chengxiang"]
    );
    assert!(
        selected_by(r#"{ pointer = "/payload/location/region_code", prefix = "320582" }"#)
            .is_empty()
    );
    // A prefix test never holds for a non-string value.
    assert!(selected_by(r#"{ pointer = "/payload/subject_count", prefix = "1" }"#).is_empty());
}

#[test]
fn exists_true_and_false() {
    assert_eq!(
        selected_by(r#"{ pointer = "/payload/photos", exists = true }"#),
        ["grid_sighting_chengxiang"]
    );
    assert_eq!(
        selected_by(r#"{ pointer = "/payload/deadline_at", exists = false }"#),
        [
            "hotline_12345_critical_send_to_hospital",
            "police_patrol_suspected_trafficked_minor"
        ]
    );
    assert_eq!(
        selected_by(
            r#"{ pointer = "/payload/subjects/*/physical_description/distinguishing_marks", exists = true }"#
        ),
        ["police_patrol_suspected_trafficked_minor"]
    );
}

#[test]
fn wildcard_over_object_members() {
    assert_eq!(
        selected_by(r#"{ pointer = "/payload/location/*", equals = "UNDER_BRIDGE" }"#),
        ["hotline_12345_critical_send_to_hospital"]
    );
    assert_eq!(
        selected_by(r#"{ pointer = "/payload/subjects/*/health/*", equals = true }"#),
        ["hotline_12345_critical_send_to_hospital"],
        "needs_medical is true only for the hotline case"
    );
}

#[test]
fn any_all_and_not_combine() {
    let minor = r#"{ pointer = "/payload/subjects/*/is_minor_suspected", equals = true }"#;
    let trafficked = r#"{ pointer = "/payload/suspected_flags/*", equals = "TRAFFICKED" }"#;
    let critical = r#"{ pointer = "/payload/urgency", equals = "IMMEDIATE" }"#;
    assert_eq!(
        selected_by(&format!("{{ any = [ {minor}, {critical} ] }}")),
        [
            "hotline_12345_critical_send_to_hospital",
            "police_patrol_suspected_trafficked_minor"
        ]
    );
    assert_eq!(
        selected_by(&format!("{{ all = [ {minor}, {trafficked} ] }}")),
        ["police_patrol_suspected_trafficked_minor"]
    );
    assert_eq!(
        selected_by(&format!("{{ not = {{ any = [ {minor}, {critical} ] }} }}")),
        ["citymgmt_case_05_02_refused", "grid_sighting_chengxiang"]
    );
    assert_eq!(
        selected_by(r#"{ pointer = "/sender_org_type", one_of = ["CITYMGMT", "POLICE"] }"#),
        [
            "citymgmt_case_05_02_refused",
            "police_patrol_suspected_trafficked_minor"
        ]
    );
}

#[test]
fn the_example_routes_minors_and_trafficking_to_the_police_unless_the_police_sent_it() {
    let config = example();
    let station = vec![dept(Actor::Station)];
    for name in REFERRALS {
        assert_eq!(
            config.recipients("REFERRAL", &referral(name)),
            station,
            "{name}"
        );
    }
    // The same trafficked minor referred by the grid also goes to the police.
    let mut from_grid = referral("police_patrol_suspected_trafficked_minor");
    from_grid["sender_org_type"] = json!("GRID");
    assert_eq!(
        config.recipients("REFERRAL", &from_grid),
        vec![dept(Actor::Station), dept(Actor::Police)]
    );
    // A trafficking flag alone is enough.
    let mut flagged = referral("grid_sighting_chengxiang");
    flagged["payload"]["suspected_flags"] = json!(["TRAFFICKED"]);
    assert_eq!(
        config.recipients("REFERRAL", &flagged),
        vec![dept(Actor::Station), dept(Actor::Police)]
    );
    // Routes are per message type.
    assert!(config.recipients("NO_SUCH_TYPE", &flagged).is_empty());
}

#[test]
fn a_leave_home_outside_taicang_goes_to_the_outflow_area() {
    let config = example();
    let leave = |mode: &str, region: Option<&str>| {
        let mut message =
            json!({ "sender_org_type": "STATION", "payload": { "leave_mode": mode } });
        if let Some(region) = region {
            message["payload"]["destination"] = json!({ "region_code": region });
        }
        config.recipients("STATION_LEAVE", &message)
    };
    assert_eq!(
        leave("ESCORTED_HOME", Some("411600")),
        vec![dept(Actor::Civil), dept(Actor::Origin)]
    );
    assert_eq!(
        leave("ESCORTED_HOME", Some("320585102")),
        vec![dept(Actor::Civil)]
    );
    assert_eq!(leave("ESCORTED_HOME", None), vec![dept(Actor::Civil)]);
    assert_eq!(
        leave("ABSCONDED", None),
        vec![dept(Actor::Civil), dept(Actor::Police)]
    );
    assert_eq!(
        leave("TO_HOSPITAL", None),
        vec![dept(Actor::Civil), dept(Actor::Health)]
    );
}

#[test]
fn recipients_are_deduplicated_in_route_order() {
    let config = load_text(
        r#"
[[routes]]
message_type = "REFERRAL"
recipients = ["STATION", "CIVIL"]
[[routes]]
message_type = "REFERRAL"
when = { pointer = "/payload/urgency", equals = "IMMEDIATE" }
recipients = ["POLICE", "STATION", "ORIGINAL_SENDER", "ORIGINAL_SENDER"]
"#,
    )
    .unwrap();
    assert_eq!(
        config.recipients(
            "REFERRAL",
            &referral("hotline_12345_critical_send_to_hospital")
        ),
        vec![
            dept(Actor::Station),
            dept(Actor::Civil),
            dept(Actor::Police),
            Recipient::OriginalSender
        ]
    );
    assert_eq!(
        config.recipients("REFERRAL", &referral("grid_sighting_chengxiang")),
        vec![dept(Actor::Station), dept(Actor::Civil)]
    );
}

// ---------------------------------------------------------------------------------------
// ORIGINAL_SENDER
// ---------------------------------------------------------------------------------------

#[test]
fn replies_route_to_the_original_sender() {
    let config = example();
    for name in [
        "admitted_after_grid_referral",
        "not_found_on_site",
        "refused_supplies_given_citymgmt",
    ] {
        let outcome = fixture(&format!("REFERRAL_OUTCOME/v1/valid/{name}.json"));
        assert_eq!(
            config.recipients("REFERRAL_OUTCOME", &outcome),
            vec![Recipient::OriginalSender],
            "{name}"
        );
    }
    let ack = fixture("ADMISSION_ACK/v1/valid/admitted_psychiatric_ward.json");
    assert_eq!(
        config.recipients("ADMISSION_ACK", &ack),
        vec![Recipient::OriginalSender, dept(Actor::Station)]
    );
    // Every possible original sender of a referral may receive its outcome.
    for source in [Actor::Grid, Actor::Citymgmt, Actor::Police, Actor::Health] {
        assert!(
            config.authorization.may_receive(source, "REFERRAL_OUTCOME"),
            "{source:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Authorization
// ---------------------------------------------------------------------------------------

#[test]
fn authorization_is_deny_by_default() {
    let empty = load_text("").unwrap();
    for actor in Actor::ALL {
        for message_type in MessageType::ALL {
            assert!(!empty.authorization.may_send(actor, message_type.as_str()));
            assert!(
                !empty
                    .authorization
                    .may_receive(actor, message_type.as_str())
            );
        }
    }
    let config = example();
    assert!(config.authorization.may_send(Actor::Grid, "REFERRAL"));
    assert!(
        !config
            .authorization
            .may_send(Actor::Grid, "IDENTITY_CHECK_RESULT")
    );
    assert!(
        !config.authorization.may_send(Actor::Grid, "referral"),
        "names are exact"
    );
    assert!(!config.authorization.may_send(Actor::Hub, "HUB_REJECTED"));
    assert!(
        !config
            .authorization
            .may_receive(Actor::Citymgmt, "IDENTITY_CHECK_RESULT")
    );
    assert!(config.authorization.may_receive(Actor::Station, "REFERRAL"));
    assert!(
        config
            .authorization
            .may_receive(Actor::Police, "IDENTITY_CHECK_REQUEST")
    );
    // City management receives only outcomes and refusals; the grid also hears of intakes of
    // Taicang residents (for the township), minimised by its GENERAL policy.
    let received = |actor| -> Vec<&str> {
        MessageType::ALL
            .iter()
            .map(|t| t.as_str())
            .filter(|t| config.authorization.may_receive(actor, t))
            .collect()
    };
    assert_eq!(
        received(Actor::Citymgmt),
        ["REFERRAL_OUTCOME", "HUB_REJECTED"]
    );
    assert_eq!(
        received(Actor::Grid),
        ["REFERRAL_OUTCOME", "STATION_INTAKE", "HUB_REJECTED"]
    );
}

#[test]
fn field_policies_follow_the_distribution_matrix() {
    let config = example();
    let grid = config.field_policy(Actor::Grid);
    assert_eq!(grid.max_sensitivity, Some(Sensitivity::General));
    for kind in [
        "health",
        "id_number",
        "photo",
        "biometric",
        "address",
        "location",
    ] {
        assert!(!grid.allowed_pii.contains(kind), "GRID must not get {kind}");
    }
    let health = config.field_policy(Actor::Health);
    assert!(health.allowed_pii.contains("health") && !health.allowed_pii.contains("biometric"));
    let station = config.field_policy(Actor::Station);
    assert_eq!(station.max_sensitivity, Some(Sensitivity::SensitiveMinor));
    // A department without a table gets the empty policy.
    let none = HubConfig::default().field_policy(Actor::Grid);
    assert_eq!(none.max_sensitivity, None);
    assert!(none.allowed_pii.is_empty());
}

#[test]
fn reads_default_to_version_one() {
    let config = example();
    assert_eq!(config.reads(Actor::Station, "REFERRAL"), 1);
    assert_eq!(config.reads(Actor::Grid, "REFERRAL_OUTCOME"), 1);
    assert_eq!(
        HubConfig::default().reads(Actor::Police, "IDENTITY_CHECK_REQUEST"),
        1
    );
}

#[test]
fn org_codes_belong_to_their_department() {
    let config = example();
    assert!(config.may_use_org_code(Actor::Police, "113205850141601233"));
    assert!(!config.may_use_org_code(Actor::Citymgmt, "113205850141601233"));
    assert!(config.may_use_org_code(Actor::Origin, "113412210030123452"));
    assert!(!config.may_use_org_code(Actor::Hub, "11320585MB1D567891"));
}

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

#[test]
fn tokens_are_looked_up_by_their_hash() {
    let config = example();
    assert_eq!(
        config.department_of_token("dev-token-station"),
        Some(Actor::Station)
    );
    assert_eq!(config.department_of_token("dev-token-nobody"), None);
    assert_eq!(config.department_of_token(""), None);
    assert_eq!(config.department_of_token("DEV-TOKEN-STATION"), None);
    // Presenting the stored hash is not presenting the token.
    let hash = config.departments[&Actor::Station].http_token_sha256[0].clone();
    assert_eq!(hash, token_sha256("dev-token-station"));
    assert_eq!(config.department_of_token(&hash), None);
}

#[test]
fn rotated_tokens_both_work() {
    let text = format!(
        "[departments.GRID]\nhttp_token_sha256 = [\"{}\", \"{}\"]\n[departments.CITYMGMT]\nhttp_token_sha256 = [\"{}\"]\n",
        token_sha256("old"),
        token_sha256("new"),
        token_sha256("city")
    );
    let config = load_text(&text).unwrap();
    assert_eq!(config.department_of_token("old"), Some(Actor::Grid));
    assert_eq!(config.department_of_token("new"), Some(Actor::Grid));
    assert_eq!(config.department_of_token("city"), Some(Actor::Citymgmt));
    assert_eq!(config.department_of_token("older"), None);
}

#[test]
fn a_narrower_policy_can_only_remove_fields() {
    let text = r#"
[departments.HEALTH]
org_codes = ["123205854668903451"]
max_sensitivity = "SENSITIVE"
allowed_pii = ["name", "id_number"]
narrow.IDENTITY_UPDATE = { allowed_pii = ["name", "address"], max_sensitivity = "SENSITIVE_MINOR" }
narrow.NO_SUCH_TYPE = { allowed_pii = [] }
narrow.STATION_LEAVE = { allowed_pii = ["name"], max_sensitivity = "GENERAL" }
"#;
    let config = load_text(text).unwrap();
    let problems: Vec<String> = config
        .validate(&registry())
        .unwrap_err()
        .iter()
        .map(ConfigProblem::to_string)
        .collect();
    for expected in [
        "departments.HEALTH.narrow.IDENTITY_UPDATE.max_sensitivity: a narrower policy cannot raise",
        "departments.HEALTH.narrow.IDENTITY_UPDATE.allowed_pii[1]: `address` is not in HEALTH's allowed_pii",
        "departments.HEALTH.narrow.NO_SUCH_TYPE: NO_SUCH_TYPE is not a message type",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "missing {expected:?} in {problems:#?}"
        );
    }
    assert!(
        !problems.iter().any(|p| p.contains("STATION_LEAVE")),
        "{problems:#?}"
    );
    // The narrowed policy, and never wider than the department's, even if unvalidated.
    let health = &config.departments[&Actor::Health];
    let leave = health.field_policy_for("STATION_LEAVE");
    assert_eq!(leave.allowed_pii, ["name".to_owned()].into());
    assert_eq!(
        leave.max_sensitivity,
        Some(contracts::model::Sensitivity::General)
    );
    let update = health.field_policy_for("IDENTITY_UPDATE");
    assert_eq!(update.allowed_pii, ["name".to_owned()].into());
    assert_eq!(
        update.max_sensitivity,
        Some(contracts::model::Sensitivity::Sensitive)
    );
    assert_eq!(
        health.field_policy_for("HOSPITAL_ADMISSION"),
        health.field_policy()
    );
}
