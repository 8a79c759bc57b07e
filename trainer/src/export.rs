//! `fipmae export`: what the browser needs, in one folder (default `static/`).
//!
//! Writes `classifier.fipmae`, optionally `autoencoder.fipmae` (from `--pretrained`) and
//! `report.json` (from `--report`), and `bundle.json`: the class list, the signal and
//! rendering settings and the file names, so the page rebuilds everything from files.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use model::weights::{autoencoder_to_bytes, classifier_to_bytes, Precision};

use crate::fsutil::{create_dir, read, write_atomic};

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

pub use model::bundle::Bundle;

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
            let (_, mae) = crate::pretrain::load_run::<Cpu>(dir, &device)?;
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
        classes: ft.dataset.class_names(),
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

/// Runs `fipmae export` and prints what the bundle holds.
pub fn main(args: &ExportArgs) -> Result<()> {
    let b = run(args)?;
    println!(
        "exported {} classes, classifier{}{} to {}",
        b.classes.len(),
        if b.autoencoder.is_some() {
            ", autoencoder"
        } else {
            ""
        },
        if b.report.is_some() { ", report" } else { "" },
        args.out.display()
    );
    Ok(())
}
