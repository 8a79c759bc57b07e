//! `fipmae compare`: ViT from scratch, DenoMAE and FIP-DenoMAE at equal pretraining and
//! fine-tuning budgets over several seeds; one table (mean ± standard deviation per SNR) and
//! one plot with the three curves.
//!
//! With `--sweep KNOB=V1,V2,…` it instead runs FIP-DenoMAE once per value of one FIP knob
//! (`mask-target` = p_target, `depth-target` = L_target, `weight-target` = w_target), for
//! ablations, and draws one curve per value.
//!
//! Two protocols (`--protocol`), named in every table:
//! - `mixed`: one classifier per (method, seed), fine-tuned on labels with SNR ~ U[−10, 10]
//!   dB and tested at every SNR of −10..10 dB;
//! - `per-snr` (the public DenoMAE code's): one classifier per (method, seed, SNR of
//!   `--snrs`), fine-tuned, validated and tested at that SNR alone. Pretraining runs once
//!   per (method, seed) and is shared by every SNR.
//!
//! `--encoder full,frozen` adds, for each pretrained method, a row fine-tuned with the
//! encoder frozen (the head alone trains, as in the reference); both share the pretraining.
//!
//! Layout of `--out`: `seed-S/NAME-pre` (pretraining runs), `seed-S/NAME` (fine-tuning
//! runs), `seed-S/NAME-eval` (reports) for each variant NAME (`vit`, `denomae`, `fip`,
//! `fip-KNOB-VALUE`, each with `-frozen` for a frozen encoder); under `per-snr` the
//! fine-tuning runs and reports are in `seed-S/snr_XdB/` per SNR X. Then `compare.json`,
//! `compare.md`, `compare.svg`, and `timings.jsonl` (wall time of every stage). `--resume`
//! continues an interrupted campaign: finished stages are kept, unfinished ones resume
//! from their checkpoints.

mod table;

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use model::config::{MaskingStrategy, Method, Preset};
use model::Profile;
use serde::{Deserialize, Serialize};

use crate::flags::{
    parse_decoder_depth, parse_loss_weight, parse_mask_ratio, parse_positive, parse_snr_db_whole,
};
use crate::fsutil::{append_line, create_dir, write_atomic};
use crate::{args_from, eval, finetune, pretrain};
pub use table::{markdown, svg, Curve};
use table::{mixed_curve, per_snr_curve, Cell};

/// How labelled and test examples are drawn over SNR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// One classifier per (method, seed) on labels with SNR ~ U[−10, 10] dB, tested at
    /// every SNR of −10..10 dB.
    Mixed,
    /// One classifier per (method, seed, SNR): labels, validation and test at that SNR
    /// alone (the public DenoMAE code's protocol).
    PerSnr,
}

impl Protocol {
    /// The flag's spelling (`mixed`, `per-snr`).
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Mixed => "mixed",
            Protocol::PerSnr => "per-snr",
        }
    }
}

/// What fine-tuning does with a pretrained encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EncoderMode {
    /// Trained with the head.
    Full,
    /// Frozen: the head alone trains (the reference's fine-tuning).
    Frozen,
}

/// The SNRs of `--protocol per-snr` unless `--snrs` says otherwise: −10..10 dB in 1 dB steps.
pub const DEFAULT_PER_SNR: std::ops::RangeInclusive<i32> = -10..=10;

