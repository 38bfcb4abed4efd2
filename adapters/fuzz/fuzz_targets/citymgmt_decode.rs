//! Fuzz target of the CITYMGMT codec: any bytes (a 派遣案卷, a hub document, or anything else)
//! decode to an envelope or a `CodecError`, never a panic; whatever decodes encodes again and
//! decodes to the same envelope; reading the bytes as the 城管 system's receipt never panics.
//!
//! Seed corpus: `corpus/citymgmt_decode/` (the golden native documents of
//! `tests/golden/citymgmt/`). Run: `cargo +nightly fuzz run citymgmt_decode`.

#![no_main]

use adapter_citymgmt::CitymgmtCodec;
use adapter_core::{Codec, DecodeContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = DecodeContext::fixed_for_tests("11320585MB19345675", "太仓市数字城管平台");
    let codec = CitymgmtCodec;
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
