//! Cross-crate tests: the transport and adapter conformance suites, end-to-end runs over
//! the real RabbitMQ, fault injection (broker restart, connection cut, SIGKILL), golden files.
//!
//! Suites land with the issues that build what they test; the contracts crate carries its
//! own unit and fixture tests in `contracts/tests/`. Rule for everything here: each test
//! isolates itself (own vhost or uniquely named queues) and bounds every wait.

pub use contracts;
