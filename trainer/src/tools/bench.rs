//! `fipmae bench`: throughput measurements that anyone can rerun.

use std::time::Instant;

use anyhow::Result;
use clap::Args;
use model::modality::render_example;
use model::{DatasetSpec, Modality, RenderConfig, Renderer, SnrSpec};

/// Options of `fipmae bench render`.
#[derive(Debug, Clone, Args)]
pub struct RenderBenchArgs {
    /// Image sizes to measure, pixels.
    #[arg(long, value_delimiter = ',', default_values_t = [64usize, 224])]
    pub image_sizes: Vec<usize>,
    /// Examples per measurement (after 20 warm-up examples).
    #[arg(long, default_value_t = 500)]
    pub count: u64,
}

/// One measurement.
#[derive(Debug, Clone)]
pub struct RenderBench {
    /// Image size, pixels.
    pub image_size: usize,
    /// Examples per second on one thread (synthesis + all four modalities, input and target).
    pub examples_per_s: f64,
    /// Microseconds per example spent in synthesis alone.
    pub synth_us: f64,
    /// Microseconds per example per modality (input + target), in [`Modality::ALL`] order.
    pub modality_us: Vec<(Modality, f64)>,
}

/// Synthesis + rendering of all modalities (input and target), one thread, default
/// generator, SNR ~ U[−10, 10] dB.
pub fn render(args: &RenderBenchArgs) -> Result<Vec<RenderBench>> {
    let spec = DatasetSpec::new(1, SnrSpec::default());
    let mut out = Vec::new();
    for &size in &args.image_sizes {
        let r = Renderer::new(RenderConfig::for_signal(&spec.signal, size))?;
        let mut sink = 0.0f32;
        for i in 0..20 {
            let pairs = render_example(&r, &spec.example(i))?;
            sink += pairs[0].input.data[0];
        }
        let start = Instant::now();
        for i in 0..args.count {
            let pairs = render_example(&r, &spec.example(1000 + i))?;
            sink += pairs[0].input.data[0];
        }
        let secs = start.elapsed().as_secs_f64();
        // The breakdown, on a separate pass.
        let examples: Vec<_> = (0..args.count).map(|i| spec.example(2000 + i)).collect();
        let t0 = Instant::now();
        for i in 0..args.count {
            sink += spec.example(3000 + i).noisy[0].re;
        }
        let synth_us = t0.elapsed().as_secs_f64() * 1e6 / args.count as f64;
        let mut modality_us = Vec::new();
        for m in Modality::ALL {
            let t0 = Instant::now();
            for ex in &examples {
                sink += r.render_pair(m, ex)?.input.data[0];
            }
            modality_us.push((m, t0.elapsed().as_secs_f64() * 1e6 / args.count as f64));
        }
        std::hint::black_box(sink);
        out.push(RenderBench {
            image_size: size,
            examples_per_s: args.count as f64 / secs,
            synth_us,
            modality_us,
        });
    }
    Ok(out)
}

/// Options of `fipmae bench model`.
#[derive(Debug, Clone, Args)]
pub struct ModelBenchArgs {
    /// Size preset: tiny, small or base.
    #[arg(long, default_value = "small")]
    pub preset: model::config::Preset,
    /// Method preset: denomae or fip.
    #[arg(long, default_value = "fip")]
    pub method: model::config::Method,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Timed steps (after 2 warm-up steps).
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    /// Print one JSON line instead of a Markdown table (what `scripts/bench_vs_torch.sh`
    /// reads).
    #[arg(long)]
    pub json: bool,
}

