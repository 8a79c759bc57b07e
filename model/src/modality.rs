//! Modality rendering: the images the network sees, drawn from one burst.
//!
//! Every rendering is an [`Image`] of `channels × image_size × image_size` `f32` values,
//! channel-major (CHW). Each modality has an *input* (what the encoder sees) and a
//! *target* (what its decoder must reconstruct):
//!
//! | modality | input from | target from | channels | values |
//! |---|---|---|---|---|
//! | constellation | noisy burst | clean burst | one per kernel width (default 3) | `[0, 1]`, each channel max-normalised |
//! | scalogram | noisy burst | clean burst | 1 | `[0, 1]`: dB within `dynamic_range_db` of the image's peak, linear |
//! | signal | noisy burst | clean burst | 2 (I, Q) | standardised: unit RMS per channel |
//! | noise | the noise | the noise | 2 (I, Q) | standardised: unit RMS per channel |
//!
//! The noise modality follows DenoMAE: the added noise is itself an input modality during
//! pretraining (it exists only for synthetic data), reconstructed from its masked version.
//!
//! **Constellation.** Symbol-rate samples are the clearest view, so when the burst has
//! more than one sample per symbol it first goes through an RRC matched filter, and the
//! sampling phase (one of `T`) with the largest output energy (mean removed) is kept: a blind timing
//! choice that needs no knowledge of the transmitter's clock. No carrier recovery is done.
//! The points (I right, Q up) are splatted with Gaussian kernels of standard deviation
//! `width × image_size` pixels (at least half a pixel) over a window of
//! `±window × RMS amplitude` of the points (or a fixed `±window` in [`WindowScale::Fixed`]).
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
//!
//! **Signal / noise.** The first `s²` samples (`s = ⌊√N⌋`) laid out row-major into an
//! `s × s` grid per channel (I, Q), divided by `√(mean|x|²/2)` of those samples, and
//! resized bilinearly (pixel centres aligned) to `image_size²`.

use std::sync::Arc;

use rustfft::{Fft, FftPlanner};
use serde::{Deserialize, Serialize};

use crate::signal::{rrc, Example, Profile, SignalConfig, C32};

/// Errors from rendering settings.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModalityError {
    /// A rendering setting outside its valid range.
    #[error("invalid rendering setting `{field}`: {reason}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// A burst whose length differs from the one the renderer was built for.
    #[error("burst has {got} samples, the renderer expects {expected}")]
    Length {
        /// Samples the renderer was built for.
        expected: usize,
        /// Samples given.
        got: usize,
    },
    /// A modality name that is not known.
    #[error("unknown modality `{0}` (known: constellation, scalogram, signal, noise)")]
    Unknown(String),
}

/// The modalities of FIP-DenoMAE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Modality {
    /// 2-D density of the IQ points (the fine-tuning target modality).
    Constellation,
    /// Complex-Morlet wavelet magnitude over scales × time.
    Scalogram,
    /// I and Q as 2-channel images.
    Signal,
    /// The added noise as a 2-channel image.
    Noise,
}

impl Modality {
    /// All modalities, constellation (the target modality) first.
    pub const ALL: [Modality; 4] = [
        Modality::Constellation,
        Modality::Scalogram,
        Modality::Signal,
        Modality::Noise,
    ];

    /// Lower-case name used in files and configs.
    pub fn name(self) -> &'static str {
        match self {
            Modality::Constellation => "constellation",
            Modality::Scalogram => "scalogram",
            Modality::Signal => "signal",
            Modality::Noise => "noise",
        }
    }

    /// Image channels of this modality under `config`.
    pub fn channels(self, config: &RenderConfig) -> usize {
        match self {
            Modality::Constellation => config.constellation.widths.len(),
            Modality::Scalogram => 1,
            Modality::Signal | Modality::Noise => 2,
        }
    }
}

impl std::str::FromStr for Modality {
    type Err = ModalityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Modality::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ModalityError::Unknown(s.to_string()))
    }
}

/// A rendered image, channel-major: `data[(c · size + y) · size + x]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Number of channels.
    pub channels: usize,
    /// Height and width in pixels.
    pub size: usize,
    /// `channels × size × size` values.
    pub data: Vec<f32>,
}

