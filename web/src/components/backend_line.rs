//! Which backend runs the models, and for the CPU fallback, why.

use leptos::prelude::*;

use crate::engine::BackendChoice;

/// One line naming the backend (`#backend`, `data-backend` = webgpu or cpu).
#[component]
pub fn BackendLine(
    /// The backend in use.
    backend: BackendChoice,
) -> impl IntoView {
    let kind = match backend {
        BackendChoice::WebGpu(_) => "webgpu",
        BackendChoice::Cpu(_) => "cpu",
    };
    view! {
        <p id="backend" data-backend=kind>
            <strong>"Backend: "</strong>
            {backend.describe()}
        </p>
    }
}
