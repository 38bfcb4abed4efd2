//! HL7 v2 ER7 ("pipe") encoding: the parser and writer under the HEALTH codec, knowing
//! nothing of the hub's messages.
//!
//! A [`Message`] is a list of [`Segment`]s; a segment is a 3-character id and numbered
//! [`Field`]s; a field is a list of repetitions ([`Rep`]), each a list of components, each a
//! list of subcomponents holding *unescaped* text. Numbers are 1-based as HL7 writes them
//! (`PID-7`, component 1, subcomponent 1).
//!
//! Invariants:
//! * The delimiters are the ones the message declares: MSH-1 is the field separator, MSH-2
//!   the component, repetition, escape and subcomponent characters, in that order (a fifth,
//!   the v2.7 truncation character, is accepted and ignored). They must be distinct ASCII
//!   punctuation; anything else is refused as `MSH-1`/`MSH-2`.
//! * For `MSH`, field 1 is the field separator and field 2 the encoding characters, both
//!   kept verbatim, so `MSH-3` is `field(3)` as HL7 counts.
//! * Parsing unescapes `\F\ \S\ \T\ \R\ \E\`, `\Xhh…\` (bytes in the message's character
//!   set) and `\.br\` (line break); the highlighting and formatting escapes `\H\ \N\ \.xx\`
//!   carry no text and are dropped; any other escape is an error naming segment and field.
//!   The HL7 null `""` of a whole repetition is kept ([`Field::is_null`]); written inside a
//!   component it reads as empty.
//! * Writing escapes every delimiter and the escape character, CR, LF and the other C0
//!   controls (`\X0D\`), so a written message never contains the MLLP block bytes 0x0B and
//!   0x1C, and escapes a value that is literally `""` so that it does not read back as null.
//!   `parse(write(m)) == m` for every message whose values are non-empty where written.
//! * Total: any input gives a [`Message`] or a [`CodecError`] whose location names the
//!   segment (`segment 3`) or segment and field (`PID-7`); nothing panics.
//!
//! Segment terminators: CR as the standard says; LF and CR LF are accepted too (files and
//! some interface engines use them), and blank lines are skipped.

use adapter_core::CodecError;
use serde::{Deserialize, Serialize};

/// The format name used in [`CodecError::Malformed`].
pub const FORMAT: &str = "HL7 v2.5";

/// The five delimiters of an ER7 message (MSH-1 and MSH-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    /// Field separator (MSH-1), normally `|`.
    pub field: char,
    /// Component separator, normally `^`.
    pub component: char,
    /// Repetition separator, normally `~`.
    pub repetition: char,
    /// Escape character, normally `\`.
    pub escape: char,
    /// Subcomponent separator, normally `&`.
    pub subcomponent: char,
}

impl Delimiters {
    /// `|^~\&`, what the hub writes.
    pub const STANDARD: Delimiters = Delimiters {
        field: '|',
        component: '^',
        repetition: '~',
        escape: '\\',
        subcomponent: '&',
    };

    /// The MSH-2 text: component, repetition, escape and subcomponent characters.
    pub fn encoding_characters(&self) -> String {
        [
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
        ]
        .iter()
        .collect()
    }

