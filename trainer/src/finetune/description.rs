//! A fine-tuning run's description (`run.json`), its metrics lines, its starting model,
//! and reading a run folder back ([`load_run`]).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use model::classifier::AmcClassifier;
use model::config::ClassifierConfig;
use model::{DatasetSpec, RenderConfig};
use serde::{Deserialize, Serialize};

use crate::backend::{self, TrainBackend};
use crate::data::recordings::{Labelled, RecordingsSpec};
use crate::data::shuffled;
use crate::fsutil::read;
use crate::training::run_folder::{read_run, AUTOENCODER_WEIGHTS, CLASSIFIER_WEIGHTS, RUN_JSON};

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

/// Reads a fine-tuning run folder: its `run.json` and its `classifier.fipmae`, checked
/// against each other; errors name the file.
pub fn load_run<B: burn::tensor::backend::Backend>(
    dir: &std::path::Path,
    device: &B::Device,
) -> Result<(FinetuneRun, AmcClassifier<B>)> {
    let run = read_finetune_run(dir)?;
    let weights = dir.join(CLASSIFIER_WEIGHTS);
    let model =
        model::weights::classifier_from_bytes::<B>(&read(&weights)?, Some(&run.classifier), device)
            .with_context(|| format!("loading `{}`", weights.display()))?;
    Ok((run, model))
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
        crate::flags::check_run_schedule(
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
    pub(super) fn pretrained_bytes(&self) -> Result<Option<Vec<u8>>> {
        if self.init_from.is_some() {
            return Ok(None);
        }
        self.pretrained
            .as_ref()
            .map(|dir| read(&dir.join(AUTOENCODER_WEIGHTS)))
            .transpose()
            .map_err(Into::into)
    }
}

/// The classifier a run starts from: the pretrained encoder with a fresh head, or a fresh
/// ViT, seeded by the run and drawn on the CPU (the same on every backend).
pub(super) fn initial_model(
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
        let weights = dir.join(CLASSIFIER_WEIGHTS);
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
pub(super) fn read_finetune_run(dir: &Path) -> Result<FinetuneRun> {
    let run: FinetuneRun = read_run(dir, "a fine-tuning run description")?;
    run.validate()
        .with_context(|| format!("checking `{}`", dir.join(RUN_JSON).display()))?;
    Ok(run)
}
