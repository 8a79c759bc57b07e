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
//! Each modality's rendering and settings live in their own module: [`constellation`],
//! [`scalogram`], and [`resample`] (the signal and noise grids, and the bilinear resize
//! the others share).

mod config;
pub mod constellation;
mod image;
pub mod resample;
pub mod scalogram;
mod statistics;
pub use statistics::STATISTICS;

use serde::{Deserialize, Serialize};

pub use config::RenderConfig;
pub use constellation::{ConstellationConfig, WindowScale};
pub use image::Image;
pub use scalogram::ScalogramConfig;

use crate::dataset::Example;
use crate::C32;

/// Errors from rendering settings.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
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

/// Largest burst peak (largest |I| or |Q|) rendered as is; above it the burst is rescaled.
pub const SAFE_PEAK_MAX: f64 = 1e15;
/// Smallest non-zero burst peak (largest |I| or |Q|) rendered as is; below it, rescaled.
pub const SAFE_PEAK_MIN: f64 = 1e-15;

/// Renders bursts of one length (and [`RenderConfig::long_samples`]) into images; holds
/// FFT plans and lookup tables, so build it once and reuse it (it is `Send + Sync`; each
/// call allocates its own scratch).
#[derive(Clone)]
pub struct Renderer {
    config: RenderConfig,
    constellation: constellation::Tables,
    scalogram: scalogram::Tables,
    grid: resample::Grid,
    /// The tables for bursts of `long_samples`.
    long: Option<Box<Renderer>>,
    /// The carrier offset estimator, with `offset_correction`.
    offset: Option<crate::offset::OffsetEstimator>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("config", &self.config)
            .finish()
    }
}

impl Renderer {
    /// Builds the tables for `config` (validated first).
    pub fn new(config: RenderConfig) -> Result<Self, ModalityError> {
        config.validate()?;
        let long = match config.long_samples {
            Some(m) if m != config.num_samples => Some(Box::new(Renderer::new(RenderConfig {
                num_samples: m,
                long_samples: None,
                ..config.clone()
            })?)),
            _ => None,
        };
        let offset = config.offset_correction.then(|| {
            crate::offset::OffsetEstimator::new(config.num_samples, config.samples_per_symbol)
        });
        Ok(Self {
            offset,
            constellation: constellation::Tables::new(&config),
            scalogram: scalogram::Tables::new(&config),
            grid: resample::Grid::new(&config),
            config,
            long,
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
    /// Non-finite samples are treated as zero, and a burst whose peak (largest finite |I| or
    /// |Q|) lies outside `[SAFE_PEAK_MIN, SAFE_PEAK_MAX]` (finite but absurd: 3·10³⁸, 10⁻⁴⁰) is first
    /// rescaled to peak 1 (in `f64`), so `f32` arithmetic can neither overflow nor underflow
    /// and the output is always finite. Every modality is scale-invariant except the
    /// constellation's fixed window (the `denomae` profile), which only such bursts reach.
    /// With `offset_correction` the burst's carrier offset is removed first.
    pub fn render(&self, modality: Modality, samples: &[C32]) -> Result<Image, ModalityError> {
        Ok(self.render_turned(modality, samples)?.0)
    }

    /// [`Renderer::render`], with the carrier offset it removed from `samples` before
    /// drawing them, cycles/sample (`None` without `offset_correction`).
    pub fn render_turned(
        &self,
        modality: Modality,
        samples: &[C32],
    ) -> Result<(Image, Option<f64>), ModalityError> {
        if let Some(long) = self.long_for(samples.len()) {
            return long.render_turned(modality, samples);
        }
        let f = self.offset_to_remove(samples)?;
        Ok((self.draw(modality, &self.prepared(samples, f)?), f))
    }

    /// The carrier offset to remove from bursts like `samples` (checked), cycles/sample:
    /// estimated on them with `offset_correction`, else none.
    fn offset_to_remove(&self, samples: &[C32]) -> Result<Option<f64>, ModalityError> {
        self.check(samples)?;
        Ok(self
            .offset
            .as_ref()
            .map(|e| e.estimate(&sanitized(samples)).cycles_per_sample))
    }

    /// `samples` checked, sanitized and turned back by `f`, ready to draw.
    fn prepared<'a>(
        &self,
        samples: &'a [C32],
        f: Option<f64>,
    ) -> Result<std::borrow::Cow<'a, [C32]>, ModalityError> {
        self.check(samples)?;
        let x = sanitized(samples);
        Ok(match f {
            Some(f) => std::borrow::Cow::Owned(crate::offset::derotate(&x, f)),
            None => x,
        })
    }

    /// The renderer of bursts of `len` samples when it is the long one.
    fn long_for(&self, len: usize) -> Option<&Renderer> {
        self.long.as_deref().filter(|l| len == l.config.num_samples)
    }

    /// Draws a sanitized burst of `num_samples`.
    fn draw(&self, modality: Modality, x: &[C32]) -> Image {
        match modality {
            Modality::Constellation => self.constellation(x),
            Modality::Scalogram => self.scalogram(x),
            Modality::Signal | Modality::Noise => self.iq_grid(x),
        }
    }

    /// Input and target of `modality` for a generated example.
    pub fn render_pair(
        &self,
        modality: Modality,
        example: &Example,
    ) -> Result<ModalityPair, ModalityError> {
        let mut pairs = self.render_pairs(&[modality], example)?;
        Ok(pairs.remove(0))
    }

    /// Input and target of each of `modalities` for a generated example, in order. The
    /// carrier offset is estimated once, on what a receiver sees (the noisy burst), and the
    /// same turn is removed from the clean burst and the noise, so input and target stay
    /// aligned.
    pub fn render_pairs(
        &self,
        modalities: &[Modality],
        example: &Example,
    ) -> Result<Vec<ModalityPair>, ModalityError> {
        if let Some(long) = self.long_for(example.noisy.len()) {
            return long.render_pairs(modalities, example);
        }
        let f = self.offset_to_remove(&example.noisy)?;
        let noisy = self.prepared(&example.noisy, f)?;
        let clean = self.prepared(&example.clean, f)?;
        let noise = if modalities.contains(&Modality::Noise) {
            Some(self.prepared(&example.noise, f)?)
        } else {
            None
        };
        Ok(modalities
            .iter()
            .map(|&modality| {
                let (input, target) = match (modality, &noise) {
                    (Modality::Noise, Some(n)) => {
                        let img = self.draw(modality, n);
                        (img.clone(), img)
                    }
                    _ => (self.draw(modality, &noisy), self.draw(modality, &clean)),
                };
                ModalityPair {
                    modality,
                    input,
                    target,
                }
            })
            .collect())
    }
}

/// `samples` with non-finite values as zero and, when the peak (largest finite |I| or |Q|)
/// lies outside `[SAFE_PEAK_MIN, SAFE_PEAK_MAX]`, rescaled to peak 1 in `f64` (borrowed
/// when nothing changes).
fn sanitized(samples: &[C32]) -> std::borrow::Cow<'_, [C32]> {
    // one pass over the burst (this runs for every image of every training example):
    // the largest finite |I| or |Q|, and whether every sample is finite
    let finite = |z: &C32| z.re.is_finite() && z.im.is_finite();
    let (peak, all_finite) = samples.iter().fold((0.0f32, true), |(m, ok), z| {
        if finite(z) {
            (m.max(z.re.abs()).max(z.im.abs()), ok)
        } else {
            (m, false)
        }
    });
    let peak = f64::from(peak);
    let scale = if peak > SAFE_PEAK_MAX || (peak > 0.0 && peak < SAFE_PEAK_MIN) {
        Some(1.0 / peak)
    } else {
        None
    };
    if scale.is_none() && all_finite {
        return std::borrow::Cow::Borrowed(samples);
    }
    let k = scale.unwrap_or(1.0);
    std::borrow::Cow::Owned(
        samples
            .iter()
            .map(|z| {
                if finite(z) {
                    C32::new((z.re as f64 * k) as f32, (z.im as f64 * k) as f32)
                } else {
                    C32::new(0.0, 0.0)
                }
            })
            .collect(),
    )
}