    /// Checks that the delimiters can delimit: distinct ASCII punctuation.
    fn check(&self) -> Result<(), CodecError> {
        let usable = |c: char| c.is_ascii_graphic() && !c.is_ascii_alphanumeric();
        if !usable(self.field) {
            return Err(malformed(
                "MSH-1",
                format!(
                    "field separator {:?} must be an ASCII punctuation character (normally `|`)",
                    self.field
                ),
            ));
        }
        let all = [
            self.field,
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
        ];
        for (i, c) in all.iter().enumerate().skip(1) {
            if !usable(*c) {
                return Err(malformed(
                    "MSH-2",
                    format!(
                        "encoding character {c:?} must be an ASCII punctuation character (normally `^~\\&`)"
                    ),
                ));
            }
            if all.iter().take(i).any(|d| d == c) {
                return Err(malformed(
                    "MSH-2",
                    format!(
                        "encoding character {c:?} is used twice among MSH-1 and MSH-2 (normally `|^~\\&`)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Character set of a message's bytes (MSH-18).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Charset {
    /// UTF-8, MSH-18 `UNICODE UTF-8` (also accepted: empty, `ASCII`, `UTF-8`).
    #[default]
    #[serde(rename = "UTF-8")]
    Utf8,
    /// GB 18030, MSH-18 `GB 18030-2000` (also accepted: `GB18030`, `GBK`, `GB2312`, which it
    /// contains).
    #[serde(rename = "GB18030")]
    Gb18030,
}

impl Charset {
    /// The MSH-18 value the hub writes for this character set.
    pub const fn msh18(self) -> &'static str {
        match self {
            Charset::Utf8 => "UNICODE UTF-8",
            Charset::Gb18030 => "GB 18030-2000",
        }
    }

    /// The character set an MSH-18 value names, if supported.
    pub fn from_msh18(value: &str) -> Option<Charset> {
        let v = value.trim().to_ascii_uppercase();
        match v.as_str() {
            "" | "ASCII" | "UNICODE UTF-8" | "UTF-8" | "UTF8" => Some(Charset::Utf8),
            "GB 18030-2000" | "GB18030-2000" | "GB 18030" | "GB18030" | "GBK" | "GB2312"
            | "GB 2312" => Some(Charset::Gb18030),
            _ => None,
        }
    }

    /// The text as bytes in this character set (GB 18030 encodes every Unicode scalar).
    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            Charset::Utf8 => text.as_bytes().to_vec(),
            Charset::Gb18030 => encoding_rs::GB18030.encode(text).0.into_owned(),
        }
    }

    /// Bytes in this character set as text, `None` if they are not valid in it.
    fn decode(self, bytes: &[u8]) -> Option<String> {
        match self {
            Charset::Utf8 => String::from_utf8(bytes.to_vec()).ok(),
            Charset::Gb18030 => encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|text| text.into_owned()),
        }
    }
}

/// One repetition of a field: components, each a list of subcomponents (unescaped text),
/// or the HL7 null `""`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rep {
    comps: Vec<Vec<String>>,
    null: bool,
}

impl Rep {
    /// An empty repetition, to fill with [`Rep::with`].
    pub fn new() -> Rep {
        Rep::default()
    }

    /// A repetition holding one text (component 1, subcomponent 1).
    pub fn text(value: impl Into<String>) -> Rep {
        Rep::new().with(1, value)
    }

    /// Sets component `c` (subcomponent 1); an empty value leaves it empty.
    #[must_use]
    pub fn with(self, c: usize, value: impl Into<String>) -> Rep {
        self.with_sub(c, 1, value)
    }

    /// Sets component `c` when the value is present.
    #[must_use]
    pub fn with_opt(self, c: usize, value: Option<&str>) -> Rep {
        match value {
            Some(v) => self.with(c, v),
            None => self,
        }
    }

    /// Sets subcomponent `s` of component `c`.
    #[must_use]
    pub fn with_sub(mut self, c: usize, s: usize, value: impl Into<String>) -> Rep {
        let value = value.into();
        if c == 0 || s == 0 || value.is_empty() {
            return self;
        }
        self.null = false;
        if self.comps.len() < c {
            self.comps.resize_with(c, Vec::new);
        }
        if let Some(comp) = self.comps.get_mut(c - 1) {
            if comp.len() < s {
                comp.resize_with(s, String::new);
            }
            if let Some(slot) = comp.get_mut(s - 1) {
                *slot = value;
            }
        }
        self
    }

    /// Subcomponent `s` of component `c`: `None` when absent or empty (a `""` written in a
    /// component reads as empty).
    pub fn sub(&self, c: usize, s: usize) -> Option<&str> {
        let value = self
            .comps
            .get(c.checked_sub(1)?)?
            .get(s.checked_sub(1)?)?
            .as_str();
        (!value.is_empty()).then_some(value)
    }

    /// Component `c` (its first subcomponent).
    pub fn comp(&self, c: usize) -> Option<&str> {
        self.sub(c, 1)
    }

    /// Whether nothing is written in this repetition (the null counts as written).
    pub fn is_empty(&self) -> bool {
        !self.null && self.comps.iter().flatten().all(String::is_empty)
    }

    /// Whether this repetition is the HL7 null `""`.
    pub fn is_null(&self) -> bool {
        self.null
    }
}

/// The HL7 null: a field written as two double quotes means "no value" (delete it).
pub const NULL: &str = "\"\"";

/// A field: its repetitions (none when the field is empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field {
    reps: Vec<Rep>,
}

impl Field {
    /// A field of one text; an empty text gives an empty field.
    pub fn text(value: impl Into<String>) -> Field {
        Field::rep(Rep::text(value))
    }

