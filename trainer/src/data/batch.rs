//! Batches on the host: examples generated from `(seed, index)` (or recorded windows,
//! through [`render_with`]), rendered on worker threads, stacked into tensors; masking noise
//! derived from `(seed, epoch, index)`, so a resumed run sees exactly the batches an
//! uninterrupted one would.

use anyhow::{Context, Result};
use burn::tensor::{backend::Backend, Tensor, TensorData};
use model::classifier::AmcClassifier;
use model::config::FipMaeConfig;
use model::mae::ModalityInput;
use model::{DatasetSpec, Modality, Renderer};

/// One rendered batch, on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostBatch {
    /// Example indices, in batch order.
    pub indices: Vec<u64>,
    /// Labels (index into the dataset's class list).
    pub labels: Vec<usize>,
    /// SNR of each example, dB (NaN when unknown).
    pub snr_db: Vec<f64>,
    /// Whether each example is a recording: its targets are its own noisy rendering and
    /// its noise image is absent (see [`model::mae::ModalityInput::present`]).
    pub recorded: Vec<bool>,
    /// Image size, pixels.
    pub size: usize,
    /// Per requested modality: `(modality, channels, inputs, targets)`, each
    /// `batch × channels × size × size` values.
    pub modalities: Vec<(Modality, usize, Vec<f32>, Vec<f32>)>,
}

/// One example's images: its label, SNR (dB; NaN when unknown), per requested modality
/// `(input, target)`, and whether it is a recording (no clean target, no noise image).
pub struct RenderedExample {
    /// Class index (0 when unlabelled).
    pub label: usize,
    /// SNR, dB.
    pub snr_db: f64,
    /// Per requested modality, `(input, target)`.
    pub pairs: Vec<(model::Image, model::Image)>,
    /// A recorded burst rather than a generated one.
    pub recorded: bool,
}

/// Renders the examples `indices` of `spec` for `modalities`, on `threads` worker threads
/// (results are in `indices` order whatever the thread count).
pub fn render_batch(
    spec: &DatasetSpec,
    renderer: &Renderer,
    indices: &[u64],
    modalities: &[Modality],
    threads: usize,
) -> Result<HostBatch> {
    render_with(renderer, indices, modalities, threads, |i| {
        render_generated(spec, renderer, i, modalities)
    })
}

/// Example `i` of `spec`, generated and rendered for `modalities`.
pub fn render_generated(
    spec: &DatasetSpec,
    renderer: &Renderer,
    i: u64,
    modalities: &[Modality],
) -> Result<RenderedExample> {
    let ex = spec.example(i);
    let pairs = renderer
        .render_pairs(modalities, &ex)
        .with_context(|| format!("rendering example {i}"))?
        .into_iter()
        .map(|p| (p.input, p.target))
        .collect();
    Ok(RenderedExample {
        label: ex.label,
        snr_db: ex.snr_db,
        pairs,
        recorded: false,
    })
}

/// Renders examples `indices` with `one` on `threads` worker threads into a batch of
/// `modalities` (results in `indices` order whatever the thread count).
pub fn render_with(
    renderer: &Renderer,
    indices: &[u64],
    modalities: &[Modality],
    threads: usize,
    one: impl Fn(u64) -> Result<RenderedExample> + Sync,
) -> Result<HostBatch> {
    let threads = threads.clamp(1, indices.len().max(1));
    let chunk = indices.len().div_ceil(threads).max(1);
    let one = &one;
    let parts: Vec<Result<Vec<RenderedExample>>> = std::thread::scope(|s| {
        let handles: Vec<_> = indices
            .chunks(chunk)
            .map(|ids| s.spawn(move || ids.iter().map(|&i| one(i)).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a render thread panicked")))
            })
            .collect()
    });
    let size = renderer.config().image_size;
    let mut batch = HostBatch {
        indices: indices.to_vec(),
        labels: Vec::with_capacity(indices.len()),
        snr_db: Vec::with_capacity(indices.len()),
        recorded: Vec::with_capacity(indices.len()),
        size,
        modalities: modalities
            .iter()
            .map(|&m| (m, m.channels(renderer.config()), Vec::new(), Vec::new()))
            .collect(),
    };
    for part in parts {
        for ex in part? {
            batch.labels.push(ex.label);
            batch.snr_db.push(ex.snr_db);
            batch.recorded.push(ex.recorded);
            for (slot, (input, target)) in batch.modalities.iter_mut().zip(ex.pairs) {
                slot.2.extend_from_slice(&input.data);
                slot.3.extend_from_slice(&target.data);
            }
        }
    }
    Ok(batch)
}

