//! MLLP (Minimal Lower Layer Protocol), the framing HL7 v2 uses over TCP: each message is
//! sent as `0x0B <message bytes> 0x1C 0x0D`.
//!
//! Pure: [`frame`] wraps one payload, [`Deframer`] takes the bytes of a connection in
//! whatever pieces the reads return (a frame split over many reads, several frames in one
//! read) and yields whole payloads. The TCP listener and client that use them live
//! elsewhere; nothing here does I/O.
//!
//! Invariants:
//! * Deframing the concatenation of framed payloads yields exactly those payloads, in order,
//!   however the bytes are split into pushes (property-tested).
//! * Memory is bounded by `max_frame_bytes` per connection plus the frames not yet taken:
//!   a frame that grows past the limit is reported once ([`MllpError::FrameTooLarge`]) and
//!   the rest of it is skipped without being buffered.
//! * Errors never stop the stream: after a bad frame or stray bytes the deframer
//!   resynchronises on the next start block, so one bad message does not lose the next.
//! * CR and LF between frames (some senders add them) are ignored; other bytes outside a
//!   frame are reported as [`MllpError::OutsideFrame`].

use std::collections::VecDeque;

/// Start block: the byte that opens a frame (VT).
pub const START_BLOCK: u8 = 0x0B;
/// End block: the byte that closes a frame's payload (FS).
pub const END_BLOCK: u8 = 0x1C;
/// The carriage return that must follow the end block.
pub const CARRIAGE_RETURN: u8 = 0x0D;
/// Default largest payload accepted: 4 MiB (HL7 messages are usually a few kilobytes; the
/// margin covers embedded reports).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 4 * 1024 * 1024;

/// What went wrong in framing or deframing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MllpError {
    /// [`frame`]: the payload contains a block byte, which would end the frame early.
    #[error(
        "payload contains the MLLP block byte 0x{byte:02X} at offset {offset}; escape it in the HL7 text as \\X{byte:02X}\\"
    )]
    ReservedByte {
        /// The byte (0x0B or 0x1C).
        byte: u8,
        /// Its offset in the payload.
        offset: usize,
    },
    /// A frame grew past the limit; it was skipped up to its end block.
    #[error("frame larger than {max} bytes: skipped up to its end block")]
    FrameTooLarge {
        /// The limit.
        max: usize,
    },
    /// Bytes arrived outside any frame (before a start block); they were skipped.
    #[error("{count} byte(s) outside any frame were skipped (a frame starts with 0x0B)")]
    OutsideFrame {
        /// How many bytes.
        count: usize,
    },
    /// A start block arrived inside a frame: the unfinished frame was dropped.
    #[error(
        "a start block 0x0B arrived before the end of the frame; the unfinished {discarded} byte(s) were dropped"
    )]
    Interrupted {
        /// Bytes of the unfinished frame.
        discarded: usize,
    },
    /// The end block was not followed by a carriage return: the frame was dropped.
    #[error("end block 0x1C followed by 0x{found:02X} instead of 0x0D; the frame was dropped")]
    BadTrailer {
        /// The byte found after the end block.
        found: u8,
    },
    /// The stream ended inside a frame.
    #[error("the connection ended inside a frame; {buffered} byte(s) were dropped")]
    Truncated {
        /// Bytes of the unfinished frame.
        buffered: usize,
    },
}

/// Wraps one payload in a frame. Fails if the payload contains 0x0B or 0x1C, which HL7 text
/// never does (the ER7 writer escapes control characters).
pub fn frame(payload: &[u8]) -> Result<Vec<u8>, MllpError> {
    if let Some(offset) = payload
        .iter()
        .position(|b| *b == START_BLOCK || *b == END_BLOCK)
    {
        let byte = payload.get(offset).copied().unwrap_or(END_BLOCK);
        return Err(MllpError::ReservedByte { byte, offset });
    }
    let mut out = Vec::with_capacity(payload.len() + 3);
    out.push(START_BLOCK);
    out.extend_from_slice(payload);
    out.push(END_BLOCK);
    out.push(CARRIAGE_RETURN);
    Ok(out)
}

/// Where the deframer is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between frames.
    Idle,
    /// Inside a frame, collecting its payload.
    InFrame,
    /// Just after an end block: a carriage return must follow. `keep` is false when the
    /// frame was too large and is being skipped.
    AfterEnd { keep: bool },
    /// Inside a frame that grew too large: skipping to its end.
    Skipping,
}

