//! On-the-fly training data: examples generated from `(seed, index)`, rendered on worker
//! threads, stacked into tensors; masking noise derived from `(seed, epoch, index)` so a
//! resumed run sees exactly the batches an uninterrupted one would.

use anyhow::{Context, Result};
use burn::optim::AdamWConfig;
use burn::tensor::{backend::Backend, Tensor, TensorData};
use model::classifier::AmcClassifier;
use model::config::FipMaeConfig;
use model::mae::ModalityInput;
use model::rng::{epoch_seed, Rng};
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

/// Calls `step` on each `batch`-sized chunk of `order` with what `render` made of it,
/// rendering one chunk ahead on a background thread: the next batch is drawn while the
/// current step runs, so a step waits for data only when rendering is the slower of the
/// two (it is on a GPU; on a CPU the two share the cores). The first error, from either
/// side, stops both and is returned.
pub fn for_each_prefetched<T: Send>(
    order: &[u64],
    batch: usize,
    render: impl Fn(&[u64]) -> Result<T> + Sync,
    mut step: impl FnMut(&[u64], T) -> Result<()>,
) -> Result<()> {
    let batch = batch.max(1);
    std::thread::scope(|s| {
        // capacity 1: at most one finished batch waits while the next is rendered
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<T>>(1);
        let render = &render;
        s.spawn(move || {
            for ids in order.chunks(batch) {
                let rendered = render(ids);
                let failed = rendered.is_err();
                // the receiver is gone when the step side stopped early: stop too
                if tx.send(rendered).is_err() || failed {
                    break;
                }
            }
        });
        for ids in order.chunks(batch) {
            let rendered = rx
                .recv()
                .map_err(|_| anyhow::anyhow!("the rendering thread stopped"))??;
            step(ids, rendered)?;
        }
        Ok(())
    })
}

/// Stops a run on a non-finite loss at `step` (from 0) of `epoch` (from 0), naming the
/// weights last written (the last epoch's, or fine-tuning's best), or that none were.
pub fn check_finite(loss: f64, epoch: usize, step: usize, weights: &std::path::Path) -> Result<()> {
    if loss.is_finite() {
        return Ok(());
    }
    let kept = if weights.exists() {
        format!(
            "the weights written before it are in `{}`",
            weights.display()
        )
    } else {
        "no epoch had finished, so no weights were written".to_string()
    };
    anyhow::bail!(
        "the loss became {loss} at epoch {}, step {} (try a lower --lr); {kept}",
        epoch + 1,
        step + 1
    )
}

/// Default of `--sync-every`: training steps between two reads of their values.
pub const DEFAULT_SYNC_EVERY: usize = 16;

/// Per-step training values (the loss, the predicted classes) kept on the device and read
/// back together, once every `every` steps and at the end of an epoch: one host read per
/// `every` steps instead of one or two per step, so a GPU's queue is not drained at every
/// step. The values are the same as per-step reads (only when they are read changes).
#[derive(Debug)]
pub struct StepReads<B: Backend> {
    every: usize,
    /// Steps read back so far (the index of the first pending step).
    done: usize,
    /// Per pending step: the loss (`[1]`) and the batch's example count.
    losses: Vec<(Tensor<B, 1>, usize)>,
    /// Per pending step with predictions: predicted classes `[batch]` (as floats) and labels.
    predictions: Vec<(Tensor<B, 1>, Vec<usize>)>,
}

/// The values of the steps one read brought back.
#[derive(Debug, Clone, PartialEq)]
pub struct StepValues {
    /// Index (from 0, counted since [`StepReads::new`]) of the first step here.
    pub first: usize,
    /// Per step: the loss and the batch's example count.
    pub losses: Vec<(f64, usize)>,
    /// Correct predictions over these steps' batches (0 without predictions).
    pub correct: usize,
}

impl<B: Backend> StepReads<B> {
    /// Reads every `every` steps (`0` counts as 1: a read per step).
    pub fn new(every: usize) -> Self {
        Self {
            every: every.max(1),
            done: 0,
            losses: Vec::new(),
            predictions: Vec::new(),
        }
    }