impl Image {
    /// Maps one image to 8-bit RGB: 3 channels as R, G, B; 1 channel as grey; 2 channels
    /// (standardised I/Q) as R = I, G = Q with `0.5 + v/6` (±3 RMS spans the range).
    ///
    /// Returns `size × size × 3` bytes, row-major.
    pub fn to_rgb(&self, modality: Modality) -> Vec<u8> {
        let img = self;
        let n = img.size * img.size;
        let standardised = matches!(modality, Modality::Signal | Modality::Noise);
        let level = |c: usize, i: usize| -> u8 {
            if c >= img.channels {
                return 0;
            }
            let v = img.data[c * n + i];
            let v = if standardised { 0.5 + v / 6.0 } else { v };
            (v.clamp(0.0, 1.0) * 255.0).round() as u8
        };
        let mut out = Vec::with_capacity(n * 3);
        for i in 0..n {
            if img.channels == 1 {
                let g = level(0, i);
                out.extend_from_slice(&[g, g, g]);
            } else {
                out.extend_from_slice(&[level(0, i), level(1, i), level(2, i)]);
            }
        }
        out
    }

    /// An all-zero image.
    pub fn zeros(channels: usize, size: usize) -> Self {
        Self {
            channels,
            size,
            data: vec![0.0; channels * size * size],
        }
    }

    /// The `size × size` plane of channel `c`.
    pub fn channel(&self, c: usize) -> &[f32] {
        let n = self.size * self.size;
        &self.data[c * n..(c + 1) * n]
    }

    /// Value at channel `c`, row `y` (top = 0), column `x`.
    pub fn at(&self, c: usize, y: usize, x: usize) -> f32 {
        self.data[(c * self.size + y) * self.size + x]
    }
}

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

/// Everything that decides how bursts become images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderConfig {
    /// Output height and width, pixels (32, 64, 224, …).
    pub image_size: usize,
    /// Burst length `N` the renderer is built for, samples (default: 1024).
    pub num_samples: usize,
    /// Samples per symbol `T` of the bursts (for the matched filter; default 8).
    pub samples_per_symbol: usize,
    /// RRC roll-off of the matched filter (default: 0.35).
    pub rolloff: f64,
    /// Matched-filter length, symbols (default: 8).
    pub filter_span: usize,
    /// Constellation settings.
    pub constellation: ConstellationConfig,
    /// Scalogram settings.
    pub scalogram: ScalogramConfig,
}

impl RenderConfig {
    /// Settings that match a signal generator, at `image_size²`.
    pub fn for_signal(signal: &SignalConfig, image_size: usize) -> Self {
        let denomae = signal.profile == Profile::Denomae;
        Self {
            image_size,
            num_samples: signal.num_samples,
            samples_per_symbol: signal.samples_per_symbol,
            rolloff: signal.rolloff,
            filter_span: signal.filter_span,
            constellation: ConstellationConfig {
                widths: vec![0.01, 0.03, 0.06],
                window: if denomae {
                    WindowScale::Fixed(2.5)
                } else {
                    WindowScale::Rms(2.5)
                },
                symbol_rate: signal.samples_per_symbol > 1,
            },
            scalogram: ScalogramConfig::default(),
        }
    }

    /// Checks the settings; returns the first problem found.
    pub fn validate(&self) -> Result<(), ModalityError> {
        let bad = |field, reason: &str| {
            Err(ModalityError::Invalid {
                field,
                reason: reason.to_string(),
            })
        };
        if !(4..=1024).contains(&self.image_size) {
            return bad("image_size", "must be in 4..=1024 pixels");
        }
        if !(16..=(1 << 24)).contains(&self.num_samples) {
            return bad("num_samples", "must be in 16..=16777216");
        }
        if self.samples_per_symbol == 0 || self.filter_span == 0 {
            return bad(
                "samples_per_symbol",
                "samples per symbol and filter span must be ≥ 1",
            );
        }
        let c = &self.constellation;
        if c.widths.is_empty() || c.widths.iter().any(|w| !(*w > 0.0 && *w <= 1.0)) {
            return bad("constellation.widths", "need at least one width in (0, 1]");
        }
        let w = match c.window {
            WindowScale::Rms(w) | WindowScale::Fixed(w) => w,
        };
        if !(w > 0.0 && w.is_finite()) {
            return bad(
                "constellation.window",
                "half-width must be positive and finite",
            );
        }
        let s = &self.scalogram;
        if s.num_scales < 2 || !s.num_scales.is_multiple_of(2) || s.num_scales > 4096 {
            return bad("scalogram.num_scales", "must be even and in 2..=4096");
        }
        if !(s.min_freq > 0.0 && s.min_freq < s.max_freq && s.max_freq <= 0.5) {
            return bad(
                "scalogram.min_freq",
                "need 0 < min_freq < max_freq ≤ 0.5 cycles/sample",
            );
        }
        if !(s.omega0 >= 3.0 && s.omega0.is_finite()) {
            return bad("scalogram.omega0", "must be ≥ 3 (admissibility)");
        }
        if !(s.dynamic_range_db > 0.0 && s.dynamic_range_db.is_finite()) {
            return bad("scalogram.dynamic_range_db", "must be positive");
        }
        Ok(())
    }
}

