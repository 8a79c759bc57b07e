//! `eval --open-set`: how well a classifier tells the classes it knows from modulations it
//! was never trained on ([`model::signal::Foreign`]), and how well its probabilities are
//! calibrated.
//!
//! 1. **Calibration split**: in-set bursts of its own seed at every SNR of the test grid
//!    (never the test set), observed as a capture would be ([`observe`]). On it, one
//!    [`OpenSetRule`] per familiarity score (each single score, and standardised means of
//!    several: [`CANDIDATES`]), each with a temperature and a threshold per band of the
//!    burst's blind SNR estimate, keeping [`KEEP`] of the split's bursts per band.
//! 2. **Test**: the test set's in-set bursts and `--per-class` bursts of every out-of-set
//!    kind at every SNR. Per SNR and score: AUROC (in-set against out-of-set, on the
//!    familiarity minus the band's threshold, the quantity the verdict reads), the
//!    fraction of in-set bursts kept and of out-of-set bursts flagged (overall and per
//!    kind); the expected calibration error raw, with one temperature, and with one per
//!    band.
//!
//! Writes `openset.json` and `openset.md` beside the report.

mod observe;

use anyhow::Result;
use model::calibration::{auroc, fit_temperature, reliability, softmax, Reliability};
use model::openset::{Observation, OpenSetRule, Score, BAND_EDGES_DB, KEEP};
use model::signal::{synthesize_foreign, Foreign};
use model::{Renderer, SnrSpec, C32};
use serde::{Deserialize, Serialize};

pub(super) use observe::Observer;

use super::subject::Subject;
use super::EvalArgs;
use crate::backend;

/// Salt of the calibration split's seed (apart from the test seed's examples).
pub(crate) const CALIBRATION_SALT: u64 = 0xCA11_B4A7;
/// Confidence bins of the reliability figures.
const BINS: usize = 10;

/// The scores measured: each single one, then standardised means of several.
pub const CANDIDATES: [(Score, &[Score]); 12] = [
    (Score::MaxProbability, &[]),
    (Score::NegEnergy, &[]),
    (Score::Reconstruction, &[]),
    (Score::Mahalanobis, &[]),
    (Score::Statistics, &[]),
    (Score::Combined, &[Score::MaxProbability, Score::Statistics]),
    (Score::Weakest, &[Score::MaxProbability, Score::Statistics]),
    (
        Score::Weakest,
        &[Score::MaxProbability, Score::Mahalanobis, Score::Statistics],
    ),
    (
        Score::Combined,
        &[Score::MaxProbability, Score::Mahalanobis, Score::Statistics],
    ),
    (
        Score::Combined,
        &[Score::MaxProbability, Score::Mahalanobis],
    ),
    (
        Score::Combined,
        &[Score::Mahalanobis, Score::Reconstruction],
    ),
    (
        Score::Combined,
        &[
            Score::MaxProbability,
            Score::Mahalanobis,
            Score::Reconstruction,
        ],
    ),
];

/// A rule's name: its score, or its components joined by `+`.
pub fn rule_name(rule: &OpenSetRule) -> String {
    let join = |sep: &str| {
        rule.components
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(sep)
    };
    match rule.score {
        Score::Combined => join(" + "),
        Score::Weakest => format!("weakest of {}", join(", ")),
        s => s.name().to_string(),
    }
}

/// One rule at one SNR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreAtSnr {
    /// The rule's name ([`rule_name`]).
    pub rule: String,
    /// In-set against out-of-set, 0.5 = chance.
    #[serde(with = "model::report::nullable")]
    pub auroc: f64,
    /// In-set test bursts whose verdict stands.
    #[serde(with = "model::report::nullable")]
    pub in_set_kept: f64,
    /// Out-of-set bursts called unknown.
    #[serde(with = "model::report::nullable")]
    pub out_of_set_flagged: f64,
    /// Out-of-set bursts called unknown, per kind (in the report's kind order).
    pub flagged_per_kind: Vec<f64>,
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
    /// Expected calibration error with one temperature for every SNR.
    #[serde(with = "model::report::nullable")]
    pub ece_one_temperature: f64,
    /// Expected calibration error with the temperature of the burst's estimated-SNR band.
    #[serde(with = "model::report::nullable")]
    pub ece_banded: f64,
    /// Median blind SNR estimate of the in-set bursts, dB.
    pub in_set_estimated_snr_db: f64,
    /// Median blind SNR estimate of each out-of-set kind's bursts, dB.
    pub estimated_snr_db_per_kind: Vec<f64>,
    /// Each rule's figures.
    pub scores: Vec<ScoreAtSnr>,
}