    /// A field of one text when present.
    pub fn opt(value: Option<&str>) -> Field {
        value.map(Field::text).unwrap_or_default()
    }

    /// A field of one repetition.
    pub fn rep(rep: Rep) -> Field {
        Field::reps(vec![rep])
    }

    /// A field of several repetitions (empty ones are dropped).
    pub fn reps(reps: Vec<Rep>) -> Field {
        Field {
            reps: reps.into_iter().filter(|r| !r.is_empty()).collect(),
        }
    }

    /// The HL7 null `""`.
    pub fn null() -> Field {
        Field {
            reps: vec![Rep {
                comps: Vec::new(),
                null: true,
            }],
        }
    }

    /// The first repetition.
    pub fn first(&self) -> Option<&Rep> {
        self.reps.first()
    }

    /// Every repetition, empty ones and nulls included.
    pub fn iter(&self) -> std::slice::Iter<'_, Rep> {
        self.reps.iter()
    }

    /// Whether nothing is written in the field.
    pub fn is_empty(&self) -> bool {
        self.reps.iter().all(Rep::is_empty)
    }

    /// Whether the field is the HL7 null `""`.
    pub fn is_null(&self) -> bool {
        matches!(self.reps.as_slice(), [only] if only.is_null())
    }

    /// The field as ER7 text with the standard delimiters `|^~\&`.
    pub fn to_er7(&self) -> String {
        let mut out = String::new();
        write_field(&mut out, self, &Delimiters::STANDARD);
        out
    }

    /// A field from ER7 text with the standard delimiters (what [`Field::to_er7`] wrote);
    /// text that does not parse is taken as one plain value.
    pub fn from_er7(text: &str) -> Field {
        parse_field(text, "", &Delimiters::STANDARD, Charset::Utf8)
            .unwrap_or_else(|_| Field::text(text))
    }
}

/// A segment: its id and fields 1, 2, ….
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    id: String,
    fields: Vec<Field>,
}

impl Segment {
    /// An empty segment with this id.
    pub fn new(id: &str) -> Segment {
        Segment {
            id: id.to_owned(),
            fields: Vec::new(),
        }
    }

    /// The segment id, e.g. `PID`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Field `n` (1-based), if written.
    pub fn field(&self, n: usize) -> Option<&Field> {
        self.fields.get(n.checked_sub(1)?)
    }

    /// Sets field `n` (1-based; 0 is ignored).
    pub fn set(&mut self, n: usize, field: Field) {
        if n == 0 {
            return;
        }
        if self.fields.len() < n {
            self.fields.resize_with(n, Field::default);
        }
        if let Some(slot) = self.fields.get_mut(n - 1) {
            *slot = field;
        }
    }

    /// Sets field `n` and returns the segment.
    #[must_use]
    pub fn with(mut self, n: usize, field: Field) -> Segment {
        self.set(n, field);
        self
    }

    /// Sets field `n` to a text when present.
    #[must_use]
    pub fn with_text(self, n: usize, value: Option<&str>) -> Segment {
        self.with(n, Field::opt(value))
    }

    /// Component `c` of the first repetition of field `n` (see [`Rep::sub`] for absence).
    pub fn comp(&self, n: usize, c: usize) -> Option<&str> {
        self.field(n)?.first()?.comp(c)
    }

    /// Subcomponent `s` of component `c` of the first repetition of field `n`.
    pub fn sub(&self, n: usize, c: usize, s: usize) -> Option<&str> {
        self.field(n)?.first()?.sub(c, s)
    }

    /// The text of field `n`: first repetition, component 1, subcomponent 1.
    pub fn text(&self, n: usize) -> Option<&str> {
        self.comp(n, 1)
    }

    /// The repetitions of field `n` that hold something (nulls excluded).
    pub fn reps(&self, n: usize) -> impl Iterator<Item = &Rep> {
        self.field(n)
            .into_iter()
            .flat_map(Field::iter)
            .filter(|r| !r.is_empty() && !r.is_null())
    }

    /// Whether field `n` is the HL7 null `""`.
    pub fn is_null(&self, n: usize) -> bool {
        self.field(n).is_some_and(Field::is_null)
    }

    /// How many fields are written (trailing empty ones included).
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }
}

/// A message: its delimiters and segments, MSH first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    delimiters: Delimiters,
    segments: Vec<Segment>,
}