    /// Queues one step's loss (`[1]`, detached) over `examples` examples and, for a
    /// classifier, its predicted classes (`[batch]`, as floats) with the batch's labels;
    /// returns the pending steps' values when `every` steps are pending.
    pub fn push(
        &mut self,
        loss: Tensor<B, 1>,
        examples: usize,
        predicted: Option<(Tensor<B, 1>, Vec<usize>)>,
    ) -> Result<Option<StepValues>> {
        self.losses.push((loss, examples));
        self.predictions.extend(predicted);
        if self.losses.len() >= self.every {
            self.flush().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Reads the pending steps' values back (one read for the losses, one for the
    /// predictions) and empties the queue.
    pub fn flush(&mut self) -> Result<StepValues> {
        let first = self.done;
        let pending = std::mem::take(&mut self.losses);
        self.done += pending.len();
        let (tensors, sizes): (Vec<_>, Vec<_>) = pending.into_iter().unzip();
        let values = if tensors.is_empty() {
            Vec::new()
        } else {
            model::batch::read(Tensor::cat(tensors, 0)).context("reading the losses back")?
        };
        if values.len() != sizes.len() {
            anyhow::bail!(
                "{} losses read back for {} steps (a loss must hold one value)",
                values.len(),
                sizes.len()
            );
        }
        let losses = values.iter().map(|&v| v as f64).zip(sizes).collect();
        let predictions = std::mem::take(&mut self.predictions);
        let mut correct = 0;
        if !predictions.is_empty() {
            let (tensors, labels): (Vec<_>, Vec<_>) = predictions.into_iter().unzip();
            let predicted =
                model::batch::read(Tensor::cat(tensors, 0)).context("reading predictions back")?;
            correct = predicted
                .iter()
                .zip(labels.iter().flatten())
                .filter(|(p, l)| **p as usize == **l)
                .count();
        }
        Ok(StepValues {
            first,
            losses,
            correct,
        })
    }
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
    let pairs = modalities
        .iter()
        .map(|&m| renderer.render_pair(m, &ex).map(|p| (p.input, p.target)))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("rendering example {i}"))?;
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

/// AdamW as MAE pretrains: β = (0.9, 0.95), weight decay 0.05 (`pretrain`, `bench model`).
pub fn pretrain_optimizer() -> AdamWConfig {
    AdamWConfig::new()
        .with_beta_1(0.9)
        .with_beta_2(0.95)
        .with_weight_decay(0.05)
}

/// AdamW as MAE fine-tunes: β = (0.9, 0.999) (Burn's defaults), weight decay 0.05.
pub fn finetune_optimizer() -> AdamWConfig {
    AdamWConfig::new().with_weight_decay(0.05)
}

/// The order of examples `0..n` in `epoch`: a Fisher-Yates shuffle seeded by
/// `(seed, salt, epoch)` (the salt keeps pretraining and fine-tuning orders apart).
pub fn shuffled(n: u64, seed: u64, salt: u64, epoch: u64) -> Vec<u64> {
    let mut order: Vec<u64> = (0..n).collect();
    let mut r = Rng::from_seed(epoch_seed(seed ^ salt, epoch));
    for i in (1..order.len()).rev() {
        order.swap(i, r.below(i + 1));
    }
    order
}

/// Worker threads: the user's choice, or every core.
pub fn threads(choice: Option<usize>) -> usize {
    choice
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// Learning rate at `step` (0-based) of `total`: linear warm-up over `warmup` steps to
/// `base`, then cosine decay to `min`.
pub fn learning_rate(step: usize, total: usize, warmup: usize, base: f64, min: f64) -> f64 {
    if step < warmup {
        return base * (step + 1) as f64 / warmup as f64;
    }
    let span = total.saturating_sub(warmup).max(1) as f64;
    let t = ((step - warmup) as f64 / span).min(1.0);
    min + (base - min) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
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

    #[test]
    fn prefetching_keeps_the_order_and_stops_at_the_first_error() {
        let order: Vec<u64> = (0..10).collect();
        let mut seen = Vec::new();
        let sums = |ids: &[u64]| Ok(ids.iter().sum::<u64>());
        for_each_prefetched(&order, 3, sums, |ids, sum| {
            assert_eq!(sum, ids.iter().sum::<u64>());
            seen.extend_from_slice(ids);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, order);

        // a rendering error reaches the caller; the steps before it ran, none after
        let rendered = std::sync::atomic::AtomicUsize::new(0);
        let failing = |ids: &[u64]| {
            rendered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if ids.contains(&6) {
                anyhow::bail!("example 6 cannot be rendered")
            }
            Ok(())
        };
        let mut steps = 0;
        let err = for_each_prefetched(&order, 3, failing, |_, ()| {
            steps += 1;
            Ok(())
        })
        .unwrap_err();
        assert!(err.to_string().contains("example 6"), "{err}");
        assert_eq!(steps, 2);
        assert_eq!(rendered.load(std::sync::atomic::Ordering::SeqCst), 3);

        // a step's error stops the renderer too
        let mut steps = 0;
        let err = for_each_prefetched(
            &order,
            1,
            |_| Ok(()),
            |ids, ()| {
                steps += 1;
                if ids[0] == 2 {
                    anyhow::bail!("step on example 2 failed")
                }
                Ok(())
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("example 2"), "{err}");
        assert_eq!(steps, 3);
    }

    #[test]
    fn schedule_warms_up_then_decays() {
        let lr = |s| learning_rate(s, 100, 10, 1e-3, 1e-5);
        assert!((lr(0) - 1e-4).abs() < 1e-12);
        assert!((lr(9) - 1e-3).abs() < 1e-12);
        assert!(lr(10) <= 1e-3 && lr(50) < lr(20) && lr(99) < lr(50));
        assert!((learning_rate(100, 100, 10, 1e-3, 1e-5) - 1e-5).abs() < 1e-12);
    }
}