/// Pretraining and classification throughput.
#[derive(Debug, Clone)]
pub struct ModelBench {
    /// Backend name.
    pub backend: &'static str,
    /// Pretraining examples/s (forward + backward + AdamW step, all modalities).
    pub pretrain_examples_per_s: f64,
    /// Classifier examples/s (forward only).
    pub classify_examples_per_s: f64,
    /// Autoencoder parameters.
    pub mae_params: usize,
    /// Matrix-product FLOPs of one pretraining example (forward + backward ≈ 3 × forward).
    pub pretrain_flops_per_example: f64,
    /// Matrix-product FLOPs of one classifier forward.
    pub classify_flops_per_example: f64,
    /// Peak resident memory of the process, MiB (Linux's `VmHWM`; `None` elsewhere).
    pub peak_rss_mib: Option<f64>,
    /// Resident memory when the bench started, MiB (`VmRSS`): peak − start is what the
    /// model, its activations and the optimizer took.
    pub start_rss_mib: Option<f64>,
    /// Milliseconds per pretraining step in the forward pass, the backward pass
    /// (gradients collected), and the AdamW update. On the CPU backend every operation
    /// runs when called, so these add up to the step; on a GPU they time the queueing.
    pub step_ms: [f64; 3],
}

/// Peak resident memory of this process so far, MiB, from `/proc/self/status` (`VmHWM`);
/// `None` where the file or the field is missing (not Linux).
pub fn peak_rss_mib() -> Option<f64> {
    proc_status_mib("VmHWM:")
}

/// Resident memory of this process now, MiB (`VmRSS`); `None` where unavailable.
pub fn rss_mib() -> Option<f64> {
    proc_status_mib("VmRSS:")
}

fn proc_status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Matrix-product FLOPs (2·m·n·k each) of one transformer block over `t` tokens of width
/// `d` with an MLP of `mlp_ratio × d`: q, k, v and output projections, the two attention
/// products, the MLP. Element-wise work (norms, softmax, GELU) is left out.
fn block_flops(t: f64, d: f64, mlp_ratio: f64) -> f64 {
    let m = mlp_ratio * d;
    t * (8.0 * d * d + 4.0 * d * m) + 4.0 * t * t * d
}

/// Matrix-product FLOPs of one autoencoder forward (patch embeddings, the encoder over CLS
/// + every modality's visible tokens, each decoder over all `L` patches, the predictions);
///   one training step costs about three times this (the backward pass is about twice the
///   forward).
pub fn mae_forward_flops(c: &model::config::FipMaeConfig) -> f64 {
    let l = c.num_patches() as f64;
    let (d, dd) = (c.encoder_dim as f64, c.decoder_dim as f64);
    let present: Vec<_> = c.modalities.iter().filter(|m| m.present).collect();
    let mut tokens = 1.0;
    let mut total = 0.0;
    for m in &present {
        let patch = (c.patch_size * c.patch_size * m.channels) as f64;
        let k = model::masking::visible_count(c.num_patches(), m.mask_ratio) as f64;
        tokens += k;
        total += 2.0 * l * patch * d; // patch embedding (all patches are embedded)
        total += 2.0 * k * d * dd; // decoder embedding of the visible tokens
        total += m.decoder_depth as f64 * block_flops(l, dd, c.mlp_ratio);
        total += 2.0 * l * dd * patch; // prediction
    }
    total + c.encoder_depth as f64 * block_flops(tokens, d, c.mlp_ratio)
}

/// Matrix-product FLOPs of one classifier forward (target patch embedding, the encoder over
/// CLS + all `L` patches, the head).
pub fn classify_forward_flops(c: &model::config::ClassifierConfig) -> f64 {
    let m = &c.mae;
    let l = m.num_patches() as f64;
    let d = m.encoder_dim as f64;
    let channels = m
        .index_of(m.target)
        .map(|i| m.modalities[i].channels)
        .unwrap_or(1);
    let patch = (m.patch_size * m.patch_size * channels) as f64;
    2.0 * l * patch * d
        + m.encoder_depth as f64 * block_flops(l + 1.0, d, m.mlp_ratio)
        + 2.0 * d * c.head_hidden as f64
        + 2.0 * c.head_hidden as f64 * c.num_classes as f64
}

