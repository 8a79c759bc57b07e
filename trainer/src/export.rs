//! `fipmae export`: what the browser needs, in one folder (default `static/`).
//!
//! Writes `classifier.fipmae`, optionally `autoencoder.fipmae` (from `--pretrained`) and
//! `report.json` (from `--report`), and `bundle.json`: the class list, the signal and
//! rendering settings and the file names, so the page rebuilds everything from files.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use model::weights::{
    autoencoder_from_bytes, autoencoder_to_bytes, classifier_to_bytes, Precision,
};
use serde::{Deserialize, Serialize};

use crate::fsutil::{create_dir, read, write_atomic};
use crate::pretrain::PretrainRun;

/// Options of `fipmae export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Fine-tuning run folder (holds run.json and classifier.fipmae).
    #[arg(long)]
    pub model: PathBuf,
    /// Pretraining run folder whose autoencoder to ship too (for masked reconstruction).
    #[arg(long)]
    pub pretrained: Option<PathBuf>,
    /// Evaluation report folder whose report.json to ship.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Store weights in 16-bit floats (half the size).
    #[arg(long)]
    pub half: bool,
    /// Output folder.
    #[arg(long, default_value = "static")]
    pub out: PathBuf,
}

/// `bundle.json`: the index of an exported folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// Class names, in label order.
    pub classes: Vec<String>,
    /// Signal generator settings of the training data.
    pub signal: model::SignalConfig,
    /// Rendering settings the classifier expects.
    pub render: model::RenderConfig,
    /// Classifier weight file name.
    pub classifier: String,
    /// Autoencoder weight file name, if shipped.
    pub autoencoder: Option<String>,
    /// Evaluation report file name, if shipped.
    pub report: Option<String>,
    /// Whether weights are stored as f16.
    pub half_precision: bool,
}

/// Runs `export`; returns the bundle index it wrote.
pub fn run(args: &ExportArgs) -> Result<Bundle> {
    let precision = if args.half {
        Precision::Half
    } else {
        Precision::Full
    };
    let device = crate::backend::device()?;
    type Cpu = crate::backend::Backend;
    let (ft, cls) = crate::finetune::load_run::<Cpu>(&args.model, &device)?;
    create_dir(&args.out)?;
    write_atomic(
        &args.out.join("classifier.fipmae"),
        &classifier_to_bytes(&cls, precision),
    )?;
    let autoencoder = match &args.pretrained {
        Some(dir) => {
            let p = dir.join("run.json");
            let pre: PretrainRun = serde_json::from_slice(&read(&p)?).with_context(|| {
                format!("`{}` is not a pretraining run description", p.display())
            })?;
            let w = dir.join("model.fipmae");
            let mae = autoencoder_from_bytes::<Cpu>(&read(&w)?, Some(&pre.model), &device)
                .with_context(|| format!("loading `{}`", w.display()))?;
            write_atomic(
                &args.out.join("autoencoder.fipmae"),
                &autoencoder_to_bytes(&mae, precision),
            )?;
            Some("autoencoder.fipmae".to_string())
        }
        None => None,
    };
    let report = match &args.report {
        Some(dir) => {
            write_atomic(
                &args.out.join("report.json"),
                &read(&dir.join("report.json"))?,
            )?;
            Some("report.json".to_string())
        }
        None => None,
    };
    let bundle = Bundle {
        classes: ft
            .dataset
            .classes
            .iter()
            .map(|c| c.name().to_string())
            .collect(),
        signal: ft.dataset.signal.clone(),
        render: ft.render.clone(),
        classifier: "classifier.fipmae".into(),
        autoencoder,
        report,
        half_precision: args.half,
    };
    write_atomic(
        &args.out.join("bundle.json"),
        &serde_json::to_vec_pretty(&bundle)?,
    )?;
    Ok(bundle)
}
