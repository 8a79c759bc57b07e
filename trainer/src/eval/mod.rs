//! `fipmae eval`: accuracy per SNR on a fixed-seed test set, confusion matrix, report files.
//!
//! The test set has its own seed (disjoint from pretraining and fine-tuning data), every
//! class at every SNR from `--snr-min` to `--snr-max` in `--snr-step` dB steps, with
//! `--per-class` examples per (class, SNR). Writes `report.json`, `report.md`,
//! `accuracy.svg` and `confusion.svg` into `--out`; for a classifier fine-tuned from a
//! pretraining run (or with `--pretrained`), also the autoencoder's reconstruction PSNR/SSIM
//! per class and modality (in the report) and `reconstructions.png`.

pub mod calibrate;
pub mod embed;
mod measure;
pub mod openset;
pub mod recon;
mod report;
mod subject;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use model::Renderer;

use crate::backend;
use report::NamedFile;
pub use report::{accuracy_svg, confusion_svg, markdown};
use subject::Subject;

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
    /// The SNR grid of the test set (−10..10 dB by default).
    #[command(flatten)]
    pub snr: crate::flags::SnrGrid,
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
    /// Also measure open-set detection against these never-trained modulations,
    /// comma-separated, or `all` (BPSK, QPSK, 8PSK, 16QAM, 64QAM, OFDM, AM, FM, noise):
    /// --per-class bursts of each at every SNR. Rules (max probability, energy,
    /// reconstruction error, Mahalanobis distance, and combinations; plus the model's own
    /// `calibration.json`) fitted on a calibration split of their own seed; AUROC, in-set
    /// kept and out-of-set flagged per SNR and kind, and the calibration error
    /// (`openset.json`, `openset.md`).
    #[arg(long, value_name = "KINDS")]
    pub open_set: Option<String>,
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

impl EvalArgs {
    /// The out-of-set kinds of `--open-set` (none without it).
    fn open_set_kinds(&self) -> Result<Vec<model::signal::Foreign>> {
        match &self.open_set {
            None => Ok(Vec::new()),
            Some(s) => Ok(model::signal::Foreign::parse_list(s).context("--open-set")?),
        }
    }

    /// Refuses options that would measure nothing.
    fn check(&self) -> Result<()> {
        self.snr.check()?;
        if self.per_class == 0 {
            bail!("need --per-class ≥ 1");
        }
        if self.open_set.is_some() && !self.recordings.is_empty() {
            bail!("--open-set measures on the generator's test set, not on --recordings");
        }
        self.open_set_kinds()?;
        if self.embeddings && self.embeddings_min_snr > self.snr.snr_max {
            bail!(
                "--embeddings-min-snr {} dB is above --snr-max {} dB: no test example would be embedded",
                self.embeddings_min_snr,
                self.snr.snr_max
            );
        }
        Ok(())
    }
}

/// Runs `eval`: measures the classifier (and its autoencoder, if any) on the test set or
/// the recordings, then writes the report's files.
pub fn run(args: &EvalArgs) -> Result<Report> {
    args.check()?;
    let device = backend::device()?;
    let subject = Subject::for_test(args, &device)?;
    let renderer = Renderer::new(subject.render.clone())?;
    let threads = crate::data::threads(args.threads);
    let scores = measure::scores(args, &subject, &renderer, threads, &device)?;
    let snrs: Vec<f64> = scores.per_snr.iter().map(|a| a.snr_db).collect();
    let (reconstruction, pictures) =
        reconstructions(args, &subject, &renderer, &snrs, threads, &device)?;
    let embeddings = args
        .embeddings
        .then(|| embed::summary(&scores.embedded, f64::from(args.embeddings_min_snr)));
    let report = report::build(
        args,
        subject.classes.clone(),
        scores.per_snr,
        scores.confusion,
        reconstruction,
        embeddings,
    );
    let mut extra_files = Vec::new();
    if args.embeddings {
        let svg = tsne_picture(args, &scores.embedded, &report)?;
        let csv = embed::csv(&scores.embedded, &report.classes);
        extra_files.push(("tsne.svg".to_string(), svg.into_bytes()));
        extra_files.push(("embeddings.csv".to_string(), csv.into_bytes()));
    }
    if args.open_set.is_some() {
        let kinds = args.open_set_kinds()?;
        let o = openset::measure(args, &subject, &renderer, &kinds, threads, &device)?;
        extra_files.push(("openset.json".to_string(), serde_json::to_vec_pretty(&o)?));
        extra_files.push(("openset.md".to_string(), openset::markdown(&o).into_bytes()));
    }
    report::write(&args.out, &report, &extra_files, &pictures)?;
    Ok(report)
}

/// The autoencoder's reconstruction quality at `snrs` and its pictures (at the highest SNR
/// and at `--pictures-at`), when the subject has an autoencoder and they are asked for.
fn reconstructions(
    args: &EvalArgs,
    subject: &Subject,
    renderer: &Renderer,
    snrs: &[f64],
    threads: usize,
    device: &backend::Device,
) -> Result<(Option<recon::ReconReport>, Vec<NamedFile>)> {
    let Some(source) = subject.autoencoder_to_measure(args) else {
        return Ok((None, Vec::new()));
    };
    let (mae, path) = source.load(device)?;
    let mut spec = subject.dataset.clone();
    spec.seed = args.seed;
    let quality = recon::measure(
        &mae,
        path,
        &spec,
        renderer,
        snrs,
        args.recon_per_class,
        subject.batch_size,
        threads,
        device,
    )?;
    let top = snrs.last().copied().unwrap_or(10.0);
    let png = recon::reconstructions_png(&mae, &spec, renderer, top, device)?;
    let mut pictures = vec![("reconstructions.png".to_string(), png)];
    for &at in &args.pictures_at {
        let png = recon::reconstructions_png(&mae, &spec, renderer, f64::from(at), device)?;
        pictures.push((format!("reconstructions_{at}dB.png"), png));
    }
    Ok((Some(quality), pictures))
}

/// The t-SNE layout of the embedded test examples as SVG, titled with the model's folder
/// name and the k-NN accuracy.
fn tsne_picture(
    args: &EvalArgs,
    embedded: &embed::EmbeddingSet,
    report: &Report,
) -> Result<String> {
    let points = embed::tsne(embedded, args.seed);
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
    embed::tsne_svg(&points, &embedded.labels, &report.classes, &title)
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
