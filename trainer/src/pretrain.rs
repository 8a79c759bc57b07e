//! `fipmae pretrain`: masked-autoencoder pretraining on examples generated on the fly.
//!
//! A run folder holds `run.json` (everything needed to rebuild the model and the data),
//! `metrics.jsonl` (one line per epoch), `model.fipmae` (the weights after the last
//! finished epoch) and `checkpoint.bin` (weights with parameter ids, optimizer state and
//! the epoch reached, behind a checksum). Every file is written atomically at the end of
//! each epoch. `--resume` continues a stopped or killed run from its last checkpoint and
//! reaches exactly the metrics of an uninterrupted run: data order and masking noise are
//! functions of `(seed, epoch, index)`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use burn::module::{AutodiffModule, Module};
use burn::optim::{GradientsParams, MultiGradientsParams, Optimizer};
use burn::tensor::backend::DeviceOps;
use burn::tensor::Tensor;
use clap::Args;
use model::batch::read_scalar;
use model::config::{FipMaeConfig, MaskingStrategy, Method, Preset};
use model::mae::FipMae;
use model::weights::{autoencoder_to_bytes, Precision};
use model::{DatasetSpec, Modality, Profile, RenderConfig, Renderer, SignalConfig, SnrSpec};
use serde::{Deserialize, Serialize};

use crate::backend::{self, TrainBackend};
use crate::checkpoint;
use crate::data::{
    check_finite, for_each_prefetched, learning_rate, pretrain_optimizer, shuffled, threads,
    HostBatch, StepReads, StepValues, DEFAULT_SYNC_EVERY,
};
use crate::fsutil::{append_line, create_dir, write_atomic};
use crate::knobs::{parse_non_negative, parse_positive, BurstFlags, FipKnobs};
use crate::progress::EpochProgress;
use crate::recordings::{PretrainRecordings, RecordingSet, Unlabelled};

/// Options of `fipmae pretrain`.
#[derive(Debug, Clone, Args)]
pub struct PretrainArgs {
    /// Size preset: tiny, small or base.
    #[arg(long, default_value = "small")]
    pub preset: Preset,
    /// Method: denomae (all modalities alike) or fip (biased toward the constellation).
    #[arg(long, default_value = "fip")]
    pub method: Method,
    /// FIP knob overrides (`--mask-target`, `--depth-other`, …).
    #[command(flatten)]
    pub knobs: FipKnobs,
    /// Masking strategy: random, salience or adaptive.
    #[arg(long, default_value = "random")]
    pub masking: MaskingStrategy,
    /// Generator definitions: `standard` (8 samples/symbol, RRC, full channel) or `denomae`
    /// (the DenoMAE reference generator: 1 sample/symbol, AWGN only).
    #[arg(long, default_value = "standard")]
    pub profile: Profile,
    /// Largest carrier frequency offset of the generated data, cycles/sample, drawn
    /// U[−max, max] (default: the profile's, 5e-5 for `standard`); wider ranges make the
    /// model hold up on recordings with more offset.
    #[arg(long, value_parser = parse_non_negative)]
    pub max_freq_offset: Option<f64>,
    /// Burst length and samples per symbol.
    #[command(flatten)]
    pub burst: BurstFlags,
    /// Recordings to pretrain on, labels unused: SigMF pairs, `.sigmf` archives, raw
    /// captures, or folders of them; every annotated burst's whole windows, or consecutive
    /// windows of an unannotated capture. They have no clean version and no noise image:
    /// each modality's target is its own noisy rendering and the noise modality is absent
    /// from their examples.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub recordings: Vec<PathBuf>,
    /// With --recordings: the fraction of each epoch's examples drawn from the generator
    /// (clean targets and noise images), mixed into the same batches.
    #[arg(long, default_value_t = 0.0, requires = "recordings", value_parser = crate::knobs::parse_fraction_closed)]
    pub synthetic_fraction: f64,
    /// Unlabelled training examples per epoch (SNR ~ U[−10, 10] dB).
    #[arg(long, default_value_t = 10_000)]
    pub examples: u64,
    /// Validation examples (indices after the training ones).
    #[arg(long, default_value_t = 500)]
    pub val_examples: u64,
    /// Epochs.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Peak learning rate (AdamW, β 0.9/0.95, weight decay 0.05), finite and > 0.
    #[arg(long, default_value_t = 1e-3, value_parser = parse_positive)]
    pub lr: f64,
    /// Linear warm-up, epochs (then cosine decay to lr/100), finite and ≥ 0.
    #[arg(long, default_value_t = 1.0, value_parser = parse_non_negative)]
    pub warmup_epochs: f64,
    /// Seed of data, masking and order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run folder (created; must not already hold a run unless --resume).
    #[arg(long)]
    pub out: PathBuf,
    /// Continue the run in --out from its last checkpoint (its run.json decides every
    /// other setting).
    #[arg(long)]
    pub resume: bool,
    /// Stop after this many epochs in total, as if killed (continue later with --resume).
    #[arg(long)]
    pub stop_after: Option<usize>,
    /// Rendering threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Training steps between two reads of their losses back to the host (0 or 1: every
    /// step). Reading waits for the device; on a GPU fewer reads keep its queue full.
    /// Results do not depend on it.
    #[arg(long, default_value_t = DEFAULT_SYNC_EVERY)]
    pub sync_every: usize,
    /// Data-parallel replicas on GPUs 0..N (`cuda`, `wgpu` builds): each step splits the
    /// batch into N equal shares and sums the share-weighted gradients on GPU 0. Not part
    /// of the run: a run may resume on another count.
    #[arg(long, default_value_t = 1)]
    pub devices: usize,
}

