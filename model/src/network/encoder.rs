//! The ViT encoder shared by the autoencoder and the classifier: patch embeddings,
//! fixed sin-cos positions, learned modality-type embeddings, a CLS token, pre-norm
//! transformer blocks and a final norm.
//!
//! [`crate::mae::FipMae`] embeds every modality, masks each, and encodes CLS + all visible
//! tokens at once; [`crate::classifier::AmcClassifier`] keeps an encoder that embeds the
//! target modality only ([`Encoder::select`]) and encodes all its tokens. Both go through
//! [`Encoder::embed`] and [`Encoder::forward`], so the two can never drift apart.
//!
//! Conventions: images are `[batch, channels, height, width]`; patches are row-major over
//! the grid, each flattened as `(patch_row, patch_col, channel)` like MAE's reference;
//! attention runs over the token axis of `[batch, tokens, dim]`, never across the batch.

use burn::module::{Module, Param};
use burn::nn::attention::{MultiHeadAttention, MultiHeadAttentionConfig};
use burn::nn::{Gelu, Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{backend::Backend, Bool, Int, Tensor, TensorData};

use crate::config::FipMaeConfig;

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

/// [`sincos_2d`] as a fixed tensor, `[1, grid·grid, dim]`.
pub(crate) fn positions<B: Backend>(dim: usize, grid: usize, device: &B::Device) -> Tensor<B, 3> {
    Tensor::from_data(
        TensorData::new(sincos_2d(dim, grid), [1, grid * grid, dim]),
        device,
    )
}

/// A linear layer with the reference's Xavier-uniform initialisation.
pub(crate) fn linear<B: Backend>(d_in: usize, d_out: usize, device: &B::Device) -> Linear<B> {
    LinearConfig::new(d_in, d_out)
        .with_initializer(Initializer::XavierUniform { gain: 1.0 })
        .init(device)
}

/// Applies `layer` to every token as one 2-D product.
///
/// Burn 0.21's `Linear` on a 3-D input runs a batched product against the weight
/// broadcast over the batch, and its backward pass sums a `[batch, d_in, d_out]` weight
/// gradient; flattening the tokens first makes both passes single 2-D products (the
/// `small` pretraining step: see README "Against PyTorch on the CPU"). Same numbers, up to
/// the order of float additions.
///
/// # Shapes
/// - `x`: `[batch, tokens, d_in]`
/// - output: `[batch, tokens, d_out]`
pub(crate) fn per_token<B: Backend>(layer: &Linear<B>, x: Tensor<B, 3>) -> Tensor<B, 3> {
    let [batch, tokens, d_in] = x.dims();
    let y = layer.forward(x.reshape([batch * tokens, d_in]));
    let d_out = y.dims()[1];
    y.reshape([batch, tokens, d_out])
}

/// Multi-head self-attention with `attn`'s weights, its projections as [`per_token`]
/// products: what `MultiHeadAttention::forward` computes (softmax of the scaled scores,
/// padding keys masked; dropout is 0 in this network), without its batched projections.
/// Under autodiff without padding the attention itself is Burn's `attention` operation
/// (one tracked operation in `vendor/burn-autodiff`); inference keeps the tensor formula, so
/// shipped bundles and the page compute exactly what they did.
///
/// # Shapes
/// - `x`: `[batch, tokens, dim]`
/// - `pad`: `[batch, tokens]`, true where a token is padding (attended by nobody)
/// - output: `[batch, tokens, dim]`
pub(crate) fn self_attention<B: Backend>(
    attn: &MultiHeadAttention<B>,
    x: Tensor<B, 3>,
    pad: Option<Tensor<B, 2, Bool>>,
) -> Tensor<B, 3> {
    let [batch, tokens, dim] = x.dims();
    let (heads, d_k) = (attn.n_heads, attn.d_k);
    let split = |layer: &Linear<B>| {
        per_token(layer, x.clone())
            .reshape([batch, tokens, heads, d_k])
            .swap_dims(1, 2)
    };
    let (q, k, v) = (split(&attn.query), split(&attn.key), split(&attn.value));
    let context = match pad {
        // training: one tracked operation with its own backward pass (vendor/burn-autodiff)
        None if B::ad_enabled(&x.device()) => {
            attention(q, k, v, None, None, AttentionModuleOptions::default())
        }
        _ => {
            let mut scores = q.matmul(k.transpose()).div_scalar((d_k as f32).sqrt());
            if let Some(pad) = pad {
                scores = scores.mask_fill(pad.reshape([batch, 1, 1, tokens]), attn.min_float);
            }
            softmax(scores, 3).matmul(v)
        }
    };
    let context = context.swap_dims(1, 2).reshape([batch, tokens, dim]);
    per_token(&attn.output, context)
}

/// A learned token drawn from N(0, 0.02), as the reference initialises CLS and mask tokens.
pub(crate) fn token<B: Backend, const D: usize>(
    shape: [usize; D],
    device: &B::Device,
) -> Param<Tensor<B, D>> {
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
        let x = x.clone() + self_attention(&self.attn, self.norm1.forward(x), pad);
        let h = per_token(&self.fc1, self.norm2.forward(x.clone()));
        x + per_token(&self.fc2, self.act.forward(h))
    }
}

