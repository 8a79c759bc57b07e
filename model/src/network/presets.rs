//! The presets: sizes (`tiny`, `small`, `base`, SPEC §4), methods (ViT, DenoMAE,
//! FIP-DenoMAE) and the FIP values, as named constants beside their doc.

use serde::{Deserialize, Serialize};

use super::config::{ConfigError, FipMaeConfig, MaskingConfig, ModalityConfig};
use crate::modality::{Modality, RenderConfig};

/// Pretraining method presets (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// No pretraining: a ViT classifier trained from scratch.
    Vit,
    /// All modalities alike: [`DENOMAE_MASK_RATIO`], equal decoder depth, weight 1.
    Denomae,
    /// Biased toward the target: [`FIP_MASK_TARGET`] vs [`DENOMAE_MASK_RATIO`], the
    /// preset's deeper target decoder, [`FIP_WEIGHT_TARGET`] vs 1.
    Fip,
}

impl std::str::FromStr for Method {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vit" => Ok(Self::Vit),
            "denomae" => Ok(Self::Denomae),
            "fip" | "fip-denomae" => Ok(Self::Fip),
            _ => Err(ConfigError::Unknown {
                kind: "method",
                name: s.to_string(),
                known: "vit, denomae, fip",
            }),
        }
    }
}

/// Size presets (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// 32 px / 8 px patches, width 64, depth 2: unit tests and CI.
    Tiny,
    /// 64 px / 8 px patches, width 192, depth 6: CPU training and the browser demo.
    Small,
    /// 224 px / 16 px patches, width 768, depth 12: GPU, paper scale.
    Base,
}

impl std::str::FromStr for Preset {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tiny" => Ok(Self::Tiny),
            "small" => Ok(Self::Small),
            "base" => Ok(Self::Base),
            _ => Err(ConfigError::Unknown {
                kind: "preset",
                name: s.to_string(),
                known: "tiny, small, base",
            }),
        }
    }
}

/// DenoMAE's mask ratio, for every modality (and FIP's `p_other`).
pub const DENOMAE_MASK_RATIO: f64 = 0.75;
/// FIP's mask ratio for the target modality, `p_target` (the FIP paper: 0.85).
pub const FIP_MASK_TARGET: f64 = 0.85;
/// FIP's loss weight for the target modality, `w_target` (others keep 1).
pub const FIP_WEIGHT_TARGET: f64 = 2.0;
/// The largest decoder depth a configuration may ask for (a bound against hostile files).
pub const MAX_DECODER_DEPTH: usize = 64;

/// The sizes of a preset (everything but the modalities and the method's knobs).
struct Sizes {
    image: usize,
    patch: usize,
    dim: usize,
    depth: usize,
    heads: usize,
    decoder_dim: usize,
    decoder_heads: usize,
    /// Decoder depth of the non-target modalities (and of every modality under DenoMAE).
    decoder_depth: usize,
    /// FIP's deeper target decoder, `L_target`.
    target_decoder_depth: usize,
}

impl Preset {
    fn sizes(self) -> Sizes {
        match self {
            Preset::Tiny => Sizes {
                image: 32,
                patch: 8,
                dim: 64,
                depth: 2,
                heads: 2,
                decoder_dim: 32,
                decoder_heads: 2,
                decoder_depth: 1,
                target_decoder_depth: 1,
            },
            Preset::Small => Sizes {
                image: 64,
                patch: 8,
                dim: 192,
                depth: 6,
                heads: 3,
                decoder_dim: 128,
                decoder_heads: 4,
                decoder_depth: 2,
                target_decoder_depth: 4,
            },
            Preset::Base => Sizes {
                image: 224,
                patch: 16,
                dim: 768,
                depth: 12,
                heads: 12,
                decoder_dim: 512,
                decoder_heads: 16,
                decoder_depth: 4,
                target_decoder_depth: 8,
            },
        }
    }
}

impl FipMaeConfig {
    /// `tiny`: 32 px / 8 px patches, width 64, depth 2 (unit tests and CI), DenoMAE knobs.
    pub fn tiny() -> Self {
        Self::preset(Preset::Tiny)
    }

    /// `small`: 64 px / 8 px patches, width 192, depth 6 (CPU training, the demo), DenoMAE
    /// knobs.
    pub fn small() -> Self {
        Self::preset(Preset::Small)
    }

    /// `base`: 224 px / 16 px patches, width 768, depth 12 (GPU, paper scale), DenoMAE
    /// knobs.
    pub fn base() -> Self {
        Self::preset(Preset::Base)
    }

    /// A size preset with the DenoMAE method (all four modalities alike:
    /// [`DENOMAE_MASK_RATIO`], the preset's decoder depth, weight 1).
    pub fn preset(preset: Preset) -> Self {
        let z = preset.sizes();
        let render = RenderConfig::for_signal(&crate::SignalConfig::standard(), z.image);
        let modalities = Modality::ALL
            .iter()
            .map(|&m| {
                ModalityConfig::new(m, m.channels(&render))
                    .with_mask_ratio(DENOMAE_MASK_RATIO)
                    .with_decoder_depth(z.decoder_depth)
            })
            .collect();
        Self::new(
            z.image,
            z.patch,
            z.dim,
            z.depth,
            z.heads,
            z.decoder_dim,
            z.decoder_heads,
            modalities,
            MaskingConfig::new(),
        )
    }

    /// A size preset with a method's knobs applied (see [`Method`]). `Vit` gives the
    /// DenoMAE configuration (the encoder a from-scratch classifier uses).
    pub fn preset_with_method(preset: Preset, method: Method) -> Self {
        let mut c = Self::preset(preset);
        if method == Method::Fip {
            let target = c.target;
            for m in c.modalities.iter_mut().filter(|m| m.modality == target) {
                m.mask_ratio = FIP_MASK_TARGET;
                m.decoder_depth = preset.sizes().target_decoder_depth;
                m.loss_weight = FIP_WEIGHT_TARGET;
            }
        }
        c
    }
}
