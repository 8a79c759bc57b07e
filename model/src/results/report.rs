//! `report.json`: what `fipmae eval` measured (the trainer writes it, the browser draws it).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::modality::Modality;

/// Non-finite numbers in `report.json`: JSON has no NaN or infinity, so they are written as
/// an explicit `null` (a mean over no SNR in 0..10 dB, the PSNR of identical images) and
/// read back as NaN, so that every report the trainer writes reads back.
pub mod nullable {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes a finite `v` as a number, anything else as `null`.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    /// Reads a number, or `null` as NaN.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// Accuracy at one SNR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnrAccuracy {
    /// SNR, dB.
    pub snr_db: f64,
    /// Fraction correct.
    #[serde(with = "nullable")]
    pub accuracy: f64,
    /// Test examples at this SNR.
    pub examples: u64,
    /// Fraction correct per class at this SNR, in the report's class order (`null` for a
    /// class with no example here; empty in reports written before it was measured).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_class: Vec<Option<f64>>,
}

impl SnrAccuracy {
    /// The accuracy at `snr_db` from its `right` and `total` examples per class (label
    /// order): overall and per class.
    pub fn from_counts(snr_db: f64, right: &[u64], total: &[u64]) -> Self {
        let examples: u64 = total.iter().sum();
        let correct: u64 = right.iter().sum();
        Self {
            snr_db,
            accuracy: if examples == 0 {
                f64::NAN
            } else {
                correct as f64 / examples as f64
            },
            examples,
            per_class: right
                .iter()
                .zip(total)
                .map(|(&r, &n)| (n > 0).then(|| r as f64 / n as f64))
                .collect(),
        }
    }
}

/// `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The evaluated run folder.
    pub model: PathBuf,
    /// Class names, in label order.
    pub classes: Vec<String>,
    /// The recordings evaluated on (empty: the generator's test set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recordings: Vec<std::path::PathBuf>,
    /// Test-set seed.
    pub test_seed: u64,
    /// Accuracy per SNR.
    pub per_snr: Vec<SnrAccuracy>,
    /// Mean accuracy over the SNRs in 0..=10 dB.
    #[serde(with = "nullable")]
    pub mean_0_to_10_db: f64,
    /// Accuracy over all test examples.
    #[serde(with = "nullable")]
    pub overall: f64,
    /// `confusion[true][predicted]`, counts over all SNRs.
    pub confusion: Vec<Vec<u64>>,
    /// The autoencoder's reconstruction quality, when one was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconstruction: Option<ReconReport>,
    /// How separable the encoder's embeddings are, when `eval --embeddings` measured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddings: Option<EmbeddingReport>,
}

/// The embedding part of `report.json` (`eval --embeddings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingReport {
    /// Test examples at or above this SNR were embedded, dB.
    pub min_snr_db: f64,
    /// Examples embedded.
    pub examples: u64,
    /// Features per embedding (the encoder width).
    pub dim: u64,
    /// Neighbours voting in the k-NN accuracy.
    pub knn_k: u64,
    /// Leave-one-out k-NN accuracy on the embeddings (cosine distance), in [0, 1].
    #[serde(with = "nullable")]
    pub knn_accuracy: f64,
}

/// Mean quality of one modality over a set of examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModalityQuality {
    /// The modality.
    pub modality: Modality,
    /// Mean PSNR of the reconstruction against the clean target, dB.
    #[serde(with = "nullable")]
    pub psnr_db: f64,
    /// Mean SSIM of the reconstruction against the clean target.
    #[serde(with = "nullable")]
    pub ssim: f64,
    /// Mean PSNR of the noisy input against the clean target, dB (the baseline).
    #[serde(with = "nullable")]
    pub input_psnr_db: f64,
    /// Mean SSIM of the noisy input against the clean target (the baseline).
    #[serde(with = "nullable")]
    pub input_ssim: f64,
}

/// Reconstruction quality of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassQuality {
    /// Class name.
    pub class: String,
    /// Examples measured.
    pub examples: u64,
    /// Per modality the autoencoder reconstructs.
    pub modalities: Vec<ModalityQuality>,
}

/// Reconstruction quality at one SNR, over all classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnrQuality {
    /// The SNR, dB.
    pub snr_db: f64,
    /// Per modality the autoencoder reconstructs.
    pub modalities: Vec<ModalityQuality>,
}

/// The reconstruction part of `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconReport {
    /// The pretraining run whose autoencoder was measured.
    pub autoencoder: PathBuf,
    /// SNRs the examples were drawn at, dB.
    pub snr_db: Vec<f64>,
    /// Per class, in label order.
    pub per_class: Vec<ClassQuality>,
    /// Over all classes.
    pub overall: Vec<ModalityQuality>,
    /// Per SNR of `snr_db`, over all classes: where denoising beats the input and where
    /// it does not (empty in reports written before it was measured).
    #[serde(default)]
    pub per_snr: Vec<SnrQuality>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_numbers_are_written_as_null_and_read_back() {
        let q = ModalityQuality {
            modality: Modality::Noise,
            psnr_db: f64::INFINITY,
            ssim: 1.0,
            input_psnr_db: f64::NAN,
            input_ssim: 0.5,
        };
        let r = Report {
            model: "run".into(),
            classes: vec!["A".into(), "B".into()],
            recordings: Vec::new(),
            test_seed: 1,
            per_snr: vec![SnrAccuracy {
                snr_db: 20.0,
                accuracy: 1.0,
                examples: 4,
                per_class: vec![Some(1.0), None],
            }],
            mean_0_to_10_db: f64::NAN,
            overall: 1.0,
            confusion: vec![vec![2, 0], vec![0, 2]],
            reconstruction: Some(ReconReport {
                autoencoder: "pre".into(),
                snr_db: vec![20.0],
                per_class: vec![],
                overall: vec![q.clone()],
                per_snr: vec![SnrQuality {
                    snr_db: 20.0,
                    modalities: vec![q],
                }],
            }),
            embeddings: None,
        };
        let text = serde_json::to_string(&r).unwrap();
        let counted = SnrAccuracy::from_counts(20.0, &[4, 0], &[4, 0]);
        assert_eq!(counted, r.per_snr[0]);
        assert!(text.contains("\"mean_0_to_10_db\":null"), "{text}");
        let back: Report = serde_json::from_str(&text).unwrap();
        assert!(back.mean_0_to_10_db.is_nan() && back.overall == 1.0);
        assert_eq!(back.per_snr[0].per_class, vec![Some(1.0), None]);
        // reports written before per-class accuracies were measured read back
        let old = text.replace(",\"per_class\":[1.0,null]", "");
        assert_ne!(old, text);
        let back: Report = serde_json::from_str(&old).unwrap();
        assert!(back.per_snr[0].per_class.is_empty());
        let o = &back.reconstruction.unwrap().overall[0];
        assert!(o.psnr_db.is_nan() && o.input_psnr_db.is_nan() && o.ssim == 1.0);
    }
}
