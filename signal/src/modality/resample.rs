//! Resampling, and the signal and noise modalities (an I/Q grid resized to the image).
//!
//! **Signal / noise.** The first `s²` samples (`s = ⌊√N⌋`) laid out row-major into an
//! `s × s` grid per channel (I, Q), divided by `√(mean|x|²/2)` of those samples, and
//! resized bilinearly (pixel centres aligned) to `image_size²`.

use super::{Image, RenderConfig, Renderer};
use crate::channel::mean_power;
use crate::C32;

/// Linear resampling table from `src` to `dst` points with pixel centres aligned.
pub(crate) fn linear_table(src: usize, dst: usize) -> Vec<(usize, usize, f32)> {
    (0..dst)
        .map(|i| {
            let x = ((i as f64 + 0.5) * src as f64 / dst as f64 - 0.5).clamp(0.0, (src - 1) as f64);
            let lo = x.floor() as usize;
            let hi = (lo + 1).min(src - 1);
            (lo, hi, (x - lo as f64) as f32)
        })
        .collect()
}

/// Bilinear resize of a square `src_size²` plane into a `dst_size²` plane, separably
/// (rows first), with `table = linear_table(src_size, dst_size)`.
pub(crate) fn resize_bilinear(
    src: &[f32],
    src_size: usize,
    dst: &mut [f32],
    dst_size: usize,
    table: &[(usize, usize, f32)],
) {
    // horizontal pass: src_size rows × dst_size columns
    let mut tmp = vec![0.0f32; src_size * dst_size];
    for r in 0..src_size {
        let row = &src[r * src_size..(r + 1) * src_size];
        for (o, &(lo, hi, w)) in tmp[r * dst_size..(r + 1) * dst_size].iter_mut().zip(table) {
            *o = row[lo] + (row[hi] - row[lo]) * w;
        }
    }
    // vertical pass
    for (r, &(lo, hi, w)) in table.iter().enumerate() {
        let (a, b) = (
            &tmp[lo * dst_size..(lo + 1) * dst_size],
            &tmp[hi * dst_size..(hi + 1) * dst_size],
        );
        for ((o, &va), &vb) in dst[r * dst_size..(r + 1) * dst_size]
            .iter_mut()
            .zip(a)
            .zip(b)
        {
            *o = va + (vb - va) * w;
        }
    }
}

/// The signal grid's precomputed part: the grid side and its resampling table.
#[derive(Debug, Clone)]
pub(super) struct Grid {
    /// `s = ⌊√N⌋`: the burst's first `s²` samples fill an `s × s` grid.
    side: usize,
    /// Resampling from `s` to `image_size` points (see [`linear_table`]).
    table: Vec<(usize, usize, f32)>,
}

impl Grid {
    /// The grid of bursts of `config.num_samples` at `config.image_size`.
    pub(super) fn new(config: &RenderConfig) -> Self {
        let side = (config.num_samples as f64).sqrt().floor() as usize;
        Self {
            side,
            table: linear_table(side, config.image_size),
        }
    }
}

impl Renderer {
    /// The signal (or noise) image of a (finite) burst: I and Q on a grid.
    pub(super) fn iq_grid(&self, x: &[C32]) -> Image {
        let p = self.config.image_size;
        let s = self.grid.side;
        let used = &x[..s * s];
        let rms = (mean_power(used) / 2.0).sqrt() as f32;
        let mut img = Image::zeros(2, p);
        if rms.is_nan() || rms <= 1e-20 {
            return img;
        }
        let inv = 1.0 / rms;
        let plane = p * p;
        let (re, im) = img.data.split_at_mut(plane);
        for (c, out) in [re, im].into_iter().enumerate() {
            let grid: Vec<f32> = used
                .iter()
                .map(|z| if c == 0 { z.re * inv } else { z.im * inv })
                .collect();
            resize_bilinear(&grid, s, out, p, &self.grid.table);
        }
        img
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::modality::tests::renderer;
    use crate::modality::Modality;
    use crate::C32;

    #[test]
    fn signal_grid_reshapes_row_major_and_standardises() {
        let r = renderer(32, 1024, 8);
        let x: Vec<C32> = (0..1024).map(|k| C32::new(k as f32, -(k as f32))).collect();
        let img = r.render(Modality::Signal, &x).expect("render");
        // identity resize at 32: pixel (y, x) is sample y·32 + x, scaled by 1/rms
        let rms = (crate::mean_power(&x) / 2.0).sqrt() as f32;
        assert!((img.at(0, 3, 5) - (3.0 * 32.0 + 5.0) / rms).abs() < 1e-4);
        assert!((img.at(1, 3, 5) + (3.0 * 32.0 + 5.0) / rms).abs() < 1e-4);
        let big = renderer(224, 1024, 8)
            .render(Modality::Signal, &x)
            .expect("render");
        assert_eq!(big.data.len(), 2 * 224 * 224);
        // monotone along rows after bilinear resizing
        assert!(big.at(0, 100, 10) < big.at(0, 100, 11));
    }
}
