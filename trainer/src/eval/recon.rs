//! Reconstruction quality of a pretrained autoencoder, for `fipmae eval`: PSNR and SSIM of
//! each modality's reconstruction against its clean target, per class, next to the same
//! measures for the noisy input (what denoising has to beat), and a PNG of example
//! reconstructions (per modality: noisy input, masked input, reconstruction, clean target).
//!
//! The reconstruction is the MAE composite ([`model::metrics::paste`]): the noisy input on
//! the visible patches and the decoder's output on the masked ones (the loss trains only
//! those), or the decoder's output everywhere for models trained with
//! `loss_on_all_patches`. For the noise modality the input is its own target, so its
//! baseline is perfect by definition.

use std::path::Path;

use anyhow::{Context, Result};
use burn::tensor::backend::Backend;
use model::mae::FipMae;
use model::metrics::{data_range, ssim, Views};
use model::{DatasetSpec, Image, Modality, Renderer, SnrSpec};

use crate::data::{render_batch, HostBatch};

pub use model::report::{ClassQuality, ModalityQuality, ReconReport, SnrQuality};

/// Sums of the four measures for one (class or SNR, modality).
#[derive(Clone, Copy, Default)]
struct Sums {
    psnr: f64,
    ssim: f64,
    in_psnr: f64,
    in_ssim: f64,
    n: u64,
}

impl Sums {
    fn add(&mut self, other: &Sums) {
        self.psnr += other.psnr;
        self.ssim += other.ssim;
        self.in_psnr += other.in_psnr;
        self.in_ssim += other.in_ssim;
        self.n += other.n;
    }

    fn mean(&self, modality: Modality) -> ModalityQuality {
        let n = self.n.max(1) as f64;
        ModalityQuality {
            modality,
            psnr_db: self.psnr / n,
            ssim: self.ssim / n,
            input_psnr_db: self.in_psnr / n,
            input_ssim: self.in_ssim / n,
        }
    }
}

/// The means of one row of sums, one per modality.
fn means(modalities: &[Modality], row: &[Sums]) -> Vec<ModalityQuality> {
    modalities
        .iter()
        .zip(row)
        .map(|(m, s)| s.mean(*m))
        .collect()
}

/// The `i`-th image of a `[batch, c, s, s]` buffer.
fn image_at(values: &[f32], i: usize, channels: usize, size: usize) -> Image {
    let n = channels * size * size;
    Image {
        channels,
        size,
        data: values[i * n..(i + 1) * n].to_vec(),
    }
}

/// A host copy of a float tensor.
fn host<B: Backend, const D: usize>(t: burn::tensor::Tensor<B, D>) -> Result<Vec<f32>> {
    Ok(model::batch::read(t)?)
}

/// Forward of one batch: per example, per modality, the four views.
fn views<B: Backend>(
    mae: &FipMae<B>,
    batch: &HostBatch,
    seed: u64,
    device: &B::Device,
) -> Result<Vec<Vec<Views>>> {
    let inputs = batch.to_inputs::<B>(&mae.config, seed, 0, device);
    let out = mae.forward(&inputs).context("autoencoder forward")?;
    let (b, s) = (batch.len(), batch.size);
    let mut per_example: Vec<Vec<Views>> = (0..b).map(|_| Vec::new()).collect();
    for ((m, c, input, target), o) in batch.modalities.iter().zip(out.modalities) {
        let pred = host(o.pred)?;
        let mask = host(o.mask)?;
        let (n, l) = (c * s * s, mask.len() / b.max(1));
        for (i, views) in per_example.iter_mut().enumerate() {
            views.push(Views::new(
                *m,
                image_at(input, i, *c, s),
                image_at(target, i, *c, s),
                pred[i * n..(i + 1) * n].to_vec(),
                &mask[i * l..(i + 1) * l],
                mae.config.patch_size,
                mae.config.loss_on_all_patches,
            )?);
        }
    }
    Ok(per_example)
}

