//! `eval --open-set`: how well a classifier's own outputs tell the classes it knows from
//! modulations it was never trained on ([`model::signal::Foreign`]), and how well its
//! probabilities are calibrated.
//!
//! 1. A temperature is fitted ([`model::calibration::fit_temperature`]) on a calibration
//!    split of its own seed (in-set bursts at every SNR of the test grid, never the test
//!    set).
//! 2. On the test set's in-set bursts and on `--per-class` bursts of every out-of-set kind
//!    at every SNR: the calibrated maximum probability and the negative energy.
//! 3. Per SNR: each score's AUROC (in-set against out-of-set), and with the threshold that
//!    keeps 95 % of the calibration split's in-set bursts (its 5 % quantile), the fraction
//!    of in-set bursts kept and of out-of-set bursts flagged — with one threshold, and
//!    with one per band of the burst's blind SNR estimate ([`BAND_EDGES`],
//!    `OffsetEstimator::snr_estimate_db`: a low-SNR burst is unsure whatever it is, so one
//!    threshold set by them lets most out-of-set bursts through at high SNR); the expected
//!    calibration error before and after scaling.
//!
//! Writes `openset.json` and `openset.md` beside the report.

use anyhow::Result;
use model::calibration::{auroc, fit_temperature, neg_energy, quantile, reliability, softmax};
use model::signal::{synthesize_foreign, Foreign};
use model::{Image, Renderer, SnrSpec};
use serde::{Deserialize, Serialize};

use super::subject::Subject;
use super::EvalArgs;
use crate::backend::{self, Backend};
use crate::data::render_batch;

/// Salt of the calibration split's seed (apart from the test seed's examples).
const CALIBRATION_SALT: u64 = 0xCA11_B4A7;
/// Fraction of in-set bursts the threshold keeps.
pub const KEEP: f64 = 0.95;
/// Confidence bins of the reliability figures.
const BINS: usize = 10;

/// A familiarity score: higher for bursts like the training classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Score {
    /// The calibrated maximum class probability.
    MaxProbability,
    /// `T·logsumexp(z/T)`, the negative free energy.
    NegEnergy,
}

impl Score {
    const ALL: [Score; 2] = [Score::MaxProbability, Score::NegEnergy];

    fn of(self, logits: &[f64], t: f64) -> f64 {
        match self {
            Score::MaxProbability => softmax(logits, t).into_iter().fold(0.0, f64::max),
            Score::NegEnergy => neg_energy(logits, t),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Score::MaxProbability => "max probability",
            Score::NegEnergy => "negative energy",
        }
    }
}

/// One score at one SNR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreAtSnr {
    /// The score.
    pub score: Score,
    /// In-set against out-of-set, 0.5 = chance.
    #[serde(with = "model::report::nullable")]
    pub auroc: f64,
    /// In-set test bursts at or above the threshold (their verdict stands).
    #[serde(with = "model::report::nullable")]
    pub in_set_kept: f64,
    /// Out-of-set bursts below the threshold (called unknown).
    #[serde(with = "model::report::nullable")]
    pub out_of_set_flagged: f64,
    /// In-set test bursts kept with the threshold of their estimated-SNR band.
    #[serde(with = "model::report::nullable")]
    pub in_set_kept_banded: f64,
    /// Out-of-set bursts flagged with the threshold of their estimated-SNR band.
    #[serde(with = "model::report::nullable")]
    pub out_of_set_flagged_banded: f64,
}

/// Upper edges of the estimated-SNR bands, dB (the last band is open): a burst's
/// threshold is its band's, fitted on the calibration bursts whose estimate falls there.
pub const BAND_EDGES: [f64; 4] = [-5.0, 0.0, 5.0, 10.0];
/// Fewest calibration bursts a band needs for a threshold of its own (else the global one).
const BAND_MIN: usize = 20;

/// The band of an estimated SNR.
fn band(snr_db: f64) -> usize {
    BAND_EDGES.iter().filter(|&&e| snr_db >= e).count()
}

