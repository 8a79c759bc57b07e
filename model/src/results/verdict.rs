//! A recording's segments down to a verdict: the windows of a segment as one batch, and the
//! verdict from that batch's logits. `fipmae classify` and the page run exactly these steps,
//! reading the logits back in between (synchronously natively, asynchronously in the
//! browser).

use burn::tensor::{backend::Backend, Tensor};

use crate::batch::{images_to_tensor, BatchError};
use crate::modality::{Modality, ModalityError, Renderer};
use crate::segment::{argmax, mean_probabilities, window_images, Segment};

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

/// The `target` images of a segment's consecutive whole windows, as one batch.
///
/// # Shapes
/// - output: `[windows, channels, size, size]`
pub fn segment_batch<B: Backend>(
    renderer: &Renderer,
    target: Modality,
    segment: &Segment<'_>,
    device: &B::Device,
) -> Result<Tensor<B, 4>, VerdictError> {
    let audible = |z: &crate::signal::C32| {
        z.re.is_finite() && z.im.is_finite() && (z.re != 0.0 || z.im != 0.0)
    };
    if !segment.samples.iter().any(audible) {
        return Err(VerdictError::Silent {
            start: segment.sample_start,
        });
    }
    let windows = window_images(renderer, target, segment.samples)?;
    Ok(images_to_tensor::<B>(
        &windows.iter().collect::<Vec<_>>(),
        device,
    )?)
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
    /// Probability of each class, in label order.
    pub probabilities: Vec<f64>,
}

impl Verdict {
    /// The verdict on `segment` from the logits of its batch (`windows × classes`,
    /// row-major).
    pub fn new(segment: &Segment<'_>, logits: &[f32], classes: usize) -> Self {
        let probabilities = mean_probabilities(logits, classes);
        Self {
            sample_start: segment.sample_start,
            sample_count: segment.samples.len() as u64,
            label: segment.label.clone(),
            predicted: argmax(&probabilities),
            probabilities,
        }
    }

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

    #[test]
    fn a_silent_burst_gets_no_verdict() {
        let r = Renderer::new(RenderConfig::for_signal(&SignalConfig::standard(), 32)).unwrap();
        let mut samples = vec![C32::new(0.0, 0.0); 1024];
        samples[3] = C32::new(f32::NAN, 0.0);
        let seg = Segment {
            sample_start: 2048,
            samples: &samples,
            label: None,
        };
        let err = segment_batch::<burn::backend::Flex>(
            &r,
            Modality::Constellation,
            &seg,
            &Default::default(),
        )
        .unwrap_err();
        assert_eq!(err, VerdictError::Silent { start: 2048 });
        assert!(err.to_string().contains("silent"));
        samples[7] = C32::new(1e-3, 0.0);
        let seg = Segment {
            sample_start: 0,
            samples: &samples,
            label: None,
        };
        assert!(segment_batch::<burn::backend::Flex>(
            &r,
            Modality::Constellation,
            &seg,
            &Default::default()
        )
        .is_ok());
    }
}
