//! Recoverability: the one pure function that decides what happens to a message whose
//! processing or delivery failed — retry at once, retry after a delay, or dead-letter it.
//! NServiceBus' `DefaultRecoverabilityPolicy` is the model.
//!
//! # Rules
//!
//! * A [`FailureClass::Permanent`] failure (contract violation, unauthorized, a department's
//!   4xx, a malformed answer) is dead-lettered at once: trying again cannot help.
//! * A [`FailureClass::Transient`] failure (broker down, store busy, a department's 5xx or
//!   timeout) is retried: first `immediate_retries` times at once ([`Action::RetryNow`]),
//!   then after `delays_ms[0]`, `delays_ms[1]`, … ([`Action::RetryAfter`]), staying at the
//!   last step, until the message has failed `max_attempts` times; then it is dead-lettered
//!   with [`DeadLetterCause::RetriesExhausted`].
//!
//! # Invariants
//!
//! * [`decide`] is total and pure: no clock, no I/O, no panics, for every input.
//! * Every transient failure sequence ends in a dead letter after at most `max_attempts`
//!   failures (and at once when `max_attempts` is 0): retrying is bounded.
//! * `attempt` counts failures so far, 1 being the first; 0 is read as 1 (a caller that
//!   forgot to count still gets a bounded, conservative decision).
//! * With an empty `delays_ms` there are no delayed retries: once the immediate retries are
//!   used up the message is dead-lettered (`RetriesExhausted`). Configuration validation
//!   refuses an empty list, so this is only the safe fallback.
//! * Which *transport* delay queue carries a `RetryAfter` is the transport's business
//!   (it picks the smallest step `>=` the delay); this module only names the delay.

use std::time::Duration;

/// What kind of failure happened, as judged by the code that saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureClass {
    /// Trying again later can succeed: the broker is down, the store is busy, a
    /// department's system answered 5xx or did not answer in time.
    Transient,
    /// Trying again cannot succeed: contract violation, unauthorized sender or recipient,
    /// a department's 4xx, a malformed answer.
    Permanent,
}

/// How often and how late to retry a transiently failing message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Failures answered by retrying at once, before any delayed retry.
    pub immediate_retries: u32,
    /// Delays of the delayed retries, in milliseconds, one per step; the last step repeats.
    pub delays_ms: Vec<u64>,
    /// Failures after which the message is dead-lettered (the total number of attempts).
    pub max_attempts: u32,
}

/// Why a message is dead-lettered by [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadLetterCause {
    /// The failure was permanent; the message was not retried.
    Permanent,
    /// The failure was transient but kept happening.
    RetriesExhausted {
        /// Failures counted when giving up.
        attempts: u32,
    },
}

/// The decision for one failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Process the message again now, in the same consumer.
    RetryNow,
    /// Hand the message back to the transport to be redelivered after at least this delay.
    RetryAfter(Duration),
    /// Give up: move the message to its dead-letter queue with the reason.
    DeadLetter {
        /// Why.
        reason: DeadLetterCause,
    },
}

