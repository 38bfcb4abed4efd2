//! What the 数字城管 (CITYMGMT) and grid (GRID) adapters share: both department systems speak
//! JSON over HTTP with camelCase keys and Beijing-time timestamps, push a referral-bearing
//! document of their own to the hub, and receive the hub's documents (`header` 报文头 with
//! every envelope field + `body`) and `{"code", "msg", "data"}`-style receipts.
//!
//! What it owns (the logic that is the same in both adapters; what differs is a parameter):
//! * [`text`]: camelCase ↔ snake_case keys of hub structures the platforms carry verbatim
//!   (体貌特征, 健康状况, 附件, …), and quoting values in errors;
//! * [`time`]: native Beijing time (`yyyy-MM-dd HH:mm:ss[.SSS]`) ↔ RFC 3339;
//! * [`document`]: the native documents both platforms share (the hub's `header` + `body`
//!   document, 拒收通知, refusal reasons, the persons of a referral) and [`native_struct!`];
//! * [`read`] / [`write`](mod@write): the decode and encode steps both codecs take (the hub
//!   documents' header, 拒收通知, REFERRAL_OUTCOME fields, required fields, hub codes and
//!   blocks);
//! * [`referral`]: the parts of a REFERRAL both platforms translate the same way (subjects,
//!   suspected flags, photos, legal bases, sensitivity, the referral's envelope);
//! * [`receipt`], [`codes`], [`config`], [`service`]: the skeletons of receipts, code-table
//!   lookups, settings and endpoint tables;
//! * `testing` (feature `test-support`): fixtures, golden files and proptest strategies of
//!   both adapters' test suites.
//!
//! Invariants: everything here is pure and total (no I/O, no panics on any input) like the
//! codecs that use it; error messages name native fields as the calling adapter passes them,
//! so an adapter's errors read exactly as if the code were its own. A [`Platform`] carries
//! the few things that differ between the two where the logic is the same.

pub mod codes;
pub mod config;
pub mod document;
pub mod read;
pub mod receipt;
pub mod referral;
pub mod service;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod text;
pub mod time;
pub mod write;

/// What differs between the JSON platforms in the steps they share.
#[derive(Debug, Clone, Copy)]
pub struct Platform {
    /// The native time layout with an example, for error messages
    /// (`yyyy-MM-dd HH:mm:ss (北京时间), e.g. 2025-03-02 14:12:35`).
    pub time_layout: &'static str,
    /// The native field a canonical REFERRAL pointer is about, if it maps to one (the
    /// adapter's `codes::native_field_of`): named in refusal reasons.
    pub native_field_of: fn(&str) -> Option<String>,
}

impl Platform {
    /// [`time::from_native`] with this platform's layout in the error.
    pub fn time_from_native(
        &self,
        field: &str,
        text: &str,
    ) -> Result<String, adapter_core::CodecError> {
        time::from_native(field, text, self.time_layout)
    }
}
