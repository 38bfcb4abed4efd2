//! The route table: which departments a message goes to, by its type and content.
//!
//! A route names a message type, an optional content predicate (`when`) and recipients.
//! Every route whose type matches and whose predicate holds adds its recipients; the result
//! is deduplicated and keeps route order. `ORIGINAL_SENDER` stands for the sender of the
//! message named by the `correlation_id` (the pipeline resolves it through its inbox).
//!
//! Predicates test JSON pointers into the whole message (`/payload/…` for the payload,
//! `/case_id` for the envelope). A `*` segment stands for every array element or object
//! member, so a pointer selects a *set* of values, and a test holds when **some** selected
//! value passes it (`exists = false` holds when none is selected). `~0`/`~1` escape `~`/`/`
//! as in RFC 6901.
//!
//! Invariants: evaluation is pure and total — a malformed pointer (reported by validation)
//! selects nothing, a missing field selects nothing, and nothing panics on any message.
//! Routing does not authorize: the pipeline checks every resolved recipient against the
//! receive side of the matrix (validation checks the static recipients up front).

use std::fmt;

use contracts::model::Actor;
use serde::Deserialize;
use serde_json::Value;

/// A JSON pointer with `*` wildcards, as written in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "String")]
pub struct JsonPointerPattern {
    /// The pointer as written.
    text: String,
    /// Its segments, or why it is malformed (reported by validation; selects nothing).
    parsed: Result<Vec<Segment>, PointerError>,
}

/// One reference token of a pointer pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    /// A member name or array index (unescaped).
    Key(String),
    /// `*`: every array element or object member.
    Wildcard,
}

/// Why a pointer pattern is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointerError {
    /// Not empty and not starting with `/`.
    #[error("a pointer is empty (the whole message) or starts with `/`")]
    MissingLeadingSlash,
    /// A `~` not followed by `0` or `1`.
    #[error("`~` must be followed by 0 (for `~`) or 1 (for `/`) in segment `{0}`")]
    BadEscape(String),
    /// `//` or a trailing `/`.
    #[error("segment {0} is empty (`//` or a trailing `/`)")]
    EmptySegment(usize),
}

impl From<String> for JsonPointerPattern {
    fn from(text: String) -> Self {
        let parsed = parse_pointer(&text);
        JsonPointerPattern { text, parsed }
    }
}

impl From<&str> for JsonPointerPattern {
    fn from(text: &str) -> Self {
        JsonPointerPattern::from(text.to_owned())
    }
}

impl PartialEq for JsonPointerPattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for JsonPointerPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_pointer(text: &str) -> Result<Vec<Segment>, PointerError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = text.strip_prefix('/') else {
        return Err(PointerError::MissingLeadingSlash);
    };
    let mut segments = Vec::new();
    for (index, token) in rest.split('/').enumerate() {
        if token.is_empty() {
            return Err(PointerError::EmptySegment(index));
        }
        if token == "*" {
            segments.push(Segment::Wildcard);
            continue;
        }
        let mut key = String::with_capacity(token.len());
        let mut chars = token.chars();
        while let Some(c) = chars.next() {
            if c == '~' {
                match chars.next() {
                    Some('0') => key.push('~'),
                    Some('1') => key.push('/'),
                    _ => return Err(PointerError::BadEscape(token.to_owned())),
                }
            } else {
                key.push(c);
            }
        }
        segments.push(Segment::Key(key));
    }
    Ok(segments)
}

impl JsonPointerPattern {
    /// The pointer as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Why the pointer is malformed, if it is.
    pub fn error(&self) -> Option<&PointerError> {
        self.parsed.as_ref().err()
    }

    /// The parsed segments (empty when malformed).
    pub(super) fn segments(&self) -> &[Segment] {
        self.parsed.as_deref().unwrap_or(&[])
    }

    /// Every value the pattern selects in `value` (none when malformed).
    pub fn select<'a>(&self, value: &'a Value) -> Vec<&'a Value> {
        let mut out = Vec::new();
        if let Ok(segments) = &self.parsed {
            select_into(value, segments, &mut out);
        }
        out
    }
}