/// One modality of one example: what the encoder sees and what the decoder must produce.
#[derive(Debug, Clone, PartialEq)]
pub struct ModalityPair {
    /// Which modality.
    pub modality: Modality,
    /// Rendered from the noisy burst (the noise for [`Modality::Noise`]).
    pub input: Image,
    /// Rendered from the clean burst (the noise for [`Modality::Noise`]).
    pub target: Image,
}

/// A short inverse FFT of the scalogram: `(length M, plan, column table)`.
type ShortPlan = (usize, Arc<dyn Fft<f32>>, Vec<(usize, usize)>);

/// Renders bursts of one length into images; holds FFT plans and lookup tables, so build
/// it once and reuse it (it is `Send + Sync`; each call allocates its own scratch).
#[derive(Clone)]
pub struct Renderer {
    config: RenderConfig,
    /// Matched filter taps (odd length, centred), empty when not used.
    mf_taps: Vec<f32>,
    fft: Arc<dyn Fft<f32>>,
    ifft: Arc<dyn Fft<f32>>,
    /// Per scale row: first FFT bin and gains of its (non-negligible) band.
    wavelets: Vec<(usize, Vec<f32>)>,
    /// Short inverse FFTs for the scalogram: `(length M, plan, column table)`; column `c`
    /// averages output samples `cols[c].0..cols[c].1` of a length-`M` transform.
    short_plans: Vec<ShortPlan>,
    /// Per scale row: index into `short_plans`.
    row_plan: Vec<usize>,
    /// Row resampling: `(lower row, upper row, weight of upper)` per output row.
    rows: Vec<(usize, usize, f32)>,
    /// Grid resampling of signal images, same layout as `rows`.
    grid: Vec<(usize, usize, f32)>,
    grid_side: usize,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("config", &self.config)
            .finish()
    }
}

