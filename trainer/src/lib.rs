//! The fipmae trainer as a library: each subcommand of the `fipmae` binary is a function
//! here, so tests drive exactly what users run.
//!
//! **Invariants:** all file I/O of the project happens here (the `model` crate only sees
//! bytes); every file is written atomically ([`fsutil::write_atomic`]); errors carry the
//! path or value they concern (`anyhow` with context).

pub mod backend;
pub mod bench;
pub mod classify;
pub mod compare;
pub mod data;
pub mod eval;
pub mod export;
pub mod finetune;
pub mod fsutil;
pub mod generate;
pub mod pretrain;
pub mod preview;
