//! `hubctl contracts …`: list the catalogue, validate message files, check that every
//! contract change is compatible or covered by a caster.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use contracts::{MessageType, Registry};

/// The `contracts` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ContractsCommand {
    /// List every message type with its versions.
    List {
        /// Read the catalogue from this `schemas/` directory instead of the built-in one.
        #[arg(long, value_name = "DIR")]
        schemas: Option<PathBuf>,
    },
    /// Validate message files; prints OK or every violation with its JSON pointer.
    Validate {
        /// Message files (one JSON envelope each).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print one JSON report per file instead of text.
        #[arg(long)]
        json: bool,
        /// Read the catalogue from this `schemas/` directory instead of the built-in one.
        #[arg(long, value_name = "DIR")]
        schemas: Option<PathBuf>,
    },
    /// Show every field of a contract with its personal-information kind and sensitivity.
    Fields {
        /// Message type, e.g. REFERRAL.
        message_type: String,
        /// Major version (default: the newest).
        #[arg(long)]
        version: Option<u32>,
        /// Read the catalogue from this `schemas/` directory instead of the built-in one.
        #[arg(long, value_name = "DIR")]
        schemas: Option<PathBuf>,
    },
    /// Compare adjacent versions of every contract; fail on a breaking change no caster covers.
    Check {
        /// Read the catalogue from this `schemas/` directory instead of the built-in one.
        #[arg(long, value_name = "DIR")]
        schemas: Option<PathBuf>,
        /// Print every change, not only the verdicts.
        #[arg(long, short)]
        verbose: bool,
    },
}

pub(crate) fn run(command: ContractsCommand) -> Result<ExitCode> {
    match command {
        ContractsCommand::List { schemas } => list(&load(schemas.as_deref())?),
        ContractsCommand::Validate {
            files,
            json,
            schemas,
        } => validate(&load(schemas.as_deref())?, &files, json),
        ContractsCommand::Fields {
            message_type,
            version,
            schemas,
        } => fields(&load(schemas.as_deref())?, &message_type, version),
        ContractsCommand::Check { schemas, verbose } => check(&load(schemas.as_deref())?, verbose),
    }
}

/// The built-in catalogue, or one read from a directory laid out like `contracts/schemas/`.
fn load(dir: Option<&Path>) -> Result<Registry> {
    let Some(dir) = dir else {
        return Registry::embedded().context("the built-in contract catalogue does not compile");
    };
    let mut sources = BTreeMap::new();
    read_dir_recursive(dir, dir, &mut sources)?;
    Registry::from_sources(sources.iter().map(|(p, c)| (p.as_str(), c.as_str())))
        .with_context(|| format!("the catalogue in {} does not compile", dir.display()))
}

