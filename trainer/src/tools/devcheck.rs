//! One short, fixed pipeline to compare backends: `tiny` pretraining (32 examples, one
//! epoch), fine-tuning (2 labels per class, two epochs), evaluation (0, 5, 10 dB) and
//! `classify` on four generated bursts, all through the same functions the CLI runs, on
//! whatever backend this build compiled in ([`crate::backend`]).
//!
//! The CPU build records its numbers in `tests/golden/device.json`
//! (`trainer/tests/device_golden.rs`); a `wgpu` build on a software Vulkan device
//! (lavapipe) runs the same pipeline and must land within [`WGPU_TOLERANCE`] of them
//! (`trainer/tests/wgpu_device.rs`).

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::{args_from, classify, eval, finetune, generate, pretrain};

/// How far a GPU backend's losses and probabilities may stray from the CPU's after the
/// same short training (absolute; sums run in another order, and training amplifies it).
/// Measured on lavapipe: 1.5e-5.
pub const WGPU_TOLERANCE: f64 = 1e-3;
/// How far its accuracies may stray: two examples of the 20 per SNR, or of the 20
/// validation examples (a borderline example can flip either way).
pub const WGPU_ACCURACY_TOLERANCE: f64 = 0.1;

/// The numbers of one run of [`run`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// The backend that made them ([`crate::backend::name`]).
    pub backend: String,
    /// Pretraining: validation loss after the epoch.
    pub pretrain_val_loss: f64,
    /// Fine-tuning: training loss per epoch.
    pub finetune_train_loss: Vec<f64>,
    /// Fine-tuning: validation accuracy per epoch, in [0, 1].
    pub finetune_val_accuracy: Vec<f64>,
    /// Evaluation: accuracy at 0, 5 and 10 dB, in [0, 1].
    pub eval_accuracy: Vec<f64>,
    /// `classify`: class probabilities of each generated burst, in class order.
    pub classify_probabilities: Vec<Vec<f64>>,
}

/// Runs the pipeline in `dir` (created) and returns its numbers.
pub fn run(dir: &Path) -> Result<DeviceRecord> {
    let p = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let (pre, ft, ev, rec) = (p("pre"), p("ft"), p("eval"), p("rec"));
    let pretrained = pretrain::run(&args_from(&[
        "--preset",
        "tiny",
        "--examples",
        "32",
        "--val-examples",
        "16",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--seed",
        "3",
        "--threads",
        "1",
        // the generator the recorded numbers were made with (before parameter ranges)
        "--class-parameters",
        "fixed",
        "--max-freq-offset",
        "5e-5",
        "--offset-correction",
        "off",
        "--out",
        &pre,
    ])?)?;
    let tuned = finetune::run(&args_from(&[
        "--pretrained",
        &pre,
        "--labels-per-class",
        "2",
        "--val-per-class",
        "2",
        "--epochs",
        "2",
        "--batch-size",
        "8",
        "--lr",
        "1e-3",
        "--seed",
        "3",
        "--threads",
        "1",
        "--out",
        &ft,
    ])?)?;
    let report = eval::run(&args_from(&[
        "--model",
        &ft,
        "--out",
        &ev,
        "--per-class",
        "2",
        "--snr-min",
        "0",
        "--snr-max",
        "10",
        "--snr-step",
        "5",
        "--recon-per-class",
        "0",
        "--threads",
        "1",
    ])?)?;
    generate::run(&args_from(&[
        "--out",
        &rec,
        "--count",
        "4",
        "--seed",
        "9",
        "--class-parameters",
        "fixed",
        "--max-freq-offset",
        "5e-5",
    ])?)?;
    let recordings: Vec<String> = (0..4)
        .map(|i| format!("{rec}/{}.sigmf-meta", generate::stem(i)))
        .collect();
    let mut c = vec!["--model", ft.as_str()];
    c.extend(recordings.iter().map(String::as_str));
    let segments = classify::run(&args_from(&c)?)?;
    Ok(DeviceRecord {
        backend: crate::backend::name().to_string(),
        pretrain_val_loss: pretrained.epochs.last().map_or(f64::NAN, |e| e.val_loss),
        finetune_train_loss: tuned.epochs.iter().map(|e| e.train_loss).collect(),
        finetune_val_accuracy: tuned.epochs.iter().map(|e| e.val_accuracy).collect(),
        eval_accuracy: report.per_snr.iter().map(|a| a.accuracy).collect(),
        classify_probabilities: segments
            .iter()
            .map(|s| s.probabilities.values().copied().collect())
            .collect(),
    })
}

/// The largest differences between two records: `(losses and probabilities,
/// accuracies)`, or an error naming what does not line up.
pub fn max_difference(a: &DeviceRecord, b: &DeviceRecord) -> Result<(f64, f64)> {
    let values = [
        (
            "pretraining loss",
            vec![a.pretrain_val_loss],
            vec![b.pretrain_val_loss],
        ),
        (
            "fine-tuning loss",
            a.finetune_train_loss.clone(),
            b.finetune_train_loss.clone(),
        ),
        (
            "probabilities",
            a.classify_probabilities.concat(),
            b.classify_probabilities.concat(),
        ),
    ];
    let accuracies = [
        (
            "validation accuracy",
            a.finetune_val_accuracy.clone(),
            b.finetune_val_accuracy.clone(),
        ),
        (
            "test accuracy",
            a.eval_accuracy.clone(),
            b.eval_accuracy.clone(),
        ),
    ];
    let worst = |pairs: &[(&str, Vec<f64>, Vec<f64>)]| -> Result<f64> {
        let mut w = 0.0f64;
        for (what, x, y) in pairs {
            if x.len() != y.len() {
                anyhow::bail!("{what}: {} values against {}", x.len(), y.len());
            }
            for (u, v) in x.iter().zip(y) {
                if !(u.is_finite() && v.is_finite()) {
                    anyhow::bail!("{what}: a value is not finite ({u} against {v})");
                }
                w = w.max((u - v).abs());
            }
        }
        Ok(w)
    };
    Ok((worst(&values)?, worst(&accuracies)?))
}