/// A streaming deframer for one connection: [`Deframer::push`] the bytes of each read, then
/// take the finished frames with [`Deframer::next_frame`].
#[derive(Debug)]
pub struct Deframer {
    max_frame_bytes: usize,
    state: State,
    frame: Vec<u8>,
    outside: usize,
    ready: VecDeque<Result<Vec<u8>, MllpError>>,
}

impl Default for Deframer {
    fn default() -> Self {
        Deframer::new(DEFAULT_MAX_FRAME_BYTES)
    }
}

impl Deframer {
    /// A deframer accepting payloads of at most `max_frame_bytes` bytes.
    pub fn new(max_frame_bytes: usize) -> Deframer {
        Deframer {
            max_frame_bytes,
            state: State::Idle,
            frame: Vec::new(),
            outside: 0,
            ready: VecDeque::new(),
        }
    }

    /// Feeds the bytes of one read.
    pub fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.state {
                State::Idle => {
                    let Some((&b, rest)) = bytes.split_first() else {
                        return;
                    };
                    bytes = rest;
                    if b == START_BLOCK {
                        self.report_outside();
                        self.frame.clear();
                        self.state = State::InFrame;
                    } else if b != b'\r' && b != b'\n' {
                        self.outside += 1;
                    }
                }
                State::InFrame => {
                    // Copy the run up to the next block byte in one go.
                    let run = bytes
                        .iter()
                        .position(|b| *b == START_BLOCK || *b == END_BLOCK)
                        .unwrap_or(bytes.len());
                    let room = self.max_frame_bytes.saturating_sub(self.frame.len());
                    if run > room {
                        self.frame.clear();
                        self.frame.shrink_to(0);
                        self.ready.push_back(Err(MllpError::FrameTooLarge {
                            max: self.max_frame_bytes,
                        }));
                        self.state = State::Skipping;
                        bytes = bytes.get(room..).unwrap_or_default();
                        continue;
                    }
                    self.frame
                        .extend_from_slice(bytes.get(..run).unwrap_or_default());
                    bytes = bytes.get(run..).unwrap_or_default();
                    match bytes.split_first() {
                        Some((&END_BLOCK, rest)) => {
                            bytes = rest;
                            self.state = State::AfterEnd { keep: true };
                        }
                        Some((&START_BLOCK, rest)) => {
                            bytes = rest;
                            let discarded = self.frame.len();
                            self.frame.clear();
                            self.ready
                                .push_back(Err(MllpError::Interrupted { discarded }));
                        }
                        _ => {}
                    }
                }
                State::Skipping => {
                    let Some(at) = bytes
                        .iter()
                        .position(|b| *b == START_BLOCK || *b == END_BLOCK)
                    else {
                        return;
                    };
                    let b = bytes.get(at).copied().unwrap_or(END_BLOCK);
                    bytes = bytes.get(at + 1..).unwrap_or_default();
                    if b == END_BLOCK {
                        self.state = State::AfterEnd { keep: false };
                    } else {
                        self.frame.clear();
                        self.state = State::InFrame;
                    }
                }
                State::AfterEnd { keep } => {
                    let Some((&b, rest)) = bytes.split_first() else {
                        return;
                    };
                    if b == CARRIAGE_RETURN {
                        bytes = rest;
                        if keep {
                            self.ready.push_back(Ok(std::mem::take(&mut self.frame)));
                        }
                    } else {
                        // A start block is left to open the next frame; any other byte
                        // belongs to the bad trailer.
                        if b != START_BLOCK {
                            bytes = rest;
                        }
                        self.frame.clear();
                        self.ready
                            .push_back(Err(MllpError::BadTrailer { found: b }));
                    }
                    self.state = State::Idle;
                }
            }
        }
    }

    /// The next finished frame (or error), in stream order; `None` until more bytes arrive.
    pub fn next_frame(&mut self) -> Option<Result<Vec<u8>, MllpError>> {
        self.ready.pop_front()
    }

    /// The end of the stream: what was left unfinished, if anything. Frames finished before
    /// stay available from [`Deframer::next_frame`].
    pub fn finish(&mut self) -> Option<MllpError> {
        let state = std::mem::replace(&mut self.state, State::Idle);
        let buffered = std::mem::take(&mut self.frame).len();
        match state {
            State::InFrame | State::AfterEnd { keep: true } => {
                Some(MllpError::Truncated { buffered })
            }
            State::Skipping | State::AfterEnd { keep: false } => {
                Some(MllpError::Truncated { buffered: 0 })
            }
            State::Idle => {
                let count = std::mem::take(&mut self.outside);
                (count > 0).then_some(MllpError::OutsideFrame { count })
            }
        }
    }

    /// Whether no frame is in progress (every byte pushed so far is accounted for).
    pub fn is_idle(&self) -> bool {
        self.state == State::Idle
    }

    /// Bytes of the frame in progress.
    pub fn buffered(&self) -> usize {
        self.frame.len()
    }

    fn report_outside(&mut self) {
        let count = std::mem::take(&mut self.outside);
        if count > 0 {
            self.ready.push_back(Err(MllpError::OutsideFrame { count }));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn drain(d: &mut Deframer) -> Vec<Result<Vec<u8>, MllpError>> {
        std::iter::from_fn(|| d.next_frame()).collect()
    }

    #[test]
    fn frames_and_deframes_one_message() {
        let framed = frame(b"MSH|^~\\&|A\r").unwrap();
        assert_eq!(framed.first(), Some(&START_BLOCK));
        assert!(framed.ends_with(&[END_BLOCK, CARRIAGE_RETURN]));
        let mut d = Deframer::default();
        d.push(&framed);
        assert_eq!(drain(&mut d), vec![Ok(b"MSH|^~\\&|A\r".to_vec())]);
        assert!(d.is_idle());
        assert_eq!(d.finish(), None);
    }

    #[test]
    fn refuses_block_bytes_in_payload() {
        assert_eq!(
            frame(b"ab\x1cc"),
            Err(MllpError::ReservedByte {
                byte: 0x1c,
                offset: 2
            })
        );
        assert_eq!(
            frame(b"\x0b"),
            Err(MllpError::ReservedByte {
                byte: 0x0b,
                offset: 0
            })
        );
    }

    #[test]
    fn handles_partial_reads_and_several_frames_per_read() {
        let mut stream = frame(b"one").unwrap();
        stream.extend(frame(b"two").unwrap());
        stream.extend(b"\r\n");
        stream.extend(frame(b"three").unwrap());
        let mut d = Deframer::default();
        d.push(&stream[..2]);
        assert!(d.next_frame().is_none());
        assert_eq!(d.buffered(), 1);
        d.push(&stream[2..9]);
        d.push(&stream[9..]);
        assert_eq!(
            drain(&mut d),
            vec![
                Ok(b"one".to_vec()),
                Ok(b"two".to_vec()),
                Ok(b"three".to_vec())
            ]
        );
    }

    #[test]
    fn too_large_frames_are_skipped_and_the_next_one_survives() {
        let mut stream = frame(&[b'x'; 20]).unwrap();
        stream.extend(frame(b"ok").unwrap());
        for chunk in [1, 3, 7, 100] {
            let mut d = Deframer::new(10);
            for piece in stream.chunks(chunk) {
                d.push(piece);
            }
            assert_eq!(
                drain(&mut d),
                vec![
                    Err(MllpError::FrameTooLarge { max: 10 }),
                    Ok(b"ok".to_vec())
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn resynchronises_after_errors() {
        let mut d = Deframer::default();
        d.push(b"junk\x0bhalf\x0bwhole\x1c\r\x0bbad\x1cX\x0bfine\x1c\r\x0bcut\x1c\x0bnext\x1c\rzz");
        assert_eq!(
            drain(&mut d),
            vec![
                Err(MllpError::OutsideFrame { count: 4 }),
                Err(MllpError::Interrupted { discarded: 4 }),
                Ok(b"whole".to_vec()),
                Err(MllpError::BadTrailer { found: b'X' }),
                Ok(b"fine".to_vec()),
                Err(MllpError::BadTrailer { found: START_BLOCK }),
                Ok(b"next".to_vec()),
            ]
        );
        assert_eq!(d.finish(), Some(MllpError::OutsideFrame { count: 2 }));
    }

    #[test]
    fn end_of_stream_inside_a_frame_is_reported() {
        let mut d = Deframer::default();
        d.push(b"\x0bMSH|");
        assert_eq!(d.finish(), Some(MllpError::Truncated { buffered: 4 }));
        assert!(d.is_idle());
    }

    #[test]
    fn exact_limit_is_accepted() {
        let mut d = Deframer::new(3);
        d.push(&frame(b"abc").unwrap());
        assert_eq!(drain(&mut d), vec![Ok(b"abc".to_vec())]);
    }
}
