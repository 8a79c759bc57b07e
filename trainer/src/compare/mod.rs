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

mod plan;
mod stages;
mod table;

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use model::config::{MaskingStrategy, Method, Preset};
use model::Profile;
use serde::{Deserialize, Serialize};

use crate::flags::{parse_positive, parse_snr_db_whole};
use crate::fsutil::{create_dir, write_atomic};
pub use plan::{snr_folder, Knob, Sweep};
use stages::Campaign;
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

/// Runs every method for every seed (and, per-SNR, every SNR) and writes the comparison.
/// With `--resume`, a stage whose folder already holds a run continues it (a finished one
/// ends at once) and an evaluation whose report exists is read back, so a campaign longer
/// than one sitting finishes over several.
pub fn run(args: &CompareArgs) -> Result<Vec<Curve>> {
    let (variants, cells) = args.plan()?;
    create_dir(&args.out)?;
    let timings = args.out.join("timings.jsonl");
    let mut campaign = Campaign {
        args,
        timings: &timings,
        pretrained: Vec::new(),
    };
    let mut done: Vec<Vec<Cell>> = (0..variants.len()).map(|_| Vec::new()).collect();
    for seed in args.first_seed..args.first_seed + args.seeds {
        for (k, v) in variants.iter().enumerate() {
            for &snr in &cells {
                done[k].extend(campaign.cell(v, seed, snr)?);
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

/// Runs `fipmae compare` and prints the table.
pub fn main(args: &CompareArgs) -> Result<()> {
    let curves = run(args)?;
    print!("{}", markdown(&curves, args));
    Ok(())
}
