//! The "unknown" verdict: a rule fitted on held-out in-set bursts that says whether a burst
//! is like the classes the classifier knows. `fipmae calibrate` fits it, `eval --open-set`
//! measures it, `export` ships it in `bundle.json`, `classify` and the page apply it.
//!
//! A burst is described by an [`Observation`] (its logits, the encoder's pooled features,
//! the autoencoder's reconstruction error, a blind SNR estimate). The rule:
//!
//! 1. puts the burst in a band of its estimated SNR ([`OpenSetRule::band_edges_db`]): a
//!    low-SNR burst is unsure whatever it is, so one threshold set by all SNRs lets most
//!    out-of-set bursts through at high SNR;
//! 2. divides the logits by the band's temperature (temperature scaling per band, fitted
//!    by NLL on that band's calibration bursts: the probabilities the user sees);
//! 3. computes the familiarity [`Score`] (higher = more familiar) and calls the burst
//!    unknown when it is below the band's threshold, the `1 − keep` quantile of the
//!    calibration bursts' scores in that band (so `keep` of in-set bursts keep their verdict).

use serde::{Deserialize, Serialize};

mod fit;
mod gaussian;

pub use gaussian::Gaussian;

use crate::calibration::{neg_energy, softmax};

/// What is known about one burst for its familiarity.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observation {
    /// Class logits, `[classes]`.
    pub logits: Vec<f64>,
    /// The encoder's pooled features (the head's input), `[encoder_dim]`; empty when not
    /// computed.
    pub features: Vec<f64>,
    /// The autoencoder's relative reconstruction error of the noisy input
    /// ([`relative_error`]), if measured.
    pub recon_error: Option<f64>,
    /// Blind SNR estimate, dB.
    pub snr_db: f64,
    /// Classical statistics of the burst (`Renderer::statistics`), `[STATISTICS]`; empty
    /// when not computed.
    pub statistics: Vec<f64>,
}

/// A familiarity score: higher for bursts like the training classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Score {
    /// The calibrated maximum class probability `p`, as log-odds `ln(p / (1 − p))`: the
    /// same order, but it does not round to 1 at high SNR, where in-set and out-of-set
    /// bursts differ in how many nines they have.
    MaxProbability,
    /// `T·logsumexp(z/T)`, the negative free energy (Liu et al. 2020).
    NegEnergy,
    /// The autoencoder's reconstruction error, negated: `−ln(error)`.
    Reconstruction,
    /// The smallest squared Mahalanobis distance of the encoder's features to a class
    /// mean under one shared covariance (Lee et al. 2018), negated.
    Mahalanobis,
    /// The same distance on the burst's classical statistics (envelope and phase-step
    /// spread, kurtosis, power-line coherences), with class Gaussians per SNR band.
    Statistics,
    /// The mean of the rule's components, each standardised by its band's calibration
    /// mean and standard deviation.
    Combined,
    /// The lowest of the rule's standardised components: a burst is as familiar as its
    /// least familiar aspect (any one detector can flag it).
    Weakest,
}

impl Score {
    /// A name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Score::MaxProbability => "max probability",
            Score::NegEnergy => "negative energy",
            Score::Reconstruction => "reconstruction",
            Score::Mahalanobis => "Mahalanobis",
            Score::Statistics => "statistics",
            Score::Combined => "combined",
            Score::Weakest => "weakest",
        }
    }
}

