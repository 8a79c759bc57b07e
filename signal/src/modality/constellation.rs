//! The constellation modality: symbol-rate samples splatted as Gaussians, one channel per
//! kernel width.
//!
//! **Constellation.** Symbol-rate samples are the clearest view, so when the burst has
//! more than one sample per symbol it first goes through an RRC matched filter, and the
//! sampling phase (one of `T`) with the largest output energy (mean removed) is kept: a blind timing
//! choice that needs no knowledge of the transmitter's clock. No carrier recovery is done.
//! The points (I right, Q up) are splatted with Gaussian kernels of standard deviation
//! `width × image_size` pixels (at least half a pixel) over a window of
//! `±window × RMS amplitude` of the points (or a fixed `±window` in [`WindowScale::Fixed`]).

use serde::{Deserialize, Serialize};

use super::resample::{linear_table, resize_bilinear};
use super::{Image, RenderConfig, Renderer};
use crate::channel::mean_power;
use crate::pulse::rrc;
use crate::C32;

/// How the constellation window is sized.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "half_width", rename_all = "lowercase")]
pub enum WindowScale {
    /// Half-width = this many RMS amplitudes of the plotted points (default 2.5).
    Rms(f32),
    /// Half-width fixed in signal units (the DenoMAE reference uses 2.5).
    Fixed(f32),
}

/// Constellation rendering settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConstellationConfig {
    /// Kernel standard deviations as fractions of the image width, one channel each
    /// (default: [0.01, 0.03, 0.06]).
    pub widths: Vec<f32>,
    /// Window around the origin (default: `Rms(2.5)`).
    pub window: WindowScale,
    /// Matched-filter and keep one sample per symbol (default: true when `T` > 1).
    pub symbol_rate: bool,
}

/// The constellation's precomputed part: the matched filter.
#[derive(Debug, Clone)]
pub(super) struct Tables {
    /// Matched filter taps (odd length, centred, unit energy), empty when not used.
    mf_taps: Vec<f32>,
}

impl Tables {
    /// The RRC matched filter of `config`, when symbol-rate sampling is on and `T` > 1.
    pub(super) fn new(config: &RenderConfig) -> Self {
        let t = config.samples_per_symbol;
        let mf_taps = if t > 1 && config.constellation.symbol_rate {
            let half = (config.filter_span * t / 2) as i64;
            let taps: Vec<f64> = (-half..=half)
                .map(|i| rrc(i as f64 / t as f64, config.rolloff))
                .collect();
            let norm = taps.iter().map(|v| v * v).sum::<f64>().sqrt();
            taps.iter().map(|v| (v / norm) as f32).collect()
        } else {
            Vec::new()
        };
        Self { mf_taps }
    }
}

/// Kernels wider than this many pixels are splatted on a coarser grid and resized.
const COARSE_SIGMA_PX: f32 = 3.0;

/// Adds a Gaussian of standard deviation `sigma` pixels at each point to the `p × p`
/// plane `out` (window `±half_width`; I to the right, Q up), truncated at 3σ.
fn splat(out: &mut [f32], p: usize, pts: &[C32], half_width: f32, sigma: f32) {
    let scale = p as f32 / (2.0 * half_width);
    let r = (3.0 * sigma).ceil() as i64;
    let inv = 1.0 / (2.0 * sigma * sigma);
    let mut wx = Vec::with_capacity(2 * r as usize + 1);
    let mut wy = Vec::with_capacity(2 * r as usize + 1);
    for z in pts {
        let px = (z.re + half_width) * scale; // column coordinate, pixel units
        let py = (half_width - z.im) * scale; // row coordinate, top = +Q
        let (cx, cy) = (px.floor() as i64, py.floor() as i64);
        let x0 = (cx - r).max(0);
        let x1 = (cx + r).min(p as i64 - 1);
        let y0 = (cy - r).max(0);
        let y1 = (cy + r).min(p as i64 - 1);
        if x0 > x1 || y0 > y1 {
            continue;
        }
        gaussian_weights(&mut wx, x0 as f32 + 0.5 - px, (x1 - x0 + 1) as usize, inv);
        gaussian_weights(&mut wy, y0 as f32 + 0.5 - py, (y1 - y0 + 1) as usize, inv);
        let w = wx.len();
        for (i, &vy) in wy.iter().enumerate() {
            let base = (y0 as usize + i) * p + x0 as usize;
            for (o, &vx) in out[base..base + w].iter_mut().zip(&wx) {
                *o += vy * vx;
            }
        }
    }
}

/// Fills `w` with `exp(−(d0 + j)²·inv)` for `j in 0..len`, by the recurrence
/// `w[j+1] = w[j]·exp(−(2(d0 + j) + 1)·inv)` (two exponentials instead of `len`).
fn gaussian_weights(w: &mut Vec<f32>, d0: f32, len: usize, inv: f32) {
    w.clear();
    let mut v = (-d0 * d0 * inv).exp();
    let mut ratio = (-(2.0 * d0 + 1.0) * inv).exp();
    let step = (-2.0 * inv).exp();
    for _ in 0..len {
        w.push(v);
        v *= ratio;
        ratio *= step;
    }
}

