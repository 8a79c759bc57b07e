//! Probabilities that mean what they say, and scores of how familiar a burst is: the
//! arithmetic behind `fipmae calibrate`, `eval`'s calibration and open-set figures, and the
//! "unknown" verdict of `classify` and the page. Plain numbers in, numbers out (no Burn).
//!
//! - **Temperature scaling** (Guo et al. 2017): one scalar `T` divides every logit; fitted
//!   by minimising the negative log-likelihood of held-out labelled bursts ([`fit_temperature`]).
//!   It leaves the predicted class unchanged and only reshapes the probabilities.
//! - **Expected calibration error** over equal-width confidence bins ([`reliability`]).
//! - **Familiarity scores** (higher = more like the training classes): the calibrated
//!   maximum probability, the negative energy `T·logsumexp(z/T)` (Liu et al. 2020), and the
//!   autoencoder's reconstruction error, negated ([`Familiarity`]).
//! - **AUROC** of a score separating in-set from out-of-set bursts ([`auroc`]).

use serde::{Deserialize, Serialize};

/// `softmax(logits / t)`.
pub fn softmax(logits: &[f64], t: f64) -> Vec<f64> {
    let t = if t > 0.0 && t.is_finite() { t } else { 1.0 };
    let m = logits.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b / t));
    let e: Vec<f64> = logits.iter().map(|z| (z / t - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// `t · logsumexp(logits / t)`: the negative free energy, large for familiar inputs.
pub fn neg_energy(logits: &[f64], t: f64) -> f64 {
    let t = if t > 0.0 && t.is_finite() { t } else { 1.0 };
    let m = logits.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b / t));
    t * (m + logits.iter().map(|z| (z / t - m).exp()).sum::<f64>().ln())
}

/// Mean negative log-likelihood of `labels` under `softmax(logits / t)`.
pub fn nll(logits: &[Vec<f64>], labels: &[usize], t: f64) -> f64 {
    let n = logits.len().max(1) as f64;
    logits
        .iter()
        .zip(labels)
        .map(|(z, &l)| {
            -softmax(z, t)
                .get(l)
                .copied()
                .unwrap_or(0.0)
                .max(1e-300)
                .ln()
        })
        .sum::<f64>()
        / n
}

/// The temperature in [0.05, 20] that minimises [`nll`] (golden-section search on log T;
/// the NLL is unimodal in T for one scalar). 1 when there is nothing to fit on.
pub fn fit_temperature(logits: &[Vec<f64>], labels: &[usize]) -> f64 {
    if logits.is_empty() {
        return 1.0;
    }
    let f = |log_t: f64| nll(logits, labels, log_t.exp());
    let (mut a, mut b) = (0.05f64.ln(), 20f64.ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc < fd {
            (b, d, fd) = (d, c, fc);
            c = b - g * (b - a);
            fc = f(c);
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    ((a + b) / 2.0).exp()
}

/// One bin of a reliability diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge of the confidence bin.
    pub from: f64,
    /// Upper edge.
    pub to: f64,
    /// Bursts whose confidence falls in it.
    pub count: u64,
    /// Their mean confidence (NaN when empty).
    #[serde(with = "crate::report::nullable")]
    pub confidence: f64,
    /// Their accuracy (NaN when empty).
    #[serde(with = "crate::report::nullable")]
    pub accuracy: f64,
}

/// A reliability diagram and its expected calibration error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reliability {
    /// Expected calibration error: Σ (count / n) · |accuracy − confidence| over the bins.
    #[serde(with = "crate::report::nullable")]
    pub ece: f64,
    /// The bins, equal width over [0, 1].
    pub bins: Vec<ReliabilityBin>,
}

