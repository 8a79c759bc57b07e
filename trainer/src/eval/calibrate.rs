//! `fipmae calibrate`: fits the open-set rule ([`model::openset::OpenSetRule`]: a
//! temperature and an "unknown" threshold per band of the blind SNR estimate) of a
//! classifier and writes it as `calibration.json`, which `classify`, `eval --open-set`,
//! `export` and the page read.
//!
//! The rule is fitted on held-out in-set bursts: `--per-class` bursts per class at every
//! SNR of the grid, from a seed of their own (the test set's seed salted, so neither the
//! fine-tuning data nor `eval`'s test set). The fine-tuning run's own validation split is
//! not used: it holds 50 bursts per class over all SNRs, too few for a threshold per band;
//! this split comes from the same generator and is as unseen.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use model::openset::{OpenSetRule, Score, BAND_EDGES_DB};
use model::Renderer;

use super::openset::Observer;
use super::openset::{calibration_split, rule_name};
use super::subject::Subject;
use super::{EvalArgs, TEST_SEED};
use crate::backend;
use crate::fsutil::write_atomic;
use crate::training::run_folder::{lock, RUN_JSON};

pub use crate::training::run_folder::CALIBRATION_JSON;

/// Options of `fipmae calibrate`.
#[derive(Debug, Clone, Args)]
#[command(mut_arg("snr_max", |a| a.default_value("20")))]
pub struct CalibrateArgs {
    /// Fine-tuning run folder or exported bundle folder; `calibration.json` is written
    /// into it (a bundle's `bundle.json` then names it).
    #[arg(long)]
    pub model: PathBuf,
    /// Calibration bursts per (class, SNR).
    #[arg(long, default_value_t = 20)]
    pub per_class: u64,
    /// The calibration grid (−10..20 dB by default).
    #[command(flatten)]
    pub snr: crate::flags::SnrGrid,
    /// The familiarity score: `max-probability`, `negative-energy`, `mahalanobis`,
    /// `statistics` (the burst's envelope, phase-step and cumulant statistics), or several
    /// joined by `+` (their standardised mean), e.g. `max-probability+mahalanobis`.
    #[arg(long, default_value = "max-probability+statistics", value_parser = parse_score)]
    pub score: (Score, Vec<Score>),
    /// Fraction of in-set bursts whose verdict stands, per SNR band (0.5..1).
    #[arg(long, default_value_t = model::openset::KEEP)]
    pub keep: f64,
    /// Rendering threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Parses `--score`: one score, or several joined by `+` (a combined score).
pub fn parse_score(s: &str) -> Result<(Score, Vec<Score>), String> {
    let one = |name: &str| match name.trim() {
        "max-probability" => Ok(Score::MaxProbability),
        "negative-energy" => Ok(Score::NegEnergy),
        "mahalanobis" => Ok(Score::Mahalanobis),
        "statistics" => Ok(Score::Statistics),
        "reconstruction" => Err(
            "the reconstruction score is measured by `eval --open-set` but neither `classify` \
             nor the page computes it (it separates worst there); choose max-probability, \
             negative-energy, mahalanobis or statistics"
                .to_string(),
        ),
        other => Err(format!(
            "unknown score {other:?}: expected max-probability, negative-energy, mahalanobis, \
             statistics, or several joined by +"
        )),
    };
    let parts: Vec<Score> = s.split('+').map(one).collect::<Result<_, _>>()?;
    match parts.as_slice() {
        [single] => Ok((*single, Vec::new())),
        _ => Ok((Score::Combined, parts)),
    }
}

impl CalibrateArgs {
    /// The equivalent `eval` options: the subject and the calibration grid.
    fn eval_args(&self) -> EvalArgs {
        EvalArgs {
            model: self.model.clone(),
            out: self.model.clone(),
            per_class: self.per_class,
            snr: self.snr.clone(),
            seed: TEST_SEED,
            pretrained: None,
            recon_per_class: 0,
            threads: self.threads,
            embeddings: false,
            embeddings_min_snr: 0,
            recordings: Vec::new(),
            snr_field: None,
            pictures_at: Vec::new(),
            open_set: None,
            class_parameters: None,
            max_freq_offset: None,
        }
    }
}

/// Fits the rule of `args.model` (see the module docs); writes nothing.
pub fn fit(args: &CalibrateArgs) -> Result<OpenSetRule> {
    args.snr.check()?;
    if args.per_class == 0 {
        bail!("need --per-class ≥ 1");
    }
    if !(0.5..1.0).contains(&args.keep) {
        bail!("--keep must be in [0.5, 1), got {}", args.keep);
    }
    let eval = args.eval_args();
    let device = backend::device()?;
    let mut subject = Subject::for_test(&eval, &device)?;
    // classify and the page see no autoencoder's errors: neither does the rule
    subject.autoencoder = None;
    let renderer = Renderer::new(subject.render.clone())?;
    let threads = crate::data::threads(args.threads);
    let observer = Observer::new(&subject, &renderer, threads, &device)?;
    let snrs = args.snr.values();
    let (cal, labels) = calibration_split(&eval, &subject, &observer, &snrs)?;
    let (score, components) = &args.score;
    Ok(OpenSetRule::fit(
        &cal,
        &labels,
        subject.classes.len(),
        *score,
        components,
        args.keep,
        &BAND_EDGES_DB,
    )?)
}

/// Writes `rule` into the model folder `dir`: under the run's lock for a fine-tuning run;
/// for a bundle, `calibration.json` and then `bundle.json` naming it.
fn write(dir: &Path, rule: &OpenSetRule) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(rule)?;
    if dir.join(RUN_JSON).is_file() {
        let _lock = lock(dir)?;
        write_atomic(&dir.join(CALIBRATION_JSON), &bytes)?;
        return Ok(());
    }
    let index = dir.join("bundle.json");
    let mut bundle = model::bundle::Bundle::from_json(&crate::fsutil::read(&index)?)
        .with_context(|| format!("`{}` is not a bundle index", index.display()))?;
    bundle.calibration = Some(CALIBRATION_JSON.to_string());
    let index_bytes = serde_json::to_vec_pretty(&bundle)?;
    write_atomic(&dir.join(CALIBRATION_JSON), &bytes)?;
    write_atomic(&index, &index_bytes)?;
    Ok(())
}

/// Runs `fipmae calibrate` and says what it wrote.
pub fn main(args: &CalibrateArgs) -> Result<()> {
    let rule = fit(args)?;
    write(&args.model, &rule)?;
    let t: Vec<String> = rule
        .temperatures
        .iter()
        .map(|t| format!("{t:.3}"))
        .collect();
    println!(
        "{} rule fitted on {} bursts (temperatures per SNR band {}; thresholds keep {:.0} %): {}",
        rule_name(&rule),
        rule.calibration_bursts,
        t.join(", "),
        100.0 * rule.keep,
        args.model.join(CALIBRATION_JSON).display()
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scores_parse_alone_and_joined() {
        assert_eq!(
            parse_score("max-probability"),
            Ok((Score::MaxProbability, vec![]))
        );
        assert_eq!(
            parse_score("max-probability+mahalanobis"),
            Ok((
                Score::Combined,
                vec![Score::MaxProbability, Score::Mahalanobis]
            ))
        );
        assert!(parse_score("reconstruction")
            .unwrap_err()
            .contains("neither `classify`"));
        assert!(parse_score("energy").unwrap_err().contains("unknown score"));
    }
}
