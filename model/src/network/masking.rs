//! Masking strategies, batched (rank and gather, no per-example loops), with the
//! randomness passed in as a noise tensor so that tests are deterministic.
//!
//! Token order comes from [`stable_order`], a sort-free stable argsort: Burn 0.21's GPU
//! backends have no sort kernel and fall back to a synchronous host read, which WebGPU
//! forbids, so masking by comparisons is what lets the browser run the autoencoder there.
//!
//! - **random** (MAE): keep the `K` tokens with the lowest noise.
//! - **salience** (SBAM): salience of token `j` = column sum of `softmax_row(X Xᵀ)` over the
//!   patch embeddings `X` (with positions) of one example, min-max normalised to `[0, 1]`
//!   (with ε = 1e-6); score = salience + `0.5 ×` noise (uniform in `[0, 0.5)`); keep the
//!   lowest scores. No gradient flows through the salience.
//! - **adaptive** (AMR): ratio `r = r0 − v + 2v·(fraction of tokens with salience > δ)`,
//!   clamped to `[r0 − v, r0 + v]`; tokens chosen as in SBAM. Per batch (the mean ratio
//!   sets one `K`) or per example (each its own `K`). The counts stay on the device:
//!   sequences always have `K_max` slots (the most the lowest ratio keeps) and a
//!   key-padding mask marks the slots past each example's `K`, so no value is read back
//!   and WebGPU runs AMR too.
//!
//! mask: 1 = removed, 0 = kept.

use burn::tensor::{activation::softmax, backend::Backend, Bool, Int, Tensor, TensorData};

use crate::config::{MaskingConfig, MaskingStrategy};

/// The result of masking one modality's tokens.
#[derive(Debug, Clone)]
pub struct Masked<B: Backend> {
    /// Visible tokens in shuffled order, `[batch, K, dim]`.
    pub visible: Tensor<B, 3>,
    /// `[batch, L]`, 1 = removed, 0 = kept.
    pub mask: Tensor<B, 2>,
    /// Rank of each token in the shuffled order, `[batch, L]`.
    pub ids_restore: Tensor<B, 2, Int>,
    /// `[batch, K]`, true where a visible slot is padding (per-example AMR only).
    pub pad: Option<Tensor<B, 2, Bool>>,
}

/// The ascending order of `score` along its second dimension, stable for ties, without a
/// sort: `rank_i = #{j : s_j < s_i} + #{j < i : s_j = s_i}`, and its inverse permutation
/// (`O(L²)` comparisons per example, exact in `f32` for `L < 2²⁴`).
///
/// # Shapes
/// - `score`: `[batch, L]`
/// - output: `(ids_shuffle, ids_restore)`, both `[batch, L]`: `ids_shuffle[k]` is the token
///   of rank `k` (what `argsort` returns), `ids_restore[i]` the rank of token `i`.
pub fn stable_order<B: Backend>(score: Tensor<B, 2>) -> (Tensor<B, 2, Int>, Tensor<B, 2, Int>) {
    let [b, l] = score.dims();
    let device = score.device();
    // element (i, j) of each [L, L] slice compares token i (rows) with token j (columns)
    let positions: Vec<f32> = (0..l).map(|k| k as f32).collect();
    let positions = Tensor::<B, 1>::from_data(TensorData::new(positions, [l]), &device);
    let rows = positions
        .clone()
        .reshape([1, l, 1])
        .repeat_dim(0, b)
        .repeat_dim(2, l);
    let cols = positions
        .reshape([1, 1, l])
        .repeat_dim(0, b)
        .repeat_dim(1, l);
    let si = score.clone().unsqueeze_dim::<3>(2).repeat_dim(2, l);
    let sj = score.unsqueeze_dim::<3>(1).repeat_dim(1, l);
    let less = sj.clone().lower(si.clone()).float();
    let ties = sj.equal(si).float() * cols.clone().lower(rows.clone()).float();
    let rank: Tensor<B, 2> = (less + ties).sum_dim(2).squeeze_dim(2);
    // ids_shuffle[k] = Σ_i i · [rank_i = k]  (k runs along the columns, i along the rows)
    let hit = rank
        .clone()
        .unsqueeze_dim::<3>(2)
        .repeat_dim(2, l)
        .equal(cols)
        .float();
    let shuffle: Tensor<B, 2> = (hit * rows).sum_dim(1).squeeze_dim(1);
    (shuffle.int(), rank.int())
}

