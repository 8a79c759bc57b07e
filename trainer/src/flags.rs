//! Flags that several commands share, defined once and flattened into each
//! (`#[command(flatten)]`): a training run's folder, seed and schedule of reads
//! ([`RunFlags`]), the FIP knobs ([`FipKnobs`], also set by `compare --sweep`), the
//! generator's burst settings ([`BurstFlags`]), the SNRs of training ([`SnrRange`]) and of
//! measuring ([`SnrGrid`]); and the parsers that keep non-finite or
//! out-of-range numbers (`NaN`, `inf`) out of every numeric flag. Every FIP knob goes
//! through the model's own range checks (`model::config::check_*`), which the config and
//! the page use too.

use std::path::PathBuf;

use clap::Args;
use model::config::{check_decoder_depth, check_loss_weight, check_mask_ratio, FipMaeConfig};

/// Default of `--sync-every`: training steps between two reads of their values.
pub const DEFAULT_SYNC_EVERY: usize = 16;

/// What a training run takes besides its settings: its folder and seed, resuming and
/// stopping, threads, and how often values are read back; flattened into `pretrain` and
/// `finetune`, each of which says in its help what its seed seeds and what its steps read
/// back (`#[command(mut_arg(..))]`).
#[derive(Debug, Clone, PartialEq, Args)]
pub struct RunFlags {
    /// Seed of the run's data, order and initialisation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run folder (created; must not already hold a run unless --resume).
    #[arg(long)]
    pub out: PathBuf,
    /// Continue the run in --out from its last checkpoint (its run.json decides every
    /// other setting).
    #[arg(long)]
    pub resume: bool,
    /// Stop after this many epochs in total, as if killed (continue later with --resume).
    #[arg(long)]
    pub stop_after: Option<usize>,
    /// Rendering threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Training steps between two reads of their values back to the host (0 or 1: every
    /// step). Reading waits for the device; on a GPU fewer reads keep its queue full.
    /// Results do not depend on it.
    #[arg(long, default_value_t = DEFAULT_SYNC_EVERY)]
    pub sync_every: usize,
}

/// The SNR range that generated or labelled bursts are drawn from, uniformly in dB;
/// flattened into `generate` and `finetune` (and set per SNR by `compare`).
#[derive(Debug, Clone, PartialEq, Args)]
pub struct SnrRange {
    /// Lowest SNR of the bursts, dB.
    #[arg(long, default_value_t = -10.0, value_parser = parse_snr_db, allow_hyphen_values = true)]
    pub snr_min: f64,
    /// Highest SNR of the bursts, dB (≥ --snr-min).
    #[arg(long, default_value_t = 10.0, value_parser = parse_snr_db, allow_hyphen_values = true)]
    pub snr_max: f64,
}

impl SnrRange {
    /// One SNR, `db` dB, as a range.
    pub fn at(db: f64) -> Self {
        Self {
            snr_min: db,
            snr_max: db,
        }
    }

    /// Refuses a range whose lowest SNR is above its highest.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.snr_min > self.snr_max {
            anyhow::bail!(
                "--snr-min {} dB is above --snr-max {} dB",
                self.snr_min,
                self.snr_max
            );
        }
        Ok(())
    }

    /// The generator's SNR law: uniform in dB over the range.
    pub fn spec(&self) -> model::SnrSpec {
        model::SnrSpec::Uniform {
            min_db: self.snr_min,
            max_db: self.snr_max,
        }
    }
}

/// The grid of SNRs a model is measured on, whole dB from `--snr-min` to `--snr-max` in
/// steps of `--snr-step`; flattened into `eval` (−10..10) and `calibrate` (−10..20, its
/// own default through `#[command(mut_arg(..))]`: clap keeps one default per field, so a
/// const-generic default would be shared by both).
#[derive(Debug, Clone, PartialEq, Args)]
pub struct SnrGrid {
    /// Lowest SNR of the grid, dB.
    #[arg(long, default_value_t = -10, value_parser = parse_snr_db_whole, allow_hyphen_values = true)]
    pub snr_min: i32,
    /// Highest SNR of the grid, dB.
    #[arg(long, default_value_t = 10, value_parser = parse_snr_db_whole, allow_hyphen_values = true)]
    pub snr_max: i32,
    /// SNR step of the grid, dB.
    #[arg(long, default_value_t = 1)]
    pub snr_step: i32,
}

