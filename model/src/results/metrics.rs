//! Image-quality measures of a reconstruction against its clean target, and the masked view
//! of an input, on host images (the trainer's reports and the browser share them).
//!
//! - [`psnr`]: peak signal-to-noise ratio in dB, `10·log10(L² / MSE)`.
//! - [`ssim`]: structural similarity (Wang et al. 2004) with a 7 × 7 uniform window over the
//!   windows that fit in the image (no padding), `C1 = (0.01 L)²`, `C2 = (0.03 L)²`, averaged
//!   over windows and channels: the convention of scikit-image's `structural_similarity`.
//! - [`paste`]: the MAE composite a reconstruction is measured and shown as; [`Views`]
//!   puts one modality's noisy, masked, reconstructed and clean images together.
//! - [`data_range`]: the `L` both use for a modality: 1 for the images that live in
//!   `[0, 1]` (constellation, scalogram), the target's own max − min for the standardised
//!   I/Q images (signal, noise).

use crate::modality::{Image, Modality};

/// Side of the SSIM window, pixels.
pub const SSIM_WINDOW: usize = 7;

/// Why two images cannot be compared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricError {
    /// The images differ in channels or size.
    #[error("images differ in shape: {got:?} vs {expected:?} (channels, size)")]
    Shape {
        /// `(channels, size)` of the first image.
        got: (usize, usize),
        /// `(channels, size)` of the second image.
        expected: (usize, usize),
    },
    /// An image is smaller than the SSIM window.
    #[error("a {size}×{size} image is smaller than the {SSIM_WINDOW}×{SSIM_WINDOW} SSIM window")]
    TooSmall {
        /// Image side, pixels.
        size: usize,
    },
    /// A patch size that does not tile the image, or a mask of the wrong length.
    #[error(
        "a mask of {mask} patches does not tile a {size}×{size} image in {patch}×{patch} patches"
    )]
    Mask {
        /// Mask length.
        mask: usize,
        /// Image side, pixels.
        size: usize,
        /// Patch side, pixels.
        patch: usize,
    },
}

fn same_shape(a: &Image, b: &Image) -> Result<(), MetricError> {
    if a.channels != b.channels || a.size != b.size || a.data.len() != b.data.len() {
        return Err(MetricError::Shape {
            got: (a.channels, a.size),
            expected: (b.channels, b.size),
        });
    }
    Ok(())
}

/// The dynamic range `L` used for `modality`'s PSNR and SSIM, given its clean `target`.
pub fn data_range(modality: Modality, target: &Image) -> f64 {
    match modality {
        Modality::Constellation | Modality::Scalogram => 1.0,
        Modality::Signal | Modality::Noise => {
            let (lo, hi) = target
                .data
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                });
            if hi > lo {
                (hi - lo) as f64
            } else {
                1.0
            }
        }
    }
}

/// PSNR of `x` against `reference`, dB, for dynamic range `range`; `+∞` when they are equal.
pub fn psnr(x: &Image, reference: &Image, range: f64) -> Result<f64, MetricError> {
    same_shape(x, reference)?;
    let n = x.data.len().max(1) as f64;
    let mse = x
        .data
        .iter()
        .zip(&reference.data)
        .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
        .sum::<f64>()
        / n;
    Ok(10.0 * (range * range / mse).log10())
}