impl Message {
    /// An empty message with these delimiters (push the MSH first).
    pub fn new(delimiters: Delimiters) -> Message {
        Message {
            delimiters,
            segments: Vec::new(),
        }
    }

    /// The delimiters the message declares.
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    /// Appends a segment.
    pub fn push(&mut self, segment: Segment) {
        self.segments.push(segment);
    }

    /// Every segment in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The first segment with this id.
    pub fn segment(&self, id: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.id == id)
    }

    /// Every segment with this id, in order.
    pub fn all<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Segment> + 'a {
        self.segments.iter().filter(move |s| s.id == id)
    }

    /// The message as ER7 text, each segment terminated by CR.
    pub fn to_er7(&self) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            write_segment(&mut out, segment, &self.delimiters);
        }
        out
    }

    /// Parses ER7 text (see the module docs for what is accepted).
    pub fn parse(text: &str, charset: Charset) -> Result<Message, CodecError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Some(after_id) = text.strip_prefix("MSH") else {
            return Err(malformed(
                "segment 1",
                "no MSH segment: an HL7 v2 message starts with `MSH|^~\\&|`",
            ));
        };
        let Some(field) = after_id.chars().next() else {
            return Err(malformed("MSH-1", "the message ends after `MSH`"));
        };
        let after_field = &after_id[field.len_utf8()..];
        let enc_end = after_field
            .find([field, '\r', '\n'])
            .unwrap_or(after_field.len());
        let enc: Vec<char> = after_field[..enc_end].chars().collect();
        let (component, repetition, escape, subcomponent) = match enc.as_slice() {
            [c, r, e, s] | [c, r, e, s, _] => (*c, *r, *e, *s),
            _ => {
                return Err(malformed(
                    "MSH-2",
                    format!(
                        "MSH-2 must hold the 4 encoding characters component, repetition, escape, subcomponent (normally `^~\\&`), found {:?}",
                        &after_field[..enc_end]
                    ),
                ));
            }
        };
        let delimiters = Delimiters {
            field,
            component,
            repetition,
            escape,
            subcomponent,
        };
        delimiters.check()?;
        if let Some(fifth) = enc.get(4)
            && [field, component, repetition, escape, subcomponent].contains(fifth)
        {
            return Err(malformed(
                "MSH-2",
                format!("truncation character {fifth:?} repeats another delimiter"),
            ));
        }
        let mut message = Message::new(delimiters);
        let lines = text
            .split(['\r', '\n'])
            .filter(|line| !line.trim().is_empty());
        for (i, line) in lines.enumerate() {
            let segment = parse_segment(line, i + 1, &delimiters, charset)?;
            message.push(segment);
        }
        Ok(message)
    }
}

/// Reads a message's bytes as text in the character set its MSH-18 declares (UTF-8 when it
/// declares none): the first step of every decode. A UTF-8 byte order mark is skipped.
pub fn decode_bytes(bytes: &[u8]) -> Result<(String, Charset), CodecError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if !bytes.starts_with(b"MSH") {
        return Err(malformed(
            "segment 1",
            "no MSH segment: an HL7 v2 message starts with `MSH|^~\\&|`",
        ));
    }
    let charset = sniff_charset(bytes)?;
    let text = charset.decode(bytes).ok_or_else(|| {
        let at = match charset {
            Charset::Utf8 => std::str::from_utf8(bytes)
                .err()
                .map_or(0, |e| e.valid_up_to()),
            Charset::Gb18030 => 0,
        };
        malformed(
            format!("byte {at}"),
            format!(
                "the bytes are not valid {} text, the character set MSH-18 declares (or implies when empty)",
                charset.msh18()
            ),
        )
    })?;
    Ok((text, charset))
}

