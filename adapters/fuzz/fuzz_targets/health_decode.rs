//! Fuzz target of the HEALTH codec: any bytes (an HL7 message of the HIS, one the hub wrote,
//! or anything else) decode to an envelope or a `CodecError`, never a panic; whatever decodes
//! encodes again and decodes to the same envelope (its `message_id` then derives from the
//! first one's, written in MSH-10); a failure's ACK reads back as a permanent refusal; reading
//! the bytes as the HIS's ACK and deframing them as an MLLP stream never panic.
//!
//! Seed corpus: `corpus/health_decode/` (the golden HL7 documents of `tests/golden/health/`).
//! Run: `cargo +nightly fuzz run health_decode`.

#![no_main]

use adapter_core::{Codec, DecodeContext, DeliveryResponse, InboundAnswer, Verdict, ids};
use adapter_core::contracts::model::Actor;
use adapter_health::HealthCodec;
use adapter_health::mllp::Deframer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = DecodeContext::fixed_for_tests("123205854668903451", "太仓市第一人民医院HIS");
    let codec = HealthCodec::default();
    let _ = codec.classify_response(200, data);
    let mut deframer = Deframer::new(4096);
    deframer.push(data);
    while deframer.next_frame().is_some() {}
    let _ = deframer.finish();
    match codec.decode(data, &ctx) {
        Ok(decoded) => {
            for message in &decoded.messages {
                let document = codec
                    .encode(message)
                    .expect("a decoded message encodes again");
                let again = codec
                    .decode(&document.body, &ctx)
                    .expect("an encoded message decodes again");
                let mut expected = message.clone();
                expected.message_id =
                    ids::message_id(Actor::Health, &message.message_id, message.message_type, 0);
                assert_eq!(
                    again.messages[0], expected,
                    "decode(encode(decode(x))) != decode(x)"
                );
            }
        }
        Err(error) => {
            let native_ref = codec.identify(data, &ctx);
            let answer = codec.answer(&InboundAnswer {
                native_ref: native_ref.as_ref(),
                verdict: Verdict::Malformed { error: &error },
            });
            assert!(matches!(
                codec.classify_response(200, &answer.body),
                DeliveryResponse::Permanent { .. }
            ));
        }
    }
});
