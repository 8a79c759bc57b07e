//! What a configuration may hold: the one range check per FIP knob ([`check_mask_ratio`],
//! [`check_decoder_depth`], [`check_loss_weight`]), the upper bounds on every size
//! ([`limits`]) and `validate()` of [`FipMaeConfig`] and [`ClassifierConfig`], which apply
//! them. Re-exported from [`crate::config`]; the types themselves live there.
//!
//! A file of its own because it answers a question of its own: every setting admitted from
//! outside (the trainer's flags, `compare --sweep`, the page's sliders, a weight file's
//! header, `run.json`) passes through here, while `config.rs` holds what the network is
//! built from.

use super::config::{ClassifierConfig, ConfigError, FipMaeConfig};
use super::presets::MAX_DECODER_DEPTH;

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

/// The error for `field`, with `reason`.
fn bad(field: &str, reason: String) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid {
        field: field.to_string(),
        reason,
    })
}

impl FipMaeConfig {
    /// Checks the settings; returns the first impossible one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_sizes()?;
        self.validate_modalities()?;
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

    /// The sizes: limits, patch and head divisibility, depth, MLP ratio, widths.
    fn validate_sizes(&self) -> Result<(), ConfigError> {
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
        Ok(())
    }

    /// The modalities: one present, the target configured, each one's knobs, no repeats.
    fn validate_modalities(&self) -> Result<(), ConfigError> {
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
        Ok(())
    }
}

impl ClassifierConfig {
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
    use crate::config::{Method, Preset};

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
