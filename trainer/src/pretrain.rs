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
use burn::optim::{AdamWConfig, GradientsParams, MultiGradientsParams, Optimizer};
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::tensor::backend::DeviceOps;
use clap::Args;
use model::config::{FipMaeConfig, MaskingStrategy, Method, Preset};
use model::mae::FipMae;
use model::weights::{autoencoder_to_bytes, fnv1a, Precision};
use model::{DatasetSpec, Modality, RenderConfig, Renderer, SnrSpec};
use serde::{Deserialize, Serialize};

use crate::backend::{self, TrainBackend};
use crate::data::{learning_rate, render_batch, shuffled, threads};
use crate::fsutil::{append_line, create_dir, write_atomic};
use crate::progress::EpochProgress;

/// Options of `fipmae pretrain`.
#[derive(Debug, Clone, Args)]
pub struct PretrainArgs {
    /// Size preset: tiny, small or base.
    #[arg(long, default_value = "small")]
    pub preset: Preset,
    /// Method: denomae (all modalities alike) or fip (biased toward the constellation).
    #[arg(long, default_value = "fip")]
    pub method: Method,
    /// Override the target modality's mask ratio p_target.
    #[arg(long)]
    pub mask_target: Option<f64>,
    /// Override the other modalities' mask ratio p_other.
    #[arg(long)]
    pub mask_other: Option<f64>,
    /// Override the target decoder's depth L_target.
    #[arg(long)]
    pub depth_target: Option<usize>,
    /// Override the other decoders' depth L_other.
    #[arg(long)]
    pub depth_other: Option<usize>,
    /// Override the target loss weight w_target.
    #[arg(long)]
    pub weight_target: Option<f64>,
    /// Override the other loss weights w_other.
    #[arg(long)]
    pub weight_other: Option<f64>,
    /// Masking strategy: random, salience or adaptive.
    #[arg(long, default_value = "random")]
    pub masking: MaskingStrategy,
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
    /// Peak learning rate (AdamW, β 0.9/0.95, weight decay 0.05).
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Linear warm-up, epochs (then cosine decay to lr/100).
    #[arg(long, default_value_t = 1.0)]
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
        let target = model.target;
        for m in model.modalities.iter_mut() {
            let is_target = m.modality == target;
            let pick = |t: Option<f64>, o: Option<f64>| if is_target { t } else { o };
            if let Some(v) = pick(self.mask_target, self.mask_other) {
                m.mask_ratio = v;
            }
            if let Some(v) = if is_target {
                self.depth_target
            } else {
                self.depth_other
            } {
                m.decoder_depth = v;
            }
            if let Some(v) = pick(self.weight_target, self.weight_other) {
                m.loss_weight = v;
            }
        }
        model.masking.strategy = self.masking;
        model.validate()?;
        let dataset = DatasetSpec::new(self.seed, SnrSpec::default());
        let render = RenderConfig::for_signal(&dataset.signal, model.image_size);
        if self.examples == 0 || self.batch_size == 0 || self.epochs == 0 {
            bail!("--examples, --batch-size and --epochs must be at least 1");
        }
        let lr_ok = self.lr.is_finite() && self.lr > 0.0;
        let warmup_ok = self.warmup_epochs.is_finite() && self.warmup_epochs >= 0.0;
        if !lr_ok || !warmup_ok {
            bail!("--lr must be positive and --warmup-epochs non-negative");
        }
        Ok(PretrainRun {
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
        })
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
    renderer: &Renderer,
    threads: usize,
    device: &B::Device,
) -> Result<(f64, Vec<(Modality, f64)>)> {
    let ids: Vec<u64> = (run.examples..run.examples + run.val_examples).collect();
    let modalities = run.model.present_modalities();
    let (mut total, mut per, mut n) = (0.0, vec![0.0; modalities.len()], 0usize);
    for chunk in ids.chunks(run.batch_size) {
        let batch = render_batch(&run.dataset, renderer, chunk, &modalities, threads)?;
        // a fixed masking "epoch" so validation losses are comparable across epochs
        let out = model.forward(&batch.to_inputs::<B>(
            run.seed,
            u64::MAX,
            run.model.num_patches(),
            device,
        ))?;
        let k = chunk.len() as f64;
        total += scalar(out.loss)? * k;
        for (p, m) in per.iter_mut().zip(&out.modalities) {
            *p += scalar(m.loss.clone())? * k;
        }
        n += chunk.len();
    }
    let n = n.max(1) as f64;
    Ok((
        total / n,
        modalities
            .into_iter()
            .zip(per.into_iter().map(|p| p / n))
            .collect(),
    ))
}

/// Stops the run on a non-finite loss, naming where the last good weights are.
fn check_finite(loss: f64, epoch: usize, k: usize, weights: &Path) -> Result<()> {
    if !loss.is_finite() {
        bail!(
            "the loss became {loss} at epoch {}, step {}; the last good weights are in `{}`",
            epoch + 1,
            k + 1,
            weights.display()
        );
    }
    Ok(())
}

