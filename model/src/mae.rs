//! The FIP-DenoMAE network, in the order of the MAE reference (`models_mae.py`):
//! `patchify`/`unpatchify`, masking (see [`crate::masking`]), `forward_encoder`,
//! `forward_decoder`, `forward_loss`.
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
use burn::nn::attention::{MhaInput, MultiHeadAttention, MultiHeadAttentionConfig};
use burn::nn::{Gelu, Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{backend::Backend, Bool, Int, Tensor, TensorData};

use crate::config::{ConfigError, FipMaeConfig};
use crate::masking::{mask_tokens, Masked};
use crate::modality::Modality;

/// Errors from running the network on inputs that do not fit its configuration.
#[derive(Debug, thiserror::Error, PartialEq)]
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

/// Images `[b, c, h, w]` → patches `[b, L, p·p·c]`.
///
/// # Shapes
/// - `imgs`: `[batch, channels, h, w]` with `h`, `w` multiples of `p`
/// - output: `[batch, (h/p)·(w/p), p·p·channels]`
pub fn patchify<B: Backend>(imgs: Tensor<B, 4>, p: usize) -> Tensor<B, 3> {
    let [b, c, h, w] = imgs.dims();
    let (gh, gw) = (h / p, w / p);
    imgs.reshape([b, c, gh, p, gw, p])
        .permute([0, 2, 4, 3, 5, 1])
        .reshape([b, gh * gw, p * p * c])
}

/// Patches `[b, L, p·p·c]` → images `[b, c, h, w]` (square grid); inverse of [`patchify`].
///
/// # Shapes
/// - `x`: `[batch, g·g, p·p·c]`
/// - output: `[batch, c, g·p, g·p]`
pub fn unpatchify<B: Backend>(x: Tensor<B, 3>, p: usize, c: usize) -> Tensor<B, 4> {
    let [b, l, _] = x.dims();
    let g = (l as f64).sqrt().round() as usize;
    x.reshape([b, g, g, p, p, c])
        .permute([0, 5, 1, 3, 2, 4])
        .reshape([b, c, g * p, g * p])
}

/// Fixed 2-D sin-cos position embedding, `[grid·grid, dim]` row-major (`dim` divisible
/// by 4): the first half encodes the row, the second the column, each as
/// `[sin(pos·ω_k), cos(pos·ω_k)]` with `ω_k = 10000^(−k/(dim/4))`.
pub fn sincos_2d(dim: usize, grid: usize) -> Vec<f32> {
    let quarter = dim / 4;
    let omega: Vec<f64> = (0..quarter)
        .map(|k| 1.0 / 10000f64.powf(k as f64 / quarter as f64))
        .collect();
    let mut out = Vec::with_capacity(grid * grid * dim);
    for i in 0..grid {
        for j in 0..grid {
            for pos in [i as f64, j as f64] {
                out.extend(omega.iter().map(|w| (pos * w).sin() as f32));
                out.extend(omega.iter().map(|w| (pos * w).cos() as f32));
            }
        }
    }
    out
}

fn positions<B: Backend>(dim: usize, grid: usize, device: &B::Device) -> Tensor<B, 3> {
    Tensor::from_data(
        TensorData::new(sincos_2d(dim, grid), [1, grid * grid, dim]),
        device,
    )
}

fn linear<B: Backend>(d_in: usize, d_out: usize, device: &B::Device) -> Linear<B> {
    LinearConfig::new(d_in, d_out)
        .with_initializer(Initializer::XavierUniform { gain: 1.0 })
        .init(device)
}

fn token<B: Backend, const D: usize>(shape: [usize; D], device: &B::Device) -> Param<Tensor<B, D>> {
    // the reference initialises CLS and mask tokens with N(0, 0.02)
    Param::from_tensor(Tensor::random(
        shape,
        burn::tensor::Distribution::Normal(0.0, 0.02),
        device,
    ))
}

/// A pre-norm transformer block: `x + MHA(LN(x))`, then `x + MLP(LN(x))`.
#[derive(Module, Debug)]
pub struct Block<B: Backend> {
    /// Norm before attention.
    pub norm1: LayerNorm<B>,
    /// Self-attention over the token axis.
    pub attn: MultiHeadAttention<B>,
    /// Norm before the MLP.
    pub norm2: LayerNorm<B>,
    /// MLP expansion.
    pub fc1: Linear<B>,
    /// MLP projection.
    pub fc2: Linear<B>,
    /// MLP activation.
    pub act: Gelu,
}

impl<B: Backend> Block<B> {
    /// A block of width `dim` with `heads` heads and an MLP of `mlp_ratio × dim`.
    pub fn new(dim: usize, heads: usize, mlp_ratio: f64, device: &B::Device) -> Self {
        let hidden = ((dim as f64) * mlp_ratio).round().max(1.0) as usize;
        Self {
            norm1: LayerNormConfig::new(dim).with_epsilon(1e-6).init(device),
            attn: MultiHeadAttentionConfig::new(dim, heads)
                .with_dropout(0.0)
                .with_initializer(Initializer::XavierUniform { gain: 1.0 })
                .init(device),
            norm2: LayerNormConfig::new(dim).with_epsilon(1e-6).init(device),
            fc1: linear(dim, hidden, device),
            fc2: linear(hidden, dim, device),
            act: Gelu::new(),
        }
    }

    /// Applies the block.
    ///
    /// # Shapes
    /// - `x`: `[batch, tokens, dim]`
    /// - `pad`: `[batch, tokens]`, true where a token is padding (attended by nobody)
    /// - output: `[batch, tokens, dim]`
    pub fn forward(&self, x: Tensor<B, 3>, pad: Option<Tensor<B, 2, Bool>>) -> Tensor<B, 3> {
        let mut input = MhaInput::self_attn(self.norm1.forward(x.clone()));
        if let Some(pad) = pad {
            input = input.mask_pad(pad);
        }
        let x = x + self.attn.forward(input).context;
        let h = self.fc1.forward(self.norm2.forward(x.clone()));
        x.clone() + self.fc2.forward(self.act.forward(h))
    }
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

/// The multimodal masked autoencoder.
#[derive(Module, Debug)]
pub struct FipMae<B: Backend> {
    /// Per configured modality: patch pixels → encoder width.
    pub patch_embeds: Vec<Linear<B>>,
    /// Learned modality-type embeddings, `[modalities, dim]`.
    pub modality_embed: Param<Tensor<B, 2>>,
    /// The CLS token, `[1, 1, dim]`.
    pub cls_token: Param<Tensor<B, 3>>,
    /// Shared encoder blocks.
    pub blocks: Vec<Block<B>>,
    /// Final encoder norm.
    pub norm: LayerNorm<B>,
    /// Per configured modality: its decoder.
    pub decoders: Vec<Decoder<B>>,
    /// Fixed encoder positions, `[1, L, dim]`.
    pub pos_embed: Tensor<B, 3>,
    /// The configuration the model was built from.
    #[module(skip)]
    pub config: FipMaeConfig,
}

impl FipMaeConfig {
    /// Builds the network (validates first).
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<FipMae<B>, ConfigError> {
        self.validate()?;
        let (d, dd, p) = (self.encoder_dim, self.decoder_dim, self.patch_size);
        let grid = self.grid();
        let patch_embeds = self
            .modalities
            .iter()
            .map(|m| linear(p * p * m.channels, d, device))
            .collect();
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
                pos_embed: positions(dd, grid, device),
            })
            .collect();
        let model = FipMae {
            patch_embeds,
            modality_embed: token([self.modalities.len(), d], device),
            cls_token: token([1, 1, d], device),
            blocks: (0..self.encoder_depth)
                .map(|_| Block::new(d, self.encoder_heads, self.mlp_ratio, device))
                .collect(),
            norm: LayerNormConfig::new(d).with_epsilon(1e-6).init(device),
            decoders,
            pos_embed: positions(d, grid, device),
            config: self.clone(),
        };
        Ok(materialize(model))
    }
}

