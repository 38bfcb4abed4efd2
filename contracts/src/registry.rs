//! The contract registry: every schema embedded in the binary, each validator compiled once,
//! and validation of raw messages — envelope first, then the payload for its (type, version),
//! then the cross-field rules JSON Schema cannot say.
//!
//! Invariants:
//! * a registry is immutable once built and `Send + Sync`; share it behind an `Arc`;
//! * building it performs no I/O: schemas come from [`crate::embedded`] or from sources the
//!   caller read (`hubctl` reads a directory for test catalogues);
//! * every `$ref` resolves against the preloaded documents, never the network (the schema
//!   hosts are `.invalid`);
//! * `validate_*` never panics on any input, and an `Err` always names at least one violation.

use std::collections::BTreeMap;

use jsonschema::{Draft, Validator};
use serde_json::Value;

use crate::annotations::{self, FieldAnnotation};
use crate::catalogue::MessageType;
use crate::codes;
use crate::describe::violations_of;
use crate::error::Error;
use crate::report::{ValidationReport, Violation};
use crate::rules;
use crate::version::major_of;

/// The base URI of every schema `$id`: `<BASE><path relative to schemas/>`.
pub const SCHEMA_BASE_URI: &str = "https://schemas.rescue-hub.invalid/";

/// Directory of the envelope schema.
const ENVELOPE_DIR: &str = "ENVELOPE";

/// One payload contract: a message type at one major version.
#[derive(Debug)]
pub struct Contract {
    message_type: String,
    major: u32,
    id: String,
    validator: Validator,
    annotations: Vec<FieldAnnotation>,
}

impl Contract {
    /// The wire name of the message type.
    pub fn message_type(&self) -> &str {
        &self.message_type
    }

    /// The major version.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The schema's `$id`.
    pub fn schema_id(&self) -> &str {
        &self.id
    }

    /// The `x-pii` / `x-sensitivity` annotations of every field of the payload, by pointer
    /// pattern (`*` for array items), inherited from enclosing objects and shared types.
    pub fn annotations(&self) -> &[FieldAnnotation] {
        &self.annotations
    }
}

/// A message that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedMessage {
    /// Its type.
    pub message_type: MessageType,
    /// The major version of its payload contract.
    pub major: u32,
    /// The whole message.
    pub value: Value,
}

/// All contracts of the catalogue, compiled.
#[derive(Debug)]
pub struct Registry {
    documents: BTreeMap<String, Value>,
    envelope: Validator,
    contracts: BTreeMap<(String, u32), Contract>,
}

/// Where a schema file sits, from its path relative to `schemas/`.
enum Placement {
    /// `ENVELOPE/v1.json`.
    Envelope,
    /// `<TYPE>/v<N>.json`, TYPE in upper case.
    Contract(String, u32),
    /// Anything else (`common/v1.json`): a shared document.
    Shared,
}

fn placement(path: &str) -> Result<Placement, Error> {
    let misplaced = |reason: &str| Error::SchemaMisplaced {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let (dir, file) = path
        .split_once('/')
        .ok_or_else(|| misplaced("must be <TYPE>/v<N>.json"))?;
    let major = file
        .strip_prefix('v')
        .and_then(|f| f.strip_suffix(".json"))
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| misplaced("file name must be v<N>.json with N >= 1"))?;
    if dir == ENVELOPE_DIR {
        return Ok(Placement::Envelope);
    }
    if !dir.is_empty()
        && dir
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return Ok(Placement::Contract(dir.to_owned(), major));
    }
    Ok(Placement::Shared)
}

impl Registry {
    /// The registry of the schemas embedded in this binary.
    pub fn embedded() -> Result<Registry, Error> {
        Registry::from_sources(crate::embedded::EMBEDDED.iter().map(|(p, c)| (*p, *c)))
    }

    /// Builds a registry from `(path relative to schemas/, file contents)` pairs.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Registry, Error> {
        let mut documents = BTreeMap::new();
        let mut placements = Vec::new();
        for (path, content) in sources {
            let value: Value =
                serde_json::from_str(content).map_err(|source| Error::SchemaNotJson {
                    path: path.to_owned(),
                    source,
                })?;
            let expected_id = format!("{SCHEMA_BASE_URI}{path}");
            let id = value.get("$id").and_then(Value::as_str);
            if id != Some(expected_id.as_str()) {
                return Err(Error::SchemaMisplaced {
                    path: path.to_owned(),
                    reason: format!("its $id must be {expected_id}"),
                });
            }
            placements.push((placement(path)?, expected_id.clone()));
            documents.insert(expected_id, value);
        }