impl Renderer {
    /// Symbol-rate samples: matched filter + the sampling phase of largest (mean-removed)
    /// energy (see the module docs); the burst itself when there is one sample per symbol.
    pub fn symbol_samples(&self, x: &[C32]) -> Vec<C32> {
        if self.constellation.mf_taps.is_empty() {
            return x.to_vec();
        }
        let t = self.config.samples_per_symbol;
        let half = self.constellation.mf_taps.len() / 2;
        let n = x.len();
        // Filter only away from the edges, where the whole filter overlaps the burst.
        if n <= 2 * half + t {
            return x.to_vec();
        }
        let valid = half..n - half;
        let y: Vec<C32> = valid
            .clone()
            .map(|i| {
                let seg = &x[i - half..=i + half];
                seg.iter()
                    .zip(self.constellation.mf_taps.iter().rev())
                    .fold(C32::new(0.0, 0.0), |acc, (a, w)| acc + a * *w)
            })
            .collect();
        // Energy of the output's varying part per sampling phase: the mean is removed first
        // so that unipolar signals (OOK, ASK), whose DC part is the same at every phase,
        // still lock onto their symbol instants.
        let mean = y.iter().fold(C32::new(0.0, 0.0), |a, z| a + z) / y.len() as f32;
        let mut energy = vec![0.0f64; t];
        for (i, z) in y.iter().enumerate() {
            energy[i % t] += (z - mean).norm_sqr() as f64;
        }
        let best = (0..t)
            .max_by(|&a, &b| energy[a].total_cmp(&energy[b]))
            .unwrap_or(0);
        y.into_iter().skip(best).step_by(t).collect()
    }

    /// The constellation image of a (finite) burst.
    pub(super) fn constellation(&self, x: &[C32]) -> Image {
        let cfg = &self.config.constellation;
        let p = self.config.image_size;
        let pts = self.symbol_samples(x);
        let mut img = Image::zeros(cfg.widths.len(), p);
        let rms = (mean_power(&pts)).sqrt() as f32;
        let half_width = match cfg.window {
            WindowScale::Rms(k) => k * rms,
            WindowScale::Fixed(w) => w,
        };
        if half_width.is_nan() || half_width <= 0.0 {
            return img;
        }
        let plane = p * p;
        for (c, &w) in cfg.widths.iter().enumerate() {
            let sigma = (w * p as f32).max(0.5);
            let ch = &mut img.data[c * plane..(c + 1) * plane];
            if sigma <= COARSE_SIGMA_PX {
                splat(ch, p, &pts, half_width, sigma);
            } else {
                // Wide kernels are smooth: splat on a coarser grid where σ is
                // COARSE_SIGMA_PX pixels, then resize bilinearly (error ≈ 1 % of the peak).
                let pc = ((p as f32 * COARSE_SIGMA_PX / sigma).ceil() as usize).clamp(4, p);
                let mut coarse = vec![0.0f32; pc * pc];
                splat(
                    &mut coarse,
                    pc,
                    &pts,
                    half_width,
                    sigma * pc as f32 / p as f32,
                );
                resize_bilinear(&coarse, pc, ch, p, &linear_table(pc, p));
            }
            let max = ch.iter().fold(0.0f32, |m, v| m.max(*v));
            if max > 0.0 {
                let inv = 1.0 / max;
                ch.iter_mut().for_each(|v| *v *= inv);
            }
        }
        img
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::modality::Modality;
    use crate::SignalConfig;

    #[test]
    fn constellation_mass_sits_on_the_points() {
        // Four points, one sample per symbol, fixed window ±2: each lands on a known pixel.
        let mut sig = SignalConfig::standard();
        sig.samples_per_symbol = 1;
        let mut cfg = RenderConfig::for_signal(&sig, 64);
        cfg.constellation.window = WindowScale::Fixed(2.0);
        // the cycle of four points is a tone at a quarter of the sample rate: keep it
        cfg.offset_correction = false;
        let r = Renderer::new(cfg).expect("valid");
        let pts = [
            C32::new(1.0, 1.0),
            C32::new(-1.0, 1.0),
            C32::new(-1.0, -1.0),
            C32::new(1.0, -1.0),
        ];
        let x: Vec<C32> = (0..1024).map(|k| pts[k % 4]).collect();
        let img = r.render(Modality::Constellation, &x).expect("render");
        assert_eq!(img.channels, 3);
        // (I, Q) = (1, 1) maps to column (1 + 2) / 4 · 64 = 48, row (2 − 1) / 4 · 64 = 16.
        for c in 0..3 {
            let plane = img.channel(c);
            let max = plane.iter().cloned().fold(0.0, f32::max);
            assert!((max - 1.0).abs() < 1e-6);
            for (row, col) in [(16, 48), (16, 16), (48, 16), (48, 48)] {
                let v = img.at(c, row, col).max(img.at(c, row - 1, col - 1));
                assert!(v > 0.8, "channel {c} at ({row},{col}): {v}");
            }
            // the centre and the corners are (nearly) empty for the narrow kernels
            if c < 2 {
                assert!(
                    img.at(c, 32, 32) < 0.05,
                    "centre {c}: {}",
                    img.at(c, 32, 32)
                );
            }
            assert!(img.at(c, 0, 0) < 0.05);
        }
        // mass is in the right quadrants: all four quadrants carry equal mass
        let quad = |r0: usize, c0: usize| -> f32 {
            (r0..r0 + 32)
                .flat_map(|r| (c0..c0 + 32).map(move |c| (r, c)))
                .map(|(r, c)| img.at(0, r, c))
                .sum()
        };
        let q = [quad(0, 0), quad(0, 32), quad(32, 0), quad(32, 32)];
        for v in q {
            assert!((v / q[0] - 1.0).abs() < 1e-3, "{q:?}");
        }
    }
}
