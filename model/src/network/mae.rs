//! The FIP-DenoMAE network, in the order of the MAE reference (`models_mae.py`):
//! `patchify`/`unpatchify` (in [`crate::encoder`], re-exported here), masking (see
//! [`crate::masking`]), `forward_encoder` (the shared [`Encoder`] over every modality's
//! visible tokens), `forward_decoder`, `forward_loss`. As in MAE's `forward(imgs,
//! mask_ratio)`, each modality's mask ratio is an input ([`ModalityInput::mask_ratio`]).
//!
//! Conventions that are easy to flip:
//! - images are `[batch, channels, height, width]`; patches are row-major over the grid,
//!   each flattened as `(patch_row, patch_col, channel)` like the reference;
//! - **mask: 1 = removed (the decoder must predict it), 0 = kept (the encoder sees it)**;
//! - `ids_restore[b, j]` is the rank of token `j` in the shuffled order, so gathering the
//!   shuffled sequence with it restores the original order;
//! - attention runs over the token axis of `[batch, tokens, dim]` (never across the batch);
//! - the loss compares predictions with the *clean* target of each modality.

use burn::module::{Module, Param};
use burn::nn::{LayerNorm, LayerNormConfig, Linear};
use burn::tensor::{backend::Backend, Int, Tensor};

pub use crate::encoder::{patchify, unpatchify};

use crate::config::{check_mask_ratio, ConfigError, FipMaeConfig, MaskingConfig};
use crate::encoder::{linear, materialize, per_token, positions, token, Block, Encoder};
use crate::masking::{mask_tokens, Masked};
use crate::modality::Modality;

/// Errors from running the network on inputs that do not fit its configuration.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ModelError {
    /// The configuration is impossible.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An input's shape does not match the configuration.
    #[error("{what} has shape {got:?}, expected {expected:?}")]
    Shape {
        /// Which input.
        what: String,
        /// The expected shape.
        expected: Vec<usize>,
        /// The given shape.
        got: Vec<usize>,
    },
    /// A modality that is not configured or not present was given.
    #[error("modality {0:?} is not configured as present in this model")]
    Modality(Modality),
    /// No modality was given.
    #[error("the batch holds no modality")]
    Empty,
}

/// One modality's MAE decoder.
#[derive(Module, Debug)]
pub struct Decoder<B: Backend> {
    /// Encoder width → decoder width.
    pub embed: Linear<B>,
    /// The learned token standing in for every masked patch, `[1, 1, decoder_dim]`.
    pub mask_token: Param<Tensor<B, 3>>,
    /// `L_m` transformer blocks.
    pub blocks: Vec<Block<B>>,
    /// Final norm.
    pub norm: LayerNorm<B>,
    /// Decoder width → patch pixels `p·p·c`.
    pub pred: Linear<B>,
    /// Fixed decoder positions, `[1, L, decoder_dim]`.
    pub pos_embed: Tensor<B, 3>,
}

/// One modality of a batch, as the network takes it.
#[derive(Debug, Clone)]
pub struct ModalityInput<B: Backend> {
    /// Which modality.
    pub modality: Modality,
    /// Rendered from the noisy burst, `[batch, channels, size, size]`.
    pub input: Tensor<B, 4>,
    /// Rendered from the clean burst, `[batch, channels, size, size]`.
    pub target: Tensor<B, 4>,
    /// Masking noise in `[0, 1)`, `[batch, L]` (randomness is an input).
    pub noise: Tensor<B, 2>,
    /// Fraction of this modality's patches to remove, in `[0, 1)` (the configured
    /// [`crate::config::ModalityConfig::mask_ratio`] in training; the page's slider).
    pub mask_ratio: f64,
    /// Per example, 1 where the modality is present and 0 where it is absent (a recorded
    /// burst has no noise image), `[batch]`; `None`: present in every example. An absent
    /// modality's tokens are hidden from the encoder (key padding) and it adds no loss.
    pub present: Option<Tensor<B, 1>>,
}

/// What the network returns for one modality.
#[derive(Debug, Clone)]
pub struct ModalityOutput<B: Backend> {
    /// Which modality.
    pub modality: Modality,
    /// Its unweighted loss, `[1]`.
    pub loss: Tensor<B, 1>,
    /// Its reconstruction as images, `[batch, channels, size, size]`.
    pub pred: Tensor<B, 4>,
    /// Its mask, `[batch, L]`, 1 = removed.
    pub mask: Tensor<B, 2>,
}

