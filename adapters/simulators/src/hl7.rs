//! HL7 v2 (ER7) as the HIS writes it: a small read-only view for assertions
//! ([`Hl7View`]), the ACK the simulated HIS answers with ([`ack`]), and the one edit tests
//! and the demo make to a golden message ([`set_field`]: replace one field's value).
//!
//! Numbering is HL7's: fields from 1 (`PID-5`), with MSH-1 the field separator and MSH-2
//! the encoding characters; repetitions, components and subcomponents from 1. The text is
//! read in the character set MSH-18 declares (`UNICODE UTF-8` or none → UTF-8;
//! `GB 18030-2000`, `GBK`, `GB2312` → GB18030). Segments end with CR; LF and CR LF are
//! accepted too.
//!
//! Invariants: the view returns the raw ER7 text of a value (escape sequences as written);
//! [`Hl7View::unescaped`] resolves `\F\ \S\ \T\ \R\ \E\` for values that hold them.
//! [`set_field`] changes exactly one field and keeps every other byte (line ends, character
//! set, MLLP framing), and never writes a delimiter, so an edit cannot change the message's
//! structure.

use crate::error::ViewError;
use crate::view::{decode_text, is_gb};

/// HL7 delimiters, from MSH-1 and MSH-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Delimiters {
    field: char,
    component: char,
    repetition: char,
    escape: char,
    subcomponent: char,
}

impl Delimiters {
    /// The delimiters MSH-1 and MSH-2 of `text` (a message starting with `MSH`) declare;
    /// missing encoding characters take their standard values (`^~\&`).
    fn of(text: &str) -> Result<Delimiters, ViewError> {
        let mut chars = text.chars().skip(3);
        let field = chars
            .next()
            .ok_or_else(|| ViewError::Hl7("MSH has no field separator".to_owned()))?;
        let encoding: Vec<char> = chars.take_while(|c| *c != field).collect();
        let at = |i: usize, default: char| encoding.get(i).copied().unwrap_or(default);
        let delimiters = Delimiters {
            field,
            component: at(0, '^'),
            repetition: at(1, '~'),
            escape: at(2, '\\'),
            subcomponent: at(3, '&'),
        };
        if field.is_alphanumeric() || field == '\r' || field == '\n' {
            return Err(ViewError::Hl7(format!(
                "unusable field separator {field:?}"
            )));
        }
        Ok(delimiters)
    }

    /// The five delimiters, field separator first (`|^~\&`).
    fn all(self) -> [char; 5] {
        [
            self.field,
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
        ]
    }
}

/// One segment: its name and raw fields (`fields[0]` is the name; for MSH, `fields[1]` is
/// MSH-1 and `fields[2]` MSH-2).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    fields: Vec<String>,
}

/// A parsed HL7 v2 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hl7View {
    delimiters: Delimiters,
    segments: Vec<Segment>,
    charset: String,
}

/// One occurrence of a segment, for messages that repeat segments (`OBX`, `ERR`).
#[derive(Debug, Clone, Copy)]
pub struct Hl7Segment<'a> {
    view: &'a Hl7View,
    segment: &'a Segment,
}

