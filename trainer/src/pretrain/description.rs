//! A pretraining run's description (`run.json`), its metrics lines, and reading a finished
//! run folder back ([`load_run`]).

use std::path::Path;

use anyhow::{bail, Context, Result};
use model::config::FipMaeConfig;
use model::mae::FipMae;
use model::{DatasetSpec, Modality, RenderConfig};
use serde::{Deserialize, Serialize};

use crate::data::recordings::{PretrainRecordings, Unlabelled};
use crate::training::run_folder::{read_run, AUTOENCODER_WEIGHTS};

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
        crate::flags::check_run_schedule(
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

/// Reads a pretraining run folder: its `run.json` and its `model.fipmae`, checked against
/// each other; errors name the file.
pub fn load_run<B: burn::tensor::backend::Backend>(
    dir: &Path,
    device: &B::Device,
) -> Result<(PretrainRun, FipMae<B>)> {
    let run: PretrainRun = read_run(dir, "a pretraining run description")?;
    let w = dir.join(AUTOENCODER_WEIGHTS);
    let mae = model::weights::autoencoder_from_bytes::<B>(
        &crate::fsutil::read(&w)?,
        Some(&run.model),
        device,
    )
    .with_context(|| format!("loading `{}`", w.display()))?;
    Ok((run, mae))
}
