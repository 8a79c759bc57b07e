//! `fipmae eval`: accuracy per SNR on a fixed-seed test set, confusion matrix, report files.
//!
//! The test set has its own seed (disjoint from pretraining and fine-tuning data), every
//! class at every SNR from `--snr-min` to `--snr-max` in `--snr-step` dB steps, with
//! `--per-class` examples per (class, SNR). Writes `report.json`, `report.md`,
//! `accuracy.svg` and `confusion.svg` into `--out`; for a classifier fine-tuned from a
//! pretraining run (or with `--pretrained`), also the autoencoder's reconstruction PSNR/SSIM
//! per class and modality (in the report) and `reconstructions.png`.

pub mod embed;
mod measure;
pub mod recon;
mod report;
mod subject;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use model::{Renderer, SnrSpec};

use crate::backend::{self, Backend};
use crate::data::{argmax_rows, predict, render_batch};
use crate::fsutil::{create_dir, write_atomic};
use measure::recorded_accuracy;
pub use report::{accuracy_svg, confusion_svg, markdown};
use subject::{Autoencoder, Subject};

/// Seed of the test set unless `--seed` says otherwise.
pub const TEST_SEED: u64 = 0x7E57_5EED;

/// Options of `fipmae eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Fine-tuning run folder (holds run.json and classifier.fipmae), or an exported
    /// bundle folder (bundle.json, f16 or f32 weights; e.g. `static`, the shipped model).
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
    /// Pretraining run whose autoencoder's reconstructions to measure (default: the run the
    /// classifier was fine-tuned from, when that folder still exists).
    #[arg(long)]
    pub pretrained: Option<PathBuf>,
    /// Reconstruction examples per (class, SNR) for PSNR/SSIM; 0 skips the reconstruction
    /// part.
    #[arg(long, default_value_t = 1)]
    pub recon_per_class: u64,
    /// Rendering threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Also write the encoder's pooled embeddings of the test examples at or above
    /// --embeddings-min-snr (`embeddings.csv`), their t-SNE layout (`tsne.svg`) and a k-NN
    /// accuracy on them (in the report).
    #[arg(long)]
    pub embeddings: bool,
    /// Lowest SNR whose test examples are embedded, dB.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub embeddings_min_snr: i32,
    /// Evaluate on labelled recordings instead of the generator's test set: SigMF pairs,
    /// `.sigmf` archives or folders of them; every labelled window counts, per SNR where
    /// the bursts carry one (--snr-field), per class and overall. The labels must be the
    /// classifier's class names.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub recordings: Vec<PathBuf>,
    /// Annotation field holding a recorded burst's SNR, dB (default: the one the
    /// classifier's recordings used, else `fipmae:snr_db`).
    #[arg(long)]
    pub snr_field: Option<String>,
    /// Also draw the autoencoder's reconstructions at these SNRs, whole dB,
    /// comma-separated (`reconstructions_XdB.png`; `reconstructions.png` is at --snr-max).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true, value_parser = crate::flags::parse_snr_db_whole)]
    pub pictures_at: Vec<i32>,
    /// Test set's class parameters, `fixed` or `ranges` (default: the classifier's training
    /// data's); the classifier renders as it was trained either way.
    #[arg(long, value_parser = crate::flags::parse_class_parameters)]
    pub class_parameters: Option<model::signal::ClassParameters>,
    /// Test set's largest carrier frequency offset, cycles/sample, drawn U[−max, max]
    /// (default: the classifier's training data's).
    #[arg(long, value_parser = crate::flags::parse_non_negative)]
    pub max_freq_offset: Option<f64>,
}

pub use model::report::{Report, SnrAccuracy};

/// Reads `dir/report.json`; the error names the file.
pub fn read_report(dir: &std::path::Path) -> Result<Report> {
    let path = dir.join("report.json");
    serde_json::from_slice(&crate::fsutil::read(&path)?)
        .with_context(|| format!("`{}` is not an evaluation report", path.display()))
}