/// Touches every parameter so that lazily initialised ones get their values now: clones
/// made afterwards (a classifier built from this encoder) then share them.
pub fn materialize<B: Backend, M: Module<B>>(module: M) -> M {
    struct Touch;
    impl<B: Backend> burn::module::ModuleVisitor<B> for Touch {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let _ = param.val();
        }
    }
    module.visit(&mut Touch);
    module
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

    /// Embeds a modality's images: patch embedding + positions + modality type.
    ///
    /// # Shapes
    /// - `images`: `[batch, channels, size, size]`
    /// - output: `[batch, L, dim]`
    pub fn embed(&self, idx: usize, images: Tensor<B, 4>) -> Tensor<B, 3> {
        let d = self.config.encoder_dim;
        let x = self.patch_embeds[idx].forward(patchify(images, self.config.patch_size));
        let kind = self
            .modality_embed
            .val()
            .slice([idx..idx + 1, 0..d])
            .reshape([1, 1, d]);
        x + self.pos_embed.clone() + kind
    }

    /// Masks each modality with its own ratio and encodes CLS + all visible tokens.
    pub fn forward_encoder(&self, inputs: &[ModalityInput<B>]) -> Result<Encoded<B>, ModelError> {
        self.check(inputs)?;
        let c = &self.config;
        let device = self.pos_embed.device();
        let b = inputs[0].input.dims()[0];
        let mut tokens = vec![self.cls_token.val().repeat_dim(0, b)];
        let mut pads = vec![Tensor::<B, 2, Int>::zeros([b, 1], &device).equal_elem(1)];
        let mut any_pad = false;
        let mut segments = Vec::new();
        let mut offset = 1;
        for x in inputs {
            let idx = c
                .index_of(x.modality)
                .ok_or(ModelError::Modality(x.modality))?;
            let embedded = self.embed(idx, x.input.clone());
            let masked = mask_tokens(
                embedded,
                c.modalities[idx].mask_ratio,
                x.noise.clone(),
                &c.masking,
                c.keep_count(c.modalities[idx].mask_ratio),
            );
            let k = masked.visible.dims()[1];
            tokens.push(masked.visible.clone());
            match &masked.pad {
                Some(p) => {
                    any_pad = true;
                    pads.push(p.clone());
                }
                None => pads.push(Tensor::<B, 2, Int>::zeros([b, k], &device).equal_elem(1)),
            }
            segments.push((idx, offset, masked));
            offset += k;
        }
        let mut latent = Tensor::cat(tokens, 1);
        let pad = any_pad.then(|| Tensor::cat(pads, 1));
        for block in &self.blocks {
            latent = block.forward(latent, pad.clone());
        }
        Ok(Encoded {
            latent: self.norm.forward(latent),
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
        let mut y = dec.embed.forward(seg);
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
        dec.pred.forward(dec.norm.forward(y))
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
        let mut target = patchify(target, self.config.patch_size);
        if self.config.norm_pix_loss {
            let mean = target.clone().mean_dim(2);
            let var = target.clone().var(2);
            target = (target - mean) / (var + 1e-6).sqrt();
        }
        let per_patch: Tensor<B, 2> = (pred - target).powi_scalar(2).mean_dim(2).squeeze_dim(2);
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

    /// Encode, decode every given modality, and weigh the losses.
    pub fn forward(&self, inputs: &[ModalityInput<B>]) -> Result<MaeOutput<B>, ModelError> {
        let encoded = self.forward_encoder(inputs)?;
        let mut total: Option<Tensor<B, 1>> = None;
        let mut modalities = Vec::with_capacity(inputs.len());
        for (x, (idx, offset, masked)) in inputs.iter().zip(&encoded.segments) {
            let pred = self.forward_decoder(&encoded.latent, *idx, *offset, masked);
            let loss = self.forward_loss(x.target.clone(), pred.clone(), masked.mask.clone());
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
