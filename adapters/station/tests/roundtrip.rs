#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Round trip of the STATION codec over every message type: `decode(encode(m)) == m`.
//!
//! Messages are the contracts' valid fixtures of every type (REFERRAL at v1, the version the
//! station reads), varied by proptest: texts replaced by arbitrary text (Chinese, rare
//! characters outside the BMP, quotes, control characters, empty), timestamps by other
//! Beijing times (with and without fractional seconds), dates and partial dates by others,
//! numbers and booleans changed, optional fields dropped (a field is optional when the
//! contracts type still reads the payload without it), and the envelope's optional parts
//! added or dropped. Code values and ID numbers stay as they are. The decoded message must
//! equal the original except `message_id`, which is derived from `head.docNo` (the
//! original id): `ids::message_id(STATION, original id, type, 0)`.
//!
//! Also: the golden native documents decode, re-encode and decode to the same messages (the
//! property the fuzz target checks), and arbitrary bytes never panic.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use adapter_core::{Codec, DecodeContext, ids};
use adapter_station::{StationCodec, service};
use contracts::MessageType;
use contracts::codes::datetime::{CivilDate, is_offset_date_time, parse_partial_date};
use contracts::model::envelope::{Signature, SignatureAlgorithm};
use contracts::model::{Actor, Attachment, AttachmentKind, Envelope, Payload, Sensitivity};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

/// A receive time after every birth date in the fixtures (ID numbers stay valid).
fn ctx() -> DecodeContext {
    DecodeContext {
        received_at: "2030-01-01T00:00:00+08:00".to_owned(),
        ..DecodeContext::fixed_for_tests("12320585466880789G", "太仓市救助管理站信息系统")
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every valid v1 fixture of every message type: (name, message).
fn fixtures() -> &'static [(String, Envelope<Value>)] {
    static FIXTURES: OnceLock<Vec<(String, Envelope<Value>)>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let mut out = Vec::new();
        for t in MessageType::ALL {
            let dir = root().join(format!("contracts/fixtures/{}/v1/valid", t.as_str()));
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            assert!(!files.is_empty(), "no fixture for {t}");
            for file in files {
                let message: Envelope<Value> =
                    serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
                out.push((
                    file.file_name().unwrap().to_string_lossy().into_owned(),
                    message,
                ));
            }
        }
        out
    })
}

/// The payload through its contracts type (so `20` and `20.0` compare equal).
fn normalized(message_type: MessageType, payload: &Value) -> Value {
    Payload::decode(message_type, 1, payload.clone())
        .unwrap_or_else(|e| panic!("{message_type} payload does not fit its type: {e}"))
        .encode()
        .unwrap()
}

/// Encodes, decodes and compares; returns the failure as text.
fn round_trip(message: &Envelope<Value>) -> Result<(), String> {
    let codec = StationCodec::new();
    let document = codec
        .encode(message)
        .map_err(|e| format!("encode failed: {e}"))?;
    let resource = service::by_message_type(message.message_type).unwrap();
    if document.path != resource.path {
        return Err(format!(
            "path {} for {}",
            document.path, message.message_type
        ));
    }
    let decoded = codec.decode(&document.body, &ctx()).map_err(|e| {
        format!(
            "decode of the encoded document failed: {e}\n{}",
            String::from_utf8_lossy(&document.body)
        )
    })?;
    if decoded.native_ref.document_id != message.message_id
        || decoded.native_ref.document_kind != resource.doc_type
    {
        return Err(format!("native ref {:?}", decoded.native_ref));
    }
    let [back] = decoded.messages.as_slice() else {
        return Err(format!("{} messages", decoded.messages.len()));
    };
    let mut expected = message.clone();
    expected.message_id =
        ids::message_id(Actor::Station, &message.message_id, message.message_type, 0);
    expected.payload = normalized(message.message_type, &message.payload);
    let mut actual = back.clone();
    actual.payload = normalized(back.message_type, &back.payload);
    if expected == actual {
        Ok(())
    } else {
        Err(format!(
            "round trip differs\nexpected: {}\nactual:   {}\nnative:   {}",
            serde_json::to_string_pretty(&expected).unwrap(),
            serde_json::to_string_pretty(&actual).unwrap(),
            String::from_utf8_lossy(&document.body)
        ))
    }
}

#[test]
fn every_fixture_of_every_type_round_trips() {
    let mut types = std::collections::BTreeSet::new();
    for (name, message) in fixtures() {
        round_trip(message).unwrap_or_else(|e| panic!("{name}: {e}"));
        types.insert(message.message_type);
    }
    assert_eq!(
        types.len(),
        MessageType::ALL.len(),
        "a type without fixtures"
    );
}

// --------------------------------------------------------------------------- variation

/// A small deterministic generator (SplitMix64), seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }
}

