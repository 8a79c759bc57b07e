//! `fipmae eval`: accuracy per SNR on a fixed-seed test set, confusion matrix, report files.
//!
//! The test set has its own seed (disjoint from pretraining and fine-tuning data), every
//! class at every SNR from `--snr-min` to `--snr-max` in `--snr-step` dB steps, with
//! `--per-class` examples per (class, SNR). Writes `report.json`, `report.md`,
//! `accuracy.svg` and `confusion.svg` into `--out`; for a classifier fine-tuned from a
//! pretraining run (or with `--pretrained`), also the autoencoder's reconstruction PSNR/SSIM
//! per class and modality (in the report) and `reconstructions.png`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use model::classifier::AmcClassifier;
use model::{DatasetSpec, Renderer, SnrSpec};

use crate::backend::{self, Backend};
use crate::data::render_batch;
use crate::data::{argmax_rows, predict};
use crate::embed;
use crate::fsutil::{create_dir, write_atomic};
use crate::recon;

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
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true, value_parser = crate::knobs::parse_snr_db_whole)]
    pub pictures_at: Vec<i32>,
    /// Test set's class parameters, `fixed` or `ranges` (default: the classifier's training
    /// data's); the classifier renders as it was trained either way.
    #[arg(long, value_parser = crate::knobs::parse_class_parameters)]
    pub class_parameters: Option<model::signal::ClassParameters>,
    /// Test set's largest carrier frequency offset, cycles/sample, drawn U[−max, max]
    /// (default: the classifier's training data's).
    #[arg(long, value_parser = crate::knobs::parse_non_negative)]
    pub max_freq_offset: Option<f64>,
}

/// What `eval` scores, from a fine-tuning run or an exported bundle.
struct Subject {
    /// Class names, in output order.
    classes: Vec<String>,
    /// The generator of its training data (the test set draws from it, with its own seed).
    dataset: DatasetSpec,
    /// Rendering settings it reads.
    render: model::RenderConfig,
    /// The modality it reads.
    target: model::Modality,
    /// Examples per forward pass.
    batch_size: usize,
    /// The network.
    model: AmcClassifier<Backend>,
    /// Where its autoencoder is, if anywhere.
    autoencoder: Option<Autoencoder>,
    /// The labelled recordings it was fine-tuned on, if any.
    recordings: Option<crate::recordings::RecordingsSpec>,
}

/// An autoencoder to measure reconstructions with.
enum Autoencoder {
    /// A pretraining run folder.
    Run(PathBuf),
    /// A bundle's autoencoder weight file.
    File(PathBuf),
}

