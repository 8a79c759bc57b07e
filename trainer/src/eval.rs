//! `fipmae eval`: accuracy per SNR on a fixed-seed test set, confusion matrix, report files.
//!
//! The test set has its own seed (disjoint from pretraining and fine-tuning data), every
//! class at every SNR from `--snr-min` to `--snr-max` in `--snr-step` dB steps, with
//! `--per-class` examples per (class, SNR). Writes `report.json`, `report.md` and
//! `accuracy.svg` into `--out`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use model::{Renderer, SnrSpec};
use serde::{Deserialize, Serialize};

use crate::backend::{self, Backend};
use crate::data::render_batch;
use crate::finetune::{images, predict};
use crate::fsutil::{create_dir, write_atomic};

/// Seed of the test set unless `--seed` says otherwise.
pub const TEST_SEED: u64 = 0x7E57_5EED;

/// Options of `fipmae eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Fine-tuning run folder (holds run.json and classifier.fipmae).
    #[arg(long)]
    pub model: PathBuf,
    /// Report folder (created).
    #[arg(long)]
    pub out: PathBuf,
    /// Test examples per (class, SNR); ≥ 11 for 10 classes keeps one example under 1 % of
    /// an SNR's accuracy.
    #[arg(long, default_value_t = 20)]
    pub per_class: u64,
    /// Lowest SNR, dB.
    #[arg(long, default_value_t = -10, allow_hyphen_values = true)]
    pub snr_min: i32,
    /// Highest SNR, dB.
    #[arg(long, default_value_t = 10, allow_hyphen_values = true)]
    pub snr_max: i32,
    /// SNR step, dB.
    #[arg(long, default_value_t = 1)]
    pub snr_step: i32,
    /// Test-set seed (fixed by default so reports compare).
    #[arg(long, default_value_t = TEST_SEED)]
    pub seed: u64,
    /// Rendering threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

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
}

/// Runs `eval`.
pub fn run(args: &EvalArgs) -> Result<Report> {
    if args.snr_step <= 0 || args.snr_min > args.snr_max || args.per_class == 0 {
        bail!("need --snr-step > 0, --snr-min ≤ --snr-max and --per-class ≥ 1");
    }
    let device = backend::device()?;
    let (ft, model) = crate::finetune::load_run::<Backend>(&args.model, &device)?;
    let renderer = Renderer::new(ft.render.clone())?;
    let threads = crate::data::threads(args.threads);
    let classes = ft.dataset.classes.clone();
    let k = classes.len();
    let target = ft.classifier.mae.target;
    let per_snr_count = args.per_class * k as u64;
    let mut confusion = vec![vec![0u64; k]; k];
    let mut per_snr = Vec::new();
    for (s, snr) in (args.snr_min..=args.snr_max)
        .step_by(args.snr_step as usize)
        .enumerate()
    {
        let mut spec = ft.dataset.clone();
        spec.seed = args.seed;
        spec.snr = SnrSpec::Fixed { db: snr as f64 };
        let start = s as u64 * per_snr_count;
        let ids: Vec<u64> = (start..start + per_snr_count).collect();
        let mut correct = 0u64;
        for chunk in ids.chunks(ft.batch_size.max(1)) {
            let batch = render_batch(&spec, &renderer, chunk, &[target], threads)?;
            let pred = predict(&model, images::<Backend>(&batch, &device)?)?;
            for (p, l) in pred.iter().zip(&batch.labels) {
                confusion[*l][(*p).min(k - 1)] += 1;
                correct += u64::from(p == l);
            }
        }
        per_snr.push(SnrAccuracy {
            snr_db: snr as f64,
            accuracy: correct as f64 / per_snr_count as f64,
            examples: per_snr_count,
        });
    }
    let upper: Vec<f64> = per_snr
        .iter()
        .filter(|a| (0.0..=10.0).contains(&a.snr_db))
        .map(|a| a.accuracy)
        .collect();
    let total: u64 = confusion.iter().flatten().sum();
    let right: u64 = (0..k).map(|i| confusion[i][i]).sum();
    let report = Report {
        model: args.model.clone(),
        classes: classes.iter().map(|c| c.name().to_string()).collect(),
        test_seed: args.seed,
        per_snr,
        mean_0_to_10_db: if upper.is_empty() {
            f64::NAN
        } else {
            upper.iter().sum::<f64>() / upper.len() as f64
        },
        overall: right as f64 / total.max(1) as f64,
        confusion,
    };
    create_dir(&args.out)?;
    write_atomic(
        &args.out.join("report.json"),
        &serde_json::to_vec_pretty(&report)?,
    )?;
    write_atomic(&args.out.join("report.md"), markdown(&report).as_bytes())?;
    write_atomic(
        &args.out.join("accuracy.svg"),
        accuracy_svg(&report).as_bytes(),
    )?;
    Ok(report)
}

/// The report as Markdown tables.
pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Evaluation of `{}`\n", r.model.display());
    let _ = writeln!(
        s,
        "Test seed {}; overall accuracy {:.1} %; mean over 0..10 dB {:.1} %.\n",
        r.test_seed,
        100.0 * r.overall,
        100.0 * r.mean_0_to_10_db
    );
    let _ = writeln!(s, "| SNR (dB) | accuracy | examples |\n|---|---|---|");
    for a in &r.per_snr {
        let _ = writeln!(
            s,
            "| {} | {:.1} % | {} |",
            a.snr_db,
            100.0 * a.accuracy,
            a.examples
        );
    }
    let _ = writeln!(
        s,
        "\n## Confusion matrix (rows: true class, columns: predicted)\n"
    );
    let _ = writeln!(s, "| | {} |", r.classes.join(" | "));
    let _ = writeln!(s, "|---|{}", "---|".repeat(r.classes.len()));
    for (name, row) in r.classes.iter().zip(&r.confusion) {
        let cells: Vec<String> = row.iter().map(u64::to_string).collect();
        let _ = writeln!(s, "| **{name}** | {} |", cells.join(" | "));
    }
    s
}

/// Accuracy against SNR as a small standalone SVG line plot.
pub fn accuracy_svg(r: &Report) -> String {
    let (w, h, m) = (480.0, 300.0, 40.0);
    let (lo, hi) = (
        r.per_snr.first().map_or(-10.0, |a| a.snr_db),
        r.per_snr.last().map_or(10.0, |a| a.snr_db),
    );
    let span = (hi - lo).max(1.0);
    let x = |snr: f64| m + (snr - lo) / span * (w - 2.0 * m);
    let y = |acc: f64| h - m - acc * (h - 2.0 * m);
    let points: Vec<String> = r
        .per_snr
        .iter()
        .map(|a| format!("{:.1},{:.1}", x(a.snr_db), y(a.accuracy)))
        .collect();
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let (x2, yy, ty, pct) = (w - m, y(t), y(t) + 4.0, 100.0 * t);
        let _ = writeln!(
            s,
            "<line x1=\"{m}\" x2=\"{x2}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#ddd\"/><text x=\"4\" y=\"{ty:.1}\">{pct:.0}%</text>"
        );
    }
    for a in &r.per_snr {
        if (a.snr_db - lo) % 5.0 == 0.0 {
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x(a.snr_db),
                h - m + 16.0,
                a.snr_db
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">SNR (dB)</text>\n<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{}\"/>\n</svg>",
        w / 2.0,
        h - 6.0,
        points.join(" ")
    );
    s
}
