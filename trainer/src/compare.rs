//! `fipmae compare`: ViT from scratch, DenoMAE and FIP-DenoMAE at equal pretraining and
//! fine-tuning budgets over several seeds; one table (mean ± standard deviation per SNR) and
//! one plot with the three curves.
//!
//! With `--sweep KNOB=V1,V2,…` it instead runs FIP-DenoMAE once per value of one FIP knob
//! (`mask-target` = p_target, `depth-target` = L_target, `weight-target` = w_target), for
//! ablations, and draws one curve per value.
//!
//! Layout of `--out`: `seed-S/NAME-pre` (pretraining runs), `seed-S/NAME` (fine-tuning
//! runs), `seed-S/NAME-eval` (reports) for each variant NAME (`vit`, `denomae`, `fip`, or
//! `fip-KNOB-VALUE`), then `compare.json`, `compare.md`, `compare.svg`, and
//! `timings.jsonl` (wall time of every stage). `--resume` continues an interrupted
//! campaign: finished stages are kept, unfinished ones resume from their checkpoints.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use model::config::{MaskingStrategy, Method, Preset};
use model::Profile;
use serde::{Deserialize, Serialize};

use crate::fsutil::{append_line, create_dir, write_atomic};
use crate::knobs::{parse_decoder_depth, parse_loss_weight, parse_mask_ratio, parse_positive};
use crate::{args_from, eval, finetune, pretrain};

/// Options of `fipmae compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Size preset.
    #[arg(long, default_value = "small")]
    pub preset: Preset,
    /// Seeds (--first-seed .. --first-seed + K), each a full set of runs.
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// The first seed (to run seeds in separate processes into one --out, then merge
    /// with `--resume` over all of them).
    #[arg(long, default_value_t = 0)]
    pub first_seed: u64,
    /// The methods to compare, in table order (comma-separated: vit, denomae, fip).
    #[arg(long, value_delimiter = ',', default_value = "vit,denomae,fip")]
    pub methods: Vec<Method>,
    /// How the autoencoders choose visible patches: random, sbam or amr.
    #[arg(long, default_value = "random")]
    pub masking: MaskingStrategy,
    /// Generator definitions: `standard` or `denomae` (the DenoMAE reference generator).
    #[arg(long, default_value = "standard")]
    pub profile: Profile,
    /// Pretraining examples per epoch.
    #[arg(long, default_value_t = 10_000)]
    pub examples: u64,
    /// Pretraining epochs.
    #[arg(long, default_value_t = 10)]
    pub pretrain_epochs: usize,
    /// Labelled examples per class.
    #[arg(long, default_value_t = 100)]
    pub labels_per_class: u64,
    /// Fine-tuning epochs.
    #[arg(long, default_value_t = 30)]
    pub finetune_epochs: usize,
    /// Fine-tuning batch size.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Pretraining batch size (default: --batch-size).
    #[arg(long)]
    pub pretrain_batch_size: Option<usize>,
    /// Fine-tuning peak learning rate, finite and > 0.
    #[arg(long, default_value_t = 1e-3, value_parser = parse_positive)]
    pub lr: f64,
    /// Also measure each fine-tuned encoder's embeddings (`eval --embeddings`: t-SNE plot
    /// and k-NN accuracy; the table gets a k-NN row).
    #[arg(long)]
    pub embeddings: bool,
    /// Rendering threads per stage (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Test examples per (class, SNR).
    #[arg(long, default_value_t = 20)]
    pub per_class: u64,
    /// Ablation instead of the three methods: `KNOB=V1,V2,…` with KNOB one of mask-target
    /// (p_target), depth-target (L_target), weight-target (w_target); one FIP-DenoMAE run
    /// per value.
    #[arg(long)]
    pub sweep: Option<Sweep>,
    /// The method a sweep changes one knob of: `fip` (default; the other knobs stay at
    /// FIP's values) or `denomae` (each FIP knob alone on top of DenoMAE).
    #[arg(long, default_value = "fip")]
    pub sweep_base: Method,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Continue a campaign in --out: finished runs are kept (their reports read back),
    /// unfinished ones resume from their checkpoints, missing ones start.
    #[arg(long)]
    pub resume: bool,
    /// Train nothing: build the tables from the reports already in --out (runs without
    /// one are left out; each method's table says how many seeds it has).
    #[arg(long, conflicts_with = "resume")]
    pub collect: bool,
}

