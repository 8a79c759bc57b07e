//! The in-place progress line of a training epoch (rate and ETA), drawn only on a terminal;
//! logs and pipes get the per-epoch summary lines instead.

use std::io::IsTerminal;
use std::time::Instant;

/// Progress of one epoch.
pub struct EpochProgress {
    tty: bool,
    started: Instant,
    epoch: usize,
    epochs: usize,
    total: usize,
}

impl EpochProgress {
    /// Starts epoch `epoch` (from 1) of `epochs`, over `total` examples.
    pub fn start(epoch: usize, epochs: usize, total: usize) -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            started: Instant::now(),
            epoch,
            epochs,
            total,
        }
    }

    /// Examples per second so far.
    pub fn rate(&self, seen: usize) -> f64 {
        seen as f64 / self.started.elapsed().as_secs_f64().max(1e-9)
    }

    /// Redraws the line after `seen` examples with mean loss `loss` and learning rate `lr`.
    pub fn update(&self, seen: usize, loss: f64, lr: f64) {
        if !self.tty {
            return;
        }
        let rate = self.rate(seen);
        let left = self.total.saturating_sub(seen) as f64 / rate.max(1e-9);
        eprint!(
            "\repoch {}/{} [{:>3.0} %] {}/{} examples, loss {:.4}, lr {:.2e}, {:.1} ex/s, ETA {:.0} s   ",
            self.epoch,
            self.epochs,
            100.0 * seen as f64 / self.total.max(1) as f64,
            seen,
            self.total,
            loss,
            lr,
            rate,
            left
        );
    }

    /// Ends the line (before the epoch's summary is printed).
    pub fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}