/// One SNR of the open-set figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenSetAtSnr {
    /// SNR, dB.
    pub snr_db: f64,
    /// In-set test bursts.
    pub in_set: u64,
    /// Out-of-set bursts.
    pub out_of_set: u64,
    /// Expected calibration error of the raw probabilities.
    #[serde(with = "model::report::nullable")]
    pub ece_raw: f64,
    /// Expected calibration error after temperature scaling.
    #[serde(with = "model::report::nullable")]
    pub ece_calibrated: f64,
    /// Each score's figures.
    pub scores: Vec<ScoreAtSnr>,
}

/// `openset.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenSetReport {
    /// The fitted temperature.
    pub temperature: f64,
    /// Calibration-split bursts it was fitted on.
    pub calibration_bursts: u64,
    /// The out-of-set kinds.
    pub kinds: Vec<String>,
    /// Each score's threshold (keeps [`KEEP`] of the calibration split).
    pub thresholds: Vec<(Score, f64)>,
    /// Each score's threshold per estimated-SNR band ([`BAND_EDGES`]).
    pub band_thresholds: Vec<(Score, Vec<f64>)>,
    /// Reliability of the calibrated probabilities over every test SNR.
    pub reliability: model::calibration::Reliability,
    /// Per SNR.
    pub per_snr: Vec<OpenSetAtSnr>,
}

/// Logits of the subject's classifier on `images` (`[n, channels, size, size]`), one row
/// per image.
fn logits(subject: &Subject, images: burn::tensor::Tensor<Backend, 4>) -> Result<Vec<Vec<f64>>> {
    let k = subject.classes.len().max(1);
    let v = model::batch::read(subject.model.forward(images)?)?;
    Ok(v.chunks(k)
        .map(|r| r.iter().map(|&x| f64::from(x)).collect())
        .collect())
}

/// In-set bursts' logits (one row each), labels and blind SNR estimates (dB).
type InSet = (Vec<Vec<f64>>, Vec<usize>, Vec<f64>);

/// In-set logits, labels and blind SNR estimates (dB) of the `s`-th SNR of the grid,
/// `snr`: `--per-class` examples per class from `seed` (each SNR its own example ids).
#[allow(clippy::too_many_arguments)]
fn in_set(
    args: &EvalArgs,
    subject: &Subject,
    renderer: &Renderer,
    seed: u64,
    s: usize,
    snr: i32,
    threads: usize,
    device: &backend::Device,
) -> Result<InSet> {
    let count = args.per_class * subject.classes.len() as u64;
    let first = s as u64 * count;
    let snr = f64::from(snr);
    let mut spec = subject.dataset.clone();
    spec.seed = seed;
    spec.snr = SnrSpec::Fixed { db: snr };
    let ids: Vec<u64> = (first..first + count).collect();
    let estimator = estimator(renderer);
    let (mut z, mut labels, mut est) = (Vec::new(), Vec::new(), Vec::new());
    for chunk in ids.chunks(subject.batch_size.max(1)) {
        let batch = render_batch(&spec, renderer, chunk, &[subject.target], threads)?;
        z.extend(logits(subject, batch.images::<Backend>(device)?)?);
        labels.extend(batch.labels.iter().copied());
        est.extend(
            chunk
                .iter()
                .map(|&i| estimator.snr_estimate_db(&spec.example(i).noisy)),
        );
    }
    Ok((z, labels, est))
}

/// The blind SNR estimator for the renderer's bursts.
fn estimator(renderer: &Renderer) -> model::signal::offset::OffsetEstimator {
    let c = renderer.config();
    model::signal::offset::OffsetEstimator::new(c.num_samples, c.samples_per_symbol)
}

/// What the calibration split gives: the temperature and each score's thresholds.
struct Calibration {
    temperature: f64,
    bursts: u64,
    thresholds: Vec<(Score, f64)>,
    band_thresholds: Vec<(Score, Vec<f64>)>,
}

