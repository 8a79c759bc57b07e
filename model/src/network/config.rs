//! Model configuration: the size presets, the method presets and every FIP knob.
//!
//! [`FipMaeConfig`] is what every later stage rebuilds the network from: the trainer saves
//! it beside every checkpoint and inside every weight file, the browser reads it back.
//! What a configuration may hold (the range checks, [`limits`], `validate()`) is in
//! [`super::checks`], re-exported here.
//!
//! Where each paper knob lives:
//!
//! | knob | field | FIP's value | range check |
//! |---|---|---|---|
//! | mask ratio `p_m` | [`ModalityConfig::mask_ratio`] | [`FIP_MASK_TARGET`] / [`DENOMAE_MASK_RATIO`] | [`check_mask_ratio`] |
//! | decoder depth `L_m` | [`ModalityConfig::decoder_depth`] | the preset's deeper target decoder | [`check_decoder_depth`] |
//! | loss weight `w_m` | [`ModalityConfig::loss_weight`] | [`FIP_WEIGHT_TARGET`] / 1 | [`check_loss_weight`] |
//! | target modality | [`FipMaeConfig::target`] |
//! | masking strategy (random / SBAM / AMR) | [`MaskingConfig`] |
//! | unpaired / missing modalities (M3AE) | [`ModalityConfig::present`], or leave a modality out of a batch |

use burn::config::Config;
use serde::{Deserialize, Serialize};

pub use super::checks::{check_decoder_depth, check_loss_weight, check_mask_ratio, limits};
pub use super::presets::{
    Method, Preset, DENOMAE_MASK_RATIO, FIP_MASK_TARGET, FIP_WEIGHT_TARGET, MAX_DECODER_DEPTH,
};
use crate::modality::{Modality, RenderConfig};

/// Typed errors for impossible settings.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// A setting outside its valid range.
    #[error("invalid model setting `{field}`: {reason}")]
    Invalid {
        /// The offending field.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A preset or method name that is not known.
    #[error("unknown {kind} `{name}` (known: {known})")]
    Unknown {
        /// What was being named (`preset`, `method`, …).
        kind: &'static str,
        /// The name given.
        name: String,
        /// The names that exist.
        known: &'static str,
    },
}

/// How visible tokens are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaskingStrategy {
    /// MAE: a uniformly random subset per example.
    Random,
    /// SBAM: tokens that draw the most attention are masked more often.
    Salience,
    /// AMR: SBAM with a mask ratio that adapts to the fraction of salient tokens.
    Adaptive,
}

impl std::str::FromStr for MaskingStrategy {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "random" => Ok(Self::Random),
            "salience" | "sbam" => Ok(Self::Salience),
            "adaptive" | "amr" => Ok(Self::Adaptive),
            _ => Err(ConfigError::Unknown {
                kind: "masking strategy",
                name: s.to_string(),
                known: "random, salience, adaptive",
            }),
        }
    }
}

/// Masking settings shared by all modalities (each keeps its own ratio `r0`).
#[derive(Config, Debug, PartialEq)]
pub struct MaskingConfig {
    /// Strategy (default: random).
    #[config(default = "MaskingStrategy::Random")]
    pub strategy: MaskingStrategy,
    /// AMR spread `v`: the ratio moves within `[r0 − v, r0 + v]` (default 0.1, our choice;
    /// the SBAM release gives none).
    #[config(default = 0.1)]
    pub amr_spread: f64,
    /// AMR salience threshold `δ` in `[0, 1]` (default 0.5, our choice).
    #[config(default = 0.5)]
    pub amr_threshold: f64,
    /// AMR per example (unequal visible lengths, key-padding mask) instead of per batch
    /// (default: false).
    #[config(default = false)]
    pub amr_per_sample: bool,
}

/// One modality's settings: its channels and its FIP knobs.
#[derive(Config, Debug, PartialEq)]
pub struct ModalityConfig {
    /// Which modality.
    pub modality: Modality,
    /// Image channels of its rendering (constellation 3, scalogram 1, signal/noise 2).
    pub channels: usize,
    /// Mask ratio `p_m` in `[0, 1)` (default 0.75).
    #[config(default = 0.75)]
    pub mask_ratio: f64,
    /// Decoder depth `L_m`, transformer blocks (default 1).
    #[config(default = 1)]
    pub decoder_depth: usize,
    /// Loss weight `w_m` ≥ 0 (default 1).
    #[config(default = 1.0)]
    pub loss_weight: f64,
    /// Whether the modality takes part at all (default: true).
    #[config(default = true)]
    pub present: bool,
}

/// The FIP-DenoMAE network.
#[derive(Config, Debug, PartialEq)]
pub struct FipMaeConfig {
    /// Input image height and width, pixels.
    pub image_size: usize,
    /// Patch height and width, pixels.
    pub patch_size: usize,
    /// Encoder width `D`.
    pub encoder_dim: usize,
    /// Encoder transformer blocks.
    pub encoder_depth: usize,
    /// Encoder attention heads (must divide `encoder_dim`).
    pub encoder_heads: usize,
    /// MLP hidden width as a multiple of the block width (default 4).
    #[config(default = 4.0)]
    pub mlp_ratio: f64,
    /// Decoder width.
    pub decoder_dim: usize,
    /// Decoder attention heads (must divide `decoder_dim`).
    pub decoder_heads: usize,
    /// The modalities, in token order.
    pub modalities: Vec<ModalityConfig>,
    /// The modality fine-tuning uses (default: constellation).
    #[config(default = "Modality::Constellation")]
    pub target: Modality,
    /// Masking settings.
    pub masking: MaskingConfig,
    /// Normalise each target patch by its own mean and variance (default: false).
    #[config(default = false)]
    pub norm_pix_loss: bool,
    /// Loss on all patches instead of the masked ones only (default: false).
    #[config(default = false)]
    pub loss_on_all_patches: bool,
}

