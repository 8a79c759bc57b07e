//! The report: its numbers gathered ([`build`]) and its files written ([`write`]):
//! `report.json`, Markdown tables, the confusion matrix and the accuracy curve as SVG.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use model::report::{EmbeddingReport, ReconReport};

use super::{EvalArgs, Report, SnrAccuracy};
use crate::fsutil::{create_dir, write_atomic};

/// A file of the report's folder: its name and its bytes.
pub(super) type NamedFile = (String, Vec<u8>);

/// The report of a measurement: overall accuracy and the mean over 0..10 dB from
/// `per_snr` and `confusion`, with what `args` evaluated on.
pub(super) fn build(
    args: &EvalArgs,
    classes: Vec<String>,
    per_snr: Vec<SnrAccuracy>,
    confusion: Vec<Vec<u64>>,
    reconstruction: Option<ReconReport>,
    embeddings: Option<EmbeddingReport>,
) -> Report {
    let upper: Vec<f64> = per_snr
        .iter()
        .filter(|a| (0.0..=10.0).contains(&a.snr_db))
        .map(|a| a.accuracy)
        .collect();
    let total: u64 = confusion.iter().flatten().sum();
    let right: u64 = confusion
        .iter()
        .enumerate()
        .map(|(i, row)| row.get(i).copied().unwrap_or(0))
        .sum();
    Report {
        model: args.model.clone(),
        classes,
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
        embeddings,
    }
}

/// Writes the report's files into `out` (created): the `extra` files (`tsne.svg`,
/// `embeddings.csv`, `openset.json`, `openset.md`) when measured, `confusion.svg`, the reconstruction `pictures`,
/// `report.json`, `report.md` and `accuracy.svg`, each atomically.
pub(super) fn write(
    out: &Path,
    report: &Report,
    extra: &[NamedFile],
    pictures: &[NamedFile],
) -> Result<()> {
    create_dir(out)?;
    for (name, bytes) in extra {
        write_atomic(&out.join(name), bytes)?;
    }
    write_atomic(&out.join("confusion.svg"), confusion_svg(report).as_bytes())?;
    for (name, bytes) in pictures {
        write_atomic(&out.join(name), bytes)?;
    }
    write_atomic(
        &out.join("report.json"),
        &serde_json::to_vec_pretty(report)?,
    )?;
    write_atomic(&out.join("report.md"), markdown(report).as_bytes())?;
    write_atomic(&out.join("accuracy.svg"), accuracy_svg(report).as_bytes())?;
    Ok(())
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
    per_class_markdown(&mut s, r);
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
        reconstruction_markdown(&mut s, rc);
    }
    s
}

/// Accuracy per class at each SNR (rows: SNR, columns: classes), when the report holds it.
fn per_class_markdown(s: &mut String, r: &Report) {
    if r.per_snr.iter().all(|a| a.per_class.is_empty()) {
        return;
    }
    let _ = writeln!(s, "\n## Accuracy per class at each SNR (%)\n");
    let _ = writeln!(
        s,
        "| SNR (dB) | {} |\n|---|{}",
        r.classes.join(" | "),
        "---|".repeat(r.classes.len())
    );
    for a in &r.per_snr {
        let cells: Vec<String> = (0..r.classes.len())
            .map(|i| match a.per_class.get(i).copied().flatten() {
                Some(v) => format!("{:.1}", 100.0 * v),
                None => "—".into(),
            })
            .collect();
        let _ = writeln!(s, "| {} | {} |", a.snr_db, cells.join(" | "));
    }
}

/// The reconstruction part of the Markdown report: PSNR / SSIM per class and modality
/// (noisy input in brackets), then PSNR per SNR.
fn reconstruction_markdown(s: &mut String, rc: &ReconReport) {
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
