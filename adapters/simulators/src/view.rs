//! Native views: field-by-field access to a native document for test assertions, written
//! independently of the adapters' codecs (a test that checks a codec with the codec proves
//! nothing).
//!
//! * XML ([`XmlView`]): a map of element path → text, `JJB/XXT/wdbh` → `TCGA-JJB-…`;
//!   repeated siblings are numbered from 1 as in XPath (`JJB/hsmj/mj[2]/xm`), and `[1]` may
//!   be left out (`mj` = `mj[1]`). Attributes are `path/@name`.
//! * JSON: a [`serde_json::Value`] ([`json_view`]).
//! * HL7 v2: segment/field/component access ([`crate::hl7::Hl7View`]).
//!
//! Character sets are read as the document declares them: the XML declaration
//! (`UTF-8`, `GB18030`, `GBK`, `GB2312`), HL7 MSH-18, or the `charset` of a content type;
//! UTF-8 otherwise. Invariant: views never panic on any bytes; what they cannot read is a
//! [`ViewError`].

use std::collections::BTreeMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

use crate::error::ViewError;
use crate::hl7::Hl7View;

/// A parsed native document of any of the three formats.
#[derive(Debug, Clone, PartialEq)]
pub enum NativeView {
    /// An XML document (POLICE).
    Xml(XmlView),
    /// A JSON document (CITYMGMT, GRID, STATION).
    Json(Value),
    /// An HL7 v2 message (HEALTH).
    Hl7(Hl7View),
}

impl NativeView {
    /// Parses `body` as the format its first bytes show (`MSH` → HL7, `<` → XML, `{`/`[` →
    /// JSON), reading text in `content_type`'s charset when the document itself declares
    /// none.
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<NativeView, ViewError> {
        let trimmed = strip_bom(body);
        let start = trimmed
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(trimmed.len());
        let head = trimmed.get(start..).unwrap_or_default();
        if head.starts_with(b"MSH") {
            Hl7View::parse(body).map(NativeView::Hl7)
        } else if head.starts_with(b"<") {
            XmlView::parse_with_default(body, content_type.and_then(charset_param).as_deref())
                .map(NativeView::Xml)
        } else if head.starts_with(b"{") || head.starts_with(b"[") {
            json_view(body).map(NativeView::Json)
        } else {
            let shown: String = String::from_utf8_lossy(head).chars().take(20).collect();
            Err(ViewError::Unknown(shown))
        }
    }

    /// The XML view, if this is XML.
    pub fn as_xml(&self) -> Option<&XmlView> {
        match self {
            NativeView::Xml(view) => Some(view),
            _ => None,
        }
    }

    /// The JSON value, if this is JSON.
    pub fn as_json(&self) -> Option<&Value> {
        match self {
            NativeView::Json(value) => Some(value),
            _ => None,
        }
    }

    /// The HL7 view, if this is HL7.
    pub fn as_hl7(&self) -> Option<&Hl7View> {
        match self {
            NativeView::Hl7(view) => Some(view),
            _ => None,
        }
    }
}

/// A JSON body (UTF-8, a byte order mark tolerated) as a value.
pub fn json_view(body: &[u8]) -> Result<Value, ViewError> {
    serde_json::from_slice(strip_bom(body)).map_err(|e| ViewError::Json(e.to_string()))
}

/// An XML document as a map of element path → text. See the module docs for the paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlView {
    root: String,
    entries: BTreeMap<String, String>,
    counts: BTreeMap<String, usize>,
}

impl XmlView {
    /// Parses an XML document in the encoding its declaration names (UTF-8 without one).
    pub fn parse(body: &[u8]) -> Result<XmlView, ViewError> {
        XmlView::parse_with_default(body, None)
    }

    fn parse_with_default(
        body: &[u8],
        default_charset: Option<&str>,
    ) -> Result<XmlView, ViewError> {
        let charset = xml_declared_encoding(body).or_else(|| default_charset.map(str::to_owned));
        let text = decode_text(body, charset.as_deref())?;
        parse_xml(&text)
    }