/// Parameters of a linear layer `d_in → d_out` with bias.
fn linear_params(d_in: u128, d_out: u128) -> u128 {
    d_in * d_out + d_out
}

/// Parameters of one transformer block of width `d` (two norms, q/k/v/output, the MLP).
fn block_params(d: u128, mlp_ratio: f64) -> u128 {
    let hidden = ((d as f64) * mlp_ratio).round().max(1.0) as u128;
    4 * d + 4 * linear_params(d, d) + linear_params(d, hidden) + linear_params(hidden, d)
}

impl FipMaeConfig {
    /// The rendering settings this network reads for bursts of `signal`: the one place
    /// the image size of the renderer comes from (`image_size` lives here only).
    pub fn render_config(&self, signal: &crate::SignalConfig) -> RenderConfig {
        RenderConfig::for_signal(signal, self.image_size)
    }

    /// Patches per side.
    pub fn grid(&self) -> usize {
        self.image_size / self.patch_size.max(1)
    }

    /// Patches (tokens) per modality image.
    pub fn num_patches(&self) -> usize {
        self.grid() * self.grid()
    }

    /// The modalities present in the data, in token order.
    pub fn present_modalities(&self) -> Vec<Modality> {
        self.modalities
            .iter()
            .filter(|m| m.present)
            .map(|m| m.modality)
            .collect()
    }

    /// Index of `modality` in `modalities`, if configured.
    pub fn index_of(&self, modality: Modality) -> Option<usize> {
        self.modalities.iter().position(|m| m.modality == modality)
    }

    /// The configured mask ratio `p_m` of `modality`, if configured.
    pub fn mask_ratio_of(&self, modality: Modality) -> Option<f64> {
        self.index_of(modality)
            .map(|i| self.modalities[i].mask_ratio)
    }

    /// Parameters of the encoder alone, embedding the modalities whose channel counts are
    /// `channels` (what [`crate::encoder::Encoder`] holds).
    fn encoder_params(&self, channels: &[usize]) -> u128 {
        let (d, p) = (self.encoder_dim as u128, self.patch_size as u128);
        let embeds: u128 = channels
            .iter()
            .map(|&c| linear_params(p * p * c as u128, d))
            .sum();
        embeds
            + channels.len() as u128 * d
            + d
            + self.encoder_depth as u128 * block_params(d, self.mlp_ratio)
            + 2 * d
    }

    /// Parameters of the autoencoder this configuration builds (the encoder and one decoder
    /// per configured modality), computed without building it. Meaningful for a
    /// configuration whose sizes are within [`limits`] (no overflow then).
    pub fn num_params(&self) -> u128 {
        let channels: Vec<usize> = self.modalities.iter().map(|m| m.channels).collect();
        let (d, dd, p) = (
            self.encoder_dim as u128,
            self.decoder_dim as u128,
            self.patch_size as u128,
        );
        let decoders: u128 = self
            .modalities
            .iter()
            .map(|m| {
                linear_params(d, dd)
                    + dd
                    + m.decoder_depth as u128 * block_params(dd, self.mlp_ratio)
                    + 2 * dd
                    + linear_params(dd, p * p * m.channels as u128)
            })
            .sum();
        self.encoder_params(&channels) + decoders
    }
}

/// The AMC classifier on top of the encoder.
#[derive(Config, Debug, PartialEq)]
pub struct ClassifierConfig {
    /// The autoencoder configuration whose encoder and target patch embedding are used.
    pub mae: FipMaeConfig,
    /// Number of classes.
    pub num_classes: usize,
    /// Hidden width of the MLP head (default 256).
    #[config(default = 256)]
    pub head_hidden: usize,
    /// Train the head only, encoder frozen (default: false, full fine-tuning).
    #[config(default = false)]
    pub freeze_encoder: bool,
}

impl ClassifierConfig {
    /// Parameters of the classifier this configuration builds (the target modality's
    /// encoder and the head), computed without building it.
    pub fn num_params(&self) -> u128 {
        let m = &self.mae;
        let channels = m.index_of(m.target).map_or(1, |i| m.modalities[i].channels);
        let (d, h) = (m.encoder_dim as u128, self.head_hidden as u128);
        m.encoder_params(&[channels])
            + 2 * d
            + linear_params(d, h)
            + linear_params(h, self.num_classes as u128)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_and_round_trip_through_json() {
        for p in [Preset::Tiny, Preset::Small, Preset::Base] {
            for m in [Method::Vit, Method::Denomae, Method::Fip] {
                let c = FipMaeConfig::preset_with_method(p, m);
                assert_eq!(c.validate(), Ok(()), "{p:?} {m:?}");
                let json = serde_json::to_string(&c).expect("serialise");
                let back: FipMaeConfig = serde_json::from_str(&json).expect("parse");
                assert_eq!(back, c);
            }
        }
        let fip = FipMaeConfig::preset_with_method(Preset::Small, Method::Fip);
        let t = &fip.modalities[0];
        assert_eq!(
            (t.mask_ratio, t.decoder_depth, t.loss_weight),
            (0.85, 4, 2.0)
        );
        let o = &fip.modalities[1];
        assert_eq!(
            (o.mask_ratio, o.decoder_depth, o.loss_weight),
            (0.75, 2, 1.0)
        );
    }
}
