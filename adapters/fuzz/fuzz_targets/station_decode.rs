//! Fuzz target of the STATION codec: any bytes decode to envelopes or an error, never a
//! panic; and whatever decodes re-encodes, and decodes again to the same envelopes (apart
//! from the message id, which is derived from the document number).
//!
//! Seed corpus: `corpus/station_decode/` (the golden native documents of
//! `tests/golden/station/decode/`). Run: `cargo +nightly fuzz run station_decode`.

#![no_main]

use adapter_core::{Codec, DecodeContext};
use adapter_station::StationCodec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = DecodeContext::fixed_for_tests("12320585466880789G", "太仓市救助管理站信息系统");
    let codec = StationCodec::new();
    let Ok(decoded) = codec.decode(data, &ctx) else {
        return;
    };
    for message in &decoded.messages {
        let document = codec
            .encode(message)
            .expect("a decoded message encodes again");
        let again = codec
            .decode(&document.body, &ctx)
            .expect("an encoded message decodes again");
        let mut first = message.clone();
        let mut second = again.messages[0].clone();
        first.message_id.clear();
        second.message_id.clear();
        assert_eq!(first, second, "decode(encode(decode(x))) != decode(x)");
    }
});
