//! Generates a burst in the browser, renders its constellation and batches it on Burn's CPU
//! backend: a smoke test of the `model` crate compiled to wasm32.

use burn::backend::Flex;
use leptos::prelude::*;
use model::batch::images_to_tensor;
use model::{DatasetSpec, Modality, RenderConfig, Renderer, SnrSpec};

/// One line describing burst `index` of the demo dataset, or the error that stopped it.
fn describe(index: u64) -> String {
    let spec = DatasetSpec::new(0, SnrSpec::default());
    let ex = spec.example(index);
    let renderer = match Renderer::new(RenderConfig::for_signal(&spec.signal, 32)) {
        Ok(r) => r,
        Err(e) => return format!("renderer error: {e}"),
    };
    let img = match renderer.render(Modality::Constellation, &ex.noisy) {
        Ok(img) => img,
        Err(e) => return format!("render error: {e}"),
    };
    match images_to_tensor::<Flex>(&[&img], &Default::default()) {
        Ok(t) => format!(
            "burst {index}: {} at {:.1} dB SNR; constellation tensor {:?} on the CPU backend",
            ex.class,
            ex.snr_db,
            t.dims()
        ),
        Err(e) => format!("batch error: {e}"),
    }
}

/// A button that steps through bursts and a line describing the current one.
#[component]
pub fn BurstProbe() -> impl IntoView {
    let (index, set_index) = signal(0u64);
    view! {
        <section>
            <button on:click=move |_| set_index.update(|i| *i += 1)>"Next burst"</button>
            <p id="burst-summary">{move || describe(index.get())}</p>
        </section>
    }
}