/// Fits the temperature and the thresholds on the calibration split: in-set bursts of its
/// own seed at every SNR of `snrs` (never the test set).
fn calibrate(
    args: &EvalArgs,
    subject: &Subject,
    renderer: &Renderer,
    snrs: &[i32],
    threads: usize,
    device: &backend::Device,
) -> Result<Calibration> {
    let (mut cal_z, mut cal_l, mut cal_e) = (Vec::new(), Vec::new(), Vec::new());
    for (s, &snr) in snrs.iter().enumerate() {
        let seed = args.seed ^ CALIBRATION_SALT;
        let (z, l, e) = in_set(args, subject, renderer, seed, s, snr, threads, device)?;
        cal_z.extend(z);
        cal_l.extend(l);
        cal_e.extend(e);
    }
    let t = fit_temperature(&cal_z, &cal_l);
    let thresholds: Vec<(Score, f64)> = Score::ALL
        .iter()
        .map(|&sc| {
            let v: Vec<f64> = cal_z.iter().map(|z| sc.of(z, t)).collect();
            (sc, quantile(&v, 1.0 - KEEP))
        })
        .collect();
    let band_thresholds: Vec<(Score, Vec<f64>)> = thresholds
        .iter()
        .map(|&(sc, global)| {
            let per_band = (0..=BAND_EDGES.len())
                .map(|b| {
                    let v: Vec<f64> = cal_z
                        .iter()
                        .zip(&cal_e)
                        .filter(|(_, &e)| band(e) == b)
                        .map(|(z, _)| sc.of(z, t))
                        .collect();
                    if v.len() >= BAND_MIN {
                        quantile(&v, 1.0 - KEEP)
                    } else {
                        global
                    }
                })
                .collect();
            (sc, per_band)
        })
        .collect();
    Ok(Calibration {
        temperature: t,
        bursts: cal_z.len() as u64,
        thresholds,
        band_thresholds,
    })
}

/// Logits and blind SNR estimates of `--per-class` bursts of each of `kinds` at `snr`
/// (the `s`-th SNR of the grid, so each SNR draws its own examples).
fn foreign_logits(
    args: &EvalArgs,
    subject: &Subject,
    renderer: &Renderer,
    kinds: &[Foreign],
    s: u64,
    snr: i32,
    device: &backend::Device,
) -> Result<(Vec<Vec<f64>>, Vec<f64>)> {
    let est = estimator(renderer);
    let (mut z, mut snr_est) = (Vec::new(), Vec::new());
    for (j, &kind) in kinds.iter().enumerate() {
        let ids: Vec<u64> = (0..args.per_class)
            .map(|i| (s * kinds.len() as u64 + j as u64) * args.per_class + i)
            .collect();
        for chunk in ids.chunks(subject.batch_size.max(1)) {
            let images = chunk
                .iter()
                .map(|&i| {
                    let signal = &subject.dataset.signal;
                    let b = synthesize_foreign(kind, signal, args.seed, i, f64::from(snr));
                    snr_est.push(est.snr_estimate_db(&b.noisy));
                    renderer.render(subject.target, &b.noisy)
                })
                .collect::<Result<Vec<Image>, _>>()?;
            let refs: Vec<&Image> = images.iter().collect();
            let tensor = model::batch::images_to_tensor::<Backend>(&refs, device)?;
            z.extend(logits(subject, tensor)?);
        }
    }
    Ok((z, snr_est))
}

/// `(confidence, correct)` of each burst under `softmax(logits / t)`.
fn confidence_points(z: &[Vec<f64>], labels: &[usize], t: f64) -> Vec<(f64, bool)> {
    z.iter()
        .zip(labels)
        .map(|(row, &label)| {
            let p = softmax(row, t);
            let best = (0..p.len())
                .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                .unwrap_or(0);
            (p[best], best == label)
        })
        .collect()
}

