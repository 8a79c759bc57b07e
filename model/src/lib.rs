//! FIP-DenoMAE model crate: everything shared by the trainer, the browser and the tests,
//! in three layers.
//!
//! 1. **The signal side** is its own Burn-free crate, `fipmae-signal`, re-exported here
//!    as [`signal`] (with [`modality`], [`sigmf`], [`segment`] and [`rng`]): seeded
//!    synthesis of the modulation classes and the channel, rendering into modality
//!    images, SigMF recordings to and from bytes.
//! 2. **The network** ([`network`]): [`config`] (size and method presets, every FIP
//!    knob), [`masking`] (random, salience/SBAM, adaptive/AMR), [`encoder`] (the shared
//!    ViT encoder), [`mae`] (the FIP-DenoMAE autoencoder), [`classifier`] (the AMC
//!    classifier on the encoder), [`weights`] (models to and from bytes).
//! 3. **What the trainer and the page share about results** ([`results`]): [`batch`]
//!    (images to tensors), [`metrics`] (PSNR, SSIM, the masked view), [`studio`] (one burst
//!    end to end, and the golden values), [`report`] (`report.json`), [`bundle`]
//!    (`bundle.json`).
//!
//! Every module is also reachable at the crate root (`model::mae`, `model::sigmf`, …).
//!
//! **Invariant:** this crate does no file or network I/O and builds for
//! `wasm32-unknown-unknown`; data enters and leaves as values and bytes.

pub mod network;
pub mod results;

pub use ::signal;
pub use ::signal::{modality, rng, segment, sigmf};
pub use network::{classifier, config, encoder, mae, masking, weights};
pub use results::{batch, bundle, calibration, metrics, openset, plot, report, studio, verdict};

pub use signal::{
    DatasetSpec, Example, Image, Modality, ModalityPair, Modulation, Profile, RenderConfig,
    Renderer, SignalConfig, SnrSpec, C32,
};
