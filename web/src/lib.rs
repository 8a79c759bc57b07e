//! FIP-DenoMAE in the browser: a Leptos client-side page that loads the exported bundle
//! (`static/`), then reconstructs and classifies radio bursts with Burn, on WebGPU when the
//! browser offers it and on Burn's CPU backend compiled to wasm otherwise.
//!
//! - [`app`]: the page layout and the loading sequence.
//! - [`components`]: one component per file.
//! - [`engine`]: the models, the backend choice, inference (results read back async).
//! - [`error`]: `WebError`, everything that can go wrong, typed.
//! - [`webgpu`]: asks for WebGPU without panicking.
//! - [`state`]: the page's state (status, progress, the loaded engine), shared by the
//!   layout and the components.
//! - [`fetch`]: the bundle over HTTP with progress.
//! - [`upload`]: the user's files into recordings, with limits.
//!
//! **Invariant:** nothing fetched, decoded, uploaded or GPU-related is `unwrap`ped: every
//! failure becomes a message on the page.

use std::sync::Arc;

pub mod app;
pub mod components;
pub mod engine;
pub mod error;
pub mod fetch;
pub mod state;
pub mod upload;
pub mod webgpu;

/// Where the page gets its bundle.
#[derive(Debug, Clone)]
pub enum Source {
    /// A folder URL ending in `/` (the page uses `static/`).
    Url(String),
    /// Files already in memory (tests).
    Files(Arc<engine::BundleFiles>),
}

/// Whether the page URL asks for the CPU backend (`?cpu`).
pub fn cpu_requested() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| q.trim_start_matches('?').split('&').any(|p| p == "cpu"))
}

/// Installs the panic hook and mounts the page on `<body>` with the bundle in `static/`.
pub fn start() {
    console_error_panic_hook::set_once();
    let preference = if cpu_requested() {
        engine::Preference::CpuOnly
    } else {
        engine::Preference::Auto
    };
    leptos::mount::mount_to_body(move || {
        leptos::view! { <app::App source=Source::Url("static/".into()) preference=preference/> }
    });
}
