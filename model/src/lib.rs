//! FIP-DenoMAE model crate: everything shared by the trainer, the browser and the tests.
//!
//! - [`signal`]: seeded synthesis of the modulation classes and the channel.
//! - [`modality`]: rendering bursts into the images each modality sees.
//! - [`sigmf`]: SigMF recordings to and from bytes.
//! - [`batch`]: rendered images to Burn tensors.
//! - [`config`]: model configuration, size and method presets, every FIP knob.
//! - [`metrics`]: PSNR, SSIM and the masked view of an image.
//! - [`mae`]: the FIP-DenoMAE network (patchify, encoder, per-modality decoders, loss).
//! - [`masking`]: random, salience (SBAM) and adaptive (AMR) masking.
//! - [`classifier`]: the AMC classifier on the pretrained encoder.
//! - [`segment`]: the bursts or windows of a recording a classifier judges.
//! - [`studio`]: one burst through generation, rendering, masking, reconstruction and
//!   classification (the browser's signal studio and its golden-value test).
//! - [`report`]: the evaluation report (accuracy per SNR, confusion, reconstruction).
//! - [`bundle`]: the index of an exported weights folder.
//! - [`weights`]: models to and from bytes (f32 or f16).
//!
//! **Invariant:** this crate does no file or network I/O and builds for
//! `wasm32-unknown-unknown`; data enters and leaves as values and bytes.

pub mod batch;
pub mod bundle;
pub mod classifier;
pub mod config;
pub mod mae;
pub mod masking;
pub mod metrics;
pub mod modality;
pub mod report;
pub mod rng;
pub mod segment;
pub mod sigmf;
pub mod signal;
pub mod studio;
pub mod weights;

pub use modality::{Image, Modality, ModalityPair, RenderConfig, Renderer};
pub use signal::{DatasetSpec, Example, Modulation, Profile, SignalConfig, SnrSpec, C32};