/// Decides what to do after a failure.
///
/// `attempt` is the number of failures so far including this one (1 = first failure; 0 is
/// treated as 1). See the module documentation for the rules.
pub fn decide(failure: FailureClass, attempt: u32, policy: &RetryPolicy) -> Action {
    if failure == FailureClass::Permanent {
        return Action::DeadLetter {
            reason: DeadLetterCause::Permanent,
        };
    }
    let attempt = attempt.max(1);
    let exhausted = Action::DeadLetter {
        reason: DeadLetterCause::RetriesExhausted { attempts: attempt },
    };
    if attempt >= policy.max_attempts {
        return exhausted;
    }
    if attempt <= policy.immediate_retries {
        return Action::RetryNow;
    }
    // attempt > immediate_retries >= 0, so this does not underflow; the first delayed retry
    // uses step 0.
    let step = usize::try_from(attempt - policy.immediate_retries - 1).unwrap_or(usize::MAX);
    let delay_ms = policy
        .delays_ms
        .get(step)
        .or_else(|| policy.delays_ms.last());
    match delay_ms {
        Some(&ms) => Action::RetryAfter(Duration::from_millis(ms)),
        None => exhausted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            immediate_retries: 2,
            delays_ms: vec![5_000, 60_000, 600_000],
            max_attempts: 6,
        }
    }

    fn after(ms: u64) -> Action {
        Action::RetryAfter(Duration::from_millis(ms))
    }

    fn exhausted(attempts: u32) -> Action {
        Action::DeadLetter {
            reason: DeadLetterCause::RetriesExhausted { attempts },
        }
    }

    const PERMANENT: Action = Action::DeadLetter {
        reason: DeadLetterCause::Permanent,
    };

    #[test]
    fn permanent_failures_are_dead_lettered_at_once_whatever_the_attempt() {
        for attempt in [0, 1, 2, 3, 6, 7, u32::MAX] {
            assert_eq!(
                decide(FailureClass::Permanent, attempt, &policy()),
                PERMANENT
            );
        }
    }

    #[test]
    fn transient_failures_follow_immediate_then_delayed_then_dead_letter() {
        let p = policy();
        let got: Vec<Action> = (1..=6)
            .map(|a| decide(FailureClass::Transient, a, &p))
            .collect();
        assert_eq!(
            got,
            vec![
                Action::RetryNow,
                Action::RetryNow,
                after(5_000),
                after(60_000),
                after(600_000),
                exhausted(6),
            ]
        );
    }

    #[test]
    fn attempt_zero_is_read_as_the_first_failure() {
        assert_eq!(
            decide(FailureClass::Transient, 0, &policy()),
            Action::RetryNow
        );
        let no_immediate = RetryPolicy {
            immediate_retries: 0,
            ..policy()
        };
        assert_eq!(
            decide(FailureClass::Transient, 0, &no_immediate),
            after(5_000)
        );
        let one_attempt = RetryPolicy {
            max_attempts: 1,
            ..policy()
        };
        assert_eq!(
            decide(FailureClass::Transient, 0, &one_attempt),
            exhausted(1)
        );
    }

    #[test]
    fn the_last_immediate_retry_and_the_first_delayed_one_meet_exactly() {
        let p = policy();
        assert_eq!(
            decide(FailureClass::Transient, p.immediate_retries, &p),
            Action::RetryNow
        );
        assert_eq!(
            decide(FailureClass::Transient, p.immediate_retries + 1, &p),
            after(5_000)
        );
    }

    #[test]
    fn exactly_max_attempts_failures_dead_letter_and_one_less_still_retries() {
        let p = policy();
        assert_ne!(
            decide(FailureClass::Transient, p.max_attempts - 1, &p),
            exhausted(p.max_attempts - 1)
        );
        assert_eq!(
            decide(FailureClass::Transient, p.max_attempts, &p),
            exhausted(6)
        );
        assert_eq!(
            decide(FailureClass::Transient, p.max_attempts + 5, &p),
            exhausted(11)
        );
        assert_eq!(
            decide(FailureClass::Transient, u32::MAX, &p),
            exhausted(u32::MAX)
        );
    }

    #[test]
    fn the_last_delay_step_repeats_when_attempts_outnumber_the_steps() {
        let p = RetryPolicy {
            max_attempts: 20,
            ..policy()
        };
        for attempt in 5..20 {
            assert_eq!(
                decide(FailureClass::Transient, attempt, &p),
                after(600_000),
                "{attempt}"
            );
        }
        assert_eq!(decide(FailureClass::Transient, 20, &p), exhausted(20));
    }

    #[test]
    fn max_attempts_wins_over_immediate_retries() {
        let p = RetryPolicy {
            immediate_retries: 5,
            max_attempts: 3,
            ..policy()
        };
        assert_eq!(decide(FailureClass::Transient, 2, &p), Action::RetryNow);
        assert_eq!(decide(FailureClass::Transient, 3, &p), exhausted(3));
    }

    #[test]
    fn max_attempts_zero_or_one_never_retries() {
        for max_attempts in [0, 1] {
            let p = RetryPolicy {
                max_attempts,
                ..policy()
            };
            assert_eq!(decide(FailureClass::Transient, 1, &p), exhausted(1));
        }
    }

    #[test]
    fn empty_delays_dead_letter_once_the_immediate_retries_are_used() {
        let p = RetryPolicy {
            delays_ms: vec![],
            ..policy()
        };
        assert_eq!(decide(FailureClass::Transient, 1, &p), Action::RetryNow);
        assert_eq!(decide(FailureClass::Transient, 2, &p), Action::RetryNow);
        assert_eq!(decide(FailureClass::Transient, 3, &p), exhausted(3));
        let none_at_all = RetryPolicy {
            immediate_retries: 0,
            delays_ms: vec![],
            max_attempts: 6,
        };
        assert_eq!(
            decide(FailureClass::Transient, 1, &none_at_all),
            exhausted(1)
        );
    }

    #[test]
    fn no_immediate_retries_goes_straight_to_the_first_delay() {
        let p = RetryPolicy {
            immediate_retries: 0,
            ..policy()
        };
        assert_eq!(decide(FailureClass::Transient, 1, &p), after(5_000));
        assert_eq!(decide(FailureClass::Transient, 2, &p), after(60_000));
    }

    #[test]
    fn every_transient_sequence_ends_in_a_dead_letter_within_max_attempts() {
        for immediate_retries in 0..4 {
            for max_attempts in 0..8 {
                for delays_ms in [vec![], vec![1], vec![1, 2, 3]] {
                    let p = RetryPolicy {
                        immediate_retries,
                        delays_ms,
                        max_attempts,
                    };
                    let end = (1..=max_attempts.max(1)).find(|&a| {
                        matches!(
                            decide(FailureClass::Transient, a, &p),
                            Action::DeadLetter { .. }
                        )
                    });
                    assert!(end.is_some(), "{p:?} never dead-letters");
                }
            }
        }
    }
}