/// Keeps, per example, the tokens with the lowest `score`; example `b` keeps
/// `keep[b]` of them (all equal for a plain MAE mask).
///
/// # Shapes
/// - `x`: `[batch, L, dim]`; `score`: `[batch, L]`
/// - `keep`: `batch` counts in `1..=L`
pub fn keep_lowest<B: Backend>(x: Tensor<B, 3>, score: Tensor<B, 2>, keep: &[usize]) -> Masked<B> {
    let [b, l, _] = x.dims();
    let k_max = keep.iter().copied().max().unwrap_or(1).clamp(1, l);
    // Counts and ranks are compared as floats: integer tensors may differ in integer type
    // between backends and operations (argsort's indices vs host data).
    let counts: Vec<f32> = keep.iter().map(|&k| k.clamp(1, l) as f32).collect();
    let counts = Tensor::<B, 2>::from_data(TensorData::new(counts, [b, 1]), &x.device());
    let uneven = keep.iter().any(|&k| k.clamp(1, l) != k_max);
    keep_lowest_counted(x, score, counts, k_max, uneven)
}

/// [`keep_lowest`] with the counts on the device: example `b` keeps `counts[b]` tokens
/// (whole numbers in `1..=k_max`), gathered into `k_max` slots; with `pad`, the slots past
/// an example's count are marked as padding. Nothing is read back to the host.
///
/// # Shapes
/// - `x`: `[batch, L, dim]`; `score`: `[batch, L]`; `counts`: `[batch, 1]`
pub fn keep_lowest_counted<B: Backend>(
    x: Tensor<B, 3>,
    score: Tensor<B, 2>,
    counts: Tensor<B, 2>,
    k_max: usize,
    pad: bool,
) -> Masked<B> {
    let [b, l, d] = x.dims();
    let device = x.device();
    let k_max = k_max.clamp(1, l);
    let (ids_shuffle, ids_restore) = stable_order(score);
    let ids_keep = ids_shuffle.slice([0..b, 0..k_max]);
    let visible = x.gather(1, ids_keep.unsqueeze_dim::<3>(2).repeat_dim(2, d));
    // token j is removed when its rank is at or past its example's count
    let mask = ids_restore
        .clone()
        .float()
        .greater_equal(counts.clone().repeat_dim(1, l))
        .float();
    let pad = pad.then(|| {
        let slots: Vec<f32> = (0..b).flat_map(|_| (0..k_max).map(|k| k as f32)).collect();
        Tensor::<B, 2>::from_data(TensorData::new(slots, [b, k_max]), &device)
            .greater_equal(counts.repeat_dim(1, k_max))
    });
    Masked {
        visible,
        mask,
        ids_restore,
        pad,
    }
}

/// MAE random masking: keep `keep` tokens per example, those with the lowest noise.
///
/// # Shapes
/// - `x`: `[batch, L, dim]`; `noise`: `[batch, L]` in `[0, 1)`
pub fn random_masking<B: Backend>(x: Tensor<B, 3>, keep: usize, noise: Tensor<B, 2>) -> Masked<B> {
    let b = x.dims()[0];
    keep_lowest(x, noise, &vec![keep; b])
}

