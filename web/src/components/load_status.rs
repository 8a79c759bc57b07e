//! The loading line: a progress bar while the bundle downloads, then the page's state
//! (`#status`, with `data-state` = fetching, loading, warming-up, ready or failed).

use leptos::prelude::*;

use crate::app::{Progress, Status};

/// Download progress and the page's state.
#[component]
pub fn LoadStatus(
    /// The page's state.
    status: RwSignal<Status>,
    /// The current download.
    progress: RwSignal<Progress>,
) -> impl IntoView {
    let state = move || match status.get() {
        Status::Fetching => "fetching",
        Status::Loading => "loading",
        Status::WarmingUp => "warming-up",
        Status::Ready { .. } => "ready",
        Status::Failed(_) => "failed",
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
        Status::Ready {
            warmup_ms,
            since_load_ms,
        } => format!(
            "ready {since_load_ms:.0} ms after page load (warm-up inference {warmup_ms:.0} ms)"
        ),
        Status::Failed(e) => format!("Could not start: {e}"),
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