fn scalar<B: burn::tensor::backend::Backend>(t: burn::tensor::Tensor<B, 1>) -> Result<f64> {
    let v: Vec<f32> = t
        .into_data()
        .convert::<f32>()
        .into_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading a loss back: {e:?}"))?;
    Ok(v.first().copied().unwrap_or(f32::NAN) as f64)
}

/// Runs `pretrain` on `--devices` devices of the compiled-in backend.
pub fn run(args: &PretrainArgs) -> Result<Summary> {
    run_on(args, &backend::devices(args.devices)?)
}

/// Runs `pretrain` data-parallel over `devices` (the first holds the model and the
/// optimizer; with one device this is plain training).
pub fn run_on(args: &PretrainArgs, devices: &[backend::Device]) -> Result<Summary> {
    let run_path = args.out.join("run.json");
    let run: PretrainRun = if args.resume {
        serde_json::from_slice(&crate::fsutil::read(&run_path)?)
            .with_context(|| format!("`{}` is not a valid run description", run_path.display()))?
    } else {
        if run_path.exists() {
            bail!(
                "`{}` already holds a run: continue it with --resume, or choose another --out",
                args.out.display()
            );
        }
        let run = args.run_config()?;
        create_dir(&args.out)?;
        write_atomic(&run_path, &serde_json::to_vec_pretty(&run)?)?;
        run
    };
    let ckpt_path = args.out.join("checkpoint.bin");
    let metrics_path = args.out.join("metrics.jsonl");
    let weights = args.out.join("model.fipmae");
    let device = devices.first().cloned().context("no device to train on")?;
    let threads = threads(args.threads);
    let renderer = Renderer::new(run.render.clone())?;
    let modalities = run.model.present_modalities();
    // Seeded initialisation: the same seed gives the same starting weights.
    <TrainBackend as burn::tensor::backend::Backend>::seed(&device, run.seed);
    let mut model = run.model.init::<TrainBackend>(&device)?;
    let mut optim = AdamWConfig::new()
        .with_beta_1(0.9)
        .with_beta_2(0.95)
        .with_weight_decay(0.05)
        .init();
    let steps_per_epoch = (run.examples as usize).div_ceil(run.batch_size);
    let total = steps_per_epoch * run.epochs;
    let warmup = (run.warmup_epochs * steps_per_epoch as f64).round() as usize;
    let recorder = NamedMpkBytesRecorder::<FullPrecisionSettings>::default();
    let mut history: Vec<EpochMetrics> = Vec::new();
    let mut step = 0usize;
    let mut first_epoch = 0usize;
    if args.resume && ckpt_path.exists() {
        let bytes = crate::fsutil::read(&ckpt_path)?;
        let (done, saved_step, model_bytes, optim_bytes) = decode_checkpoint(&bytes, &ckpt_path)?;
        let record = Recorder::<TrainBackend>::load(&recorder, model_bytes, &device)
            .with_context(|| format!("checkpoint `{}`: model state", ckpt_path.display()))?;
        model = model.load_record(record);
        let record = Recorder::<TrainBackend>::load(&recorder, optim_bytes, &device)
            .with_context(|| format!("checkpoint `{}`: optimizer state", ckpt_path.display()))?;
        optim = optim.load_record(record);
        first_epoch = done;
        step = saved_step;
        // keep the metrics of the epochs the checkpoint covers, drop any later line
        if metrics_path.exists() {
            let text = String::from_utf8_lossy(&crate::fsutil::read(&metrics_path)?).to_string();
            for line in text.lines().take(done) {
                history.push(serde_json::from_str(line).with_context(|| {
                    format!("`{}` holds a malformed line", metrics_path.display())
                })?);
            }
            let kept: String = text.lines().take(done).map(|l| format!("{l}\n")).collect();
            write_atomic(&metrics_path, kept.as_bytes())?;
        }
        eprintln!("resuming `{}` after epoch {done}", args.out.display());
    } else if args.resume {
        // no checkpoint yet: the run never finished an epoch; start it over
        let _ = std::fs::remove_file(&metrics_path);
    }
    let last_epoch = args.stop_after.map_or(run.epochs, |s| s.min(run.epochs));
    for epoch in first_epoch..last_epoch {
        let bar = EpochProgress::start(epoch + 1, run.epochs, run.examples as usize);
        let order = shuffled(run.examples, run.seed, 0x00DD_BA11, epoch as u64);
        let (mut sum, mut seen) = (0.0, 0usize);
        let mut lr = run.lr;
        for (k, ids) in order.chunks(run.batch_size).enumerate() {
            lr = learning_rate(step, total, warmup, run.lr, run.lr / 100.0);
            // data parallel over `devices` (one share per device, one device in the plain
            // case): each replica's loss is weighted by its share of the batch, so the
            // summed gradients are the whole batch's
            let share = ids.len().div_ceil(devices.len());
            let mut grads = MultiGradientsParams::default();
            let mut loss = 0.0;
            for (part, dev) in ids.chunks(share).zip(devices) {
                let replica = if devices.len() == 1 {
                    model.clone()
                } else {
                    model.clone().fork(dev)
                };
                let batch = render_batch(&run.dataset, &renderer, part, &modalities, threads)?;
                let inputs = batch.to_inputs::<TrainBackend>(
                    run.seed,
                    epoch as u64,
                    run.model.num_patches(),
                    dev,
                );
                let out = replica.forward(&inputs)?;
                let w = part.len() as f64 / ids.len() as f64;
                loss += scalar(out.loss.clone())? * w;
                let weighted = if part.len() == ids.len() {
                    out.loss
                } else {
                    out.loss * w
                };
                let g = GradientsParams::from_grads(weighted.backward(), &replica);
                grads.grads.push((g, DeviceOps::id(dev)));
            }
            check_finite(loss, epoch, k, &weights)?;
            model = if grads.grads.len() == 1 {
                let (g, _) = grads.grads.remove(0);
                optim.step(lr, model, g)
            } else {
                optim.step_multi(lr, model, grads)
            };
            step += 1;
            sum += loss * ids.len() as f64;
            seen += ids.len();
            bar.update(seen, sum / seen as f64, lr);
        }
        let rate = bar.rate(seen);
        let valid = model.valid();
        let (val_loss, val_modality_loss) = validate(&valid, &run, &renderer, threads, &device)?;
        write_atomic(&weights, &autoencoder_to_bytes(&valid, Precision::Full))?;
        let model_bytes =
            Recorder::<TrainBackend>::record(&recorder, model.clone().into_record(), ())
                .context("serialising the model state")?;
        let optim_bytes = Recorder::<TrainBackend>::record(&recorder, optim.to_record(), ())
            .context("serialising the optimizer state")?;
        write_atomic(
            &ckpt_path,
            &encode_checkpoint(epoch + 1, step, &model_bytes, &optim_bytes),
        )?;
        let m = EpochMetrics {
            epoch: epoch + 1,
            train_loss: sum / seen.max(1) as f64,
            val_loss,
            val_modality_loss,
            lr,
            examples_per_s: rate,
        };
        append_line(&metrics_path, &serde_json::to_string(&m)?)?;
        bar.finish();
        eprintln!(
            "epoch {}/{}: train loss {:.4}, val loss {:.4}, {:.1} examples/s",
            m.epoch, run.epochs, m.train_loss, m.val_loss, m.examples_per_s
        );
        history.push(m);
    }
    Ok(Summary {
        epochs: history,
        weights,
    })
}