const CHARS: &[char] = &[
    '太', '仓', '救', '助', '站', '城', '厢', '镇', '男', '女', '，', '。', '（', '）', '𠀋', '𪚥',
    '😀', 'a', 'Z', '0', '9', ' ', '"', '\\', '/', '\n', '\t', '\u{1}', '\u{1f}', '~', '{', '}',
    '[', '<', '&', 'é', '€',
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(select(CHARS), 0..24).prop_map(|v| v.into_iter().collect())
}

fn random_date(rng: &mut Rng) -> CivilDate {
    loop {
        let year = 2000 + i32::try_from(rng.below(31)).unwrap();
        let month = u8::try_from(1 + rng.below(12)).unwrap();
        let day = u8::try_from(1 + rng.below(31)).unwrap();
        if let Some(date) = CivilDate::new(year, month, day) {
            return date;
        }
    }
}

fn random_time(rng: &mut Rng) -> String {
    let date = random_date(rng);
    let fraction = match rng.below(4) {
        0 => format!(".{:03}", rng.below(1000)),
        1 => format!(".{}", rng.below(10)),
        _ => String::new(),
    };
    format!(
        "{date}T{:02}:{:02}:{:02}{fraction}+08:00",
        rng.below(24),
        rng.below(60),
        rng.below(60)
    )
}

/// Keys whose values stay as they are: document numbers checked by GB 11643 and the codes
/// next to them.
const KEEP: &[&str] = &["id_number", "assigned_id_number", "id_doc_type"];

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_uppercase()
}

fn vary(value: &mut Value, key: &str, rng: &mut Rng, texts: &[String]) {
    match value {
        Value::String(s) if KEEP.contains(&key) || is_code(s) => {}
        Value::String(s) if is_offset_date_time(s) => *s = random_time(rng),
        Value::String(s) if parse_partial_date(s).is_ok() => {
            let date = random_date(rng);
            *s = match s.len() {
                4 => format!("{:04}", date.year()),
                7 => format!("{:04}-{:02}", date.year(), date.month()),
                _ => date.to_string(),
            };
        }
        Value::String(s) => {
            if rng.chance(2) {
                *s = rng.pick(texts).clone();
            }
        }
        Value::Number(n) if n.is_f64() => {
            let x = (rng.next() % 2_000_000) as f64 / 1_000.0 - 1_000.0;
            *value = serde_json::json!(x);
        }
        Value::Number(_) => *value = serde_json::json!(rng.below(121)),
        Value::Bool(b) => {
            if rng.chance(2) {
                *b = !*b;
            }
        }
        Value::Array(items) => {
            for item in items {
                vary(item, key, rng, texts);
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                vary(v, k, rng, texts);
            }
        }
        Value::Null => {}
    }
}

/// Drops optional object members at random: a member is dropped only if the payload still
/// fits its contracts type without it.
fn drop_optional(payload: &mut Value, message_type: MessageType, rng: &mut Rng) {
    let mut pointers = Vec::new();
    collect_members(payload, String::new(), &mut pointers);
    for pointer in pointers {
        if !rng.chance(4) {
            continue;
        }
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let Some(Value::Object(map)) = payload.pointer_mut(parent) else {
            continue;
        };
        let Some(removed) = map.remove(key) else {
            continue;
        };
        if Payload::decode(message_type, 1, payload.clone()).is_err()
            && let Some(Value::Object(map)) = payload.pointer_mut(parent)
        {
            map.insert(key.to_owned(), removed);
        }
    }
}