/// `‖reconstruction − input‖² / ‖input‖²` over two images of the same size (the MAE
/// composite, so only masked patches differ); 0 for an empty or all-zero input.
pub fn relative_error(input: &[f32], reconstruction: &[f32]) -> f64 {
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for (&a, &b) in input.iter().zip(reconstruction) {
        num += f64::from(b - a).powi(2);
        den += f64::from(a).powi(2);
    }
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

/// Fewest calibration bursts a band needs for values of its own (else the global ones).
pub const BAND_MIN: usize = 20;
/// The default upper edges of the estimated-SNR bands, dB (the last band is open).
pub const BAND_EDGES_DB: [f64; 9] = [-8.0, -6.0, -4.0, -2.0, 0.0, 2.0, 5.0, 10.0, 15.0];
/// The default fraction of in-set bursts whose verdict stands.
pub const KEEP: f64 = 0.95;

/// The rule that calls a burst unknown (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenSetRule {
    /// The familiarity score compared with the threshold.
    pub score: Score,
    /// Upper edges of the estimated-SNR bands, dB, increasing (the last band is open).
    pub band_edges_db: Vec<f64>,
    /// Temperature per band, `[bands]`.
    pub temperatures: Vec<f64>,
    /// The combined score's components (empty for a single score).
    pub components: Vec<Score>,
    /// Per band, each component's calibration `(mean, standard deviation)`,
    /// `[bands][components]`.
    pub standardisation: Vec<Vec<(f64, f64)>>,
    /// Threshold per band, `[bands]`: below it a burst is unknown.
    pub thresholds: Vec<f64>,
    /// Fraction of calibration bursts each band's threshold keeps.
    pub keep: f64,
    /// The class Gaussians, when the score uses [`Score::Mahalanobis`].
    pub gaussian: Option<Gaussian>,
    /// The class Gaussians of the statistics per band, `[bands]`, when the score uses
    /// [`Score::Statistics`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statistics: Vec<Gaussian>,
    /// Calibration bursts the rule was fitted on.
    pub calibration_bursts: u64,
    /// The lowest blind SNR estimate of a burst with a signal in it, dB: below it a burst
    /// is unknown whatever its score (noise alone). The [`FLOOR_QUANTILE`] quantile of the
    /// lowest band's calibration estimates; `None` in rules fitted before it existed.
    #[serde(default)]
    pub min_snr_db: Option<f64>,
}

/// The quantile of the lowest band's calibration SNR estimates below which a burst holds
/// no signal the rule knows (that band's threshold then keeps `keep` of it in all).
pub const FLOOR_QUANTILE: f64 = 0.02;
/// A band temperature at or below this is the NLL search's bound, not a fit (the band is
/// classified without error): the global temperature is used instead.
const MIN_BAND_TEMPERATURE: f64 = 0.051;

/// Why a rule could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OpenSetError {
    /// No calibration burst.
    #[error("no calibration bursts to fit the open-set rule on")]
    Empty,
    /// The score needs something the observations lack.
    #[error("the {0} score needs {1}, which the calibration bursts lack")]
    Missing(&'static str, &'static str),
    /// Band edges not increasing.
    #[error("the SNR band edges must increase")]
    Bands,
}

impl OpenSetRule {
    /// Whether the rule reads the encoder's pooled features.
    pub fn needs_features(&self) -> bool {
        self.score == Score::Mahalanobis || self.components.contains(&Score::Mahalanobis)
    }

    /// Whether the rule reads the burst's classical statistics.
    pub fn needs_statistics(&self) -> bool {
        self.score == Score::Statistics || self.components.contains(&Score::Statistics)
    }

    /// The band of an estimated SNR (dB).
    pub fn band(&self, snr_db: f64) -> usize {
        band(&self.band_edges_db, snr_db)
    }

    /// The temperature of the band of `snr_db`.
    pub fn temperature(&self, snr_db: f64) -> f64 {
        self.temperatures
            .get(self.band(snr_db))
            .copied()
            .unwrap_or(1.0)
    }

    /// Calibrated class probabilities of `o`, `[classes]`.
    pub fn probabilities(&self, o: &Observation) -> Vec<f64> {
        softmax(&o.logits, self.temperature(o.snr_db))
    }

