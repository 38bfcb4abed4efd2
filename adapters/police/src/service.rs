//! Where police documents go: the police exchange service's paths for the kinds it receives,
//! and the adapter's own intake path for the kinds it sends. Declarative data only; the
//! runtime that posts and listens is written elsewhere.
//!
//! Transport (domain.md §5.2, §8): HTTPS through the police boundary platform's data-exchange
//! mode (数据交换), store-and-forward. Every call is one document in the body, answered by a
//! receipt `<HZ>` (FORMAT.md "Receipts"); the same document may be sent again after a timeout
//! (the message id in `xxbs` deduplicates it).
//!
//! Invariant: every [`DocumentKind`] has exactly one [`Endpoint`].

use crate::native::DocumentKind;

/// Path on the adapter (relative to [`crate::config::PoliceConfig::listen`]) where the police
/// system posts every document it sends (`<ZJ>`, `<JJB>`, `<HCSL>`, `<HCJG>`, `<SYQQ>`,
/// `<ZSTB>`, `<LHSP>`); the root element says the kind. Answered with a receipt.
pub const INTAKE_PATH: &str = "/police/documents";

/// Who listens at an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// The police exchange service, relative to [`crate::config::PoliceConfig::base_url`].
    PoliceSystem,
    /// The adapter itself ([`INTAKE_PATH`]), where a police-system simulator posts too.
    Adapter,
}

/// Where documents of one kind are posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The document kind.
    pub kind: DocumentKind,
    /// Who listens.
    pub listener: Listener,
    /// The path.
    pub path: &'static str,
}

const fn police(kind: DocumentKind, path: &'static str) -> Endpoint {
    Endpoint {
        kind,
        listener: Listener::PoliceSystem,
        path,
    }
}

const fn adapter(kind: DocumentKind) -> Endpoint {
    Endpoint {
        kind,
        listener: Listener::Adapter,
        path: INTAKE_PATH,
    }
}

/// One endpoint per kind, in [`DocumentKind::ALL`] order. The police exchange service files
/// received documents by kind under `/jzgl/jsxx/` (救助管理/接收信息).
pub const ENDPOINTS: [Endpoint; 19] = [
    police(DocumentKind::Zj, "/jzgl/jsxx/ZJ"),
    police(DocumentKind::Zjfk, "/jzgl/jsxx/ZJFK"),
    adapter(DocumentKind::Jjb),
    police(DocumentKind::Qshz, "/jzgl/jsxx/QSHZ"),
    police(DocumentKind::Xcsq, "/jzgl/jsxx/XCSQ"),
    adapter(DocumentKind::Hcsl),
    adapter(DocumentKind::Hcjg),
    police(DocumentKind::Sfgx, "/jzgl/jsxx/SFGX"),
    adapter(DocumentKind::Syqq),
    police(DocumentKind::Szqr, "/jzgl/jsxx/SZQR"),
    police(DocumentKind::Rzdj, "/jzgl/jsxx/RZDJ"),
    police(DocumentKind::Lzdj, "/jzgl/jsxx/LZDJ"),
    adapter(DocumentKind::Zstb),
    police(DocumentKind::Bdfk, "/jzgl/jsxx/BDFK"),
    police(DocumentKind::Lhsq, "/jzgl/jsxx/LHSQ"),
    adapter(DocumentKind::Lhsp),
    police(DocumentKind::Tfsj, "/jzgl/jsxx/TFSJ"),
    police(DocumentKind::Jstz, "/jzgl/jsxx/JSTZ"),
    police(DocumentKind::Sxtx, "/jzgl/jsxx/SXTX"),
];

/// The endpoint of a kind.
pub fn endpoint(kind: DocumentKind) -> Endpoint {
    ENDPOINTS
        .iter()
        .copied()
        .find(|e| e.kind == kind)
        .unwrap_or(Endpoint {
            kind,
            listener: Listener::Adapter,
            path: INTAKE_PATH,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_endpoint_matching_the_authorization_matrix() {
        for (kind, endpoint) in DocumentKind::ALL.iter().zip(ENDPOINTS.iter()) {
            assert_eq!(*kind, endpoint.kind);
            assert_eq!(
                ENDPOINTS.iter().filter(|e| e.kind == *kind).count(),
                1,
                "{kind:?}"
            );
            match endpoint.listener {
                Listener::PoliceSystem => {
                    assert!(kind.police_receives(), "{kind:?}");
                    assert_eq!(endpoint.path, format!("/jzgl/jsxx/{}", kind.root()));
                }
                Listener::Adapter => assert!(!kind.police_receives(), "{kind:?}"),
            }
        }
    }
}