/// A rule as fitted, without its Gaussians (see `calibration.json` for a whole one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSummary {
    /// Its name.
    pub rule: String,
    /// Temperature per band.
    pub temperatures: Vec<f64>,
    /// Threshold per band.
    pub thresholds: Vec<f64>,
}

/// `openset.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenSetReport {
    /// One temperature fitted on every calibration burst.
    pub temperature: f64,
    /// Calibration-split bursts the rules were fitted on.
    pub calibration_bursts: u64,
    /// Upper edges of the estimated-SNR bands, dB.
    pub band_edges_db: Vec<f64>,
    /// The out-of-set kinds.
    pub kinds: Vec<String>,
    /// The rules.
    pub rules: Vec<RuleSummary>,
    /// Reliability over every test SNR with one temperature.
    pub reliability: Reliability,
    /// Reliability over every test SNR with the band temperatures.
    pub reliability_banded: Reliability,
    /// Per SNR.
    pub per_snr: Vec<OpenSetAtSnr>,
}

/// `count` in-set bursts of the `s`-th SNR of the grid (`snr`) from `seed`: their noisy
/// samples, example ids and labels.
fn in_set_bursts(
    subject: &Subject,
    seed: u64,
    s: usize,
    snr: i32,
    count: u64,
) -> (Vec<Vec<C32>>, Vec<u64>, Vec<usize>) {
    let mut spec = subject.dataset.clone();
    spec.seed = seed;
    spec.snr = SnrSpec::Fixed { db: f64::from(snr) };
    let ids: Vec<u64> = (s as u64 * count..(s as u64 + 1) * count).collect();
    let (mut bursts, mut labels) = (Vec::new(), Vec::new());
    for &i in &ids {
        let ex = spec.example(i);
        bursts.push(ex.noisy);
        labels.push(ex.label);
    }
    (bursts, ids, labels)
}

/// `--per-class` bursts of each of `kinds` at `snr` (the `s`-th SNR of the grid, so each
/// SNR draws its own), in kind order: samples and ids.
fn foreign_bursts(
    args: &EvalArgs,
    subject: &Subject,
    kinds: &[Foreign],
    s: u64,
    snr: i32,
) -> (Vec<Vec<C32>>, Vec<u64>) {
    let mut bursts = Vec::new();
    let mut ids = Vec::new();
    for j in 0..kinds.len() as u64 {
        for i in 0..args.per_class {
            let id = (s * kinds.len() as u64 + j) * args.per_class + i;
            let kind = kinds[j as usize];
            let b =
                synthesize_foreign(kind, &subject.dataset.signal, args.seed, id, f64::from(snr));
            bursts.push(b.noisy);
            ids.push(id);
        }
    }
    (bursts, ids)
}

/// The median blind SNR estimate of `obs`, dB.
fn median_snr(obs: &[Observation]) -> f64 {
    let v: Vec<f64> = obs.iter().map(|o| o.snr_db).collect();
    model::calibration::quantile(&v, 0.5)
}

/// `(confidence, correct)` of each burst under `probabilities`.
fn confidence_points(
    obs: &[Observation],
    labels: &[usize],
    probabilities: impl Fn(&Observation) -> Vec<f64>,
) -> Vec<(f64, bool)> {
    obs.iter()
        .zip(labels)
        .map(|(o, &label)| {
            let p = probabilities(o);
            let best = (0..p.len())
                .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                .unwrap_or(0);
            (p[best], best == label)
        })
        .collect()
}

/// The calibration split's observations and labels.
pub(super) fn calibration_split(
    args: &EvalArgs,
    subject: &Subject,
    observer: &Observer,
    snrs: &[i32],
) -> Result<(Vec<Observation>, Vec<usize>)> {
    let count = args.per_class * subject.classes.len() as u64;
    let (mut obs, mut labels) = (Vec::new(), Vec::new());
    for (s, &snr) in snrs.iter().enumerate() {
        let (b, ids, l) = in_set_bursts(subject, args.seed ^ CALIBRATION_SALT, s, snr, count);
        obs.extend(observer.observe(&b, &ids)?);
        labels.extend(l);
    }
    Ok((obs, labels))
}