fn select_into<'a>(value: &'a Value, segments: &[Segment], out: &mut Vec<&'a Value>) {
    let Some((head, rest)) = segments.split_first() else {
        out.push(value);
        return;
    };
    match (head, value) {
        (Segment::Wildcard, Value::Array(items)) => {
            for item in items {
                select_into(item, rest, out);
            }
        }
        (Segment::Wildcard, Value::Object(members)) => {
            for member in members.values() {
                select_into(member, rest, out);
            }
        }
        (Segment::Key(key), Value::Object(members)) => {
            if let Some(member) = members.get(key) {
                select_into(member, rest, out);
            }
        }
        (Segment::Key(key), Value::Array(items)) => {
            if let Some(item) = array_index(key).and_then(|i| items.get(i)) {
                select_into(item, rest, out);
            }
        }
        _ => {}
    }
}

/// An RFC 6901 array index: digits without a leading zero.
fn array_index(token: &str) -> Option<usize> {
    let well_formed = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    if well_formed {
        token.parse().ok()
    } else {
        None
    }
}

/// Equality of JSON values, with numbers compared by value (`1` equals `1.0`).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || matches!((x.as_f64(), y.as_f64()), (Some(p), Some(q)) if p == q)
        }
        _ => a == b,
    }
}

/// A condition on the content of a message.
///
/// Written in the configuration as one of `{ pointer, equals }`, `{ pointer, one_of }`,
/// `{ pointer, prefix }`, `{ pointer, exists }`, `{ any = [...] }`, `{ all = [...] }`,
/// `{ not = {...} }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "PredicateSpec")]
pub enum Predicate {
    /// Some selected value equals `value`.
    Equals {
        /// What to test.
        pointer: JsonPointerPattern,
        /// The value.
        value: Value,
    },
    /// Some selected value equals one of `values`.
    OneOf {
        /// What to test.
        pointer: JsonPointerPattern,
        /// The values.
        values: Vec<Value>,
    },
    /// Some selected value is a string starting with `prefix` (e.g. a GB/T 2260 code
    /// starting with `320585`, Taicang).
    Prefix {
        /// What to test.
        pointer: JsonPointerPattern,
        /// The prefix.
        prefix: String,
    },
    /// `exists = true`: the pointer selects something; `exists = false`: it selects nothing.
    Exists {
        /// What to test.
        pointer: JsonPointerPattern,
        /// Whether it must exist.
        exists: bool,
    },
    /// At least one of these holds (none → false).
    Any(Vec<Predicate>),
    /// All of these hold (none → true).
    All(Vec<Predicate>),
    /// This does not hold.
    Not(Box<Predicate>),
}

impl Predicate {
    /// Whether the predicate holds for `message` (the whole envelope).
    pub fn matches(&self, message: &Value) -> bool {
        match self {
            Predicate::Equals { pointer, value } => pointer
                .select(message)
                .into_iter()
                .any(|v| json_equal(v, value)),
            Predicate::OneOf { pointer, values } => pointer
                .select(message)
                .into_iter()
                .any(|v| values.iter().any(|w| json_equal(v, w))),
            Predicate::Prefix { pointer, prefix } => pointer
                .select(message)
                .into_iter()
                .any(|v| v.as_str().is_some_and(|s| s.starts_with(prefix.as_str()))),
            Predicate::Exists { pointer, exists } => {
                let present = !pointer.select(message).is_empty();
                present == *exists
            }
            Predicate::Any(all) => all.iter().any(|p| p.matches(message)),
            Predicate::All(all) => all.iter().all(|p| p.matches(message)),
            Predicate::Not(inner) => !inner.matches(message),
        }
    }
}

/// The written form of a predicate, before its shape is checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PredicateSpec {
    /// What to test.
    #[serde(default)]
    pointer: Option<JsonPointerPattern>,
    /// Equality test.
    #[serde(default)]
    equals: Option<Value>,
    /// Membership test.
    #[serde(default)]
    one_of: Option<Vec<Value>>,
    /// String prefix test.
    #[serde(default)]
    prefix: Option<String>,
    /// Presence test.
    #[serde(default)]
    exists: Option<bool>,
    /// Disjunction.
    #[serde(default)]
    any: Option<Vec<Predicate>>,
    /// Conjunction.
    #[serde(default)]
    all: Option<Vec<Predicate>>,
    /// Negation.
    #[serde(default)]
    not: Option<Box<Predicate>>,
}

