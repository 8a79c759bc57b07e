//! Labelled examples for fine-tuning and evaluation: the generator's, or recorded windows
//! with the run's split ([`RecordingsSpec`], carried in a fine-tuning `run.json`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use model::{Modality, Renderer};
use serde::{Deserialize, Serialize};

use super::RecordingSet;
use crate::data::HostBatch;

/// Labelled recordings in a run description (`run.json`): enough to rebuild the same
/// windows and split on `--resume`, `eval` and `export`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingsSpec {
    /// Files or folders, as given (folders are searched recursively).
    pub paths: Vec<PathBuf>,
    /// Class names in the classifier's output order.
    pub classes: Vec<String>,
    /// Annotation field holding each burst's SNR, dB.
    pub snr_field: String,
    /// Labelled windows found when the run was made (a changed dataset is refused).
    pub windows: u64,
    /// Training windows per class.
    pub train_per_class: u64,
    /// Validation windows per class (from bursts no training window comes from).
    pub val_per_class: u64,
}

/// Labelled examples for fine-tuning: the generator's, or recorded windows. Example ids
/// `0..train` are the training set, `train..train + val` the validation set.
pub enum Labelled {
    /// The generator (`run.dataset`).
    Synthetic(model::DatasetSpec),
    /// Recorded windows: the set and, per example id, its window.
    Recorded {
        /// The recordings.
        set: RecordingSet,
        /// Window of each example id (training ids first).
        order: Vec<usize>,
    },
}

impl Labelled {
    /// Renders examples `ids` as `modality` (the classifier's input).
    pub fn render(
        &self,
        renderer: &Renderer,
        ids: &[u64],
        modality: Modality,
        threads: usize,
    ) -> Result<HostBatch> {
        match self {
            Self::Synthetic(spec) => {
                crate::data::render_batch(spec, renderer, ids, &[modality], threads)
            }
            Self::Recorded { set, order } => {
                let windows = ids
                    .iter()
                    .map(|&i| order.get(i as usize).copied())
                    .collect::<Option<Vec<usize>>>()
                    .context("an example id past the recorded examples")?;
                set.render(renderer, &windows, &[modality], threads)
            }
        }
    }
}

impl RecordingsSpec {
    /// Reads the recordings again and rebuilds the run's split; refuses a dataset whose
    /// labelled window count changed since the run was made.
    pub fn open(&self, n: usize, seed: u64) -> Result<Labelled> {
        let set = RecordingSet::open(&self.paths, n, Some(&self.classes), &self.snr_field)?;
        if set.labelled() as u64 != self.windows {
            bail!(
                "the recordings now hold {} labelled windows, the run was made with {}: \
                 they changed since",
                set.labelled(),
                self.windows
            );
        }
        let (mut order, val) = set.split(self.train_per_class, self.val_per_class, seed)?;
        order.extend(val);
        Ok(Labelled::Recorded { set, order })
    }
}