/// Fits every candidate rule the observations allow (no reconstruction without an
/// autoencoder).
pub(crate) fn fit_rules(
    cal: &[Observation],
    labels: &[usize],
    classes: usize,
    with_autoencoder: bool,
) -> Result<Vec<OpenSetRule>> {
    CANDIDATES
        .iter()
        .filter(|(s, c)| {
            with_autoencoder || (*s != Score::Reconstruction && !c.contains(&Score::Reconstruction))
        })
        .map(|(s, c)| {
            Ok(OpenSetRule::fit(
                cal,
                labels,
                classes,
                *s,
                c,
                KEEP,
                &BAND_EDGES_DB,
            )?)
        })
        .collect()
}

/// One rule's figures on one SNR's in-set and out-of-set observations.
fn score_at_snr(
    rule: &OpenSetRule,
    fam: &[Observation],
    foreign: &[Observation],
    kinds: usize,
) -> ScoreAtSnr {
    let margin = |o: &Observation| {
        let f = rule.margin(o);
        if f.is_finite() {
            f
        } else {
            f64::NEG_INFINITY
        }
    };
    let frac = |v: &[Observation], unknown: bool| {
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().filter(|o| rule.is_unknown(o) == unknown).count() as f64 / v.len() as f64
        }
    };
    let per_kind = foreign.len() / kinds.max(1);
    ScoreAtSnr {
        rule: rule_name(rule),
        auroc: auroc(
            &fam.iter().map(margin).collect::<Vec<_>>(),
            &foreign.iter().map(margin).collect::<Vec<_>>(),
        ),
        in_set_kept: frac(fam, false),
        out_of_set_flagged: frac(foreign, true),
        flagged_per_kind: foreign
            .chunks(per_kind.max(1))
            .map(|c| frac(c, true))
            .collect(),
    }
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
    let snrs = args.snr.values();
    let observer = Observer::new(subject, renderer, threads, device)?;
    let (cal, cal_labels) = calibration_split(args, subject, &observer, &snrs)?;
    let k = subject.classes.len();
    let mut rules = fit_rules(&cal, &cal_labels, k, observer.has_autoencoder())?;
    // the model's own rule (what classify and the page apply), measured first
    let stored = subject.rule.is_some();
    if let Some(rule) = &subject.rule {
        rules.insert(0, rule.clone());
    }
    let logits: Vec<Vec<f64>> = cal.iter().map(|o| o.logits.clone()).collect();
    let t = fit_temperature(&logits, &cal_labels);
    // the probabilities a user sees: the stored rule's when there is one
    let banded = &rules[0];
    let count = args.per_class * k as u64;
    let (mut all_one, mut all_banded) = (Vec::new(), Vec::new());
    let mut per_snr = Vec::new();
    for (s, &snr) in snrs.iter().enumerate() {
        let (b, ids, labels) = in_set_bursts(subject, args.seed, s, snr, count);
        let fam = observer.observe(&b, &ids)?;
        let (fb, fids) = foreign_bursts(args, subject, kinds, s as u64, snr);
        let foreign = observer.observe(&fb, &fids)?;
        let one = confidence_points(&fam, &labels, |o| softmax(&o.logits, t));
        let band = confidence_points(&fam, &labels, |o| banded.probabilities(o));
        let raw = confidence_points(&fam, &labels, |o| softmax(&o.logits, 1.0));
        per_snr.push(OpenSetAtSnr {
            snr_db: f64::from(snr),
            in_set: fam.len() as u64,
            out_of_set: foreign.len() as u64,
            ece_raw: reliability(&raw, BINS).ece,
            ece_one_temperature: reliability(&one, BINS).ece,
            ece_banded: reliability(&band, BINS).ece,
            in_set_estimated_snr_db: median_snr(&fam),
            estimated_snr_db_per_kind: foreign
                .chunks((foreign.len() / kinds.len().max(1)).max(1))
                .map(median_snr)
                .collect(),
            scores: rules
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut sc = score_at_snr(r, &fam, &foreign, kinds.len());
                    if i == 0 && stored {
                        sc.rule = format!("stored: {}", sc.rule);
                    }
                    sc
                })
                .collect(),
        });
        all_one.extend(one);
        all_banded.extend(band);
    }
    Ok(OpenSetReport {
        temperature: t,
        calibration_bursts: cal.len() as u64,
        band_edges_db: BAND_EDGES_DB.to_vec(),
        kinds: kinds.iter().map(|k| k.name().to_string()).collect(),
        rules: rules
            .iter()
            .enumerate()
            .map(|(i, r)| RuleSummary {
                rule: match i == 0 && stored {
                    true => format!("stored: {}", rule_name(r)),
                    false => rule_name(r),
                },
                temperatures: r.temperatures.clone(),
                thresholds: r.thresholds.clone(),
            })
            .collect(),
        reliability: reliability(&all_one, BINS),
        reliability_banded: reliability(&all_banded, BINS),
        per_snr,
    })
}

