//! The learning-rate schedule and the two AdamW settings.

use burn::optim::AdamWConfig;

/// AdamW as MAE pretrains: β = (0.9, 0.95), weight decay 0.05 (`pretrain`, `bench model`).
pub fn pretrain_optimizer() -> AdamWConfig {
    AdamWConfig::new()
        .with_beta_1(0.9)
        .with_beta_2(0.95)
        .with_weight_decay(0.05)
}

/// AdamW as MAE fine-tunes: β = (0.9, 0.999) (Burn's defaults), weight decay 0.05.
pub fn finetune_optimizer() -> AdamWConfig {
    AdamWConfig::new().with_weight_decay(0.05)
}

/// A run's learning rate over its optimizer steps: linear warm-up to `base`, then cosine
/// decay to `base / 100` at the last step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// The peak rate (`--lr`).
    pub base: f64,
    /// Warm-up steps.
    pub warmup: usize,
    /// Steps of the whole run.
    pub total: usize,
}

impl Schedule {
    /// The learning rate at optimizer step `step` (from 0).
    pub fn at(&self, step: usize) -> f64 {
        learning_rate(step, self.total, self.warmup, self.base, self.base / 100.0)
    }
}

/// Learning rate at `step` (0-based) of `total`: linear warm-up over `warmup` steps to
/// `base`, then cosine decay to `min`.
pub fn learning_rate(step: usize, total: usize, warmup: usize, base: f64, min: f64) -> f64 {
    if step < warmup {
        return base * (step + 1) as f64 / warmup as f64;
    }
    let span = total.saturating_sub(warmup).max(1) as f64;
    let t = ((step - warmup) as f64 / span).min(1.0);
    min + (base - min) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_warms_up_then_decays() {
        let lr = |s| learning_rate(s, 100, 10, 1e-3, 1e-5);
        assert!((lr(0) - 1e-4).abs() < 1e-12);
        assert!((lr(9) - 1e-3).abs() < 1e-12);
        assert!(lr(10) <= 1e-3 && lr(50) < lr(20) && lr(99) < lr(50));
        assert!((learning_rate(100, 100, 10, 1e-3, 1e-5) - 1e-5).abs() < 1e-12);
    }
}
