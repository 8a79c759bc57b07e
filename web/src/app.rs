//! Page layout and the loading sequence: fetch the bundle (with progress), load the models
//! on the chosen backend, run one warm-up inference, then show the studio, the upload panel
//! and the shipped results.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use model::config::MaskingStrategy;
use model::report::Report;
use model::studio::StudioRequest;
use model::Modality;

use crate::components::backend_line::BackendLine;
use crate::components::load_status::LoadStatus;
use crate::components::results::Results;
use crate::components::studio::Studio;
use crate::components::upload_panel::UploadPanel;
use crate::engine::{BackendChoice, Engine, Preference};
use crate::Source;

/// The loaded engine, shared by the components of one page (not `Send`: wasm is one thread).
pub type EngineHandle = StoredValue<Option<Rc<Engine>>, LocalStorage>;

/// Download progress of the bundle.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// The file being fetched.
    pub file: String,
    /// Bytes received so far.
    pub received: usize,
    /// Its size, when the server says.
    pub total: Option<usize>,
}

/// Where the page is.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Fetching the bundle.
    Fetching,
    /// Building the models.
    Loading,
    /// Running the warm-up inference.
    WarmingUp,
    /// Ready: the warm-up inference's time and the time since page load, ms.
    Ready {
        /// Warm-up inference, ms.
        warmup_ms: f64,
        /// Since the page started loading, ms.
        since_load_ms: f64,
    },
    /// Loading failed; why.
    Failed(String),
}

/// What the components need to know about the loaded bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineInfo {
    /// Class names.
    pub classes: Vec<String>,
    /// The backend in use.
    pub backend: BackendChoice,
    /// Default mask ratio per modality (empty without an autoencoder).
    pub ratios: Vec<(Modality, f64)>,
    /// The shipped evaluation report, or why it could not be read.
    pub report: Result<Option<Report>, String>,
}

/// The studio's first request (also the warm-up).
pub fn default_request(info: &EngineInfo) -> StudioRequest {
    StudioRequest {
        class: info.classes.first().cloned().unwrap_or_default(),
        snr_db: 10.0,
        seed: 1,
        strategy: MaskingStrategy::Random,
        mask_ratios: info.ratios.clone(),
    }
}

/// The whole page.
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
    let info = RwSignal::new(None::<EngineInfo>);
    spawn_local(async move {
        let files = match source {
            Source::Url(base) => {
                let report = |file: &str, received: usize, total: Option<usize>| {
                    progress.try_set(Progress {
                        file: file.to_string(),
                        received,
                        total,
                    });
                };
                match crate::fetch::fetch_bundle(&base, &report).await {
                    Ok(f) => f,
                    Err(e) => {
                        status.try_set(Status::Failed(e));
                        return;
                    }
                }
            }
            Source::Files(f) => (*f).clone(),
        };
        status.try_set(Status::Loading);
        crate::engine::yield_to_browser().await;
        let loaded = match Engine::load(&files, preference).await {
            Ok(e) => Rc::new(e),
            Err(e) => {
                status.try_set(Status::Failed(e));
                return;
            }
        };
        let i = EngineInfo {
            classes: loaded.bundle.classes.clone(),
            backend: loaded.backend.clone(),
            ratios: loaded.default_ratios(),
            report: loaded.report.clone(),
        };
        status.try_set(Status::WarmingUp);
        crate::engine::yield_to_browser().await;
        match loaded.studio(&default_request(&i)).await {
            Ok(r) => {
                engine.try_update_value(|slot| *slot = Some(loaded));
                info.try_set(Some(i));
                status.try_set(Status::Ready {
                    warmup_ms: r.ms,
                    since_load_ms: crate::engine::now_ms(),
                });
            }
            Err(e) => {
                status.try_set(Status::Failed(format!("warm-up inference: {e}")));
            }
        }
    });
    view! {
        <main>
            <h1>"FIP-DenoMAE"</h1>
            <p class="lede">
                "Masked reconstruction and modulation classification of radio bursts, "
                "computed in your browser with Burn. No server beyond these static files."
            </p>
            <LoadStatus status=status progress=progress/>
            {move || {
                info.get()
                    .map(|i| {
                        view! {
                            <BackendLine backend=i.backend.clone()/>
                            <Studio engine=engine info=i.clone()/>
                            <UploadPanel engine=engine/>
                            <Results report=i.report.clone()/>
                        }
                    })
            }}
        </main>
    }
}
