//! Encoding: canonical envelope → police document, and the adapter's receipts (回执) to the
//! police system.
//!
//! The header `<XXT>` carries every envelope field, so [`crate::decode`] gives back the same
//! envelope; the body follows the kind's table in [`crate::native`]. Fields absent from the
//! canonical message (left out, or projected away by the hub) are left out of the document.
//!
//! Invariants: deterministic (same message, same bytes); a canonical field with no element
//! in the vocabulary, a value of the wrong JSON type, or a character XML 1.0 cannot carry is
//! an `Unencodable` error, never dropped silently; date-times are written in Beijing time
//! (the instant is kept; a `+08:00` timestamp comes back as written).

use adapter_core::{CodecError, InboundAnswer, NativeDocument, Verdict};
use contracts::codes::datetime::{CivilDate, parse_offset_date_time, parse_partial_date};
use contracts::model::Envelope;
use serde_json::{Map, Value};

use crate::config::OutputEncoding;
use crate::native::{
    DOCUMENT_ID, DOCUMENT_KIND, DocumentKind, Element, Field, HEADER, HEADER_TAG,
    ID_NUMBER_OTHER_TAG, Kind, RECEIPT_TAG, is_xml_char, result_code,
};
use crate::service;

/// Beijing time's offset from UTC, minutes.
const BEIJING_OFFSET_MINUTES: i64 = 8 * 60;

/// Encodes one canonical message as the police document of its kind.
pub(crate) fn encode_message(
    message: &Envelope<Value>,
    output: OutputEncoding,
) -> Result<NativeDocument, CodecError> {
    let message_type = message.message_type;
    let unencodable = |detail: String| CodecError::Unencodable {
        message_type: message_type.as_str().to_owned(),
        detail,
    };
    let kind = DocumentKind::of_message_type(message_type).ok_or_else(|| {
        unencodable(format!(
            "the police system neither sends nor receives {message_type}"
        ))
    })?;
    if message.major_version() != Some(1) {
        return Err(unencodable(format!(
            "the police format carries version 1 of {message_type}, not {} (the hub casts deliveries to the version the police read)",
            message.schema_version
        )));
    }
    let root = kind.root();
    let mut header = match serde_json::to_value(message) {
        Ok(Value::Object(map)) => map,
        Ok(_) | Err(_) => return Err(unencodable("the envelope is not a JSON object".to_owned())),
    };
    header.remove("payload");
    header.remove("message_type");
    header.insert(
        DOCUMENT_ID.to_owned(),
        Value::String(message.message_id.clone()),
    );
    header.insert(DOCUMENT_KIND.to_owned(), Value::String(root.to_owned()));
    let header_path = format!("{root}/{HEADER_TAG}");
    let mut children = vec![Element::group(
        HEADER_TAG,
        encode_fields(HEADER, &header, &header_path).map_err(&unencodable)?,
    )];
    let payload = message
        .payload
        .as_object()
        .ok_or_else(|| unencodable("the payload is not a JSON object".to_owned()))?;
    children.extend(encode_fields(kind.body(), payload, root).map_err(&unencodable)?);
    let body = write_document(&Element::group(root, children), output);
    Ok(NativeDocument {
        content_type: output.content_type(),
        path: service::endpoint(kind).path.to_owned(),
        http_status: 200,
        body,
    })
}

/// The elements of the fields of `map` present in `fields`, in table order. A key of `map`
/// that the table does not know is an error.
fn encode_fields(
    fields: &[Field],
    map: &Map<String, Value>,
    path: &str,
) -> Result<Vec<Element>, String> {
    if let Some(unknown) = map.keys().find(|k| !fields.iter().any(|f| f.json == *k)) {
        return Err(format!(
            "{path}: field `{unknown}` has no element in the police format"
        ));
    }
    let mut out = Vec::with_capacity(map.len());
    for field in fields {
        match map.get(field.json) {
            None | Some(Value::Null) => {}
            Some(value) => {
                let tag = match field.kind {
                    Kind::IdNumber => id_number_tag(field, map),
                    _ => field.tag,
                };
                out.push(encode_value(
                    tag,
                    field.kind,
                    value,
                    &format!("{path}/{tag}"),
                )?);
            }
        }
    }
    Ok(out)
}

/// `sfzh` for resident ID cards (111/112), `zjhm` for any other or unknown document type.
fn id_number_tag(field: &Field, siblings: &Map<String, Value>) -> &'static str {
    match siblings.get("id_doc_type").and_then(Value::as_str) {
        Some("111" | "112") => field.tag,
        _ => ID_NUMBER_OTHER_TAG,
    }
}

