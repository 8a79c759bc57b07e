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
}

/// Times pretraining steps and classifier forwards on random inputs of the preset's shapes.
pub fn model(args: &ModelBenchArgs) -> Result<ModelBench> {
    use burn::module::Module;
    use burn::optim::{AdamWConfig, GradientsParams, Optimizer};
    use burn::tensor::{Distribution, Tensor};
    use model::config::{ClassifierConfig, FipMaeConfig};
    use model::mae::ModalityInput;

    use crate::backend::{Backend, TrainBackend};

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
        })
        .collect();
    let mut mae = c.init::<TrainBackend>(&device)?;
    let mae_params = mae.num_params();
    let mut optim = AdamWConfig::new()
        .with_beta_2(0.95)
        .with_weight_decay(0.05)
        .init();
    let mut run = |n: usize,
                   mut mae: model::mae::FipMae<TrainBackend>|
     -> Result<model::mae::FipMae<TrainBackend>> {
        for _ in 0..n {
            let out = mae.forward(&inputs)?;
            let grads = GradientsParams::from_grads(out.loss.backward(), &mae);
            mae = optim.step(1e-4, mae, grads);
        }
        Ok(mae)
    };
    mae = run(2, mae)?;
    let t = Instant::now();
    mae = run(args.steps, mae)?;
    <TrainBackend as burn::tensor::backend::Backend>::sync(&device).ok();
    let pretrain = (args.steps * b) as f64 / t.elapsed().as_secs_f64();

    use burn::module::AutodiffModule;
    let cls = ClassifierConfig::new(c.clone(), 10).init_from_pretrained(&mae.valid(), &device)?;
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
    })
}
