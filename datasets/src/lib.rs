//! Files for FIP-DenoMAE that need no Burn: atomic writes and capped reads ([`fsutil`]),
//! and the importers of public datasets into SigMF recordings ([`import`]: RadioML
//! 2016.10a's pickle; RadioML 2018.01a's HDF5 file with the `hdf5` feature). A crate of
//! its own so that the importers' tests (and the libhdf5 link) build without Burn.
//!
//! A library: functions take plain options and return values or a typed
//! [`DatasetsError`]; the command line (flags, printing, `anyhow`) is the trainer's.

pub mod error;
pub mod fsutil;
pub mod import;

pub use error::DatasetsError;
