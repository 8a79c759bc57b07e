//! Cross-crate: a recording written by the trainer, read back as bytes by `model`,
//! rendered and batched into a Burn tensor equals the same path from regeneration.
#![allow(clippy::unwrap_used)]

use burn::backend::Flex;
use model::batch::images_to_tensor;
use model::{Modality, RenderConfig, Renderer};
use trainer::data::recordings::files::read_recording;
use trainer::generate::{run, GenerateArgs};

#[test]
fn recording_renders_like_its_regeneration() -> anyhow::Result<()> {
    let out = std::env::temp_dir().join(format!("fipmae-x-{}", std::process::id()));
    let dir = out.to_string_lossy();
    let args: GenerateArgs = trainer::args_from(&[
        "--out",
        &dir,
        "--count",
        "4",
        "--seed",
        "77",
        "--start",
        "10",
        "--snr-db",
        "3",
        "--sample-rate",
        "2e6",
        "--image-size",
        "32",
        "--threads",
        "1",
    ])?;
    run(&args)?;
    let spec = args.dataset()?;
    let r = Renderer::new(RenderConfig::for_signal(&spec.signal, 32))?;
    let device = Default::default();
    for i in 10..14u64 {
        let rec = read_recording(&out.join(format!("example_{i:06}.sigmf-meta")))?;
        let ex = spec.example(i);
        for m in Modality::ALL {
            let from_file = r.render(m, rec.segment(&rec.meta.annotations[0]))?;
            let input = if m == Modality::Noise {
                &ex.noise
            } else {
                &ex.noisy
            };
            if m == Modality::Noise {
                // the file holds the noisy burst: what is left of it without the clean
                // burst renders as the generator's noise does (up to f32 rounding)
                let residual: Vec<model::C32> = rec
                    .segment(&rec.meta.annotations[0])
                    .iter()
                    .zip(&ex.clean)
                    .map(|(a, b)| a - b)
                    .collect();
                let (a, b) = (r.render(m, &residual)?, r.render(m, input)?);
                let worst = a
                    .data
                    .iter()
                    .zip(&b.data)
                    .fold(0.0f32, |w, (x, y)| w.max((x - y).abs()));
                assert!(worst < 1e-3, "noise image from the file differs by {worst}");
            } else {
                assert_eq!(from_file, r.render(m, input)?);
            }
            let t = images_to_tensor::<Flex>(&[&from_file, &from_file], &device)?;
            assert_eq!(t.dims(), [2, m.channels(r.config()), 32, 32]);
        }
    }
    std::fs::remove_dir_all(&out)?;
    Ok(())
}