/// Everything that defines a pretraining run, saved as `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PretrainRun {
    /// The network.
    pub model: FipMaeConfig,
    /// The data (training indices `0..examples`, validation after them).
    pub dataset: DatasetSpec,
    /// Rendering settings.
    pub render: RenderConfig,
    /// Training examples per epoch.
    pub examples: u64,
    /// Validation examples.
    pub val_examples: u64,
    /// Epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Warm-up, epochs.
    pub warmup_epochs: f64,
    /// Seed.
    pub seed: u64,
    /// Recorded windows mixed with (or instead of) the generator's examples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recordings: Option<PretrainRecordings>,
}

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// Epoch, from 1.
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Mean validation loss.
    pub val_loss: f64,
    /// Mean validation loss per modality.
    pub val_modality_loss: Vec<(Modality, f64)>,
    /// Learning rate at the epoch's end.
    pub lr: f64,
    /// Training examples per second.
    pub examples_per_s: f64,
}

impl PretrainArgs {
    /// The run these options describe, validated.
    pub fn run_config(&self) -> Result<PretrainRun> {
        let mut model = FipMaeConfig::preset_with_method(self.preset, self.method);
        if self.method == Method::Vit {
            bail!("--method vit trains no autoencoder: use `finetune --method vit`");
        }
        self.knobs.apply(&mut model);
        model.masking.strategy = self.masking;
        model.validate()?;
        let mut dataset = DatasetSpec::new(self.seed, SnrSpec::default());
        dataset.signal = SignalConfig::for_profile(self.profile);
        if let Some(f) = self.max_freq_offset {
            dataset.signal.channel.max_freq_offset = f;
        }
        self.burst.apply(&mut dataset.signal)?;
        let render = model.render_config(&dataset.signal);
        let recordings = if self.recordings.is_empty() {
            None
        } else {
            // counted, and the split checked, before anything is written
            let set = RecordingSet::open(
                &self.recordings,
                render.num_samples,
                None,
                crate::recordings::DEFAULT_SNR_FIELD,
            )?;
            let windows = set.windows.len() as u64;
            Unlabelled::from_set(
                dataset.clone(),
                set,
                self.synthetic_fraction,
                self.examples,
                self.val_examples,
                self.seed,
            )?;
            Some(PretrainRecordings {
                paths: self.recordings.clone(),
                windows,
                synthetic_fraction: self.synthetic_fraction,
            })
        };
        if self.examples == 0 || self.batch_size == 0 || self.epochs == 0 {
            bail!("--examples, --batch-size and --epochs must be at least 1");
        }
        let run = PretrainRun {
            model,
            dataset,
            render,
            examples: self.examples,
            val_examples: self.val_examples,
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            warmup_epochs: self.warmup_epochs,
            seed: self.seed,
            recordings,
        };
        run.validate()?;
        Ok(run)
    }
}