impl Hl7View {
    /// Parses a message (MLLP framing bytes, if still there, are stripped).
    pub fn parse(bytes: &[u8]) -> Result<Hl7View, ViewError> {
        let bytes = bytes.strip_prefix(&[0x0B]).unwrap_or(bytes);
        let bytes = bytes.strip_suffix(&[0x1C, 0x0D]).unwrap_or(bytes);
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if !bytes.starts_with(b"MSH") {
            return Err(ViewError::Hl7(
                "a message starts with an MSH segment".to_owned(),
            ));
        }
        let charset = sniff_msh18(bytes).unwrap_or_default();
        let text = decode_text(bytes, (!charset.is_empty()).then_some(charset.as_str()))?;
        let delimiters = Delimiters::of(&text)?;
        let field = delimiters.field;
        let segments = text
            .split(['\r', '\n'])
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let mut fields: Vec<String> = line.split(field).map(str::to_owned).collect();
                if line.starts_with("MSH") {
                    // MSH-1 is the separator itself: insert it so MSH-n sits at index n.
                    fields.insert(1, field.to_string());
                }
                Segment { fields }
            })
            .collect();
        Ok(Hl7View {
            delimiters,
            segments,
            charset,
        })
    }

    /// The names of the segments, in order (`["MSH", "EVN", "PID", …]`).
    pub fn segment_names(&self) -> Vec<&str> {
        self.segments
            .iter()
            .map(|s| s.fields.first().map_or("", String::as_str))
            .collect()
    }

    /// MSH-18 as declared (empty when absent).
    pub fn charset(&self) -> &str {
        &self.charset
    }

    /// Every occurrence of segment `name`, in order.
    pub fn segments<'a>(&'a self, name: &str) -> impl Iterator<Item = Hl7Segment<'a>> + 'a {
        let name = name.to_owned();
        self.segments
            .iter()
            .filter(move |s| s.fields.first().is_some_and(|n| *n == name))
            .map(move |segment| Hl7Segment {
                view: self,
                segment,
            })
    }

    /// The first occurrence of segment `name`.
    pub fn segment(&self, name: &str) -> Option<Hl7Segment<'_>> {
        self.segments
            .iter()
            .find(|s| s.fields.first().is_some_and(|n| n == name))
            .map(|segment| Hl7Segment {
                view: self,
                segment,
            })
    }

    /// Component `component` of the first repetition of field `field` of the first `segment`:
    /// `view.field("PID", 5, 1)` is the family name. `None` when absent or empty.
    pub fn field(&self, segment: &str, field: usize, component: usize) -> Option<&str> {
        self.segment(segment)?.field(field, component)
    }

    /// The whole raw field (all repetitions and components): `view.field_raw("MSH", 9)` is
    /// `ADT^A01^ADT_A01`. `None` when absent or empty.
    pub fn field_raw(&self, segment: &str, field: usize) -> Option<&str> {
        self.segment(segment)?.field_raw(field)
    }

    /// [`Hl7View::field`] with the escape sequences resolved.
    pub fn unescaped(&self, segment: &str, field: usize, component: usize) -> Option<String> {
        self.field(segment, field, component)
            .map(|raw| unescape(raw, self.delimiters))
    }
}

impl<'a> Hl7Segment<'a> {
    /// The whole raw field. `None` when absent or empty.
    pub fn field_raw(&self, field: usize) -> Option<&'a str> {
        self.segment
            .fields
            .get(field)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Component `component` of the first repetition of `field`.
    pub fn field(&self, field: usize, component: usize) -> Option<&'a str> {
        self.component(field, 1, component, 0)
    }

    /// Repetition `repetition`, component `component`, subcomponent `subcomponent` of
    /// `field` (all from 1; `subcomponent` 0 means the whole component). MSH-1 and MSH-2 are
    /// never split.
    pub fn component(
        &self,
        field: usize,
        repetition: usize,
        component: usize,
        subcomponent: usize,
    ) -> Option<&'a str> {
        let raw = self.field_raw(field)?;
        let is_msh_header = self.name() == "MSH" && field <= 2;
        if is_msh_header {
            return Some(raw);
        }
        let d = self.view.delimiters;
        let rep = raw.split(d.repetition).nth(repetition.checked_sub(1)?)?;
        let comp = rep.split(d.component).nth(component.checked_sub(1)?)?;
        let value = if subcomponent == 0 {
            comp
        } else {
            comp.split(d.subcomponent).nth(subcomponent - 1)?
        };
        (!value.is_empty()).then_some(value)
    }

    /// How many repetitions `field` holds (0 when empty).
    pub fn repetitions(&self, field: usize) -> usize {
        self.field_raw(field)
            .map_or(0, |raw| raw.split(self.view.delimiters.repetition).count())
    }

    /// The segment's name.
    pub fn name(&self) -> &'a str {
        self.segment.fields.first().map_or("", String::as_str)
    }
}

