//! The options of `fipmae pretrain` and the run they describe ([`PretrainArgs::run_config`]).

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use model::config::{FipMaeConfig, MaskingStrategy, Method, Preset};
use model::{DatasetSpec, Profile, SignalConfig, SnrSpec};

use super::PretrainRun;
use crate::data::recordings::{PretrainRecordings, RecordingSet, Unlabelled};
use crate::flags::{parse_non_negative, parse_positive, BurstFlags, FipKnobs, RunFlags};

/// Options of `fipmae pretrain`.
#[derive(Debug, Clone, Args)]
#[command(mut_arg("seed", |a| a.help("Seed of data, masking and order")))]
#[command(mut_arg("sync_every", |a| a.help(
    "Training steps between two reads of their losses back to the host (0 or 1: every \
     step). Reading waits for the device; on a GPU fewer reads keep its queue full. Results \
     do not depend on it")))]
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
    /// U[−max, max] (default: the profile's, 0.05 for `standard`, removed before rendering
    /// by the offset correction; 5e-5 was the standard generator's before parameter
    /// ranges); wider ranges make the model hold up on recordings with more offset.
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
    #[arg(long, default_value_t = 0.0, requires = "recordings", value_parser = crate::flags::parse_fraction_closed)]
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
    /// Run folder, seed, resuming and stopping, threads, reads back (`--out`, `--seed`, …).
    #[command(flatten)]
    pub run: RunFlags,
    /// Data-parallel replicas on GPUs 0..N (`cuda`, `wgpu` builds): each step splits the
    /// batch into N equal shares and sums the share-weighted gradients on GPU 0. Not part
    /// of the run: a run may resume on another count.
    #[arg(long, default_value_t = 1)]
    pub devices: usize,
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
        let mut dataset = DatasetSpec::new(self.run.seed, SnrSpec::default());
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
                crate::data::recordings::DEFAULT_SNR_FIELD,
            )?;
            let windows = set.windows.len() as u64;
            Unlabelled::from_set(
                dataset.clone(),
                set,
                self.synthetic_fraction,
                self.examples,
                self.val_examples,
                self.run.seed,
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
            seed: self.run.seed,
            recordings,
        };
        run.validate()?;
        Ok(run)
    }
}
