//! The comparison's table and plot: each variant's accuracy curve over seeds (mean ±
//! standard deviation per SNR) from the finished evaluations, as Markdown and SVG.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{CompareArgs, EncoderMode, Protocol};
use crate::eval;

/// One finished evaluation of a comparison: its seed, its SNR under the per-SNR protocol,
/// and its report.
pub(super) struct Cell {
    /// The seed.
    pub(super) seed: u64,
    /// The SNR it was fine-tuned and tested at, under the per-SNR protocol.
    pub(super) snr_db: Option<i32>,
    /// Its report.
    pub(super) report: eval::Report,
}

/// One method's accuracy per SNR over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Method name.
    pub method: String,
    /// SNRs, dB.
    pub snr_db: Vec<f64>,
    /// Mean accuracy per SNR over seeds.
    pub mean: Vec<f64>,
    /// Standard deviation per SNR over seeds (0 for one seed).
    pub std: Vec<f64>,
    /// Seeds behind each SNR's mean (per-SNR campaigns may be partly done).
    #[serde(default)]
    pub n: Vec<usize>,
    /// Mean over 0..10 dB, per seed (per-SNR protocol: the seeds with every SNR of
    /// `--snrs` in 0..10 dB done, if there is one).
    pub mean_0_to_10_db: Vec<f64>,
    /// Accuracy over all test examples, per seed (per-SNR protocol: the mean over the
    /// SNRs, seeds with all of them done).
    #[serde(default)]
    pub overall: Vec<f64>,
    /// k-NN accuracy on the test embeddings, per seed that measured it.
    #[serde(default)]
    pub knn_accuracy: Vec<f64>,
}

fn stats(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, if values.len() > 1 { var.sqrt() } else { 0.0 })
}

/// The mixed protocol's curve: each seed's report holds every SNR.
pub(super) fn mixed_curve(name: &str, cells: &[Cell]) -> Curve {
    let snr_db: Vec<f64> = cells.first().map_or(Vec::new(), |c| {
        c.report.per_snr.iter().map(|a| a.snr_db).collect()
    });
    let (mean, std) = (0..snr_db.len())
        .map(|i| {
            stats(
                &cells
                    .iter()
                    .map(|c| c.report.per_snr[i].accuracy)
                    .collect::<Vec<_>>(),
            )
        })
        .unzip();
    Curve {
        method: name.to_string(),
        n: vec![cells.len(); snr_db.len()],
        snr_db,
        mean,
        std,
        mean_0_to_10_db: cells.iter().map(|c| c.report.mean_0_to_10_db).collect(),
        overall: cells.iter().map(|c| c.report.overall).collect(),
        knn_accuracy: cells
            .iter()
            .filter_map(|c| c.report.embeddings.as_ref().map(|e| e.knn_accuracy))
            .collect(),
    }
}

