//! Fuzz target of the POLICE codec: any bytes (police exchange XML in UTF-8 or GB18030, or
//! anything else) decode to an envelope or a `CodecError`, never a panic; whatever decodes
//! encodes again and decodes to the same envelope; reading the bytes as a receipt `<HZ>`
//! never panics either.
//!
//! Seed corpus: `corpus/police_decode/` (the golden native documents of
//! `tests/golden/police/`). Run: `cargo +nightly fuzz run police_decode`.

#![no_main]

use adapter_core::{Codec, DecodeContext};
use adapter_police::PoliceCodec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = DecodeContext::fixed_for_tests("113205850141601233", "太仓市公安局警务综合平台");
    let codec = PoliceCodec::default();
    let _ = codec.classify_response(200, data);
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
        assert_eq!(
            &again.messages[0], message,
            "decode(encode(decode(x))) != decode(x)"
        );
    }
});
