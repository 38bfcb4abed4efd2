//! Property tests of the POLICE codec:
//! * round trip — every message type the police exchange, started from each valid contracts
//!   fixture and varied (names and free text with rare CJK characters, XML specials, spaces
//!   and line breaks; date-times, dates, partial birth dates; codes, ID document types;
//!   numbers, flags; message ids), encoded in UTF-8 or GB18030, decodes to the same message;
//! * totality — decoding corrupted documents and arbitrary bytes never panics, and what
//!   decodes from a corrupted document encodes and decodes again unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::OnceLock;

use adapter_core::{Codec, DecodeContext};
use adapter_police::{DocumentKind, OutputEncoding, PoliceCodec};
use contracts::codes::datetime::is_offset_date_time;
use contracts::model::Envelope;
use proptest::prelude::*;
use serde_json::{Number, Value};

/// Every valid v1 fixture of every message type the police exchange (read once).
fn fixtures() -> &'static [Envelope<Value>] {
    static FIXTURES: OnceLock<Vec<Envelope<Value>>> = OnceLock::new();
    FIXTURES.get_or_init(read_fixtures)
}

fn read_fixtures() -> Vec<Envelope<Value>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/fixtures");
    let mut out = Vec::new();
    for kind in DocumentKind::ALL {
        let dir = root.join(kind.message_type().as_str()).join("v1/valid");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no fixture for {kind:?}");
        for file in files {
            out.push(serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap());
        }
    }
    out
}

fn ctx() -> DecodeContext {
    DecodeContext::fixed_for_tests("113205850141601233", "太仓市公安局警务综合平台")
}

/// One set of replacement values; each leaf of a fixture takes the one of its kind.
#[derive(Debug, Clone)]
struct Variation {
    keep: bool,
    text: String,
    date_time: String,
    date: String,
    partial_date: String,
    id_doc_type: &'static str,
    integer: u64,
    decimal: f64,
    flag: bool,
}

/// Text as people and systems write it: common and rare CJK (extensions A and B), ASCII,
/// XML specials and whitespace, never empty (the contracts forbid empty strings).
fn text() -> impl Strategy<Value = String> {
    let character = prop_oneof![
        4 => proptest::char::range('\u{4E00}', '\u{9FA5}'),
        2 => proptest::char::range('\u{3400}', '\u{4DB5}'),
        2 => proptest::char::range('\u{20000}', '\u{2A6D6}'),
        3 => proptest::char::range('0', 'z'),
        2 => prop::sample::select(vec!['&', '<', '>', '"', '\'', ';', '#']),
        1 => prop::sample::select(vec![' ', '\t', '\n', '\r', '\u{3000}']),
        1 => prop::sample::select(vec!['䶮', '𠀀', '𪚥', '龘', '堃', '喆', '㛃', '\u{E5E5}']),
    ];
    prop::collection::vec(character, 1..16).prop_map(|chars| chars.into_iter().collect())
}

fn date_parts() -> impl Strategy<Value = (u32, u32, u32)> {
    (1900u32..=2099, 1u32..=12, 1u32..=28)
}

fn date_time() -> impl Strategy<Value = String> {
    (
        date_parts(),
        0u32..24,
        0u32..60,
        0u32..60,
        prop::option::of("[0-9]{1,6}"),
    )
        .prop_map(|((y, mo, d), h, mi, s, fraction)| {
            let fraction = fraction.map(|f| format!(".{f}")).unwrap_or_default();
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{fraction}+08:00")
        })
}

fn variation() -> impl Strategy<Value = Variation> {
    (
        (any::<bool>(), text(), date_time()),
        date_parts().prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        (date_parts(), 0usize..3).prop_map(|((y, m, d), precision)| match precision {
            0 => format!("{y:04}"),
            1 => format!("{y:04}-{m:02}"),
            _ => format!("{y:04}-{m:02}-{d:02}"),
        }),
        prop::sample::select(vec!["111", "112", "113", "114", "414", "990"]),
        any::<u64>(),
        prop_oneof![
            prop::num::f64::NORMAL,
            prop::num::f64::SUBNORMAL,
            prop::num::f64::ZERO,
            (0u32..100_000).prop_map(|c| f64::from(c) / 100.0),
        ],
        any::<bool>(),
    )
        .prop_map(
            |((keep, text, date_time), date, partial_date, id_doc_type, integer, decimal, flag)| {
                Variation {
                    keep,
                    text,
                    date_time,
                    date,
                    partial_date,
                    id_doc_type,
                    integer,
                    decimal,
                    flag,
                }
            },
        )
}