/// The reliability of `(confidence, correct)` pairs over `bins` equal-width bins.
pub fn reliability(points: &[(f64, bool)], bins: usize) -> Reliability {
    let bins = bins.max(1);
    let mut acc = vec![(0u64, 0.0f64, 0u64); bins];
    for &(c, ok) in points {
        let i = ((c * bins as f64) as usize).min(bins - 1);
        acc[i].0 += 1;
        acc[i].1 += c;
        acc[i].2 += u64::from(ok);
    }
    let n = points.len().max(1) as f64;
    let mut ece = 0.0;
    let out = acc
        .iter()
        .enumerate()
        .map(|(i, &(count, csum, right))| {
            let (confidence, accuracy) = if count == 0 {
                (f64::NAN, f64::NAN)
            } else {
                (csum / count as f64, right as f64 / count as f64)
            };
            if count > 0 {
                ece += count as f64 / n * (accuracy - confidence).abs();
            }
            ReliabilityBin {
                from: i as f64 / bins as f64,
                to: (i + 1) as f64 / bins as f64,
                count,
                confidence,
                accuracy,
            }
        })
        .collect();
    Reliability {
        ece: if points.is_empty() { f64::NAN } else { ece },
        bins: out,
    }
}

/// Area under the ROC curve of a score meant to be higher for `familiar` than for
/// `foreign`: the probability that a random familiar burst outscores a random foreign one
/// (ties count half). NaN when either side is empty.
pub fn auroc(familiar: &[f64], foreign: &[f64]) -> f64 {
    if familiar.is_empty() || foreign.is_empty() {
        return f64::NAN;
    }
    // rank-sum (Mann–Whitney U) with mid-ranks for ties
    let mut all: Vec<(f64, bool)> = familiar
        .iter()
        .map(|&v| (v, true))
        .chain(foreign.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += all[i..=j].iter().filter(|x| x.1).count() as f64 * mid;
        i = j + 1;
    }
    let (n1, n2) = (familiar.len() as f64, foreign.len() as f64);
    (rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n2)
}

/// The value below which a fraction `q` of `values` lies (nearest rank; NaN when empty).
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let i = ((q.clamp(0.0, 1.0) * (v.len() - 1) as f64).floor()) as usize;
    v[i]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn temperature_recovers_a_known_scale() {
        // labels drawn from softmax(z / 2): the fitted temperature is near 2
        let mut r = crate::rng::Rng::from_seed(4);
        let (mut logits, mut labels) = (Vec::new(), Vec::new());
        for _ in 0..4000 {
            let z: Vec<f64> = (0..5).map(|_| 4.0 * r.normal()).collect();
            let p = softmax(&z, 2.0);
            let u = r.uniform();
            let mut acc = 0.0;
            let l = p
                .iter()
                .position(|&q| {
                    acc += q;
                    u < acc
                })
                .unwrap_or(4);
            logits.push(z);
            labels.push(l);
        }
        let t = fit_temperature(&logits, &labels);
        assert!((t - 2.0).abs() < 0.15, "{t}");
        assert!(nll(&logits, &labels, t) <= nll(&logits, &labels, 1.0));
    }

    #[test]
    fn ece_auroc_and_energy_match_their_definitions() {
        // perfectly calibrated halves: confidence 0.75, three in four right
        let pts: Vec<(f64, bool)> = (0..400).map(|i| (0.75, i % 4 != 0)).collect();
        let r = reliability(&pts, 10);
        assert!(r.ece.abs() < 1e-12 && r.bins[7].count == 400);
        // always sure, half right: ECE 0.5
        let pts: Vec<(f64, bool)> = (0..100).map(|i| (1.0, i % 2 == 0)).collect();
        assert!((reliability(&pts, 10).ece - 0.5).abs() < 1e-12);
        assert_eq!(auroc(&[3.0, 4.0], &[1.0, 2.0]), 1.0);
        assert_eq!(auroc(&[1.0, 2.0], &[3.0, 4.0]), 0.0);
        assert_eq!(auroc(&[1.0, 1.0], &[1.0, 1.0]), 0.5);
        assert!(auroc(&[], &[1.0]).is_nan());
        let e = neg_energy(&[0.0, 0.0], 1.0);
        assert!((e - 2f64.ln()).abs() < 1e-12);
        assert_eq!(quantile(&[5.0, 1.0, 3.0, 2.0, 4.0], 0.0), 1.0);
        assert_eq!(quantile(&[5.0, 1.0, 3.0, 2.0, 4.0], 1.0), 5.0);
        let p = softmax(&[1.0, 2.0, 3.0], 1.0);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12 && p[2] > p[1]);
    }
}