/// Test examples per (class, SNR) unless `--per-class` says otherwise: (mixed, per-snr).
pub const DEFAULT_PER_CLASS: (u64, u64) = (20, 100);

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
    /// `mixed`: one classifier per method and seed on labels over −10..10 dB, tested at
    /// every SNR; `per-snr`: one per method, seed and SNR of --snrs, with labels,
    /// validation and test at that SNR alone (the DenoMAE reference's protocol).
    #[arg(long, value_enum, default_value = "mixed")]
    pub protocol: Protocol,
    /// SNRs of `--protocol per-snr`, whole dB, comma-separated (default −10..10 in 1 dB
    /// steps); write `--snrs=-10,0,10` so the leading minus is not read as a flag.
    #[arg(long, value_delimiter = ',', value_parser = parse_snr_db_whole, allow_hyphen_values = true)]
    pub snrs: Option<Vec<i32>>,
    /// Fine-tuning of a pretrained encoder, comma-separated: `full` (trained with the
    /// head), `frozen` (head only, as the reference), or both (one row each, sharing the
    /// pretraining; a ViT from scratch is always trained in full).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "full")]
    pub encoder: Vec<EncoderMode>,
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
    /// Test examples per (class, SNR) (default 20 with `--protocol mixed`, 100 with
    /// `per-snr`, as the measurements).
    #[arg(long)]
    pub per_class: Option<u64>,
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
    /// The SNR of a per-SNR fine-tuning or evaluation, dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snr_db: Option<i32>,
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

/// One line of the comparison: a method, for sweeps one knob setting, and whether the
/// encoder is frozen at fine-tuning.
#[derive(Debug, Clone, PartialEq)]
struct Variant {
    /// Row and folder name (`fip`, `fip-frozen`, `fip-mask-target-0.9`, …).
    name: String,
    /// Name of its pretraining (`NAME-pre`), shared by the full and frozen rows.
    pretraining: String,
    method: Method,
    knob: Option<(Knob, f64)>,
    frozen: bool,
}

impl CompareArgs {
    fn variants(&self) -> Vec<Variant> {
        // (name, method, the swept knob's value)
        type Base = (String, Method, Option<(Knob, f64)>);
        let bases: Vec<Base> = match &self.sweep {
            None => self
                .methods
                .iter()
                .map(|&m| (format!("{m:?}").to_lowercase(), m, None))
                .collect(),
            Some(sw) => sw
                .values
                .iter()
                .map(|&v| {
                    let base = format!("{:?}", self.sweep_base).to_lowercase();
                    (
                        format!("{base}-{}-{v}", sw.knob.name()),
                        self.sweep_base,
                        Some((sw.knob, v)),
                    )
                })
                .collect(),
        };
        let mut modes = self.encoder.clone();
        modes.dedup();
        modes
            .iter()
            .flat_map(|&mode| {
                let frozen = mode == EncoderMode::Frozen;
                bases
                    .iter()
                    // a ViT from scratch has no pretrained encoder to freeze
                    .filter(move |(_, m, _)| !(frozen && *m == Method::Vit))
                    .map(move |(name, method, knob)| Variant {
                        name: if frozen {
                            format!("{name}-frozen")
                        } else {
                            name.clone()
                        },
                        pretraining: name.clone(),
                        method: *method,
                        knob: *knob,
                        frozen,
                    })
            })
            .collect()
    }

    /// The SNR of each fine-tuning of one (variant, seed): `None` for the mixed protocol's
    /// one classifier, else each SNR of `--snrs`.
    fn cells(&self) -> Vec<Option<i32>> {
        match self.protocol {
            Protocol::Mixed => vec![None],
            Protocol::PerSnr => self
                .snrs
                .clone()
                .unwrap_or_else(|| DEFAULT_PER_SNR.collect())
                .into_iter()
                .map(Some)
                .collect(),
        }
    }

    /// Test examples per (class, SNR).
    fn per_class(&self) -> u64 {
        self.per_class.unwrap_or(match self.protocol {
            Protocol::Mixed => DEFAULT_PER_CLASS.0,
            Protocol::PerSnr => DEFAULT_PER_CLASS.1,
        })
    }
}

/// The folder of one SNR's runs under the per-SNR protocol (`snr_-10dB`, `snr_5dB`).
pub fn snr_folder(snr_db: i32) -> String {
    format!("snr_{snr_db}dB")
}

