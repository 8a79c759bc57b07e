//! A recording's segments down to a verdict: the windows of a segment in fixed-size
//! batches ([`segment_batches`]), and the verdict from those batches' logits ([`Votes`]).
//! `fipmae classify` and the page run exactly these steps, reading the logits back in
//! between (synchronously natively, asynchronously in the browser).

use burn::tensor::{backend::Backend, Tensor};

use crate::batch::{images_to_tensor, BatchError};
use crate::modality::{Modality, ModalityError, Renderer};
use crate::openset::{Observation, OpenSetRule};
use crate::segment::{argmax, mean_probabilities, window_images, Segment};
use crate::signal::offset::OffsetEstimator;

/// Why a segment could not be turned into a batch.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerdictError {
    /// A window could not be rendered.
    #[error(transparent)]
    Render(#[from] ModalityError),
    /// The windows could not be stacked.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// The segment carries no signal (every sample zero or non-finite): any verdict on it
    /// would be the classifier's guess about a blank image.
    #[error("the burst at sample {start} is silent (every sample is zero or not finite)")]
    Silent {
        /// First sample of the segment.
        start: u64,
    },
}

/// Windows rendered and classified together: a segment of any length is classified in
/// batches of at most this many windows, so memory does not grow with its length.
pub const WINDOWS_PER_BATCH: usize = 64;

/// One batch of a segment's windows, rendered.
#[derive(Debug, Clone)]
pub struct WindowBatch<B: Backend> {
    /// The windows' `target` images.
    ///
    /// # Shapes
    /// - `[windows ≤ WINDOWS_PER_BATCH, channels, size, size]`
    pub images: Tensor<B, 4>,
    /// The carrier offset removed from each window before drawing, cycles/sample (`None`
    /// without offset correction); see [`mean_offset`].
    pub offsets: Vec<Option<f64>>,
}

/// The `target` images of a segment's consecutive whole windows, in batches of at most
/// [`WINDOWS_PER_BATCH`], each rendered only when the iterator reaches it, with the
/// carrier offset each window had removed. A silent segment (no non-zero finite sample)
/// is refused up front.
pub fn segment_batches<'a, B: Backend>(
    renderer: &'a Renderer,
    target: Modality,
    segment: &Segment<'a>,
    device: &'a B::Device,
) -> Result<impl Iterator<Item = Result<WindowBatch<B>, VerdictError>> + 'a, VerdictError> {
    let audible = |z: &crate::signal::C32| {
        z.re.is_finite() && z.im.is_finite() && (z.re != 0.0 || z.im != 0.0)
    };
    if !segment.samples.iter().any(audible) {
        return Err(VerdictError::Silent {
            start: segment.sample_start,
        });
    }
    let n = renderer.config().num_samples.max(1);
    let samples: &'a [crate::signal::C32] = segment.samples;
    Ok(samples
        .chunks(n * WINDOWS_PER_BATCH)
        .filter(move |chunk| chunk.len() >= n)
        .map(move |chunk| {
            let windows = window_images(renderer, target, chunk)?;
            let images: Vec<_> = windows.iter().map(|(image, _)| image).collect();
            Ok(WindowBatch {
                images: images_to_tensor::<B>(&images, device)?,
                offsets: windows.iter().map(|(_, f)| *f).collect(),
            })
        }))
}

/// What the open-set rule reads of one window besides the network's outputs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WindowFacts {
    /// Blind SNR estimate, dB.
    pub snr_db: f64,
    /// The window's classical statistics (`Renderer::statistics`), when the rule reads
    /// them; else empty.
    pub statistics: Vec<f64>,
}

/// The facts of a segment's consecutive whole windows (the windows [`segment_batches`]
/// renders), in window order: each one's blind SNR estimate, and its statistics when
/// `rule` reads them.
pub fn window_facts(
    renderer: &Renderer,
    segment: &Segment<'_>,
    rule: &OpenSetRule,
) -> Result<Vec<WindowFacts>, VerdictError> {
    let c = renderer.config();
    let n = c.num_samples.max(1);
    let estimator = OffsetEstimator::new(n, c.samples_per_symbol);
    segment
        .samples
        .chunks_exact(n)
        .map(|w| {
            Ok(WindowFacts {
                snr_db: estimator.snr_estimate_db(w),
                statistics: if rule.needs_statistics() {
                    renderer.statistics(w)?
                } else {
                    Vec::new()
                },
            })
        })
        .collect()
}

/// The mean of the carrier offsets removed from a segment's windows
/// ([`WindowBatch::offsets`], all batches), cycles/sample; `None` when there is no window
/// or the renderer does not correct offsets.
pub fn mean_offset(offsets: &[Option<f64>]) -> Option<f64> {
    let removed: Option<Vec<f64>> = offsets.iter().copied().collect();
    removed
        .filter(|f| !f.is_empty())
        .map(|f| f.iter().sum::<f64>() / f.len() as f64)
}

