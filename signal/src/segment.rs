//! What a classifier judges in a recording: each annotated burst, or consecutive windows
//! where a recording has no annotations; and the class probabilities of a segment from the
//! logits of its windows. The trainer's `classify` and the browser share these steps.

use crate::modality::{Image, Modality, ModalityError, Renderer};
use crate::sigmf::Recording;
use crate::C32;

/// One segment of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment<'a> {
    /// First sample of the segment in the recording.
    pub sample_start: u64,
    /// The segment's samples.
    pub samples: &'a [C32],
    /// The annotation's `core:label`, if any.
    pub label: Option<String>,
}

/// Why a recording cannot be split into classifiable segments.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SegmentError {
    /// An unannotated recording shorter than one window.
    #[error("the recording holds {len} samples, fewer than one {need}-sample window")]
    Empty {
        /// Samples in the recording.
        len: usize,
        /// Samples the classifier needs.
        need: usize,
    },
    /// An annotated burst shorter than one window.
    #[error("the burst at sample {start} has {len} samples; the classifier needs {need}")]
    TooShort {
        /// First sample of the burst.
        start: u64,
        /// Samples in the burst.
        len: usize,
        /// Samples the classifier needs.
        need: usize,
    },
}

/// The segments of `rec` for a classifier that reads `n`-sample windows: every annotation,
/// or, with none, every whole `n`-sample window (a shorter tail is left out).
pub fn segments(rec: &Recording, n: usize) -> Result<Vec<Segment<'_>>, SegmentError> {
    let n = n.max(1);
    let out: Vec<Segment<'_>> = if rec.meta.annotations.is_empty() {
        rec.samples
            .chunks_exact(n)
            .enumerate()
            .map(|(k, w)| Segment {
                sample_start: (k * n) as u64,
                samples: w,
                label: None,
            })
            .collect()
    } else {
        rec.meta
            .annotations
            .iter()
            .map(|a| Segment {
                sample_start: a.sample_start,
                samples: rec.segment(a),
                label: a.label.clone(),
            })
            .collect()
    };
    if out.is_empty() {
        return Err(SegmentError::Empty {
            len: rec.samples.len(),
            need: n,
        });
    }
    if let Some(s) = out.iter().find(|s| s.samples.len() < n) {
        return Err(SegmentError::TooShort {
            start: s.sample_start,
            len: s.samples.len(),
            need: n,
        });
    }
    Ok(out)
}

/// The `modality` images of the consecutive whole `n`-sample windows of `samples`
/// (`n = renderer.config().num_samples`), each with the carrier offset removed from it
/// before drawing ([`Renderer::render_turned`]).
pub fn window_images(
    renderer: &Renderer,
    modality: Modality,
    samples: &[C32],
) -> Result<Vec<(Image, Option<f64>)>, ModalityError> {
    let n = renderer.config().num_samples.max(1);
    samples
        .chunks_exact(n)
        .map(|w| renderer.render_turned(modality, w))
        .collect()
}

/// Softmax of each row of `logits` (`rows × classes`, row-major), averaged over rows.
pub fn mean_probabilities(logits: &[f32], classes: usize) -> Vec<f64> {
    let k = classes.max(1);
    let rows = logits.len() / k;
    let mut probs = vec![0.0f64; k];
    for row in logits.chunks_exact(k) {
        let max = row.iter().copied().fold(f32::MIN, f32::max);
        let exp: Vec<f64> = row.iter().map(|v| ((v - max) as f64).exp()).collect();
        let sum: f64 = exp.iter().sum();
        for (p, e) in probs.iter_mut().zip(exp) {
            *p += e / sum / rows.max(1) as f64;
        }
    }
    probs
}

/// Index of the largest value (0 for an empty slice).
pub fn argmax(values: &[f64]) -> usize {
    (0..values.len())
        .max_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sigmf::{encode_cf32_le, write_metadata, BurstAnnotation};

    fn burst(start: u64, count: u64) -> BurstAnnotation {
        BurstAnnotation {
            sample_start: start,
            sample_count: count,
            label: "GMSK".into(),
            snr_db: None,
            seed: 0,
            index: 0,
        }
    }

    #[test]
    fn windows_without_annotations_and_bursts_with() {
        let data = encode_cf32_le(&[C32::new(1.0, 0.0); 10]);
        let raw = Recording::from_raw_cf32(&data).unwrap();
        let s = segments(&raw, 4).unwrap();
        assert_eq!(
            s.iter().map(|s| s.sample_start).collect::<Vec<_>>(),
            vec![0, 4]
        );
        assert_eq!(
            segments(&raw, 11),
            Err(SegmentError::Empty { len: 10, need: 11 })
        );
        let meta = write_metadata(1.0, "", "standard", &[burst(2, 5), burst(7, 3)]);
        let rec = Recording::from_bytes(&meta, &data).unwrap();
        assert!(segments(&rec, 4)
            .unwrap_err()
            .to_string()
            .contains("sample 7"));
        let ok = segments(&rec, 3).unwrap();
        assert_eq!(ok[0].samples.len(), 5);
        assert_eq!(ok[1].label.as_deref(), Some("GMSK"));
    }

    #[test]
    fn probabilities_are_averaged_softmaxes() {
        let p = mean_probabilities(&[0.0, 0.0, 10.0, -10.0], 2);
        assert!((p[0] - 0.75).abs() < 1e-4 && (p[1] - 0.25).abs() < 1e-4);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert_eq!(argmax(&p), 0);
        assert_eq!(argmax(&[]), 0);
    }
}
