//! ER7 writer/parser properties: with any legal delimiters, any text (delimiters, the escape
//! character, CR/LF, quotes, Chinese) written into any field, repetition, component and
//! subcomponent reads back exactly; writing is idempotent; parsing never panics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use adapter_health::hl7::{Charset, Delimiters, Field, Message, Rep, Segment, decode_bytes};
use proptest::prelude::*;

const PUNCTUATION: &[char] = &[
    '|', '^', '~', '\\', '&', '#', '$', '*', '@', '!', '%', '+', '/', ';', '?',
];

fn delimiters() -> impl Strategy<Value = Delimiters> {
    Just(PUNCTUATION.to_vec())
        .prop_shuffle()
        .prop_map(|p| Delimiters {
            field: p[0],
            component: p[1],
            repetition: p[2],
            escape: p[3],
            subcomponent: p[4],
        })
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9张三|^~\\\\&#$*@!%+/;?\"\r\n .]{1,12}",
        Just("\"\"".to_owned()),
        Just("\\X41\\".to_owned()),
    ]
}

/// (field, repetition, component, subcomponent) → value, 1-based positions.
type Cells = Vec<(usize, usize, usize, usize, String)>;

fn cells() -> impl Strategy<Value = Cells> {
    prop::collection::vec((1usize..6, 1usize..3, 1usize..4, 1usize..3, value()), 0..12)
}

fn build(d: Delimiters, segments: &[(String, Cells)]) -> Message {
    let mut m = Message::new(d);
    m.push(Segment::new("MSH").with(3, Field::text("APP")));
    for (id, cells) in segments {
        let mut segment = Segment::new(id);
        for f in 1..6 {
            let reps: Vec<Rep> = (1..3)
                .map(|r| {
                    let mut rep = Rep::new();
                    for (cf, cr, cc, cs, v) in cells {
                        if *cf == f && *cr == r {
                            rep = rep.with_sub(*cc, *cs, v.as_str());
                        }
                    }
                    rep
                })
                .collect();
            segment.set(f, Field::reps(reps));
        }
        m.push(segment);
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_value_reads_back(
        d in delimiters(),
        segments in prop::collection::vec(
            (prop::sample::select(vec!["PID", "OBX", "NTE", "ZHE", "PV1"]).prop_map(str::to_owned), cells()),
            1..5,
        ),
    ) {
        let message = build(d, &segments);
        let text = message.to_er7();
        prop_assert!(!text.contains('\x0b') && !text.contains('\x1c'));
        let parsed = Message::parse(&text, Charset::Utf8).unwrap();
        prop_assert_eq!(parsed.delimiters(), d);
        prop_assert_eq!(parsed.to_er7(), text.clone());
        for (i, (_, cells)) in segments.iter().enumerate() {
            let segment = &parsed.segments()[i + 1];
            // The last value written to a cell wins.
            for (f, r, c, s, _) in cells {
                let last = cells
                    .iter()
                    .rev()
                    .find(|(f2, r2, c2, s2, _)| (f2, r2, c2, s2) == (f, r, c, s))
                    .map(|x| x.4.as_str());
                let rep_index = {
                    // Empty repetitions before this one are dropped by Field::reps.
                    let earlier_nonempty = cells.iter().any(|(f2, r2, ..)| f2 == f && *r2 < *r);
                    if *r == 2 && !earlier_nonempty { 0 } else { r - 1 }
                };
                let got = segment.field(*f).and_then(|field| field.iter().nth(rep_index)).and_then(|rep| rep.sub(*c, *s));
                prop_assert_eq!(got, last, "{}", text.replace('\r', "\n"));
            }
        }
    }

    #[test]
    fn parsing_any_text_never_panics(text in "MSH.{0,12}[\r\n]?([A-Z]{2,3}[|^~\\\\&]{0,3}.{0,20}[\r\n]){0,5}") {
        // What parses writes back to text that parses to the same message.
        if let Ok(message) = Message::parse(&text, Charset::Utf8) {
            let again = Message::parse(&message.to_er7(), Charset::Utf8);
            prop_assert_eq!(again.ok(), Some(message));
        }
        let _gb = Message::parse(&text, Charset::Gb18030);
        let _bytes = decode_bytes(text.as_bytes());
    }

    #[test]
    fn decoding_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut with_header = b"MSH|^~\\&|".to_vec();
        with_header.extend(&bytes);
        let _plain = decode_bytes(&bytes);
        let _with_header = decode_bytes(&with_header);
    }
}