/// Resolves `\F\ \S\ \T\ \R\ \E\` (with the message's delimiters); other escapes (`\X..\`,
/// `\.br\`) are kept as written.
fn unescape(raw: &str, d: Delimiters) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find(d.escape) {
        out.push_str(rest.get(..start).unwrap_or_default());
        let after = rest.get(start + d.escape.len_utf8()..).unwrap_or_default();
        let Some(end) = after.find(d.escape) else {
            out.push_str(rest.get(start..).unwrap_or_default());
            return out;
        };
        let code = after.get(..end).unwrap_or_default();
        match code {
            "F" => out.push(d.field),
            "S" => out.push(d.component),
            "T" => out.push(d.subcomponent),
            "R" => out.push(d.repetition),
            "E" => out.push(d.escape),
            other => {
                out.push(d.escape);
                out.push_str(other);
                out.push(d.escape);
            }
        }
        rest = after.get(end + d.escape.len_utf8()..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// Replaces field `field` of the first segment named `segment` in `message` by `value`, with
/// HL7's numbering: `set_field(m, "PID", 5, …)` sets PID-5, `set_field(m, "MSH", 10, …)`
/// MSH-10 (in MSH, MSH-1 is the field separator itself, so MSH-n is the (n−1)-th element
/// after the name, one less than in other segments). The whole field is replaced, all its
/// repetitions and components; a segment shorter than `field` gets empty fields up to it.
///
/// Every other byte is kept: the other segments and fields, the line ends (CR, LF or CR LF),
/// a byte-order mark and MLLP framing; the message is read and written in the character set
/// MSH-18 declares (UTF-8 or GB18030), as [`Hl7View::parse`] reads it.
///
/// Refused with [`ViewError::Hl7Edit`]: field 0 (the segment name), MSH-1 and MSH-2 (the
/// delimiters themselves), a `value` holding one of the message's delimiters (`|^~\&` as
/// usual) or a line end (CR, LF) — the value is written as it is, so it would change the
/// message's structure — and a message without such a segment. Not HL7, or not text in its
/// character set, is [`ViewError::Hl7`] or [`ViewError::Charset`], as for the view.
pub fn set_field(
    message: &[u8],
    segment: &str,
    field: usize,
    value: &str,
) -> Result<Vec<u8>, ViewError> {
    let refuse = |reason: String| ViewError::Hl7Edit {
        field: format!("{segment}-{field}"),
        value: value.to_owned(),
        reason,
    };
    if field == 0 {
        return Err(refuse(
            "fields are numbered from 1 (field 0 is the segment name)".to_owned(),
        ));
    }
    let is_msh = segment == "MSH";
    if is_msh && field <= 2 {
        return Err(refuse(
            "MSH-1 and MSH-2 are the message's delimiters (field separator, encoding \
             characters), not values"
                .to_owned(),
        ));
    }
    // MLLP framing and a BOM are put back around the edited text.
    const START_BLOCK: &[u8] = &[0x0B];
    const END_BLOCK: &[u8] = &[0x1C, 0x0D];
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let none: &[u8] = &[];
    let (start, rest) = match message.strip_prefix(START_BLOCK) {
        Some(rest) => (START_BLOCK, rest),
        None => (none, message),
    };
    let (body, end) = match rest.strip_suffix(END_BLOCK) {
        Some(body) => (body, END_BLOCK),
        None => (rest, none),
    };
    let (bom, body) = match body.strip_prefix(BOM) {
        Some(body) => (BOM, body),
        None => (none, body),
    };
    if !body.starts_with(b"MSH") {
        return Err(ViewError::Hl7(
            "a message starts with an MSH segment".to_owned(),
        ));
    }
    let charset = sniff_msh18(body).unwrap_or_default();
    let text = decode_text(body, (!charset.is_empty()).then_some(charset.as_str()))?;
    let d = Delimiters::of(&text)?;
    if let Some(c) = value
        .chars()
        .find(|c| d.all().contains(c) || *c == '\r' || *c == '\n')
    {
        let delimiters: String = d.all().into_iter().collect();
        return Err(refuse(format!(
            "the value holds {c:?}, a delimiter of this message ({delimiters}, CR and LF end \
             segments); values are written as they are"
        )));
    }
    // In MSH the separator after the name is MSH-1 itself: MSH-n is element n − 1.
    let index = if is_msh { field - 1 } else { field };
    let mut found = false;
    let mut edited = String::with_capacity(text.len() + value.len());
    for line in text.split_inclusive(['\r', '\n']) {
        let content = line.trim_end_matches(['\r', '\n']);
        if found || content.split(d.field).next() != Some(segment) {
            edited.push_str(line);
            continue;
        }
        found = true;
        let mut elements: Vec<&str> = content.split(d.field).collect();
        if elements.len() <= index {
            elements.resize(index + 1, "");
        }
        if let Some(slot) = elements.get_mut(index) {
            *slot = value;
        }
        edited.push_str(&elements.join(&d.field.to_string()));
        edited.push_str(line.get(content.len()..).unwrap_or_default());
    }
    if !found {
        return Err(refuse(format!("the message has no {segment} segment")));
    }
    let mut out = Vec::with_capacity(message.len() + value.len());
    out.extend_from_slice(start);
    out.extend_from_slice(bom);
    if is_gb(&charset) {
        // GB18030 encodes every Unicode character, so nothing is replaced.
        out.extend_from_slice(&encoding_rs::GB18030.encode(&edited).0);
    } else {
        out.extend_from_slice(edited.as_bytes());
    }
    out.extend_from_slice(end);
    Ok(out)
}

/// MSH-18 from the raw bytes of the MSH line (delimiters and MSH-18 are ASCII).
fn sniff_msh18(bytes: &[u8]) -> Option<String> {
    let end = bytes
        .iter()
        .position(|b| *b == b'\r' || *b == b'\n')
        .unwrap_or(bytes.len());
    let line = bytes.get(..end)?;
    let separator = *line.get(3)?;
    let repetition = line.get(5).copied().unwrap_or(b'~');
    // Elements: "MSH", MSH-2, MSH-3, …: MSH-n is element n - 1.
    let msh18 = line.split(|b| *b == separator).nth(17)?;
    let first = msh18.split(|b| *b == repetition).next()?;
    Some(String::from_utf8_lossy(first).trim().to_owned())
}

/// The acknowledgement code of an ACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// Application accept.
    Aa,
    /// Application error: send again later.
    Ae,
    /// Application reject: do not send again.
    Ar,
}

impl AckCode {
    /// `AA`, `AE` or `AR`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AckCode::Aa => "AA",
            AckCode::Ae => "AE",
            AckCode::Ar => "AR",
        }
    }
}