const PREDICATE_FORMS: &str = "a predicate is one of { pointer, equals }, { pointer, one_of }, \
{ pointer, prefix }, { pointer, exists }, { any = [...] }, { all = [...] }, { not = {...} }";

impl TryFrom<PredicateSpec> for Predicate {
    type Error = String;

    fn try_from(spec: PredicateSpec) -> Result<Self, Self::Error> {
        let present: Vec<&str> = [
            ("pointer", spec.pointer.is_some()),
            ("equals", spec.equals.is_some()),
            ("one_of", spec.one_of.is_some()),
            ("prefix", spec.prefix.is_some()),
            ("exists", spec.exists.is_some()),
            ("any", spec.any.is_some()),
            ("all", spec.all.is_some()),
            ("not", spec.not.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, is)| is.then_some(name))
        .collect();
        let refuse = || format!("{PREDICATE_FORMS}; this one has {}", describe(&present));
        match spec {
            PredicateSpec {
                pointer: Some(pointer),
                equals: Some(value),
                one_of: None,
                prefix: None,
                exists: None,
                any: None,
                all: None,
                not: None,
            } => Ok(Predicate::Equals { pointer, value }),
            PredicateSpec {
                pointer: Some(pointer),
                equals: None,
                one_of: Some(values),
                prefix: None,
                exists: None,
                any: None,
                all: None,
                not: None,
            } => Ok(Predicate::OneOf { pointer, values }),
            PredicateSpec {
                pointer: Some(pointer),
                equals: None,
                one_of: None,
                prefix: Some(prefix),
                exists: None,
                any: None,
                all: None,
                not: None,
            } => Ok(Predicate::Prefix { pointer, prefix }),
            PredicateSpec {
                pointer: Some(pointer),
                equals: None,
                one_of: None,
                prefix: None,
                exists: Some(exists),
                any: None,
                all: None,
                not: None,
            } => Ok(Predicate::Exists { pointer, exists }),
            PredicateSpec {
                pointer: None,
                equals: None,
                one_of: None,
                prefix: None,
                exists: None,
                any: Some(any),
                all: None,
                not: None,
            } => Ok(Predicate::Any(any)),
            PredicateSpec {
                pointer: None,
                equals: None,
                one_of: None,
                prefix: None,
                exists: None,
                any: None,
                all: Some(all),
                not: None,
            } => Ok(Predicate::All(all)),
            PredicateSpec {
                pointer: None,
                equals: None,
                one_of: None,
                prefix: None,
                exists: None,
                any: None,
                all: None,
                not: Some(not),
            } => Ok(Predicate::Not(not)),
            _ => Err(refuse()),
        }
    }
}

fn describe(present: &[&str]) -> String {
    if present.is_empty() {
        "no keys".to_owned()
    } else {
        present.join(", ")
    }
}

/// Where a route sends a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub enum Recipient {
    /// A department, by its code (`"STATION"`).
    Department(Actor),
    /// `"ORIGINAL_SENDER"`: the sender of the message named by `correlation_id`.
    OriginalSender,
}

/// The configuration spelling of [`Recipient::OriginalSender`].
pub const ORIGINAL_SENDER: &str = "ORIGINAL_SENDER";

impl TryFrom<String> for Recipient {
    type Error = String;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        if code == ORIGINAL_SENDER {
            return Ok(Recipient::OriginalSender);
        }
        Actor::ALL
            .into_iter()
            .find(|a| a.as_str() == code)
            .map(Recipient::Department)
            .ok_or_else(|| {
                format!(
                    "`{code}` is not a recipient: use a department code (POLICE, HEALTH, \
                     CITYMGMT, GRID, CIVIL, STATION, ORIGIN) or {ORIGINAL_SENDER}"
                )
            })
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Department(actor) => f.write_str(actor.as_str()),
            Recipient::OriginalSender => f.write_str(ORIGINAL_SENDER),
        }
    }
}