    /// One single score of `o` with band `b`'s temperature.
    fn single(&self, s: Score, o: &Observation, b: usize) -> f64 {
        let t = self.temperatures.get(b).copied().unwrap_or(1.0);
        match s {
            Score::MaxProbability => max_log_odds(&o.logits, t),
            Score::NegEnergy => neg_energy(&o.logits, t),
            Score::Reconstruction => -o.recon_error.unwrap_or(f64::INFINITY).max(1e-12).ln(),
            Score::Mahalanobis => self
                .gaussian
                .as_ref()
                .map_or(f64::NEG_INFINITY, |g| g.score(&o.features)),
            Score::Statistics => self
                .statistics
                .get(b)
                .map_or(f64::NEG_INFINITY, |g| g.score(&with_snr(o))),
            Score::Combined | Score::Weakest => f64::NAN,
        }
    }

    /// The rule's score of `o` in band `b`.
    fn in_band(&self, o: &Observation, b: usize) -> f64 {
        if !matches!(self.score, Score::Combined | Score::Weakest) {
            return self.single(self.score, o, b);
        }
        let stats = self.standardisation.get(b);
        let z: Vec<f64> = self
            .components
            .iter()
            .enumerate()
            .map(|(j, &c)| {
                let (m, s) = stats.and_then(|v| v.get(j)).copied().unwrap_or((0.0, 1.0));
                (self.single(c, o, b) - m) / s.max(1e-12)
            })
            .collect();
        match self.score {
            Score::Weakest => z.iter().copied().fold(f64::INFINITY, f64::min),
            _ => z.iter().sum::<f64>() / z.len().max(1) as f64,
        }
    }

    /// The familiarity of `o` (higher = more familiar).
    pub fn familiarity(&self, o: &Observation) -> f64 {
        self.in_band(o, self.band(o.snr_db))
    }

    /// The threshold `o` is held to (its band's).
    pub fn threshold(&self, o: &Observation) -> f64 {
        self.thresholds
            .get(self.band(o.snr_db))
            .copied()
            .unwrap_or(f64::NEG_INFINITY)
    }

    /// Whether `o`'s SNR estimate is below the rule's signal floor.
    fn below_floor(&self, o: &Observation) -> bool {
        self.min_snr_db.is_some_and(|f| o.snr_db < f)
    }

    /// How far `o` is from being unknown: its familiarity minus its band's threshold, or,
    /// below the signal floor, its SNR estimate minus the floor (dB, negative). Negative
    /// or NaN: unknown.
    pub fn margin(&self, o: &Observation) -> f64 {
        match self.min_snr_db {
            Some(f) if o.snr_db < f => o.snr_db - f,
            _ => self.familiarity(o) - self.threshold(o),
        }
    }

    /// Whether `o` is called unknown: a negative or NaN [`Self::margin`].
    pub fn is_unknown(&self, o: &Observation) -> bool {
        let m = self.margin(o);
        m.is_nan() || m < 0.0
    }
}

/// `ln(p / (1 − p))` of the largest probability `p` of `softmax(logits / t)`, computed
/// without forming `1 − p`: `−ln Σ_{j≠best} exp((z_j − z_best) / t)`.
pub fn max_log_odds(logits: &[f64], t: f64) -> f64 {
    let t = if t > 0.0 && t.is_finite() { t } else { 1.0 };
    let Some(best) = (0..logits.len()).max_by(|&a, &b| logits[a].total_cmp(&logits[b])) else {
        return f64::NAN;
    };
    let rest: Vec<f64> = (0..logits.len())
        .filter(|&j| j != best)
        .map(|j| (logits[j] - logits[best]) / t)
        .collect();
    if rest.is_empty() {
        return f64::INFINITY;
    }
    let m = rest.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    -(m + rest.iter().map(|v| (v - m).exp()).sum::<f64>().ln())
}

/// The band of `snr_db` under increasing upper edges `edges` (`edges.len() + 1` bands).
fn band(edges: &[f64], snr_db: f64) -> usize {
    edges.iter().filter(|&&e| snr_db >= e).count()
}