/// The shared ViT encoder.
///
/// Its parameters are visited in field order (patch embeddings, modality embeddings, CLS,
/// blocks, norm), which fixes the tensor order of weight files: **do not reorder fields**.
#[derive(Module, Debug)]
pub struct Encoder<B: Backend> {
    /// Per embedded modality: patch pixels `p·p·c` → encoder width.
    pub patch_embeds: Vec<Linear<B>>,
    /// Learned modality-type embeddings, `[embedded modalities, dim]`.
    pub modality_embed: Param<Tensor<B, 2>>,
    /// The CLS token, `[1, 1, dim]` (attended to; the classifier pools the patch tokens).
    pub cls_token: Param<Tensor<B, 3>>,
    /// Transformer blocks.
    pub blocks: Vec<Block<B>>,
    /// Final norm.
    pub norm: LayerNorm<B>,
    /// Fixed positions, `[1, L, dim]`.
    pub pos_embed: Tensor<B, 3>,
}

impl<B: Backend> Encoder<B> {
    /// An encoder for `config`'s sizes that embeds one modality per entry of `channels`
    /// (its channel count). Assumes a validated `config`.
    pub fn new(config: &FipMaeConfig, channels: &[usize], device: &B::Device) -> Self {
        let (d, p) = (config.encoder_dim, config.patch_size);
        Self {
            patch_embeds: channels
                .iter()
                .map(|c| linear(p * p * c, d, device))
                .collect(),
            modality_embed: token([channels.len(), d], device),
            cls_token: token([1, 1, d], device),
            blocks: (0..config.encoder_depth)
                .map(|_| Block::new(d, config.encoder_heads, config.mlp_ratio, device))
                .collect(),
            norm: LayerNormConfig::new(d).with_epsilon(1e-6).init(device),
            pos_embed: positions(d, config.grid(), device),
        }
    }

    /// Encoder width.
    pub fn dim(&self) -> usize {
        self.pos_embed.dims()[2]
    }

    /// Embeds modality `idx`'s images: patch embedding + positions + modality type.
    ///
    /// # Shapes
    /// - `images`: `[batch, channels, size, size]`
    /// - output: `[batch, L, dim]`
    pub fn embed(&self, idx: usize, images: Tensor<B, 4>, patch_size: usize) -> Tensor<B, 3> {
        let d = self.dim();
        let x = per_token(&self.patch_embeds[idx], patchify(images, patch_size));
        let kind = self
            .modality_embed
            .val()
            .slice([idx..idx + 1, 0..d])
            .reshape([1, 1, d]);
        x + self.pos_embed.clone() + kind
    }

    /// Prepends CLS to `tokens` and runs the blocks and the final norm.
    ///
    /// # Shapes
    /// - `tokens`: `[batch, T, dim]` (embedded, possibly masked and concatenated)
    /// - `pad`: `[batch, T]`, true where a token is padding (attended by nobody)
    /// - output: `[batch, 1 + T, dim]`, CLS first
    pub fn forward(&self, tokens: Tensor<B, 3>, pad: Option<Tensor<B, 2, Bool>>) -> Tensor<B, 3> {
        let b = tokens.dims()[0];
        let device = tokens.device();
        let mut x = Tensor::cat(vec![self.cls_token.val().repeat_dim(0, b), tokens], 1);
        let pad = pad.map(|p| {
            let cls = Tensor::<B, 2, Int>::zeros([b, 1], &device).equal_elem(1);
            Tensor::cat(vec![cls, p], 1)
        });
        for block in &self.blocks {
            x = block.forward(x, pad.clone());
        }
        self.norm.forward(x)
    }

    /// An encoder that embeds modality `idx` only (what a classifier on that modality
    /// keeps): its patch embedding and type embedding, the shared CLS, blocks and norm.
    /// The type embedding and CLS are detached copies, leaves of their own.
    pub fn select(&self, idx: usize) -> Self {
        let d = self.dim();
        let kind = self
            .modality_embed
            .val()
            .slice([idx..idx + 1, 0..d])
            .detach();
        Self {
            patch_embeds: vec![self.patch_embeds[idx].clone()],
            modality_embed: Param::from_tensor(kind),
            cls_token: Param::from_tensor(self.cls_token.val().detach()),
            blocks: self.blocks.clone(),
            norm: self.norm.clone(),
            pos_embed: self.pos_embed.clone(),
        }
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
