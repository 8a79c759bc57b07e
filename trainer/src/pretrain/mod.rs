//! `fipmae pretrain`: masked-autoencoder pretraining on examples generated on the fly.
//!
//! A run folder holds `run.json` (everything needed to rebuild the model and the data),
//! `metrics.jsonl` (one line per epoch), `model.fipmae` (the weights after the last
//! finished epoch) and `checkpoint.bin` (weights with parameter ids, optimizer state and
//! the epoch reached, behind a checksum), and `run.lock`, held by the one process that
//! writes the folder ([`crate::training::run_folder`]). Every file is written atomically at
//! the end of each epoch. `--resume` continues a stopped or killed run from its last checkpoint and
//! reaches exactly the metrics of an uninterrupted run: data order and masking noise are
//! functions of `(seed, epoch, index)`.

mod args;
mod description;
mod train;

use std::path::PathBuf;

use anyhow::Result;

pub use args::PretrainArgs;
pub use description::{load_run, EpochMetrics, PretrainRun};
pub use train::run_on;

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Per-epoch metrics.
    pub epochs: Vec<EpochMetrics>,
    /// Where the weights are.
    pub weights: PathBuf,
}

/// Runs `pretrain` on `--devices` devices of the compiled-in backend.
pub fn run(args: &PretrainArgs) -> Result<Summary> {
    run_on(args, &crate::backend::devices(args.devices)?)
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
