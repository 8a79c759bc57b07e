//! `fipmae finetune`: the AMC classifier on few labels, from a pretraining run or from
//! scratch (`--method vit`), with a validation split for model selection.
//!
//! A run folder holds `run.json` (a [`FinetuneRun`]), `metrics.jsonl` (one line per epoch)
//! and `classifier.fipmae` (the weights of the epoch with the best validation accuracy).
//! Labelled data comes from its own seed, disjoint from pretraining's and evaluation's.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use burn::module::AutodiffModule;
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::{Tensor, TensorData};
use clap::Args;
use model::classifier::AmcClassifier;
use model::config::{ClassifierConfig, FipMaeConfig, Method, Preset};
use model::weights::{classifier_to_bytes, Precision};
use model::{DatasetSpec, Profile, RenderConfig, Renderer, SignalConfig, SnrSpec};
use serde::{Deserialize, Serialize};

use crate::backend::{self, TrainBackend};
use crate::checkpoint;
use crate::data::{
    check_finite, finetune_optimizer, for_each_prefetched, learning_rate, predict, shuffled,
    threads, StepReads, StepValues, DEFAULT_SYNC_EVERY,
};
use crate::fsutil::{append_line, create_dir, read, write_atomic};
use crate::knobs::{parse_fraction, parse_non_negative, parse_positive, parse_snr_db, BurstFlags};
use crate::pretrain::PretrainRun;
use crate::recordings::{Labelled, RecordingSet, RecordingsSpec};

/// Salt that separates the labelled data's seed from pretraining's.
pub const LABELLED_SALT: u64 = 0x1ABE_11ED;

/// Options of `fipmae finetune`.
#[derive(Debug, Clone, Args)]
pub struct FinetuneArgs {
    /// Pretraining run folder whose encoder to start from.
    #[arg(long, conflicts_with = "method")]
    pub pretrained: Option<PathBuf>,
    /// Fine-tuning run folder whose kept classifier to start from (its model, classes and
    /// generator settings), e.g. to go on training it on fresh labels at a lower rate.
    #[arg(long, conflicts_with_all = ["pretrained", "method", "freeze_encoder"])]
    pub init_from: Option<PathBuf>,
    /// `vit`: train the same classifier from scratch (the baseline).
    #[arg(long)]
    pub method: Option<Method>,
    /// Size preset for `--method vit` (a pretrained run brings its own).
    #[arg(long, default_value = "small")]
    pub preset: Preset,
    /// Labelled training examples per class (SNR ~ U[--snr-min, --snr-max]); per epoch
    /// with --fresh-labels.
    #[arg(long, default_value_t = 100)]
    pub labels_per_class: u64,
    /// Draw new labelled examples every epoch (generator only): epoch e trains on examples
    /// no other epoch sees, so the run uses labels-per-class × epochs per class in all, for
    /// the compute of the same labels repeated. Validation examples stay the same.
    #[arg(long, conflicts_with = "recordings")]
    pub fresh_labels: bool,
    /// Lowest SNR of the labelled examples (training and validation), dB.
    #[arg(long, default_value_t = -10.0, value_parser = parse_snr_db, allow_hyphen_values = true)]
    pub snr_min: f64,
    /// Highest SNR of the labelled examples, dB (≥ --snr-min).
    #[arg(long, default_value_t = 10.0, value_parser = parse_snr_db, allow_hyphen_values = true)]
    pub snr_max: f64,
    /// Generator definitions of the labelled data: `standard` or `denomae` (default: the
    /// pretraining run's generator settings, or `standard` from scratch).
    #[arg(long)]
    pub profile: Option<Profile>,
    /// Largest carrier frequency offset of the labelled data, cycles/sample, drawn
    /// U[−max, max] (default: the pretraining run's, or the profile's from scratch);
    /// wider ranges make the model hold up on recordings with more offset.
    #[arg(long, value_parser = parse_non_negative)]
    pub max_freq_offset: Option<f64>,
    /// Burst length and samples per symbol (default: the pretraining run's, or the
    /// profile's from scratch).
    #[command(flatten)]
    pub burst: BurstFlags,
    /// Validation examples per class, for model selection.
    #[arg(long, default_value_t = 20)]
    pub val_per_class: u64,
    /// Labelled recordings to train on instead of the generator: SigMF pairs, `.sigmf`
    /// archives, raw captures, or folders of them (labels from `core:label`; the class set
    /// is the labels found, or --classes). `--labels-per-class` windows per class are drawn
    /// with the seed, validation windows from other bursts.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub recordings: Vec<PathBuf>,
    /// The class names of --recordings, in output order, comma-separated (default: the
    /// sorted labels found).
    #[arg(long, requires = "recordings", value_delimiter = ',')]
    pub classes: Option<Vec<String>>,
    /// Annotation field holding a recorded burst's SNR, dB.
    #[arg(long, default_value = crate::recordings::DEFAULT_SNR_FIELD)]
    pub snr_field: String,
    /// Epochs.
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Peak learning rate (AdamW, warm-up of one epoch, cosine decay), finite and > 0.
    #[arg(long, default_value_t = 5e-4, value_parser = parse_positive)]
    pub lr: f64,
    /// Label smoothing in [0, 1).
    #[arg(long, default_value_t = 0.1, value_parser = parse_fraction)]
    pub label_smoothing: f64,
    /// Train the head only, encoder frozen.
    #[arg(long)]
    pub freeze_encoder: bool,
    /// Seed of the labelled data, order and initialisation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run folder (created; must not already hold a run unless --resume).
    #[arg(long)]
    pub out: PathBuf,
    /// Continue the run in --out from its last checkpoint (its run.json decides every other
    /// setting).
    #[arg(long)]
    pub resume: bool,
    /// Stop after this many epochs in total, as if killed (continue later with --resume).
    #[arg(long)]
    pub stop_after: Option<usize>,
    /// Rendering threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Training steps between two reads of their losses and predictions back to the host
    /// (0 or 1: every step). Reading waits for the device; on a GPU fewer reads keep its
    /// queue full. Results do not depend on it.
    #[arg(long, default_value_t = DEFAULT_SYNC_EVERY)]
    pub sync_every: usize,
}