/// What [`FipMae::forward`] returns.
#[derive(Debug, Clone)]
pub struct MaeOutput<B: Backend> {
    /// `Σ_m w_m · loss_m`, `[1]`.
    pub loss: Tensor<B, 1>,
    /// Per modality, in input order.
    pub modalities: Vec<ModalityOutput<B>>,
}

/// The encoder's output and the masking of each modality segment.
#[derive(Debug, Clone)]
pub struct Encoded<B: Backend> {
    /// `[batch, 1 + Σ_m K_m, dim]`: CLS, then each modality's visible tokens.
    pub latent: Tensor<B, 3>,
    /// Per input modality: its config index, token offset in `latent`, and masking.
    pub segments: Vec<(usize, usize, Masked<B>)>,
}

/// The multimodal masked autoencoder: the shared encoder and one decoder per modality.
#[derive(Module, Debug)]
pub struct FipMae<B: Backend> {
    /// The shared encoder, embedding every configured modality (in config order).
    pub encoder: Encoder<B>,
    /// Per configured modality: its decoder.
    pub decoders: Vec<Decoder<B>>,
    /// The configuration the model was built from.
    #[module(skip)]
    pub config: FipMaeConfig,
}

impl FipMaeConfig {
    /// Builds the network (validates first).
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<FipMae<B>, ConfigError> {
        self.validate()?;
        let (d, dd, p) = (self.encoder_dim, self.decoder_dim, self.patch_size);
        // Decoders first: their mask tokens are drawn at creation, before the encoder's
        // tokens, which keeps seeded initialisation as it always was.
        let decoders = self
            .modalities
            .iter()
            .map(|m| Decoder {
                embed: linear(d, dd, device),
                mask_token: token([1, 1, dd], device),
                blocks: (0..m.decoder_depth)
                    .map(|_| Block::new(dd, self.decoder_heads, self.mlp_ratio, device))
                    .collect(),
                norm: LayerNormConfig::new(dd).with_epsilon(1e-6).init(device),
                pred: linear(dd, p * p * m.channels, device),
                pos_embed: positions(dd, self.grid(), device),
            })
            .collect();
        let channels: Vec<usize> = self.modalities.iter().map(|m| m.channels).collect();
        let model = FipMae {
            encoder: Encoder::new(self, &channels, device),
            decoders,
            config: self.clone(),
        };
        Ok(materialize(model))
    }
}

impl<B: Backend> FipMae<B> {
    fn check(&self, inputs: &[ModalityInput<B>]) -> Result<(), ModelError> {
        let c = &self.config;
        let first = inputs.first().ok_or(ModelError::Empty)?;
        let b = first.input.dims()[0];
        for (k, x) in inputs.iter().enumerate() {
            let idx = c
                .index_of(x.modality)
                .ok_or(ModelError::Modality(x.modality))?;
            let mc = &c.modalities[idx];
            if !mc.present || inputs[..k].iter().any(|o| o.modality == x.modality) {
                return Err(ModelError::Modality(x.modality));
            }
            let img = vec![b, mc.channels, c.image_size, c.image_size];
            for (what, got) in [("input", x.input.dims()), ("target", x.target.dims())] {
                if got.to_vec() != img {
                    return Err(ModelError::Shape {
                        what: format!("{:?} {what}", x.modality),
                        expected: img,
                        got: got.to_vec(),
                    });
                }
            }
            if let Err(reason) = check_mask_ratio(x.mask_ratio) {
                return Err(ModelError::Config(ConfigError::Invalid {
                    field: format!("{:?} mask_ratio", x.modality),
                    reason,
                }));
            }
            let noise = vec![b, c.num_patches()];
            if x.noise.dims().to_vec() != noise {
                return Err(ModelError::Shape {
                    what: format!("{:?} noise", x.modality),
                    expected: noise,
                    got: x.noise.dims().to_vec(),
                });
            }
        }
        Ok(())
    }

