//! `hub demo` end to end: the whole case runs through a real in-process hub (embedded
//! transport, example configuration), every message reaches exactly the departments the
//! route table names, the identity registry's updates reach exactly its subscribers, nothing
//! is refused, and the output explains what happened.

use std::time::{Duration, Instant};

use hub::contracts::model::Actor;
use hub::demo::{DemoReport, TIMELINE_HEADER, run_demo};

/// The case's messages and where the example configuration routes them.
const EXPECTED: &[(&str, Actor, &[Actor])] = &[
    ("REFERRAL", Actor::Grid, &[Actor::Station]),
    ("POLICE_ESCORT_HANDOVER", Actor::Police, &[Actor::Station]),
    ("HANDOVER_ACK", Actor::Station, &[Actor::Police]),
    (
        "STATION_INTAKE",
        Actor::Station,
        &[Actor::Civil, Actor::Police],
    ),
    ("REFERRAL_OUTCOME", Actor::Station, &[Actor::Grid]),
    ("IDENTITY_CHECK_REQUEST", Actor::Station, &[Actor::Police]),
    ("IDENTITY_CHECK_RESULT", Actor::Police, &[Actor::Station]),
    // The station's change goes to the identity registry, which announces it (below).
    ("IDENTITY_UPDATE", Actor::Station, &[]),
    ("HOSPITAL_ADMISSION", Actor::Station, &[Actor::Health]),
    ("ADMISSION_ACK", Actor::Health, &[Actor::Station]),
    ("HOSPITAL_DISCHARGE", Actor::Health, &[Actor::Station]),
    ("RETURN_HOME_NOTICE", Actor::Station, &[Actor::Origin]),
    ("RETURN_HOME_RECEIPT", Actor::Origin, &[Actor::Station]),
];

/// The steps (1-based) after which the identity registry announces a new version, and to
/// whom: the verified result (version 2) and the station's correction (version 3).
const IDENTITY_UPDATES: &[(usize, &[Actor])] = &[
    (7, &[Actor::Station, Actor::Police, Actor::Civil]),
    (8, &[Actor::Station, Actor::Police, Actor::Civil]),
];

fn sorted(actors: &[Actor]) -> Vec<Actor> {
    let mut actors = actors.to_vec();
    actors.sort();
    actors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_case_reaches_every_expected_recipient_and_nothing_is_refused() {
    let began = Instant::now();
    let mut output: Vec<u8> = Vec::new();
    let report: DemoReport = tokio::time::timeout(Duration::from_secs(60), run_demo(&mut output))
        .await
        .expect("the demo finishes within a minute")
        .unwrap_or_else(|error| {
            panic!(
                "the demo failed: {error}\n--- output ---\n{}",
                String::from_utf8_lossy(&output)
            )
        });
    let took = began.elapsed();
    let text = String::from_utf8(output).expect("the output is UTF-8");
    println!("{text}");

    // Every step, in order, delivered to exactly the expected recipients.
    assert_eq!(report.timeline.len(), EXPECTED.len());
    for (entry, (message_type, sender, recipients)) in report.timeline.iter().zip(EXPECTED) {
        assert_eq!(entry.message_type, *message_type, "step {}", entry.step);
        assert_eq!(entry.sender, *sender, "step {}", entry.step);
        assert_eq!(
            sorted(&entry.recipients),
            sorted(recipients),
            "step {} ({message_type})",
            entry.step
        );
        assert_eq!(sorted(&entry.expected), sorted(recipients));
        let updated = IDENTITY_UPDATES
            .iter()
            .find(|(step, _)| *step == entry.step)
            .map_or(&[][..], |(_, to)| *to);
        assert_eq!(
            sorted(&entry.identity_updates_to),
            sorted(updated),
            "step {} identity updates",
            entry.step
        );
    }

    // The hops agree with the timeline: one per (message, recipient), from the right
    // sender, each with a stream sequence number; no refusal anywhere.
    let deliveries: usize = EXPECTED.iter().map(|(_, _, r)| r.len()).sum::<usize>()
        + IDENTITY_UPDATES
            .iter()
            .map(|(_, to)| to.len())
            .sum::<usize>();
    assert_eq!(report.hops.len(), deliveries);
    for hop in &report.hops {
        assert_ne!(hop.message_type, "HUB_REJECTED");
        let entry = &report.timeline[hop.step - 1];
        if hop.sender == Actor::Hub {
            assert_eq!(hop.message_type, "IDENTITY_UPDATE");
            assert!(entry.identity_updates_to.contains(&hop.recipient));
        } else {
            assert_eq!(hop.message_id, entry.message_id);
            assert_eq!(hop.sender, entry.sender);
            assert!(entry.recipients.contains(&hop.recipient));
        }
        assert!(hop.stream_seq.is_some_and(|n| n >= 1), "{hop:?}");
        assert_eq!(hop.schema_version.split('.').next(), Some("1"));
    }
    // Each (sender → recipient) stream is numbered 1, 2, 3, … without gaps.
    let mut streams: std::collections::BTreeMap<(Actor, Actor), Vec<i64>> = Default::default();
    for hop in &report.hops {
        streams
            .entry((hop.sender, hop.recipient))
            .or_default()
            .extend(hop.stream_seq);
    }
    for (stream, seqs) in streams {
        let expected: Vec<i64> = (1..=i64::try_from(seqs.len()).unwrap()).collect();
        assert_eq!(seqs, expected, "stream {stream:?}");
    }
    // Once the station opened the case, every message carries it.
    for entry in &report.timeline[2..] {
        assert_eq!(entry.case_id.as_deref(), Some("TCJZ-2025-000318"));
    }

    // The output explains itself and names every message type and the person.
    assert!(!text.contains("HUB_REJECTED"), "{text}");
    assert!(text.contains(TIMELINE_HEADER));
    assert!(text.contains("王根宝"));
    assert!(text.contains("full") || text.contains("projected away"));
    for (message_type, _, _) in EXPECTED {
        assert!(text.contains(message_type), "{message_type} missing");
    }
    assert!(
        took < Duration::from_secs(20),
        "the demo took {took:?}, expected under 20 s"
    );
}