fn read_dir_recursive(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) -> Result<()> {
    for entry in
        fs::read_dir(dir).with_context(|| format!("cannot read directory {}", dir.display()))?
    {
        let path = entry?.path();
        if path.is_dir() {
            read_dir_recursive(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            let relative = path
                .strip_prefix(root)?
                .to_string_lossy()
                .replace('\\', "/");
            let text = fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            out.insert(relative, text);
        }
    }
    Ok(())
}

fn list(registry: &Registry) -> Result<ExitCode> {
    let mut types: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for contract in registry.contracts() {
        types
            .entry(contract.message_type())
            .or_default()
            .push(contract.major());
    }
    println!(
        "{:<24} {:<5} {:<10} {:<6} SENDERS",
        "MESSAGE TYPE", "NO.", "VERSIONS", "PII"
    );
    // Catalogue order for known types, then any others (test catalogues) by name.
    let mut ordered: Vec<(&str, Vec<u32>)> = Vec::new();
    for t in MessageType::ALL {
        if let Some(v) = types.remove(t.as_str()) {
            ordered.push((t.as_str(), v));
        }
    }
    ordered.extend(types);
    for (name, versions) in ordered {
        let typed = name.parse::<MessageType>().ok();
        let number = typed.map(|t| t.catalogue_no()).unwrap_or("-");
        let senders = typed
            .map(|t| {
                t.typical_senders()
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default();
        let latest = versions.iter().max().copied().unwrap_or(1);
        let pii = registry
            .contract(name, latest)
            .map(|c| c.annotations().iter().filter(|a| a.pii.is_some()).count())
            .unwrap_or(0);
        let versions = versions
            .iter()
            .map(|v| format!("v{v}"))
            .collect::<Vec<_>>()
            .join(",");
        println!("{name:<24} {number:<5} {versions:<10} {pii:<10} {senders}");
    }
    Ok(ExitCode::SUCCESS)
}

fn fields(registry: &Registry, message_type: &str, version: Option<u32>) -> Result<ExitCode> {
    let versions = registry.versions(message_type);
    let Some(major) = version.or_else(|| versions.last().copied()) else {
        anyhow::bail!("`{message_type}` is not in the catalogue (see `hubctl contracts list`)");
    };
    let contract = registry
        .contract(message_type, major)
        .with_context(|| format!("{message_type} has no version {major}; it has {versions:?}"))?;
    println!("{message_type} v{major}");
    println!("{:<56} {:<22} SENSITIVITY", "FIELD", "PII");
    for field in contract.annotations() {
        let sensitivity = match field.sensitivity {
            contracts::model::Sensitivity::General => "GENERAL",
            contracts::model::Sensitivity::Sensitive => "SENSITIVE",
            contracts::model::Sensitivity::SensitiveMinor => "SENSITIVE_MINOR",
        };
        println!(
            "{:<56} {:<22} {sensitivity}",
            field.pointer,
            field.pii.as_deref().unwrap_or("-")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn validate(registry: &Registry, files: &[PathBuf], json: bool) -> Result<ExitCode> {
    let mut all_valid = true;
    for file in files {
        let raw = match fs::read(file) {
            Ok(raw) => raw,
            Err(error) => {
                all_valid = false;
                eprintln!("{}: cannot read: {error}", file.display());
                continue;
            }
        };
        let outcome = registry.validate_message(&raw);
        all_valid &= outcome.is_ok();
        if json {
            let line = match &outcome {
                Ok(message) => serde_json::json!({
                    "file": file.display().to_string(),
                    "valid": true,
                    "message_type": message.message_type,
                    "major": message.major,
                }),
                Err(report) => serde_json::json!({
                    "file": file.display().to_string(),
                    "valid": false,
                    "report": report,
                }),
            };
            println!("{line}");
        } else {
            match outcome {
                Ok(message) => println!(
                    "{}: OK ({} v{})",
                    file.display(),
                    message.message_type,
                    message.major
                ),
                Err(report) => {
                    let n = report.violations.len();
                    println!(
                        "{}: INVALID, {n} violation{}",
                        file.display(),
                        if n == 1 { "" } else { "s" }
                    );
                    for violation in &report.violations {
                        println!("  {violation}");
                    }
                }
            }
        }
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn check(registry: &Registry, verbose: bool) -> Result<ExitCode> {
    let verdicts = contracts::evolution::check_catalogue(registry);
    let mut acceptable = true;
    for verdict in &verdicts {
        acceptable &= verdict.is_acceptable();
        if verbose || !verdict.is_acceptable() {
            print!("{verdict}");
        } else {
            let text = verdict.to_string();
            print!(
                "{}",
                text.lines()
                    .next()
                    .map(|l| format!("{l}\n"))
                    .unwrap_or_default()
            );
        }
    }
    println!(
        "{} contract(s), {} version pair(s) checked; {}",
        registry.contracts().count(),
        verdicts.len(),
        if acceptable {
            "every change is compatible or covered by a caster"
        } else {
            "UNCOVERED breaking change(s) found"
        }
    );
    Ok(if acceptable {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