    /// The root element's name (the police document kind: `JJB`, `HZ`, …).
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The text of the element (or attribute) at `path`, root included:
    /// `view.get("JJB/bhsry/xm")`, `view.get("JJB/hsmj/mj[2]/jh")`. Elements with child
    /// elements have no text; an empty element has `Some("")`.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.entries.get(&normalize(path)).map(String::as_str)
    }

    /// How many elements `path` names (a list's items: `view.count("JJB/hsmj/mj")`).
    pub fn count(&self, path: &str) -> usize {
        self.counts.get(&normalize(path)).copied().unwrap_or(0)
    }

    /// Every leaf element and attribute, by path (with `[n]` from the second sibling on).
    pub fn entries(&self) -> &BTreeMap<String, String> {
        &self.entries
    }
}

/// Drops `[1]` from every step: `a/b[1]/c` → `a/b/c`.
fn normalize(path: &str) -> String {
    path.trim_matches('/')
        .split('/')
        .map(|step| step.strip_suffix("[1]").unwrap_or(step))
        .collect::<Vec<_>>()
        .join("/")
}

/// One open element while parsing.
#[derive(Debug)]
struct Open {
    path: String,
    text: String,
    has_children: bool,
    /// Occurrences of each child name so far, for the `[n]` of the next one.
    seen: BTreeMap<String, usize>,
}

fn parse_xml(text: &str) -> Result<XmlView, ViewError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut view = XmlView {
        root: String::new(),
        entries: BTreeMap::new(),
        counts: BTreeMap::new(),
    };
    let error = |reader: &Reader<&[u8]>, detail: String| {
        ViewError::Xml(format!("at byte {}: {detail}", reader.error_position()))
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| error(&reader, e.to_string()))?;
        match event {
            Event::Start(start) => {
                let open = open_element(&mut view, &mut stack, &start, reader.decoder())
                    .map_err(|detail| error(&reader, detail))?;
                stack.push(open);
            }
            Event::Empty(start) => {
                let open = open_element(&mut view, &mut stack, &start, reader.decoder())
                    .map_err(|detail| error(&reader, detail))?;
                view.entries.insert(open.path, String::new());
            }
            Event::End(_) => {
                let Some(open) = stack.pop() else {
                    return Err(error(&reader, "end tag without a start tag".to_owned()));
                };
                if !open.has_children {
                    view.entries.insert(open.path, open.text);
                }
            }
            Event::Text(t) => {
                let content = t
                    .xml10_content()
                    .map_err(|e| error(&reader, e.to_string()))?;
                append_text(&mut stack, &content, &reader, error)?;
            }
            Event::CData(c) => {
                let content = c.decode().map_err(|e| error(&reader, e.to_string()))?;
                append_text(&mut stack, &content, &reader, error)?;
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => {
                        let name = r.decode().map_err(|e| error(&reader, e.to_string()))?;
                        match name.as_ref() {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "quot" => '"',
                            "apos" => '\'',
                            other => {
                                return Err(error(&reader, format!("unknown entity &{other};")));
                            }
                        }
                    }
                    Err(e) => return Err(error(&reader, e.to_string())),
                };
                let mut buffer = [0_u8; 4];
                append_text(
                    &mut stack,
                    resolved.encode_utf8(&mut buffer),
                    &reader,
                    error,
                )?;
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(ViewError::Xml(format!(
            "the document ends inside {}",
            open.path
        )));
    }
    if view.root.is_empty() {
        return Err(ViewError::Xml("no root element".to_owned()));
    }
    Ok(view)
}

fn append_text(
    stack: &mut [Open],
    content: &str,
    reader: &Reader<&[u8]>,
    error: impl Fn(&Reader<&[u8]>, String) -> ViewError,
) -> Result<(), ViewError> {
    match stack.last_mut() {
        Some(open) => {
            open.text.push_str(content);
            Ok(())
        }
        None if content.trim().is_empty() => Ok(()),
        None => Err(error(reader, "text outside the root element".to_owned())),
    }
}

