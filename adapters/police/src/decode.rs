//! Decoding: police document bytes → canonical envelopes; and reading the police system's
//! receipts (回执) to the adapter's deliveries.
//!
//! Steps, each with its own [`CodecError`]:
//! 1. character encoding ([`read_text`]): UTF-8 (BOM optional) or GB18030 (declared as
//!    `GB18030`, `GBK` or `GB2312`, all read as GB18030); any other declared encoding, a BOM
//!    that contradicts the declaration, or bytes invalid in the declared (or, undeclared,
//!    UTF-8) encoding is refused;
//! 2. XML ([`parse_tree`]): well-formed, one root, no DTD, no attributes but `xmlns`,
//!    nesting at most [`MAX_DEPTH`] deep, at most [`MAX_ELEMENTS`] elements;
//! 3. vocabulary ([`decode_group`]): every element known to its parent's table, none twice,
//!    every value in its [`Kind`]'s written form; for kinds the police send, every required
//!    field present;
//! 4. envelope: header fields, else the [`DecodeContext`], else the kind's defaults.
//!
//! Invariant: total — any bytes give `Ok` or a `CodecError`, never a panic; recursion is
//! bounded by the vocabulary's depth, not by the input's.

use std::borrow::Cow;

use adapter_core::{CodecError, DecodeContext, Decoded, DeliveryResponse, NativeRef, ids};
use contracts::codes::datetime::CivilDate;
use contracts::model::envelope::{LegalBasis, Purpose, Signature};
use contracts::model::{Actor, Attachment, Envelope, Sensitivity};
use contracts::version::major_of;
use encoding_rs::{DecoderResult, GB18030};
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Map, Number, Value};

use crate::native::{
    DOCUMENT_ID, DOCUMENT_KIND, DocumentKind, Element, Field, HEADER, HEADER_TAG, Kind,
    RECEIPT_TAG, is_xml_char, result_code,
};

/// The native format's name in errors.
const FORMAT: &str = "XML";

/// Deepest element nesting accepted (the vocabulary needs 7).
pub(crate) const MAX_DEPTH: usize = 32;

/// Most elements accepted in one document.
pub(crate) const MAX_ELEMENTS: usize = 100_000;

/// Longest value quoted in an error message (characters).
const QUOTE_CHARS: usize = 64;

