//! Pretraining itself: the run folder opened or resumed, the data-parallel step, the
//! epoch loop, validation and the end-of-epoch writes.

use anyhow::{bail, Context, Result};
use burn::module::{AutodiffModule, Module};
use burn::optim::{GradientsParams, MultiGradientsParams, Optimizer};
use burn::tensor::backend::DeviceOps;
use burn::tensor::Tensor;
use model::batch::read_scalar;
use model::mae::FipMae;
use model::weights::{autoencoder_to_bytes, Precision};
use model::{Modality, Renderer};

use super::{EpochMetrics, PretrainArgs, PretrainRun, Summary};
use crate::backend::{self, TrainBackend};
use crate::data::recordings::Unlabelled;
use crate::data::{shuffled, threads, HostBatch};
use crate::training::run_folder::{
    read_run, refuse_existing, RunFolder, TrainState, AUTOENCODER_WEIGHTS, RUN_JSON,
};
use crate::training::{pretrain_optimizer, Epoch, Schedule, StepOutput};

/// The mean validation loss of `model` on the run's validation examples, over all
/// modalities and per modality (each over the examples where it is present).
fn validation_loss<B: burn::tensor::backend::Backend>(
    model: &FipMae<B>,
    run: &PretrainRun,
    data: &Unlabelled,
    renderer: &Renderer,
    threads: usize,
    device: &B::Device,
) -> Result<(f64, Vec<(Modality, f64)>)> {
    let ids: Vec<u64> = (run.examples..run.examples + run.val_examples).collect();
    let modalities = run.model.present_modalities();
    let (mut total, mut n) = (0.0, 0usize);
    // per modality: loss × examples where it is present, and those examples (a recorded
    // example has no noise image)
    let mut per = vec![(0.0, 0usize); modalities.len()];
    for chunk in ids.chunks(run.batch_size) {
        let batch = data.render(renderer, chunk, &modalities, threads)?;
        // a fixed masking "epoch" so validation losses are comparable across epochs
        let out = model.forward(&batch.to_inputs::<B>(&run.model, run.seed, u64::MAX, device))?;
        let k = chunk.len();
        total += read_scalar(out.loss)? * k as f64;
        let generated = batch.recorded.iter().filter(|r| !**r).count();
        for (p, m) in per.iter_mut().zip(&out.modalities) {
            let present = if m.modality == Modality::Noise {
                generated
            } else {
                k
            };
            p.0 += read_scalar(m.loss.clone())? * present as f64;
            p.1 += present;
        }
        n += k;
    }
    Ok((
        total / n.max(1) as f64,
        modalities
            .into_iter()
            .zip(per.into_iter().map(|(sum, k)| sum / k.max(1) as f64))
            .collect(),
    ))
}

/// Where pretraining stands.
type State<O> = TrainState<FipMae<TrainBackend>, O, EpochMetrics>;

/// Holds the run folder: on `--resume` its `run.json`, read and checked again; otherwise
/// the options, validated, written as a new run's `run.json` (refusing a folder that
/// already holds a run).
fn open_run(args: &PretrainArgs) -> Result<(RunFolder, PretrainRun)> {
    if args.run.resume {
        let run: PretrainRun = read_run(&args.run.out, "a valid run description")?;
        run.validate().with_context(|| {
            format!(
                "`{}` cannot be resumed",
                args.run.out.join(RUN_JSON).display()
            )
        })?;
        return Ok((
            RunFolder::resume(&args.run.out, AUTOENCODER_WEIGHTS, &run)?,
            run,
        ));
    }
    refuse_existing(&args.run.out)?;
    let run = args.run_config()?;
    Ok((
        RunFolder::create(&args.run.out, AUTOENCODER_WEIGHTS, &run)?,
        run,
    ))
}

/// What one optimizer step works on.
struct Step<'a> {
    run: &'a PretrainRun,
    data: &'a Unlabelled,
    renderer: &'a Renderer,
    devices: &'a [backend::Device],
    threads: usize,
}