/// Measures `mae` on `per_class` examples per (class, SNR) of `spec` (its seed and classes)
/// at each SNR in `snrs`; masking noise comes from `seed`.
#[allow(clippy::too_many_arguments)]
pub fn measure<B: Backend>(
    mae: &FipMae<B>,
    autoencoder: &Path,
    spec: &DatasetSpec,
    renderer: &Renderer,
    snrs: &[f64],
    per_class: u64,
    batch_size: usize,
    threads: usize,
    device: &B::Device,
) -> Result<ReconReport> {
    let modalities = mae.config.present_modalities();
    let k = spec.classes.len();
    let mut sums = vec![vec![Sums::default(); modalities.len()]; k];
    let mut by_snr = vec![vec![Sums::default(); modalities.len()]; snrs.len()];
    let count = per_class * k as u64;
    for (s, &snr) in snrs.iter().enumerate() {
        let mut at = spec.clone();
        at.snr = SnrSpec::Fixed { db: snr };
        let start = s as u64 * count;
        let ids: Vec<u64> = (start..start + count).collect();
        for chunk in ids.chunks(batch_size.max(1)) {
            let batch = render_batch(&at, renderer, chunk, &modalities, threads)?;
            for (label, views) in batch
                .labels
                .clone()
                .into_iter()
                .zip(views(mae, &batch, spec.seed, device)?)
            {
                for ((sum, at_snr), v) in sums[label].iter_mut().zip(&mut by_snr[s]).zip(&views) {
                    // PSNR is capped at 100 dB: the noise modality's input is its target
                    let (recon_db, noisy_db) = v.psnr_db()?;
                    let range = data_range(v.modality, &v.clean);
                    let one = Sums {
                        psnr: recon_db.min(100.0),
                        ssim: ssim(&v.reconstruction, &v.clean, range)?,
                        in_psnr: noisy_db.min(100.0),
                        in_ssim: ssim(&v.noisy, &v.clean, range)?,
                        n: 1,
                    };
                    sum.add(&one);
                    at_snr.add(&one);
                }
            }
        }
    }
    let overall = (0..modalities.len())
        .map(|j| {
            let mut t = Sums::default();
            for row in &sums {
                t.add(&row[j]);
            }
            t.mean(modalities[j])
        })
        .collect();
    Ok(ReconReport {
        autoencoder: autoencoder.to_path_buf(),
        snr_db: snrs.to_vec(),
        per_class: spec
            .classes
            .iter()
            .zip(&sums)
            .map(|(c, row)| ClassQuality {
                class: c.name().to_string(),
                examples: row.first().map_or(0, |s| s.n),
                modalities: means(&modalities, row),
            })
            .collect(),
        overall,
        per_snr: snrs
            .iter()
            .zip(&by_snr)
            .map(|(&snr_db, row)| SnrQuality {
                snr_db,
                modalities: means(&modalities, row),
            })
            .collect(),
    })
}

/// A PNG grid of example reconstructions: one row per class (example `class` of `spec` at
/// `snr_db`), and per modality four tiles (noisy input, masked input, reconstruction, clean
/// target), each scaled up to at least 64 pixels.
pub fn reconstructions_png<B: Backend>(
    mae: &FipMae<B>,
    spec: &DatasetSpec,
    renderer: &Renderer,
    snr_db: f64,
    device: &B::Device,
) -> Result<Vec<u8>> {
    let modalities = mae.config.present_modalities();
    let mut at = spec.clone();
    at.snr = SnrSpec::Fixed { db: snr_db };
    let ids: Vec<u64> = (0..spec.classes.len() as u64).collect();
    let batch = render_batch(&at, renderer, &ids, &modalities, 1)?;
    let rows = views(mae, &batch, spec.seed, device)?;
    let size = renderer.config().image_size;
    let scale = 64usize.div_ceil(size).max(1);
    let (tile, gap) = (size * scale, 4usize);
    let cols = modalities.len() * 4;
    let width = cols * (tile + gap) + gap * modalities.len();
    let height = rows.len() * (tile + gap) + gap;
    let mut rgb = vec![255u8; width * height * 3];
    for (r, row) in rows.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            for (t, img) in [&v.noisy, &v.masked, &v.reconstruction, &v.clean]
                .into_iter()
                .enumerate()
            {
                let px = img.to_rgb(v.modality);
                let x0 = gap + j * (4 * (tile + gap) + gap) + t * (tile + gap);
                let y0 = gap + r * (tile + gap);
                for y in 0..tile {
                    for x in 0..tile {
                        let src = ((y / scale) * size + x / scale) * 3;
                        let dst = ((y0 + y) * width + x0 + x) * 3;
                        rgb[dst..dst + 3].copy_from_slice(&px[src..src + 3]);
                    }
                }
            }
        }
    }
    crate::data::preview::rgb_png(width, height, &rgb)
}
