//! `fipmae-signal`: the signal side of FIP-DenoMAE, in pure Rust (no Burn).
//!
//! - [`vocab`]: what every part shares: `C32`, `SignalError`, `Modulation`, `Profile`,
//!   `ClassParameters`.
//! - [`settings`]: `SignalConfig`/`ChannelConfig`, their presets and checks.
//! - [`classes`]: the standard profile's baseband definitions and parameter ranges.
//! - [`channel`]: `synthesize` (phase, frequency and timing offsets, AWGN).
//! - [`dataset`]: seeded, regenerable datasets (`DatasetSpec::example(i)` → `Example`).
//! - [`rng`]: the seeded generator behind every draw (`Rng`, one stream per purpose).
//! - [`pulse`]: the RRC pulse, `erf`, pulse trains.
//! - [`modality`]: bursts → images (`Renderer`): constellation, scalogram, signal, noise.
//! - [`sigmf`]: SigMF recordings to and from bytes: metadata, samples, `.sigmf` archives.
//! - [`segment`]: the bursts or windows of a recording a classifier judges.
//! - [`offset`]: carrier frequency offset estimate (class-agnostic) and removal.
//! - [`foreign`]: bursts of modulations outside the class set (open-set measurements).
//!
//! The `denomae` profile (the public DenoMAE generator's definitions, a comparison aid)
//! lives in its own private module beside the classes.
//!
//! **Invariants:** no file or network I/O (bytes and values in and out); builds for
//! `wasm32-unknown-unknown`; example `i` of seed `s` is a pure function of `(s, i)` and the
//! [`DatasetSpec`]; rendering never produces NaN or infinity.

pub mod channel;
pub mod classes;
pub mod dataset;
mod denomae;
pub mod foreign;
pub mod modality;
pub mod offset;
pub mod pulse;
pub mod rng;
pub mod segment;
pub mod settings;
pub mod sigmf;
pub mod vocab;

pub use channel::{
    mean_power, synthesize, Burst, ChannelConfig, SignalConfig, DENOMAE_GMSK_SAMPLES_PER_BIT,
    STANDARD_MAX_FREQ_OFFSET,
};
pub use classes::{
    burst_parameters, BurstParameters, ClassParameters, Modulation, ParameterRanges, Profile,
    SignalError, C32, RANGES,
};
pub use dataset::{DatasetSpec, Example, SnrSpec};
pub use denomae::reference_alphabet;
pub use foreign::{synthesize_foreign, Foreign};
pub use modality::{Image, Modality, ModalityPair, RenderConfig, Renderer};
pub use pulse::{erf, rrc};
