//! Conversion between hub [`Headers`] and AMQP field tables.
//!
//! Invariant: hub headers survive a round trip (text ↔ long string, integer ↔ 64-bit
//! integer). Incoming values the hub has no use for (arrays such as `x-death`, floats,
//! booleans, nested tables) are left out of [`Headers`] but stay in the raw properties, so
//! nothing is lost when the transport copies a message.

use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};

use crate::transport::{HeaderValue, Headers, TransportError};

/// Headers set by the broker on dead-lettering and redelivery; a copy the hub publishes
/// is a new message and leaves them out.
fn is_broker_header(name: &str) -> bool {
    name == "x-death"
        || name == "x-delivery-count"
        || name.starts_with("x-first-death-")
        || name.starts_with("x-last-death-")
}

/// A header name as an AMQP short string (at most 255 bytes).
pub(crate) fn short(value: &str) -> Result<ShortString, TransportError> {
    ShortString::try_new(value)
        .map_err(|_| TransportError::Refused(format!("longer than 255 bytes: {value:.40}…")))
}

/// Hub headers as an AMQP field table.
pub(crate) fn to_field_table(headers: &Headers) -> Result<FieldTable, TransportError> {
    let mut table = FieldTable::default();
    for (name, value) in headers {
        table.insert(short(name)?, to_amqp(value));
    }
    Ok(table)
}

/// One hub header value as an AMQP value.
pub(crate) fn to_amqp(value: &HeaderValue) -> AMQPValue {
    match value {
        HeaderValue::Text(text) => AMQPValue::LongString(LongString::from(text.as_str())),
        HeaderValue::Int(int) => AMQPValue::LongLongInt(*int),
    }
}

/// The hub-readable headers of an AMQP field table.
pub(crate) fn from_field_table(table: &FieldTable) -> Headers {
    table
        .inner()
        .iter()
        .filter_map(|(name, value)| from_amqp(value).map(|v| (name.as_str().to_owned(), v)))
        .collect()
}

fn from_amqp(value: &AMQPValue) -> Option<HeaderValue> {
    let int = |i: i64| Some(HeaderValue::Int(i));
    match value {
        AMQPValue::LongString(s) => Some(HeaderValue::Text(
            String::from_utf8_lossy(s.as_bytes()).into_owned(),
        )),
        AMQPValue::ShortString(s) => Some(HeaderValue::Text(s.as_str().to_owned())),
        AMQPValue::ShortShortInt(i) => int(i64::from(*i)),
        AMQPValue::ShortShortUInt(i) => int(i64::from(*i)),
        AMQPValue::ShortInt(i) => int(i64::from(*i)),
        AMQPValue::ShortUInt(i) => int(i64::from(*i)),
        AMQPValue::LongInt(i) => int(i64::from(*i)),
        AMQPValue::LongUInt(i) => int(i64::from(*i)),
        AMQPValue::LongLongInt(i) => int(*i),
        _ => None,
    }
}

/// The headers of a copy: the original's, without broker bookkeeping, with `extra` set.
pub(crate) fn copy_table(
    original: Option<&FieldTable>,
    extra: Vec<(&str, AMQPValue)>,
) -> Result<FieldTable, TransportError> {
    let mut table = FieldTable::default();
    if let Some(original) = original {
        for (name, value) in original.inner() {
            if !is_broker_header(name.as_str()) {
                table.insert(name.clone(), value.clone());
            }
        }
    }
    for (name, value) in extra {
        table.insert(short(name)?, value);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use lapin::types::FieldArray;

    #[test]
    fn hub_headers_round_trip() {
        let mut headers = Headers::new();
        headers.insert("x-hub-case-id".into(), HeaderValue::Text("C-1".into()));
        headers.insert("x-hub-stream-seq".into(), HeaderValue::Int(42));
        assert_eq!(
            from_field_table(&to_field_table(&headers).unwrap()),
            headers
        );
    }

    #[test]
    fn foreign_values_are_read_leniently() {
        let mut table = FieldTable::default();
        table.insert("a".into(), AMQPValue::ShortString("s".into()));
        table.insert("b".into(), AMQPValue::LongInt(-3));
        table.insert("c".into(), AMQPValue::Boolean(true));
        table.insert(
            "x-death".into(),
            AMQPValue::FieldArray(FieldArray::default()),
        );
        let headers = from_field_table(&table);
        assert_eq!(headers.get("a"), Some(&HeaderValue::Text("s".into())));
        assert_eq!(headers.get("b"), Some(&HeaderValue::Int(-3)));
        assert_eq!(headers.len(), 2);
    }

    #[test]
    fn copies_drop_broker_bookkeeping_and_set_extras() {
        let mut table = FieldTable::default();
        table.insert(
            "x-death".into(),
            AMQPValue::FieldArray(FieldArray::default()),
        );
        table.insert(
            "x-first-death-reason".into(),
            AMQPValue::LongString("expired".into()),
        );
        table.insert("x-delivery-count".into(), AMQPValue::LongLongInt(3));
        table.insert("traceparent".into(), AMQPValue::LongString("00-abc".into()));
        table.insert("x-hub-attempt".into(), AMQPValue::LongLongInt(1));
        let copy = copy_table(
            Some(&table),
            vec![("x-hub-attempt", AMQPValue::LongLongInt(2))],
        )
        .unwrap();
        let names: Vec<&str> = copy.inner().keys().map(ShortString::as_str).collect();
        assert_eq!(names, vec!["traceparent", "x-hub-attempt"]);
        assert_eq!(
            copy.inner().get("x-hub-attempt"),
            Some(&AMQPValue::LongLongInt(2))
        );
    }
}