/// Decodes one police document into its canonical envelope.
pub(crate) fn decode_document(bytes: &[u8], ctx: &DecodeContext) -> Result<Decoded, CodecError> {
    let text = read_text(bytes)?;
    let root = parse_tree(&text)?;
    let kind = DocumentKind::of_root(&root.name).ok_or_else(|| CodecError::UnsupportedKind {
        kind: root.name.clone(),
        detail: format!(
            "the police exchange documents are {}",
            DocumentKind::ALL
                .iter()
                .map(|k| format!("<{}> {}", k.root(), k.name_zh()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })?;
    let root_name = kind.root();

    let mut header_element = None;
    let mut body = Element::group(root_name, Vec::new());
    body.text = root.text;
    for child in root.children {
        if child.name != HEADER_TAG {
            body.children.push(child);
        } else if header_element.is_some() {
            return Err(twice(&format!("{root_name}/{HEADER_TAG}"), ""));
        } else {
            header_element = Some(child);
        }
    }
    let header_element = header_element.ok_or_else(|| CodecError::MissingField {
        field: format!("{root_name}/{HEADER_TAG}"),
        meaning: "消息头".to_owned(),
    })?;
    let header_path = format!("{root_name}/{HEADER_TAG}");
    let header = decode_group(&header_element, HEADER, &header_path, true)?;
    let payload = decode_group(&body, kind.body(), root_name, kind.police_sends())?;
    let (native_ref, envelope) = envelope(kind, header, payload, ctx, &header_path)?;
    Ok(Decoded {
        native_ref,
        messages: vec![envelope],
    })
}

/// Builds the envelope from the decoded header, falling back to the context and the kind's
/// defaults for what the header leaves out.
fn envelope(
    kind: DocumentKind,
    mut header: Map<String, Value>,
    payload: Map<String, Value>,
    ctx: &DecodeContext,
    path: &str,
) -> Result<(NativeRef, Envelope<Value>), CodecError> {
    let document_id = take_string(&mut header, DOCUMENT_ID).unwrap_or_default();
    let document_kind = take_string(&mut header, DOCUMENT_KIND).unwrap_or_default();
    if document_kind != kind.root() {
        return Err(CodecError::InvalidField {
            field: format!("{path}/wdlx"),
            value: quote(&document_kind),
            detail: format!(
                "the root element is <{root}>, so the document kind must be {root}",
                root = kind.root()
            ),
        });
    }
    let message_type = kind.message_type();
    let defaults = kind.defaults();
    let payload = Value::Object(payload);
    let minor = concerns_minor(&payload, 0);

    let message_id = take_string(&mut header, "message_id")
        .unwrap_or_else(|| ids::message_id(Actor::Police, &document_id, message_type, 0));
    let schema_version =
        take_string(&mut header, "schema_version").unwrap_or_else(|| "1.0.0".to_owned());
    if major_of(&schema_version) != Some(1) {
        return Err(CodecError::InvalidField {
            field: format!("{path}/bbh"),
            value: quote(&schema_version),
            detail: format!(
                "the police format carries version 1 of {message_type}: write 1.<minor>.<patch> or leave bbh out"
            ),
        });
    }
    let sender_org_type = match take_string(&mut header, "sender_org_type") {
        None => Actor::Police,
        Some(code) => Actor::from_code(&code).ok_or_else(|| CodecError::InvalidField {
            field: format!("{path}/fsdwlb"),
            value: quote(&code),
            detail: "not a party of the exchange: POLICE, HEALTH, CITYMGMT, GRID, CIVIL, STATION, ORIGIN or HUB".to_owned(),
        })?,
    };
    let legal_basis = match header.remove("legal_basis") {
        None => {
            let mut codes: Vec<&str> = defaults.legal_basis.to_vec();
            if minor {
                codes.push("MINOR_LAW_ART92");
            }
            codes
                .into_iter()
                .map(|c| typed::<LegalBasis>(Value::String(c.to_owned()), path, "fljj"))
                .collect::<Result<Vec<_>, _>>()?
        }
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| typed::<LegalBasis>(v, path, "fljj/yj"))
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => vec![typed::<LegalBasis>(other, path, "fljj")?],
    };
    let purpose_code = typed::<Purpose>(
        header
            .remove("purpose_code")
            .unwrap_or_else(|| Value::String(defaults.purpose.to_owned())),
        path,
        "clmd",
    )?;
    let sensitivity = match header.remove("sensitivity") {
        Some(value) => typed::<Sensitivity>(value, path, "mgjb")?,
        None if minor => Sensitivity::SensitiveMinor,
        None => typed::<Sensitivity>(Value::String(defaults.sensitivity.to_owned()), path, "mgjb")?,
    };
    let receiver_org_codes = match header.remove("receiver_org_codes") {
        None => ctx.receiver_org_codes.clone(),
        Some(value) => typed::<Vec<String>>(value, path, "jsdw")?,
    };
    let signature = header
        .remove("signature")
        .map(|v| typed::<Signature>(v, path, "qm"))
        .transpose()?;
    let attachments = header
        .remove("attachments")
        .map(|v| typed::<Vec<Attachment>>(v, path, "fjlb"))
        .transpose()?;

    let correlation_id = take_string(&mut header, "correlation_id");
    if correlation_id.is_none() && kind.police_sends() && kind.is_answer() {
        return Err(CodecError::MissingField {
            field: format!("{path}/glxxbs"),
            meaning: "关联消息标识: the xxbs of the document answered".to_owned(),
        });
    }
    let sender_org_code = take_string(&mut header, "sender_org_code");
    let mut reply_to = std::collections::BTreeMap::new();
    if let Some(code) = &sender_org_code {
        reply_to.insert("fsdwdm".to_owned(), code.clone());
    }
    let envelope = Envelope {
        message_id,
        message_type,
        schema_version,
        case_id: take_string(&mut header, "case_id"),
        correlation_id,
        sender_org_code: sender_org_code.unwrap_or_else(|| ctx.sender_org_code.clone()),
        sender_org_type,
        sender_system: take_string(&mut header, "sender_system")
            .unwrap_or_else(|| ctx.sender_system.clone()),
        receiver_org_codes,
        sent_at: take_string(&mut header, "sent_at").unwrap_or_else(|| ctx.received_at.clone()),
        region_code: take_string(&mut header, "region_code")
            .unwrap_or_else(|| ctx.region_code.clone()),
        legal_basis,
        purpose_code,
        sensitivity,
        retention_until: take_string(&mut header, "retention_until"),
        signature,
        attachments,
        payload,
    };
    let native_ref = NativeRef {
        document_id,
        document_kind: kind.root().to_owned(),
        reply_to,
    };
    Ok((native_ref, envelope))
}

/// Whether the payload concerns a minor (any `is_minor` / `is_minor_suspected` that is
/// true), which makes a defaulted sensitivity `SENSITIVE_MINOR` (PIPL art. 28).
fn concerns_minor(value: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        Value::Object(map) => {
            ["is_minor", "is_minor_suspected"]
                .iter()
                .any(|k| map.get(*k) == Some(&Value::Bool(true)))
                || map.values().any(|v| concerns_minor(v, depth + 1))
        }
        Value::Array(items) => items.iter().any(|v| concerns_minor(v, depth + 1)),
        _ => false,
    }
}

/// A header value into its typed envelope field.
fn typed<T: serde::de::DeserializeOwned>(
    value: Value,
    path: &str,
    tag: &str,
) -> Result<T, CodecError> {
    let shown = match &value {
        Value::String(s) => quote(s),
        other => quote(&other.to_string()),
    };
    serde_json::from_value(value).map_err(|e| CodecError::InvalidField {
        field: format!("{path}/{tag}"),
        value: shown,
        detail: format!("not a value of the hub's code list ({e})"),
    })
}

fn take_string(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.remove(key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary: element tree → JSON, table-driven.
// ---------------------------------------------------------------------------------------------

/// Decodes the children of `element` per `fields`. `strict` requires the required fields.
pub(crate) fn decode_group(
    element: &Element,
    fields: &[Field],
    path: &str,
    strict: bool,
) -> Result<Map<String, Value>, CodecError> {
    if !is_blank(&element.text) {
        return Err(CodecError::InvalidField {
            field: path.to_owned(),
            value: quote(element.text.trim()),
            detail: format!("<{}> holds elements, not text", element.name),
        });
    }
    let mut out = Map::new();
    let mut seen: Vec<&str> = Vec::new();
    for child in &element.children {
        let child_path = format!("{path}/{}", child.name);
        let field = fields
            .iter()
            .find(|f| f.accepts(&child.name))
            .ok_or_else(|| CodecError::InvalidField {
                field: child_path.clone(),
                value: quote(child.text.trim()),
                detail: format!(
                    "<{}> is not an element of <{}> (elements: {})",
                    child.name,
                    element.name,
                    fields.iter().map(|f| f.tag).collect::<Vec<_>>().join(", ")
                ),
            })?;
        if seen.contains(&field.json) {
            return Err(twice(&child_path, &child.text));
        }
        seen.push(field.json);
        if let Some(value) = decode_value(child, field.kind, &child_path, strict)? {
            out.insert(field.json.to_owned(), value);
        }
    }
    if strict
        && let Some(missing) = fields
            .iter()
            .find(|f| f.required && !out.contains_key(f.json))
    {
        return Err(CodecError::MissingField {
            field: format!("{path}/{}", missing.tag),
            meaning: missing.zh.to_owned(),
        });
    }
    Ok(out)
}

/// Decodes one element's value; `None` for an empty leaf ("not filled in").
fn decode_value(
    element: &Element,
    kind: Kind,
    path: &str,
    strict: bool,
) -> Result<Option<Value>, CodecError> {
    match kind {
        Kind::Group(fields) => Ok(Some(Value::Object(decode_group(
            element, fields, path, strict,
        )?))),
        Kind::List(item, of) => {
            if !is_blank(&element.text) {
                return Err(CodecError::InvalidField {
                    field: path.to_owned(),
                    value: quote(element.text.trim()),
                    detail: format!("<{}> holds <{item}> elements, not text", element.name),
                });
            }
            let mut items = Vec::with_capacity(element.children.len());
            for (i, child) in element.children.iter().enumerate() {
                let item_path = format!("{path}/{}[{}]", child.name, i + 1);
                if child.name != item {
                    return Err(CodecError::InvalidField {
                        field: item_path,
                        value: String::new(),
                        detail: format!("<{}> holds only <{item}> elements", element.name),
                    });
                }
                let value = decode_value(child, *of, &item_path, strict)?.ok_or_else(|| {
                    CodecError::InvalidField {
                        field: item_path.clone(),
                        value: String::new(),
                        detail: "a list item must not be empty".to_owned(),
                    }
                })?;
                items.push(value);
            }
            Ok(Some(Value::Array(items)))
        }
        leaf => {
            if let Some(child) = element.children.first() {
                return Err(CodecError::InvalidField {
                    field: path.to_owned(),
                    value: String::new(),
                    detail: format!(
                        "<{}> holds a value, not elements (found <{}>)",
                        element.name, child.name
                    ),
                });
            }
            decode_leaf(&element.text, leaf, path)
        }
    }
}

/// Reads a leaf value in its kind's written form.
fn decode_leaf(text: &str, kind: Kind, path: &str) -> Result<Option<Value>, CodecError> {
    let invalid = |detail: &str| CodecError::InvalidField {
        field: path.to_owned(),
        value: quote(text),
        detail: detail.to_owned(),
    };
    match kind {
        Kind::Pointer => return Ok(Some(Value::String(text.to_owned()))),
        Kind::Text | Kind::Code | Kind::IdNumber => {
            return Ok((!text.is_empty()).then(|| Value::String(text.to_owned())));
        }
        _ => {}
    }
    // Typed values: surrounding whitespace is layout, an empty value is "not filled in".
    let value = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if value.is_empty() {
        return Ok(None);
    }
    let decoded = match kind {
        Kind::Int => integer(value)
            .map(Value::Number)
            .ok_or_else(|| invalid("expected an integer (decimal digits)"))?,
        Kind::Dec => decimal(value)
            .map(Value::Number)
            .ok_or_else(|| invalid("expected a decimal number, e.g. 23.5"))?,
        Kind::Bool => match value {
            "1" => Value::Bool(true),
            "0" => Value::Bool(false),
            _ => return Err(invalid("expected 1 (是) or 0 (否)")),
        },
        Kind::DateTime => Value::String(date_time(value).map_err(|d| invalid(&d))?),
        Kind::Date => Value::String(full_date(value).map_err(|d| invalid(&d))?.to_string()),
        Kind::PartialDate => Value::String(partial_date(value).map_err(|d| invalid(&d))?),
        Kind::Text
        | Kind::Code
        | Kind::IdNumber
        | Kind::Pointer
        | Kind::Group(_)
        | Kind::List(..) => return Err(invalid("not a leaf value")),
    };
    Ok(Some(decoded))
}

/// `-?[0-9]+` as a JSON integer.
fn integer(text: &str) -> Option<Number> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(n) = text.parse::<u64>() {
        return Some(Number::from(n));
    }
    text.parse::<i64>().ok().map(Number::from)
}

/// A JSON-grammar number: integers stay integers, anything with a fraction or an exponent
/// becomes a float (so `23` and `23.0` round-trip as written).
fn decimal(text: &str) -> Option<Number> {
    let b = text.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return None;
    }
    let mut float = false;
    if b.get(i) == Some(&b'.') {
        i += 1;
        float = true;
        if !digits(&mut i) {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        float = true;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != b.len() || text.len() > 64 {
        return None;
    }
    if float {
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(Number::from_f64)
    } else {
        integer(text)
    }
}

/// `n` ASCII digits at `at` as a number.
fn digits_at(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let slice = b.get(at..at + n)?;
    slice.iter().try_fold(0u32, |acc, d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

/// `YYYYMMDD` → a real calendar date.
fn full_date(text: &str) -> Result<CivilDate, String> {
    let b = text.as_bytes();
    if b.len() != 8 {
        return Err("expected a date YYYYMMDD, e.g. 20250301".to_owned());
    }
    let (Some(y), Some(m), Some(d)) = (digits_at(b, 0, 4), digits_at(b, 4, 2), digits_at(b, 6, 2))
    else {
        return Err("expected a date YYYYMMDD, e.g. 20250301".to_owned());
    };
    civil(y, m, d)
}

fn civil(year: u32, month: u32, day: u32) -> Result<CivilDate, String> {
    let (Ok(year), Ok(month), Ok(day)) =
        (i32::try_from(year), u8::try_from(month), u8::try_from(day))
    else {
        return Err("not a real calendar date".to_owned());
    };
    CivilDate::new(year, month, day)
        .ok_or_else(|| format!("{year:04}{month:02}{day:02} is not a real calendar date"))
}

/// `YYYY`, `YYYYMM` or `YYYYMMDD` → `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
fn partial_date(text: &str) -> Result<String, String> {
    let b = text.as_bytes();
    let syntax =
        || "expected YYYY, YYYYMM or YYYYMMDD (出生日期 as far as known), e.g. 19800517".to_owned();
    let year = digits_at(b, 0, 4).ok_or_else(syntax)?;
    match b.len() {
        4 => Ok(format!("{year:04}")),
        6 => {
            let month = digits_at(b, 4, 2).ok_or_else(syntax)?;
            if !(1..=12).contains(&month) {
                return Err(format!("month {month:02} is not 01–12"));
            }
            Ok(format!("{year:04}-{month:02}"))
        }
        8 => full_date(text).map(|d| d.to_string()),
        _ => Err(syntax()),
    }
}

/// `YYYYMMDDHHMMSS[.fff]` in Beijing time → `YYYY-MM-DDTHH:MM:SS[.fff]+08:00`.
fn date_time(text: &str) -> Result<String, String> {
    let syntax = || {
        "expected a date-time YYYYMMDDHHMMSS in Beijing time (北京时间), e.g. 20250301072641"
            .to_owned()
    };
    let b = text.as_bytes();
    if b.len() < 14 || !b.iter().take(14).all(u8::is_ascii_digit) {
        return Err(syntax());
    }
    let date = full_date(text.get(0..8).ok_or_else(syntax)?)?;
    let (Some(hour), Some(minute), Some(second)) =
        (digits_at(b, 8, 2), digits_at(b, 10, 2), digits_at(b, 12, 2))
    else {
        return Err(syntax());
    };
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!(
            "time of day {hour:02}{minute:02}{second:02} is out of range (hour ≤ 23, minute ≤ 59, second ≤ 60)"
        ));
    }
    let fraction = match b.get(14..) {
        Some([]) | None => "",
        Some([b'.', rest @ ..]) if !rest.is_empty() && rest.iter().all(u8::is_ascii_digit) => {
            text.get(14..).unwrap_or_default()
        }
        Some(_) => return Err(syntax()),
    };
    Ok(format!(
        "{date}T{hour:02}:{minute:02}:{second:02}{fraction}+08:00"
    ))
}

fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c.is_ascii_whitespace())
}

fn twice(path: &str, text: &str) -> CodecError {
    CodecError::InvalidField {
        field: path.to_owned(),
        value: quote(text.trim()),
        detail: "the element appears twice".to_owned(),
    }
}

/// A value for an error message, cut to [`QUOTE_CHARS`] characters.
fn quote(text: &str) -> String {
    if text.chars().count() <= QUOTE_CHARS {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(QUOTE_CHARS).collect();
        cut.push('…');
        cut
    }
}

// ---------------------------------------------------------------------------------------------
// Bytes → text: the character encoding.
// ---------------------------------------------------------------------------------------------

/// The character encodings a police document may be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Gb18030,
}