/// Registers a new element under the open one and returns it (attributes become entries).
fn open_element(
    view: &mut XmlView,
    stack: &mut [Open],
    start: &BytesStart<'_>,
    decoder: quick_xml::encoding::Decoder,
) -> Result<Open, String> {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let path = match stack.last_mut() {
        Some(parent) => {
            parent.has_children = true;
            let seen = parent.seen.entry(name.clone()).or_insert(0);
            *seen += 1;
            let step = if *seen == 1 {
                name.clone()
            } else {
                format!("{name}[{seen}]")
            };
            let counted = format!("{}/{name}", parent.path);
            view.counts.insert(counted, *seen);
            format!("{}/{step}", parent.path)
        }
        None if view.root.is_empty() => {
            view.root.clone_from(&name);
            view.counts.insert(name.clone(), 1);
            name
        }
        None => return Err(format!("a second root element <{name}>")),
    };
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| e.to_string())?;
        let key = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
        let value = attribute
            .decode_and_unescape_value(decoder)
            .map_err(|e| e.to_string())?
            .into_owned();
        view.entries.insert(format!("{path}/@{key}"), value);
    }
    Ok(Open {
        path,
        text: String::new(),
        has_children: false,
        seen: BTreeMap::new(),
    })
}

/// The `encoding` of an XML declaration, if the body starts with one.
pub(crate) fn xml_declared_encoding(body: &[u8]) -> Option<String> {
    let body = strip_bom(body);
    if !body.starts_with(b"<?xml") {
        return None;
    }
    let end = body.iter().position(|b| *b == b'>')?;
    let declaration = String::from_utf8_lossy(body.get(..end)?).into_owned();
    let at = declaration.find("encoding")?;
    let rest = declaration.get(at + "encoding".len()..)?.trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = rest.get(1..)?;
    let close = value.find(quote)?;
    Some(value.get(..close)?.to_owned())
}

/// The `charset` parameter of a content type (`application/xml; charset=GB18030`).
pub(crate) fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Whether a charset name is GB18030 or one of its subsets (read as GB18030).
pub(crate) fn is_gb(charset: &str) -> bool {
    let c: String = charset
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .collect::<String>()
        .to_ascii_uppercase();
    c.starts_with("GB18030") || c == "GBK" || c == "GB2312" || c == "CP936"
}

/// The body as text in `charset` (UTF-8 when `None`, `UTF-8`, `UNICODE UTF-8` or `ASCII`).
pub(crate) fn decode_text(body: &[u8], charset: Option<&str>) -> Result<String, ViewError> {
    let body = strip_bom(body);
    match charset {
        Some(name) if is_gb(name) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(body)
            .map(std::borrow::Cow::into_owned)
            .ok_or_else(|| ViewError::Charset {
                charset: "GB18030".to_owned(),
                detail: "invalid byte sequence".to_owned(),
            }),
        Some(name)
            if !matches!(
                name.trim().to_ascii_uppercase().as_str(),
                "UTF-8" | "UTF8" | "UNICODE UTF-8" | "ASCII" | "US-ASCII" | ""
            ) =>
        {
            Err(ViewError::Charset {
                charset: name.to_owned(),
                detail: "character set not supported by the simulator (UTF-8 or GB18030)"
                    .to_owned(),
            })
        }
        _ => String::from_utf8(body.to_vec()).map_err(|e| ViewError::Charset {
            charset: "UTF-8".to_owned(),
            detail: format!("invalid byte at offset {}", e.utf8_error().valid_up_to()),
        }),
    }
}

fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    const DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<JJB>
  <XXT><wdbh>TCGA-JJB-1</wdbh><wdlx>JJB</wdlx></XXT>
  <hsmj>
    <mj><xm>顾建华</xm><jh>093215</jh></mj>
    <mj><xm>李&amp;明</xm><jh>&#48;93216</jh></mj>
  </hsmj>
  <sfzh/>
  <bz a="1"><![CDATA[<raw>]]></bz>
