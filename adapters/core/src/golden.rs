//! Golden files: native ↔ canonical pairs under `tests/golden/<dept>/`, checked the same way
//! for every department.
//!
//! Layout (one folder per direction, files paired by name):
//!
//! * `decode/<name>.<ext>` — a native document as the department system sends it, with
//!   `decode/<name>.json` — the canonical envelopes it decodes to (a JSON array), every one
//!   of which must also validate against its contract; or with
//!   `decode/<name>.error` — a text that the decode error's message must contain (malformed
//!   and untranslatable documents).
//! * `encode/<name>.json` — a canonical envelope (as the hub delivers it), with
//!   `encode/<name>.<ext>` — the exact native document it encodes to.
//!
//! Running the check with `UPDATE_GOLDEN=1` rewrites the expected files from the codec's
//! output (review the diff before committing it).
//!
//! Each pair becomes one named test case ([`libtest_mimic::Trial`]), so a department crate's
//! golden test is `libtest_mimic::run(&args, golden::trials(...))`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use contracts::model::Envelope;
use contracts::registry::Registry;
use libtest_mimic::{Failed, Trial};
use serde_json::Value;

use crate::codec::Codec;
use crate::context::DecodeContext;

/// The repository's golden folder of a department (`tests/golden/<dept>`), from a crate's
/// manifest directory (`adapters/<dept>`).
pub fn department_dir(manifest_dir: &str, department: &str) -> PathBuf {
    Path::new(manifest_dir)
        .join("../../tests/golden")
        .join(department.to_ascii_lowercase())
}

/// One test case per golden pair found under `dir`; `native_ext` is the native files'
/// extension (`xml`, `hl7`, `json`; for JSON formats the canonical file of a pair is told
/// apart by the `.canonical.json` suffix, see [`canonical_name`]).
pub fn trials(
    codec: Arc<dyn Codec>,
    ctx: DecodeContext,
    dir: &Path,
    native_ext: &str,
) -> Result<Vec<Trial>, std::io::Error> {
    let registry = Arc::new(Registry::embedded().map_err(std::io::Error::other)?);
    let mut trials = Vec::new();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for name in names(&dir.join("decode"), native_ext)? {
        let codec = Arc::clone(&codec);
        let registry = Arc::clone(&registry);
        let ctx = ctx.clone();
        let native = dir.join("decode").join(format!("{name}.{native_ext}"));
        let canonical = dir.join("decode").join(canonical_name(&name));
        let error = dir.join("decode").join(format!("{name}.error"));
        trials.push(Trial::test(format!("decode::{name}"), move || {
            check_decode(
                &*codec, &registry, &ctx, &native, &canonical, &error, update,
            )
        }));
    }
    for name in names(&dir.join("encode"), native_ext)? {
        let codec = Arc::clone(&codec);
        let native = dir.join("encode").join(format!("{name}.{native_ext}"));
        let canonical = dir.join("encode").join(canonical_name(&name));
        trials.push(Trial::test(format!("encode::{name}"), move || {
            check_encode(&*codec, &canonical, &native, update)
        }));
    }
    Ok(trials)
}

/// The canonical file paired with native document `name`: `<name>.canonical.json`.
pub fn canonical_name(name: &str) -> String {
    format!("{name}.canonical.json")
}

/// The names (without extension) of the native documents in `dir`, sorted.
fn names(dir: &Path, native_ext: &str) -> Result<Vec<String>, std::io::Error> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let suffix = format!(".{native_ext}");
    let mut names: Vec<String> = fs::read_dir(dir)?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|file| !file.ends_with(".canonical.json"))
        .filter_map(|file| file.strip_suffix(&suffix).map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}

fn check_decode(
    codec: &dyn Codec,
    registry: &Registry,
    ctx: &DecodeContext,
    native: &Path,
    canonical: &Path,
    error: &Path,
    update: bool,
) -> Result<(), Failed> {
    let bytes = read(native)?;
    let decoded = codec.decode(&bytes, ctx);
    if error.exists() {
        let expected = String::from_utf8_lossy(&read(error)?).trim().to_owned();
        return match decoded {
            Ok(d) => Err(format!(
                "{} decoded to {} message(s), expected an error containing {expected:?}",
                native.display(),
                d.messages.len()
            )
            .into()),
            Err(e) if e.to_string().contains(&expected) => Ok(()),
            Err(e) => Err(format!("error {e:?} does not contain {expected:?}").into()),
        };
    }
    let decoded = decoded.map_err(|e| format!("{}: {e}", native.display()))?;
    let actual = serde_json::to_value(&decoded.messages).map_err(|e| e.to_string())?;
    for (i, message) in decoded.messages.iter().enumerate() {
        let value = serde_json::to_value(message).map_err(|e| e.to_string())?;
        registry
            .validate_value(value)
            .map_err(|report| format!("decoded message {i} is not valid: {report}"))?;
    }
    if update {
        write_json(canonical, &actual)?;
        return Ok(());
    }
    let expected: Value = serde_json::from_slice(&read(canonical)?)
        .map_err(|e| format!("{}: {e}", canonical.display()))?;
    if expected != actual {
        return Err(format!(
            "decode of {} differs from {}\nexpected: {}\nactual:   {}",
            native.display(),
            canonical.display(),
            pretty(&expected),
            pretty(&actual)
        )
        .into());
    }
    Ok(())
}

fn check_encode(
    codec: &dyn Codec,
    canonical: &Path,
    native: &Path,
    update: bool,
) -> Result<(), Failed> {
    let message: Envelope<Value> = serde_json::from_slice(&read(canonical)?)
        .map_err(|e| format!("{}: {e}", canonical.display()))?;
    let document = codec
        .encode(&message)
        .map_err(|e| format!("{}: {e}", canonical.display()))?;
    if update {
        fs::write(native, &document.body).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let expected = read(native)?;
    if expected != document.body {
        return Err(format!(
            "encode of {} differs from {}\nexpected: {}\nactual:   {}",
            canonical.display(),
            native.display(),
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(&document.body)
        )
        .into());
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, Failed> {
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn write_json(path: &Path, value: &Value) -> Result<(), Failed> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    text.push('\n');
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}