/// Runs one stage and appends its wall time to `timings` (`timings.jsonl`).
fn timed<T>(
    timings: &std::path::Path,
    seed: u64,
    variant: &str,
    stage: &str,
    snr_db: Option<i32>,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let t = std::time::Instant::now();
    let out = f()?;
    let line = Timing {
        seed,
        variant: variant.to_string(),
        stage: stage.to_string(),
        seconds: t.elapsed().as_secs_f64(),
        snr_db,
    };
    append_line(timings, &serde_json::to_string(&line)?)?;
    Ok(out)
}

/// Runs every method for every seed (and, per-SNR, every SNR) and writes the comparison.
/// With `--resume`, a stage whose folder already holds a run continues it (a finished one
/// ends at once) and an evaluation whose report exists is read back, so a campaign longer
/// than one sitting finishes over several.
pub fn run(args: &CompareArgs) -> Result<Vec<Curve>> {
    if args.sweep.is_some() && args.sweep_base == Method::Vit {
        anyhow::bail!("--sweep-base must be fip or denomae: a ViT from scratch has no FIP knobs");
    }
    if args.protocol == Protocol::Mixed && args.snrs.is_some() {
        anyhow::bail!(
            "--snrs sets the SNRs of --protocol per-snr; the mixed protocol trains on −10..10 dB \
             and tests at every SNR of it"
        );
    }
    if args.protocol == Protocol::PerSnr && args.embeddings {
        anyhow::bail!("--embeddings is implemented for --protocol mixed only");
    }
    if args.per_class == Some(0) {
        anyhow::bail!("--per-class must be at least 1");
    }
    let cells = args.cells();
    let mut snrs: Vec<Option<i32>> = cells.clone();
    snrs.sort_unstable();
    snrs.dedup();
    if snrs.len() != cells.len() || cells.is_empty() {
        anyhow::bail!("each SNR of --snrs may appear at most once, and at least one is needed");
    }
    let variants = args.variants();
    let mut names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() != variants.len() || variants.is_empty() {
        anyhow::bail!(
            "each method (--methods) or knob value (--sweep) may appear at most once, and at \
             least one is needed (a ViT from scratch has no --encoder frozen row)"
        );
    }
    create_dir(&args.out)?;
    let timings = args.out.join("timings.jsonl");
    let mut done: Vec<Vec<Cell>> = (0..variants.len()).map(|_| Vec::new()).collect();
    for seed in args.first_seed..args.first_seed + args.seeds {
        let dir = args.out.join(format!("seed-{seed}"));
        // pretrainings run (or resumed) by this process, shared by full and frozen rows
        let mut pretrained_here: Vec<String> = Vec::new();
        for (k, v) in variants.iter().enumerate() {
            let name = &v.name;
            for &snr in &cells {
                let sub = snr.map_or(dir.clone(), |s| dir.join(snr_folder(s)));
                let eval_dir = sub.join(format!("{name}-eval"));
                if (args.resume || args.collect) && eval_dir.join("report.json").exists() {
                    // The report is the run's end product: its weights need not be here (a
                    // campaign run elsewhere brings back its reports only).
                    let report = eval::read_report(&eval_dir)?;
                    done[k].push(Cell {
                        seed,
                        snr_db: snr,
                        report,
                    });
                    continue;
                }
                if args.collect {
                    continue;
                }
                let pretrained = if v.method == Method::Vit {
                    None
                } else {
                    let pre = dir.join(format!("{}-pre", v.pretraining));
                    if !pretrained_here.contains(&v.pretraining) {
                        pretrain_stage(args, v, seed, &pre, &timings)?;
                        pretrained_here.push(v.pretraining.clone());
                    }
                    Some(pre)
                };
                let ft = sub.join(name);
                let mut f: finetune::FinetuneArgs = args_from(&["--out", &ft.to_string_lossy()])?;
                f.method = pretrained.is_none().then_some(Method::Vit);
                f.pretrained = pretrained;
                f.freeze_encoder = v.frozen;
                f.preset = args.preset;
                f.labels_per_class = args.labels_per_class;
                f.val_per_class = (args.labels_per_class / 5).max(1);
                if let Some(s) = snr {
                    // labels and validation at this SNR alone
                    (f.snr_min, f.snr_max) = (f64::from(s), f64::from(s));
                }
                f.epochs = args.finetune_epochs;
                f.batch_size = args.batch_size;
                f.lr = args.lr;
                f.profile = Some(args.profile);
                f.run.threads = args.threads;
                f.run.seed = seed;
                f.run.resume = args.resume && ft.join("run.json").exists();
                timed(&timings, seed, name, "finetune", snr, || finetune::run(&f))?;
                let mut e: eval::EvalArgs = args_from(&[
                    "--model",
                    &ft.to_string_lossy(),
                    "--out",
                    &eval_dir.to_string_lossy(),
                ])?;
                e.per_class = args.per_class();
                e.threads = args.threads;
                e.embeddings = args.embeddings;
                if let Some(s) = snr {
                    // tested at this SNR alone; reconstructions are not this table's measure
                    (e.snr_min, e.snr_max) = (s, s);
                    e.recon_per_class = 0;
                }
                let report = timed(&timings, seed, name, "eval", snr, || eval::run(&e))?;
                done[k].push(Cell {
                    seed,
                    snr_db: snr,
                    report,
                });
            }
        }
    }
    let curves: Vec<Curve> = variants
        .iter()
        .zip(&done)
        .map(|(v, cells_done)| match args.protocol {
            Protocol::Mixed => mixed_curve(&v.name, cells_done),
            Protocol::PerSnr => per_snr_curve(&v.name, cells_done, &cells),
        })
        .filter(|c: &Curve| c.n.iter().any(|&n| n > 0))
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

/// Pretrains (or resumes) variant `v`'s autoencoder for `seed` into `pre`.
fn pretrain_stage(
    args: &CompareArgs,
    v: &Variant,
    seed: u64,
    pre: &std::path::Path,
    timings: &std::path::Path,
) -> Result<()> {
    let mut a: pretrain::PretrainArgs = args_from(&["--out", &pre.to_string_lossy()])?;
    a.preset = args.preset;
    a.method = v.method;
    a.examples = args.examples;
    a.val_examples = (args.examples / 20).max(1);
    a.epochs = args.pretrain_epochs;
    a.batch_size = args.pretrain_batch_size.unwrap_or(args.batch_size);
    a.profile = args.profile;
    a.masking = args.masking;
    a.run.threads = args.threads;
    a.run.seed = seed;
    a.run.resume = args.resume && pre.join("run.json").exists();
    match v.knob {
        Some((Knob::MaskTarget, x)) => a.knobs.mask_target = Some(x),
        Some((Knob::DepthTarget, x)) => a.knobs.depth_target = Some(x as usize),
        Some((Knob::WeightTarget, x)) => a.knobs.weight_target = Some(x),
        None => {}
    }
    timed(timings, seed, &v.pretraining, "pretrain", None, || {
        pretrain::run(&a)
    })?;
    Ok(())
}

/// Runs `fipmae compare` and prints the table.
pub fn main(args: &CompareArgs) -> Result<()> {
    let curves = run(args)?;
    print!("{}", markdown(&curves, args));
    Ok(())
}
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn frozen_rows_share_the_pretraining_and_skip_the_vit() {
        let args: CompareArgs = crate::args_from(&[
            "--out",
            "x",
            "--methods",
            "vit,fip",
            "--encoder",
            "full,frozen",
        ])
        .unwrap();
        let v = args.variants();
        let names: Vec<(&str, &str, bool)> = v
            .iter()
            .map(|v| (v.name.as_str(), v.pretraining.as_str(), v.frozen))
            .collect();
        assert_eq!(
            names,
            vec![
                ("vit", "vit", false),
                ("fip", "fip", false),
                ("fip-frozen", "fip", true)
            ]
        );
        assert_eq!(args.cells(), vec![None]);
        assert_eq!(args.per_class(), 20);
        let args: CompareArgs = crate::args_from(&["--out", "x", "--protocol", "per-snr"]).unwrap();
        assert_eq!(args.cells().len(), 21);
        assert_eq!(args.per_class(), 100);
    }
}
