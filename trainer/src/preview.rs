//! PNG previews of rendered modalities.

use anyhow::{Context, Result};
use model::{Image, Modality};

/// Encodes an image as PNG bytes (see [`Image::to_rgb`]).
pub fn png_bytes(img: &Image, modality: Modality) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let size = u32::try_from(img.size).context("image too large for PNG")?;
        let mut enc = png::Encoder::new(&mut out, size, size);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().context("PNG header")?;
        w.write_image_data(&img.to_rgb(modality))
            .context("PNG data")?;
    }
    Ok(out)
}
