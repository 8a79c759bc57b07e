//! One rendered image on a canvas, scaled up without smoothing.

use leptos::html::Canvas;
use leptos::prelude::*;
use model::{Image, Modality};
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

/// Draws `image` into `canvas`; returns why it could not.
fn draw(
    canvas: &web_sys::HtmlCanvasElement,
    image: &Image,
    modality: Modality,
) -> Result<(), String> {
    let s = image.size as u32;
    canvas.set_width(s);
    canvas.set_height(s);
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(|e| format!("{e:?}"))?
        .ok_or("no 2d context")?
        .dyn_into()
        .map_err(|_| "not a 2d context")?;
    let rgb = image.to_rgb(modality);
    let mut rgba = Vec::with_capacity(rgb.len() / 3 * 4);
    for px in rgb.chunks_exact(3) {
        rgba.extend_from_slice(&[px[0], px[1], px[2], 255]);
    }
    let data = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), s, s)
        .map_err(|e| format!("{e:?}"))?;
    ctx.put_image_data(&data, 0.0, 0.0)
        .map_err(|e| format!("{e:?}"))
}

/// A canvas showing one modality image, `px` CSS pixels wide, with a caption.
#[component]
pub fn ImageCanvas(
    /// The image (`channels × size × size`).
    image: Image,
    /// Its modality (decides the colour mapping).
    modality: Modality,
    /// Caption under the image.
    caption: String,
    /// Displayed width and height, CSS pixels.
    #[prop(default = 112)]
    px: u32,
) -> impl IntoView {
    let node = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let Some(canvas) = node.get() {
            if let Err(e) = draw(&canvas, &image, modality) {
                leptos::logging::warn!("drawing {caption_log}: {e}", caption_log = modality.name());
            }
        }
    });
    view! {
        <figure class="tile">
            <canvas
                node_ref=node
                style=format!("width:{px}px;height:{px}px;image-rendering:pixelated")
            ></canvas>
            <figcaption>{caption}</figcaption>
        </figure>
    }
}