/// Class probabilities averaged over a segment's windows, batch by batch; with an
/// open-set rule, calibrated probabilities and each window's familiarity margin.
#[derive(Debug, Clone, PartialEq)]
pub struct Votes {
    sums: Vec<f64>,
    windows: usize,
    rule: Option<OpenSetRule>,
    facts: Vec<WindowFacts>,
    margin: f64,
}

impl Votes {
    /// No window seen yet, over `classes` classes.
    pub fn new(classes: usize) -> Self {
        Self::with_rule(classes, None, Vec::new())
    }

    /// No window seen yet, over `classes` classes, judged by `rule` (if any) with the
    /// windows' facts (window order: [`window_facts`]).
    pub fn with_rule(classes: usize, rule: Option<OpenSetRule>, facts: Vec<WindowFacts>) -> Self {
        Self {
            sums: vec![0.0; classes.max(1)],
            windows: 0,
            rule,
            facts,
            margin: 0.0,
        }
    }

    /// Adds a batch's logits (`windows × classes`, row-major): each window's softmax.
    pub fn add(&mut self, logits: &[f32]) {
        self.add_windows(logits, None);
    }

    /// Adds a batch's logits (`windows × classes`) and, for a rule that reads them, the
    /// encoder's pooled features (`windows × encoder_dim`): each window's probabilities
    /// (calibrated by the rule when there is one) and familiarity margin.
    pub fn add_windows(&mut self, logits: &[f32], features: Option<&[f32]>) {
        let k = self.sums.len();
        let rows = logits.len() / k;
        let Some(rule) = &self.rule else {
            let mean = mean_probabilities(logits, k);
            for (s, p) in self.sums.iter_mut().zip(mean) {
                *s += p * rows as f64;
            }
            self.windows += rows;
            return;
        };
        let d = features.map_or(0, |f| f.len() / rows.max(1));
        for r in 0..rows {
            let o = Observation {
                logits: logits[r * k..(r + 1) * k]
                    .iter()
                    .map(|&x| f64::from(x))
                    .collect(),
                features: features
                    .and_then(|f| f.get(r * d..(r + 1) * d))
                    .map_or(Vec::new(), |f| f.iter().map(|&x| f64::from(x)).collect()),
                recon_error: None,
                statistics: self
                    .facts
                    .get(self.windows + r)
                    .map_or(Vec::new(), |f| f.statistics.clone()),
                snr_db: self
                    .facts
                    .get(self.windows + r)
                    .map(|f| f.snr_db)
                    .unwrap_or(f64::NAN),
            };
            for (s, p) in self.sums.iter_mut().zip(rule.probabilities(&o)) {
                *s += p;
            }
            let m = rule.margin(&o);
            self.margin += if m.is_nan() { f64::NEG_INFINITY } else { m };
        }
        self.windows += rows;
    }

    /// The verdict on `segment` from every batch added.
    pub fn verdict(&self, segment: &Segment<'_>) -> Verdict {
        let probabilities: Vec<f64> = self
            .sums
            .iter()
            .map(|s| s / self.windows.max(1) as f64)
            .collect();
        let familiarity = self
            .rule
            .as_ref()
            .map(|_| self.margin / self.windows.max(1) as f64);
        Verdict {
            sample_start: segment.sample_start,
            sample_count: segment.samples.len() as u64,
            label: segment.label.clone(),
            predicted: argmax(&probabilities),
            probabilities,
            unknown: familiarity.is_some_and(|m| m.is_nan() || m < 0.0),
            familiarity,
        }
    }
}

/// The verdict on one segment: its class probabilities (softmax of each window's logits,
/// averaged over the windows) and the most probable class.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// First sample of the segment in the recording.
    pub sample_start: u64,
    /// Samples in the segment.
    pub sample_count: u64,
    /// The annotation's `core:label`, if any.
    pub label: Option<String>,
    /// Index of the most probable class.
    pub predicted: usize,
    /// Probability of each class, in label order (calibrated when judged by a rule).
    pub probabilities: Vec<f64>,
    /// With an open-set rule: the windows' mean familiarity minus their thresholds
    /// (negative: unlike the training classes).
    pub familiarity: Option<f64>,
    /// Whether the rule calls the segment unknown (`familiarity` below 0); `predicted` is
    /// then the closest class, not a verdict.
    pub unknown: bool,
}

