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

    /// Checks the settings; returns the first impossible one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: &str, reason: String| {
            Err(ConfigError::Invalid {
                field: field.to_string(),
                reason,
            })
        };
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
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.mae.validate()?;
        if self.num_classes < 2 {
            return Err(ConfigError::Invalid {
                field: "num_classes".into(),
                reason: "at least 2 classes are needed".into(),
            });
        }
        if self.head_hidden == 0 {
            return Err(ConfigError::Invalid {
                field: "head_hidden".into(),
                reason: "must be at least 1".into(),
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
        assert!("huge".parse::<Preset>().is_err());
        assert_eq!("FIP".parse::<Method>(), Ok(Method::Fip));
    }
}