/// The document's text, decoded from its declared character encoding.
pub(crate) fn read_text(bytes: &[u8]) -> Result<Cow<'_, str>, CodecError> {
    let encoding_error = |detail: String| CodecError::Malformed {
        format: FORMAT,
        location: "character encoding".to_owned(),
        detail,
    };
    if bytes.starts_with(&[0xFE, 0xFF]) || bytes.starts_with(&[0xFF, 0xFE]) {
        return Err(encoding_error(
            "the document is UTF-16 (byte order mark FE FF / FF FE); write it as UTF-8 or GB18030"
                .to_owned(),
        ));
    }
    let (bom, rest) = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let declared = declared_encoding(rest)?;
    let charset = match declared.as_deref() {
        None => Charset::Utf8,
        Some(label) => match label.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Charset::Utf8,
            "gb18030" | "gbk" | "gb2312" => Charset::Gb18030,
            _ => {
                return Err(CodecError::Malformed {
                    format: FORMAT,
                    location: "XML declaration".to_owned(),
                    detail: format!(
                        "encoding {label:?} is not accepted: declare encoding=\"UTF-8\" or encoding=\"GB18030\""
                    ),
                });
            }
        },
    };
    match charset {
        Charset::Utf8 => std::str::from_utf8(rest).map(Cow::Borrowed).map_err(|e| {
            let offset = e.valid_up_to() + if bom { 3 } else { 0 };
            let byte = bytes.get(offset).copied().unwrap_or_default();
            encoding_error(match declared {
                Some(_) => format!(
                    "the document declares UTF-8, but byte 0x{byte:02X} at offset {offset} is not valid UTF-8 (a GB18030 document must declare encoding=\"GB18030\")"
                ),
                None => format!(
                    "the document declares no encoding, so it must be UTF-8, but byte 0x{byte:02X} at offset {offset} is not valid UTF-8; declare encoding=\"GB18030\" for a GB18030 document"
                ),
            })
        }),
        Charset::Gb18030 if bom => Err(encoding_error(
            "the document starts with a UTF-8 byte order mark but declares GB18030".to_owned(),
        )),
        Charset::Gb18030 => {
            let mut decoder = GB18030.new_decoder_without_bom_handling();
            let capacity = decoder
                .max_utf8_buffer_length_without_replacement(rest.len())
                .ok_or_else(|| encoding_error("the document is too large".to_owned()))?;
            let mut text = String::with_capacity(capacity);
            let (result, read) =
                decoder.decode_to_string_without_replacement(rest, &mut text, true);
            match result {
                DecoderResult::InputEmpty => Ok(Cow::Owned(text)),
                DecoderResult::Malformed(bad, extra) => {
                    let offset = read
                        .saturating_sub(usize::from(bad))
                        .saturating_sub(usize::from(extra));
                    Err(encoding_error(format!(
                        "the document declares GB18030, but the bytes at offset {offset} are not valid GB18030"
                    )))
                }
                DecoderResult::OutputFull => Err(encoding_error(
                    "the document could not be decoded as GB18030".to_owned(),
                )),
            }
        }
    }
}

