//! Training and evaluation data: batches rendered on the host ([`batch`]), recordings read
//! from disk and cut into windows ([`recordings`]), and PNG previews ([`preview`]).
//!
//! **Invariant:** nothing here imports a command; generated examples never touch the disk
//! (example `i` of seed `s` is regenerated from `(s, i)`).

use model::rng::{epoch_seed, Rng};

pub mod batch;
pub mod preview;
pub mod recordings;

pub use batch::{
    argmax_rows, masking_noise, predict, render_batch, render_generated, render_with, HostBatch,
    RenderedExample,
};

/// The order of examples `0..n` in `epoch`: a Fisher-Yates shuffle seeded by
/// `(seed, salt, epoch)` (the salt keeps pretraining and fine-tuning orders apart).
pub fn shuffled(n: u64, seed: u64, salt: u64, epoch: u64) -> Vec<u64> {
    let mut order: Vec<u64> = (0..n).collect();
    let mut r = Rng::from_seed(epoch_seed(seed ^ salt, epoch));
    for i in (1..order.len()).rev() {
        order.swap(i, r.below(i + 1));
    }
    order
}

/// Worker threads: the user's choice, or every core.
pub fn threads(choice: Option<usize>) -> usize {
    choice
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}