/// Measures the open-set figures of `subject` against `kinds` (see the module docs).
pub(super) fn measure(
    args: &EvalArgs,
    subject: &Subject,
    renderer: &Renderer,
    kinds: &[Foreign],
    threads: usize,
    device: &backend::Device,
) -> Result<OpenSetReport> {
    let snrs: Vec<i32> = (args.snr_min..=args.snr_max)
        .step_by(args.snr_step as usize)
        .collect();
    let cal = calibrate(args, subject, renderer, &snrs, threads, device)?;
    let (t, thresholds, band_thresholds) = (cal.temperature, cal.thresholds, cal.band_thresholds);
    // 2-3. the test set's in-set bursts and the out-of-set ones, per SNR
    let mut all_points = Vec::new();
    let mut per_snr = Vec::new();
    for (s, &snr) in snrs.iter().enumerate() {
        let (z, l, z_est) = in_set(args, subject, renderer, args.seed, s, snr, threads, device)?;
        let (foreign_z, foreign_est) =
            foreign_logits(args, subject, renderer, kinds, s as u64, snr, device)?;
        let points = |temp: f64| confidence_points(&z, &l, temp);
        all_points.extend(points(t));
        let scores = thresholds
            .iter()
            .zip(&band_thresholds)
            .map(|(&(sc, th), (_, bands))| {
                let fam: Vec<f64> = z.iter().map(|r| sc.of(r, t)).collect();
                let foreign: Vec<f64> = foreign_z.iter().map(|r| sc.of(r, t)).collect();
                let frac = |v: &[f64], f: &dyn Fn(f64) -> bool| {
                    if v.is_empty() {
                        f64::NAN
                    } else {
                        v.iter().filter(|&&x| f(x)).count() as f64 / v.len() as f64
                    }
                };
                let banded = |v: &[f64], e: &[f64], keep: bool| {
                    let hits = v
                        .iter()
                        .zip(e)
                        .filter(|(&x, &snr)| (x >= bands[band(snr)]) == keep)
                        .count();
                    if v.is_empty() {
                        f64::NAN
                    } else {
                        hits as f64 / v.len() as f64
                    }
                };
                ScoreAtSnr {
                    score: sc,
                    auroc: auroc(&fam, &foreign),
                    in_set_kept: frac(&fam, &|x| x >= th),
                    out_of_set_flagged: frac(&foreign, &|x| x < th),
                    in_set_kept_banded: banded(&fam, &z_est, true),
                    out_of_set_flagged_banded: banded(&foreign, &foreign_est, false),
                }
            })
            .collect();
        per_snr.push(OpenSetAtSnr {
            snr_db: f64::from(snr),
            in_set: z.len() as u64,
            out_of_set: foreign_z.len() as u64,
            ece_raw: reliability(&points(1.0), BINS).ece,
            ece_calibrated: reliability(&points(t), BINS).ece,
            scores,
        });
    }
    Ok(OpenSetReport {
        temperature: t,
        calibration_bursts: cal.bursts,
        kinds: kinds.iter().map(|k| k.name().to_string()).collect(),
        thresholds,
        band_thresholds,
        reliability: reliability(&all_points, BINS),
        per_snr,
    })
}

/// `openset.md`: the per-SNR table.
pub(super) fn markdown(r: &OpenSetReport) -> String {
    let mut s = format!(
        "# Open-set detection and calibration\n\nTemperature {:.3} (fitted on {} calibration bursts); out-of-set kinds: {}; thresholds keep {:.0} % of the calibration split's in-set bursts. Expected calibration error over all SNRs after scaling: {:.3}.\n\n",
        r.temperature,
        r.calibration_bursts,
        r.kinds.join(", "),
        100.0 * KEEP,
        r.reliability.ece
    );
    let names: Vec<&str> = Score::ALL.iter().map(|s| s.name()).collect();
    s.push_str("| SNR (dB) | ECE raw → calibrated |");
    for n in &names {
        s.push_str(&format!(
            " {n}: AUROC / in-set kept / out-of-set flagged (one threshold; per estimated-SNR band) |"
        ));
    }
    s.push_str("\n|---|---|");
    s.push_str(&"---|".repeat(names.len()));
    s.push('\n');
    for a in &r.per_snr {
        s.push_str(&format!(
            "| {} | {:.3} → {:.3} |",
            a.snr_db, a.ece_raw, a.ece_calibrated
        ));
        for sc in &a.scores {
            s.push_str(&format!(
                " {:.3} / {:.1} % / {:.1} % ({:.1} % / {:.1} %) |",
                sc.auroc,
                100.0 * sc.in_set_kept,
                100.0 * sc.out_of_set_flagged,
                100.0 * sc.in_set_kept_banded,
                100.0 * sc.out_of_set_flagged_banded
            ));
        }
        s.push('\n');
    }
    s
}