/// The `encoding` of the XML declaration, if the document starts with one.
fn declared_encoding(bytes: &[u8]) -> Result<Option<String>, CodecError> {
    let malformed = |detail: &str| CodecError::Malformed {
        format: FORMAT,
        location: "XML declaration".to_owned(),
        detail: detail.to_owned(),
    };
    let Some(after) = bytes.strip_prefix(b"<?xml") else {
        return Ok(None);
    };
    if !after.first().is_some_and(u8::is_ascii_whitespace) {
        // `<?xml-stylesheet …?>` and the like: a processing instruction, not a declaration.
        return Ok(None);
    }
    let end = after
        .windows(2)
        .take(512)
        .position(|w| w == b"?>")
        .ok_or_else(|| malformed("the XML declaration is not closed with ?>"))?;
    let decl = after
        .get(..end)
        .and_then(|d| std::str::from_utf8(d).ok())
        .filter(|d| d.is_ascii())
        .ok_or_else(|| malformed("the XML declaration must be ASCII"))?;
    let mut rest = decl.trim_start();
    let mut version = None;
    let mut encoding = None;
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let (name, tail) = rest.split_at(name_end);
        let tail = tail.trim_start();
        let tail = tail
            .strip_prefix('=')
            .ok_or_else(|| malformed("expected name=\"value\" pairs in the XML declaration"))?
            .trim_start();
        let quote = tail
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
            .ok_or_else(|| malformed("values in the XML declaration must be quoted"))?;
        let tail = tail.get(1..).unwrap_or_default();
        let value_end = tail
            .find(quote)
            .ok_or_else(|| malformed("unterminated value in the XML declaration"))?;
        let value = tail.get(..value_end).unwrap_or_default();
        match name {
            "version" => version = Some(value.to_owned()),
            "encoding" => encoding = Some(value.trim().to_owned()),
            "standalone" => {}
            _ => {
                return Err(malformed(&format!(
                    "unknown {name:?} in the XML declaration"
                )));
            }
        }
        rest = tail.get(value_end + 1..).unwrap_or_default().trim_start();
    }
    match version.as_deref() {
        Some("1.0") => Ok(encoding),
        Some(other) => Err(malformed(&format!(
            "XML version {other:?} is not accepted: write version=\"1.0\""
        ))),
        None => Err(malformed("the XML declaration lacks version=\"1.0\"")),
    }
}

