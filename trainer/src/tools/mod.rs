//! Tools for the people who build fipmae rather than for its users: throughput benchmarks
//! ([`bench`]), the fuzzer of every reader of outside bytes ([`fuzz`]) and the short
//! pipeline that compares backends ([`devcheck`]).

pub mod bench;
pub mod devcheck;
pub mod fuzz;
