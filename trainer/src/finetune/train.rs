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
use crate::data::{predict, threads, HostBatch};
use crate::training::run_folder::{
    refuse_existing, RunFolder, TrainState, CLASSIFIER_WEIGHTS, RUN_JSON,
};
use crate::training::{finetune_optimizer, Epoch, EpochTotals, Schedule, StepOutput};

/// What every fine-tuning step needs besides the model and the optimizer.
struct Trainer<'a> {
    run: &'a FinetuneRun,
    renderer: Renderer,
    loss_fn: CrossEntropyLoss<TrainBackend>,
    threads: usize,
    /// Steps between two reads of their values (`--sync-every`).
    sync_every: usize,
    /// One warm-up epoch, then cosine decay.
    schedule: Schedule,
    device: &'a backend::Device,
    /// The labelled examples.
    data: Labelled,
}

impl<'a> Trainer<'a> {
    /// Everything `run` trains with besides the model and the optimizer.
    fn new(run: &'a FinetuneRun, args: &FinetuneArgs, device: &'a backend::Device) -> Result<Self> {
        let steps_per_epoch = (run.train as usize).div_ceil(run.batch_size);
        Ok(Self {
            run,
            renderer: Renderer::new(run.render.clone())?,
            loss_fn: CrossEntropyLossConfig::new()
                .with_smoothing((run.label_smoothing > 0.0).then_some(run.label_smoothing as f32))
                .init::<TrainBackend>(device),
            threads: threads(args.run.threads),
            sync_every: args.run.sync_every,
            schedule: Schedule {
                base: run.lr,
                warmup: steps_per_epoch,
                total: steps_per_epoch * run.epochs,
            },
            device,
            data: run.labelled()?,
        })
    }
}

impl Trainer<'_> {
    /// Labelled examples `ids` rendered as the classifier's input.
    fn render(&self, ids: &[u64]) -> Result<HostBatch> {
        let target = self.run.classifier.mae.target;
        self.data.render(&self.renderer, ids, target, self.threads)
    }

    /// Accuracy of `model` (the trained one, without autodiff) on labelled examples `ids`.
    fn accuracy(&self, model: &AmcClassifier<backend::Backend>, ids: &[u64]) -> Result<f64> {
        let mut correct = 0usize;
        for chunk in ids.chunks(self.run.batch_size.max(1)) {
            let batch = self.render(chunk)?;
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

impl Trainer<'_> {
    /// One optimizer step on `batch` at learning rate `lr`: cross-entropy (with label
    /// smoothing) of the classifier's logits; returns the stepped model, the loss and the
    /// predicted classes, left on the device.
    fn step<O: Optimizer<AmcClassifier<TrainBackend>, TrainBackend>>(
        &self,
        model: AmcClassifier<TrainBackend>,
        optim: &mut O,
        batch: HostBatch,
        lr: f64,
    ) -> Result<(AmcClassifier<TrainBackend>, StepOutput<backend::Backend>)> {
        let x = batch.images::<TrainBackend>(self.device)?;
        let labels: Vec<f32> = batch.labels.iter().map(|l| *l as f32).collect();
        let y = Tensor::<TrainBackend, 1>::from_data(
            TensorData::new(labels, [batch.len()]),
            self.device,
        )
        .int();
        let logits = model.forward(x)?;
        let predicted = logits.clone().inner().argmax(1).float().flatten::<1>(0, 1);
        let loss = self.loss_fn.forward(logits, y);
        let value = loss.clone().inner();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let model = optim.step(lr, model, grads);
        let out = StepOutput {
            loss: value,
            predicted: Some((predicted, batch.labels)),
        };
        Ok((model, out))
    }
}

/// On `--resume`, holds the run folder and reads its `run.json` (checked again); otherwise
/// validates the options (refusing a folder that already holds a run) and writes nothing
/// yet. Returns the run, the pretrained weights, if any, and the folder when held.
fn open_run(args: &FinetuneArgs) -> Result<(FinetuneRun, Option<Vec<u8>>, Option<RunFolder>)> {
    if args.run.resume {
        let run = read_finetune_run(&args.run.out).with_context(|| {
            format!(
                "`{}` cannot be resumed",
                args.run.out.join(RUN_JSON).display()
            )
        })?;
        let folder = RunFolder::resume(&args.run.out, CLASSIFIER_WEIGHTS, &run)?;
        let pretrained = run.pretrained_bytes()?;
        return Ok((run, pretrained, Some(folder)));
    }
    refuse_existing(&args.run.out)?;
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
        None => RunFolder::create(&args.run.out, CLASSIFIER_WEIGHTS, &run)?,
    };
    let mut state: State<_> = folder.restore(start, run.epochs, &device)?;
    let trainer = Trainer::new(&run, args, &device)?;
    let last_epoch = args
        .run
        .stop_after
        .map_or(run.epochs, |s| s.min(run.epochs));
    for epoch in state.epochs_done..last_epoch {
        let started = Instant::now();
        let plan = Epoch {
            epoch,
            epochs: run.epochs,
            order: run.epoch_ids(epoch)?,
            batch_size: run.batch_size,
            sync_every: trainer.sync_every,
            schedule: trainer.schedule,
            weights: folder.weights(),
        };
        let optim = &mut state.optim;
        let (model, t) = plan.run(
            state.model,
            &mut state.step,
            |ids| trainer.render(ids),
            |model, batch, lr| trainer.step(model, optim, batch, lr),
        )?;
        state.model = model;
        trainer.end_of_epoch(&mut state, &folder, t)?;
        if let Some(m) = state.history.last() {
            eprintln!(
                "epoch {}/{}: loss {:.4}, train acc {:.3}, val acc {:.3}{} ({:.1} s, {:.1} examples/s)",
                m.epoch,
                run.epochs,
                m.train_loss,
                m.train_accuracy,
                m.val_accuracy,
                if m.kept { ", kept" } else { "" },
                started.elapsed().as_secs_f64(),
                m.examples_per_s
            );
        }
    }
    Ok(Summary {
        best_val_accuracy: best_val_accuracy(&state.history),
        epochs: state.history,
        weights: folder.weights().to_path_buf(),
    })
}

/// Where fine-tuning stands.
type State<O> = TrainState<AmcClassifier<TrainBackend>, O, EpochMetrics>;

/// The best validation accuracy of the finished epochs (−1 before the first).
fn best_val_accuracy(history: &[EpochMetrics]) -> f64 {
    history
        .iter()
        .map(|m| m.val_accuracy)
        .fold(-1.0f64, f64::max)
}

impl Trainer<'_> {
    /// End of an epoch trained with totals `t`: validation accuracy, then the weights when
    /// it is the best so far, the metrics line and the checkpoint.
    fn end_of_epoch<O: Optimizer<AmcClassifier<TrainBackend>, TrainBackend>>(
        &self,
        state: &mut State<O>,
        folder: &RunFolder,
        t: EpochTotals,
    ) -> Result<()> {
        let run = self.run;
        let valid = state.model.valid();
        let val_ids: Vec<u64> = (run.train..run.train + run.val).collect();
        let val_accuracy = self.accuracy(&valid, &val_ids)?;
        let kept = val_accuracy > best_val_accuracy(&state.history);
        let weights = kept.then(|| classifier_to_bytes(&valid, Precision::Full));
        let metrics = EpochMetrics {
            epoch: state.epochs_done + 1,
            train_loss: t.mean_loss(),
            train_accuracy: t.accuracy(),
            val_accuracy,
            kept,
            examples_per_s: t.rate,
        };
        folder.end_epoch(state, weights.as_deref(), metrics)
    }
}
