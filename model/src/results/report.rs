//! `report.json`: what `fipmae eval` measured (the trainer writes it, the browser draws it).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::modality::Modality;

/// Accuracy at one SNR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnrAccuracy {
    /// SNR, dB.
    pub snr_db: f64,
    /// Fraction correct.
    pub accuracy: f64,
    /// Test examples at this SNR.
    pub examples: u64,
}

/// `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The evaluated run folder.
    pub model: PathBuf,
    /// Class names, in label order.
    pub classes: Vec<String>,
    /// Test-set seed.
    pub test_seed: u64,
    /// Accuracy per SNR.
    pub per_snr: Vec<SnrAccuracy>,
    /// Mean accuracy over the SNRs in 0..=10 dB.
    pub mean_0_to_10_db: f64,
    /// Accuracy over all test examples.
    pub overall: f64,
    /// `confusion[true][predicted]`, counts over all SNRs.
    pub confusion: Vec<Vec<u64>>,
    /// The autoencoder's reconstruction quality, when one was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconstruction: Option<ReconReport>,
}

/// Mean quality of one modality over a set of examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModalityQuality {
    /// The modality.
    pub modality: Modality,
    /// Mean PSNR of the reconstruction against the clean target, dB.
    pub psnr_db: f64,
    /// Mean SSIM of the reconstruction against the clean target.
    pub ssim: f64,
    /// Mean PSNR of the noisy input against the clean target, dB (the baseline).
    pub input_psnr_db: f64,
    /// Mean SSIM of the noisy input against the clean target (the baseline).
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
}