    /// Masks each modality with its own ratio ([`ModalityInput::mask_ratio`]) and
    /// strategy `masking`, and encodes CLS + all visible tokens.
    pub fn forward_encoder(
        &self,
        inputs: &[ModalityInput<B>],
        masking: &MaskingConfig,
    ) -> Result<Encoded<B>, ModelError> {
        self.check(inputs)?;
        let c = &self.config;
        let device = self.encoder.pos_embed.device();
        let b = inputs[0].input.dims()[0];
        let mut tokens = Vec::with_capacity(inputs.len());
        let mut segments = Vec::with_capacity(inputs.len());
        let mut offset = 1; // CLS comes first
        for x in inputs {
            let idx = c
                .index_of(x.modality)
                .ok_or(ModelError::Modality(x.modality))?;
            let embedded = self.encoder.embed(idx, x.input.clone(), c.patch_size);
            let mut masked = mask_tokens(embedded, x.mask_ratio, x.noise.clone(), masking);
            let k = masked.visible.dims()[1];
            if let Some(present) = &x.present {
                // an absent modality's visible slots are all padding
                let absent = present
                    .clone()
                    .lower_elem(0.5)
                    .unsqueeze_dim::<2>(1)
                    .repeat_dim(1, k);
                masked.pad = Some(match masked.pad.take() {
                    Some(p) => p.bool_or(absent),
                    None => absent,
                });
            }
            tokens.push(masked.visible.clone());
            segments.push((idx, offset, masked));
            offset += k;
        }
        // a key-padding mask only when some segment pads (adaptive masking)
        let pad = segments.iter().any(|(_, _, m)| m.pad.is_some()).then(|| {
            let parts = segments
                .iter()
                .map(|(_, _, m)| match &m.pad {
                    Some(p) => p.clone(),
                    None => {
                        let k = m.visible.dims()[1];
                        Tensor::<B, 2, Int>::zeros([b, k], &device).equal_elem(1)
                    }
                })
                .collect();
            Tensor::cat(parts, 1)
        });
        Ok(Encoded {
            latent: self.encoder.forward(Tensor::cat(tokens, 1), pad),
            segments,
        })
    }

    /// Decodes one modality segment of the latent into patch predictions.
    ///
    /// # Shapes
    /// - `latent`: `[batch, tokens, dim]`
    /// - output: `[batch, L, p·p·channels]`
    pub fn forward_decoder(
        &self,
        latent: &Tensor<B, 3>,
        idx: usize,
        offset: usize,
        masked: &Masked<B>,
    ) -> Tensor<B, 3> {
        let dec = &self.decoders[idx];
        let [b, _, d] = latent.dims();
        let k = masked.visible.dims()[1];
        let l = self.config.num_patches();
        let dd = self.config.decoder_dim;
        let seg = latent.clone().slice([0..b, offset..offset + k, 0..d]);
        let mut y = per_token(&dec.embed, seg);
        let mask_token = dec.mask_token.val();
        if let Some(pad) = &masked.pad {
            let fill = mask_token.clone().repeat_dim(0, b).repeat_dim(1, k);
            y = y.mask_where(pad.clone().unsqueeze_dim::<3>(2).repeat_dim(2, dd), fill);
        }
        if l > k {
            let rest = mask_token.repeat_dim(0, b).repeat_dim(1, l - k);
            y = Tensor::cat(vec![y, rest], 1);
        }
        let index = masked
            .ids_restore
            .clone()
            .unsqueeze_dim::<3>(2)
            .repeat_dim(2, dd);
        let mut y = y.gather(1, index) + dec.pos_embed.clone();
        for block in &dec.blocks {
            y = block.forward(y, None);
        }
        per_token(&dec.pred, dec.norm.forward(y))
    }

    /// The loss of one modality: MSE against the clean target's patches, on masked patches
    /// (or all, per the config), optionally per-patch normalised.
    ///
    /// # Shapes
    /// - `target`: `[batch, channels, size, size]`; `pred`: `[batch, L, p·p·channels]`;
    ///   `mask`: `[batch, L]`
    /// - output: `[1]`
    pub fn forward_loss(
        &self,
        target: Tensor<B, 4>,
        pred: Tensor<B, 3>,
        mask: Tensor<B, 2>,
    ) -> Tensor<B, 1> {
        let per_patch = self.per_patch_loss(target, pred);
        if self.config.loss_on_all_patches {
            return per_patch.mean();
        }
        // mask.sum() ≥ 1 whenever the ratio is > 0; with nothing masked, fall back to all.
        let masked = mask.clone().sum();
        let denom = masked.clone().clamp_min(1.0);
        let masked_loss = (per_patch.clone() * mask).sum() / denom;
        let any = masked.greater_elem(0.5).float();
        masked_loss * any.clone() + per_patch.mean() * (any.neg() + 1.0)
    }

