//! Times one forward and backward pass of `burn::nn`'s pre-norm transformer encoder on each
//! Burn: `probe-burn-022 SIDE ROUNDS STEPS` prints one JSON line per round with examples/s.
//! Shapes: the `small` preset's encoder at batch 32 (59 visible tokens of width 192, 3
//! heads, MLP 768, 6 layers), no dropout; loss = mean of the squared output.

use std::time::Instant;

const BATCH: usize = 32;
const TOKENS: usize = 59;
const WIDTH: usize = 192;
const MLP: usize = 768;
const HEADS: usize = 3;
const LAYERS: usize = 6;

mod v021 {
    use burn021::backend::{Autodiff, Flex};
    use burn021::nn::transformer::{TransformerEncoderConfig, TransformerEncoderInput};
    use burn021::tensor::{Distribution, Tensor};

    type B = Autodiff<Flex>;

    /// Seconds of each of `steps` timed steps after two untimed ones.
    pub fn steps(steps: usize) -> Vec<f64> {
        let device = Default::default();
        let enc =
            TransformerEncoderConfig::new(super::WIDTH, super::MLP, super::HEADS, super::LAYERS)
                .with_norm_first(true)
                .with_dropout(0.0)
                .init::<B>(&device);
        let x = Tensor::<B, 3>::random(
            [super::BATCH, super::TOKENS, super::WIDTH],
            Distribution::Default,
            &device,
        );
        super::timed(steps, || {
            let y = enc.forward(TransformerEncoderInput::new(x.clone()));
            drop(y.powf_scalar(2.0).mean().backward());
        })
    }
}

mod v022 {
    use burn022::nn::transformer::{TransformerEncoderConfig, TransformerEncoderInput};
    use burn022::tensor::{Device, Distribution, Tensor};

    /// Seconds of each of `steps` timed steps after two untimed ones.
    pub fn steps(steps: usize) -> Vec<f64> {
        let device = Device::flex().autodiff();
        let enc =
            TransformerEncoderConfig::new(super::WIDTH, super::MLP, super::HEADS, super::LAYERS)
                .with_norm_first(true)
                .with_dropout(0.0)
                .init(&device);
        let x = Tensor::<3>::random(
            [super::BATCH, super::TOKENS, super::WIDTH],
            Distribution::Default,
            &device,
        );
        super::timed(steps, || {
            let y = enc.forward(TransformerEncoderInput::new(x.clone()));
            drop(y.powf_scalar(2.0).mean().backward());
        })
    }
}

/// Seconds of each of `steps` calls of `step` after two untimed ones.
fn timed(steps: usize, mut step: impl FnMut()) -> Vec<f64> {
    (0..steps + 2)
        .map(|_| {
            let t = Instant::now();
            step();
            t.elapsed().as_secs_f64()
        })
        .skip(2)
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let side = args.get(1).map_or("0.21", String::as_str);
    let steps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let start = Instant::now();
    let mut secs = match side {
        "0.21" => v021::steps(steps),
        "0.22" => v022::steps(steps),
        other => {
            eprintln!("side must be 0.21 or 0.22, not {other}");
            std::process::exit(2);
        }
    };
    secs.sort_by(f64::total_cmp);
    let median = secs[secs.len() / 2];
    println!(
        "{{\"burn\": \"{side}\", \"median_step_s\": {median:.4}, \"examples_per_s\": {:.1}, \"wall_s\": {:.1}}}",
        BATCH as f64 / median,
        start.elapsed().as_secs_f64()
    );
}