/// Linear resampling table from `src` to `dst` points with pixel centres aligned.
fn linear_table(src: usize, dst: usize) -> Vec<(usize, usize, f32)> {
    (0..dst)
        .map(|i| {
            let x = ((i as f64 + 0.5) * src as f64 / dst as f64 - 0.5).clamp(0.0, (src - 1) as f64);
            let lo = x.floor() as usize;
            let hi = (lo + 1).min(src - 1);
            (lo, hi, (x - lo as f64) as f32)
        })
        .collect()
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

/// Bilinear resize of a square `src_size²` plane into a `dst_size²` plane, separably
/// (rows first), with `table = linear_table(src_size, dst_size)`.
fn resize_bilinear(
    src: &[f32],
    src_size: usize,
    dst: &mut [f32],
    dst_size: usize,
    table: &[(usize, usize, f32)],
) {
    // horizontal pass: src_size rows × dst_size columns
    let mut tmp = vec![0.0f32; src_size * dst_size];
    for r in 0..src_size {
        let row = &src[r * src_size..(r + 1) * src_size];
        for (o, &(lo, hi, w)) in tmp[r * dst_size..(r + 1) * dst_size].iter_mut().zip(table) {
            *o = row[lo] + (row[hi] - row[lo]) * w;
        }
    }
    // vertical pass
    for (r, &(lo, hi, w)) in table.iter().enumerate() {
        let (a, b) = (
            &tmp[lo * dst_size..(lo + 1) * dst_size],
            &tmp[hi * dst_size..(hi + 1) * dst_size],
        );
        for ((o, &va), &vb) in dst[r * dst_size..(r + 1) * dst_size]
            .iter_mut()
            .zip(a)
            .zip(b)
        {
            *o = va + (vb - va) * w;
        }
    }
}

impl Renderer {
    /// Builds the tables for `config` (validated first).
    pub fn new(config: RenderConfig) -> Result<Self, ModalityError> {
        config.validate()?;
        let n = config.num_samples;
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
        let grid_side = (n as f64).sqrt().floor() as usize;
        let grid = linear_table(grid_side, p);
        Ok(Self {
            config,
            mf_taps,
            fft,
            ifft,
            wavelets,
            short_plans,
            row_plan,
            rows,
            grid,
            grid_side,
        })
    }

    /// The settings this renderer was built with.
    pub fn config(&self) -> &RenderConfig {
        &self.config
    }

    fn check(&self, x: &[C32]) -> Result<(), ModalityError> {
        if x.len() != self.config.num_samples {
            return Err(ModalityError::Length {
                expected: self.config.num_samples,
                got: x.len(),
            });
        }
        Ok(())
    }

    /// Renders `samples` (one burst, `num_samples` long) as `modality`.
    ///
    /// Non-finite samples are treated as zero, so the output is always finite.
    pub fn render(&self, modality: Modality, samples: &[C32]) -> Result<Image, ModalityError> {
        self.check(samples)?;
        let clean: Vec<C32>;
        let x = if samples.iter().all(|z| z.re.is_finite() && z.im.is_finite()) {
            samples
        } else {
            clean = samples
                .iter()
                .map(|z| {
                    if z.re.is_finite() && z.im.is_finite() {
                        *z
                    } else {
                        C32::new(0.0, 0.0)
                    }
                })
                .collect();
            &clean
        };
        Ok(match modality {
            Modality::Constellation => self.constellation(x),
            Modality::Scalogram => self.scalogram(x),
            Modality::Signal | Modality::Noise => self.iq_grid(x),
        })
    }

    /// Input and target of `modality` for a generated example.
    pub fn render_pair(
        &self,
        modality: Modality,
        example: &Example,
    ) -> Result<ModalityPair, ModalityError> {
        let (input, target) = match modality {
            Modality::Noise => {
                let img = self.render(modality, &example.noise)?;
                (img.clone(), img)
            }
            _ => (
                self.render(modality, &example.noisy)?,
                self.render(modality, &example.clean)?,
            ),
        };
        Ok(ModalityPair {
            modality,
            input,
            target,
        })
    }

    /// Symbol-rate samples: matched filter + the sampling phase of largest (mean-removed)
    /// energy (see the module docs); the burst itself when there is one sample per symbol.
    pub fn symbol_samples(&self, x: &[C32]) -> Vec<C32> {
        if self.mf_taps.is_empty() {
            return x.to_vec();
        }
        let t = self.config.samples_per_symbol;
        let half = self.mf_taps.len() / 2;
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
                    .zip(self.mf_taps.iter().rev())
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

    fn constellation(&self, x: &[C32]) -> Image {
        let cfg = &self.config.constellation;
        let p = self.config.image_size;
        let pts = self.symbol_samples(x);
        let mut img = Image::zeros(cfg.widths.len(), p);
        let rms = (crate::signal::mean_power(&pts)).sqrt() as f32;
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

    /// Wavelet magnitudes `|W|`, `num_scales × num_samples`, row-major (rows as in the
    /// module docs). Exposed for tests and analysis.
    pub fn cwt_magnitude(&self, x: &[C32]) -> Vec<f32> {
        let n = self.config.num_samples;
        let mut spec: Vec<C32> = x.to_vec();
        self.fft.process(&mut spec);
        let inv_n = 1.0 / n as f32;
        let mut out = vec![0.0f32; self.wavelets.len() * n];
        let mut buf = vec![C32::new(0.0, 0.0); n];
        for (row, (start, gains)) in self.wavelets.iter().enumerate() {
            buf.iter_mut().for_each(|v| *v = C32::new(0.0, 0.0));
            for (k, g) in gains.iter().enumerate() {
                let b = (start + k) % n;
                buf[b] = spec[b] * (*g * inv_n);
            }
            self.ifft.process(&mut buf);
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
        let (start, gains) = &self.wavelets[row];
        let (m, ifft, _) = &self.short_plans[self.row_plan[row]];
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
        self.fft.process(&mut spec);
        let mut pooled = vec![0.0f32; self.wavelets.len() * p];
        let mut buf = vec![C32::new(0.0, 0.0); n];
        for row in 0..self.wavelets.len() {
            self.band_magnitude(&spec, row, &mut buf);
            let cols = &self.short_plans[self.row_plan[row]].2;
            for (o, &(a, b)) in pooled[row * p..(row + 1) * p].iter_mut().zip(cols) {
                *o = buf[a..b].iter().map(|v| v.norm_sqr().sqrt()).sum::<f32>() / (b - a) as f32;
            }
        }
        pooled
    }

    fn scalogram(&self, x: &[C32]) -> Image {
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
        for (r, &(lo, hi, w)) in self.rows.iter().enumerate() {
            let (a, b) = (&levels[lo * p..(lo + 1) * p], &levels[hi * p..(hi + 1) * p]);
            for ((o, &va), &vb) in img.data[r * p..(r + 1) * p].iter_mut().zip(a).zip(b) {
                *o = va + (vb - va) * w;
            }
        }
        img
    }

    fn iq_grid(&self, x: &[C32]) -> Image {
        let p = self.config.image_size;
        let s = self.grid_side;
        let used = &x[..s * s];
        let rms = (crate::signal::mean_power(used) / 2.0).sqrt() as f32;
        let mut img = Image::zeros(2, p);
        if rms.is_nan() || rms <= 1e-20 {
            return img;
        }
        let inv = 1.0 / rms;
        let plane = p * p;
        let (re, im) = img.data.split_at_mut(plane);
        for (c, out) in [re, im].into_iter().enumerate() {
            let grid: Vec<f32> = used
                .iter()
                .map(|z| if c == 0 { z.re * inv } else { z.im * inv })
                .collect();
            resize_bilinear(&grid, s, out, p, &self.grid);
        }
        img
    }

    /// Centre frequency of each scalogram row, cycles/sample (length `num_scales`).
    pub fn scale_frequencies(&self) -> Vec<f64> {
        let n = self.config.num_samples as f64;
        self.wavelets
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

/// Renders all four modalities of an example (input and target each).
pub fn render_example(
    renderer: &Renderer,
    example: &Example,
) -> Result<Vec<ModalityPair>, ModalityError> {
    Modality::ALL
        .iter()
        .map(|&m| renderer.render_pair(m, example))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::signal::SignalConfig;
    use std::f64::consts::TAU;

    fn renderer(size: usize, n: usize, sps: usize) -> Renderer {
        let mut sig = SignalConfig::standard();
        sig.num_samples = n;
        sig.samples_per_symbol = sps;
        Renderer::new(RenderConfig::for_signal(&sig, size)).expect("valid config")
    }

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
            r.fft.process(&mut s);
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
        let noise = crate::signal::synthesize(
            crate::Modulation::Ook,
            &SignalConfig::standard(),
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

    #[test]
    fn constellation_mass_sits_on_the_points() {
        // Four points, one sample per symbol, fixed window ±2: each lands on a known pixel.
        let mut sig = SignalConfig::standard();
        sig.samples_per_symbol = 1;
        let mut cfg = RenderConfig::for_signal(&sig, 64);
        cfg.constellation.window = WindowScale::Fixed(2.0);
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

    #[test]
    fn signal_grid_reshapes_row_major_and_standardises() {
        let r = renderer(32, 1024, 8);
        let x: Vec<C32> = (0..1024).map(|k| C32::new(k as f32, -(k as f32))).collect();
        let img = r.render(Modality::Signal, &x).expect("render");
        // identity resize at 32: pixel (y, x) is sample y·32 + x, scaled by 1/rms
        let rms = (crate::signal::mean_power(&x) / 2.0).sqrt() as f32;
        assert!((img.at(0, 3, 5) - (3.0 * 32.0 + 5.0) / rms).abs() < 1e-4);
        assert!((img.at(1, 3, 5) + (3.0 * 32.0 + 5.0) / rms).abs() < 1e-4);
        let big = renderer(224, 1024, 8)
            .render(Modality::Signal, &x)
            .expect("render");
        assert_eq!(big.data.len(), 2 * 224 * 224);
        // monotone along rows after bilinear resizing
        assert!(big.at(0, 100, 10) < big.at(0, 100, 11));
    }

    #[test]
    fn zero_and_non_finite_bursts_render_finite() {
        let r = renderer(32, 1024, 8);
        let zeros = vec![C32::new(0.0, 0.0); 1024];
        let mut nan = zeros.clone();
        nan[3] = C32::new(f32::NAN, f32::INFINITY);
        for m in Modality::ALL {
            for x in [&zeros, &nan] {
                let img = r.render(m, x).expect("render");
                assert!(img.data.iter().all(|v| v.is_finite()));
            }
        }
        assert_eq!(
            r.render(Modality::Signal, &zeros[..100]),
            Err(ModalityError::Length {
                expected: 1024,
                got: 100
            })
        );
    }

    #[test]
    fn bad_settings_are_rejected() {
        let mut c = RenderConfig::for_signal(&SignalConfig::standard(), 64);
        c.scalogram.num_scales = 3;
        assert!(Renderer::new(c.clone()).is_err());
        c.scalogram.num_scales = 64;
        c.constellation.widths.clear();
        assert!(matches!(
            Renderer::new(c),
            Err(ModalityError::Invalid {
                field: "constellation.widths",
                ..
            })
        ));
    }
}