/// Mean SSIM of `x` against `reference` for dynamic range `range`, in `[-1, 1]`.
pub fn ssim(x: &Image, reference: &Image, range: f64) -> Result<f64, MetricError> {
    same_shape(x, reference)?;
    let (s, w) = (x.size, SSIM_WINDOW);
    if s < w {
        return Err(MetricError::TooSmall { size: s });
    }
    let c1 = (0.01 * range).powi(2);
    let c2 = (0.03 * range).powi(2);
    let np = (w * w) as f64;
    // sample covariance, as scikit-image's default
    let unbias = np / (np - 1.0);
    let (mut total, mut count) = (0.0, 0usize);
    for c in 0..x.channels {
        let (a, b) = (x.channel(c), reference.channel(c));
        for y0 in 0..=s - w {
            for x0 in 0..=s - w {
                let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
                for dy in 0..w {
                    let row = (y0 + dy) * s + x0;
                    for i in row..row + w {
                        let (va, vb) = (a[i] as f64, b[i] as f64);
                        sa += va;
                        sb += vb;
                        saa += va * va;
                        sbb += vb * vb;
                        sab += va * vb;
                    }
                }
                let (ma, mb) = (sa / np, sb / np);
                let va = (saa / np - ma * ma) * unbias;
                let vb = (sbb / np - mb * mb) * unbias;
                let cov = (sab / np - ma * mb) * unbias;
                total += ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
                    / ((ma * ma + mb * mb + c1) * (va + vb + c2));
                count += 1;
            }
        }
    }
    Ok(total / count.max(1) as f64)
}

/// The value masked patches are drawn with for `modality`: mid-dark grey for the `[0, 1]`
/// images (their background is 0), zero (mid-scale) for the standardised I/Q images.
pub fn mask_fill(modality: Modality) -> f32 {
    match modality {
        Modality::Constellation | Modality::Scalogram => 0.3,
        Modality::Signal | Modality::Noise => 0.0,
    }
}

/// `image` with the patches that `mask` removes (1 = removed, 0 = kept, row-major patch
/// order, `(size / patch)²` entries) set to `fill`: what the encoder saw.
pub fn masked_image(
    image: &Image,
    mask: &[f32],
    patch: usize,
    fill: f32,
) -> Result<Image, MetricError> {
    select(image, mask, patch, |_| fill)
}

/// The MAE composite: `visible`'s pixels on kept patches, `prediction`'s on removed ones
/// (what a reconstruction shows when the loss covers the masked patches only, as the
/// decoder's output on visible patches is not trained).
pub fn paste(
    visible: &Image,
    prediction: &Image,
    mask: &[f32],
    patch: usize,
) -> Result<Image, MetricError> {
    same_shape(visible, prediction)?;
    select(visible, mask, patch, |i| prediction.data[i])
}

/// `image` with each pixel `i` of a removed patch replaced by `removed(i)`.
fn select(
    image: &Image,
    mask: &[f32],
    patch: usize,
    removed: impl Fn(usize) -> f32,
) -> Result<Image, MetricError> {
    let s = image.size;
    if patch == 0 || !s.is_multiple_of(patch) || (s / patch) * (s / patch) != mask.len() {
        return Err(MetricError::Mask {
            mask: mask.len(),
            size: s,
            patch,
        });
    }
    let g = s / patch;
    let mut out = image.clone();
    for c in 0..image.channels {
        for y in 0..s {
            for x in 0..s {
                if mask[(y / patch) * g + x / patch] > 0.5 {
                    let i = c * s * s + y * s + x;
                    out.data[i] = removed(i);
                }
            }
        }
    }
    Ok(out)
}

/// The four views of one modality of one example that reports and the browser show.
#[derive(Debug, Clone, PartialEq)]
pub struct Views {
    /// The modality.
    pub modality: Modality,
    /// Rendered from the noisy burst.
    pub noisy: Image,
    /// `noisy` with the removed patches drawn in [`mask_fill`]: what the encoder saw.
    pub masked: Image,
    /// The reconstruction: the MAE composite ([`paste`]), or the decoder's output
    /// everywhere for a model whose loss covers all patches.
    pub reconstruction: Image,
    /// Rendered from the clean burst.
    pub clean: Image,
    /// Fraction of patches removed.
    pub masked_fraction: f64,
}

impl Views {
    /// The views from the decoder's `prediction` (same shape as `clean`) and `mask`
    /// (1 = removed, one value per `patch × patch` patch).
    pub fn new(
        modality: Modality,
        noisy: Image,
        clean: Image,
        prediction: Vec<f32>,
        mask: &[f32],
        patch: usize,
        loss_on_all_patches: bool,
    ) -> Result<Self, MetricError> {
        let prediction = Image {
            channels: clean.channels,
            size: clean.size,
            data: prediction,
        };
        same_shape(&prediction, &clean)?;
        let reconstruction = if loss_on_all_patches {
            prediction
        } else {
            paste(&noisy, &prediction, mask, patch)?
        };
        Ok(Self {
            masked: masked_image(&noisy, mask, patch, mask_fill(modality))?,
            masked_fraction: mask.iter().map(|&m| f64::from(m)).sum::<f64>()
                / mask.len().max(1) as f64,
            modality,
            noisy,
            reconstruction,
            clean,
        })
    }

