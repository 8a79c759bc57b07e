//! Fine-tuning itself: the run folder opened or resumed, the epoch loop, validation
//! accuracy and the end-of-epoch writes (the best epoch's weights are kept).

use std::time::Instant;

use anyhow::{Context, Result};
use burn::module::AutodiffModule;
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::{Tensor, TensorData};
use model::classifier::AmcClassifier;
use model::weights::{classifier_to_bytes, Precision};
use model::Renderer;

use super::description::{initial_model, read_finetune_run};
use super::{EpochMetrics, FinetuneArgs, FinetuneRun, Summary};
use crate::backend::{self, TrainBackend};
use crate::data::recordings::Labelled;
use crate::data::{predict, threads};
use crate::training::run_folder::{
    refuse_existing, RunFolder, TrainState, CLASSIFIER_WEIGHTS, RUN_JSON,
};
use crate::training::{
    check_finite, finetune_optimizer, for_each_prefetched, learning_rate, StepReads, StepValues,
};

/// What every fine-tuning step needs besides the model and the optimizer.
struct Trainer<'a> {
    run: &'a FinetuneRun,
    renderer: Renderer,
    loss_fn: CrossEntropyLoss<TrainBackend>,
    threads: usize,
    device: &'a backend::Device,
    steps_per_epoch: usize,
    /// Steps between two reads of their values (`--sync-every`).
    sync_every: usize,
    /// The labelled examples.
    data: Labelled,
}

impl Trainer<'_> {
    /// Accuracy of `model` (the trained one, without autodiff) on labelled examples `ids`.
    fn accuracy(&self, model: &AmcClassifier<backend::Backend>, ids: &[u64]) -> Result<f64> {
        let target = self.run.classifier.mae.target;
        let mut correct = 0usize;
        for chunk in ids.chunks(self.run.batch_size.max(1)) {
            let batch = self
                .data
                .render(&self.renderer, chunk, target, self.threads)?;
            let pred = predict(model, batch.images::<backend::Backend>(self.device)?)?;
            correct += pred
                .iter()
                .zip(&batch.labels)
                .filter(|(p, l)| p == l)
                .count();
        }
        Ok(correct as f64 / ids.len().max(1) as f64)
    }
}

/// Training-set statistics of one epoch.
struct EpochTotals {
    loss_sum: f64,
    correct: usize,
    seen: usize,
    /// Training examples per second over the epoch.
    rate: f64,
}

impl Trainer<'_> {
    /// One epoch over the labelled examples in this epoch's order; the running step count
    /// `step` sets the learning rate (one warm-up epoch, then cosine decay).
    fn epoch<O: Optimizer<AmcClassifier<TrainBackend>, TrainBackend>>(
        &self,
        model: AmcClassifier<TrainBackend>,
        optim: &mut O,
        step: &mut usize,
        epoch: usize,
        weights: &std::path::Path,
    ) -> Result<(AmcClassifier<TrainBackend>, EpochTotals)> {
        let run = self.run;
        let total = self.steps_per_epoch * run.epochs;
        let target = run.classifier.mae.target;
        let mut t = EpochTotals {
            loss_sum: 0.0,
            correct: 0,
            seen: 0,
            rate: 0.0,
        };
        let bar = crate::training::progress::EpochProgress::start(
            epoch + 1,
            run.epochs,
            run.train as usize,
        );
        let order = run.epoch_ids(epoch)?;
        let render = |ids: &[u64]| self.data.render(&self.renderer, ids, target, self.threads);
        let mut slot = Some(model);
        let mut reads = StepReads::new(self.sync_every);
        // a read's values: each step's loss checked, then counted
        let mut take = |v: StepValues, lr: f64| -> Result<()> {
            for (j, &(value, n)) in v.losses.iter().enumerate() {
                check_finite(value, epoch, v.first + j, weights)?;
                t.loss_sum += value * n as f64;
                t.seen += n;
            }
            t.correct += v.correct;
            bar.update(t.seen, t.loss_sum / t.seen.max(1) as f64, lr);
            Ok(())
        };
        let mut lr = run.lr;
        for_each_prefetched(&order, run.batch_size, render, |ids, batch| {
            let model = slot.take().context("the model was lost in a failed step")?;
            let x = batch.images::<TrainBackend>(self.device)?;
            let labels: Vec<f32> = batch.labels.iter().map(|l| *l as f32).collect();
            let y = Tensor::<TrainBackend, 1>::from_data(
                TensorData::new(labels, [ids.len()]),
                self.device,
            )
            .int();
            let logits = model.forward(x)?;
            let predicted = logits.clone().inner().argmax(1).float().flatten::<1>(0, 1);
            let loss = self.loss_fn.forward(logits, y);
            let value = loss.clone().inner();
            lr = learning_rate(*step, total, self.steps_per_epoch, run.lr, run.lr / 100.0);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            slot = Some(optim.step(lr, model, grads));
            *step += 1;
            if let Some(v) = reads.push(value, ids.len(), Some((predicted, batch.labels)))? {
                take(v, lr)?;
            }
            Ok(())
        })?;
        take(reads.flush()?, lr)?;
        t.rate = bar.rate(t.seen);
        bar.finish();
        let model = slot.context("the model was lost in a failed step")?;
        Ok((model, t))
    }
}

