//! Fuzz target of the GRID codec: any bytes (an event record, a hub document, or anything
//! else) decode to an envelope or a `CodecError`, never a panic; whatever decodes encodes
//! again and decodes to the same envelope; reading the bytes as the platform's receipt never
//! panics.
//!
//! Seed corpus: `corpus/grid_decode/` (the golden native documents of `tests/golden/grid/`).
//! Run: `cargo +nightly fuzz run grid_decode`.

#![no_main]

use adapter_core::{Codec, DecodeContext};
use adapter_grid::GridCodec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = DecodeContext::fixed_for_tests("12320585MB1A23456U", "太仓市网格化联动指挥平台");
    let codec = GridCodec::default();
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
