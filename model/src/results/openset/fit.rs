//! Fitting an [`OpenSetRule`] on held-out in-set bursts: bands, temperatures, the
//! Gaussians a score needs, the signal floor, standardisation and thresholds.

use super::{
    band, mean_std, with_snr, Gaussian, Observation, OpenSetError, OpenSetRule, Score, BAND_MIN,
    FLOOR_QUANTILE, MIN_BAND_TEMPERATURE,
};
use crate::calibration::{fit_temperature, quantile};

/// The calibration bursts of each band (all of them for a band with too few), and the
/// halves a fitted score uses: its Gaussians and standardisation on one, its thresholds on
/// the other, so a threshold sees distances as a new burst has them. Each half holds
/// every class (halves by round of `classes` bursts).
struct Split {
    /// Per band, its bursts.
    members: Vec<Vec<usize>>,
    /// Per band, the half the score's fitted parts are fitted on.
    fit: Vec<Vec<usize>>,
    /// Per band, the half the thresholds are taken on.
    threshold: Vec<Vec<usize>>,
    /// The first half of all bursts.
    first: Vec<usize>,
}

impl Split {
    fn new(cal: &[Observation], edges: &[f64], classes: usize, halved: bool) -> Self {
        let all: Vec<usize> = (0..cal.len()).collect();
        let members: Vec<Vec<usize>> = (0..=edges.len())
            .map(|b| {
                let m: Vec<usize> = all
                    .iter()
                    .copied()
                    .filter(|&i| band(edges, cal[i].snr_db) == b)
                    .collect();
                if m.len() >= BAND_MIN {
                    m
                } else {
                    all.clone()
                }
            })
            .collect();
        let half = |m: &[usize], h: usize| -> Vec<usize> {
            let v: Vec<usize> = m
                .iter()
                .copied()
                .filter(|&i| !halved || (i / classes.max(1)) % 2 == h)
                .collect();
            if v.is_empty() {
                m.to_vec()
            } else {
                v
            }
        };
        Self {
            fit: members.iter().map(|m| half(m, 0)).collect(),
            threshold: members.iter().map(|m| half(m, 1)).collect(),
            first: half(&all, 0),
            members,
        }
    }
}

/// The labels of bursts `m`.
fn labels_of(m: &[usize], labels: &[usize]) -> Vec<usize> {
    m.iter()
        .map(|&i| labels.get(i).copied().unwrap_or(0))
        .collect()
}

/// One temperature per band by NLL; a band classified without error drives the NLL's
/// optimum to the search's lower bound (any sharpening helps): the global one there.
fn band_temperatures(cal: &[Observation], labels: &[usize], members: &[Vec<usize>]) -> Vec<f64> {
    let all: Vec<Vec<f64>> = cal.iter().map(|o| o.logits.clone()).collect();
    let global = fit_temperature(&all, labels);
    members
        .iter()
        .map(|m| {
            let z: Vec<Vec<f64>> = m.iter().map(|&i| cal[i].logits.clone()).collect();
            let t = fit_temperature(&z, &labels_of(m, labels));
            if t <= MIN_BAND_TEMPERATURE {
                global
            } else {
                t
            }
        })
        .collect()
}

/// The class Gaussians of the encoder's features, on the first half.
fn feature_gaussian(
    cal: &[Observation],
    labels: &[usize],
    classes: usize,
    first: &[usize],
) -> Result<Gaussian, OpenSetError> {
    let f: Vec<Vec<f64>> = first.iter().map(|&i| cal[i].features.clone()).collect();
    Gaussian::fit(&f, &labels_of(first, labels), classes).ok_or(OpenSetError::Missing(
        "Mahalanobis",
        "features of every class",
    ))
}

