//! Classical statistics of a burst, for the open-set rule's `statistics` score: the
//! envelope's spread, the phase steps' spread, and the cumulant-like moments of the
//! symbol-rate samples (Swami and Sadler's fourth-order cumulants, and the second-,
//! fourth- and eighth-power lines that tell PAM/ASK, QPSK-like and 8-phase alphabets
//! apart). Scale and phase invariant; the carrier offset is removed first when the
//! renderer corrects it.

use super::{ModalityError, Renderer};
use crate::C32;

/// Statistics per burst ([`Renderer::statistics`]).
pub const STATISTICS: usize = 9;

impl Renderer {
    /// The burst's statistics, `[STATISTICS]`, each as `ln(1e-3 + value)`: envelope
    /// variance over its squared mean, mean, spread and 95th percentile of the absolute
    /// phase step per sample, the real part's kurtosis after the second-power rotation,
    /// the imaginary share, and the second-, fourth- and eighth-power coherences of the
    /// symbol-rate samples.
    pub fn statistics(&self, samples: &[C32]) -> Result<Vec<f64>, ModalityError> {
        if let Some(long) = self.long_for(samples.len()) {
            return long.statistics(samples);
        }
        let f = self.offset_to_remove(samples)?;
        let x = self.prepared(samples, f)?;
        Ok(burst_statistics(&x, &self.symbol_samples(&x))
            .into_iter()
            .map(|v| (1e-3 + v.max(0.0)).ln())
            .collect())
    }
}

/// The raw statistics of burst `x` and its symbol-rate samples `s` (see
/// [`Renderer::statistics`]).
fn burst_statistics(x: &[C32], s: &[C32]) -> [f64; STATISTICS] {
    let n = x.len().max(1) as f64;
    let env: Vec<f64> = x.iter().map(|z| f64::from(z.norm_sqr())).collect();
    let m = env.iter().sum::<f64>() / n;
    let env_var = if m > 0.0 {
        env.iter().map(|e| (e - m).powi(2)).sum::<f64>() / n / (m * m)
    } else {
        0.0
    };
    let mut steps: Vec<f64> = x
        .windows(2)
        .map(|w| f64::from((w[1] * w[0].conj()).arg()).abs())
        .collect();
    let k = steps.len().max(1) as f64;
    let mean_step = steps.iter().sum::<f64>() / k;
    let step_sd = (steps.iter().map(|d| (d - mean_step).powi(2)).sum::<f64>() / k).sqrt();
    steps.sort_by(f64::total_cmp);
    let p95 = steps.get(steps.len() * 95 / 100).copied().unwrap_or(0.0);
    // symbol-rate samples at unit power
    let ks = s.len().max(1) as f64;
    let power = s.iter().map(|z| f64::from(z.norm_sqr())).sum::<f64>() / ks;
    let scale = if power > 0.0 { 1.0 / power.sqrt() } else { 0.0 };
    let y: Vec<rustfft::num_complex::Complex<f64>> = s
        .iter()
        .map(|z| rustfft::num_complex::Complex::new(f64::from(z.re), f64::from(z.im)) * scale)
        .collect();
    let power_line = |p: i32| {
        y.iter()
            .map(|z| z.powi(p))
            .sum::<rustfft::num_complex::Complex<f64>>()
            .norm()
            / ks
    };
    let s2: rustfft::num_complex::Complex<f64> = y.iter().map(|z| z * z).sum();
    let rot = rustfft::num_complex::Complex::from_polar(1.0, -s2.arg() / 2.0);
    let re: Vec<f64> = y.iter().map(|z| (z * rot).re).collect();
    let mean_re = re.iter().sum::<f64>() / ks;
    let c2 = re.iter().map(|v| (v - mean_re).powi(2)).sum::<f64>() / ks;
    let c4 = re.iter().map(|v| (v - mean_re).powi(4)).sum::<f64>() / ks;
    let imag = y.iter().map(|z| (z * rot).im.powi(2)).sum::<f64>() / ks;
    [
        env_var,
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
