//! MLLP framing (`0x0B <payload> 0x1C 0x0D`), written for the simulator on its own — not
//! shared with the HEALTH adapter — so that an end-to-end test exercises two independent
//! implementations against each other.
//!
//! [`frame`] wraps a payload; [`Deframer`] takes a connection's bytes in whatever pieces the
//! reads return (a frame split over many reads, several frames in one read) and yields the
//! payloads in order.
//!
//! Invariants: deframing the concatenation of frames yields exactly their payloads however
//! the bytes are split; a frame larger than the limit, bytes outside any frame (other than
//! CR/LF, which some senders put between frames), a start block inside a frame or an end
//! block not followed by CR are reported as [`FramingError`] and skipped, and deframing goes
//! on with the next start block.

use std::collections::VecDeque;

/// Start block (VT).
pub const START_BLOCK: u8 = 0x0B;
/// End block (FS).
pub const END_BLOCK: u8 = 0x1C;
/// The carriage return after the end block.
pub const CARRIAGE_RETURN: u8 = 0x0D;
/// Largest payload the simulator accepts by default (4 MiB).
pub const DEFAULT_MAX_PAYLOAD: usize = 4 * 1024 * 1024;

/// A framing fault in the received bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// Bytes before a start block.
    #[error("{0} byte(s) outside any frame")]
    OutsideFrame(usize),
    /// A start block before the end of the frame; the unfinished frame was dropped.
    #[error("a start block inside a frame; {0} byte(s) dropped")]
    Interrupted(usize),
    /// The end block was followed by this byte instead of CR; the frame was dropped.
    #[error("end block followed by 0x{0:02X} instead of 0x0D")]
    BadTrailer(u8),
    /// The frame grew past the limit; it was dropped up to its end block.
    #[error("frame larger than {0} bytes")]
    TooLarge(usize),
}

/// Wraps `payload` in one frame.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 3);
    out.push(START_BLOCK);
    out.extend_from_slice(payload);
    out.push(END_BLOCK);
    out.push(CARRIAGE_RETURN);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between frames.
    Idle,
    /// Inside a frame.
    Payload,
    /// Inside a frame that grew too large: skipping to its end block.
    Skipping,
    /// After an end block, expecting CR.
    Trailer,
}

/// Splits a byte stream into MLLP payloads.
#[derive(Debug)]
pub struct Deframer {
    state: State,
    buffer: Vec<u8>,
    outside: usize,
    max_payload: usize,
    ready: VecDeque<Result<Vec<u8>, FramingError>>,
}

impl Default for Deframer {
    fn default() -> Self {
        Deframer::new(DEFAULT_MAX_PAYLOAD)
    }
}

impl Deframer {
    /// A deframer accepting payloads up to `max_payload` bytes.
    pub fn new(max_payload: usize) -> Deframer {
        Deframer {
            state: State::Idle,
            buffer: Vec::new(),
            outside: 0,
            max_payload,
            ready: VecDeque::new(),
        }
    }