/// The character set MSH-18 names. The delimiters and MSH-18 are ASCII; the fields before
/// MSH-18 may hold Chinese, and in GB 18030 the second byte of a character may be `|` or
/// `^`, so bytes that are not UTF-8 are split character-aware (GB 18030 lead bytes are
/// 0x81–0xFE, followed by one byte, or by three when the next is a digit).
fn sniff_charset(bytes: &[u8]) -> Result<Charset, CodecError> {
    let line_end = bytes
        .iter()
        .position(|b| *b == b'\r' || *b == b'\n')
        .unwrap_or(bytes.len());
    let line = &bytes[..line_end];
    let Some(&separator) = line.get(3) else {
        return Ok(Charset::Utf8);
    };
    if !separator.is_ascii() {
        // Not a usable separator: the parser reports it as MSH-1.
        return Ok(Charset::Utf8);
    }
    let repetition = line.get(5).copied().filter(u8::is_ascii).unwrap_or(b'~');
    let gb_aware = std::str::from_utf8(bytes).is_err();
    // Elements: "MSH", MSH-2, MSH-3, …; MSH-n is element n - 1.
    let mut elements: Vec<&[u8]> = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < line.len() {
        let b = line.get(i).copied().unwrap_or_default();
        if gb_aware && (0x81..=0xFE).contains(&b) {
            let four = line.get(i + 1).is_some_and(u8::is_ascii_digit);
            i += if four { 4 } else { 2 };
            continue;
        }
        if b == separator {
            elements.push(line.get(start..i).unwrap_or_default());
            start = i + 1;
        }
        i += 1;
    }
    elements.push(line.get(start..).unwrap_or_default());
    let Some(msh18) = elements.get(17) else {
        return Ok(Charset::Utf8);
    };
    let first = msh18.split(|b| *b == repetition).next().unwrap_or_default();
    let declared = String::from_utf8_lossy(first);
    Charset::from_msh18(&declared).ok_or_else(|| CodecError::InvalidField {
        field: "MSH-18".to_owned(),
        value: truncate(&declared),
        detail: "character set not supported: declare UNICODE UTF-8 or GB 18030-2000".to_owned(),
    })
}

/// A `Malformed` error of this format.
pub fn malformed(location: impl Into<String>, detail: impl Into<String>) -> CodecError {
    CodecError::Malformed {
        format: FORMAT,
        location: location.into(),
        detail: detail.into(),
    }
}

/// At most 80 characters of a value, for error messages.
pub fn truncate(value: &str) -> String {
    const MAX: usize = 80;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let mut cut: String = value.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}

fn valid_segment_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 3
        && b.first().is_some_and(u8::is_ascii_uppercase)
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn parse_segment(
    line: &str,
    index: usize,
    d: &Delimiters,
    charset: Charset,
) -> Result<Segment, CodecError> {
    let id: String = line.chars().take(3).collect();
    if id.chars().count() < 3 || line.len() < 3 {
        return Err(malformed(
            format!("segment {index}"),
            format!(
                "segment {:?} is truncated: a segment starts with a 3-character id",
                truncate(line)
            ),
        ));
    }
    if !valid_segment_id(&id) {
        return Err(malformed(
            format!("segment {index}"),
            format!("segment id {id:?} is not 3 upper-case letters or digits"),
        ));
    }
    let rest = &line[id.len()..];
    let mut segment = Segment::new(&id);
    if id == "MSH" {
        if index != 1 {
            return Err(malformed(
                format!("segment {index}"),
                "a second MSH segment: batches of messages are not supported, send one message per MLLP frame",
            ));
        }
        // "|^~\&|…": MSH-1 and MSH-2 verbatim, then the fields from MSH-3.
        let after_field = rest.get(d.field.len_utf8()..).unwrap_or_default();
        let enc_end = after_field.find(d.field).unwrap_or(after_field.len());
        segment.set(1, Field::text(d.field.to_string()));
        segment.set(2, Field::text(&after_field[..enc_end]));
        if enc_end < after_field.len() {
            let fields = &after_field[enc_end + d.field.len_utf8()..];
            for (i, raw) in fields.split(d.field).enumerate() {
                let n = i + 3;
                segment.set(n, parse_field(raw, &format!("MSH-{n}"), d, charset)?);
            }
        }
        return Ok(segment);
    }
    if rest.is_empty() {
        return Ok(segment);
    }
    let Some(fields) = rest.strip_prefix(d.field) else {
        return Err(malformed(
            format!("segment {index} ({id})"),
            format!(
                "segment id {id:?} must be followed by the field separator {:?}",
                d.field
            ),
        ));
    };
    for (i, raw) in fields.split(d.field).enumerate() {
        let n = i + 1;
        segment.set(n, parse_field(raw, &format!("{id}-{n}"), d, charset)?);
    }
    Ok(segment)
}