/// Times pretraining steps and classifier forwards on random inputs of the preset's shapes.
pub fn model(args: &ModelBenchArgs) -> Result<ModelBench> {
    use burn::module::Module;
    use burn::optim::{GradientsParams, Optimizer};
    use burn::tensor::{Distribution, Tensor};
    use model::config::{ClassifierConfig, FipMaeConfig};
    use model::mae::ModalityInput;

    use crate::backend::{Backend, TrainBackend};

    let start_rss_mib = rss_mib();
    let device = crate::backend::device()?;
    let c = FipMaeConfig::preset_with_method(args.preset, args.method);
    let b = args.batch_size.max(1);
    let rand = |shape: [usize; 4]| {
        Tensor::<TrainBackend, 4>::random(shape, Distribution::Uniform(0.0, 1.0), &device)
    };
    let inputs: Vec<ModalityInput<TrainBackend>> = c
        .modalities
        .iter()
        .map(|m| ModalityInput {
            modality: m.modality,
            input: rand([b, m.channels, c.image_size, c.image_size]),
            target: rand([b, m.channels, c.image_size, c.image_size]),
            noise: Tensor::random(
                [b, c.num_patches()],
                Distribution::Uniform(0.0, 1.0),
                &device,
            ),
            mask_ratio: m.mask_ratio,
            present: None,
        })
        .collect();
    let mut mae = c.init::<TrainBackend>(&device)?;
    let mae_params = mae.num_params();
    let mut optim = crate::training::pretrain_optimizer().init();
    // per-phase wall time of the timed steps, seconds: forward, backward, optimizer
    let mut phases = [0.0f64; 3];
    let mut run = |n: usize,
                   mut mae: model::mae::FipMae<TrainBackend>,
                   phases: &mut [f64; 3]|
     -> Result<model::mae::FipMae<TrainBackend>> {
        for _ in 0..n {
            let t0 = Instant::now();
            let out = mae.forward(&inputs)?;
            let t1 = Instant::now();
            let grads = GradientsParams::from_grads(out.loss.backward(), &mae);
            let t2 = Instant::now();
            mae = optim.step(1e-4, mae, grads);
            let t3 = Instant::now();
            phases[0] += (t1 - t0).as_secs_f64();
            phases[1] += (t2 - t1).as_secs_f64();
            phases[2] += (t3 - t2).as_secs_f64();
        }
        Ok(mae)
    };
    mae = run(2, mae, &mut [0.0; 3])?;
    let t = Instant::now();
    mae = run(args.steps, mae, &mut phases)?;
    <TrainBackend as burn::tensor::backend::Backend>::sync(&device).ok();
    let pretrain = (args.steps * b) as f64 / t.elapsed().as_secs_f64();
    let step_ms = phases.map(|s| s * 1e3 / args.steps.max(1) as f64);

    use burn::module::AutodiffModule;
    let cls_config = ClassifierConfig::new(c.clone(), 10);
    let cls = cls_config.init_from_pretrained(&mae.valid(), &device)?;
    let idx = c.index_of(c.target).unwrap_or(0);
    let images = Tensor::<Backend, 4>::random(
        [b, c.modalities[idx].channels, c.image_size, c.image_size],
        Distribution::Uniform(0.0, 1.0),
        &device,
    );
    let _ = cls.forward(images.clone())?.into_data();
    let t = Instant::now();
    for _ in 0..args.steps {
        let _ = cls.forward(images.clone())?.into_data();
    }
    let classify = (args.steps * b) as f64 / t.elapsed().as_secs_f64();
    Ok(ModelBench {
        backend: crate::backend::name(),
        pretrain_examples_per_s: pretrain,
        classify_examples_per_s: classify,
        mae_params,
        pretrain_flops_per_example: 3.0 * mae_forward_flops(&c),
        classify_flops_per_example: classify_forward_flops(&cls_config),
        peak_rss_mib: peak_rss_mib(),
        start_rss_mib,
        step_ms,
    })
}

/// Worker threads the CPU backend uses (`RAYON_NUM_THREADS`, else every core).
fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Options of `fipmae bench matmul`.
#[derive(Debug, Clone, Args)]
pub struct MatmulBenchArgs {
    /// Timed repetitions per shape (after 3 warm-up products).
    #[arg(long, default_value_t = 20)]
    pub reps: usize,
    /// Print JSON lines instead of a Markdown table.
    #[arg(long)]
    pub json: bool,
}