/// The class Gaussians of the statistics per band (a band without every class falls
/// back to all bands' bursts).
fn statistics_gaussians(
    cal: &[Observation],
    labels: &[usize],
    classes: usize,
    fit: &[Vec<usize>],
) -> Result<Vec<Gaussian>, OpenSetError> {
    fit.iter()
        .map(|m| {
            let f: Vec<Vec<f64>> = m.iter().map(|&i| with_snr(&cal[i])).collect();
            Gaussian::fit(&f, &labels_of(m, labels), classes).or_else(|| {
                let f: Vec<Vec<f64>> = cal.iter().map(with_snr).collect();
                Gaussian::fit(&f, labels, classes)
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or(OpenSetError::Missing(
            "statistics",
            "statistics of every class",
        ))
}

/// The signal floor: a low quantile of the lowest band's estimates (the band of the
/// weakest bursts the rule knows), whatever the calibration grid's spacing.
fn signal_floor(cal: &[Observation], edges: &[f64]) -> Option<f64> {
    let lowest: Vec<f64> = cal
        .iter()
        .filter(|o| band(edges, o.snr_db) == 0)
        .map(|o| o.snr_db)
        .collect();
    Some(quantile(&lowest, FLOOR_QUANTILE)).filter(|f| f.is_finite())
}

impl OpenSetRule {
    /// Fits a rule using `score` (with `components` when it is [`Score::Combined`] or
    /// [`Score::Weakest`]) on calibration bursts `cal` with labels `labels` over
    /// `classes` classes, keeping `keep` of them per band of `band_edges_db`.
    pub fn fit(
        cal: &[Observation],
        labels: &[usize],
        classes: usize,
        score: Score,
        components: &[Score],
        keep: f64,
        band_edges_db: &[f64],
    ) -> Result<Self, OpenSetError> {
        if cal.is_empty() {
            return Err(OpenSetError::Empty);
        }
        if band_edges_db.windows(2).any(|w| w[0] >= w[1]) {
            return Err(OpenSetError::Bands);
        }
        let components: Vec<Score> = match score {
            Score::Combined | Score::Weakest => components.to_vec(),
            _ => Vec::new(),
        };
        let uses = |s: Score| score == s || components.contains(&s);
        if uses(Score::Reconstruction) && cal.iter().any(|o| o.recon_error.is_none()) {
            return Err(OpenSetError::Missing("reconstruction", "an autoencoder"));
        }
        if uses(Score::Statistics) && cal.iter().any(|o| o.statistics.is_empty()) {
            return Err(OpenSetError::Missing(
                "statistics",
                "the bursts' statistics",
            ));
        }
        let halved = uses(Score::Mahalanobis)
            || uses(Score::Statistics)
            || matches!(score, Score::Combined | Score::Weakest);
        let split = Split::new(cal, band_edges_db, classes, halved);
        let mut rule = Self {
            gaussian: match uses(Score::Mahalanobis) {
                true => Some(feature_gaussian(cal, labels, classes, &split.first)?),
                false => None,
            },
            statistics: match uses(Score::Statistics) {
                true => statistics_gaussians(cal, labels, classes, &split.fit)?,
                false => Vec::new(),
            },
            min_snr_db: signal_floor(cal, band_edges_db),
            temperatures: band_temperatures(cal, labels, &split.members),
            score,
            band_edges_db: band_edges_db.to_vec(),
            components,
            standardisation: Vec::new(),
            thresholds: Vec::new(),
            keep,
            calibration_bursts: cal.len() as u64,
        };
        rule.standardisation = rule.fit_standardisation(cal, &split.fit);
        rule.thresholds = rule.fit_thresholds(cal, &split.threshold);
        Ok(rule)
    }

    /// Per band, each component's mean and standard deviation on its bursts `fit`.
    fn fit_standardisation(&self, cal: &[Observation], fit: &[Vec<usize>]) -> Vec<Vec<(f64, f64)>> {
        fit.iter()
            .enumerate()
            .map(|(b, m)| {
                self.components
                    .iter()
                    .map(|&c| {
                        let v: Vec<f64> = m.iter().map(|&i| self.single(c, &cal[i], b)).collect();
                        mean_std(&v)
                    })
                    .collect()
            })
            .collect()
    }

    /// Per band, the score below which a burst is unknown: the floor already rejects some
    /// of the band, so the threshold keeps `keep` of all of it; finite (`f64::MIN` when
    /// the floor alone rejects `1 − keep`), so `calibration.json` holds a number.
    fn fit_thresholds(&self, cal: &[Observation], threshold: &[Vec<usize>]) -> Vec<f64> {
        threshold
            .iter()
            .enumerate()
            .map(|(b, m)| {
                let passing: Vec<usize> = m
                    .iter()
                    .copied()
                    .filter(|&i| !self.below_floor(&cal[i]))
                    .collect();
                let v: Vec<f64> = passing.iter().map(|&i| self.in_band(&cal[i], b)).collect();
                let share = passing.len() as f64 / m.len().max(1) as f64;
                if share <= self.keep || v.is_empty() {
                    f64::MIN
                } else {
                    quantile(&v, 1.0 - self.keep / share)
                }
            })
            .collect()
    }
}