// ---------------------------------------------------------------------------------------------
// Text → element tree.
// ---------------------------------------------------------------------------------------------

/// Parses well-formed XML into its root element.
pub(crate) fn parse_tree(text: &str) -> Result<Element, CodecError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    let mut first = true;
    let at = |reader: &Reader<&[u8]>| location(text, reader.buffer_position());
    loop {
        let event = reader.read_event().map_err(|e| CodecError::Malformed {
            format: FORMAT,
            location: location(text, reader.error_position()),
            detail: e.to_string(),
        })?;
        let malformed = |detail: String| CodecError::Malformed {
            format: FORMAT,
            location: at(&reader),
            detail,
        };
        match event {
            Event::Decl(_) if first => {}
            Event::Decl(_) => {
                return Err(malformed(
                    "the XML declaration must be the very first thing in the document".to_owned(),
                ));
            }
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                return Err(malformed(format!(
                    "<{name}> after the root element: a document has exactly one root"
                )));
            }
            Event::Start(start) => {
                stack.push(open(&start).map_err(malformed)?);
                check_size(&stack, &mut elements).map_err(malformed)?;
            }
            Event::Empty(start) => {
                let element = open(&start).map_err(malformed)?;
                stack.push(element);
                check_size(&stack, &mut elements).map_err(malformed)?;
                close(&mut stack, &mut root);
            }
            Event::End(_) => close(&mut stack, &mut root),
            Event::Text(t) => {
                let content = t.xml10_content().map_err(|e| malformed(e.to_string()))?;
                append(&mut stack, &content).map_err(malformed)?;
            }
            Event::CData(c) => {
                let content = c.decode().map_err(|e| malformed(e.to_string()))?;
                append(&mut stack, &content).map_err(malformed)?;
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => {
                        let name = r.decode().map_err(|e| malformed(e.to_string()))?;
                        match name.as_ref() {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "quot" => '"',
                            "apos" => '\'',
                            other => {
                                return Err(malformed(format!(
                                    "unknown entity &{other}; (only &amp; &lt; &gt; &quot; &apos; and character references)"
                                )));
                            }
                        }
                    }
                    Err(e) => return Err(malformed(e.to_string())),
                };
                append(&mut stack, resolved.encode_utf8(&mut [0u8; 4])).map_err(malformed)?;
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::DocType(_) => {
                return Err(malformed(
                    "document type declarations (DTD) are not accepted".to_owned(),
                ));
            }
            Event::Eof => break,
        }
        first = false;
    }
    if let Some(open) = stack.last() {
        return Err(CodecError::Malformed {
            format: FORMAT,
            location: location(text, u64::try_from(text.len()).unwrap_or(u64::MAX)),
            detail: format!("the document ends inside <{}>", open.name),
        });
    }
    root.ok_or_else(|| CodecError::Malformed {
        format: FORMAT,
        location: "line 1, column 1".to_owned(),
        detail: "the document has no root element".to_owned(),
    })
}

