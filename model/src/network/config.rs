//! Model configuration: the size presets, the method presets and every FIP knob.
//!
//! [`FipMaeConfig`] is what every later stage rebuilds the network from: the trainer saves
//! it beside every checkpoint and inside every weight file, the browser reads it back.
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

/// Checks a mask ratio `p_m`: in `[0, 1)`. The one range check every caller uses (the
/// config, `pretrain`'s flags, `compare --sweep`, the page's sliders, `forward`'s input).
pub fn check_mask_ratio(v: f64) -> Result<f64, String> {
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("mask ratio {v} is outside [0, 1)"))
    }
}

/// Upper bounds every configuration is checked against (configurations come from files
/// anyone can write: a weight file, `run.json`, `bundle.json`). Far above the `base`
/// preset, low enough that nothing they allow can exhaust memory before it is refused.
pub mod limits {
    /// Largest image side, pixels.
    pub const IMAGE_SIZE: usize = 1024;
    /// Most patches (tokens) per modality image.
    pub const TOKENS: usize = 4096;
    /// Widest encoder or decoder.
    pub const WIDTH: usize = 4096;
    /// Most attention heads.
    pub const HEADS: usize = 128;
    /// Deepest encoder, blocks.
    pub const ENCODER_DEPTH: usize = 96;
    /// Most modalities configured.
    pub const MODALITIES: usize = 8;
    /// Most channels per modality image.
    pub const CHANNELS: usize = 64;
    /// Widest classifier head.
    pub const HEAD_HIDDEN: usize = 16384;
    /// Most classes.
    pub const CLASSES: usize = 1024;
    /// Most parameters of a whole network (2·10⁹: 8 GB in f32).
    pub const PARAMETERS: u128 = 2_000_000_000;
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

/// Checks a decoder depth `L_m`: in `1..=MAX_DECODER_DEPTH` blocks.
pub fn check_decoder_depth(v: usize) -> Result<usize, String> {
    if (1..=MAX_DECODER_DEPTH).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "decoder depth {v} is outside 1..={MAX_DECODER_DEPTH}"
        ))
    }
}

