//! The loading line: a progress bar while the bundle downloads, then the page's state
//! (`#status`, with `data-state` = fetching, loading, warming-up, ready or failed).

use leptos::prelude::*;

use crate::state::{Progress, Status};

/// Download progress and the current loading step (while the page loads).
#[component]
pub fn LoadStatus(
    /// The loading step.
    status: RwSignal<Status>,
    /// The current download.
    progress: RwSignal<Progress>,
) -> impl IntoView {
    let state = move || match status.get() {
        Status::Fetching => "fetching",
        Status::Loading => "loading",
        Status::WarmingUp => "warming-up",
    };
    let text = move || match status.get() {
        Status::Fetching => {
            let p = progress.get();
            match p.total {
                Some(t) if t > 0 => format!(
                    "Downloading {}: {:.1} of {:.1} MB",
                    p.file,
                    p.received as f64 / 1e6,
                    t as f64 / 1e6
                ),
                _ => format!("Downloading {}: {:.1} MB", p.file, p.received as f64 / 1e6),
            }
        }
        Status::Loading => "Building the models…".to_string(),
        Status::WarmingUp => "Warm-up inference…".to_string(),
    };
    let fraction = move || {
        let p = progress.get();
        match (status.get(), p.total) {
            (Status::Fetching, Some(t)) if t > 0 => p.received as f64 / t as f64,
            (Status::Fetching, _) => 0.0,
            _ => 1.0,
        }
    };
    view! {
        <section class="status">
            <progress max="1" value=move || fraction().to_string()></progress>
            <p id="status" data-state=state class=state>{text}</p>
        </section>
    }
}

/// The loaded page's state line, with the time it took.
#[component]
pub fn ReadyStatus(
    /// The warm-up inference, ms.
    warmup_ms: f64,
    /// From page load to ready, ms.
    since_load_ms: f64,
) -> impl IntoView {
    view! {
        <section class="status">
            <progress max="1" value="1"></progress>
            <p id="status" data-state="ready" class="ready">
                {format!(
                    "ready {since_load_ms:.0} ms after page load (warm-up inference {warmup_ms:.0} ms)"
                )}
            </p>
        </section>
    }
}

/// Why the page could not start (the error boundary's fallback).
#[component]
pub fn FailedStatus(
    /// The errors the boundary caught.
    errors: ArcRwSignal<Errors>,
) -> impl IntoView {
    let text = move || {
        let messages: Vec<String> = errors
            .get()
            .into_iter()
            .map(|(_, e)| e.to_string())
            .collect();
        format!("Could not start: {}", messages.join("; "))
    };
    view! {
        <section class="status">
            <p id="status" data-state="failed" class="failed">{text}</p>
        </section>
    }
}