impl SnrGrid {
    /// Refuses a grid without a point: a step ≤ 0 or `--snr-min` above `--snr-max`.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.snr_step <= 0 || self.snr_min > self.snr_max {
            anyhow::bail!(
                "need --snr-step > 0 and --snr-min ≤ --snr-max (got {}..{} dB in steps of {})",
                self.snr_min,
                self.snr_max,
                self.snr_step
            );
        }
        Ok(())
    }

    /// The grid's SNRs, dB, lowest first (empty when [`Self::check`] refuses it).
    pub fn values(&self) -> Vec<i32> {
        if self.snr_step <= 0 {
            return Vec::new();
        }
        (self.snr_min..=self.snr_max)
            .step_by(self.snr_step as usize)
            .collect()
    }

    /// One SNR, `db` dB, as a grid.
    pub fn at(db: i32) -> Self {
        Self {
            snr_min: db,
            snr_max: db,
            snr_step: 1,
        }
    }
}

/// Burst-length, symbol-rate, class-parameter and offset-correction overrides of the
/// generator's profile, shared by `pretrain` and `finetune`: the burst length is also the
/// classifier's window on recordings. `--class-parameters fixed --max-freq-offset 5e-5
/// --offset-correction off` is the standard generator before issue 25
/// (`SignalConfig::standard_fixed`).
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct BurstFlags {
    /// Samples per burst, the window a classifier reads (default: the profile's, 1024);
    /// RadioML 2016.10a frames are 128 samples (about 8 per symbol). Every modality renders
    /// any length from 16 up (images keep their size).
    #[arg(long)]
    pub burst_length: Option<usize>,
    /// Samples per symbol of the generated bursts and of the matched filter that times the
    /// constellation (default: the profile's, 8 for `standard`).
    #[arg(long)]
    pub samples_per_symbol: Option<usize>,
    /// Standard profile: `ranges` draws each class's parameters per burst (roll-off; h and
    /// BT of the FSK family; README table), `fixed` keeps one point per class, as the
    /// generator before ranges (default: the profile's, `ranges`, or the pretraining run's).
    #[arg(long, value_parser = parse_class_parameters)]
    pub class_parameters: Option<model::signal::ClassParameters>,
    /// `on`: remove each burst's carrier frequency offset before rendering it (the
    /// standard profile's default); `off`: render bursts as they come (the generator before
    /// it; default: the profile's, or the pretraining run's).
    #[arg(long, value_parser = parse_on_off)]
    pub offset_correction: Option<bool>,
}

impl BurstFlags {
    /// Applies the overrides to `signal` and checks it (a burst still holds 4 symbols).
    pub fn apply(&self, signal: &mut model::SignalConfig) -> anyhow::Result<()> {
        if let Some(n) = self.burst_length {
            signal.num_samples = n;
        }
        if let Some(t) = self.samples_per_symbol {
            signal.samples_per_symbol = t;
        }
        if let Some(p) = self.class_parameters {
            signal.class_parameters = p;
        }
        if let Some(on) = self.offset_correction {
            signal.offset_correction = on;
        }
        signal.validate()?;
        if signal.num_samples < 4 * signal.samples_per_symbol {
            anyhow::bail!(
                "a {}-sample burst at {} samples per symbol holds fewer than 4 symbols",
                signal.num_samples,
                signal.samples_per_symbol
            );
        }
        Ok(())
    }
}