/// Checks a loss weight `w_m`: finite and ≥ 0.
pub fn check_loss_weight(v: f64) -> Result<f64, String> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("loss weight {v} must be finite and ≥ 0"))
    }
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

    /// Checks the settings; returns the first impossible one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: &str, reason: String| {
            Err(ConfigError::Invalid {
                field: field.to_string(),
                reason,
            })
        };
        let bounds = [
            ("image_size", self.image_size, limits::IMAGE_SIZE),
            ("encoder_dim", self.encoder_dim, limits::WIDTH),
            ("decoder_dim", self.decoder_dim, limits::WIDTH),
            ("encoder_heads", self.encoder_heads, limits::HEADS),
            ("decoder_heads", self.decoder_heads, limits::HEADS),
            ("encoder_depth", self.encoder_depth, limits::ENCODER_DEPTH),
            ("modalities", self.modalities.len(), limits::MODALITIES),
        ];
        for (field, v, max) in bounds {
            if v > max {
                return bad(field, format!("{v} is above the limit of {max}"));
            }
        }
        if let Some(i) = self
            .modalities
            .iter()
            .position(|m| m.channels > limits::CHANNELS)
        {
            return bad(
                &format!("modalities[{i}].channels"),
                format!("above the limit of {}", limits::CHANNELS),
            );
        }
        if self.patch_size == 0
            || self.image_size == 0
            || !self.image_size.is_multiple_of(self.patch_size)
        {
            return bad(
                "image_size",
                format!(
                    "{} is not divisible by patch_size {}",
                    self.image_size, self.patch_size
                ),
            );
        }
        if self.num_patches() > limits::TOKENS {
            return bad(
                "patch_size",
                format!(
                    "{} patches per image is above the limit of {}",
                    self.num_patches(),
                    limits::TOKENS
                ),
            );
        }
        for (field, dim, heads) in [
            ("encoder_heads", self.encoder_dim, self.encoder_heads),
            ("decoder_heads", self.decoder_dim, self.decoder_heads),
        ] {
            if dim == 0 || heads == 0 || dim % heads != 0 {
                return bad(
                    field,
                    format!("width {dim} is not divisible by {heads} heads"),
                );
            }
        }
        if self.encoder_depth == 0 {
            return bad("encoder_depth", "must be at least 1".into());
        }
        if !(self.mlp_ratio > 0.0 && self.mlp_ratio <= 16.0) {
            return bad("mlp_ratio", "must be in (0, 16]".into());
        }
        if !self.encoder_dim.is_multiple_of(4) || !self.decoder_dim.is_multiple_of(4) {
            return bad(
                "encoder_dim",
                "widths must be multiples of 4 (2-D sin-cos positions)".into(),
            );
        }
        if !self.modalities.iter().any(|m| m.present) {
            return bad("modalities", "no modality is present".into());
        }
        if self.index_of(self.target).is_none() {
            return bad(
                "target",
                format!("target modality {:?} is not configured", self.target),
            );
        }
        for (i, m) in self.modalities.iter().enumerate() {
            let f = |name: &str| format!("modalities[{i}].{name}");
            if let Err(e) = check_mask_ratio(m.mask_ratio) {
                return bad(&f("mask_ratio"), e);
            }
            if let Err(e) = check_decoder_depth(m.decoder_depth) {
                return bad(&f("decoder_depth"), e);
            }
            if let Err(e) = check_loss_weight(m.loss_weight) {
                return bad(&f("loss_weight"), e);
            }
            if m.channels == 0 {
                return bad(&f("channels"), "must be at least 1".into());
            }
            if self.modalities[..i]
                .iter()
                .any(|o| o.modality == m.modality)
            {
                return bad(
                    &f("modality"),
                    format!("{:?} is configured twice", m.modality),
                );
            }
        }
        let k = &self.masking;
        if !(0.0..0.5).contains(&k.amr_spread) {
            return bad("masking.amr_spread", "must be in [0, 0.5)".into());
        }
        if !(0.0..=1.0).contains(&k.amr_threshold) {
            return bad("masking.amr_threshold", "must be in [0, 1]".into());
        }
        if self.num_params() > limits::PARAMETERS {
            return bad(
                "encoder_dim",
                format!(
                    "the network would have {} parameters, above the limit of {}",
                    self.num_params(),
                    limits::PARAMETERS
                ),
            );
        }
        Ok(())
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

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.mae.validate()?;
        if !(2..=limits::CLASSES).contains(&self.num_classes) {
            return Err(ConfigError::Invalid {
                field: "num_classes".into(),
                reason: format!("{} is outside 2..={}", self.num_classes, limits::CLASSES),
            });
        }
        if !(1..=limits::HEAD_HIDDEN).contains(&self.head_hidden) {
            return Err(ConfigError::Invalid {
                field: "head_hidden".into(),
                reason: format!(
                    "{} is outside 1..={}",
                    self.head_hidden,
                    limits::HEAD_HIDDEN
                ),
            });
        }
        Ok(())
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

    #[test]
    fn impossible_settings_are_named() {
        let base = FipMaeConfig::preset(Preset::Tiny);
        let field = |c: &FipMaeConfig| match c.validate() {
            Err(ConfigError::Invalid { field, .. }) => field,
            other => format!("{other:?}"),
        };
        let mut c = base.clone();
        c.patch_size = 7;
        assert_eq!(field(&c), "image_size");
        let mut c = base.clone();
        c.encoder_heads = 3;
        assert_eq!(field(&c), "encoder_heads");
        let mut c = base.clone();
        c.modalities[1].mask_ratio = 1.0;
        assert_eq!(field(&c), "modalities[1].mask_ratio");
        let mut c = base.clone();
        c.modalities.iter_mut().for_each(|m| m.present = false);
        assert_eq!(field(&c), "modalities");
        // upper bounds, before anything could be allocated
        let mut c = base.clone();
        c.encoder_depth = 1_000_000_000;
        assert_eq!(field(&c), "encoder_depth");
        let mut c = base.clone();
        c.encoder_dim = 1 << 30;
        assert_eq!(field(&c), "encoder_dim");
        let mut c = base.clone();
        c.image_size = 1024;
        c.patch_size = 4;
        assert_eq!(field(&c), "patch_size");
        let mut c = base.clone();
        c.modalities[0].channels = 1000;
        assert_eq!(field(&c), "modalities[0].channels");
        let mut c = FipMaeConfig::preset(Preset::Base);
        c.encoder_dim = 4096;
        c.encoder_heads = 64;
        c.encoder_depth = 96;
        assert!(
            matches!(c.validate(), Err(ConfigError::Invalid { ref reason, .. }) if reason.contains("parameters")),
            "{:?}",
            c.validate()
        );
        let cls = |n: usize, h: usize| {
            ClassifierConfig::new(base.clone(), n)
                .with_head_hidden(h)
                .validate()
                .is_ok()
        };
        assert!(cls(10, 256) && !cls(1, 256) && !cls(5000, 256) && !cls(10, 1 << 20));
        assert!("huge".parse::<Preset>().is_err());
        assert_eq!("FIP".parse::<Method>(), Ok(Method::Fip));
    }
}
