//! `fipmae finetune`: the AMC classifier on few labels, from a pretraining run or from
//! scratch (`--method vit`), with a validation split for model selection.
//!
//! A run folder holds `run.json` (a [`FinetuneRun`]), `metrics.jsonl` (one line per epoch)
//! and `classifier.fipmae` (the weights of the epoch with the best validation accuracy),
//! with `checkpoint.bin` and `run.lock` as a pretraining run's
//! ([`crate::training::run_folder`]).
//! Labelled data comes from its own seed, disjoint from pretraining's and evaluation's.

mod args;
mod description;
mod train;

use std::path::PathBuf;

use anyhow::Result;

pub use args::FinetuneArgs;
pub use description::{load_run, EpochMetrics, FinetuneRun};
pub use train::run;

/// Salt that separates the labelled data's seed from pretraining's.
pub const LABELLED_SALT: u64 = 0x1ABE_11ED;

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