    /// PSNR of the reconstruction and of the noisy input against the clean image, dB.
    pub fn psnr_db(&self) -> Result<(f64, f64), MetricError> {
        let range = data_range(self.modality, &self.clean);
        Ok((
            psnr(&self.reconstruction, &self.clean, range)?,
            psnr(&self.noisy, &self.clean, range)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ramp(size: usize) -> Image {
        let mut img = Image::zeros(1, size);
        for (i, v) in img.data.iter_mut().enumerate() {
            *v = ((i * 7919) % 101) as f32 / 100.0;
        }
        img
    }

    #[test]
    fn identical_images_have_unit_ssim_and_infinite_psnr() {
        let a = ramp(16);
        assert!((ssim(&a, &a, 1.0).unwrap() - 1.0).abs() < 1e-12);
        assert!(psnr(&a, &a, 1.0).unwrap().is_infinite());
    }

    #[test]
    fn psnr_matches_its_definition() {
        let a = Image::zeros(1, 8);
        let mut b = a.clone();
        b.data.iter_mut().for_each(|v| *v = 0.1);
        // MSE 0.01, L 1 → 20 dB
        assert!((psnr(&b, &a, 1.0).unwrap() - 20.0).abs() < 1e-4);
    }

    #[test]
    fn ssim_drops_with_noise_and_is_symmetric() {
        let a = ramp(16);
        let mut b = a.clone();
        for (i, v) in b.data.iter_mut().enumerate() {
            *v += if i % 2 == 0 { 0.2 } else { -0.2 };
        }
        let s = ssim(&b, &a, 1.0).unwrap();
        assert!(s < 0.9 && s > -1.0, "{s}");
        assert!((s - ssim(&a, &b, 1.0).unwrap()).abs() < 1e-12);
    }

    #[test]
    fn shape_mismatch_and_tiny_images_are_errors() {
        assert!(matches!(
            psnr(&Image::zeros(1, 8), &Image::zeros(3, 8), 1.0),
            Err(MetricError::Shape { .. })
        ));
        assert_eq!(
            ssim(&Image::zeros(1, 4), &Image::zeros(1, 4), 1.0),
            Err(MetricError::TooSmall { size: 4 })
        );
    }

    #[test]
    fn masked_image_fills_exactly_the_removed_patches() {
        let img = ramp(8);
        let out = masked_image(&img, &[1.0, 0.0, 0.0, 1.0], 4, -1.0).unwrap();
        assert_eq!(out.at(0, 0, 0), -1.0);
        assert_eq!(out.at(0, 7, 7), -1.0);
        assert_eq!(out.at(0, 0, 5), img.at(0, 0, 5));
        assert_eq!(out.at(0, 5, 1), img.at(0, 5, 1));
        assert!(masked_image(&img, &[1.0; 3], 4, 0.0).is_err());
        let mut pred = img.clone();
        pred.data.iter_mut().for_each(|v| *v = 9.0);
        let both = paste(&img, &pred, &[1.0, 0.0, 0.0, 1.0], 4).unwrap();
        assert_eq!(both.at(0, 0, 0), 9.0);
        assert_eq!(both.at(0, 0, 5), img.at(0, 0, 5));
        assert!(paste(&img, &Image::zeros(2, 8), &[0.0; 4], 4).is_err());
    }

    #[test]
    fn standardised_modalities_use_the_target_range() {
        let mut t = Image::zeros(2, 8);
        t.data[0] = -2.0;
        t.data[1] = 3.0;
        assert_eq!(data_range(Modality::Signal, &t), 5.0);
        assert_eq!(data_range(Modality::Constellation, &t), 1.0);
    }
}