/// Overrides of the method preset's FIP knobs (target modality vs the others).
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct FipKnobs {
    /// Override the target modality's mask ratio p_target, in [0, 1).
    #[arg(long, value_parser = parse_mask_ratio)]
    pub mask_target: Option<f64>,
    /// Override the other modalities' mask ratio p_other, in [0, 1).
    #[arg(long, value_parser = parse_mask_ratio)]
    pub mask_other: Option<f64>,
    /// Override the target decoder's depth L_target, blocks.
    #[arg(long, value_parser = parse_decoder_depth)]
    pub depth_target: Option<usize>,
    /// Override the other decoders' depth L_other, blocks.
    #[arg(long, value_parser = parse_decoder_depth)]
    pub depth_other: Option<usize>,
    /// Override the target loss weight w_target, ≥ 0.
    #[arg(long, value_parser = parse_loss_weight)]
    pub weight_target: Option<f64>,
    /// Override the other loss weights w_other, ≥ 0.
    #[arg(long, value_parser = parse_loss_weight)]
    pub weight_other: Option<f64>,
    /// Train every decoder on all its patches, the visible ones too (default: the masked
    /// ones only, as MAE): the decoder then also denoises what the encoder saw, and a
    /// reconstruction is its output everywhere instead of the input pasted on visible
    /// patches.
    #[arg(long)]
    pub loss_on_all_patches: bool,
}

impl FipKnobs {
    /// Writes the given overrides into `config` (the target is `config.target`).
    pub fn apply(&self, config: &mut FipMaeConfig) {
        let target = config.target;
        config.loss_on_all_patches |= self.loss_on_all_patches;
        for m in config.modalities.iter_mut() {
            let is_target = m.modality == target;
            let (mask, depth, weight) = if is_target {
                (self.mask_target, self.depth_target, self.weight_target)
            } else {
                (self.mask_other, self.depth_other, self.weight_other)
            };
            if let Some(v) = mask {
                m.mask_ratio = v;
            }
            if let Some(v) = depth {
                m.decoder_depth = v;
            }
            if let Some(v) = weight {
                m.loss_weight = v;
            }
        }
    }
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of the right kind"))
}

/// Parses a mask ratio and checks it (`model::config::check_mask_ratio`).
pub fn parse_mask_ratio(s: &str) -> Result<f64, String> {
    check_mask_ratio(number(s)?)
}

/// Parses a decoder depth and checks it (`model::config::check_decoder_depth`).
pub fn parse_decoder_depth(s: &str) -> Result<usize, String> {
    check_decoder_depth(number(s)?)
}

/// Parses a loss weight and checks it (`model::config::check_loss_weight`).
pub fn parse_loss_weight(s: &str) -> Result<f64, String> {
    check_loss_weight(number(s)?)
}

/// Parses a number that must be finite and > 0 (learning rates): `NaN`, `inf`, 0 and
/// negative values are refused by the command-line parser, before anything runs.
pub fn parse_positive(s: &str) -> Result<f64, String> {
    let v: f64 = number(s)?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("{v} must be a finite number > 0"))
    }
}

/// Parses a number that must be finite and ≥ 0 (warm-up epochs).
pub fn parse_non_negative(s: &str) -> Result<f64, String> {
    let v: f64 = number(s)?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("{v} must be a finite number ≥ 0"))
    }
}

/// Checks the counts and rate of a run description read back from `run.json` (pretraining
/// and fine-tuning alike): `what` examples, batch size and epochs ≥ 1, a finite `lr` > 0.
pub fn check_run_schedule(
    what: &str,
    examples: u64,
    batch_size: usize,
    epochs: usize,
    lr: f64,
) -> anyhow::Result<()> {
    if examples == 0 || batch_size == 0 || epochs == 0 {
        anyhow::bail!("{what}, batch size and epochs must each be at least 1");
    }
    if !(lr.is_finite() && lr > 0.0) {
        anyhow::bail!("the learning rate must be a finite number > 0, not {lr}");
    }
    Ok(())
}

/// Parses an SNR in dB: finite and within ±100 dB (the dataset's own bound).
pub fn parse_snr_db(s: &str) -> Result<f64, String> {
    let v: f64 = number(s)?;
    if v.is_finite() && v.abs() <= 100.0 {
        Ok(v)
    } else {
        Err(format!("{v} dB must be a finite SNR within ±100 dB"))
    }
}