impl Subject {
    /// Loads `args.model`: a fine-tuning run folder (run.json) or a bundle folder
    /// (bundle.json); errors name the file.
    fn load(args: &EvalArgs, device: &backend::Device) -> Result<Self> {
        let dir = &args.model;
        if dir.join("run.json").is_file() || !dir.join("bundle.json").is_file() {
            let (ft, model) = crate::finetune::load_run::<Backend>(dir, device)?;
            let autoencoder = match (&args.pretrained, &ft.pretrained) {
                (Some(d), _) => Some(Autoencoder::Run(d.clone())),
                (None, Some(d)) if d.join("model.fipmae").is_file() => {
                    Some(Autoencoder::Run(d.clone()))
                }
                (None, Some(d)) => {
                    if args.recon_per_class > 0 && args.recordings.is_empty() {
                        eprintln!(
                            "note: `{}` (the pretraining run of this classifier) is gone; \
                             no reconstruction metrics (pass --pretrained RUN)",
                            d.display()
                        );
                    }
                    None
                }
                (None, None) => None,
            };
            return Ok(Self {
                classes: ft.class_names(),
                dataset: ft.dataset.clone(),
                render: ft.render.clone(),
                target: ft.classifier.mae.target,
                batch_size: ft.batch_size,
                model,
                autoencoder,
                recordings: ft.recordings.clone(),
            });
        }
        let loaded = crate::classify::load(dir, device)?;
        let index = dir.join("bundle.json");
        let bundle = model::bundle::Bundle::from_json(&crate::fsutil::read(&index)?)
            .with_context(|| format!("`{}` is not a bundle index", index.display()))?;
        // the generator's class set when the bundle's classes are generator classes
        let classes: Vec<model::Modulation> = bundle
            .classes
            .iter()
            .filter_map(|c| c.parse().ok())
            .collect();
        let mut dataset = DatasetSpec::new(args.seed, SnrSpec::default());
        dataset.signal = bundle.signal.clone();
        if classes.len() == bundle.classes.len() {
            dataset.classes = classes;
        }
        let autoencoder = match (&args.pretrained, &bundle.autoencoder) {
            (Some(d), _) => Some(Autoencoder::Run(d.clone())),
            (None, Some(f)) => Some(Autoencoder::File(dir.join(f))),
            (None, None) => None,
        };
        Ok(Self {
            classes: loaded.classes,
            dataset,
            render: loaded.render,
            target: loaded.target,
            batch_size: 32,
            model: loaded.model,
            autoencoder,
            recordings: None,
        })
    }
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

/// Accuracy of `model` on every labelled window of `args.recordings`: per SNR (bursts that
/// carry one, in ascending order) and the confusion matrix over all windows.
fn recorded_accuracy(
    args: &EvalArgs,
    ft: &Subject,
    renderer: &Renderer,
    threads: usize,
    device: &backend::Device,
) -> Result<(Vec<SnrAccuracy>, Vec<Vec<u64>>)> {
    let classes = ft.classes.clone();
    let k = classes.len();
    let snr_field = match (&args.snr_field, &ft.recordings) {
        (Some(f), _) => f.clone(),
        (None, Some(r)) => r.snr_field.clone(),
        (None, None) => crate::recordings::DEFAULT_SNR_FIELD.to_string(),
    };
    let set = crate::recordings::RecordingSet::open(
        &args.recordings,
        ft.render.num_samples,
        Some(&classes),
        &snr_field,
    )?;
    if let Some(r) = &ft.recordings {
        // the run's own training files, scored again, flatter it: say so
        let canonical = |p: &std::path::Path| std::fs::canonicalize(p).ok();
        let trained: std::collections::HashSet<_> = crate::recordings::find_files(&r.paths)
            .map(|files| files.iter().filter_map(|p| canonical(p)).collect())
            .unwrap_or_default();
        let again = set
            .names
            .iter()
            .filter(|n| canonical(n).is_some_and(|c| trained.contains(&c)))
            .count();
        if again > 0 {
            eprintln!(
                "note: {again} of these {} recordings are among those `{}` was fine-tuned on: \
                 its training windows are scored too",
                set.names.len(),
                args.model.display()
            );
        }
    }
    let ids: Vec<usize> = (0..set.windows.len())
        .filter(|&i| set.windows[i].label.is_some())
        .collect();
    if ids.is_empty() {
        bail!("the recordings hold no labelled burst (core:label) to evaluate on");
    }
    let mut confusion = vec![vec![0u64; k]; k];
    // SNR in tenths of a dB (so equal values group, in ascending order) → (the SNR,
    // correct, examples)
    let mut by_snr: std::collections::BTreeMap<i64, (f64, u64, u64)> = Default::default();
    for chunk in ids.chunks(ft.batch_size.max(1)) {
        let batch = set.render(renderer, chunk, &[ft.target], threads)?;
        let pred = predict(&ft.model, batch.images::<Backend>(device)?)?;
        for ((p, l), snr) in pred.iter().zip(&batch.labels).zip(&batch.snr_db) {
            confusion[*l][(*p).min(k - 1)] += 1;
            if snr.is_finite() {
                // ordered by value: tenths of a dB as the key, the exact value kept
                let e = by_snr
                    .entry((snr * 10.0).round() as i64)
                    .or_insert((*snr, 0, 0));
                e.1 += u64::from(p == l);
                e.2 += 1;
            }
        }
    }
    let per_snr = by_snr
        .into_values()
        .map(|(snr_db, right, n)| SnrAccuracy {
            snr_db,
            accuracy: right as f64 / n as f64,
            examples: n,
        })
        .collect();
    Ok((per_snr, confusion))
}

/// The report as Markdown tables.
pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Evaluation of `{}`\n", r.model.display());
    let data = if r.recordings.is_empty() {
        format!("Test seed {}", r.test_seed)
    } else {
        let names: Vec<String> = r
            .recordings
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect();
        format!("Recordings {}", names.join(", "))
    };
    let _ = writeln!(
        s,
        "{data}; overall accuracy {:.1} %; mean over 0..10 dB {:.1} %.\n",
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
    let _ = writeln!(s, "\n| class | accuracy | examples |\n|---|---|---|");
    for (i, (name, row)) in r.classes.iter().zip(&r.confusion).enumerate() {
        let n: u64 = row.iter().sum();
        let right = row.get(i).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "| {name} | {:.1} % | {n} |",
            100.0 * right as f64 / n.max(1) as f64
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
    if let Some(rc) = &r.reconstruction {
        let _ = writeln!(
            s,
            "\n## Reconstruction by `{}` (clean target vs reconstruction; noisy input in brackets)\n",
            rc.autoencoder.display()
        );
        let names: Vec<&str> = rc.overall.iter().map(|q| q.modality.name()).collect();
        let _ = writeln!(
            s,
            "PSNR in dB / SSIM, mean over {} SNRs from {} to {} dB.\n",
            rc.snr_db.len(),
            rc.snr_db.first().copied().unwrap_or(f64::NAN),
            rc.snr_db.last().copied().unwrap_or(f64::NAN)
        );
        let _ = writeln!(
            s,
            "| class | {} |\n|---|{}",
            names.join(" | "),
            "---|".repeat(names.len())
        );
        let rows = rc
            .per_class
            .iter()
            .map(|c| (c.class.as_str(), &c.modalities))
            .chain(std::iter::once(("**all**", &rc.overall)));
        for (class, qs) in rows {
            let cells: Vec<String> = qs
                .iter()
                .map(|q| {
                    format!(
                        "{:.1} / {:.3} ({:.1} / {:.3})",
                        q.psnr_db, q.ssim, q.input_psnr_db, q.input_ssim
                    )
                })
                .collect();
            let _ = writeln!(s, "| {class} | {} |", cells.join(" | "));
        }
        if !rc.per_snr.is_empty() {
            let _ = writeln!(
                s,
                "\nPSNR by SNR, dB: reconstruction (noisy input), over all classes; **bold** \
                 where the reconstruction is the closer to the clean target.\n"
            );
            let _ = writeln!(
                s,
                "| SNR | {} |\n|---|{}",
                names.join(" | "),
                "---|".repeat(names.len())
            );
            for at in &rc.per_snr {
                let cells: Vec<String> = at
                    .modalities
                    .iter()
                    .map(|q| {
                        let r = format!("{:.1}", q.psnr_db);
                        let r = if q.psnr_db > q.input_psnr_db {
                            format!("**{r}**")
                        } else {
                            r
                        };
                        format!("{r} ({:.1})", q.input_psnr_db)
                    })
                    .collect();
                let _ = writeln!(s, "| {} dB | {} |", at.snr_db, cells.join(" | "));
            }
        }
    }
    s
}

/// The confusion matrix as an SVG heat map (rows: true class, columns: predicted; each
/// row's shading is its fraction of that class's examples).
pub fn confusion_svg(r: &Report) -> String {
    let k = r.classes.len();
    let (cell, left, top) = (34.0, 90.0, 90.0);
    let size = left + cell * k as f64 + 10.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"10\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        top + cell * k as f64 + 24.0
    );
    for (i, name) in r.classes.iter().enumerate() {
        let c = cell * i as f64 + cell / 2.0;
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{name}</text><text transform=\"translate({},{}) rotate(-60)\">{name}</text>",
            left - 4.0,
            top + c + 3.0,
            left + c + 3.0,
            top - 4.0
        );
    }
    for (i, row) in r.confusion.iter().enumerate() {
        let n = row.iter().sum::<u64>().max(1) as f64;
        for (j, &v) in row.iter().enumerate() {
            let f = v as f64 / n;
            let shade = (255.0 * (1.0 - f)).round() as u8;
            let (x, y) = (left + cell * j as f64, top + cell * i as f64);
            let ink = if f > 0.5 { "white" } else { "black" };
            let _ = writeln!(
                s,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"rgb({shade},{shade},255)\" stroke=\"#ccc\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{ink}\">{v}</text>",
                x + cell / 2.0,
                y + cell / 2.0 + 3.0
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">predicted →   (rows: true class)</text>\n</svg>",
        left + cell * k as f64 / 2.0,
        top + cell * k as f64 + 18.0
    );
    s
}

/// Accuracy against SNR as a small standalone SVG line plot (`model::plot`).
pub fn accuracy_svg(r: &Report) -> String {
    model::plot::report_svg(r, 480.0, 300.0)
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