/// On `--resume`, holds the run folder and reads its `run.json` (checked again); otherwise
/// validates the options (refusing a folder that already holds a run) and writes nothing
/// yet. Returns the run, the pretrained weights, if any, and the folder when held.
fn open_run(args: &FinetuneArgs) -> Result<(FinetuneRun, Option<Vec<u8>>, Option<RunFolder>)> {
    if args.resume {
        let run = read_finetune_run(&args.out).with_context(|| {
            format!("`{}` cannot be resumed", args.out.join(RUN_JSON).display())
        })?;
        let folder = RunFolder::resume(&args.out, CLASSIFIER_WEIGHTS, &run)?;
        let pretrained = run.pretrained_bytes()?;
        return Ok((run, pretrained, Some(folder)));
    }
    refuse_existing(&args.out)?;
    let (run, pretrained) = args.run_config()?;
    Ok((run, pretrained, None))
}

/// Runs `finetune`: validates everything and loads the starting model, then writes
/// `run.json`, then trains, keeping the weights of the epoch with the best validation
/// accuracy and a checkpoint after every epoch, so `--resume` continues a killed run to
/// the same end.
pub fn run(args: &FinetuneArgs) -> Result<Summary> {
    let (run, pretrained, folder) = open_run(args)?;
    let device = backend::device()?;
    let start = TrainState::new(
        initial_model(&run, pretrained.as_deref(), &device)?,
        finetune_optimizer().init(),
    );
    let folder = match folder {
        Some(f) => f,
        None => RunFolder::create(&args.out, CLASSIFIER_WEIGHTS, &run)?,
    };
    let mut state: TrainState<_, _, EpochMetrics> = folder.restore(start, run.epochs, &device)?;
    let mut best = state
        .history
        .iter()
        .map(|m| m.val_accuracy)
        .fold(-1.0f64, f64::max);

    let trainer = Trainer {
        run: &run,
        renderer: Renderer::new(run.render.clone())?,
        loss_fn: CrossEntropyLossConfig::new()
            .with_smoothing((run.label_smoothing > 0.0).then_some(run.label_smoothing as f32))
            .init::<TrainBackend>(&device),
        threads: threads(args.threads),
        device: &device,
        steps_per_epoch: (run.train as usize).div_ceil(run.batch_size),
        sync_every: args.sync_every,
        data: run.labelled()?,
    };
    let val_ids: Vec<u64> = (run.train..run.train + run.val).collect();
    let last_epoch = args.stop_after.map_or(run.epochs, |s| s.min(run.epochs));
    for epoch in state.epochs_done..last_epoch {
        let started = Instant::now();
        let (stepped, t) = trainer.epoch(
            state.model,
            &mut state.optim,
            &mut state.step,
            epoch,
            folder.weights(),
        )?;
        state.model = stepped;
        // end of epoch: validation accuracy, then the best weights, the metrics line and
        // the checkpoint
        let valid = state.model.valid();
        let val_accuracy = trainer.accuracy(&valid, &val_ids)?;
        let kept = val_accuracy > best;
        if kept {
            best = val_accuracy;
        }
        let weights = kept.then(|| classifier_to_bytes(&valid, Precision::Full));
        let m = EpochMetrics {
            epoch: epoch + 1,
            train_loss: t.loss_sum / t.seen.max(1) as f64,
            train_accuracy: t.correct as f64 / t.seen.max(1) as f64,
            val_accuracy,
            kept,
            examples_per_s: t.rate,
        };
        folder.end_epoch(&mut state, weights.as_deref(), m)?;
        if let Some(m) = state.history.last() {
            eprintln!(
                "epoch {}/{}: loss {:.4}, train acc {:.3}, val acc {:.3}{} ({:.1} s, {:.1} examples/s)",
                m.epoch,
                run.epochs,
                m.train_loss,
                m.train_accuracy,
                m.val_accuracy,
                if kept { ", kept" } else { "" },
                started.elapsed().as_secs_f64(),
                m.examples_per_s
            );
        }
    }
    Ok(Summary {
        epochs: state.history,
        best_val_accuracy: best,
        weights: folder.weights().to_path_buf(),
    })
}