/// One value as its element.
fn encode_value(tag: &str, kind: Kind, value: &Value, path: &str) -> Result<Element, String> {
    let wrong = |expected: &str| format!("{path}: expected {expected}, found {value}");
    let text = match kind {
        Kind::Group(fields) => {
            let map = value.as_object().ok_or_else(|| wrong("an object"))?;
            return Ok(Element::group(tag, encode_fields(fields, map, path)?));
        }
        Kind::List(item, of) => {
            let items = value.as_array().ok_or_else(|| wrong("an array"))?;
            let children = items
                .iter()
                .enumerate()
                .map(|(i, v)| encode_value(item, *of, v, &format!("{path}/{item}[{}]", i + 1)))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Element::group(tag, children));
        }
        Kind::Text | Kind::Code | Kind::Pointer | Kind::IdNumber => {
            value.as_str().ok_or_else(|| wrong("a string"))?.to_owned()
        }
        Kind::Int => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
            _ => return Err(wrong("an integer")),
        },
        Kind::Dec => match value {
            Value::Number(n) => n.to_string(),
            _ => return Err(wrong("a number")),
        },
        Kind::Bool => match value {
            Value::Bool(true) => "1".to_owned(),
            Value::Bool(false) => "0".to_owned(),
            _ => return Err(wrong("true or false")),
        },
        Kind::DateTime => {
            let s = value.as_str().ok_or_else(|| wrong("a date-time string"))?;
            beijing_date_time(s).map_err(|e| format!("{path}: {s:?} {e}"))?
        }
        Kind::Date => {
            let s = value.as_str().ok_or_else(|| wrong("a date string"))?;
            native_date(s).ok_or_else(|| format!("{path}: {s:?} is not a date YYYY-MM-DD"))?
        }
        Kind::PartialDate => {
            let s = value.as_str().ok_or_else(|| wrong("a date string"))?;
            parse_partial_date(s).map_err(|e| format!("{path}: {s:?}: {e}"))?;
            s.replace('-', "")
        }
    };
    if let Some(bad) = text.chars().find(|c| !is_xml_char(*c)) {
        return Err(format!(
            "{path}: character U+{:04X} cannot be written in XML 1.0",
            u32::from(bad)
        ));
    }
    Ok(Element::leaf(tag, text))
}

/// An RFC 3339 timestamp as `YYYYMMDDHHMMSS[.fff]` in Beijing time (UTC+8).
fn beijing_date_time(s: &str) -> Result<String, String> {
    let t = parse_offset_date_time(s).map_err(|e| e.to_string())?;
    let minutes = i64::from(t.hour) * 60 + i64::from(t.minute) + BEIJING_OFFSET_MINUTES
        - i64::from(t.offset_minutes);
    let date = CivilDate::from_days_since_epoch(
        t.date.to_days_since_epoch() + minutes.div_euclid(24 * 60),
    )
    .filter(|d| (0..=9999).contains(&d.year()))
    .ok_or_else(|| "lies outside the years 0000–9999 in Beijing time".to_owned())?;
    let minutes = minutes.rem_euclid(24 * 60);
    // The fraction exactly as written (`.418`), so `+08:00` timestamps come back unchanged.
    let fraction: String = match s.get(19..) {
        Some(rest) if rest.starts_with('.') => std::iter::once('.')
            .chain(rest.chars().skip(1).take_while(char::is_ascii_digit))
            .collect(),
        _ => String::new(),
    };
    Ok(format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{fraction}",
        date.year(),
        date.month(),
        date.day(),
        minutes / 60,
        minutes % 60,
        t.second
    ))
}

/// `YYYY-MM-DD` (a real date) as `YYYYMMDD`.
fn native_date(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u16>().ok());
    let (year, month, day) = (n(0..4)?, n(5..7)?, n(8..10)?);
    CivilDate::new(
        i32::from(year),
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )?;
    Some(format!("{year:04}{month:02}{day:02}"))
}

// ---------------------------------------------------------------------------------------------
// Writing XML.
// ---------------------------------------------------------------------------------------------