pub use model::masking::masking_noise;

impl HostBatch {
    /// Examples in the batch.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The first modality's noisy images (the classifier's input), `[batch, channels,
    /// size, size]`.
    pub fn images<B: Backend>(&self, device: &B::Device) -> Result<Tensor<B, 4>> {
        let (_, c, input, _) = self.modalities.first().context("empty batch")?;
        let s = self.size;
        Ok(Tensor::from_data(
            TensorData::new(input.clone(), [self.len(), *c, s, s]),
            device,
        ))
    }

    /// The batch as network inputs on `device`, with masking noise for `(seed, epoch)`
    /// and each modality's configured mask ratio.
    pub fn to_inputs<B: Backend>(
        &self,
        config: &FipMaeConfig,
        seed: u64,
        epoch: u64,
        device: &B::Device,
    ) -> Vec<ModalityInput<B>> {
        let tokens = config.num_patches();
        let b = self.len();
        let s = self.size;
        self.modalities
            .iter()
            .enumerate()
            .map(|(slot, (m, c, input, target))| {
                let shape = [b, *c, s, s];
                ModalityInput {
                    modality: *m,
                    input: Tensor::from_data(TensorData::new(input.clone(), shape), device),
                    target: Tensor::from_data(TensorData::new(target.clone(), shape), device),
                    noise: Tensor::from_data(
                        TensorData::new(
                            masking_noise(seed, epoch, &self.indices, slot, tokens),
                            [b, tokens],
                        ),
                        device,
                    ),
                    // an unconfigured modality is refused by `forward` itself
                    mask_ratio: config
                        .mask_ratio_of(*m)
                        .unwrap_or(model::config::DENOMAE_MASK_RATIO),
                    // a recording has no noise image: absent from its examples only
                    present: (*m == Modality::Noise && self.recorded.iter().any(|r| *r)).then(
                        || {
                            let p: Vec<f32> = self
                                .recorded
                                .iter()
                                .map(|r| f32::from(u8::from(!r)))
                                .collect();
                            Tensor::from_data(TensorData::new(p, [b]), device)
                        },
                    ),
                }
            })
            .collect()
    }
}

/// Class predictions (argmax of logits) for a batch of target-modality images.
pub fn predict<B: Backend>(model: &AmcClassifier<B>, images: Tensor<B, 4>) -> Result<Vec<usize>> {
    let logits = model.forward(images)?;
    let classes = logits.dims()[1];
    Ok(argmax_rows(&model::batch::read(logits)?, classes))
}

/// The index of the largest value of each row of a `[rows, classes]` row-major matrix.
pub fn argmax_rows(values: &[f32], classes: usize) -> Vec<usize> {
    values
        .chunks(classes.max(1))
        .map(|row| {
            row.iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(k, _)| k)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use model::{RenderConfig, SnrSpec};

    #[test]
    fn batches_do_not_depend_on_thread_count() {
        let spec = DatasetSpec::new(4, SnrSpec::default());
        let r = Renderer::new(RenderConfig::for_signal(&spec.signal, 32)).unwrap();
        let ids: Vec<u64> = (100..107).collect();
        let one = render_batch(&spec, &r, &ids, &Modality::ALL, 1).unwrap();
        let three = render_batch(&spec, &r, &ids, &Modality::ALL, 3).unwrap();
        assert_eq!(one, three);
        assert_eq!(one.len(), 7);
        assert_eq!(one.modalities[0].2.len(), 7 * 3 * 32 * 32);
        assert_eq!(
            one.labels,
            ids.iter().map(|i| (*i % 10) as usize).collect::<Vec<_>>()
        );
    }

    #[test]
    fn masking_noise_is_reproducible_and_varies() {
        let a = masking_noise(1, 0, &[5, 6], 0, 16);
        assert_eq!(a, masking_noise(1, 0, &[5, 6], 0, 16));
        assert_ne!(a, masking_noise(1, 1, &[5, 6], 0, 16));
        assert_ne!(a, masking_noise(1, 0, &[5, 6], 1, 16));
        assert_ne!(a[..16], a[16..]);
        assert!(a.iter().all(|v| (0.0..1.0).contains(v)));
    }
}
