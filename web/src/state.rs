//! The page's state and the logic behind it, shared by the layout (`app`) and the
//! components: the loading steps and download progress, [`load`] (the future behind the
//! page's loading resource), the loaded engine and what the components need to know about
//! it. Its own module, so that `app` and the components import it instead of each other.

use std::rc::Rc;

use leptos::prelude::*;
use model::config::MaskingStrategy;
use model::report::Report;
use model::studio::StudioRequest;
use model::Modality;

use crate::engine::{BackendChoice, Engine, Preference, StudioResult};
use crate::error::WebError;
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

/// Which step of loading the page is in (while the loading resource is pending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Fetching the bundle.
    Fetching,
    /// Building the models.
    Loading,
    /// Running the warm-up inference.
    WarmingUp,
}

/// A loaded page: what the components need, and how long getting there took.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// What was loaded.
    pub info: EngineInfo,
    /// The warm-up inference, ms.
    pub warmup_ms: f64,
    /// From page load to ready, ms.
    pub since_load_ms: f64,
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
    pub report: Result<Option<Report>, WebError>,
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

/// Fetches the bundle (reporting `progress`), loads the models on the preferred backend,
/// runs one warm-up inference and stores the engine in `engine`; `status` follows the
/// steps. The future behind the page's loading resource.
pub async fn load(
    source: Source,
    preference: Preference,
    engine: EngineHandle,
    status: RwSignal<Status>,
    progress: RwSignal<Progress>,
) -> Result<Loaded, WebError> {
    status.try_set(Status::Fetching);
    let files = match source {
        Source::Url(base) => {
            let report = |file: &str, received: usize, total: Option<usize>| {
                progress.try_set(Progress {
                    file: file.to_string(),
                    received,
                    total,
                });
            };
            crate::fetch::fetch_bundle(&base, &report).await?
        }
        Source::Files(f) => (*f).clone(),
    };
    status.try_set(Status::Loading);
    crate::engine::yield_to_browser().await;
    let loaded = Rc::new(Engine::load(&files, preference).await?);
    let info = EngineInfo {
        classes: loaded.bundle.classes.clone(),
        backend: loaded.backend.clone(),
        ratios: loaded.default_ratios(),
        report: loaded.report.clone(),
    };
    status.try_set(Status::WarmingUp);
    crate::engine::yield_to_browser().await;
    let warmup = loaded.studio(&default_request(&info)).await?;
    engine.try_update_value(|slot| *slot = Some(loaded));
    Ok(Loaded {
        info,
        warmup_ms: warmup.ms,
        since_load_ms: crate::engine::now_ms(),
    })
}

/// Runs one studio request on the loaded engine, after letting the browser paint (the
/// future behind the studio's resource, keyed on the request).
pub async fn run_studio(
    engine: EngineHandle,
    request: StudioRequest,
) -> Result<StudioResult, WebError> {
    crate::engine::yield_to_browser().await;
    match engine.try_get_value().flatten() {
        Some(e) => e.studio(&request).await,
        None => Err(WebError::Fetch("the models are not loaded yet".into())),
    }
}
