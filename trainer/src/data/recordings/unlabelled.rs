//! Unlabelled examples for pretraining: the generator's, recorded windows, or both mixed
//! into the same batches ([`PretrainRecordings`], carried in a pretraining `run.json`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use model::{Modality, Renderer};
use serde::{Deserialize, Serialize};

use super::{RecordingSet, DEFAULT_SNR_FIELD, SPLIT_SALT};
use crate::data::{render_with, shuffled, HostBatch};

/// Recordings in a pretraining run description: every window, labels ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PretrainRecordings {
    /// Files or folders, as given (folders are searched recursively).
    pub paths: Vec<PathBuf>,
    /// Windows found when the run was made (a changed dataset is refused).
    pub windows: u64,
    /// Fraction of the examples drawn from the generator, in `[0, 1]`, spread evenly
    /// over the example ids (0: recordings only).
    pub synthetic_fraction: f64,
}

/// Pretraining examples: the generator's, recorded windows, or both. Example id `i` is
/// generated when `⌊(i + 1)·f⌋ > ⌊i·f⌋` (`f` the synthetic fraction), else the next
/// recorded one: training ids `0..examples` cycle through the training windows, the
/// validation ids after them through the validation windows (a seeded fifth of the
/// windows, at most as many as validation needs, never used for training).
pub struct Unlabelled {
    spec: model::DatasetSpec,
    recorded: Option<RecordedPart>,
}

/// The recorded side of [`Unlabelled`].
struct RecordedPart {
    set: RecordingSet,
    fraction: f64,
    examples: u64,
    train: Vec<usize>,
    val: Vec<usize>,
}

impl RecordedPart {
    /// Recorded ids before id `i`.
    fn rank(&self, i: u64) -> u64 {
        i - (i as f64 * self.fraction).floor() as u64
    }

    fn synthetic(&self, i: u64) -> bool {
        ((i + 1) as f64 * self.fraction).floor() > (i as f64 * self.fraction).floor()
    }

    /// The window of recorded example id `i`.
    fn window(&self, i: u64) -> usize {
        if i < self.examples {
            self.train[(self.rank(i) % self.train.len() as u64) as usize]
        } else {
            let r = self.rank(i) - self.rank(self.examples);
            self.val[(r % self.val.len().max(1) as u64) as usize]
        }
    }
}

impl Unlabelled {
    /// The generator only.
    pub fn synthetic(spec: model::DatasetSpec) -> Self {
        Self {
            spec,
            recorded: None,
        }
    }

    /// The generator (`spec`) mixed with the windows of `rec` as described; checks that
    /// the recordings still hold the windows the run was made with.
    pub fn open(
        spec: model::DatasetSpec,
        rec: &PretrainRecordings,
        n: usize,
        examples: u64,
        val_examples: u64,
        seed: u64,
    ) -> Result<Self> {
        let set = RecordingSet::open(&rec.paths, n, None, DEFAULT_SNR_FIELD)?;
        if set.windows.len() as u64 != rec.windows {
            bail!(
                "the recordings now hold {} windows, the run was made with {}: they changed since",
                set.windows.len(),
                rec.windows
            );
        }
        Self::from_set(
            spec,
            set,
            rec.synthetic_fraction,
            examples,
            val_examples,
            seed,
        )
    }

    /// The generator (`spec`) mixed with the windows of an opened `set`, a `fraction` of
    /// the examples generated; refuses too few windows to hold some out for validation.
    pub fn from_set(
        spec: model::DatasetSpec,
        set: RecordingSet,
        fraction: f64,
        examples: u64,
        val_examples: u64,
        seed: u64,
    ) -> Result<Self> {
        let (w, n) = (set.windows.len(), set.n);
        let mut part = RecordedPart {
            set,
            fraction,
            examples,
            train: Vec::new(),
            val: Vec::new(),
        };
        let end = examples
            .checked_add(val_examples)
            .context("too many examples: their count overflows")?;
        let need_val = part.rank(end) - part.rank(examples);
        let need_train = part.rank(examples);
        let n_val = (need_val as usize)
            .min(w / 5)
            .max(usize::from(need_val > 0));
        if (need_train > 0 && w <= n_val) || w == 0 {
            bail!(
                "the recordings hold {w} {n}-sample windows: too few to hold some out for \
                 validation and train on the rest"
            );
        }
        let order: Vec<usize> = shuffled(w as u64, seed, SPLIT_SALT, u64::MAX)
            .into_iter()
            .map(|i| i as usize)
            .collect();
        part.val = order[..n_val].to_vec();
        part.train = order[n_val..].to_vec();
        Ok(Self {
            spec,
            recorded: Some(part),
        })
    }

    /// Renders examples `ids` for `modalities` on `threads` threads (generated and
    /// recorded examples mixed in one batch).
    pub fn render(
        &self,
        renderer: &Renderer,
        ids: &[u64],
        modalities: &[Modality],
        threads: usize,
    ) -> Result<HostBatch> {
        let Some(part) = &self.recorded else {
            return crate::data::render_batch(&self.spec, renderer, ids, modalities, threads);
        };
        render_with(renderer, ids, modalities, threads, |i| {
            if part.synthetic(i) {
                crate::data::render_generated(&self.spec, renderer, i, modalities)
            } else {
                part.set.render_one(renderer, part.window(i), modalities)
            }
        })
    }
}
