//! The scalogram modality: complex-Morlet wavelet magnitudes in dB, positive and negative
//! frequencies.
//!
//! **Scalogram.** Complex-Morlet CWT (`ω0` = 6, unit peak gain) computed in the frequency
//! domain (circular, one FFT plus one inverse FFT per scale). Rows are centre frequencies,
//! log-spaced in `[min_freq, max_freq]` cycles/sample: the top half positive frequencies
//! from high to low, the bottom half negative ones from low to high magnitude (baseband
//! bursts are complex, so both signs carry information). Columns average the magnitude
//! over equal time spans. To save work, each scale's band is shifted to baseband and
//! inverse-transformed at the shortest length `M` (a power of two, at least the band's
//! width and `image_size`, at most `N`): exact samples of `|W|` at `M` evenly spaced
//! times, which the columns then average.

use std::sync::Arc;

use rustfft::{Fft, FftPlanner};
use serde::{Deserialize, Serialize};

use super::resample::linear_table;
use super::{Image, RenderConfig, Renderer};
use crate::C32;

/// Scalogram rendering settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalogramConfig {
    /// Number of wavelet scales (rows before resizing), even (default: 64).
    pub num_scales: usize,
    /// Smallest centre frequency magnitude, cycles/sample (default: 1/256).
    pub min_freq: f64,
    /// Largest centre frequency magnitude, cycles/sample (default: 0.5).
    pub max_freq: f64,
    /// Morlet centre frequency ω0, radians (default: 6).
    pub omega0: f64,
    /// Dynamic range kept below the image's peak, dB (default: 40).
    pub dynamic_range_db: f32,
}

impl Default for ScalogramConfig {
    fn default() -> Self {
        Self {
            num_scales: 64,
            min_freq: 1.0 / 256.0,
            max_freq: 0.5,
            omega0: 6.0,
            dynamic_range_db: 40.0,
        }
    }
}

/// A short inverse FFT of the scalogram: `(length M, plan, column table)`.
type ShortPlan = (usize, Arc<dyn Fft<f32>>, Vec<(usize, usize)>);

/// The scalogram's precomputed part: FFT plans, wavelet bands, resampling of the rows.
#[derive(Clone)]
pub(super) struct Tables {
    fft: Arc<dyn Fft<f32>>,
    ifft: Arc<dyn Fft<f32>>,
    /// Per scale row: first FFT bin and gains of its (non-negligible) band.
    wavelets: Vec<(usize, Vec<f32>)>,
    /// Short inverse FFTs: `(length M, plan, column table)`; column `c` averages output
    /// samples `cols[c].0..cols[c].1` of a length-`M` transform.
    short_plans: Vec<ShortPlan>,
    /// Per scale row: index into `short_plans`.
    row_plan: Vec<usize>,
    /// Row resampling: `(lower row, upper row, weight of upper)` per output row.
    rows: Vec<(usize, usize, f32)>,
}

impl Tables {
    /// Plans and wavelet bands for bursts of `config.num_samples` at `config.image_size`.
    pub(super) fn new(config: &RenderConfig) -> Self {
        let n = config.num_samples;
        let mut planner = FftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(n);
        let ifft = planner.plan_fft_inverse(n);
        let s = &config.scalogram;
        let half = s.num_scales / 2;
        let ratio = (s.max_freq / s.min_freq).ln();
        let freq_of = |k: usize| -> f64 {
            // log-spaced magnitudes, high to low
            let frac = if half > 1 {
                k as f64 / (half - 1) as f64
            } else {
                0.0
            };
            s.max_freq * (-frac * ratio).exp()
        };
        let mut centres: Vec<f64> = (0..half).map(freq_of).collect();
        centres.extend((0..half).rev().map(|k| -freq_of(k)));
        let wavelets: Vec<(usize, Vec<f32>)> = centres
            .iter()
            .map(|&fc| {
                // Morlet in frequency: exp(-(f - fc)^2 / (2 σ²)), σ = |fc| / ω0.
                let sigma = fc.abs() / s.omega0;
                let gain = |bin: i64| -> f64 {
                    let f = bin as f64 / n as f64;
                    (-(f - fc).powi(2) / (2.0 * sigma * sigma)).exp()
                };
                let centre_bin = (fc * n as f64).round() as i64;
                let reach = (5.0 * sigma * n as f64).ceil() as i64 + 1;
                let lo = (centre_bin - reach).max(-(n as i64) / 2);
                let hi = (centre_bin + reach).min(n as i64 / 2 - 1 + (n as i64 % 2));
                let gains: Vec<f32> = (lo..=hi).map(|b| gain(b) as f32).collect();
                (lo.rem_euclid(n as i64) as usize, gains)
            })
            .collect();
        // Each band is shifted to baseband and inverse-transformed at the shortest length
        // M (a power of two, at least the band and the image width, at most N) that holds
        // it: |W| at M evenly spaced times, exactly, for a fraction of the cost.
        let p = config.image_size;
        let mut short_plans: Vec<ShortPlan> = Vec::new();
        let mut row_plan = Vec::with_capacity(wavelets.len());
        for (_, gains) in &wavelets {
            let m = gains.len().max(p).next_power_of_two().min(n);
            let idx = match short_plans.iter().position(|(len, _, _)| *len == m) {
                Some(i) => i,
                None => {
                    let cols = (0..p)
                        .map(|c| {
                            let a = (c * m / p).min(m - 1);
                            (a, ((c + 1) * m / p).clamp(a + 1, m))
                        })
                        .collect();
                    short_plans.push((m, planner.plan_fft_inverse(m), cols));
                    short_plans.len() - 1
                }
            };
            row_plan.push(idx);
        }
        let rows = linear_table(s.num_scales, p);
        Self {
            fft,
            ifft,
            wavelets,
            short_plans,
            row_plan,
            rows,
        }
    }
}