/// One `[[routes]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The message type (wire name) the route applies to.
    pub message_type: String,
    /// The condition on the message content; absent → always.
    #[serde(default)]
    pub when: Option<Predicate>,
    /// The recipients the route adds when it applies.
    pub recipients: Vec<Recipient>,
}

impl Route {
    /// Whether the route applies to a message of this type and content.
    pub fn applies(&self, message_type: &str, message: &Value) -> bool {
        self.message_type == message_type && self.when.as_ref().is_none_or(|p| p.matches(message))
    }
}

/// The route table (`[[routes]]`), in order.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct RouteTable(pub Vec<Route>);

impl RouteTable {
    /// The routes, in order.
    pub fn routes(&self) -> &[Route] {
        &self.0
    }

    /// The recipients of a message: the recipients of every applying route, deduplicated,
    /// in route order. Empty when no route applies (the pipeline refuses it as unroutable).
    pub fn recipients(&self, message_type: &str, message: &Value) -> Vec<Recipient> {
        let mut out: Vec<Recipient> = Vec::new();
        for route in self.0.iter().filter(|r| r.applies(message_type, message)) {
            for recipient in &route.recipients {
                if !out.contains(recipient) {
                    out.push(*recipient);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(text: &str) -> JsonPointerPattern {
        JsonPointerPattern::from(text)
    }

    #[test]
    fn pointers_parse_per_rfc_6901_with_wildcards() {
        assert_eq!(p("").segments(), &[] as &[Segment]);
        assert_eq!(
            p("/a~1b/*/c~0d").segments(),
            &[
                Segment::Key("a/b".into()),
                Segment::Wildcard,
                Segment::Key("c~d".into())
            ]
        );
        assert_eq!(p("a/b").error(), Some(&PointerError::MissingLeadingSlash));
        assert_eq!(p("/a//b").error(), Some(&PointerError::EmptySegment(1)));
        assert_eq!(p("/a/").error(), Some(&PointerError::EmptySegment(1)));
        assert_eq!(
            p("/a~2").error(),
            Some(&PointerError::BadEscape("a~2".into()))
        );
        assert_eq!(
            p("/a~").error(),
            Some(&PointerError::BadEscape("a~".into()))
        );
    }

    #[test]
    fn select_follows_keys_indexes_and_wildcards() {
        let doc = json!({"a": [{"b": 1}, {"b": 2}, {"c": 3}], "m": {"x": {"b": 4}, "y": {"b": 5}}, "a/b": 6});
        assert_eq!(p("/a/1/b").select(&doc), vec![&json!(2)]);
        assert_eq!(p("/a/*/b").select(&doc), vec![&json!(1), &json!(2)]);
        assert_eq!(p("/m/*/b").select(&doc), vec![&json!(4), &json!(5)]);
        assert_eq!(p("/a~1b").select(&doc), vec![&json!(6)]);
        assert!(p("/a/01/b").select(&doc).is_empty());
        assert!(p("/a/9").select(&doc).is_empty());
        assert!(p("/a/-").select(&doc).is_empty());
        assert!(p("/nope/*").select(&doc).is_empty());
        assert!(p("bad").select(&doc).is_empty());
        assert_eq!(p("").select(&doc), vec![&doc]);
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_equal(&json!(1), &json!(1.0)));
        assert!(!json_equal(&json!(1), &json!("1")));
    }

    #[test]
    fn recipients_parse_from_codes() {
        assert_eq!(
            Recipient::try_from("POLICE".to_owned()),
            Ok(Recipient::Department(Actor::Police))
        );
        assert_eq!(
            Recipient::try_from("ORIGINAL_SENDER".to_owned()),
            Ok(Recipient::OriginalSender)
        );
        assert!(Recipient::try_from("police".to_owned()).is_err());
        assert_eq!(Recipient::OriginalSender.to_string(), "ORIGINAL_SENDER");
    }
}