</JJB>"#;

    #[test]
    fn xml_paths_number_repeated_siblings() {
        let view = XmlView::parse(DOC.as_bytes()).unwrap();
        assert_eq!(view.root(), "JJB");
        assert_eq!(view.get("JJB/XXT/wdbh"), Some("TCGA-JJB-1"));
        assert_eq!(view.get("JJB/hsmj/mj/xm"), Some("顾建华"));
        assert_eq!(view.get("JJB/hsmj/mj[1]/xm"), Some("顾建华"));
        assert_eq!(view.get("/JJB/hsmj/mj[2]/xm"), Some("李&明"));
        assert_eq!(view.get("JJB/hsmj/mj[2]/jh"), Some("093216"));
        assert_eq!(view.get("JJB/hsmj/mj[3]/jh"), None);
        assert_eq!(view.count("JJB/hsmj/mj"), 2);
        assert_eq!(view.count("JJB/XXT"), 1);
        assert_eq!(view.count("JJB/nothing"), 0);
        assert_eq!(view.get("JJB/sfzh"), Some(""));
        assert_eq!(view.get("JJB/bz"), Some("<raw>"));
        assert_eq!(view.get("JJB/bz/@a"), Some("1"));
        // Containers have no text.
        assert_eq!(view.get("JJB/hsmj"), None);
    }

    #[test]
    fn xml_in_gb18030_is_read_as_declared() {
        let text = DOC.replace("UTF-8", "GB18030");
        let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
        let view = XmlView::parse(&bytes).unwrap();
        assert_eq!(view.get("JJB/hsmj/mj/xm"), Some("顾建华"));
        // Without the declaration the bytes are not UTF-8.
        let undeclared = text.replace(r#" encoding="GB18030""#, "");
        let (bytes, _, _) = encoding_rs::GB18030.encode(&undeclared);
        assert!(matches!(
            XmlView::parse(&bytes),
            Err(ViewError::Charset { .. })
        ));
        // …unless the content type names the charset.
        let view = NativeView::parse(Some("application/xml; charset=GB18030"), &bytes).unwrap();
        assert_eq!(view.as_xml().unwrap().get("JJB/hsmj/mj/xm"), Some("顾建华"));
    }

    #[test]
    fn broken_xml_is_an_error_not_a_panic() {
        for bad in [
            "<HZ><jgdm>0",
            "<a></b>",
            "",
            "<a/><b/>",
            "text",
            "<a>&bogus;</a>",
        ] {
            assert!(XmlView::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn native_view_sniffs_the_format() {
        let json = NativeView::parse(None, br#" {"head":{"docNo":"X"}}"#).unwrap();
        assert_eq!(json.as_json().unwrap()["head"]["docNo"], "X");
        let hl7 = NativeView::parse(None, b"MSH|^~\\&|A|B\rPID|1||42").unwrap();
        assert_eq!(hl7.as_hl7().unwrap().field("PID", 3, 1), Some("42"));
        assert!(matches!(
            NativeView::parse(None, b"hello"),
            Err(ViewError::Unknown(_))
        ));
        assert!(NativeView::parse(None, b"{").is_err());
    }

    #[test]
    fn charset_helpers() {
        assert_eq!(
            charset_param("application/xml; charset=\"GB18030\"").as_deref(),
            Some("GB18030")
        );
        assert_eq!(charset_param("application/json"), None);
        assert_eq!(
            xml_declared_encoding(b"<?xml version='1.0' encoding='gbk'?><a/>").as_deref(),
            Some("gbk")
        );
        assert_eq!(xml_declared_encoding(b"<a/>"), None);
        assert!(is_gb("GB 18030-2000"));
        assert!(is_gb("gbk"));
        assert!(!is_gb("UTF-8"));
    }
}