/// Replaces every leaf of `value` by a variation of the same kind (the kind told by the
/// leaf's JSON type, its key and its current form).
fn vary(value: &mut Value, key: &str, variations: &[Variation], next: &mut usize) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                vary(v, k, variations, next);
            }
        }
        Value::Array(items) => {
            for item in items {
                vary(item, key, variations, next);
            }
        }
        leaf => {
            let v = &variations[*next % variations.len()];
            *next += 1;
            if v.keep {
                return;
            }
            *leaf = match leaf {
                Value::Bool(_) => Value::Bool(v.flag),
                Value::Number(n) if n.is_f64() => {
                    Value::Number(Number::from_f64(v.decimal).unwrap())
                }
                Value::Number(_) => Value::from(v.integer),
                Value::String(s) if is_offset_date_time(s) => Value::String(v.date_time.clone()),
                Value::String(_) if key == "birth_date" || key == "vagrancy_since" => {
                    Value::String(v.partial_date.clone())
                }
                Value::String(s)
                    if s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-' =>
                {
                    Value::String(v.date.clone())
                }
                Value::String(_) if key == "id_doc_type" => Value::String(v.id_doc_type.to_owned()),
                Value::String(_) => Value::String(v.text.clone()),
                Value::Null => Value::Null,
                _ => return,
            };
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    #[test]
    fn every_police_message_round_trips(
        pick in any::<prop::sample::Index>(),
        variations in prop::collection::vec(variation(), 1..24),
        gb18030 in any::<bool>(),
        message_id in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        sent_at in date_time(),
        case_id in prop::option::of("[A-Z]{2}-[0-9]{4}-[0-9]{6}"),
    ) {
        let all = fixtures();
        let mut message = all[pick.index(all.len())].clone();
        let mut next = 0;
        vary(&mut message.payload, "", &variations, &mut next);
        message.message_id = message_id;
        message.sent_at = sent_at;
        if case_id.is_some() {
            message.case_id = case_id;
        }
        let codec = PoliceCodec::with_output_encoding(if gb18030 {
            OutputEncoding::Gb18030
        } else {
            OutputEncoding::Utf8
        });
        let document = codec.encode(&message).unwrap();
        prop_assert_eq!(&codec.encode(&message).unwrap(), &document, "encoding is deterministic");
        let decoded = codec.decode(&document.body, &ctx())
            .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&document.body)));
        prop_assert_eq!(decoded.messages.len(), 1);
        prop_assert_eq!(&decoded.native_ref.document_id, &message.message_id);
        prop_assert_eq!(&decoded.messages[0], &message);
    }

    #[test]
    fn corrupted_documents_never_panic(
        pick in any::<prop::sample::Index>(),
        gb18030 in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..8),
    ) {
        let all = fixtures();
        let message = &all[pick.index(all.len())];
        let codec = PoliceCodec::with_output_encoding(if gb18030 {
            OutputEncoding::Gb18030
        } else {
            OutputEncoding::Utf8
        });
        let mut bytes = codec.encode(message).unwrap().body;
        for (at, op, byte) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        let _ = codec.classify_response(200, &bytes);
        if let Ok(decoded) = codec.decode(&bytes, &ctx()) {
            // Whatever decodes, encodes again to the same message.
            let message = &decoded.messages[0];
            let document = codec.encode(message).unwrap();
            let again = codec.decode(&document.body, &ctx()).unwrap();
            prop_assert_eq!(&again.messages[0], message);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let codec = PoliceCodec::default();
        drop(codec.decode(&bytes, &ctx()));
        let mut declared = b"<?xml version=\"1.0\" encoding=\"GB18030\"?><JJB>".to_vec();
        declared.extend_from_slice(&bytes);
        drop(codec.decode(&declared, &ctx()));
        let _ = codec.classify_response(503, &bytes);
    }
}

#[test]
fn every_police_message_type_has_fixtures_that_round_trip_unchanged() {
    let codec = PoliceCodec::default();
    let all = fixtures();
    for kind in DocumentKind::ALL {
        assert!(
            all.iter().any(|m| m.message_type == kind.message_type()),
            "{kind:?}"
        );
    }
    for message in all {
        let document = codec.encode(message).unwrap();
        let decoded = codec.decode(&document.body, &ctx()).unwrap();
        assert_eq!(&decoded.messages[0], message);
    }
}