/// A new element from its start tag; attributes other than namespace declarations are
/// refused (they are not part of the format).
fn open(start: &quick_xml::events::BytesStart<'_>) -> Result<Element, String> {
    let name = std::str::from_utf8(start.name().as_ref())
        .map_err(|e| e.to_string())?
        .to_owned();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| e.to_string())?;
        let key = attribute.key.as_ref();
        if key != b"xmlns" && !key.starts_with(b"xmlns:") {
            return Err(format!(
                "attribute {:?} on <{name}>: the format carries every value in an element",
                String::from_utf8_lossy(key)
            ));
        }
    }
    Ok(Element::group(&name, Vec::new()))
}

fn check_size(stack: &[Element], elements: &mut usize) -> Result<(), String> {
    *elements += 1;
    if stack.len() > MAX_DEPTH {
        return Err(format!("elements are nested more than {MAX_DEPTH} deep"));
    }
    if *elements > MAX_ELEMENTS {
        return Err(format!(
            "the document has more than {MAX_ELEMENTS} elements"
        ));
    }
    Ok(())
}

fn close(stack: &mut Vec<Element>, root: &mut Option<Element>) {
    // quick-xml checks that end tags match start tags, so the stack is never empty here.
    if let Some(element) = stack.pop() {
        match stack.last_mut() {
            Some(parent) => parent.children.push(element),
            None => *root = Some(element),
        }
    }
}

