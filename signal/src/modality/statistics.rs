//! Classical statistics of a burst, for the open-set rule's `statistics` score: the
//! envelope's spread, the phase steps' spread, and the cumulant-like moments of the
//! symbol-rate samples (Swami and Sadler's fourth-order cumulants, and the second-,
//! fourth- and eighth-power lines that tell PAM/ASK, QPSK-like and 8-phase alphabets
//! apart). Scale and phase invariant; the carrier offset is removed first when the
//! renderer corrects it.

use super::{ModalityError, Renderer};
use crate::vocab::C64;
use crate::C32;

/// Statistics per burst ([`Renderer::statistics`]).
pub const STATISTICS: usize = 12;

impl Renderer {
    /// The burst's statistics, `[STATISTICS]`, each as `ln(1e-3 + value)`: envelope
    /// variance over its squared mean, the mean, spread and 95th percentile of the
    /// absolute phase step a quarter symbol apart, then of the symbol-rate samples the
    /// same between symbols, the real part's
    /// kurtosis after the second-power rotation, the imaginary share, and the second-,
    /// fourth- and eighth-power line strengths.
    pub fn statistics(&self, samples: &[C32]) -> Result<Vec<f64>, ModalityError> {
        if let Some(long) = self.long_for(samples.len()) {
            return long.statistics(samples);
        }
        let f = self.offset_to_remove(samples)?;
        let x = self.prepared(samples, f)?;
        let quarter = (self.config().samples_per_symbol / 4).max(1);
        Ok(burst_statistics(&x, &self.symbol_samples(&x), quarter)
            .into_iter()
            .map(|v| (1e-3 + v.max(0.0)).ln())
            .collect())
    }
}

/// Mean, spread and 95th percentile of the absolute phase step between samples `lag`
/// apart, radians.
fn phase_steps(x: &[C32], lag: usize) -> (f64, f64, f64) {
    let mut steps: Vec<f64> = x
        .iter()
        .zip(x.iter().skip(lag.max(1)))
        .map(|(a, b)| f64::from((b * a.conj()).arg()).abs())
        .collect();
    let k = steps.len().max(1) as f64;
    let mean = steps.iter().sum::<f64>() / k;
    let sd = (steps.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / k).sqrt();
    steps.sort_by(f64::total_cmp);
    let p95 = steps.get(steps.len() * 95 / 100).copied().unwrap_or(0.0);
    (mean, sd, p95)
}

/// The raw statistics of burst `x` (a quarter symbol is `quarter` samples) and its
/// symbol-rate samples `s` (see [`Renderer::statistics`]). Phase steps are taken a
/// quarter symbol apart and symbol to symbol, and the power lines are corrected for the
/// incoherent sum's bias, so none depends on the samples per symbol or the symbols per
/// burst beyond their spread.
fn burst_statistics(x: &[C32], s: &[C32], quarter: usize) -> [f64; STATISTICS] {
    let n = x.len().max(1) as f64;
    let env: Vec<f64> = x.iter().map(|z| f64::from(z.norm_sqr())).collect();
    let m = env.iter().sum::<f64>() / n;
    let env_var = if m > 0.0 {
        env.iter().map(|e| (e - m).powi(2)).sum::<f64>() / n / (m * m)
    } else {
        0.0
    };
    // within a symbol: steps a quarter symbol apart; between symbols: symbol to symbol
    let (q_mean, q_sd, q_p95) = phase_steps(x, quarter);
    let (mean_step, step_sd, p95) = phase_steps(s, 1);
    // symbol-rate samples at unit power
    let ks = s.len().max(1) as f64;
    let power = s.iter().map(|z| f64::from(z.norm_sqr())).sum::<f64>() / ks;
    let scale = if power > 0.0 { 1.0 / power.sqrt() } else { 0.0 };
    let y: Vec<C64> = s
        .iter()
        .map(|z| C64::new(f64::from(z.re), f64::from(z.im)) * scale)
        .collect();
    // |Σ z^p| with the incoherent part removed (E|Σ z^p|² = Σ|z|^2p for random phases),
    // over Σ|z|^p: 0 for no line whatever the count, 1 for a pure one
    let power_line = |p: i32| {
        let sum: C64 = y.iter().map(|z| z.powi(p)).sum();
        let incoherent: f64 = y.iter().map(|z| z.norm().powi(2 * p)).sum();
        let norm: f64 = y.iter().map(|z| z.norm().powi(p)).sum();
        if norm > 0.0 {
            (sum.norm_sqr() - incoherent).max(0.0).sqrt() / norm
        } else {
            0.0
        }
    };
    let s2: C64 = y.iter().map(|z| z * z).sum();
    let rot = C64::from_polar(1.0, -s2.arg() / 2.0);
    let re: Vec<f64> = y.iter().map(|z| (z * rot).re).collect();
    let mean_re = re.iter().sum::<f64>() / ks;
    let c2 = re.iter().map(|v| (v - mean_re).powi(2)).sum::<f64>() / ks;
    let c4 = re.iter().map(|v| (v - mean_re).powi(4)).sum::<f64>() / ks;
    let imag = y.iter().map(|z| (z * rot).im.powi(2)).sum::<f64>() / ks;
    [
        env_var,
        q_mean,
        q_sd,
        q_p95,
        mean_step,
        step_sd,
        p95,
        if c2 > 0.0 { c4 / (c2 * c2) } else { 0.0 },
        imag,
        power_line(2),
        power_line(4),
        power_line(8),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::modality::RenderConfig;
    use crate::{synthesize, Modulation, SignalConfig};

    #[test]
    fn statistics_ignore_scale_and_phase_and_tell_envelopes_apart() {
        let c = SignalConfig::standard_fixed();
        let r = Renderer::new(RenderConfig::for_signal(&c, 32)).unwrap();
        let gmsk = synthesize(Modulation::Gmsk, &c, 1, 9, 30.0).noisy;
        let pam = synthesize(Modulation::Pam4, &c, 1, 3, 30.0).noisy;
        let a = r.statistics(&gmsk).unwrap();
        assert_eq!(a.len(), STATISTICS);
        // three times the amplitude, turned by a fixed phase: the same statistics
        let turned: Vec<C32> = gmsk.iter().map(|z| z * C32::from_polar(3.0, 0.7)).collect();
        let b = r.statistics(&turned).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-3, "{a:?} vs {b:?}");
        }
        // GMSK's envelope is constant, 4PAM's is not
        let p = r.statistics(&pam).unwrap();
        assert!(
            p[0] > a[0] + 2.0,
            "envelope spread: 4PAM {} GMSK {}",
            p[0],
            a[0]
        );
    }
}
