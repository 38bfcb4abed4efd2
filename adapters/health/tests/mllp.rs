//! MLLP framing properties: a stream of several frames, cut into arbitrary pieces, deframes
//! to exactly the payloads sent; any byte stream deframes the same however it is cut, and
//! without panicking.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use adapter_health::mllp::{Deframer, MllpError, frame};
use proptest::prelude::*;

/// A payload as HL7 text can be: any bytes but the two block bytes.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        any::<u8>().prop_filter("block byte", |b| *b != 0x0b && *b != 0x1c),
        0..300,
    )
}

/// Cut points: piece lengths, cycled until the stream is used up.
fn pieces() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..64, 1..20)
}

fn deframe(
    stream: &[u8],
    cuts: &[usize],
    max: usize,
) -> (Vec<Result<Vec<u8>, MllpError>>, Option<MllpError>) {
    let mut deframer = Deframer::new(max);
    let mut out = Vec::new();
    let mut rest = stream;
    let mut i = 0;
    while !rest.is_empty() {
        let n = cuts[i % cuts.len()].min(rest.len());
        let (piece, tail) = rest.split_at(n);
        deframer.push(piece);
        while let Some(item) = deframer.next_frame() {
            out.push(item);
        }
        rest = tail;
        i += 1;
    }
    let end = deframer.finish();
    (out, end)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn several_frames_in_arbitrary_pieces_come_out_whole(
        payloads in prop::collection::vec(payload(), 0..8),
        cuts in pieces(),
        newline_between in any::<bool>(),
    ) {
        let mut stream = Vec::new();
        for p in &payloads {
            stream.extend(frame(p).unwrap());
            if newline_between {
                stream.extend(b"\r\n");
            }
        }
        let (frames, end) = deframe(&stream, &cuts, 1 << 20);
        let expected: Vec<Result<Vec<u8>, MllpError>> = payloads.into_iter().map(Ok).collect();
        prop_assert_eq!(frames, expected);
        prop_assert_eq!(end, None);
    }

    #[test]
    fn oversized_frames_are_reported_and_the_others_survive(
        payloads in prop::collection::vec(payload(), 1..8),
        cuts in pieces(),
        max in 1usize..200,
    ) {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for p in &payloads {
            stream.extend(frame(p).unwrap());
            expected.push(if p.len() > max {
                Err(MllpError::FrameTooLarge { max })
            } else {
                Ok(p.clone())
            });
        }
        let (frames, end) = deframe(&stream, &cuts, max);
        prop_assert_eq!(frames, expected);
        prop_assert_eq!(end, None);
    }

    #[test]
    fn any_stream_deframes_the_same_however_it_is_cut(
        stream in prop::collection::vec(
            prop_oneof![4 => any::<u8>(), 1 => Just(0x0bu8), 1 => Just(0x1cu8), 1 => Just(0x0du8)],
            0..600,
        ),
        cuts in pieces(),
        max in 1usize..100,
    ) {
        let whole = deframe(&stream, &[usize::MAX], max);
        let cut = deframe(&stream, &cuts, max);
        prop_assert_eq!(&whole, &cut);
        let one_by_one = deframe(&stream, &[1], max);
        prop_assert_eq!(whole, one_by_one);
    }

    #[test]
    fn frames_after_junk_are_recovered(
        junk in prop::collection::vec(any::<u8>().prop_filter("no block byte or CR/LF", |b| ![0x0b, 0x1c, b'\r', b'\n'].contains(b)), 1..50),
        payloads in prop::collection::vec(payload(), 1..5),
        cuts in pieces(),
    ) {
        let mut stream = junk.clone();
        for p in &payloads {
            stream.extend(frame(p).unwrap());
        }
        let (frames, end) = deframe(&stream, &cuts, 1 << 20);
        let mut expected = vec![Err(MllpError::OutsideFrame { count: junk.len() })];
        expected.extend(payloads.into_iter().map(Ok));
        prop_assert_eq!(frames, expected);
        prop_assert_eq!(end, None);
    }
}

#[test]
fn a_real_message_survives_framing() {
    let message = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/health/decode/admission_ack_admitted.hl7"
    ))
    .unwrap();
    let framed = frame(&message).unwrap();
    let (frames, end) = deframe(&framed, &[7, 1, 13], 1 << 20);
    assert_eq!(frames, vec![Ok(message)]);
    assert_eq!(end, None);
}
