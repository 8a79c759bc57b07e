//! `fipmae export`: what the browser needs, in one folder (default `static/`).
//!
//! Writes `classifier.fipmae`, optionally `autoencoder.fipmae` (from `--pretrained`) and
//! `report.json` (from `--report`), and `bundle.json`: the class list, the signal and
//! rendering settings and the file names, so the page rebuilds everything from files.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use model::report::Report;
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

/// Runs `export`; returns the bundle index it wrote. Every input is read and checked
/// (the classifier run, the pretraining run and the report, against each other) before
/// the first file is written, so a bad option leaves an existing bundle untouched.
pub fn run(args: &ExportArgs) -> Result<Bundle> {
    let precision = if args.half {
        Precision::Half
    } else {
        Precision::Full
    };
    let device = crate::backend::device()?;
    type Cpu = crate::backend::Backend;
    let (ft, cls) = crate::finetune::load_run::<Cpu>(&args.model, &device)?;
    let classes = ft.class_names();
    let autoencoder = match &args.pretrained {
        Some(dir) => {
            let (pre, mae) = crate::pretrain::load_run::<Cpu>(dir, &device)?;
            if pre.render != ft.render || !drawn_alike(&pre.dataset.signal, &ft.dataset.signal) {
                bail!(
                    "the autoencoder in `{}` renders its inputs differently from the classifier \
                     in `{}` (image size, burst shape or rendering settings): the page renders \
                     once for both, so they must agree",
                    dir.display(),
                    args.model.display()
                );
            }
            if pre.dataset.signal != ft.dataset.signal {
                eprintln!(
                    "note: the autoencoder in `{}` was pretrained on bursts drawn with other \
                     class parameters or channel settings than the classifier's; the bundle \
                     describes the classifier's generator",
                    dir.display()
                );
            }
            Some(autoencoder_to_bytes(&mae, precision))
        }
        None => None,
    };
    let report = match &args.report {
        Some(dir) => {
            let path = dir.join("report.json");
            let bytes = read(&path)?;
            let r: Report = serde_json::from_slice(&bytes)
                .with_context(|| format!("`{}` is not an evaluation report", path.display()))?;
            if r.classes != classes {
                bail!(
                    "the report `{}` is for the classes {:?}, the classifier has {:?}",
                    path.display(),
                    r.classes,
                    classes
                );
            }
            Some(bytes)
        }
        None => None,
    };
    let calibration = calibration(&args.model, classes.len())?;
    let bundle = Bundle {
        classes,
        signal: ft.dataset.signal.clone(),
        render: ft.render.clone(),
        classifier: "classifier.fipmae".into(),
        autoencoder: autoencoder
            .as_ref()
            .map(|_| "autoencoder.fipmae".to_string()),
        report: report.as_ref().map(|_| "report.json".to_string()),
        half_precision: args.half,
        calibration: calibration
            .as_ref()
            .map(|_| crate::training::run_folder::CALIBRATION_JSON.to_string()),
    };
    let index = serde_json::to_vec_pretty(&bundle)?;
    // everything checked: now write, the index last
    create_dir(&args.out)?;
    write_atomic(
        &args.out.join("classifier.fipmae"),
        &classifier_to_bytes(&cls, precision),
    )?;
    if let Some(bytes) = &autoencoder {
        write_atomic(&args.out.join("autoencoder.fipmae"), bytes)?;
    }
    if let Some(bytes) = &report {
        write_atomic(&args.out.join("report.json"), bytes)?;
    }
    if let Some(bytes) = &calibration {
        write_atomic(
            &args.out.join(crate::training::run_folder::CALIBRATION_JSON),
            bytes,
        )?;
    }
    write_atomic(&args.out.join("bundle.json"), &index)?;
    Ok(bundle)
}

/// The run's `calibration.json` (from `fipmae calibrate`), checked against its class
/// count, if it has one.
/// Whether bursts of `a` and `b` are drawn into images alike: every setting equal but what
/// the generator draws per burst (class parameters, channel impairments), which an
/// autoencoder pretrained on a wider draw than its classifier may differ in.
fn drawn_alike(a: &model::signal::SignalConfig, b: &model::signal::SignalConfig) -> bool {
    let mut a = a.clone();
    a.class_parameters = b.class_parameters;
    a.channel = b.channel.clone();
    a == *b
}

fn calibration(run: &std::path::Path, classes: usize) -> Result<Option<Vec<u8>>> {
    let path = run.join(crate::training::run_folder::CALIBRATION_JSON);
    if !path.is_file() {
        return Ok(None);
    }
    let bytes = read(&path)?;
    let rule: model::openset::OpenSetRule = serde_json::from_slice(&bytes)
        .with_context(|| format!("`{}` is not an open-set rule", path.display()))?;
    if let Some(g) = &rule.gaussian {
        if g.means.len() != classes {
            bail!(
                "`{}` was fitted for {} classes, the classifier has {classes}: run \
                 `fipmae calibrate --model {}` again",
                path.display(),
                g.means.len(),
                run.display()
            );
        }
    }
    Ok(Some(bytes))
}

/// Runs `fipmae export` and prints what the bundle holds.
pub fn main(args: &ExportArgs) -> Result<()> {
    let b = run(args)?;
    println!(
        "exported {} classes, classifier{}{}{} to {}",
        b.classes.len(),
        if b.autoencoder.is_some() {
            ", autoencoder"
        } else {
            ""
        },
        if b.report.is_some() { ", report" } else { "" },
        if b.calibration.is_some() {
            ", calibration"
        } else {
            ""
        },
        args.out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::signal::{ClassParameters, SignalConfig};

    #[test]
    fn an_autoencoder_may_have_seen_a_wider_draw_but_not_other_bursts() {
        let ft = SignalConfig {
            class_parameters: ClassParameters::Fixed,
            ..SignalConfig::standard()
        };
        let mut pre = SignalConfig::standard();
        pre.class_parameters = ClassParameters::Ranges;
        pre.channel.max_freq_offset = 0.05;
        assert!(drawn_alike(&pre, &ft));
        pre.samples_per_symbol = 4;
        assert!(!drawn_alike(&pre, &ft));
        let mut pre = SignalConfig::standard();
        pre.offset_correction = !ft.offset_correction;
        assert!(!drawn_alike(&pre, &ft));
    }
}
