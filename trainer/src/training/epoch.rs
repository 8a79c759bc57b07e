//! The epoch loop, written once ([`Epoch::run`]); `pretrain` and `finetune` each supply
//! their step. Its parts: the next batch rendered while a step runs
//! ([`for_each_prefetched`]), per-step values read back in groups ([`StepReads`]), and the
//! stop on a non-finite loss ([`check_finite`]).
//!
//! **Results do not depend on the prefetching or on `--sync-every`**: batches come in
//! order, and the values read back are those of per-step reads (tested).

use std::path::Path;

use anyhow::{Context, Result};
use burn::tensor::{backend::Backend, Tensor};

use super::progress::EpochProgress;
use super::schedule::Schedule;

/// One epoch of a run: what [`Epoch::run`] goes through.
#[derive(Debug, Clone)]
pub struct Epoch<'a> {
    /// This epoch, from 0.
    pub epoch: usize,
    /// The run's epochs (for the progress line).
    pub epochs: usize,
    /// The example ids, in this epoch's order.
    pub order: Vec<u64>,
    /// Examples per step.
    pub batch_size: usize,
    /// Steps between two reads of their values (`--sync-every`).
    pub sync_every: usize,
    /// The learning rate over the run's steps.
    pub schedule: Schedule,
    /// The weights file a non-finite loss names ([`check_finite`]).
    pub weights: &'a Path,
}

/// What one training step leaves on the device, to be read back with others
/// ([`StepReads::push`]).
#[derive(Debug)]
pub struct StepOutput<B: Backend> {
    /// The batch's loss, `[1]`, detached.
    pub loss: Tensor<B, 1>,
    /// A classifier's predicted classes (`[batch]`, as floats) with the batch's labels.
    pub predicted: Option<(Tensor<B, 1>, Vec<usize>)>,
}

/// An epoch's training totals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochTotals {
    /// Sum over the examples of their batch's loss.
    pub loss_sum: f64,
    /// Examples trained on.
    pub seen: usize,
    /// Correct predictions (0 without predictions).
    pub correct: usize,
    /// The learning rate of the last step.
    pub lr: f64,
    /// Training examples per second (rendering included).
    pub rate: f64,
}

impl EpochTotals {
    /// The mean training loss per example.
    pub fn mean_loss(&self) -> f64 {
        self.loss_sum / self.seen.max(1) as f64
    }

    /// The training accuracy.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.seen.max(1) as f64
    }
}

impl Epoch<'_> {
    /// Runs the epoch from optimizer step `steps` (counted on): `render` draws each batch
    /// one ahead on a background thread while `step` trains `model` on the current one at
    /// the scheduled learning rate; the steps' values are read back every `sync_every`
    /// steps and at the end, each loss checked, and counted. Draws the progress line.
    pub fn run<M, T: Send, B: Backend>(
        &self,
        model: M,
        steps: &mut usize,
        render: impl Fn(&[u64]) -> Result<T> + Sync,
        mut step: impl FnMut(M, T, f64) -> Result<(M, StepOutput<B>)>,
    ) -> Result<(M, EpochTotals)> {
        let bar = EpochProgress::start(self.epoch + 1, self.epochs, self.order.len());
        let mut t = EpochTotals {
            loss_sum: 0.0,
            seen: 0,
            correct: 0,
            lr: self.schedule.base,
            rate: 0.0,
        };
        let mut reads = StepReads::new(self.sync_every);
        // a read's values: each step's loss checked, then counted
        let take = |v: StepValues, t: &mut EpochTotals| -> Result<()> {
            for (j, &(loss, n)) in v.losses.iter().enumerate() {
                check_finite(loss, self.epoch, v.first + j, self.weights)?;
                t.loss_sum += loss * n as f64;
                t.seen += n;
            }
            t.correct += v.correct;
            bar.update(t.seen, t.mean_loss(), t.lr);
            Ok(())
        };
        // the model moves through the steps (a clone would keep its old parameters alive
        // and stop the optimizer from updating them in place)
        let mut slot = Some(model);
        for_each_prefetched(&self.order, self.batch_size, render, |ids, batch| {
            t.lr = self.schedule.at(*steps);
            let model = slot.take().context("the model was lost in a failed step")?;
            let (model, out) = step(model, batch, t.lr)?;
            slot = Some(model);
            *steps += 1;
            if let Some(v) = reads.push(out.loss, ids.len(), out.predicted)? {
                take(v, &mut t)?;
            }
            Ok(())
        })?;
        take(reads.flush()?, &mut t)?;
        t.rate = bar.rate(t.seen);
        bar.finish();
        let model = slot.context("the model was lost in a failed step")?;
        Ok((model, t))
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
}