        let resources = jsonschema::Registry::new()
            .extend(documents.iter().map(|(id, doc)| (id.clone(), doc.clone())))
            .and_then(|b| b.prepare())
            .map_err(|e| Error::SchemaCompile {
                id: "(catalogue)".to_owned(),
                message: e.to_string(),
            })?;
        let compile = |id: &str| -> Result<Validator, Error> {
            let schema = documents.get(id).ok_or(Error::MissingEnvelope)?;
            let mut options = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .should_validate_formats(true)
                .should_ignore_unknown_formats(false)
                .with_registry(&resources);
            for format in codes::FORMATS {
                options = options.with_format(format.name, format.check);
            }
            options.build(schema).map_err(|e| Error::SchemaCompile {
                id: id.to_owned(),
                message: e.to_string(),
            })
        };

        let mut envelope = None;
        let mut contracts = BTreeMap::new();
        for (placement, id) in placements {
            match placement {
                Placement::Envelope => envelope = Some(compile(&id)?),
                Placement::Contract(message_type, major) => {
                    let validator = compile(&id)?;
                    let annotations = documents
                        .get(&id)
                        .map(|schema| annotations::collect(&id, schema, &documents))
                        .unwrap_or_default();
                    contracts.insert(
                        (message_type.clone(), major),
                        Contract {
                            message_type,
                            major,
                            id,
                            validator,
                            annotations,
                        },
                    );
                }
                Placement::Shared => {}
            }
        }
        let envelope = envelope.ok_or(Error::MissingEnvelope)?;
        Ok(Registry {
            documents,
            envelope,
            contracts,
        })
    }

    /// Every schema document by `$id` (payload schemas, shared types, envelope).
    pub fn documents(&self) -> &BTreeMap<String, Value> {
        &self.documents
    }

    /// Every payload contract, ordered by (type, major).
    pub fn contracts(&self) -> impl Iterator<Item = &Contract> {
        self.contracts.values()
    }

    /// The contract of a type (wire name) at a major version.
    pub fn contract(&self, message_type: &str, major: u32) -> Option<&Contract> {
        self.contracts.get(&(message_type.to_owned(), major))
    }

    /// The major versions known for a type, ascending.
    pub fn versions(&self, message_type: &str) -> Vec<u32> {
        self.contracts
            .keys()
            .filter(|(t, _)| t == message_type)
            .map(|(_, m)| *m)
            .collect()
    }

    /// Validates a raw message (bytes as received).
    pub fn validate_message(&self, raw: &[u8]) -> Result<ValidatedMessage, ValidationReport> {
        let value: Value = serde_json::from_slice(raw).map_err(|e| {
            ValidationReport::new(
                None,
                None,
                vec![Violation {
                    pointer: String::new(),
                    rule: "json".to_owned(),
                    message: format!(
                        "the message is not JSON (line {}, column {}): {}.",
                        e.line(),
                        e.column(),
                        json_error_kind(&e)
                    ),
                }],
            )
        })?;
        self.validate_value(value)
    }

    /// Validates a parsed message: envelope, then payload, then cross-field rules.
    pub fn validate_value(&self, value: Value) -> Result<ValidatedMessage, ValidationReport> {
        let message_type = value.get("message_type").and_then(Value::as_str);
        let schema_version = value.get("schema_version").and_then(Value::as_str);
        let major = schema_version.and_then(major_of);
        let typed = message_type.and_then(|t| t.parse::<MessageType>().ok());
        let contract = match (message_type, major) {
            (Some(t), Some(m)) => self.contract(t, m),
            _ => None,
        };
        let payload = value.get("payload");

        // Fast path: a valid message pays for no error collection.
        let fast_ok = self.envelope.is_valid(&value)
            && match (contract, payload, typed) {
                (Some(c), Some(p), Some(_)) => c.validator.is_valid(p),
                _ => false,
            };
        let mut violations = Vec::new();
        if !fast_ok {
            violations.extend(self.envelope_violations(&value));
            match (contract, payload) {
                (Some(c), Some(p)) => violations.extend(self.payload_violations(c, p, "/payload")),
                (None, _) => {
                    violations.extend(self.missing_contract(message_type, schema_version, major))
                }
                (Some(_), None) => {}
            }
        }
        violations.extend(rules::check(&value, message_type, major));

        match (typed, major) {
            (Some(message_type), Some(major)) if violations.is_empty() => Ok(ValidatedMessage {
                message_type,
                major,
                value,
            }),
            _ => {
                if violations.is_empty() {
                    // Unreachable in practice: an unknown type or version is reported by the
                    // envelope schema or `missing_contract`. Kept so an Err is never empty.
                    violations.push(Violation {
                        pointer: "/message_type".to_owned(),
                        rule: "catalogue".to_owned(),
                        message: "the message type or version is not in the catalogue.".to_owned(),
                    });
                }
                Err(ValidationReport::new(
                    message_type.map(str::to_owned),
                    schema_version.map(str::to_owned),
                    violations,
                ))
            }
        }
    }

    /// Validates a bare payload against the contract of (type, major); pointers in the
    /// report are relative to the payload (`/person/name`).
    pub fn validate_payload(
        &self,
        message_type: MessageType,
        major: u32,
        payload: &Value,
    ) -> Result<(), ValidationReport> {
        let report = |violations| {
            ValidationReport::new(
                Some(message_type.as_str().to_owned()),
                Some(major.to_string()),
                violations,
            )
        };
        let Some(contract) = self.contract(message_type.as_str(), major) else {
            return Err(report(self.missing_contract(
                Some(message_type.as_str()),
                None,
                Some(major),
            )));
        };
        if contract.validator.is_valid(payload) {
            return Ok(());
        }
        Err(report(self.payload_violations(contract, payload, "")))
    }

    fn envelope_violations(&self, value: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        for error in self.envelope.iter_errors(value) {
            out.extend(violations_of(&error, "", &self.documents));
        }
        out
    }

    fn payload_violations(
        &self,
        contract: &Contract,
        payload: &Value,
        prefix: &str,
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        for error in contract.validator.iter_errors(payload) {
            out.extend(violations_of(&error, prefix, &self.documents));
        }
        out
    }

    /// Explains why no payload contract applies (unknown type is left to the envelope's enum).
    fn missing_contract(
        &self,
        message_type: Option<&str>,
        schema_version: Option<&str>,
        major: Option<u32>,
    ) -> Vec<Violation> {
        let Some(t) = message_type else {
            return Vec::new();
        };
        let known = self.versions(t);
        if known.is_empty() {
            return Vec::new();
        }
        let list = known
            .iter()
            .map(|m| format!("{m}.x.x"))
            .collect::<Vec<_>>()
            .join(", ");
        match (major, schema_version) {
            (Some(m), _) => vec![Violation {
                pointer: "/schema_version".to_owned(),
                rule: "catalogue".to_owned(),
                message: format!("{t} has no version {m}; the catalogue has {list}."),
            }],
            (None, Some(_)) => Vec::new(), // the envelope's pattern already reports it
            (None, None) => Vec::new(),
        }
    }
}

