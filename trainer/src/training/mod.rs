//! What pretraining and fine-tuning share: the epoch loop ([`epoch`]), the
//! learning-rate schedule and optimisers ([`schedule`]), checkpoints and metrics logs
//! ([`checkpoint`]), the run folder with its one writer ([`run_folder`]) and the progress
//! line ([`progress`]).
//!
//! **Invariant:** nothing here imports a command; each command supplies its own step.

pub mod checkpoint;
pub mod epoch;
pub mod progress;
pub mod run_folder;
pub mod schedule;

pub use epoch::{
    check_finite, for_each_prefetched, Epoch, EpochTotals, StepOutput, StepReads, StepValues,
};
pub use schedule::{finetune_optimizer, learning_rate, pretrain_optimizer, Schedule};