fn append(stack: &mut [Element], text: &str) -> Result<(), String> {
    if let Some(bad) = text.chars().find(|c| !is_xml_char(*c)) {
        return Err(format!(
            "character U+{:04X} is not allowed in XML 1.0",
            u32::from(bad)
        ));
    }
    match stack.last_mut() {
        Some(element) => element.text.push_str(text),
        None if is_blank(text) => {}
        None => return Err("text outside the root element".to_owned()),
    }
    Ok(())
}

/// `line L, column C` (columns in characters) of a byte offset.
fn location(text: &str, offset: u64) -> String {
    let mut offset = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}")
}

// ---------------------------------------------------------------------------------------------
// Receipts (回执) from the police system.
// ---------------------------------------------------------------------------------------------

/// A receipt as read: result code, summary and reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Receipt {
    code: String,
    summary: String,
    reasons: Vec<String>,
}

impl Receipt {
    fn describe(&self) -> String {
        let mut text = format!("回执 jgdm={}", self.code);
        if !self.summary.is_empty() {
            text.push(' ');
            text.push_str(&self.summary);
        }
        for reason in &self.reasons {
            text.push_str("; ");
            text.push_str(reason);
        }
        text
    }
}

/// Reads a receipt body; `Ok(None)` when the body is empty.
fn read_receipt(body: &[u8]) -> Result<Option<Receipt>, CodecError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let text = read_text(body)?;
    let root = parse_tree(&text)?;
    if root.name != RECEIPT_TAG {
        return Err(CodecError::UnsupportedKind {
            kind: root.name,
            detail: format!("a receipt is a <{RECEIPT_TAG}> document"),
        });
    }
    let leaf = |e: &Element, name: &str| e.child(name).map(|c| c.text.clone());
    let code = leaf(&root, "jgdm")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| CodecError::MissingField {
            field: format!("{RECEIPT_TAG}/jgdm"),
            meaning: "结果代码".to_owned(),
        })?;
    let reasons = root
        .child("yylb")
        .map(|list| {
            list.children
                .iter()
                .map(|r| {
                    let pointer = leaf(r, "zz").unwrap_or_default();
                    let code = leaf(r, "dm").unwrap_or_default();
                    let message = leaf(r, "sm").unwrap_or_default();
                    format!("{pointer} ({code}): {message}")
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(Receipt {
        code: code.trim().to_owned(),
        summary: leaf(&root, "jgsm").unwrap_or_default(),
        reasons,
    }))
}

/// How the police system answered a delivery: 2xx with a success receipt (or no body) →
/// delivered; 2xx with receipt code 30 → transient; 2xx with any other code or an
/// unreadable receipt → permanent; 408, 429 and 5xx → transient; everything else permanent.
pub(crate) fn classify_response(status: u16, body: &[u8]) -> DeliveryResponse {
    let receipt = read_receipt(body);
    let reason = || match &receipt {
        Ok(Some(r)) => format!("HTTP {status}: {}", r.describe()),
        _ => format!("HTTP {status}: {}", quote_body(body)),
    };
    match status {
        200..=299 => match &receipt {
            Ok(None) => DeliveryResponse::Delivered,
            Ok(Some(r)) if r.code == result_code::ACCEPTED => DeliveryResponse::Delivered,
            Ok(Some(r)) if r.code == result_code::UNAVAILABLE => {
                DeliveryResponse::Transient { reason: reason() }
            }
            Ok(Some(_)) => DeliveryResponse::Permanent { reason: reason() },
            Err(e) => DeliveryResponse::Permanent {
                reason: format!("HTTP {status} with an unreadable receipt: {e}"),
            },
        },
        408 | 429 | 500..=599 => DeliveryResponse::Transient { reason: reason() },
        _ => DeliveryResponse::Permanent { reason: reason() },
    }
}

/// The start of a body that is not a receipt, for logs.
fn quote_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "(empty body)".to_owned()
    } else {
        let mut cut: String = text.chars().take(300).collect();
        if cut.len() < text.len() {
            cut.push('…');
        }
        cut
    }
}
