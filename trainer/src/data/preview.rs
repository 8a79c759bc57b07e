//! PNG images: previews of rendered modalities and the plots of reports.

use anyhow::{Context, Result};
use model::{Image, Modality};

/// Encodes an image as PNG bytes (see [`Image::to_rgb`]).
pub fn png_bytes(img: &Image, modality: Modality) -> Result<Vec<u8>> {
    rgb_png(img.size, img.size, &img.to_rgb(modality))
}

/// Encodes `width × height` 8-bit RGB pixels (row-major, 3 bytes each) as PNG bytes.
pub fn rgb_png(width: usize, height: usize, rgb: &[u8]) -> Result<Vec<u8>> {
    let w = u32::try_from(width).context("image too wide for PNG")?;
    let h = u32::try_from(height).context("image too tall for PNG")?;
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().context("PNG header")?;
        writer.write_image_data(rgb).context("PNG data")?;
    }
    Ok(out)
}
