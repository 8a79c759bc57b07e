//! `Image`: a rendered image, channel-major, and its conversions.

use super::Modality;

/// A rendered image, channel-major: `data[(c · size + y) · size + x]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Number of channels.
    pub channels: usize,
    /// Height and width in pixels.
    pub size: usize,
    /// `channels × size × size` values.
    pub data: Vec<f32>,
}

impl Image {
    /// Maps one image to 8-bit RGB: 3 channels as R, G, B; 1 channel as grey; 2 channels
    /// (standardised I/Q) as R = I, G = Q with `0.5 + v/6` (±3 RMS spans the range).
    ///
    /// Returns `size × size × 3` bytes, row-major.
    pub fn to_rgb(&self, modality: Modality) -> Vec<u8> {
        let img = self;
        let n = img.size * img.size;
        let standardised = matches!(modality, Modality::Signal | Modality::Noise);
        let level = |c: usize, i: usize| -> u8 {
            if c >= img.channels {
                return 0;
            }
            let v = img.data[c * n + i];
            let v = if standardised { 0.5 + v / 6.0 } else { v };
            (v.clamp(0.0, 1.0) * 255.0).round() as u8
        };
        let mut out = Vec::with_capacity(n * 3);
        for i in 0..n {
            if img.channels == 1 {
                let g = level(0, i);
                out.extend_from_slice(&[g, g, g]);
            } else {
                out.extend_from_slice(&[level(0, i), level(1, i), level(2, i)]);
            }
        }
        out
    }

    /// An all-zero image.
    pub fn zeros(channels: usize, size: usize) -> Self {
        Self {
            channels,
            size,
            data: vec![0.0; channels * size * size],
        }
    }

    /// The `size × size` plane of channel `c`.
    pub fn channel(&self, c: usize) -> &[f32] {
        let n = self.size * self.size;
        &self.data[c * n..(c + 1) * n]
    }

    /// Value at channel `c`, row `y` (top = 0), column `x`.
    pub fn at(&self, c: usize, y: usize, x: usize) -> f32 {
        self.data[(c * self.size + y) * self.size + x]
    }
}