/// SBAM salience of each token, min-max normalised to `[0, 1]` per example; no gradient.
///
/// # Shapes
/// - `x`: `[batch, L, dim]`
/// - output: `[batch, L]`
pub fn salience<B: Backend>(x: Tensor<B, 3>) -> Tensor<B, 2> {
    let x = x.detach();
    let attn = softmax(x.clone().matmul(x.swap_dims(1, 2)), 2);
    let s: Tensor<B, 2> = attn.sum_dim(1).squeeze_dim(1);
    let min = s.clone().min_dim(1);
    let max = s.clone().max_dim(1);
    (s - min.clone()) / (max - min + 1e-6)
}

/// AMR ratio per example: `r0 − v + 2v·frac(salience > δ)`, clamped to `[r0 − v, r0 + v]`.
///
/// # Shapes
/// - `sal`: `[batch, L]` in `[0, 1]`
/// - output: `[batch]`
pub fn adaptive_ratio<B: Backend>(sal: Tensor<B, 2>, r0: f64, v: f64, delta: f64) -> Tensor<B, 1> {
    let frac: Tensor<B, 1> = sal.greater_elem(delta).float().mean_dim(1).squeeze_dim(1);
    (frac * (2.0 * v) + (r0 - v)).clamp(r0 - v, r0 + v)
}

/// Visible tokens out of `tokens` at mask ratio `ratio`: `round(L·(1 − ratio))`, clamped
/// to `1..=L`. The one place the count is computed.
pub fn visible_count(tokens: usize, ratio: f64) -> usize {
    (((tokens as f64) * (1.0 - ratio)).round() as usize).clamp(1, tokens.max(1))
}

/// Masks one modality's embedded tokens with the configured strategy at mask ratio
/// `ratio` (AMR's base ratio `r0`).
///
/// # Shapes
/// - `x`: `[batch, L, dim]`; `noise`: `[batch, L]` in `[0, 1)`
pub fn mask_tokens<B: Backend>(
    x: Tensor<B, 3>,
    ratio: f64,
    noise: Tensor<B, 2>,
    config: &MaskingConfig,
) -> Masked<B> {
    let [b, l, _] = x.dims();
    let keep = visible_count(l, ratio);
    match config.strategy {
        MaskingStrategy::Random => random_masking(x, keep, noise),
        MaskingStrategy::Salience => {
            let score = salience(x.clone()) + noise * 0.5;
            keep_lowest(x, score, &vec![keep; b])
        }
        MaskingStrategy::Adaptive => {
            // Everything stays on the device: the per-example (or batch-mean) ratio becomes
            // a visible count `floor(L·(1 − r) + 1/2)` in 1..=K_max, and the tokens are
            // gathered into K_max = visible_count(L, r0 − v) slots (the most any ratio in
            // [r0 − v, r0 + v] keeps) with a key-padding mask. No host read, so WebGPU
            // runs it.
            let sal = salience(x.clone());
            let ratios =
                adaptive_ratio(sal.clone(), ratio, config.amr_spread, config.amr_threshold);
            let ratios: Tensor<B, 2> = if config.amr_per_sample {
                ratios.unsqueeze_dim(1)
            } else {
                ratios.mean().unsqueeze_dim::<2>(1).repeat_dim(0, b)
            };
            let k_max = visible_count(l, (ratio - config.amr_spread).max(0.0));
            let counts = ((ratios.neg() + 1.0) * l as f64 + 0.5)
                .floor()
                .clamp(1.0, k_max as f64);
            keep_lowest_counted(x, sal + noise * 0.5, counts, k_max, true)
        }
    }
}

/// Masking noise in `[0, 1)` for each example of a batch, `batch × tokens` values,
/// a pure function of `(seed, epoch, index, modality position)`.
pub fn masking_noise(
    seed: u64,
    epoch: u64,
    indices: &[u64],
    slot: usize,
    tokens: usize,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(indices.len() * tokens);
    for &i in indices {
        let mixed =
            crate::rng::epoch_seed(seed, epoch) ^ (slot as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        let mut r = crate::rng::Rng::for_example(mixed, i, crate::rng::Stream::Masking);
        out.extend((0..tokens).map(|_| r.uniform() as f32));
    }
    out
}