impl PretrainRun {
    /// Checks a run description, as written by `run_config` or read back from a
    /// `run.json` that anyone may have edited: the network, the data, rendering settings
    /// that agree with them, and counts and rates that can train.
    pub fn validate(&self) -> Result<()> {
        self.model.validate()?;
        self.dataset.validate()?;
        if self.render != self.model.render_config(&self.dataset.signal) {
            bail!("the rendering settings do not match the model and the signal settings");
        }
        if let Some(r) = &self.recordings {
            if !(0.0..=1.0).contains(&r.synthetic_fraction) {
                bail!(
                    "the synthetic fraction must be in [0, 1], not {}",
                    r.synthetic_fraction
                );
            }
        }
        crate::knobs::check_run_schedule(
            "examples",
            self.examples,
            self.batch_size,
            self.epochs,
            self.lr,
        )?;
        if !(self.warmup_epochs.is_finite() && self.warmup_epochs >= 0.0) {
            bail!(
                "warm-up epochs must be finite and ≥ 0, not {}",
                self.warmup_epochs
            );
        }
        Ok(())
    }
}

impl PretrainRun {
    /// The examples: the generator's, mixed with the recordings when the run has some
    /// (read again and checked against the run).
    pub fn unlabelled(&self) -> Result<Unlabelled> {
        match &self.recordings {
            None => Ok(Unlabelled::synthetic(self.dataset.clone())),
            Some(r) => Unlabelled::open(
                self.dataset.clone(),
                r,
                self.render.num_samples,
                self.examples,
                self.val_examples,
                self.seed,
            ),
        }
    }
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Per-epoch metrics.
    pub epochs: Vec<EpochMetrics>,
    /// Where the weights are.
    pub weights: PathBuf,
}

/// Reads a pretraining run folder: its `run.json` and its `model.fipmae`, checked against
/// each other; errors name the file.
pub fn load_run<B: burn::tensor::backend::Backend>(
    dir: &Path,
    device: &B::Device,
) -> Result<(PretrainRun, FipMae<B>)> {
    let p = dir.join("run.json");
    let run: PretrainRun = serde_json::from_slice(&crate::fsutil::read(&p)?)
        .with_context(|| format!("`{}` is not a pretraining run description", p.display()))?;
    let w = dir.join("model.fipmae");
    let mae = model::weights::autoencoder_from_bytes::<B>(
        &crate::fsutil::read(&w)?,
        Some(&run.model),
        device,
    )
    .with_context(|| format!("loading `{}`", w.display()))?;
    Ok((run, mae))
}