/// Everything that defines a fine-tuning run, saved as `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinetuneRun {
    /// The classifier.
    pub classifier: ClassifierConfig,
    /// The pretraining run its encoder came from, also through `init_from` (`None`: from
    /// scratch); `eval` measures its autoencoder's reconstructions.
    pub pretrained: Option<PathBuf>,
    /// The fine-tuning run whose kept classifier it starts from (`--init-from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<PathBuf>,
    /// New labelled examples every epoch (`--fresh-labels`): epoch `e` trains on
    /// [`FinetuneRun::epoch_ids`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fresh_labels: bool,
    /// The labelled data: training indices `0..train`, validation after them. With
    /// `recordings`, only its signal settings are used (they set the rendering).
    pub dataset: DatasetSpec,
    /// Labelled recordings instead of the generator (`--recordings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recordings: Option<RecordingsSpec>,
    /// Rendering settings.
    pub render: RenderConfig,
    /// Training examples.
    pub train: u64,
    /// Validation examples.
    pub val: u64,
    /// Epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Label smoothing.
    pub label_smoothing: f64,
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
    /// Training accuracy.
    pub train_accuracy: f64,
    /// Validation accuracy.
    pub val_accuracy: f64,
    /// Whether this epoch's weights were kept (best validation accuracy so far).
    pub kept: bool,
    /// Training examples per second (rendering included; 0 in logs written before it
    /// was recorded).
    #[serde(default)]
    pub examples_per_s: f64,
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Per-epoch metrics.
    pub epochs: Vec<EpochMetrics>,
    /// Best validation accuracy.
    pub best_val_accuracy: f64,
    /// Where the kept weights are.
    pub weights: PathBuf,
}

