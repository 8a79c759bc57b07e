//! Page layout.

use leptos::prelude::*;

use crate::components::burst_probe::BurstProbe;

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <main>
            <h1>"FIP-DenoMAE"</h1>
            <p>
                "Masked reconstruction and modulation classification of radio bursts, in your browser. "
                "The trained model is not shipped yet; this page checks that the signal generator, "
                "the renderer and the Burn CPU backend run here."
            </p>
            <BurstProbe/>
        </main>
    }
}