/// The ACK (original mode) answering `message`, as bytes in the message's character set:
///
/// * MSH-3/4 = the message's MSH-5/6 and MSH-5/6 = its MSH-3/4 (sending and receiving
///   application and facility swapped), MSH-7 = `now` (HL7 DTM), MSH-9 =
///   `ACK^<trigger>^ACK`, MSH-10 = `ACK-<MSH-10>`, MSH-11/12/18 copied (P, 2.5 when
///   absent);
/// * MSA-1 = `code`, MSA-2 = the message's MSH-10, MSA-3 = `text` when given;
/// * for `AE`/`AR`, an ERR segment: ERR-3 `207^Application internal error^HL70357`,
///   ERR-4 `E`, ERR-8 `text`.
///
/// `text` must not contain HL7 delimiters (the simulator's own texts do not).
pub fn ack(message: &Hl7View, code: AckCode, text: Option<&str>, now: &str) -> Vec<u8> {
    let msh = |n: usize| message.field_raw("MSH", n).unwrap_or_default();
    let trigger = message.field("MSH", 9, 2).unwrap_or_default();
    let d = message.delimiters;
    let encoding: String = [d.component, d.repetition, d.escape, d.subcomponent]
        .into_iter()
        .collect();
    let f = d.field;
    let processing = message.field_raw("MSH", 11).unwrap_or("P");
    let version = message.field_raw("MSH", 12).unwrap_or("2.5");
    let mut text_out = format!(
        "MSH{f}{encoding}{f}{}{f}{}{f}{}{f}{}{f}{now}{f}{f}ACK{c}{trigger}{c}ACK{f}ACK-{}{f}{processing}{f}{version}{f}{f}{f}{f}{f}{f}{}\r",
        msh(5),
        msh(6),
        msh(3),
        msh(4),
        msh(10),
        msh(18),
        c = d.component,
    );
    text_out.push_str(&format!(
        "MSA{f}{}{f}{}{}\r",
        code.as_str(),
        msh(10),
        text.map(|t| format!("{f}{t}")).unwrap_or_default()
    ));
    if code != AckCode::Aa {
        text_out.push_str(&format!(
            "ERR{f}{f}{f}207{c}Application internal error{c}HL70357{f}E{f}{f}{f}{f}{}\r",
            text.unwrap_or_default(),
            c = d.component,
        ));
    }
    if is_gb(&message.charset) {
        encoding_rs::GB18030.encode(&text_out).0.into_owned()
    } else {
        text_out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    const ADT: &str = "MSH|^~\\&|HIS|TCDYRMYY|RESCUE-HUB|TAICANG|20250309003542+0800||ADT^A01^ADT_A01|HIS001|P|2.5|||||CHN|UNICODE UTF-8\r\
EVN|A01|20250309003542+0800\r\
PID|1||0031425^^^TCDYRMYY^MR~X9^^^Y||无名氏^^^^^^U||1970|M|||太仓市\\T\\城厢镇^^^^^^H\r\
OBX|1|ST|A||one\r\
OBX|2|ST|B||two\r";

    #[test]
    fn fields_components_and_repetitions() {
        let view = Hl7View::parse(ADT.as_bytes()).unwrap();
        assert_eq!(view.segment_names(), ["MSH", "EVN", "PID", "OBX", "OBX"]);
        assert_eq!(view.field("MSH", 1, 1), Some("|"));
        assert_eq!(view.field("MSH", 2, 1), Some("^~\\&"));
        assert_eq!(view.field("MSH", 3, 1), Some("HIS"));
        assert_eq!(view.field("MSH", 9, 2), Some("A01"));
        assert_eq!(view.field_raw("MSH", 9), Some("ADT^A01^ADT_A01"));
        assert_eq!(view.field("MSH", 10, 1), Some("HIS001"));
        assert_eq!(view.field("MSH", 18, 1), Some("UNICODE UTF-8"));
        assert_eq!(view.field("PID", 5, 1), Some("无名氏"));
        assert_eq!(view.field("PID", 5, 7), Some("U"));
        assert_eq!(view.field("PID", 5, 2), None);
        assert_eq!(view.field("PID", 3, 1), Some("0031425"));
        let pid = view.segment("PID").unwrap();
        assert_eq!(pid.repetitions(3), 2);
        assert_eq!(pid.component(3, 2, 1, 0), Some("X9"));
        assert_eq!(pid.component(3, 2, 4, 0), Some("Y"));
        assert_eq!(view.field("PID", 11, 1), Some("太仓市\\T\\城厢镇"));
        assert_eq!(
            view.unescaped("PID", 11, 1).as_deref(),
            Some("太仓市&城厢镇")
        );
        let obx: Vec<_> = view.segments("OBX").map(|s| s.field(5, 1)).collect();
        assert_eq!(obx, [Some("one"), Some("two")]);
        assert_eq!(view.field("ZZZ", 1, 1), None);
        assert_eq!(view.field("PID", 99, 1), None);
        assert_eq!(view.field("PID", 5, 0), None);
    }

    #[test]
    fn gb18030_messages_are_read_as_msh18_declares() {
        let text = ADT.replace("UNICODE UTF-8", "GB 18030-2000");
        let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
        let view = Hl7View::parse(&bytes).unwrap();
        assert_eq!(view.field("PID", 5, 1), Some("无名氏"));
        assert_eq!(view.charset(), "GB 18030-2000");
        let ack = ack(&view, AckCode::Ar, Some("拒收"), "20250101000000+0800");
        assert!(std::str::from_utf8(&ack).is_err(), "the ACK is GB18030 too");
        let ack = Hl7View::parse(&ack).unwrap();
        assert_eq!(ack.field("ERR", 8, 1), Some("拒收"));
    }

    #[test]
    fn ack_swaps_applications_and_echoes_the_control_id() {
        let view = Hl7View::parse(ADT.as_bytes()).unwrap();
        let bytes = ack(&view, AckCode::Aa, None, "20250309003543+0800");
        let ack = Hl7View::parse(&bytes).unwrap();
        assert_eq!(ack.field("MSH", 3, 1), Some("RESCUE-HUB"));
        assert_eq!(ack.field("MSH", 4, 1), Some("TAICANG"));
        assert_eq!(ack.field("MSH", 5, 1), Some("HIS"));
        assert_eq!(ack.field("MSH", 6, 1), Some("TCDYRMYY"));
        assert_eq!(ack.field("MSH", 7, 1), Some("20250309003543+0800"));
        assert_eq!(ack.field_raw("MSH", 9), Some("ACK^A01^ACK"));
        assert_eq!(ack.field("MSH", 10, 1), Some("ACK-HIS001"));
        assert_eq!(ack.field("MSH", 12, 1), Some("2.5"));
        assert_eq!(ack.field("MSA", 1, 1), Some("AA"));
        assert_eq!(ack.field("MSA", 2, 1), Some("HIS001"));
        assert!(ack.segment("ERR").is_none());
        let bytes = super::ack(&view, AckCode::Ae, Some("busy"), "20250309003543+0800");
        let ae = Hl7View::parse(&bytes).unwrap();
        assert_eq!(ae.field("MSA", 1, 1), Some("AE"));
        assert_eq!(ae.field("MSA", 3, 1), Some("busy"));
        assert_eq!(ae.field("ERR", 3, 1), Some("207"));
        assert_eq!(ae.field("ERR", 4, 1), Some("E"));
    }

    /// `message` with `segment`-`field` set, read back.
    fn set(message: &str, segment: &str, field: usize, value: &str) -> String {
        String::from_utf8(set_field(message.as_bytes(), segment, field, value).unwrap()).unwrap()
    }

    #[test]
    fn set_field_replaces_one_field_and_keeps_every_other_byte() {
        let edited = set(ADT, "PID", 5, "张三");
        assert_eq!(
            edited,
            ADT.replace("|无名氏^^^^^^U|", "|张三|"),
            "PID-5, components and all"
        );
        let view = Hl7View::parse(edited.as_bytes()).unwrap();
        assert_eq!(view.field("PID", 5, 1), Some("张三"));
        assert_eq!(view.field("PID", 3, 1), Some("0031425"), "PID-3 untouched");

        // MSH-9 and MSH-10: one element less than in other segments, as MSH-1 is the '|'.
        let edited = set(ADT, "MSH", 10, "HIS002");
        assert_eq!(edited, ADT.replace("|HIS001|", "|HIS002|"));
        let view = Hl7View::parse(edited.as_bytes()).unwrap();
        assert_eq!(view.field("MSH", 10, 1), Some("HIS002"));
        assert_eq!(view.field_raw("MSH", 9), Some("ADT^A01^ADT_A01"));
        let edited = set(ADT, "MSH", 9, "ACK");
        assert_eq!(edited, ADT.replace("|ADT^A01^ADT_A01|", "|ACK|"));
        let view = Hl7View::parse(edited.as_bytes()).unwrap();
        assert_eq!(view.field_raw("MSH", 9), Some("ACK"));
        assert_eq!(view.field("MSH", 10, 1), Some("HIS001"));
        assert_eq!(
            view.field("MSH", 2, 1),
            Some("^~\\&"),
            "the delimiters stay"
        );
        let edited = set(ADT, "MSH", 3, "HIS2");
        assert!(edited.starts_with("MSH|^~\\&|HIS2|TCDYRMYY|"), "{edited}");

        // A repeated segment: only the first occurrence is set.
        let edited = set(ADT, "OBX", 5, "uno");
        let view = Hl7View::parse(edited.as_bytes()).unwrap();
        let obx: Vec<_> = view.segments("OBX").map(|s| s.field(5, 1)).collect();
        assert_eq!(obx, [Some("uno"), Some("two")]);

        // Past the end of a segment: empty fields up to it.
        let edited = set(ADT, "EVN", 5, "OP1");
        assert!(
            edited.contains("\rEVN|A01|20250309003542+0800|||OP1\r"),
            "{edited}"
        );
        // An empty value empties the field.
        let edited = set(ADT, "PID", 7, "");
        assert_eq!(
            Hl7View::parse(edited.as_bytes())
                .unwrap()
                .field("PID", 7, 1),
            None
        );
        // A segment whose name is a prefix of another's is not taken for it.
        let edited = set("MSH|^~\\&|A\rZHEX|1\rZHE|1\r", "ZHE", 1, "2");
        assert_eq!(edited, "MSH|^~\\&|A\rZHEX|1\rZHE|2\r");
    }

    #[test]
    fn set_field_refuses_delimiters_header_fields_and_missing_segments() {
        for bad in ["a|b", "a^b", "a~b", "a\\b", "a&b", "a\rb", "a\nb"] {
            let error = set_field(ADT.as_bytes(), "PID", 5, bad).unwrap_err();
            let ViewError::Hl7Edit {
                field,
                value,
                reason,
            } = &error
            else {
                panic!("{error:?}");
            };
            assert_eq!((field.as_str(), value.as_str()), ("PID-5", bad));
            assert!(reason.contains("a delimiter of this message"), "{error}");
        }
        let error = set_field(ADT.as_bytes(), "MSH", 10, "A|B").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot set MSH-10 to \"A|B\": the value holds '|'"),
            "{error}"
        );
        // Components are delimiters too: a whole field is one value.
        let error = set_field(ADT.as_bytes(), "MSH", 9, "ADT^A03^ADT_A03").unwrap_err();
        assert!(error.to_string().contains("holds '^'"), "{error}");
        for (segment, field) in [("MSH", 1), ("MSH", 2), ("PID", 0), ("MSH", 0)] {
            let error = set_field(ADT.as_bytes(), segment, field, "x").unwrap_err();
            assert!(matches!(error, ViewError::Hl7Edit { .. }), "{error:?}");
        }
        assert_eq!(
            set_field(ADT.as_bytes(), "ZHE", 5, "x")
                .unwrap_err()
                .to_string(),
            "cannot set ZHE-5 to \"x\": the message has no ZHE segment"
        );
        assert!(matches!(
            set_field(b"PID|1", "PID", 1, "x"),
            Err(ViewError::Hl7(_))
        ));
    }

    #[test]
    fn set_field_uses_the_message_own_delimiters() {
        let custom = "MSH#*$!%#HIS#TCDYRMYY\rPID#1##0031425*MR##old\r";
        let edited = set(custom, "PID", 5, "a|b^c~d\\e&f");
        assert_eq!(
            edited,
            "MSH#*$!%#HIS#TCDYRMYY\rPID#1##0031425*MR##a|b^c~d\\e&f\r"
        );
        let view = Hl7View::parse(edited.as_bytes()).unwrap();
        assert_eq!(view.field("PID", 5, 1), Some("a|b^c~d\\e&f"));
        let edited = set(custom, "MSH", 4, "TCSRMYY");
        assert_eq!(edited, "MSH#*$!%#HIS#TCSRMYY\rPID#1##0031425*MR##old\r");
        for bad in ["a#b", "a*b", "a$b", "a!b", "a%b"] {
            assert!(
                set_field(custom.as_bytes(), "PID", 5, bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn set_field_keeps_line_ends_framing_and_character_set() {
        let lf = ADT.replace('\r', "\n");
        assert_eq!(set(&lf, "MSH", 10, "X"), lf.replace("|HIS001|", "|X|"));
        let crlf = ADT.replace('\r', "\r\n");
        assert_eq!(set(&crlf, "OBX", 5, "X"), crlf.replace("|one\r", "|X\r"));

        let mut framed = vec![0x0B];
        framed.extend_from_slice(b"\xEF\xBB\xBF");
        framed.extend_from_slice(ADT.as_bytes());
        framed.extend_from_slice(&[0x1C, 0x0D]);
        let edited = set_field(&framed, "MSH", 10, "X").unwrap();
        let mut expected = vec![0x0B];
        expected.extend_from_slice(b"\xEF\xBB\xBF");
        expected.extend_from_slice(ADT.replace("|HIS001|", "|X|").as_bytes());
        expected.extend_from_slice(&[0x1C, 0x0D]);
        assert_eq!(edited, expected);

        let text = ADT.replace("UNICODE UTF-8", "GB 18030-2000");
        let gb = encoding_rs::GB18030.encode(&text).0.into_owned();
        let edited = set_field(&gb, "PID", 5, "张三").unwrap();
        assert!(std::str::from_utf8(&edited).is_err(), "still GB18030");
        let expected = encoding_rs::GB18030
            .encode(&text.replace("|无名氏^^^^^^U|", "|张三|"))
            .0
            .into_owned();
        assert_eq!(edited, expected);
        assert_eq!(
            Hl7View::parse(&edited).unwrap().field("PID", 5, 1),
            Some("张三")
        );
    }

    #[test]
    fn not_hl7_is_an_error() {
        for bad in [&b""[..], b"PID|1", b"MSH", b"MSHA^~\\&", b"\xff\xfe"] {
            assert!(Hl7View::parse(bad).is_err(), "{bad:?}");
        }
        // LF line ends are accepted.
        let view = Hl7View::parse(b"MSH|^~\\&|A\nPID|1||7\n").unwrap();
        assert_eq!(view.field("PID", 3, 1), Some("7"));
    }
}