/// Renders all four modalities of an example (input and target each).
pub fn render_example(
    renderer: &Renderer,
    example: &Example,
) -> Result<Vec<ModalityPair>, ModalityError> {
    renderer.render_pairs(&Modality::ALL, example)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::settings::SignalConfig;

    #[test]
    fn absurd_but_finite_bursts_render_finite_and_like_the_normal_burst() {
        let r = renderer(32, 1024, 8);
        let spec = crate::DatasetSpec::new(3, crate::SnrSpec::Fixed { db: 10.0 });
        let burst = spec.example(4).noisy;
        for k in [3e38f32 / 4.0, 1e-40, 1e-30, 1e20] {
            let scaled: Vec<C32> = burst.iter().map(|z| C32::new(z.re * k, z.im * k)).collect();
            for m in Modality::ALL {
                let img = r.render(m, &scaled).unwrap();
                assert!(img.data.iter().all(|v| v.is_finite()), "{m:?} at scale {k}");
                if k > 1e-39 {
                    // scale-invariant modalities look as they do at a normal scale
                    let normal = r.render(m, &burst).unwrap();
                    let diff = img
                        .data
                        .iter()
                        .zip(&normal.data)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0f32, f32::max);
                    assert!(diff < 2e-2, "{m:?} at scale {k}: differs by {diff}");
                }
            }
        }
    }

    #[test]
    fn every_modality_renders_bursts_of_other_lengths() {
        // RadioML 2016's 128-sample frames, and shorter and longer bursts
        for (n, sps) in [(128, 8), (100, 8), (256, 4), (2048, 16)] {
            let r = renderer(32, n, sps);
            let mut spec = crate::DatasetSpec::new(5, crate::SnrSpec::Fixed { db: 10.0 });
            spec.signal.num_samples = n;
            spec.signal.samples_per_symbol = sps;
            let mut constellations = Vec::new();
            for i in 0..spec.classes.len() as u64 {
                let ex = spec.example(i);
                assert_eq!(ex.noisy.len(), n);
                for m in Modality::ALL {
                    let pair = r.render_pair(m, &ex).expect("render");
                    for img in [&pair.input, &pair.target] {
                        assert!(img.data.iter().all(|v| v.is_finite()), "{n}/{sps} {m:?}");
                        let (lo, hi) = img
                            .data
                            .iter()
                            .fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
                        assert!(hi > lo, "{n}/{sps} {m:?}: a constant image");
                    }
                    if m == Modality::Constellation {
                        constellations.push(pair.target.data.clone());
                    }
                }
            }
            // the classes' clean constellations are not all alike
            assert!(constellations.windows(2).any(|w| w[0] != w[1]), "{n}/{sps}");
        }
    }

    /// A standard-profile renderer of `n`-sample bursts at `sps` samples/symbol, `size²`.
    pub(crate) fn renderer(size: usize, n: usize, sps: usize) -> Renderer {
        let mut sig = SignalConfig::standard();
        sig.num_samples = n;
        sig.samples_per_symbol = sps;
        Renderer::new(RenderConfig::for_signal(&sig, size)).expect("valid config")
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
