//! PNG previews of rendered modalities.

use anyhow::{Context, Result};
use model::{Image, Modality};

/// Maps one image to 8-bit RGB: 3 channels as R, G, B; 1 channel as grey; 2 channels
/// (standardised I/Q) as R = I, G = Q with `0.5 + v/6` (±3 RMS spans the range).
///
/// Returns `size × size × 3` bytes, row-major.
pub fn to_rgb(img: &Image, modality: Modality) -> Vec<u8> {
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

/// Encodes an image as PNG bytes (see [`to_rgb`]).
pub fn png_bytes(img: &Image, modality: Modality) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let size = u32::try_from(img.size).context("image too large for PNG")?;
        let mut enc = png::Encoder::new(&mut out, size, size);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().context("PNG header")?;
        w.write_image_data(&to_rgb(img, modality))
            .context("PNG data")?;
    }
    Ok(out)
}