fn collect_members(value: &Value, pointer: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let child = format!("{pointer}/{k}");
                out.push(child.clone());
                collect_members(v, child, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_members(v, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn vary_envelope(message: &mut Envelope<Value>, rng: &mut Rng, texts: &[String]) {
    message.message_id = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        rng.next() as u32,
        rng.below(0x1_0000),
        rng.below(0x1000),
        rng.below(0x1000),
        rng.next() & 0xFFFF_FFFF_FFFF
    );
    message.sent_at = random_time(rng);
    if rng.chance(3) {
        message.case_id = if rng.chance(2) {
            None
        } else {
            Some(rng.pick(texts).clone())
        };
    }
    if rng.chance(3) {
        message.correlation_id = if rng.chance(2) {
            None
        } else {
            Some("016ccbd3-fd06-4c34-b060-f5a2c0fe2083".to_owned())
        };
    }
    if rng.chance(3) {
        message.sender_system = rng.pick(texts).clone();
    }
    if rng.chance(3) {
        message.sender_org_type = *rng.pick(&Actor::ALL);
    }
    if rng.chance(3) {
        message.receiver_org_codes = (0..rng.below(3))
            .map(|_| {
                rng.pick(&["12320585466880789G", "11320585014160456G"])
                    .to_string()
            })
            .collect();
    }
    if rng.chance(3) {
        message.sensitivity = *rng.pick(&[
            Sensitivity::General,
            Sensitivity::Sensitive,
            Sensitivity::SensitiveMinor,
        ]);
    }
    message.retention_until = rng.chance(2).then(|| random_date(rng).to_string());
    message.signature = rng.chance(2).then(|| Signature {
        algorithm: *rng.pick(&[SignatureAlgorithm::Ed25519, SignatureAlgorithm::Sm2Sm3]),
        key_id: "station-2025".to_owned(),
        value: "c2lnbmF0dXJlLXZhbHVlLW9mLWEtdGVzdC1tZXNzYWdlLTAxMjM0NTY3".to_owned(),
    });
    message.attachments = rng.chance(2).then(|| {
        (0..rng.below(3))
            .map(|i| Attachment {
                attachment_id: format!("ATT-{i}"),
                kind: *rng.pick(&[AttachmentKind::Photo, AttachmentKind::SignedFormScan]),
                mime_type: "image/jpeg".to_owned(),
                hash: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
                    .to_owned(),
                uri: format!("hub://attachments/{i}"),
                sensitivity: rng.chance(2).then_some(Sensitivity::Sensitive),
            })
            .collect()
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Varied fixtures of every type round-trip.
    #[test]
    fn varied_messages_of_every_type_round_trip(
        index in 0..fixtures().len(),
        seed in any::<u64>(),
        texts in prop::collection::vec(text(), 8),
    ) {
        let (name, fixture) = &fixtures()[index];
        let mut rng = Rng(seed);
        let mut message = fixture.clone();
        vary(&mut message.payload, "", &mut rng, &texts);
        drop_optional(&mut message.payload, message.message_type, &mut rng);
        vary_envelope(&mut message, &mut rng, &texts);
        if let Err(e) = round_trip(&message) {
            prop_assert!(false, "{name} (seed {seed}): {e}");
        }
    }

    /// Arbitrary bytes, and golden documents cut or spliced at arbitrary places, never panic.
    #[test]
    fn arbitrary_input_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        which in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
    ) {
        survives(&bytes);
        let natives = golden_natives();
        let native = which.get(natives);
        let at = cut.index(native.len() + 1);
        survives(&native[..at]);
        let mut spliced = native[..at].to_vec();
        spliced.extend_from_slice(&bytes);
        survives(&spliced);
    }
}

/// Decodes without panicking, to one message or an error that says something.
fn survives(bytes: &[u8]) {
    match StationCodec::new().decode(bytes, &ctx()) {
        Ok(decoded) => assert_eq!(decoded.messages.len(), 1),
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}

/// The native documents of the golden decode cases.
fn golden_natives() -> &'static [Vec<u8>] {
    static NATIVES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    NATIVES.get_or_init(|| {
        let dir = root().join("tests/golden/station/decode");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.ends_with(".json") && !name.ends_with(".canonical.json")
            })
            .collect();
        files.sort();
        files.iter().map(|f| std::fs::read(f).unwrap()).collect()
    })
}

/// What the fuzz target checks, over the golden documents: whatever decodes re-encodes and
/// decodes to the same messages (apart from the derived message id).
#[test]
fn golden_documents_decode_encode_decode_stably() {
    let codec = StationCodec::new();
    let mut decoded_count = 0;
    for native in golden_natives() {
        let Ok(decoded) = codec.decode(native, &ctx()) else {
            continue;
        };
        decoded_count += 1;
        for message in &decoded.messages {
            let document = codec.encode(message).unwrap();
            let again = codec.decode(&document.body, &ctx()).unwrap();
            let mut first = message.clone();
            let mut second = again.messages[0].clone();
            first.message_id.clear();
            second.message_id.clear();
            assert_eq!(first, second);
        }
    }
    assert!(decoded_count >= MessageType::ALL.len());
}

/// Timestamps at another offset encode as the same instant in Beijing time.
#[test]
fn other_offsets_come_back_as_the_same_instant_at_beijing_time() {
    let (_, fixture) = fixtures()
        .iter()
        .find(|(_, m)| m.message_type == MessageType::MissingPersonMatch)
        .unwrap();
    let mut message = fixture.clone();
    message.sent_at = "2025-06-03T02:15:00Z".to_owned();
    message.payload["compared_at"] = Value::String("2025-06-02T23:59:30.5-03:00".to_owned());
    let codec = StationCodec::new();
    let document = codec.encode(&message).unwrap();
    let text = String::from_utf8(document.body.clone()).unwrap();
    assert!(
        text.contains(r#""sentAt": "2025-06-03 10:15:00""#),
        "{text}"
    );
    assert!(
        text.contains(r#""comparedAt": "2025-06-03 10:59:30.5""#),
        "{text}"
    );
    let back = &codec.decode(&document.body, &ctx()).unwrap().messages[0];
    assert_eq!(back.sent_at, "2025-06-03T10:15:00+08:00");
    assert_eq!(back.payload["compared_at"], "2025-06-03T10:59:30.5+08:00");
}