impl Renderer {
    /// Wavelet magnitudes `|W|`, `num_scales × num_samples`, row-major (rows as in the
    /// module docs). Exposed for tests and analysis.
    pub fn cwt_magnitude(&self, x: &[C32]) -> Vec<f32> {
        let n = self.config.num_samples;
        let mut spec: Vec<C32> = x.to_vec();
        self.scalogram.fft.process(&mut spec);
        let inv_n = 1.0 / n as f32;
        let mut out = vec![0.0f32; self.scalogram.wavelets.len() * n];
        let mut buf = vec![C32::new(0.0, 0.0); n];
        for (row, (start, gains)) in self.scalogram.wavelets.iter().enumerate() {
            buf.iter_mut().for_each(|v| *v = C32::new(0.0, 0.0));
            for (k, g) in gains.iter().enumerate() {
                let b = (start + k) % n;
                buf[b] = spec[b] * (*g * inv_n);
            }
            self.scalogram.ifft.process(&mut buf);
            for (o, v) in out[row * n..(row + 1) * n].iter_mut().zip(&buf) {
                *o = v.norm_sqr().sqrt();
            }
        }
        out
    }

    /// `|W|` of scale row `row` at `M` evenly spaced times (sample `j` is time `j·N/M`),
    /// written into `buf[..M]`; returns `M`. `spec` is the burst's forward FFT.
    fn band_magnitude(&self, spec: &[C32], row: usize, buf: &mut [C32]) -> usize {
        let n = self.config.num_samples;
        let (start, gains) = &self.scalogram.wavelets[row];
        let (m, ifft, _) = &self.scalogram.short_plans[self.scalogram.row_plan[row]];
        let inv_n = 1.0 / n as f32;
        let buf = &mut buf[..*m];
        buf.iter_mut().for_each(|v| *v = C32::new(0.0, 0.0));
        for (k, g) in gains.iter().enumerate() {
            buf[k % m] += spec[(start + k) % n] * (*g * inv_n);
        }
        ifft.process(buf);
        *m
    }

    /// Wavelet magnitudes averaged over the image's time columns, `num_scales × image_size`,
    /// row-major (the fast path behind the scalogram; see the module docs).
    pub fn pooled_cwt_magnitude(&self, x: &[C32]) -> Vec<f32> {
        let n = self.config.num_samples;
        let p = self.config.image_size;
        let mut spec: Vec<C32> = x.to_vec();
        self.scalogram.fft.process(&mut spec);
        let mut pooled = vec![0.0f32; self.scalogram.wavelets.len() * p];
        let mut buf = vec![C32::new(0.0, 0.0); n];
        for row in 0..self.scalogram.wavelets.len() {
            self.band_magnitude(&spec, row, &mut buf);
            let cols = &self.scalogram.short_plans[self.scalogram.row_plan[row]].2;
            for (o, &(a, b)) in pooled[row * p..(row + 1) * p].iter_mut().zip(cols) {
                *o = buf[a..b].iter().map(|v| v.norm_sqr().sqrt()).sum::<f32>() / (b - a) as f32;
            }
        }
        pooled
    }