/// One line of `timings.jsonl`: how long a stage of one run took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Seed.
    pub seed: u64,
    /// Variant (`vit`, `denomae`, `fip`, `fip-KNOB-VALUE`).
    pub variant: String,
    /// `pretrain`, `finetune` or `eval`.
    pub stage: String,
    /// Wall time, seconds (of this sitting, for a resumed stage).
    pub seconds: f64,
}

/// A FIP knob `compare --sweep` varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Knob {
    /// p_target, the target modality's mask ratio.
    MaskTarget,
    /// L_target, the target decoder's depth.
    DepthTarget,
    /// w_target, the target loss weight.
    WeightTarget,
}

impl Knob {
    /// The flag-style name (`mask-target`, …).
    pub fn name(self) -> &'static str {
        match self {
            Knob::MaskTarget => "mask-target",
            Knob::DepthTarget => "depth-target",
            Knob::WeightTarget => "weight-target",
        }
    }
}

/// `--sweep KNOB=V1,V2,…`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The knob.
    pub knob: Knob,
    /// Its values, in order.
    pub values: Vec<f64>,
}

impl std::str::FromStr for Sweep {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, list) = s.split_once('=').ok_or_else(|| {
            format!("`{s}`: expected KNOB=V1,V2,… (e.g. mask-target=0.5,0.75,0.9)")
        })?;
        let knob = match name {
            "mask-target" | "p_target" => Knob::MaskTarget,
            "depth-target" | "L_target" => Knob::DepthTarget,
            "weight-target" | "w_target" => Knob::WeightTarget,
            other => {
                return Err(format!(
                    "unknown knob `{other}` (expected mask-target, depth-target or weight-target)"
                ))
            }
        };
        let values = list
            .split(',')
            .map(|v| {
                match knob {
                    Knob::MaskTarget => parse_mask_ratio(v),
                    Knob::DepthTarget => parse_decoder_depth(v).map(|d| d as f64),
                    Knob::WeightTarget => parse_loss_weight(v),
                }
                .map_err(|e| format!("{name}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { knob, values })
    }
}

/// One line of the comparison: a method, and for sweeps one knob setting.
#[derive(Debug, Clone, PartialEq)]
struct Variant {
    name: String,
    method: Method,
    knob: Option<(Knob, f64)>,
}

impl CompareArgs {
    fn variants(&self) -> Vec<Variant> {
        match &self.sweep {
            None => self
                .methods
                .iter()
                .map(|&m| Variant {
                    name: format!("{m:?}").to_lowercase(),
                    method: m,
                    knob: None,
                })
                .collect(),
            Some(sw) => sw
                .values
                .iter()
                .map(|&v| Variant {
                    name: format!(
                        "{}-{}-{v}",
                        format!("{:?}", self.sweep_base).to_lowercase(),
                        sw.knob.name()
                    ),
                    method: self.sweep_base,
                    knob: Some((sw.knob, v)),
                })
                .collect(),
        }
    }
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
    /// Mean over 0..10 dB, per seed.
    pub mean_0_to_10_db: Vec<f64>,
    /// Accuracy over all test examples, per seed.
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

/// Runs one stage and appends its wall time to `timings` (`timings.jsonl`).
fn timed<T>(
    timings: &std::path::Path,
    seed: u64,
    variant: &str,
    stage: &str,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let t = std::time::Instant::now();
    let out = f()?;
    let line = Timing {
        seed,
        variant: variant.to_string(),
        stage: stage.to_string(),
        seconds: t.elapsed().as_secs_f64(),
    };
    append_line(timings, &serde_json::to_string(&line)?)?;
    Ok(out)
}

/// Runs every method for every seed and writes the comparison. With `--resume`, a stage
/// whose folder already holds a run continues it (a finished one ends at once) and an
/// evaluation whose report exists is read back, so a campaign longer than one sitting
/// finishes over several.
pub fn run(args: &CompareArgs) -> Result<Vec<Curve>> {
    if args.sweep.is_some() && args.sweep_base == Method::Vit {
        anyhow::bail!("--sweep-base must be fip or denomae: a ViT from scratch has no FIP knobs");
    }
    let variants = args.variants();
    let mut names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() != variants.len() || variants.is_empty() {
        anyhow::bail!(
            "each method (--methods) or knob value (--sweep) may appear at most once, and at least one is needed"
        );
    }
    create_dir(&args.out)?;
    let timings = args.out.join("timings.jsonl");
    let mut reports: Vec<Vec<eval::Report>> = vec![Vec::new(); variants.len()];
    for seed in args.first_seed..args.first_seed + args.seeds {
        let dir = args.out.join(format!("seed-{seed}"));
        for (k, v) in variants.iter().enumerate() {
            let name = &v.name;
            let eval_dir = dir.join(format!("{name}-eval"));
            let report_path = eval_dir.join("report.json");
            if (args.resume || args.collect) && report_path.exists() {
                // The report is the run's end product: its weights need not be here (a
                // campaign run elsewhere brings back its reports only).
                reports[k].push(eval::read_report(&eval_dir)?);
                continue;
            }
            if args.collect {
                continue;
            }
            let pretrained = if v.method == Method::Vit {
                None
            } else {
                let pre = dir.join(format!("{name}-pre"));
                let mut a: pretrain::PretrainArgs = args_from(&["--out", &pre.to_string_lossy()])?;
                a.preset = args.preset;
                a.method = v.method;
                a.examples = args.examples;
                a.val_examples = (args.examples / 20).max(1);
                a.epochs = args.pretrain_epochs;
                a.batch_size = args.pretrain_batch_size.unwrap_or(args.batch_size);
                a.profile = args.profile;
                a.masking = args.masking;
                a.threads = args.threads;
                a.seed = seed;
                a.resume = args.resume && pre.join("run.json").exists();
                match v.knob {
                    Some((Knob::MaskTarget, x)) => a.knobs.mask_target = Some(x),
                    Some((Knob::DepthTarget, x)) => a.knobs.depth_target = Some(x as usize),
                    Some((Knob::WeightTarget, x)) => a.knobs.weight_target = Some(x),
                    None => {}
                }
                timed(&timings, seed, name, "pretrain", || pretrain::run(&a))?;
                Some(pre)
            };
            let ft = dir.join(name);
            let mut f: finetune::FinetuneArgs = args_from(&["--out", &ft.to_string_lossy()])?;
            f.method = pretrained.is_none().then_some(Method::Vit);
            f.pretrained = pretrained;
            f.preset = args.preset;
            f.labels_per_class = args.labels_per_class;
            f.val_per_class = (args.labels_per_class / 5).max(1);
            f.epochs = args.finetune_epochs;
            f.batch_size = args.batch_size;
            f.lr = args.lr;
            f.profile = Some(args.profile);
            f.threads = args.threads;
            f.seed = seed;
            f.resume = args.resume && ft.join("run.json").exists();
            timed(&timings, seed, name, "finetune", || finetune::run(&f))?;
            let mut e: eval::EvalArgs = args_from(&[
                "--model",
                &ft.to_string_lossy(),
                "--out",
                &eval_dir.to_string_lossy(),
            ])?;
            e.per_class = args.per_class;
            e.threads = args.threads;
            e.embeddings = args.embeddings;
            reports[k].push(timed(&timings, seed, name, "eval", || eval::run(&e))?);
        }
    }
    let curves: Vec<Curve> = variants
        .iter()
        .zip(&reports)
        .map(|(m, rs)| {
            let snr_db: Vec<f64> = rs
                .first()
                .map_or(Vec::new(), |r| r.per_snr.iter().map(|a| a.snr_db).collect());
            let (mean, std) = (0..snr_db.len())
                .map(|i| stats(&rs.iter().map(|r| r.per_snr[i].accuracy).collect::<Vec<_>>()))
                .unzip();
            Curve {
                method: m.name.clone(),
                snr_db,
                mean,
                std,
                mean_0_to_10_db: rs.iter().map(|r| r.mean_0_to_10_db).collect(),
                overall: rs.iter().map(|r| r.overall).collect(),
                knn_accuracy: rs
                    .iter()
                    .filter_map(|r| r.embeddings.as_ref().map(|e| e.knn_accuracy))
                    .collect(),
            }
        })
        .filter(|c: &Curve| !c.mean_0_to_10_db.is_empty())
        .collect();
    if curves.is_empty() {
        anyhow::bail!("no finished run in `{}` to compare", args.out.display());
    }
    write_atomic(
        &args.out.join("compare.json"),
        &serde_json::to_vec_pretty(&curves)?,
    )?;
    write_atomic(
        &args.out.join("compare.md"),
        markdown(&curves, args).as_bytes(),
    )?;
    write_atomic(&args.out.join("compare.svg"), svg(&curves).as_bytes())?;
    Ok(curves)
}

/// The comparison as a Markdown table (accuracy in %, mean ± standard deviation).
pub fn markdown(curves: &[Curve], args: &CompareArgs) -> String {
    let title = match &args.sweep {
        Some(sw) => format!("{:?} ablation over {}", args.sweep_base, sw.knob.name()),
        None => "Method comparison".to_string(),
    };
    let mut s = format!(
        "# {} ({:?} preset, {} profile, {:?} masking, {} seed(s), {} pretraining examples × {} epochs, {} labels/class × {} epochs)\n\n",
        title, args.preset, args.profile, args.masking, args.seeds, args.examples, args.pretrain_epochs, args.labels_per_class, args.finetune_epochs
    );
    let names: Vec<String> = curves
        .iter()
        .map(|c| format!("{} (n = {})", c.method, c.mean_0_to_10_db.len()))
        .collect();
    let _ = writeln!(
        s,
        "| SNR (dB) | {} |\n|---|{}",
        names.join(" | "),
        "---|".repeat(names.len())
    );
    let rows = curves.first().map_or(0, |c| c.snr_db.len());
    for i in 0..rows {
        let cells: Vec<String> = curves
            .iter()
            .map(|c| format!("{:.1} ± {:.1}", 100.0 * c.mean[i], 100.0 * c.std[i]))
            .collect();
        let _ = writeln!(s, "| {} | {} |", curves[0].snr_db[i], cells.join(" | "));
    }
    let cells: Vec<String> = curves
        .iter()
        .map(|c| {
            let (m, d) = stats(&c.mean_0_to_10_db);
            format!("{:.1} ± {:.1}", 100.0 * m, 100.0 * d)
        })
        .collect();
    let _ = writeln!(s, "| mean 0..10 | {} |", cells.join(" | "));
    let cells: Vec<String> = curves
        .iter()
        .map(|c| {
            let (m, d) = stats(&c.overall);
            format!("{:.1} ± {:.1}", 100.0 * m, 100.0 * d)
        })
        .collect();
    let _ = writeln!(s, "| overall | {} |", cells.join(" | "));
    if curves.iter().any(|c| !c.knn_accuracy.is_empty()) {
        let cells: Vec<String> = curves
            .iter()
            .map(|c| {
                let (m, d) = stats(&c.knn_accuracy);
                format!("{:.1} ± {:.1}", 100.0 * m, 100.0 * d)
            })
            .collect();
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

/// Runs `fipmae compare` and prints the table.
pub fn main(args: &CompareArgs) -> Result<()> {
    let curves = run(args)?;
    print!("{}", markdown(&curves, args));
    Ok(())
}