/// A plain description of a JSON parse error class.
fn json_error_kind(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Io => "it could not be read",
        serde_json::error::Category::Syntax => "its syntax is broken",
        serde_json::error::Category::Data => "its data does not fit",
        serde_json::error::Category::Eof => "it ends too early",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalogue_compiles_and_is_complete() {
        let registry = Registry::embedded().unwrap();
        for t in MessageType::ALL {
            assert!(
                registry.contract(t.as_str(), 1).is_some(),
                "{t} has no v1 schema"
            );
        }
        let envelope = registry
            .documents()
            .get(&format!("{SCHEMA_BASE_URI}ENVELOPE/v1.json"))
            .unwrap();
        let listed: Vec<&str> = envelope["properties"]["message_type"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let ours: Vec<&str> = MessageType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(listed, ours, "envelope enum and MessageType::ALL differ");
    }

    #[test]
    fn not_json_is_reported_not_panicked() {
        let registry = Registry::embedded().unwrap();
        let report = registry.validate_message(b"{\"message_id\": ").unwrap_err();
        assert_eq!(report.violations.len(), 1);
        assert_eq!(report.violations[0].rule, "json");
    }

    #[test]
    fn misplaced_schema_is_refused() {
        let err = Registry::from_sources([(
            "REFERRAL/v1.json",
            r#"{"$id": "https://elsewhere/x.json"}"#,
        )])
        .unwrap_err();
        assert!(err.to_string().contains("$id must be"), "{err}");
    }
}
