//! `fipmae`: the FIP-DenoMAE command-line trainer. See `fipmae --help`.

use anyhow::Result;
use clap::{Parser, Subcommand};
use trainer::{backend, bench, classify, compare, eval, export, finetune, generate, pretrain};

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
    /// ViT, DenoMAE and FIP-DenoMAE at equal budgets over several seeds: table and plot.
    Compare(compare::CompareArgs),
    /// Classify the bursts of SigMF recordings with a fine-tuned classifier.
    Classify(classify::ClassifyArgs),
    /// Write what the browser needs (weights, settings, report) into one folder.
    Export(export::ExportArgs),
    /// Measure throughput (examples/s).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Show the compiled-in backend and check that it runs on this machine.
    Info,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Synthesis + rendering of all four modalities (input and target) on one thread.
    Render(bench::RenderBenchArgs),
    /// Pretraining steps (forward + backward + AdamW) and classifier forwards.
    Model(bench::ModelBenchArgs),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Generate(args) => {
            let t = std::time::Instant::now();
            let s = generate::run(&args)?;
            println!(
                "wrote {} SigMF recordings{} to {} in {:.2} s",
                s.recordings,
                if s.previews > 0 {
                    format!(" and {} PNG previews", s.previews)
                } else {
                    String::new()
                },
                args.out.display(),
                t.elapsed().as_secs_f64()
            );
        }
        Command::Pretrain(args) => {
            let s = pretrain::run(&args)?;
            if let Some(last) = s.epochs.last() {
                println!(
                    "pretrained {} epochs: val loss {:.4}; weights in {}",
                    last.epoch,
                    last.val_loss,
                    s.weights.display()
                );
            }
        }
        Command::Finetune(args) => {
            let s = finetune::run(&args)?;
            println!(
                "fine-tuned {} epochs: best val accuracy {:.1} %; weights in {}",
                s.epochs.len(),
                100.0 * s.best_val_accuracy,
                s.weights.display()
            );
        }
        Command::Eval(args) => {
            let r = eval::run(&args)?;
            println!(
                "accuracy {:.1} % overall, {:.1} % mean over 0..10 dB; report in {}",
                100.0 * r.overall,
                100.0 * r.mean_0_to_10_db,
                args.out.display()
            );
        }
        Command::Compare(args) => {
            let curves = compare::run(&args)?;
            print!("{}", compare::markdown(&curves, &args));
        }
        Command::Classify(args) => {
            let segments = classify::run(&args)?;
            if args.json {
                for s in &segments {
                    println!("{}", serde_json::to_string(s)?);
                }
            } else {
                print!("{}", classify::table(&segments));
            }
        }
        Command::Export(args) => {
            let b = export::run(&args)?;
            println!(
                "exported {} classes, classifier{}{} to {}",
                b.classes.len(),
                if b.autoencoder.is_some() {
                    ", autoencoder"
                } else {
                    ""
                },
                if b.report.is_some() { ", report" } else { "" },
                args.out.display()
            );
        }
        Command::Bench(BenchCommand::Render(args)) => {
            let results = bench::render(&args)?;
            let names: Vec<&str> = model::Modality::ALL.iter().map(|m| m.name()).collect();
            println!(
                "| image size | examples/s (1 thread) | µs: synthesis | {} |",
                names.join(" | ")
            );
            println!("|---|---|---|{}", "---|".repeat(names.len()));
            for r in results {
                let parts: Vec<String> = r
                    .modality_us
                    .iter()
                    .map(|(_, us)| format!("{us:.0}"))
                    .collect();
                println!(
                    "| {0}×{0} | {1:.0} | {2:.0} | {3} |",
                    r.image_size,
                    r.examples_per_s,
                    r.synth_us,
                    parts.join(" | ")
                );
            }
        }
        Command::Bench(BenchCommand::Model(args)) => {
            let r = bench::model(&args)?;
            println!(
                "| backend | preset | method | batch | parameters (autoencoder) | pretrain examples/s | classify examples/s | GFLOP/example pretrain, classify | TFLOP/s pretrain, classify |"
            );
            println!("|---|---|---|---|---|---|---|---|---|");
            println!(
                "| {} | {:?} | {:?} | {} | {:.2} M | {:.1} | {:.1} | {:.3}, {:.3} | {:.3}, {:.3} |",
                r.backend,
                args.preset,
                args.method,
                args.batch_size,
                r.mae_params as f64 / 1e6,
                r.pretrain_examples_per_s,
                r.classify_examples_per_s,
                r.pretrain_flops_per_example / 1e9,
                r.classify_flops_per_example / 1e9,
                r.pretrain_flops_per_example * r.pretrain_examples_per_s / 1e12,
                r.classify_flops_per_example * r.classify_examples_per_s / 1e12
            );
        }
        Command::Info => {
            println!("backend: {}", backend::name());
            let device = backend::device()?;
            let s = backend::smoke_test(&device);
            println!("smoke test (4×8 · 8×4 ones, summed): {s} (expected 128)");
        }
    }
    Ok(())
}