impl Verdict {
    /// The probability of the predicted class.
    pub fn confidence(&self) -> f64 {
        self.probabilities
            .get(self.predicted)
            .copied()
            .unwrap_or(0.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::modality::RenderConfig;
    use crate::signal::{SignalConfig, C32};

    type F = burn::backend::Flex;

    #[test]
    fn a_silent_burst_gets_no_verdict() {
        let r = Renderer::new(RenderConfig::for_signal(&SignalConfig::standard(), 32)).unwrap();
        let dev = Default::default();
        let mut samples = vec![C32::new(0.0, 0.0); 1024];
        samples[3] = C32::new(f32::NAN, 0.0);
        let seg = Segment {
            sample_start: 2048,
            samples: &samples,
            label: None,
        };
        let err = segment_batches::<F>(&r, Modality::Constellation, &seg, &dev).err();
        assert_eq!(err, Some(VerdictError::Silent { start: 2048 }));
        assert!(err.unwrap().to_string().contains("silent"));
        samples[7] = C32::new(1e-3, 0.0);
        let seg = Segment {
            sample_start: 0,
            samples: &samples,
            label: None,
        };
        assert!(segment_batches::<F>(&r, Modality::Constellation, &seg, &dev).is_ok());
    }

    #[test]
    fn long_segments_go_in_fixed_size_batches_with_the_same_verdict() {
        let r = Renderer::new(RenderConfig::for_signal(&SignalConfig::standard(), 32)).unwrap();
        let dev = Default::default();
        let windows = WINDOWS_PER_BATCH * 2 + 5;
        let samples: Vec<C32> = (0..windows * 1024 + 300)
            .map(|i| C32::new((i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()))
            .collect();
        let seg = Segment {
            sample_start: 0,
            samples: &samples,
            label: None,
        };
        let batches: Vec<WindowBatch<F>> =
            segment_batches::<F>(&r, Modality::Scalogram, &seg, &dev)
                .unwrap()
                .map(Result::unwrap)
                .collect();
        let sizes: Vec<usize> = batches.iter().map(|b| b.images.dims()[0]).collect();
        assert_eq!(sizes, vec![WINDOWS_PER_BATCH, WINDOWS_PER_BATCH, 5]);
        // one removed offset per window, the renderer's own estimate of it
        let offsets: Vec<Option<f64>> = batches.iter().flat_map(|b| b.offsets.clone()).collect();
        assert_eq!(offsets.len(), windows);
        let first = r
            .render_turned(Modality::Scalogram, &samples[..1024])
            .unwrap()
            .1;
        assert_eq!(offsets[0], first);
        assert!(first.is_some(), "the standard profile corrects offsets");
        let mean = mean_offset(&offsets).unwrap();
        let direct = offsets.iter().map(|f| f.unwrap()).sum::<f64>() / windows as f64;
        assert!((mean - direct).abs() < 1e-12);
        assert_eq!(mean_offset(&[Some(0.01), None]), None);
        assert_eq!(mean_offset(&[]), None);
        // votes over batches equal the mean over all windows at once
        let logits: Vec<f32> = (0..windows * 3)
            .map(|i| ((i * 7) % 11) as f32 * 0.3)
            .collect();
        let mut votes = Votes::new(3);
        for chunk in logits.chunks(WINDOWS_PER_BATCH * 3) {
            votes.add(chunk);
        }
        let v = votes.verdict(&seg);
        let all = mean_probabilities(&logits, 3);
        for (a, b) in v.probabilities.iter().zip(&all) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        assert_eq!(v.predicted, argmax(&all));
    }

    #[test]
    fn a_rule_calibrates_the_probabilities_and_calls_flat_windows_unknown() {
        use crate::openset::{Observation, OpenSetRule, Score};
        // calibration: confident, correct windows at 15 dB
        let cal: Vec<Observation> = (0..100)
            .map(|i| Observation {
                logits: vec![4.0 + (i % 10) as f64 * 0.2, 0.0, 0.0],
                snr_db: 15.0,
                ..Default::default()
            })
            .collect();
        let rule =
            OpenSetRule::fit(&cal, &[0; 100], 3, Score::MaxProbability, &[], 0.95, &[0.0]).unwrap();
        let samples = vec![C32::new(1.0, 0.0); 2048];
        let seg = Segment {
            sample_start: 0,
            samples: &samples,
            label: None,
        };
        let judge = |logits: &[f32]| {
            let facts = vec![
                WindowFacts {
                    snr_db: 15.0,
                    statistics: Vec::new(),
                };
                2
            ];
            let mut v = Votes::with_rule(3, Some(rule.clone()), facts);
            v.add_windows(logits, None);
            v.verdict(&seg)
        };
        let sure = judge(&[6.0, 0.0, 0.0, 6.0, 0.0, 0.0]);
        assert!(!sure.unknown && sure.familiarity.unwrap() >= 0.0);
        assert_eq!(sure.predicted, 0);
        // calibrated: the rule's temperature, not 1
        let raw = mean_probabilities(&[6.0, 0.0, 0.0], 3)[0];
        assert!((sure.probabilities[0] - raw).abs() > 1e-6);
        assert!((sure.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let flat = judge(&[0.5, 0.4, 0.3, 0.5, 0.4, 0.3]);
        assert!(flat.unknown && flat.familiarity.unwrap() < 0.0);
        assert_eq!(flat.predicted, 0);
        // without a rule nothing is unknown
        let mut v = Votes::new(3);
        v.add(&[0.5, 0.4, 0.3]);
        assert!(!v.verdict(&seg).unknown && v.verdict(&seg).familiarity.is_none());
    }
}
