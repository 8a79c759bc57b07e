//! One burst through the whole model, as the browser's signal studio shows it: generate a
//! burst of a chosen class, SNR and seed, render every modality, mask it with a chosen
//! strategy and ratios, reconstruct it, and classify the noisy target modality.
//!
//! The steps stop at tensors: reading results back is the caller's (synchronous natively,
//! asynchronous in the browser), so the native golden-value test and the browser run the
//! very same code.

use burn::tensor::{backend::Backend, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::batch::images_to_tensor;
use crate::config::{check_mask_ratio, FipMaeConfig, MaskingConfig, MaskingStrategy};
use crate::mae::{FipMae, ModalityInput};
use crate::masking::masking_noise;
use crate::modality::{Modality, ModalityPair, Renderer};
use crate::signal::{
    synthesize_foreign, DatasetSpec, Example, Foreign, Modulation, SignalConfig, SnrSpec,
};

/// Lowest SNR the studio offers, dB.
pub const MIN_SNR_DB: f64 = -20.0;
/// Highest SNR the studio offers, dB.
pub const MAX_SNR_DB: f64 = 30.0;
/// Highest mask ratio the studio accepts (at least one patch stays visible anyway).
pub const MAX_MASK_RATIO: f64 = 0.95;

/// What the user asked the studio for.
#[derive(Debug, Clone, PartialEq)]
pub struct StudioRequest {
    /// The class, by name (one of the bundle's classes).
    pub class: String,
    /// SNR, dB, in `MIN_SNR_DB..=MAX_SNR_DB`.
    pub snr_db: f64,
    /// Seed of the burst and of the masking noise.
    pub seed: u64,
    /// Masking strategy.
    pub strategy: MaskingStrategy,
    /// Mask ratio per modality, in `[0, MAX_MASK_RATIO]` (others keep the model's own).
    pub mask_ratios: Vec<(Modality, f64)>,
}

/// What a studio request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StudioClass {
    /// One of the generator's classes.
    Known(Modulation),
    /// A modulation outside the class set (never trained on).
    OutOfSet(Foreign),
}

/// Why a studio request cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StudioError {
    /// The class name is not one of ours.
    #[error("unknown class `{0}`")]
    Class(String),
    /// SNR out of range or not finite.
    #[error("SNR {0} dB is outside {MIN_SNR_DB}..{MAX_SNR_DB} dB")]
    Snr(f64),
    /// A mask ratio out of range.
    #[error("mask ratio {ratio} for {modality:?} is outside 0..{MAX_MASK_RATIO}")]
    Ratio {
        /// The modality.
        modality: Modality,
        /// The ratio given.
        ratio: f64,
    },
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] crate::modality::ModalityError),
    /// Images of the wrong shape for a batch.
    #[error(transparent)]
    Batch(#[from] crate::batch::BatchError),
    /// The modality the classifier reads was not rendered.
    #[error("no {0:?} images to classify")]
    Missing(Modality),
}

impl StudioRequest {
    /// Checks the ranges and returns the class: one of ours, or a modulation outside the
    /// class set ([`Foreign`], by name).
    pub fn validate(&self) -> Result<StudioClass, StudioError> {
        let class = Modulation::ALL
            .iter()
            .copied()
            .find(|m| m.name() == self.class)
            .map(StudioClass::Known)
            .or_else(|| {
                Foreign::ALL
                    .iter()
                    .copied()
                    .find(|f| f.name() == self.class)
                    .map(StudioClass::OutOfSet)
            })
            .ok_or_else(|| StudioError::Class(self.class.clone()))?;
        if !(MIN_SNR_DB..=MAX_SNR_DB).contains(&self.snr_db) {
            return Err(StudioError::Snr(self.snr_db));
        }
        for &(modality, ratio) in &self.mask_ratios {
            if check_mask_ratio(ratio).is_err() || ratio > MAX_MASK_RATIO {
                return Err(StudioError::Ratio { modality, ratio });
            }
        }
        Ok(class)
    }

    /// The burst: example 0 of a one-class dataset with this seed and SNR; for an
    /// out-of-set modulation, its burst through the same channel (the example's `class`
    /// and `label` then mean nothing: the request's name is the truth).
    pub fn example(&self, signal: &SignalConfig) -> Result<Example, StudioError> {
        match self.validate()? {
            StudioClass::Known(class) => {
                let mut spec = DatasetSpec::new(self.seed, SnrSpec::Fixed { db: self.snr_db });
                spec.classes = vec![class];
                spec.signal = signal.clone();
                Ok(spec.example(0))
            }
            StudioClass::OutOfSet(kind) => {
                let b = synthesize_foreign(kind, signal, self.seed, 0, self.snr_db);
                Ok(Example {
                    index: 0,
                    class: Modulation::ALL[0],
                    label: 0,
                    snr_db: self.snr_db,
                    clean: b.clean,
                    noise: b.noise,
                    noisy: b.noisy,
                })
            }
        }
    }