const CKPT_MAGIC: &[u8; 8] = b"FIPCKPT1";

/// Frames `(epochs done, step, model record, optimizer record)` with a checksum.
fn encode_checkpoint(epochs_done: usize, step: usize, model: &[u8], optim: &[u8]) -> Vec<u8> {
    let mut out = CKPT_MAGIC.to_vec();
    out.extend_from_slice(&(epochs_done as u64).to_le_bytes());
    out.extend_from_slice(&(step as u64).to_le_bytes());
    for part in [model, optim] {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part);
    }
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// A checked checkpoint: epochs done, step, model record bytes, optimizer record bytes.
type Checkpoint = (usize, usize, Vec<u8>, Vec<u8>);

/// Reads back [`encode_checkpoint`]'s framing; any damage is an error naming the file.
fn decode_checkpoint(bytes: &[u8], path: &Path) -> Result<Checkpoint> {
    let bad = |why: &str| anyhow::anyhow!("checkpoint `{}` is corrupt: {why}", path.display());
    if bytes.len() < CKPT_MAGIC.len() + 40 || &bytes[..8] != CKPT_MAGIC {
        return Err(bad("not a fipmae checkpoint (bad magic or too short)"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let mut s = [0u8; 8];
    s.copy_from_slice(sum);
    if fnv1a(body) != u64::from_le_bytes(s) {
        return Err(bad("checksum mismatch"));
    }
    let mut pos = 8;
    let u64_at = |pos: &mut usize| -> Result<u64> {
        let b = body.get(*pos..*pos + 8).ok_or_else(|| bad("truncated"))?;
        *pos += 8;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    };
    let epochs = u64_at(&mut pos)? as usize;
    let step = u64_at(&mut pos)? as usize;
    let mut parts = Vec::new();
    for _ in 0..2 {
        let n = u64_at(&mut pos)? as usize;
        let part = body
            .get(pos..pos.saturating_add(n))
            .ok_or_else(|| bad("truncated"))?;
        parts.push(part.to_vec());
        pos += n;
    }
    let optim = parts.pop().unwrap_or_default();
    let model = parts.pop().unwrap_or_default();
    Ok((epochs, step, model, optim))
}