fn parse_field(
    raw: &str,
    location: &str,
    d: &Delimiters,
    charset: Charset,
) -> Result<Field, CodecError> {
    if raw.is_empty() {
        return Ok(Field::default());
    }
    let mut reps = Vec::new();
    for raw_rep in raw.split(d.repetition) {
        if raw_rep == NULL {
            reps.push(Rep {
                comps: Vec::new(),
                null: true,
            });
            continue;
        }
        let mut comps = Vec::new();
        for raw_comp in raw_rep.split(d.component) {
            let mut subs = Vec::new();
            for raw_sub in raw_comp.split(d.subcomponent) {
                // A null written in a component or subcomponent reads as empty.
                let value = if raw_sub == NULL {
                    String::new()
                } else {
                    unescape(raw_sub, location, d, charset)?
                };
                subs.push(value);
            }
            comps.push(subs);
        }
        reps.push(Rep { comps, null: false });
    }
    Ok(Field { reps })
}

/// Resolves the escape sequences of one subcomponent.
fn unescape(
    raw: &str,
    location: &str,
    d: &Delimiters,
    charset: Charset,
) -> Result<String, CodecError> {
    if !raw.contains(d.escape) {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    // Bytes of consecutive \X..\ sequences, decoded together so that a character may be
    // split across sequences.
    let mut hex_bytes: Vec<u8> = Vec::new();
    let flush = |hex_bytes: &mut Vec<u8>, out: &mut String| -> Result<(), CodecError> {
        if hex_bytes.is_empty() {
            return Ok(());
        }
        let text = charset.decode(hex_bytes).ok_or_else(|| {
            malformed(
                location,
                format!(
                    "hexadecimal escape bytes are not valid {} text",
                    charset.msh18()
                ),
            )
        })?;
        out.push_str(&text);
        hex_bytes.clear();
        Ok(())
    };
    let mut rest = raw;
    while let Some(start) = rest.find(d.escape) {
        if start > 0 {
            flush(&mut hex_bytes, &mut out)?;
            out.push_str(&rest[..start]);
        }
        let after = &rest[start + d.escape.len_utf8()..];
        let Some(end) = after.find(d.escape) else {
            return Err(malformed(
                location,
                format!(
                    "unterminated escape sequence: {:?} has no closing {:?}",
                    truncate(&rest[start..]),
                    d.escape
                ),
            ));
        };
        let sequence = &after[..end];
        rest = &after[end + d.escape.len_utf8()..];
        if let Some(hex) = sequence.strip_prefix('X') {
            hex_bytes.extend(parse_hex(hex).ok_or_else(|| {
                malformed(
                    location,
                    format!("escape \\X{hex}\\ needs an even number of hexadecimal digits"),
                )
            })?);
            continue;
        }
        flush(&mut hex_bytes, &mut out)?;
        match sequence {
            "F" => out.push(d.field),
            "S" => out.push(d.component),
            "T" => out.push(d.subcomponent),
            "R" => out.push(d.repetition),
            "E" => out.push(d.escape),
            ".br" => out.push('\n'),
            // Highlighting on/off and formatting commands carry no text.
            "H" | "N" => {}
            s if s.starts_with('.') && s.len() > 1 => {}
            other => {
                return Err(malformed(
                    location,
                    format!(
                        "unsupported escape sequence {:?} (supported: \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\Xhh\\ \\.br\\ \\H\\ \\N\\)",
                        truncate(other)
                    ),
                ));
            }
        }
    }
    flush(&mut hex_bytes, &mut out)?;
    out.push_str(rest);
    Ok(out)
}

fn parse_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.is_empty() || !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

fn write_segment(out: &mut String, segment: &Segment, d: &Delimiters) {
    out.push_str(&segment.id);
    let first = if segment.id == "MSH" {
        out.push(d.field);
        out.push_str(&d.encoding_characters());
        3
    } else {
        1
    };
    let last = segment
        .fields
        .iter()
        .rposition(|f| !f.is_empty())
        .map_or(0, |i| i + 1);
    for n in first..=last {
        out.push(d.field);
        if let Some(field) = segment.field(n) {
            write_field(out, field, d);
        }
    }
    out.push('\r');
}

fn write_field(out: &mut String, field: &Field, d: &Delimiters) {
    let last_rep = field.reps.iter().rposition(|r| !r.is_empty());
    for (i, rep) in field
        .reps
        .iter()
        .enumerate()
        .take(last_rep.map_or(0, |l| l + 1))
    {
        if i > 0 {
            out.push(d.repetition);
        }
        if rep.null {
            out.push_str(NULL);
            continue;
        }
        let last_comp = rep
            .comps
            .iter()
            .rposition(|c| c.iter().any(|s| !s.is_empty()));
        for (j, comp) in rep
            .comps
            .iter()
            .enumerate()
            .take(last_comp.map_or(0, |l| l + 1))
        {
            if j > 0 {
                out.push(d.component);
            }
            let last_sub = comp.iter().rposition(|s| !s.is_empty());
            for (k, sub) in comp.iter().enumerate().take(last_sub.map_or(0, |l| l + 1)) {
                if k > 0 {
                    out.push(d.subcomponent);
                }
                escape_into(out, sub, d);
            }
        }
    }
}

/// Writes one value with every character that would change its meaning escaped.
fn escape_into(out: &mut String, value: &str, d: &Delimiters) {
    if value == NULL {
        // Literal two double quotes, not the null: write the first one as a hex escape.
        out.push(d.escape);
        out.push_str("X22");
        out.push(d.escape);
        out.push('"');
        return;
    }
    for c in value.chars() {
        let named = if c == d.field {
            Some('F')
        } else if c == d.component {
            Some('S')
        } else if c == d.subcomponent {
            Some('T')
        } else if c == d.repetition {
            Some('R')
        } else if c == d.escape {
            Some('E')
        } else {
            None
        };
        if let Some(name) = named {
            out.push(d.escape);
            out.push(name);
            out.push(d.escape);
        } else if c.is_ascii_control() && c != '\t' {
            out.push(d.escape);
            out.push_str(&format!("X{:02X}", u32::from(c)));
            out.push(d.escape);
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn parse(text: &str) -> Result<Message, CodecError> {
        Message::parse(text, Charset::Utf8)
    }

    fn location(e: CodecError) -> String {
        match e {
            CodecError::Malformed { location, .. } => location,
            CodecError::InvalidField { field, .. } => field,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn reads_fields_components_repetitions_and_subcomponents() {
        let m = parse(
            "MSH|^~\\&|HIS|TCH|HUB|TC|20250309003542+0800||ADT^A01^ADT_A01|42|P|2.5\rPID|1||X1^^^HUB^PT~320585198001010019^^^^NNCHN||张三^^^^^^L\r",
        )
        .unwrap();
        let msh = m.segment("MSH").unwrap();
        assert_eq!(msh.text(1), Some("|"));
        assert_eq!(msh.text(2), Some("^~\\&"));
        assert_eq!(msh.text(3), Some("HIS"));
        assert_eq!(msh.comp(9, 2), Some("A01"));
        let pid = m.segment("PID").unwrap();
        let ids: Vec<_> = pid.reps(3).map(|r| (r.comp(1), r.comp(5))).collect();
        assert_eq!(
            ids,
            vec![
                (Some("X1"), Some("PT")),
                (Some("320585198001010019"), Some("NNCHN"))
            ]
        );
        assert_eq!(pid.comp(5, 7), Some("L"));
    }

    #[test]
    fn honours_declared_delimiters() {
        let m = parse("MSH#*!@%#A*B!C#\rPID#1##a%b*c@F@d!e\r").unwrap();
        let d = m.delimiters();
        assert_eq!(
            (d.field, d.component, d.repetition, d.escape, d.subcomponent),
            ('#', '*', '!', '@', '%')
        );
        let pid = m.segment("PID").unwrap();
        let rep = pid.field(3).unwrap().first().unwrap();
        assert_eq!(rep.sub(1, 1), Some("a"));
        assert_eq!(rep.sub(1, 2), Some("b"));
        assert_eq!(rep.comp(2), Some("c#d"));
        assert_eq!(pid.reps(3).nth(1).unwrap().comp(1), Some("e"));
        assert_eq!(m.segment("MSH").unwrap().comp(3, 2), Some("B"));
    }

    #[test]
    fn escapes_round_trip() {
        let mut m = Message::new(Delimiters::STANDARD);
        m.push(Segment::new("MSH").with(3, Field::text("A")));
        let tricky = "a|b^c~d\\e&f\r\ng\u{1c}\u{b}h\"\"";
        m.push(
            Segment::new("NTE")
                .with(3, Field::text(tricky))
                .with(4, Field::text("\"\"")),
        );
        let text = m.to_er7();
        assert!(!text.contains('\u{1c}') && !text.contains('\u{b}'));
        let back = parse(&text).unwrap();
        assert_eq!(back.segment("NTE").unwrap().text(3), Some(tricky));
        assert_eq!(back.segment("NTE").unwrap().text(4), Some("\"\""));
        assert!(!back.segment("NTE").unwrap().is_null(4));
    }

    #[test]
    fn null_is_kept_and_reads_as_absent() {
        let m = parse("MSH|^~\\&|A\rZHE|\"\"|x\r").unwrap();
        let z = m.segment("ZHE").unwrap();
        assert!(z.is_null(1));
        assert_eq!(z.text(1), None);
        assert_eq!(z.reps(1).count(), 0);
        let mut again = Message::new(Delimiters::STANDARD);
        again.push(Segment::new("MSH"));
        again.push(Segment::new("ZHE").with(1, Field::null()));
        assert_eq!(again.to_er7(), "MSH|^~\\&\rZHE|\"\"\r");
    }

    #[test]
    fn hex_escapes_decode_in_the_message_charset() {
        let m = parse("MSH|^~\\&|A\rNTE|||\\XE5BC\\\\XA0\\三\\.br\\x\\H\\y\\N\\\r").unwrap();
        assert_eq!(m.segment("NTE").unwrap().text(3), Some("张三\nxy"));
        let gb = Message::parse("MSH|^~\\&|A\rNTE|||\\XD5C5\\", Charset::Gb18030).unwrap();
        assert_eq!(gb.segment("NTE").unwrap().text(3), Some("张"));
    }

    #[test]
    fn bad_input_names_the_place() {
        assert_eq!(location(parse("PID|1").unwrap_err()), "segment 1");
        assert_eq!(location(parse("").unwrap_err()), "segment 1");
        assert_eq!(location(parse("MSH|^~\\|A").unwrap_err()), "MSH-2");
        assert_eq!(location(parse("MSH|^~^&|A").unwrap_err()), "MSH-2");
        assert_eq!(location(parse("MSHA^~\\&").unwrap_err()), "MSH-1");
        assert_eq!(location(parse("MSH|^~\\&|A\rPI").unwrap_err()), "segment 2");
        assert_eq!(
            location(parse("MSH|^~\\&|A\rpid|1").unwrap_err()),
            "segment 2"
        );
        assert_eq!(
            location(parse("MSH|^~\\&|A\rPIDX|1").unwrap_err()),
            "segment 2 (PID)"
        );
        assert_eq!(
            location(parse("MSH|^~\\&|A\rPID|1||\\Q\\").unwrap_err()),
            "PID-3"
        );
        assert_eq!(
            location(parse("MSH|^~\\&|A\rPID|1|||||||\\F").unwrap_err()),
            "PID-8"
        );
        assert_eq!(
            location(parse("MSH|^~\\&|A\rPID|\\XZZ\\").unwrap_err()),
            "PID-1"
        );
        assert_eq!(
            location(parse("MSH|^~\\&|A\rMSH|^~\\&|B").unwrap_err()),
            "segment 2"
        );
    }

    #[test]
    fn charset_comes_from_msh18() {
        let gb = encoding_rs::GB18030
            .encode("MSH|^~\\&|医院||||||ADT^A01|1|P|2.5||||||GB 18030-2000\rNTE|||张三\r")
            .0
            .into_owned();
        let (text, charset) = decode_bytes(&gb).unwrap();
        assert_eq!(charset, Charset::Gb18030);
        assert!(text.contains("张三"));
        assert!(decode_bytes(&gb[..gb.len() - 1]).is_ok());
        let utf8_declared_wrong = encoding_rs::GB18030
            .encode("MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rNTE|||张三\r")
            .0
            .into_owned();
        assert!(decode_bytes(&utf8_declared_wrong).is_err());
        // 鷟 is FB 7C in GB 18030: its second byte is `|`, which must not split MSH-3.
        let tricky = encoding_rs::GB18030
            .encode("MSH|^~\\&|鷟||||||ADT^A01|1|P|2.5||||||GB 18030-2000\rNTE|||鷟\r")
            .0
            .into_owned();
        assert!(tricky.contains(&0x7c));
        let (text, charset) = decode_bytes(&tricky).unwrap();
        assert_eq!(charset, Charset::Gb18030);
        assert!(text.contains("NTE|||鷟"));
        let odd = b"MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||8859/1\r";
        assert_eq!(location(decode_bytes(odd).unwrap_err()), "MSH-18");
    }

    #[test]
    fn accepts_lf_and_crlf_terminators() {
        let m = parse("MSH|^~\\&|A\r\nPID|1\n\nPV1|1|I\r\n").unwrap();
        let ids: Vec<_> = m.segments().iter().map(Segment::id).collect();
        assert_eq!(ids, ["MSH", "PID", "PV1"]);
    }
}