/// The per-SNR protocol's curve: one report per (seed, SNR), each at its SNR alone. SNRs
/// with no finished cell are left out; a seed counts in the 0..10 dB mean and the overall
/// only once it has every SNR they take.
pub(super) fn per_snr_curve(name: &str, done: &[Cell], cells: &[Option<i32>]) -> Curve {
    let snrs: Vec<i32> = cells.iter().flatten().copied().collect();
    let mut seeds: Vec<u64> = done.iter().map(|c| c.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    let accuracy = |seed: u64, snr: i32| {
        done.iter()
            .find(|c| c.seed == seed && c.snr_db == Some(snr))
            .map(|c| c.report.overall)
    };
    let mut curve = Curve {
        method: name.to_string(),
        snr_db: Vec::new(),
        mean: Vec::new(),
        std: Vec::new(),
        n: Vec::new(),
        mean_0_to_10_db: Vec::new(),
        overall: Vec::new(),
        knn_accuracy: Vec::new(),
    };
    for &snr in &snrs {
        let values: Vec<f64> = seeds.iter().filter_map(|&s| accuracy(s, snr)).collect();
        if values.is_empty() {
            continue;
        }
        let (m, d) = stats(&values);
        curve.snr_db.push(f64::from(snr));
        curve.mean.push(m);
        curve.std.push(d);
        curve.n.push(values.len());
    }
    // the mean of one seed's accuracies over `over`, if it has all of them
    let seed_mean = |seed: u64, over: &[i32]| -> Option<f64> {
        let v: Option<Vec<f64>> = over.iter().map(|&s| accuracy(seed, s)).collect();
        v.filter(|v| !v.is_empty())
            .map(|v| v.iter().sum::<f64>() / v.len() as f64)
    };
    let upper: Vec<i32> = snrs
        .iter()
        .copied()
        .filter(|s| (0..=10).contains(s))
        .collect();
    for &seed in &seeds {
        curve.mean_0_to_10_db.extend(seed_mean(seed, &upper));
        curve.overall.extend(seed_mean(seed, &snrs));
    }
    curve
}

/// `mean ± std` of `values` in %, or `–` when there are none.
fn percent(values: &[f64]) -> String {
    if values.is_empty() {
        return "–".to_string();
    }
    let (m, d) = stats(values);
    format!("{:.1} ± {:.1}", 100.0 * m, 100.0 * d)
}

/// The comparison as a Markdown table (accuracy in %, mean ± standard deviation over
/// seeds; a cell with fewer seeds than its column's n says how many).
pub fn markdown(curves: &[Curve], args: &CompareArgs) -> String {
    let title = match &args.sweep {
        Some(sw) => format!("{:?} ablation over {}", args.sweep_base, sw.knob.name()),
        None => "Method comparison".to_string(),
    };
    let mut s = format!(
        "# {} ({} protocol, {:?} preset, {} profile, {:?} masking, {} seed(s), {} pretraining examples × {} epochs, {} labels/class × {} epochs)\n\n",
        title, args.protocol.name(), args.preset, args.profile, args.masking, args.seeds, args.examples, args.pretrain_epochs, args.labels_per_class, args.finetune_epochs
    );
    let per_class = args.per_class();
    let _ = writeln!(
        s,
        "{}\n",
        match args.protocol {
            Protocol::Mixed => format!(
                "Protocol `mixed`: one classifier per method and seed, fine-tuned on labels with \
                 SNR ~ U[−10, 10] dB, tested on {per_class} examples per class at each SNR."
            ),
            Protocol::PerSnr => format!(
                "Protocol `per-snr` (the DenoMAE reference's): one classifier per method, seed \
                 and SNR, fine-tuned and validated on labels at that SNR alone and tested on \
                 {per_class} examples per class at it; pretraining shared by every SNR."
            ),
        }
    );
    if args.encoder.contains(&EncoderMode::Frozen) {
        let _ = writeln!(
            s,
            "Rows ending in `-frozen` fine-tune the head alone on a frozen pretrained encoder; \
             a ViT from scratch is always trained in full.\n"
        );
    }
    let seeds_of = |c: &Curve| c.n.iter().copied().max().unwrap_or(0);
    let names: Vec<String> = curves
        .iter()
        .map(|c| format!("{} (n = {})", c.method, seeds_of(c)))
        .collect();
    let _ = writeln!(
        s,
        "| SNR (dB) | {} |\n|---|{}",
        names.join(" | "),
        "---|".repeat(names.len())
    );
    // every SNR any curve has, in order
    let mut snrs: Vec<f64> = curves.iter().flat_map(|c| c.snr_db.clone()).collect();
    snrs.sort_by(f64::total_cmp);
    snrs.dedup();
    for snr in snrs {
        let cells: Vec<String> = curves
            .iter()
            .map(|c| match c.snr_db.iter().position(|&x| x == snr) {
                None => "–".to_string(),
                Some(i) => {
                    let n = c.n.get(i).copied().unwrap_or(0);
                    let cell = format!("{:.1} ± {:.1}", 100.0 * c.mean[i], 100.0 * c.std[i]);
                    if n == seeds_of(c) {
                        cell
                    } else {
                        format!("{cell} (n = {n})")
                    }
                }
            })
            .collect();
        let _ = writeln!(s, "| {} | {} |", snr, cells.join(" | "));
    }
    let cells: Vec<String> = curves.iter().map(|c| percent(&c.mean_0_to_10_db)).collect();
    let _ = writeln!(s, "| mean 0..10 | {} |", cells.join(" | "));
    let cells: Vec<String> = curves.iter().map(|c| percent(&c.overall)).collect();
    let overall = match args.protocol {
        Protocol::Mixed => "overall",
        Protocol::PerSnr => "mean over the SNRs",
    };
    let _ = writeln!(s, "| {overall} | {} |", cells.join(" | "));
    if curves.iter().any(|c| !c.knn_accuracy.is_empty()) {
        let cells: Vec<String> = curves.iter().map(|c| percent(&c.knn_accuracy)).collect();
        let _ = writeln!(s, "| k-NN on embeddings (≥ 0 dB) | {} |", cells.join(" | "));
    }
    s
}

/// The accuracy curves (one per method or knob value) in one SVG plot (`model::plot`).
pub fn svg(curves: &[Curve]) -> String {
    let lines: Vec<model::plot::Curve<'_>> = curves
        .iter()
        .map(|c| model::plot::Curve {
            label: &c.method,
            snr_db: &c.snr_db,
            accuracy: &c.mean,
        })
        .collect();
    model::plot::accuracy_svg(&lines, 520.0, 320.0)
}
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn cell(seed: u64, snr: i32, accuracy: f64) -> Cell {
        Cell {
            seed,
            snr_db: Some(snr),
            report: eval::Report {
                model: PathBuf::new(),
                classes: vec!["a".into(), "b".into()],
                recordings: Vec::new(),
                test_seed: 0,
                per_snr: vec![eval::SnrAccuracy {
                    snr_db: f64::from(snr),
                    accuracy,
                    examples: 2,
                    per_class: Vec::new(),
                }],
                mean_0_to_10_db: f64::NAN,
                overall: accuracy,
                confusion: vec![vec![1, 0], vec![0, 1]],
                reconstruction: None,
                embeddings: None,
            },
        }
    }

    #[test]
    fn per_snr_curve_counts_seeds_per_cell_and_averages_complete_seeds_only() {
        let cells = [Some(-10), Some(0), Some(10)];
        // seed 0 has every SNR, seed 1 lacks 10 dB, seed 2 has only −10 dB
        let done = [
            cell(0, -10, 0.5),
            cell(0, 0, 0.7),
            cell(0, 10, 0.9),
            cell(1, -10, 0.3),
            cell(1, 0, 0.5),
            cell(2, -10, 0.4),
        ];
        let c = per_snr_curve("fip", &done, &cells);
        assert_eq!(c.snr_db, vec![-10.0, 0.0, 10.0]);
        assert_eq!(c.n, vec![3, 2, 1]);
        assert!((c.mean[0] - 0.4).abs() < 1e-12 && (c.std[0] - 0.1).abs() < 1e-12);
        assert!((c.mean[1] - 0.6).abs() < 1e-12);
        assert_eq!(c.std[2], 0.0);
        // only seed 0 has all of 0 and 10 dB, and all three SNRs
        assert_eq!(c.mean_0_to_10_db.len(), 1);
        assert!((c.mean_0_to_10_db[0] - 0.8).abs() < 1e-12);
        assert!((c.overall[0] - 0.7).abs() < 1e-12 && c.overall.len() == 1);
        // an SNR nobody finished is left out, and no SNR in 0..10 dB means no such mean
        let c = per_snr_curve("fip", &done[3..4], &[Some(-10), Some(-5)]);
        assert_eq!((c.snr_db, c.n), (vec![-10.0], vec![1]));
        assert!(c.mean_0_to_10_db.is_empty() && c.overall.is_empty());
    }
}
