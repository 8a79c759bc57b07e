//! `fipmae`: the FIP-DenoMAE command-line trainer. See `fipmae --help`.

use anyhow::Result;
use clap::{Parser, Subcommand};
use trainer::tools::{bench, fuzz};
use trainer::{backend, classify, compare, eval, export, finetune, generate, pretrain};

/// FIP-DenoMAE: generate signals, pretrain, fine-tune, evaluate and export.
#[derive(Debug, Parser)]
#[command(name = "fipmae", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a seeded dataset as SigMF recordings (+ optional PNG previews).
    Generate(generate::GenerateArgs),
    /// Pretrain the masked autoencoder on examples generated on the fly.
    Pretrain(pretrain::PretrainArgs),
    /// Fine-tune the AMC classifier on few labels (from a pretraining run or from scratch).
    Finetune(finetune::FinetuneArgs),
    /// Accuracy per SNR, confusion matrix and report files for a fine-tuned classifier.
    Eval(eval::EvalArgs),
    /// Fit the "unknown" verdict and calibrated probabilities of a classifier
    /// (calibration.json beside its weights).
    Calibrate(eval::calibrate::CalibrateArgs),
    /// ViT, DenoMAE and FIP-DenoMAE at equal budgets over several seeds: table and plot.
    Compare(compare::CompareArgs),
    /// Classify the bursts of SigMF recordings with a fine-tuned classifier.
    Classify(classify::ClassifyArgs),
    /// Write what the browser needs (weights, settings, report) into one folder.
    Export(export::ExportArgs),
    /// Convert a public dataset into SigMF recordings.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Measure throughput (examples/s).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Show the compiled-in backend and check that it runs on this machine.
    Info,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// RadioML 2016.10a's pickle ({(modulation, snr): float32 [N, 2, L]}) → one SigMF
    /// recording per key, one annotation per frame.
    Radioml2016(trainer::import::RadioMl2016Args),
    /// RadioML 2018.01a's HDF5 file (X [N, 1024, 2], Y one-hot, Z SNR) → SigMF
    /// recordings of 4,096 frames, one annotation per frame (needs `--features hdf5`).
    Radioml2018(trainer::import::RadioMl2018Args),
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Synthesis + rendering of all four modalities (input and target) on one thread.
    Render(bench::RenderBenchArgs),
    /// Pretraining steps (forward + backward + AdamW) and classifier forwards.
    Model(bench::ModelBenchArgs),
    /// Matrix products of the `small` pretraining step's shapes alone, GFLOP/s.
    Matmul(bench::MatmulBenchArgs),
    /// Mutated inputs thrown at every reader of outside bytes; fails on any finding.
    Fuzz(fuzz::FuzzArgs),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Generate(args) => generate::main(&args),
        Command::Pretrain(args) => pretrain::main(&args),
        Command::Finetune(args) => finetune::main(&args),
        Command::Eval(args) => eval::main(&args),
        Command::Calibrate(args) => eval::calibrate::main(&args),
        Command::Compare(args) => compare::main(&args),
        Command::Classify(args) => classify::main(&args),
        Command::Export(args) => export::main(&args),
        Command::Bench(BenchCommand::Render(args)) => bench::render_main(&args),
        Command::Bench(BenchCommand::Model(args)) => bench::model_main(&args),
        Command::Bench(BenchCommand::Matmul(args)) => bench::matmul_main(&args),
        Command::Bench(BenchCommand::Fuzz(args)) => fuzz::main(&args),
        Command::Import(ImportCommand::Radioml2016(args)) => {
            trainer::import::radioml2016_main(&args)
        }
        Command::Import(ImportCommand::Radioml2018(args)) => {
            trainer::import::radioml2018_main(&args)
        }
        Command::Info => backend::info(),
    }
}