    /// The scalogram image of a (finite) burst.
    pub(super) fn scalogram(&self, x: &[C32]) -> Image {
        let p = self.config.image_size;
        let pooled = self.pooled_cwt_magnitude(x);
        let mut img = Image::zeros(1, p);
        let peak = pooled.iter().fold(0.0f32, |m, v| m.max(*v));
        if peak.is_nan() || peak <= 1e-20 {
            return img;
        }
        let dr = self.config.scalogram.dynamic_range_db;
        // To [0, 1] in dB on the scale rows, then resized along the scale axis (in dB).
        let floor_db = 20.0 * peak.log10() - dr;
        let levels: Vec<f32> = pooled
            .iter()
            .map(|v| ((20.0 * v.max(1e-30).log10() - floor_db) / dr).clamp(0.0, 1.0))
            .collect();
        for (r, &(lo, hi, w)) in self.scalogram.rows.iter().enumerate() {
            let (a, b) = (&levels[lo * p..(lo + 1) * p], &levels[hi * p..(hi + 1) * p]);
            for ((o, &va), &vb) in img.data[r * p..(r + 1) * p].iter_mut().zip(a).zip(b) {
                *o = va + (vb - va) * w;
            }
        }
        img
    }

    /// Centre frequency of each scalogram row, cycles/sample (length `num_scales`).
    pub fn scale_frequencies(&self) -> Vec<f64> {
        let n = self.config.num_samples as f64;
        self.scalogram
            .wavelets
            .iter()
            .map(|(start, gains)| {
                // the bin of peak gain
                let k = gains
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map(|(k, _)| k)
                    .unwrap_or(0);
                let b = (start + k) as f64 % n;
                if b >= n / 2.0 {
                    (b - n) / n
                } else {
                    b / n
                }
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::f64::consts::TAU;

    use crate::modality::tests::renderer;
    use crate::C32;

    #[test]
    fn tone_peaks_at_its_scale() {
        let r = renderer(64, 1024, 8);
        let freqs = r.scale_frequencies();
        for f0 in [0.2, 0.05, 0.01, -0.03, -0.3] {
            let x: Vec<C32> = (0..1024)
                .map(|k| {
                    let ph = TAU * f0 * k as f64;
                    C32::new(ph.cos() as f32, ph.sin() as f32)
                })
                .collect();
            let mag = r.cwt_magnitude(&x);
            let n = 1024;
            // average each row over the middle half (away from circular edges)
            let row_mean: Vec<f32> = (0..freqs.len())
                .map(|s| mag[s * n + 256..s * n + 768].iter().sum::<f32>() / 512.0)
                .collect();
            let best = (0..freqs.len())
                .max_by(|&a, &b| row_mean[a].total_cmp(&row_mean[b]))
                .unwrap_or(0);
            let nearest = (0..freqs.len())
                .min_by(|&a, &b| (freqs[a] - f0).abs().total_cmp(&(freqs[b] - f0).abs()))
                .unwrap_or(0);
            assert_eq!(
                best, nearest,
                "tone {f0}: peak row {best} ({}) vs {}",
                freqs[best], freqs[nearest]
            );
            // unit peak gain: a unit tone on its own scale has magnitude close to 1
            assert!(
                row_mean[best] > 0.9 && row_mean[best] < 1.01,
                "gain {}",
                row_mean[best]
            );
        }
    }

    #[test]
    fn short_transforms_sample_the_full_cwt_exactly() {
        let r = renderer(224, 1024, 8);
        let spec_of = |x: &[C32]| {
            let mut s = x.to_vec();
            r.scalogram.fft.process(&mut s);
            s
        };
        // a chirp sweeping −0.3 … +0.3 cycles/sample plus a slow tone, and white noise
        let chirp: Vec<C32> = (0..1024)
            .map(|k| {
                let t = k as f64;
                let ph = TAU * (-0.3 * t + 0.6 * t * t / 2048.0);
                let ph2 = TAU * 0.02 * t;
                C32::new(
                    (ph.cos() + 0.5 * ph2.cos()) as f32,
                    (ph.sin() + 0.5 * ph2.sin()) as f32,
                )
            })
            .collect();
        let noise = crate::synthesize(
            crate::Modulation::Ook,
            &crate::SignalConfig::standard(),
            1,
            1,
            -20.0,
        )
        .noise;
        for x in [chirp, noise] {
            let full = r.cwt_magnitude(&x);
            let peak = full.iter().cloned().fold(0.0, f32::max);
            let spec = spec_of(&x);
            let mut buf = vec![C32::new(0.0, 0.0); 1024];
            let mut shortened = 0;
            for row in 0..64 {
                let m = r.band_magnitude(&spec, row, &mut buf);
                shortened += usize::from(m < 1024);
                for j in 0..m {
                    let want = full[row * 1024 + j * 1024 / m];
                    assert!(
                        (buf[j].norm() - want).abs() < 1e-3 * peak,
                        "row {row} j {j}"
                    );
                }
            }
            assert!(
                shortened > 32,
                "only {shortened} rows use a short transform"
            );
        }
    }
}