/// Reads a fine-tuning run folder: its `run.json` and its `classifier.fipmae`, checked
/// against each other; errors name the file.
pub fn load_run<B: burn::tensor::backend::Backend>(
    dir: &std::path::Path,
    device: &B::Device,
) -> Result<(FinetuneRun, AmcClassifier<B>)> {
    let run = read_finetune_run(dir)?;
    let weights = dir.join("classifier.fipmae");
    let model =
        model::weights::classifier_from_bytes::<B>(&read(&weights)?, Some(&run.classifier), device)
            .with_context(|| format!("loading `{}`", weights.display()))?;
    Ok((run, model))
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

impl FinetuneArgs {
    /// The run these options describe, validated, and the pretrained weights it starts
    /// from (read, not yet decoded). Writes nothing.
    pub fn run_config(&self) -> Result<(FinetuneRun, Option<Vec<u8>>)> {
        let source = self
            .init_from
            .as_deref()
            .map(read_finetune_run)
            .transpose()?;
        let (mae_config, pretrained_bytes, pretrained_signal) =
            match (&source, &self.pretrained, self.method) {
                (Some(src), _, _) => (src.classifier.mae.clone(), None, src.dataset.signal.clone()),
                (None, Some(dir), _) => {
                    let p = dir.join("run.json");
                    let pre: PretrainRun =
                        serde_json::from_slice(&read(&p)?).with_context(|| {
                            format!("`{}` is not a pretraining run description", p.display())
                        })?;
                    let signal = pre.dataset.signal;
                    (pre.model, Some(read(&dir.join("model.fipmae"))?), signal)
                }
                (None, None, Some(Method::Vit)) => (
                    FipMaeConfig::preset(self.preset),
                    None,
                    SignalConfig::standard(),
                ),
                (None, None, Some(m)) => {
                    bail!(
                        "--method {m:?} needs pretraining: pass --pretrained RUN (or --method vit)"
                    )
                }
                (None, None, None) => {
                    bail!("pass --pretrained RUN, or --method vit to train from scratch")
                }
            };
        if !(0.0..1.0).contains(&self.label_smoothing) {
            bail!("--label-smoothing must be in [0, 1)");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            bail!("--lr must be a finite number > 0");
        }
        if self.labels_per_class == 0 || self.batch_size == 0 || self.epochs == 0 {
            bail!("--labels-per-class, --batch-size and --epochs must be at least 1");
        }
        if self.snr_min > self.snr_max {
            bail!(
                "--snr-min {} dB is above --snr-max {} dB",
                self.snr_min,
                self.snr_max
            );
        }
        let snr = SnrSpec::Uniform {
            min_db: self.snr_min,
            max_db: self.snr_max,
        };
        let mut dataset = DatasetSpec::new(self.seed ^ LABELLED_SALT, snr);
        // the pretraining run's generator, unless another profile is asked for
        dataset.signal = match self.profile {
            Some(p) if p != pretrained_signal.profile => SignalConfig::for_profile(p),
            _ => pretrained_signal,
        };
        if let Some(f) = self.max_freq_offset {
            dataset.signal.channel.max_freq_offset = f;
        }
        self.burst.apply(&mut dataset.signal)?;
        dataset.validate()?;
        let render = mae_config.render_config(&dataset.signal);
        let recordings = if self.recordings.is_empty() {
            None
        } else {
            let set = RecordingSet::open(
                &self.recordings,
                render.num_samples,
                self.classes.as_deref(),
                &self.snr_field,
            )?;
            if set.classes.len() < 2 {
                bail!(
                    "the recordings have {} class label(s) ({}); a classifier needs at least 2 \
                     (labels come from each annotation's core:label)",
                    set.classes.len(),
                    set.classes.join(", ")
                );
            }
            // the split is drawn now to refuse a class with too few windows before any write
            set.split(self.labels_per_class, self.val_per_class, self.seed)?;
            Some(RecordingsSpec {
                paths: self.recordings.clone(),
                classes: set.classes.clone(),
                snr_field: self.snr_field.clone(),
                windows: set.labelled() as u64,
                train_per_class: self.labels_per_class,
                val_per_class: self.val_per_class,
            })
        };
        let classes = recordings
            .as_ref()
            .map_or(dataset.classes.len(), |r| r.classes.len()) as u64;
        let classifier = ClassifierConfig::new(mae_config.clone(), classes as usize)
            .with_freeze_encoder(self.freeze_encoder);
        if let Some(src) = &source {
            if src.classifier.num_classes != classifier.num_classes {
                bail!(
                    "--init-from's classifier has {} outputs but the data has {classes} classes",
                    src.classifier.num_classes
                );
            }
        }
        let run = FinetuneRun {
            render,
            recordings,
            classifier,
            pretrained: match &source {
                Some(src) => src.pretrained.clone(),
                None => self.pretrained.clone(),
            },
            init_from: self.init_from.clone(),
            fresh_labels: self.fresh_labels,
            train: self.labels_per_class * classes,
            val: self.val_per_class * classes,
            dataset,
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            label_smoothing: self.label_smoothing,
            seed: self.seed,
        };
        run.validate()?;
        Ok((run, pretrained_bytes))
    }
}

impl FinetuneRun {
    /// Checks a run description, as built from the options or read back from a `run.json`
    /// that anyone may have edited: the classifier, the data, rendering settings and a class
    /// count that agree with them, and counts and rates that can train.
    pub fn validate(&self) -> Result<()> {
        self.classifier.validate()?;
        self.dataset.validate()?;
        let classes = self.class_names().len();
        if self.classifier.num_classes != classes {
            bail!(
                "the classifier has {} outputs but the data has {classes} classes",
                self.classifier.num_classes,
            );
        }
        if self.fresh_labels && self.recordings.is_some() {
            bail!("fresh labels every epoch need the generator, not recordings");
        }
        if self.fresh_labels {
            // the last epoch's ids must exist
            self.epoch_ids_start(self.epochs.saturating_sub(1))
                .and_then(|s| s.checked_add(self.train))
                .context("too many fresh labelled examples for the example ids")?;
        }
        if let Some(r) = &self.recordings {
            let k = classes as u64;
            if Some(self.train) != r.train_per_class.checked_mul(k)
                || Some(self.val) != r.val_per_class.checked_mul(k)
            {
                bail!("the example counts do not match the recordings' per-class counts");
            }
        }
        if self.render != self.classifier.mae.render_config(&self.dataset.signal) {
            bail!("the rendering settings do not match the model and the signal settings");
        }
        crate::knobs::check_run_schedule(
            "training examples",
            self.train,
            self.batch_size,
            self.epochs,
            self.lr,
        )?;
        if !(0.0..1.0).contains(&self.label_smoothing) {
            bail!(
                "label smoothing must be in [0, 1), not {}",
                self.label_smoothing
            );
        }
        Ok(())
    }

    /// The class names, in the classifier's output order.
    pub fn class_names(&self) -> Vec<String> {
        match &self.recordings {
            Some(r) => r.classes.clone(),
            None => self.dataset.class_names(),
        }
    }

    /// The labelled examples: the generator's, or the recordings read again.
    pub fn labelled(&self) -> Result<Labelled> {
        match &self.recordings {
            Some(r) => r.open(self.render.num_samples, self.seed),
            None => Ok(Labelled::Synthetic(self.dataset.clone())),
        }
    }

    /// First example id of epoch `epoch`'s training examples: 0 unless `fresh_labels`, then
    /// `epoch × train` past the validation examples (`train..train + val`), so no two
    /// epochs and no validation example share an id. `None` past `u64`.
    fn epoch_ids_start(&self, epoch: usize) -> Option<u64> {
        match (self.fresh_labels, epoch) {
            (false, _) | (true, 0) => Some(0),
            (true, e) => (e as u64).checked_mul(self.train)?.checked_add(self.val),
        }
    }

    /// The training example ids of epoch `epoch` (from 0), in that epoch's order.
    pub fn epoch_ids(&self, epoch: usize) -> Result<Vec<u64>> {
        let start = self
            .epoch_ids_start(epoch)
            .context("too many fresh labelled examples for the example ids")?;
        Ok(shuffled(self.train, self.seed, 0x5EED_F1E7, epoch as u64)
            .into_iter()
            .map(|i| start + i)
            .collect())
    }

    /// The pretrained autoencoder's weights this run starts from (`None` from scratch or
    /// from `init_from`'s classifier).
    fn pretrained_bytes(&self) -> Result<Option<Vec<u8>>> {
        if self.init_from.is_some() {
            return Ok(None);
        }
        self.pretrained
            .as_ref()
            .map(|dir| read(&dir.join("model.fipmae")))
            .transpose()
    }
}

/// The classifier a run starts from: the pretrained encoder with a fresh head, or a fresh
/// ViT, seeded by the run and drawn on the CPU (the same on every backend).
fn initial_model(
    run: &FinetuneRun,
    pretrained: Option<&[u8]>,
    device: &backend::Device,
) -> Result<AmcClassifier<TrainBackend>> {
    if let Some(dir) = &run.init_from {
        let src = read_finetune_run(dir)?;
        if src.classifier.mae != run.classifier.mae
            || src.classifier.num_classes != run.classifier.num_classes
        {
            bail!(
                "`{}` no longer holds the classifier this run started from",
                dir.display()
            );
        }
        let weights = dir.join("classifier.fipmae");
        return model::weights::classifier_from_bytes::<TrainBackend>(
            &read(&weights)?,
            Some(&src.classifier),
            device,
        )
        .with_context(|| format!("loading `{}`", weights.display()));
    }
    backend::portable_classifier(&run.classifier, pretrained, run.seed, device)
}

/// A fine-tuning run folder's `run.json`, checked; errors name the file.
fn read_finetune_run(dir: &Path) -> Result<FinetuneRun> {
    let path = dir.join("run.json");
    let run: FinetuneRun = serde_json::from_slice(&read(&path)?)
        .with_context(|| format!("`{}` is not a fine-tuning run description", path.display()))?;
    run.validate()
        .with_context(|| format!("checking `{}`", path.display()))?;
    Ok(run)
}

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
        let bar = crate::progress::EpochProgress::start(epoch + 1, run.epochs, run.train as usize);
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

/// Reads `run.json` on `--resume` (validated again); otherwise validates the options,
/// loads the starting model, then creates the folder and writes `run.json` (refusing a
/// folder that already holds a run). Returns the run and the pretrained weights, if any.
fn open_run(args: &FinetuneArgs, run_path: &Path) -> Result<(FinetuneRun, Option<Vec<u8>>)> {
    if args.resume {
        let run = read_finetune_run(&args.out)
            .with_context(|| format!("`{}` cannot be resumed", run_path.display()))?;
        let pretrained = run.pretrained_bytes()?;
        return Ok((run, pretrained));
    }
    if run_path.exists() {
        bail!(
            "`{}` already holds a run: continue it with --resume, or choose another --out",
            args.out.display()
        );
    }
    args.run_config()
}

/// Runs `finetune`: validates everything, then writes `run.json`, then trains, keeping the
/// weights of the epoch with the best validation accuracy and a checkpoint after every
/// epoch, so `--resume` continues a killed run to the same end.
pub fn run(args: &FinetuneArgs) -> Result<Summary> {
    let run_path = args.out.join("run.json");
    let checkpoint_path = args.out.join("checkpoint.bin");
    let weights = args.out.join("classifier.fipmae");
    let metrics_path = args.out.join("metrics.jsonl");
    let (run, pretrained) = open_run(args, &run_path)?;
    let hash = checkpoint::run_hash(&run)?;
    let device = backend::device()?;
    let mut model = initial_model(&run, pretrained.as_deref(), &device)?;
    let mut optim = finetune_optimizer().init();
    let (mut history, mut step, mut done) = (Vec::<EpochMetrics>::new(), 0usize, 0usize);
    if !args.resume {
        create_dir(&args.out)?;
        write_atomic(&run_path, &serde_json::to_vec_pretty(&run)?)?;
    } else if checkpoint_path.exists() {
        (model, optim, done, step) =
            checkpoint::load(&checkpoint_path, hash, run.epochs, model, optim, &device)?;
        history = checkpoint::keep_history(&metrics_path, done)?;
        if done > 0 {
            eprintln!("resuming `{}` after epoch {done}", args.out.display());
        }
    } else {
        // the run never finished an epoch: start it over
        let _ = std::fs::remove_file(&metrics_path);
    }
    let mut best = history
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
    for epoch in done..last_epoch {
        let started = Instant::now();
        let (stepped, t) = trainer.epoch(model, &mut optim, &mut step, epoch, &weights)?;
        model = stepped;
        // end of epoch: validation accuracy, then the best weights, the metrics line and
        // the checkpoint, in this order (see `checkpoint`)
        let valid = model.valid();
        let val_accuracy = trainer.accuracy(&valid, &val_ids)?;
        let kept = val_accuracy > best;
        if kept {
            best = val_accuracy;
            write_atomic(&weights, &classifier_to_bytes(&valid, Precision::Full))?;
        }
        let m = EpochMetrics {
            epoch: epoch + 1,
            train_loss: t.loss_sum / t.seen.max(1) as f64,
            train_accuracy: t.correct as f64 / t.seen.max(1) as f64,
            val_accuracy,
            kept,
            examples_per_s: t.rate,
        };
        append_line(&metrics_path, &serde_json::to_string(&m)?)?;
        checkpoint::save(&checkpoint_path, epoch + 1, step, hash, &model, &optim)?;
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
        history.push(m);
    }
    Ok(Summary {
        epochs: history,
        best_val_accuracy: best,
        weights,
    })
}

/// Runs `fipmae finetune` and prints the best validation accuracy.
pub fn main(args: &FinetuneArgs) -> Result<()> {
    let s = run(args)?;
    println!(
        "fine-tuned {} epochs: best val accuracy {:.1} %; weights in {}",
        s.epochs.len(),
        100.0 * s.best_val_accuracy,
        s.weights.display()
    );
    Ok(())
}
