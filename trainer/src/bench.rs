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