    /// Every modality `mae` knows (present ones), rendered as (input, target) pairs.
    pub fn render<B: Backend>(
        &self,
        mae: &FipMae<B>,
        renderer: &Renderer,
        example: &Example,
    ) -> Result<Vec<ModalityPair>, StudioError> {
        Ok(renderer.render_pairs(&mae.config.present_modalities(), example)?)
    }

    /// The model's masking settings with this request's strategy.
    pub fn masking(&self, config: &FipMaeConfig) -> MaskingConfig {
        let mut m = config.masking.clone();
        m.strategy = self.strategy;
        m
    }

    /// This request's mask ratio for `modality`, else the configured one.
    pub fn mask_ratio(&self, config: &FipMaeConfig, modality: Modality) -> f64 {
        self.mask_ratios
            .iter()
            .find(|(m, _)| *m == modality)
            .map(|(_, r)| *r)
            .or_else(|| config.mask_ratio_of(modality))
            .unwrap_or(crate::config::DENOMAE_MASK_RATIO)
    }

    /// The network inputs for `pairs`, batch 1, with masking noise from this seed.
    pub fn inputs<B: Backend>(
        &self,
        mae: &FipMae<B>,
        pairs: &[ModalityPair],
        device: &B::Device,
    ) -> Result<Vec<ModalityInput<B>>, StudioError> {
        let l = mae.config.num_patches();
        pairs
            .iter()
            .enumerate()
            .map(|(slot, p)| {
                Ok(ModalityInput {
                    modality: p.modality,
                    input: images_to_tensor(&[&p.input], device)?,
                    target: images_to_tensor(&[&p.target], device)?,
                    noise: Tensor::from_data(
                        TensorData::new(masking_noise(self.seed, 0, &[0], slot, l), [1, l]),
                        device,
                    ),
                    mask_ratio: self.mask_ratio(&mae.config, p.modality),
                    present: None,
                })
            })
            .collect()
    }
}

/// The classifier's input for `pairs`: the noisy image of `target`, `[1, c, s, s]`.
pub fn classifier_input<B: Backend>(
    pairs: &[ModalityPair],
    target: Modality,
    device: &B::Device,
) -> Result<Tensor<B, 4>, StudioError> {
    let pair = pairs
        .iter()
        .find(|p| p.modality == target)
        .ok_or(StudioError::Missing(target))?;
    Ok(images_to_tensor(&[&pair.input], device)?)
}

/// One modality's rendered images in a golden record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldenImages {
    /// The modality.
    pub modality: Modality,
    /// Channels.
    pub channels: usize,
    /// Side, pixels.
    pub size: usize,
    /// The noisy input image, `channels × size × size`.
    pub input: Vec<f32>,
    /// The clean target image, `channels × size × size`.
    pub target: Vec<f32>,
    /// The autoencoder's reconstruction, `channels × size × size`.
    pub reconstruction: Vec<f32>,
    /// The mask, one value per patch (1 = removed).
    pub mask: Vec<f32>,
}

/// Native outputs of the studio path for one request, which the browser must reproduce
/// (`tests/golden/studio.json`; the native test `tests/tests/golden.rs` writes it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Golden {
    /// The request's class.
    pub class: String,
    /// The request's SNR, dB.
    pub snr_db: f64,
    /// The request's seed.
    pub seed: u64,
    /// Per modality: inputs and outputs.
    pub modalities: Vec<GoldenImages>,
    /// The classifier's logits on the noisy target modality.
    pub logits: Vec<f32>,
}

impl Golden {
    /// The request this record was made with (random masking, the model's own ratios).
    pub fn request(&self) -> StudioRequest {
        StudioRequest {
            class: self.class.clone(),
            snr_db: self.snr_db,
            seed: self.seed,
            strategy: MaskingStrategy::Random,
            mask_ratios: Vec::new(),
        }
    }

    /// The recorded images as (input, target) pairs, to feed both sides the same inputs.
    pub fn pairs(&self) -> Vec<ModalityPair> {
        self.modalities
            .iter()
            .map(|g| {
                let image = |data: &Vec<f32>| crate::modality::Image {
                    channels: g.channels,
                    size: g.size,
                    data: data.clone(),
                };
                ModalityPair {
                    modality: g.modality,
                    input: image(&g.input),
                    target: image(&g.target),
                }
            })
            .collect()
    }
}

/// Largest absolute difference between two equally long slices (`+∞` when the lengths
/// differ, NaN-aware: a NaN on either side counts as `+∞`).
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return f32::INFINITY;
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = (x - y).abs();
            if d.is_nan() {
                f32::INFINITY
            } else {
                d
            }
        })
        .fold(0.0, f32::max)
}