/// The document's bytes: declaration, then the element tree indented by two spaces.
pub(crate) fn write_document(root: &Element, output: OutputEncoding) -> Vec<u8> {
    let mut text = format!("<?xml version=\"1.0\" encoding=\"{}\"?>\n", output.label());
    write_element(&mut text, root, 0);
    match output {
        OutputEncoding::Utf8 => text.into_bytes(),
        // GB18030 encodes every character but U+E5E5 (a private-use code point the Encoding
        // Standard leaves unmapped), which encoding_rs writes as the character reference
        // `&#58853;`: all markup is ASCII, so that lands in text, where XML reads it back.
        OutputEncoding::Gb18030 => encoding_rs::GB18030.encode(&text).0.into_owned(),
    }
}

fn write_element(out: &mut String, element: &Element, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push('<');
    out.push_str(&element.name);
    if element.children.is_empty() {
        if element.text.is_empty() {
            out.push_str("/>\n");
        } else {
            out.push('>');
            escape_into(out, &element.text);
            out.push_str("</");
            out.push_str(&element.name);
            out.push_str(">\n");
        }
        return;
    }
    out.push_str(">\n");
    for child in &element.children {
        write_element(out, child, depth + 1);
    }
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push_str("</");
    out.push_str(&element.name);
    out.push_str(">\n");
}

/// Escapes text content: `&`, `<`, `>`, and `\r` (as `&#13;`, which XML parsers would
/// otherwise normalise to `\n`).
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Receipts (回执) to the police system.
// ---------------------------------------------------------------------------------------------

/// The receipt `<HZ>` answering a police document.
pub(crate) fn encode_answer(answer: &InboundAnswer<'_>, output: OutputEncoding) -> NativeDocument {
    let mut children = Vec::new();
    if let Some(native) = answer.native_ref {
        children.push(Element::leaf("ywdbh", sanitize(&native.document_id)));
        children.push(Element::leaf("ywdlx", sanitize(&native.document_kind)));
        if let Some(code) = native.reply_to.get("fsdwdm") {
            children.push(Element::leaf("jsdwdm", sanitize(code)));
        }
    }
    let reason = |pointer: &str, code: &str, message: &str| {
        Element::group(
            "yy",
            vec![
                Element::leaf("zz", sanitize(pointer)),
                Element::leaf("dm", sanitize(code)),
                Element::leaf("sm", sanitize(message)),
            ],
        )
    };
    let status = match answer.verdict {
        Verdict::Accepted { message_ids } => {
            children.push(Element::leaf("jgdm", result_code::ACCEPTED));
            children.push(Element::leaf("jgsm", "接收成功"));
            children.push(Element::group(
                "xxbslb",
                message_ids
                    .iter()
                    .map(|id| Element::leaf("xxbs", sanitize(id)))
                    .collect(),
            ));
            200
        }
        Verdict::Refused { reasons } => {
            children.push(Element::leaf("jgdm", result_code::REFUSED));
            children.push(Element::leaf(
                "jgsm",
                "拒收：文档内容不符合交换规范，请按原因更正后重发",
            ));
            children.push(Element::group(
                "yylb",
                reasons
                    .iter()
                    .map(|r| reason(&r.pointer, &r.code, &r.message))
                    .collect(),
            ));
            422
        }
        Verdict::Malformed { error } => {
            children.push(Element::leaf("jgdm", result_code::MALFORMED));
            children.push(Element::leaf("jgsm", "文档无法解析，未接收"));
            children.push(Element::group(
                "yylb",
                vec![reason("", error_code(error), &error.to_string())],
            ));
            400
        }
        Verdict::Unavailable { detail } => {
            children.push(Element::leaf("jgdm", result_code::UNAVAILABLE));
            children.push(Element::leaf(
                "jgsm",
                "枢纽暂不可用，未接收，请稍后重发同一文档",
            ));
            children.push(Element::group(
                "yylb",
                vec![reason("", "UNAVAILABLE", detail)],
            ));
            503
        }
    };
    let body = write_document(&Element::group(RECEIPT_TAG, children), output);
    NativeDocument {
        content_type: output.content_type(),
        path: String::new(),
        http_status: status,
        body,
    }
}

/// The reason code of a codec error in a receipt.
fn error_code(error: &CodecError) -> &'static str {
    match error {
        CodecError::Malformed { .. } => "MALFORMED",
        CodecError::UnsupportedKind { .. } => "UNSUPPORTED_KIND",
        CodecError::MissingField { .. } => "MISSING_FIELD",
        CodecError::InvalidField { .. } => "INVALID_FIELD",
        CodecError::Unencodable { .. } => "UNENCODABLE",
    }
}

/// Text with every character XML 1.0 cannot carry replaced by U+FFFD (receipts quote
/// whatever the refused document held).
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
        .collect()
}