/// `openset.md`: calibration per SNR, each rule per SNR, and each rule per kind at the
/// SNRs of 10 dB and above.
pub(super) fn markdown(r: &OpenSetReport) -> String {
    let mut s = format!(
        "# Open-set detection and calibration\n\nFitted on {} calibration bursts (in-set, their own seed). Out-of-set kinds: {}. Each rule's thresholds keep {:.0} % of the calibration bursts in each band of the blind SNR estimate (upper edges {:?} dB).\n\n## Calibration\n\nExpected calibration error over all SNRs: one temperature ({:.3}) {:.3}; one temperature per band {:.3}.\n\n| SNR (dB) | ECE raw | one temperature | per band |\n|---|---|---|---|\n",
        r.calibration_bursts,
        r.kinds.join(", "),
        100.0 * KEEP,
        r.band_edges_db,
        r.temperature,
        r.reliability.ece,
        r.reliability_banded.ece,
    );
    for a in &r.per_snr {
        s.push_str(&format!(
            "| {} | {:.3} | {:.3} | {:.3} |\n",
            a.snr_db, a.ece_raw, a.ece_one_temperature, a.ece_banded
        ));
    }
    s.push_str("\n## Unknown verdicts: AUROC / in-set kept / out-of-set flagged\n\n| score |");
    for a in &r.per_snr {
        s.push_str(&format!(" {} dB |", a.snr_db));
    }
    s.push_str(&format!("\n|---|{}\n", "---|".repeat(r.per_snr.len())));
    for (i, rule) in r.rules.iter().enumerate() {
        s.push_str(&format!("| {} |", rule.rule));
        for a in &r.per_snr {
            if let Some(sc) = a.scores.get(i) {
                s.push_str(&format!(
                    " {:.3} / {:.1} % / {:.1} % |",
                    sc.auroc,
                    100.0 * sc.in_set_kept,
                    100.0 * sc.out_of_set_flagged
                ));
            }
        }
        s.push('\n');
    }
    let high: Vec<&OpenSetAtSnr> = r.per_snr.iter().filter(|a| a.snr_db >= 10.0).collect();
    if !high.is_empty() {
        s.push_str("\n## Out-of-set flagged per kind at 10 dB and above\n\nMedian blind SNR estimate (dB) of in-set bursts at ");
        for a in &high {
            s.push_str(&format!(
                "{} dB: {:.1}; ",
                a.snr_db, a.in_set_estimated_snr_db
            ));
        }
        s.push_str("of each kind's, in the table's first row.\n\n| score |");
        for k in &r.kinds {
            s.push_str(&format!(" {k} |"));
        }
        s.push_str(&format!(
            "\n|---|{}\n| estimated SNR (dB) |",
            "---|".repeat(r.kinds.len())
        ));
        for k in 0..r.kinds.len() {
            let v: Vec<String> = high
                .iter()
                .filter_map(|a| a.estimated_snr_db_per_kind.get(k))
                .map(|e| format!("{e:.0}"))
                .collect();
            s.push_str(&format!(" {} |", v.join(", ")));
        }
        s.push('\n');
        for (i, rule) in r.rules.iter().enumerate() {
            s.push_str(&format!("| {} |", rule.rule));
            for k in 0..r.kinds.len() {
                let v: Vec<f64> = high
                    .iter()
                    .filter_map(|a| a.scores.get(i)?.flagged_per_kind.get(k).copied())
                    .collect();
                let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
                s.push_str(&format!(" {:.0} % |", 100.0 * mean));
            }
            s.push('\n');
        }
    }
    s
}