/// Runs `eval`.
pub fn run(args: &EvalArgs) -> Result<Report> {
    if args.snr_step <= 0 || args.snr_min > args.snr_max || args.per_class == 0 {
        bail!("need --snr-step > 0, --snr-min ≤ --snr-max and --per-class ≥ 1");
    }
    if args.embeddings && args.embeddings_min_snr > args.snr_max {
        bail!(
            "--embeddings-min-snr {} dB is above --snr-max {} dB: no test example would be embedded",
            args.embeddings_min_snr,
            args.snr_max
        );
    }
    let device = backend::device()?;
    let mut ft = Subject::load(args, &device)?;
    if args.recordings.is_empty() && ft.classes != ft.dataset.class_names() {
        bail!(
            "`{}` was fine-tuned on recordings with the classes {}, which the generator's \
             test set does not have: evaluate it with --recordings PATH",
            args.model.display(),
            ft.classes.join(", ")
        );
    }
    if let Some(p) = args.class_parameters {
        ft.dataset.signal.class_parameters = p;
    }
    if let Some(f) = args.max_freq_offset {
        ft.dataset.signal.channel.max_freq_offset = f;
    }
    ft.dataset
        .validate()
        .context("the test set's generator settings")?;
    let model = &ft.model;
    let renderer = Renderer::new(ft.render.clone())?;
    let threads = crate::data::threads(args.threads);
    let k = ft.classes.len();
    let target = ft.target;
    let per_snr_count = args.per_class * k as u64;
    let mut confusion = vec![vec![0u64; k]; k];
    let mut per_snr = Vec::new();
    let mut embedded = embed::EmbeddingSet::default();
    let recorded = !args.recordings.is_empty();
    if recorded {
        if args.embeddings {
            bail!("--embeddings is not implemented for --recordings");
        }
        (per_snr, confusion) = recorded_accuracy(args, &ft, &renderer, threads, &device)?;
    }
    let synthetic_snrs = if recorded {
        Vec::new()
    } else {
        (args.snr_min..=args.snr_max)
            .step_by(args.snr_step as usize)
            .collect()
    };
    for (s, snr) in synthetic_snrs.into_iter().enumerate() {
        let mut spec = ft.dataset.clone();
        spec.seed = args.seed;
        spec.snr = SnrSpec::Fixed { db: snr as f64 };
        let start = s as u64 * per_snr_count;
        let ids: Vec<u64> = (start..start + per_snr_count).collect();
        let mut correct = 0u64;
        let embed_here = args.embeddings && snr >= args.embeddings_min_snr;
        for chunk in ids.chunks(ft.batch_size.max(1)) {
            let batch = render_batch(&spec, &renderer, chunk, &[target], threads)?;
            let images = batch.images::<Backend>(&device)?;
            let pred = if embed_here {
                let pooled = model.embed(images)?;
                let values = model::batch::read(pooled.clone())?;
                embedded.push(&values, &batch.labels, snr as f64)?;
                argmax_rows(&model::batch::read(model.head(pooled))?, k)
            } else {
                predict(model, images)?
            };
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
    let snrs: Vec<f64> = per_snr.iter().map(|a| a.snr_db).collect();
    let autoencoder = match &ft.autoencoder {
        _ if args.recon_per_class == 0 || recorded => None,
        a => a.as_ref(),
    };
    let (reconstruction, recon_png) = match autoencoder {
        Some(source) => {
            let (mae, path) = match source {
                Autoencoder::Run(dir) => {
                    (crate::pretrain::load_run::<Backend>(dir, &device)?.1, dir)
                }
                Autoencoder::File(file) => {
                    let bytes = crate::fsutil::read_capped(file, crate::fsutil::MAX_NAMED_FILE)?;
                    let mae =
                        model::weights::autoencoder_from_bytes::<Backend>(&bytes, None, &device)
                            .with_context(|| format!("loading `{}`", file.display()))?;
                    (mae, file)
                }
            };
            let mut spec = ft.dataset.clone();
            spec.seed = args.seed;
            let r = recon::measure(
                &mae,
                path,
                &spec,
                &renderer,
                &snrs,
                args.recon_per_class,
                ft.batch_size,
                threads,
                &device,
            )?;
            let top = snrs.last().copied().unwrap_or(10.0);
            let png = recon::reconstructions_png(&mae, &spec, &renderer, top, &device)?;
            let mut pngs = vec![("reconstructions.png".to_string(), png)];
            for &at in &args.pictures_at {
                let png =
                    recon::reconstructions_png(&mae, &spec, &renderer, f64::from(at), &device)?;
                pngs.push((format!("reconstructions_{at}dB.png"), png));
            }
            (Some(r), Some(pngs))
        }
        None => (None, None),
    };
    let total: u64 = confusion.iter().flatten().sum();
    let right: u64 = (0..k).map(|i| confusion[i][i]).sum();
    let report = Report {
        model: args.model.clone(),
        classes: ft.classes.clone(),
        recordings: args.recordings.clone(),
        test_seed: args.seed,
        per_snr,
        mean_0_to_10_db: if upper.is_empty() {
            f64::NAN
        } else {
            upper.iter().sum::<f64>() / upper.len() as f64
        },
        overall: right as f64 / total.max(1) as f64,
        confusion,
        reconstruction,
        embeddings: args
            .embeddings
            .then(|| embed::summary(&embedded, f64::from(args.embeddings_min_snr))),
    };
    let tsne = if args.embeddings {
        let points = embed::tsne(&embedded, args.seed);
        let name = args
            .model
            .file_name()
            .map_or(String::new(), |n| format!("{}: ", n.to_string_lossy()));
        let title = format!(
            "{name}t-SNE of {} test embeddings at >= {} dB (k-NN accuracy {:.1} %)",
            embedded.len(),
            args.embeddings_min_snr,
            100.0 * report.embeddings.as_ref().map_or(0.0, |e| e.knn_accuracy)
        );
        Some(embed::tsne_svg(
            &points,
            &embedded.labels,
            &report.classes,
            &title,
        )?)
    } else {
        None
    };
    create_dir(&args.out)?;
    if let Some(svg) = tsne {
        write_atomic(&args.out.join("tsne.svg"), svg.as_bytes())?;
        write_atomic(
            &args.out.join("embeddings.csv"),
            embed::csv(&embedded, &report.classes).as_bytes(),
        )?;
    }
    write_atomic(
        &args.out.join("confusion.svg"),
        confusion_svg(&report).as_bytes(),
    )?;
    for (name, png) in recon_png.into_iter().flatten() {
        write_atomic(&args.out.join(name), &png)?;
    }
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

/// Runs `fipmae eval` and prints the headline accuracies.
pub fn main(args: &EvalArgs) -> Result<()> {
    let r = run(args)?;
    println!(
        "accuracy {:.1} % overall, {:.1} % mean over 0..10 dB; report in {}",
        100.0 * r.overall,
        100.0 * r.mean_0_to_10_db,
        args.out.display()
    );
    Ok(())
}