    /// Feeds the next bytes read from the connection.
    pub fn push(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.step(byte);
        }
    }

    /// The next whole payload (or framing fault), in stream order.
    pub fn next_frame(&mut self) -> Option<Result<Vec<u8>, FramingError>> {
        self.ready.pop_front()
    }

    /// Whether a frame is partly received (bytes buffered without its end).
    pub fn in_frame(&self) -> bool {
        self.state != State::Idle
    }

    fn flush_outside(&mut self) {
        if self.outside > 0 {
            self.ready
                .push_back(Err(FramingError::OutsideFrame(self.outside)));
            self.outside = 0;
        }
    }

    fn step(&mut self, byte: u8) {
        match self.state {
            State::Idle => match byte {
                START_BLOCK => {
                    self.flush_outside();
                    self.buffer.clear();
                    self.state = State::Payload;
                }
                b'\r' | b'\n' => {}
                _ => self.outside += 1,
            },
            State::Payload => match byte {
                END_BLOCK => self.state = State::Trailer,
                START_BLOCK => {
                    self.ready
                        .push_back(Err(FramingError::Interrupted(self.buffer.len())));
                    self.buffer.clear();
                }
                _ if self.buffer.len() >= self.max_payload => {
                    self.ready
                        .push_back(Err(FramingError::TooLarge(self.max_payload)));
                    self.buffer = Vec::new();
                    self.state = State::Skipping;
                }
                _ => self.buffer.push(byte),
            },
            State::Skipping => {
                if byte == END_BLOCK {
                    self.state = State::Trailer;
                }
            }
            State::Trailer => {
                if byte == CARRIAGE_RETURN {
                    // Empty payloads carry nothing: a skipped (too large) frame, already
                    // reported, or an empty frame.
                    let payload = std::mem::take(&mut self.buffer);
                    if !payload.is_empty() {
                        self.ready.push_back(Ok(payload));
                    }
                    self.state = State::Idle;
                } else {
                    self.ready.push_back(Err(FramingError::BadTrailer(byte)));
                    self.buffer.clear();
                    self.state = if byte == START_BLOCK {
                        State::Payload
                    } else {
                        State::Idle
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn drain(d: &mut Deframer) -> Vec<Result<Vec<u8>, FramingError>> {
        std::iter::from_fn(|| d.next_frame()).collect()
    }

    #[test]
    fn every_split_of_two_frames_gives_both_payloads() {
        let mut stream = frame(b"MSH|first");
        stream.extend(frame("MSH|第二".as_bytes()));
        for cut in 0..=stream.len() {
            for cut2 in cut..=stream.len() {
                let mut d = Deframer::default();
                d.push(&stream[..cut]);
                d.push(&stream[cut..cut2]);
                d.push(&stream[cut2..]);
                let got = drain(&mut d);
                assert_eq!(
                    got,
                    vec![
                        Ok(b"MSH|first".to_vec()),
                        Ok("MSH|第二".as_bytes().to_vec())
                    ],
                    "cuts {cut} {cut2}"
                );
            }
        }
    }

    #[test]
    fn byte_by_byte_and_coalesced() {
        let mut stream = Vec::new();
        for i in 0..5 {
            stream.extend(frame(format!("MSH|{i}").as_bytes()));
            stream.extend(b"\r\n");
        }
        let mut d = Deframer::default();
        for b in &stream {
            d.push(&[*b]);
        }
        assert_eq!(drain(&mut d).len(), 5);
        let mut d = Deframer::default();
        d.push(&stream);
        let got: Vec<_> = drain(&mut d).into_iter().map(Result::unwrap).collect();
        assert_eq!(got[4], b"MSH|4");
        assert!(!d.in_frame());
    }

    #[test]
    fn faults_are_reported_and_skipped() {
        let mut d = Deframer::new(8);
        d.push(b"junk");
        d.push(&frame(b"ok"));
        d.push(&[
            START_BLOCK,
            b'a',
            START_BLOCK,
            b'b',
            END_BLOCK,
            CARRIAGE_RETURN,
        ]);
        d.push(&[START_BLOCK, b'c', END_BLOCK, b'x']);
        d.push(&frame(b"far too large"));
        d.push(&frame(b"last"));
        assert_eq!(
            drain(&mut d),
            vec![
                Err(FramingError::OutsideFrame(4)),
                Ok(b"ok".to_vec()),
                Err(FramingError::Interrupted(1)),
                Ok(b"b".to_vec()),
                Err(FramingError::BadTrailer(b'x')),
                Err(FramingError::TooLarge(8)),
                Ok(b"last".to_vec()),
            ]
        );
        let mut d = Deframer::default();
        d.push(&[START_BLOCK, b'x']);
        assert!(d.in_frame());
        assert!(drain(&mut d).is_empty());
    }
}