/// The matrix products of one `small` pretraining step at batch 32, as
/// `(name, batch, m, k, n)`: token-wise projections (batch × tokens rows) and the per-head
/// attention products (batch × heads matrices). `bench/torch_twin.py --matmul` reads them from `bench matmul --json`.
pub const MATMUL_SHAPES: [(&str, usize, usize, usize, usize); 8] = [
    ("encoder q/k/v/out projection", 1, 32 * 59, 192, 192),
    ("encoder MLP up", 1, 32 * 59, 192, 768),
    ("encoder MLP down", 1, 32 * 59, 768, 192),
    ("encoder attention QKᵀ", 32 * 3, 59, 64, 59),
    ("encoder attention AV", 32 * 3, 59, 59, 64),
    ("decoder MLP up", 1, 32 * 64, 128, 512),
    ("decoder MLP down", 1, 32 * 64, 512, 128),
    ("decoder attention QKᵀ", 32 * 4, 64, 32, 64),
];

/// GFLOP/s of the backend's matrix product on each of [`MATMUL_SHAPES`] (inference
/// backend, no autodiff): the kernel alone, without the rest of the step.
pub fn matmul(args: &MatmulBenchArgs) -> Result<Vec<(&'static str, f64)>> {
    use burn::tensor::{Distribution, Tensor};

    use crate::backend::Backend;
    let device = crate::backend::device()?;
    let mut out = Vec::new();
    for (name, batch, m, k, n) in MATMUL_SHAPES {
        let a = Tensor::<Backend, 3>::random([batch, m, k], Distribution::Default, &device);
        let b = Tensor::<Backend, 3>::random([batch, k, n], Distribution::Default, &device);
        for _ in 0..3 {
            let _ = a.clone().matmul(b.clone());
        }
        let t = Instant::now();
        for _ in 0..args.reps {
            let _ = a.clone().matmul(b.clone());
        }
        let secs = t.elapsed().as_secs_f64() / args.reps.max(1) as f64;
        out.push((name, 2.0 * (batch * m * k * n) as f64 / secs / 1e9));
    }
    Ok(out)
}

/// Runs `fipmae bench matmul` and prints the table (or JSON lines).
pub fn matmul_main(args: &MatmulBenchArgs) -> Result<()> {
    let rows = matmul(args)?;
    if !args.json {
        println!("| product (batch × m×k · k×n) | GFLOP/s |");
        println!("|---|---|");
    }
    for ((name, batch, m, k, n), (_, gflops)) in MATMUL_SHAPES.iter().zip(&rows) {
        if args.json {
            let shape = [batch, m, k, n];
            let line =
                serde_json::json!({"side": "burn", "name": name, "shape": shape, "gflops": gflops});
            println!("{line}");
        } else {
            println!("| {name} ({batch} × {m}×{k} · {k}×{n}) | {gflops:.1} |");
        }
    }
    Ok(())
}

/// Runs `fipmae bench render` and prints the table.
pub fn render_main(args: &RenderBenchArgs) -> Result<()> {
    let results = render(args)?;
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
    Ok(())
}

/// Runs `fipmae bench model` and prints the table.
pub fn model_main(args: &ModelBenchArgs) -> Result<()> {
    let r = model(args)?;
    if args.json {
        let line = serde_json::json!({
            "side": "burn",
            "backend": r.backend,
            "preset": format!("{:?}", args.preset).to_lowercase(),
            "method": format!("{:?}", args.method).to_lowercase(),
            "batch": args.batch_size,
            "threads": rayon_threads(),
            "params": r.mae_params,
            "pretrain_examples_per_s": r.pretrain_examples_per_s,
            "classify_examples_per_s": r.classify_examples_per_s,
            "peak_rss_mib": r.peak_rss_mib,
            "start_rss_mib": r.start_rss_mib,
            "forward_ms": r.step_ms[0],
            "backward_ms": r.step_ms[1],
            "optimizer_ms": r.step_ms[2],
        });
        println!("{line}");
        return Ok(());
    }
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
    Ok(())
}