fn validate<B: burn::tensor::backend::Backend>(
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

/// Runs `pretrain` on `--devices` devices of the compiled-in backend.
pub fn run(args: &PretrainArgs) -> Result<Summary> {
    run_on(args, &backend::devices(args.devices)?)
}

/// The files of a run folder.
struct RunFiles {
    /// `run.json`: everything that defines the run.
    run: PathBuf,
    /// `checkpoint.bin`: model and optimizer state after the last finished epoch.
    checkpoint: PathBuf,
    /// `metrics.jsonl`: one line per finished epoch.
    metrics: PathBuf,
    /// `model.fipmae`: the weights after the last finished epoch.
    weights: PathBuf,
}

impl RunFiles {
    fn in_dir(dir: &Path) -> Self {
        Self {
            run: dir.join("run.json"),
            checkpoint: dir.join("checkpoint.bin"),
            metrics: dir.join("metrics.jsonl"),
            weights: dir.join("model.fipmae"),
        }
    }
}

/// Where training stands: the model, its optimizer, and the counters a checkpoint saves.
struct State<O> {
    model: FipMae<TrainBackend>,
    optim: O,
    /// Optimizer steps taken.
    step: usize,
    /// Epochs finished.
    epochs_done: usize,
    /// The finished epochs' metrics.
    history: Vec<EpochMetrics>,
}

/// Reads `run.json` on `--resume`; otherwise validates the options, creates the folder and
/// writes `run.json` (refusing a folder that already holds a run).
fn open_run(args: &PretrainArgs, files: &RunFiles) -> Result<PretrainRun> {
    if args.resume {
        let run: PretrainRun = serde_json::from_slice(&crate::fsutil::read(&files.run)?)
            .with_context(|| format!("`{}` is not a valid run description", files.run.display()))?;
        run.validate()
            .with_context(|| format!("`{}` cannot be resumed", files.run.display()))?;
        return Ok(run);
    }
    if files.run.exists() {
        bail!(
            "`{}` already holds a run: continue it with --resume, or choose another --out",
            args.out.display()
        );
    }
    let run = args.run_config()?;
    create_dir(&args.out)?;
    write_atomic(&files.run, &serde_json::to_vec_pretty(&run)?)?;
    Ok(run)
}

/// On `--resume`, restores the last checkpoint (model, optimizer, step, epochs; refused when
/// it belongs to another run) and keeps only the metrics lines it covers; without a
/// checkpoint the run starts over.
fn restore<O: Optimizer<FipMae<TrainBackend>, TrainBackend>>(
    mut state: State<O>,
    run: &PretrainRun,
    files: &RunFiles,
    device: &backend::Device,
) -> Result<State<O>> {
    if !files.checkpoint.exists() {
        // the run never finished an epoch: start it over
        let _ = std::fs::remove_file(&files.metrics);
        return Ok(state);
    }
    let (model, optim, done, step) = checkpoint::load(
        &files.checkpoint,
        checkpoint::run_hash(run)?,
        run.epochs,
        state.model,
        state.optim,
        device,
    )?;
    state.model = model;
    state.optim = optim;
    state.epochs_done = done;
    state.step = step;
    state.history = checkpoint::keep_history(&files.metrics, done)?;
    Ok(state)
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
    /// `[1]` on the first device, not read back (see [`StepReads`]).
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

/// End of an epoch: validation, then the weights, the checkpoint and the metrics line,
/// each written atomically.
fn end_of_epoch<O: Optimizer<FipMae<TrainBackend>, TrainBackend>>(
    state: &mut State<O>,
    step: &Step,
    files: &RunFiles,
    mut metrics: EpochMetrics,
) -> Result<()> {
    let device = step.devices.first().context("no device to train on")?;
    let valid = state.model.valid();
    let (val_loss, val_modality_loss) = validate(
        &valid,
        step.run,
        step.data,
        step.renderer,
        step.threads,
        device,
    )?;
    metrics.val_loss = val_loss;
    metrics.val_modality_loss = val_modality_loss;
    // weights, metrics line, checkpoint: in this order (see `checkpoint`)
    write_atomic(
        &files.weights,
        &autoencoder_to_bytes(&valid, Precision::Full),
    )?;
    append_line(&files.metrics, &serde_json::to_string(&metrics)?)?;
    state.epochs_done = metrics.epoch;
    checkpoint::save(
        &files.checkpoint,
        state.epochs_done,
        state.step,
        checkpoint::run_hash(step.run)?,
        &state.model,
        &state.optim,
    )?;
    state.history.push(metrics);
    Ok(())
}

/// Runs `pretrain` data-parallel over `devices` (the first holds the model and the
/// optimizer; with one device this is plain training).
pub fn run_on(args: &PretrainArgs, devices: &[backend::Device]) -> Result<Summary> {
    let files = RunFiles::in_dir(&args.out);
    let run = open_run(args, &files)?;
    let device = devices.first().cloned().context("no device to train on")?;
    if run.recordings.is_some() && devices.len() > 1 {
        // each share's noise loss is averaged over its own generated examples, so shares
        // with different mixes would not sum to the whole batch's gradient
        bail!("pretraining on --recordings runs on one device: pass --devices 1");
    }
    let renderer = Renderer::new(run.render.clone())?;
    // Seeded initialisation, drawn on the CPU: the same seed gives the same starting
    // weights on every backend.
    let mut state = State {
        model: backend::portable_autoencoder(&run.model, run.seed, &device)?,
        optim: pretrain_optimizer().init(),
        step: 0,
        epochs_done: 0,
        history: Vec::new(),
    };
    if args.resume {
        state = restore(state, &run, &files, &device)?;
        if state.epochs_done > 0 {
            eprintln!(
                "resuming `{}` after epoch {}",
                args.out.display(),
                state.epochs_done
            );
        }
    }
    let data = run.unlabelled()?;
    let step = Step {
        run: &run,
        data: &data,
        renderer: &renderer,
        devices,
        threads: threads(args.threads),
    };
    let steps_per_epoch = (run.examples as usize).div_ceil(run.batch_size);
    let total = steps_per_epoch * run.epochs;
    let warmup = (run.warmup_epochs * steps_per_epoch as f64).round() as usize;
    let last_epoch = args.stop_after.map_or(run.epochs, |s| s.min(run.epochs));
    for epoch in state.epochs_done..last_epoch {
        let bar = EpochProgress::start(epoch + 1, run.epochs, run.examples as usize);
        let order = shuffled(run.examples, run.seed, 0x00DD_BA11, epoch as u64);
        let (mut sum, mut seen) = (0.0, 0usize);
        let mut lr = run.lr;
        let mut reads = StepReads::new(args.sync_every);
        // a read's values: each step's loss checked, then counted
        let mut take = |v: StepValues, lr: f64| -> Result<()> {
            for (j, &(loss, n)) in v.losses.iter().enumerate() {
                check_finite(loss, epoch, v.first + j, &files.weights)?;
                sum += loss * n as f64;
                seen += n;
            }
            bar.update(seen, sum / seen.max(1) as f64, lr);
            Ok(())
        };
        // the model moves through the steps (a clone would keep its old parameters alive
        // and stop the optimizer from updating them in place)
        let mut slot = Some(state.model);
        let render = |ids: &[u64]| step.render(ids);
        for_each_prefetched(&order, run.batch_size, render, |ids, shares| {
            lr = learning_rate(state.step, total, warmup, run.lr, run.lr / 100.0);
            let model = slot.take().context("the model was lost in a failed step")?;
            let (model, loss) = step.run(model, &mut state.optim, shares, epoch, lr)?;
            slot = Some(model);
            state.step += 1;
            if let Some(v) = reads.push(loss, ids.len(), None)? {
                take(v, lr)?;
            }
            Ok(())
        })?;
        take(reads.flush()?, lr)?;
        state.model = slot.context("the model was lost in a failed step")?;
        let metrics = EpochMetrics {
            epoch: epoch + 1,
            train_loss: sum / seen.max(1) as f64,
            val_loss: f64::NAN,
            val_modality_loss: Vec::new(),
            lr,
            examples_per_s: bar.rate(seen),
        };
        end_of_epoch(&mut state, &step, &files, metrics)?;
        bar.finish();
        if let Some(m) = state.history.last() {
            eprintln!(
                "epoch {}/{}: train loss {:.4}, val loss {:.4}, {:.1} examples/s",
                m.epoch, run.epochs, m.train_loss, m.val_loss, m.examples_per_s
            );
        }
    }
    Ok(Summary {
        epochs: state.history,
        weights: files.weights,
    })
}

/// Runs `fipmae pretrain` and prints the last epoch's validation loss.
pub fn main(args: &PretrainArgs) -> Result<()> {
    let s = run(args)?;
    if let Some(last) = s.epochs.last() {
        println!(
            "pretrained {} epochs: val loss {:.4}; weights in {}",
            last.epoch,
            last.val_loss,
            s.weights.display()
        );
    }
    Ok(())
}