/// A burst's statistics with its SNR estimate appended (in units of 10 dB): within a band
/// the statistics move with the SNR, and the shared covariance then models that.
fn with_snr(o: &Observation) -> Vec<f64> {
    let mut v = o.statistics.clone();
    v.push(o.snr_db / 10.0);
    v
}

/// Mean and (population) standard deviation of the finite values of `v`.
fn mean_std(v: &[f64]) -> (f64, f64) {
    let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let n = f.len().max(1) as f64;
    let m = f.iter().sum::<f64>() / n;
    let var = f.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
    (m, var.sqrt())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn obs(logits: Vec<f64>, features: Vec<f64>, err: f64, snr: f64) -> Observation {
        Observation {
            logits,
            features,
            recon_error: Some(err),
            snr_db: snr,
            statistics: Vec::new(),
        }
    }

    #[test]
    fn the_threshold_keeps_the_asked_fraction_per_band() {
        // two bands (edge 0 dB): low-SNR bursts are unsure, high-SNR ones sure
        let mut cal = Vec::new();
        let mut labels = Vec::new();
        for i in 0..200 {
            let snr = if i % 2 == 0 { -5.0 } else { 10.0 };
            let margin = if snr < 0.0 { 0.5 } else { 5.0 } + (i as f64) * 0.01;
            cal.push(obs(vec![margin, 0.0, -margin], vec![], 0.1, snr));
            labels.push(0);
        }
        let rule =
            OpenSetRule::fit(&cal, &labels, 3, Score::MaxProbability, &[], 0.95, &[0.0]).unwrap();
        for b in [-5.0, 10.0] {
            let in_band: Vec<&Observation> = cal.iter().filter(|o| o.snr_db == b).collect();
            let kept = in_band.iter().filter(|o| !rule.is_unknown(o)).count();
            assert!((94..=96).contains(&kept), "band {b}: kept {kept} of 100");
        }
        // a flat burst at high SNR is unknown; the same at low SNR need not be
        let flat_high = obs(vec![0.0, 0.0, 0.0], vec![], 0.1, 10.0);
        assert!(rule.is_unknown(&flat_high));
        assert!(rule.thresholds[1] > rule.thresholds[0]);
        // survives JSON
        let back: OpenSetRule =
            serde_json::from_str(&serde_json::to_string(&rule).unwrap()).unwrap();
        assert_eq!(back.is_unknown(&flat_high), rule.is_unknown(&flat_high));
    }

    #[test]
    fn combined_scores_need_what_their_components_read() {
        let cal = vec![Observation {
            logits: vec![1.0, 0.0],
            ..Default::default()
        }];
        let err = OpenSetRule::fit(
            &cal,
            &[0],
            2,
            Score::Combined,
            &[Score::MaxProbability, Score::Reconstruction],
            0.95,
            &BAND_EDGES_DB,
        );
        assert_eq!(
            err,
            Err(OpenSetError::Missing("reconstruction", "an autoencoder"))
        );
        assert_eq!(
            OpenSetRule::fit(&[], &[], 2, Score::NegEnergy, &[], 0.95, &[]),
            Err(OpenSetError::Empty)
        );
    }

    #[test]
    fn max_log_odds_is_the_log_odds_of_the_top_probability_without_rounding() {
        let z = [2.0, 0.5, -1.0];
        let p = softmax(&z, 0.7)[0];
        assert!((max_log_odds(&z, 0.7) - (p / (1.0 - p)).ln()).abs() < 1e-9);
        // p rounds to 1 in f64; the log-odds still order the two
        assert!(max_log_odds(&[60.0, 0.0], 1.0) > max_log_odds(&[50.0, 0.0], 1.0));
        assert!(max_log_odds(&[], 1.0).is_nan());
    }

    #[test]
    fn relative_error_is_zero_for_a_perfect_copy() {
        assert_eq!(relative_error(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
        assert!((relative_error(&[1.0, 0.0], &[0.0, 0.0]) - 1.0).abs() < 1e-12);
        assert_eq!(relative_error(&[0.0], &[1.0]), 0.0);
    }
}
