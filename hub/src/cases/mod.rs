//! The case workflow (issue 6, item 5): a state machine over the messages of one case
//! (`case_id`, one person-episode, domain.md §7.2), persisted in the hub's store and updated
//! in the same transaction as the message that moves it, and the case timeline
//! (`GET /v1/cases/{id}/timeline`, `hubctl case timeline`).
//!
//! Owns: the states and the pure transition function ([`machine`]), the case tables, the
//! per-message update and the timeline read ([`store`]).
//!
//! # States and their sources
//!
//! | state | 中文 | entered by | source |
//! |---|---|---|---|
//! | `FOUND` | 发现/转介 | REFERRAL, POLICE_ESCORT_HANDOVER | seed 附件1 四(一)(四); domain.md M01, M02 |
//! | `HANDED_OVER` | 交接签收 | HANDOVER_ACK `RECEIVED` | seed 四(四) 书面交接手续; M02A |
//! | `NOT_ADMITTED` | 不予接收/不予救助 | HANDOVER_ACK `NOT_RECEIVED`, STATION_INTAKE `NOT_ELIGIBLE` | seed 四(六) 甄别; M02A, M08 eligibility |
//! | `IN_STATION` | 在站 | STATION_INTAKE `ELIGIBLE`/`HELP_FIRST`; HOSPITAL_DISCHARGE `DISCHARGED` (cured/improved) | seed 四(六); M08, M07 |
//! | `IN_HOSPITAL` | 住院 | HOSPITAL_ADMISSION; HANDOVER_ACK `TO_HOSPITAL`; STATION_LEAVE `TO_HOSPITAL` | seed 四(四)(五) 送指定医院; M06, M09 |
//! | `LEFT` | 离站 | STATION_LEAVE (returned home, placed, settled, self-left, terminated, …); HOSPITAL_DISCHARGE `SELF_LEFT` | seed 四(二)(七); M09 CL-LEAVE, M07 |
//! | `FOLLOWED_UP` | 已回访 | FOLLOW_UP_VISIT after leaving | domain.md M14 |
//! | `DECEASED` | 死亡 | INCIDENT_REPORT `DEATH_*`, IDENTITY_UPDATE `DECEASED`, HOSPITAL_DISCHARGE `DIED`, STATION_LEAVE `DECEASED` | M13, M05, M07, M09 |
//!
//! # Which messages move a case ([`machine::role`], the one table)
//!
//! | message | role |
//! |---|---|
//! | REFERRAL, POLICE_ESCORT_HANDOVER, HOSPITAL_ADMISSION, FOLLOW_UP_VISIT | move |
//! | HANDOVER_ACK (`decision`), STATION_INTAKE (`eligibility`), STATION_LEAVE (`leave_mode`), HOSPITAL_DISCHARGE (`notice_type`, `discharge_type`), INCIDENT_REPORT (`incident_type` DEATH_*), IDENTITY_UPDATE (`change_type` DECEASED) | move depending on the named facts, else annotate |
//! | REFERRAL_OUTCOME, IDENTITY_CHECK_REQUEST/ACK/RESULT, IDENTITY_DIGEST, DEADLINE_NOTICE, ADMISSION_ACK, RETURN_HOME_NOTICE/RECEIPT, MISSING_PERSON_NOTICE/MATCH, SETTLEMENT_REQUEST/DECISION, HUB_REJECTED | annotate |
//!
//! # Invariants
//!
//! * Real life is messy: a message that does not change the phase annotates rather than
//!   being refused (a referral outcome after intake, an identity update at any time, a late
//!   handover acknowledgement). Refused are only contradictions: leaving a station never
//!   entered or twice, a follow-up before leaving, a new intake after leaving (a new stay is
//!   a new case), and anything but reports, identity and settlement after death.
//! * A case the hub has not seen opens in the phase its first moving message implies.
//! * Messages without `case_id` do not touch the case tables.
//! * An illegal transition is refused by the pipeline (`HUB_REJECTED`, stage `CONTRACT` —
//!   the closest of the contract's stages —, reason code `case_transition`, pointer
//!   `/case_id`) and changes nothing: no inbox row, no delivery, no case update.

pub mod machine;
pub mod store;

pub use machine::{CaseState, IllegalTransition, Role, Step, role, transition};
pub use store::{RefusedMessage, Timeline, prepare, timeline};