/// Parses a whole SNR in dB within ±100 dB (the test set's SNR grid is in whole dB).
pub fn parse_snr_db_whole(s: &str) -> Result<i32, String> {
    let v = parse_snr_db(s)?;
    if v.fract() == 0.0 {
        Ok(v as i32)
    } else {
        Err(format!("{v} dB: expected a whole number of dB"))
    }
}

/// Parses `fixed` or `ranges` (`--class-parameters`).
pub fn parse_class_parameters(s: &str) -> Result<model::signal::ClassParameters, String> {
    s.parse()
        .map_err(|e: model::signal::SignalError| e.to_string())
}

/// Parses `on` or `off`.
pub fn parse_on_off(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("`{s}`: expected on or off")),
    }
}

/// Parses a fraction in `[0, 1)` (label smoothing).
pub fn parse_fraction(s: &str) -> Result<f64, String> {
    fraction(s, false)
}

/// Parses a fraction in `[0, 1]` (`--synthetic-fraction`).
pub fn parse_fraction_closed(s: &str) -> Result<f64, String> {
    fraction(s, true)
}

/// A number in `[0, 1)`, or `[0, 1]` when `one` is allowed.
fn fraction(s: &str, one: bool) -> Result<f64, String> {
    let v: f64 = number(s)?;
    if (0.0..1.0).contains(&v) || (one && v == 1.0) {
        Ok(v)
    } else {
        Err(format!(
            "{v} must be in [0, 1{}",
            if one { "]" } else { ")" }
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::args_from;
    use crate::finetune::FinetuneArgs;
    use crate::pretrain::PretrainArgs;

    #[test]
    fn non_finite_and_out_of_range_numbers_are_refused_by_the_parser() {
        for (flag, value) in [
            ("--lr", "NaN"),
            ("--lr", "inf"),
            ("--lr", "0"),
            ("--warmup-epochs", "-1"),
            ("--mask-target", "1.0"),
            ("--depth-other", "0"),
            ("--weight-target", "NaN"),
        ] {
            let arg = format!("{flag}={value}");
            let err = args_from::<PretrainArgs>(&["--out", "x", &arg])
                .expect_err("refused")
                .to_string();
            assert!(err.contains(flag), "{flag} {value}: {err}");
        }
        for (flag, value) in [("--lr", "NaN"), ("--label-smoothing", "1.5")] {
            let arg = format!("{flag}={value}");
            let err = args_from::<FinetuneArgs>(&["--out", "x", "--method", "vit", &arg])
                .expect_err("refused")
                .to_string();
            assert!(err.contains(flag), "{flag} {value}: {err}");
        }
        assert!(args_from::<FinetuneArgs>(&["--out", "x", "--lr", "2e-3"]).is_ok());
    }

    #[test]
    fn snr_flags_keep_each_commands_defaults_and_refuse_empty_ranges() -> anyhow::Result<()> {
        use crate::eval::calibrate::CalibrateArgs;
        use crate::eval::EvalArgs;
        let refusal = |r: anyhow::Result<()>| r.err().map(|e| e.to_string()).unwrap_or_default();
        let e: EvalArgs = args_from(&["--model", "m", "--out", "o"])?;
        let c: CalibrateArgs = args_from(&["--model", "m"])?;
        assert_eq!((e.snr.snr_min, e.snr.snr_max, e.snr.snr_step), (-10, 10, 1));
        assert_eq!((c.snr.snr_min, c.snr.snr_max, c.snr.snr_step), (-10, 20, 1));
        assert_eq!(e.snr.values().len(), 21);
        let g: EvalArgs = args_from(&["--model=m", "--out=o", "--snr-min=4", "--snr-max=0"])?;
        assert!(refusal(g.snr.check()).contains("--snr-min ≤ --snr-max"));
        let f: FinetuneArgs = args_from(&["--out", "o"])?;
        assert_eq!((f.snr.snr_min, f.snr.snr_max), (-10.0, 10.0));
        assert!(super::SnrRange::at(3.0).check().is_ok());
        let bad = super::SnrRange {
            snr_min: 5.0,
            snr_max: -5.0,
        };
        assert!(refusal(bad.check()).contains("is above --snr-max"));
        Ok(())
    }
}
