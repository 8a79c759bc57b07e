//! The fipmae trainer as a library: each subcommand of the `fipmae` binary is a function
//! here, so tests drive exactly what users run.
//!
//! One folder per stage over shared floors, from the ground up: [`backend`], [`flags`] →
//! [`data`] (batches, recordings) and [`training`] (the epoch loop, the run folder) →
//! [`pretrain`], [`finetune`] → [`eval`], [`generate`], [`classify`], [`export`], [`import`] →
//! [`compare`], [`tools`]. A module imports only what stands below it.
//!
//! **Invariants:** all file I/O of the project happens here (the `model` crate only sees
//! bytes); every file is written atomically ([`fsutil::write_atomic`]); errors carry the
//! path or value they concern (`anyhow` with context).

pub mod backend;
pub mod classify;
pub mod compare;
pub mod data;
pub mod eval;
pub mod export;
pub mod finetune;
pub mod flags;
pub use datasets::fsutil;
pub mod generate;
pub mod import;
pub mod pretrain;
pub mod tools;
pub mod training;

/// A subcommand's options as the command line would give them for `flags`, every other
/// option at its documented default (so callers such as `compare` and tests repeat no
/// default).
pub fn args_from<A: clap::Args>(flags: &[&str]) -> anyhow::Result<A> {
    let cmd = A::augment_args(clap::Command::new("fipmae"));
    let matches =
        cmd.try_get_matches_from(std::iter::once("fipmae").chain(flags.iter().copied()))?;
    Ok(A::from_arg_matches(&matches)?)
}