impl Step<'_> {
    /// The examples `ids` rendered for one step: one batch per device share (one share per
    /// device, one device in the plain case).
    fn render(&self, ids: &[u64]) -> Result<Vec<HostBatch>> {
        let modalities = self.run.model.present_modalities();
        let share = ids.len().div_ceil(self.devices.len().max(1)).max(1);
        ids.chunks(share)
            .map(|part| {
                self.data
                    .render(self.renderer, part, &modalities, self.threads)
            })
            .collect()
    }

    /// One optimizer step on `shares` (from [`Step::render`]), data parallel over the
    /// devices: each replica's loss is weighted by its share of the batch, so the summed
    /// gradients are the whole batch's. Returns the stepped model and the batch's loss,
    /// `[1]` on the first device, not read back (see [`crate::training::StepReads`]).
    fn run<O: Optimizer<FipMae<TrainBackend>, TrainBackend>>(
        &self,
        model: FipMae<TrainBackend>,
        optim: &mut O,
        shares: Vec<HostBatch>,
        epoch: usize,
        lr: f64,
    ) -> Result<(FipMae<TrainBackend>, Tensor<backend::Backend, 1>)> {
        let run = self.run;
        let first = self.devices.first().context("no device to train on")?;
        let total: usize = shares.iter().map(|b| b.indices.len()).sum();
        let mut grads = MultiGradientsParams::default();
        let mut loss: Option<Tensor<backend::Backend, 1>> = None;
        for (batch, dev) in shares.iter().zip(self.devices) {
            let replica = if self.devices.len() == 1 {
                model.clone()
            } else {
                model.clone().fork(dev)
            };
            let inputs = batch.to_inputs::<TrainBackend>(&run.model, run.seed, epoch as u64, dev);
            let out = replica.forward(&inputs)?;
            let w = batch.indices.len() as f64 / total as f64;
            let share = out.loss.clone().inner();
            let share = if self.devices.len() == 1 {
                share
            } else {
                share.to_device(first) * w
            };
            loss = Some(match loss {
                Some(l) => l + share,
                None => share,
            });
            let weighted = if batch.indices.len() == total {
                out.loss
            } else {
                out.loss * w
            };
            let g = GradientsParams::from_grads(weighted.backward(), &replica);
            grads.grads.push((g, DeviceOps::id(dev)));
        }
        let loss = loss.context("a step with no batch")?;
        let model = if grads.grads.len() == 1 {
            let (g, _) = grads.grads.remove(0);
            optim.step(lr, model, g)
        } else {
            optim.step_multi(lr, model, grads)
        };
        Ok((model, loss))
    }
}

/// End of an epoch: validation, then the weights, the metrics line and the checkpoint.
fn end_of_epoch<O: Optimizer<FipMae<TrainBackend>, TrainBackend>>(
    state: &mut State<O>,
    step: &Step,
    folder: &RunFolder,
    mut metrics: EpochMetrics,
) -> Result<()> {
    let device = step.devices.first().context("no device to train on")?;
    let valid = state.model.valid();
    let (val_loss, val_modality_loss) = validation_loss(
        &valid,
        step.run,
        step.data,
        step.renderer,
        step.threads,
        device,
    )?;
    metrics.val_loss = val_loss;
    metrics.val_modality_loss = val_modality_loss;
    let weights = autoencoder_to_bytes(&valid, Precision::Full);
    folder.end_epoch(state, Some(&weights), metrics)
}

/// Runs `pretrain` data-parallel over `devices` (the first holds the model and the
/// optimizer; with one device this is plain training).
pub fn run_on(args: &PretrainArgs, devices: &[backend::Device]) -> Result<Summary> {
    let (folder, run) = open_run(args)?;
    let device = devices.first().cloned().context("no device to train on")?;
    if run.recordings.is_some() && devices.len() > 1 {
        // each share's noise loss is averaged over its own generated examples, so shares
        // with different mixes would not sum to the whole batch's gradient
        bail!("pretraining on --recordings runs on one device: pass --devices 1");
    }
    let renderer = Renderer::new(run.render.clone())?;
    // Seeded initialisation, drawn on the CPU: the same seed gives the same starting
    // weights on every backend.
    let start = TrainState::new(
        backend::portable_autoencoder(&run.model, run.seed, &device)?,
        pretrain_optimizer().init(),
    );
    let mut state = folder.restore(start, run.epochs, &device)?;
    let data = run.unlabelled()?;
    let step = Step {
        run: &run,
        data: &data,
        renderer: &renderer,
        devices,
        threads: threads(args.run.threads),
    };
    let steps_per_epoch = (run.examples as usize).div_ceil(run.batch_size);
    let schedule = Schedule {
        base: run.lr,
        warmup: (run.warmup_epochs * steps_per_epoch as f64).round() as usize,
        total: steps_per_epoch * run.epochs,
    };
    let last_epoch = args
        .run
        .stop_after
        .map_or(run.epochs, |s| s.min(run.epochs));
    for epoch in state.epochs_done..last_epoch {
        let plan = Epoch {
            epoch,
            epochs: run.epochs,
            order: shuffled(run.examples, run.seed, 0x00DD_BA11, epoch as u64),
            batch_size: run.batch_size,
            sync_every: args.run.sync_every,
            schedule,
            weights: folder.weights(),
        };
        let optim = &mut state.optim;
        let (model, t) = plan.run(
            state.model,
            &mut state.step,
            |ids| step.render(ids),
            |model, shares, lr| {
                let (model, loss) = step.run(model, optim, shares, epoch, lr)?;
                let predicted = None;
                Ok((model, StepOutput { loss, predicted }))
            },
        )?;
        state.model = model;
        let metrics = EpochMetrics {
            epoch: epoch + 1,
            train_loss: t.mean_loss(),
            val_loss: f64::NAN,
            val_modality_loss: Vec::new(),
            lr: t.lr,
            examples_per_s: t.rate,
        };
        end_of_epoch(&mut state, &step, &folder, metrics)?;
        if let Some(m) = state.history.last() {
            eprintln!(
                "epoch {}/{}: train loss {:.4}, val loss {:.4}, {:.1} examples/s",
                m.epoch, run.epochs, m.train_loss, m.val_loss, m.examples_per_s
            );
        }
    }
    Ok(Summary {
        epochs: state.history,
        weights: folder.weights().to_path_buf(),
    })
}
