//! Page layout: the loading line while the bundle loads (see `state::load`), then the
//! studio, the upload panel and the shipped results.

use leptos::prelude::*;

use crate::components::backend_line::BackendLine;
use crate::components::load_status::{FailedStatus, LoadStatus, ReadyStatus};
use crate::components::results::Results;
use crate::components::studio::Studio;
use crate::components::upload_panel::UploadPanel;
use crate::engine::Preference;
use crate::state::{EngineHandle, Progress, Status};
use crate::Source;

/// The whole page. Loading is a local resource ([`crate::state::load`]): while it is
/// pending the suspense shows the progress line, a failure goes to the error boundary
/// (`#status` with `data-state="failed"`), and the loaded page shows the studio, the upload
/// panel and the results.
#[component]
pub fn App(
    /// Where to get the bundle.
    source: Source,
    /// Which backends to consider.
    preference: Preference,
) -> impl IntoView {
    let engine: EngineHandle = StoredValue::new_local(None);
    let status = RwSignal::new(Status::Fetching);
    let progress = RwSignal::new(Progress::default());
    let loaded = LocalResource::new(move || {
        crate::state::load(source.clone(), preference, engine, status, progress)
    });
    let page = move || match loaded.get() {
        None => Ok(view! { <LoadStatus status=status progress=progress/> }.into_any()),
        Some(Err(e)) => Err(e),
        Some(Ok(l)) => Ok(view! {
            <ReadyStatus warmup_ms=l.warmup_ms since_load_ms=l.since_load_ms/>
            <BackendLine backend=l.info.backend.clone()/>
            <Studio engine=engine info=l.info.clone()/>
            <UploadPanel engine=engine/>
            <Results report=l.info.report.clone()/>
        }
        .into_any()),
    };
    view! {
        <main>
            <h1>"FIP-DenoMAE"</h1>
            <p class="lede">
                "Masked reconstruction and modulation classification of radio bursts, "
                "computed in your browser with Burn. No server beyond these static files."
            </p>
            <Suspense fallback=move || view! { <LoadStatus status=status progress=progress/> }>
                <ErrorBoundary fallback=|errors| view! { <FailedStatus errors=errors/> }>
                    {page}
                </ErrorBoundary>
            </Suspense>
        </main>
    }
}