    /// The mean squared error of each patch against the target's (per-patch normalised
    /// with `norm_pix_loss`).
    ///
    /// # Shapes
    /// - `target`: `[batch, channels, size, size]`; `pred`: `[batch, L, p·p·channels]`
    /// - output: `[batch, L]`
    fn per_patch_loss(&self, target: Tensor<B, 4>, pred: Tensor<B, 3>) -> Tensor<B, 2> {
        let mut target = patchify(target, self.config.patch_size);
        if self.config.norm_pix_loss {
            let mean = target.clone().mean_dim(2);
            let var = target.clone().var(2);
            target = (target - mean) / (var + 1e-6).sqrt();
        }
        (pred - target).powi_scalar(2).mean_dim(2).squeeze_dim(2)
    }

    /// [`FipMae::forward_loss`] over the examples where the modality is present only
    /// (`present` 1) — 0 when it is present in none.
    ///
    /// # Shapes
    /// - `target`: `[batch, channels, size, size]`; `pred`: `[batch, L, p·p·channels]`;
    ///   `mask`: `[batch, L]`; `present`: `[batch]`
    /// - output: `[1]`
    pub fn forward_loss_present(
        &self,
        target: Tensor<B, 4>,
        pred: Tensor<B, 3>,
        mask: Tensor<B, 2>,
        present: Tensor<B, 1>,
    ) -> Tensor<B, 1> {
        let per_patch = self.per_patch_loss(target, pred);
        let l = per_patch.dims()[1];
        let w = present.unsqueeze_dim::<2>(1).repeat_dim(1, l);
        let all = (per_patch.clone() * w.clone()).sum() / w.clone().sum().clamp_min(1.0);
        if self.config.loss_on_all_patches {
            return all;
        }
        let mw = mask * w;
        let masked = mw.clone().sum();
        let masked_loss = (per_patch * mw).sum() / masked.clone().clamp_min(1.0);
        let any = masked.greater_elem(0.5).float();
        masked_loss * any.clone() + all * (any.neg() + 1.0)
    }

    /// Encode (with the configured masking strategy), decode every given modality, and
    /// weigh the losses.
    pub fn forward(&self, inputs: &[ModalityInput<B>]) -> Result<MaeOutput<B>, ModelError> {
        self.forward_with(inputs, &self.config.masking)
    }

    /// [`FipMae::forward`] with another masking strategy (the page's choice), the model
    /// untouched.
    pub fn forward_with(
        &self,
        inputs: &[ModalityInput<B>],
        masking: &MaskingConfig,
    ) -> Result<MaeOutput<B>, ModelError> {
        let encoded = self.forward_encoder(inputs, masking)?;
        let mut total: Option<Tensor<B, 1>> = None;
        let mut modalities = Vec::with_capacity(inputs.len());
        for (x, (idx, offset, masked)) in inputs.iter().zip(&encoded.segments) {
            let pred = self.forward_decoder(&encoded.latent, *idx, *offset, masked);
            let loss = match &x.present {
                None => self.forward_loss(x.target.clone(), pred.clone(), masked.mask.clone()),
                Some(present) => self.forward_loss_present(
                    x.target.clone(),
                    pred.clone(),
                    masked.mask.clone(),
                    present.clone(),
                ),
            };
            let weighted = loss.clone() * self.config.modalities[*idx].loss_weight;
            total = Some(match total {
                Some(t) => t + weighted,
                None => weighted,
            });
            let channels = self.config.modalities[*idx].channels;
            modalities.push(ModalityOutput {
                modality: x.modality,
                loss,
                pred: unpatchify(pred, self.config.patch_size, channels),
                mask: masked.mask.clone(),
            });
        }
        Ok(MaeOutput {
            loss: total.ok_or(ModelError::Empty)?,
            modalities,
        })
    }
}
