//! The models in the browser: loads an exported bundle from bytes, picks the backend
//! (WebGPU when the browser offers it, else Burn's CPU backend compiled to wasm, with the
//! reason), and runs the studio and recording classification, reading every result back
//! asynchronously.

use burn::backend::wgpu::{Wgpu, WgpuDevice};
use burn::backend::Flex;
use burn::tensor::{backend::Backend, Tensor};
use model::bundle::Bundle;
use model::classifier::AmcClassifier;
use model::mae::FipMae;
use model::metrics::Views;
use model::openset::OpenSetRule;
use model::report::Report;
use model::segment::{mean_probabilities, segments};
use model::sigmf::Recording;
use model::studio::{classifier_input, StudioError, StudioRequest};
use model::verdict::{mean_offset, segment_batches, window_facts, Votes};
use model::weights::{autoencoder_from_bytes, classifier_from_bytes};
use model::{Modality, Renderer};

use crate::error::WebError;

/// The CPU backend (Burn's Flex, compiled to wasm).
pub type Cpu = Flex;
/// The GPU backend (Burn's wgpu on WebGPU).
pub type Gpu = Wgpu;

/// The raw files of an exported bundle (see `model::bundle::Bundle`).
#[derive(Debug, Clone, Default)]
pub struct BundleFiles {
    /// `bundle.json`.
    pub bundle: Vec<u8>,
    /// The classifier's weight file.
    pub classifier: Vec<u8>,
    /// The autoencoder's weight file, if the bundle ships one.
    pub autoencoder: Option<Vec<u8>>,
    /// `report.json`, if the bundle ships one.
    pub report: Option<Vec<u8>>,
    /// `calibration.json` (the open-set rule), if the bundle ships one.
    pub calibration: Option<Vec<u8>>,
}

/// Which backends to consider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preference {
    /// WebGPU when available, else the CPU.
    Auto,
    /// The CPU only (tests, and users who ask for it).
    CpuOnly,
}

/// The backend that runs the models, and for the CPU fallback, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendChoice {
    /// Burn's wgpu backend on WebGPU; the adapter's name.
    WebGpu(String),
    /// Burn's CPU backend in wasm; why WebGPU is not used.
    Cpu(String),
}

impl BackendChoice {
    /// One line for the page.
    pub fn describe(&self) -> String {
        match self {
            Self::WebGpu(adapter) => format!("WebGPU ({adapter})"),
            Self::Cpu(reason) => format!("CPU fallback (wasm): {reason}"),
        }
    }
}

/// The networks on one backend.
#[derive(Debug, Clone)]
pub struct Models<B: Backend> {
    /// The AMC classifier.
    pub classifier: AmcClassifier<B>,
    /// The autoencoder, if shipped.
    pub autoencoder: Option<FipMae<B>>,
}

impl<B: Backend> Models<B> {
    fn load(files: &BundleFiles, device: &B::Device) -> Result<Self, WebError> {
        let classifier =
            classifier_from_bytes::<B>(&files.classifier, None, device).map_err(|source| {
                WebError::Weights {
                    file: "classifier",
                    source,
                }
            })?;
        let autoencoder = match &files.autoencoder {
            Some(bytes) => Some(autoencoder_from_bytes::<B>(bytes, None, device).map_err(
                |source| WebError::Weights {
                    file: "autoencoder",
                    source,
                },
            )?),
            None => None,
        };
        Ok(Self {
            classifier,
            autoencoder,
        })
    }
}

/// The four views of one modality in the studio, with their PSNRs.
#[derive(Debug, Clone, PartialEq)]
pub struct ModalityViews {
    /// Noisy input, masked input, reconstruction (MAE composite), clean target.
    pub views: Views,
    /// PSNR of the reconstruction against the clean image, dB.
    pub psnr_db: f64,
    /// PSNR of the noisy image against the clean image, dB (`+∞` where the input is the
    /// target, as for the noise modality).
    pub noisy_psnr_db: f64,
}

/// What the studio shows for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct StudioResult {
    /// Per modality (empty without an autoencoder).
    pub views: Vec<ModalityViews>,
    /// Class probabilities, in the bundle's class order (calibrated under a rule).
    pub probabilities: Vec<f64>,
    /// With the bundle's open-set rule: whether it calls the burst unknown.
    pub unknown: Option<bool>,
    /// The burst's true class (or out-of-set modulation).
    pub true_class: String,
    /// Reconstruction + classification time, ms (including reading results back).
    pub ms: f64,
    /// The backend that ran it, and why when it is not the page's.
    pub backend: String,
}

impl StudioResult {
    /// "predicted X (p %), true class Y: right|wrong" (or "predicted unknown (closest X,
    /// p %)…"), with `classes` in the bundle's order: an unknown verdict is right for a
    /// modulation outside them.
    pub fn prediction_line(&self, classes: &[String]) -> String {
        let best = self
            .probabilities
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(k, p)| (classes.get(k).cloned().unwrap_or_default(), *p));
        let Some((name, p)) = best else {
            return "no prediction".to_string();
        };
        let unknown = self.unknown == Some(true);
        let right = if unknown {
            !classes.contains(&self.true_class)
        } else {
            name == self.true_class
        };
        let said = if unknown {
            format!("unknown (closest {name}, {:.1} %)", 100.0 * p)
        } else {
            format!("{name} ({:.1} %)", 100.0 * p)
        };
        format!(
            "predicted {said}, true class {}: {}",
            self.true_class,
            if right { "right" } else { "wrong" }
        )
    }
}

/// The verdict on one segment of an uploaded recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The recording's name.
    pub recording: String,
    /// First sample.
    pub sample_start: u64,
    /// Samples.
    pub sample_count: u64,
    /// The annotation's label, if any.
    pub label: Option<String>,
    /// The most probable class (the closest one when `unknown`).
    pub predicted: String,
    /// Its probability (calibrated when the bundle ships an open-set rule).
    pub probability: f64,
    /// Whether the bundle's open-set rule calls the segment unlike every class it knows.
    pub unknown: bool,
    /// The rule's familiarity margin (below 0: unknown), when the bundle ships a rule.
    pub score: Option<f64>,
    /// The carrier offset removed before rendering, cycles/sample (mean over the windows),
    /// when the bundle corrects offsets.
    pub carrier_offset: Option<f64>,
}

/// The models, on exactly one backend (every masking strategy, adaptive included, runs on
/// WebGPU, so the page keeps no CPU copy beside a WebGPU one).
enum OnBackend {
    /// Burn's CPU backend in wasm.
    Cpu(Box<Models<Cpu>>),
    /// Burn's wgpu backend on WebGPU.
    Gpu(Box<Models<Gpu>>),
}

/// A loaded bundle with its models on the chosen backend.
pub struct Engine {
    /// The bundle index.
    pub bundle: Bundle,
    /// The evaluation report: absent, parsed, or why it could not be read.
    pub report: Result<Option<Report>, WebError>,
    /// The backend the page uses.
    pub backend: BackendChoice,
    /// The open-set rule (`calibration.json`), if the bundle ships one.
    pub rule: Option<OpenSetRule>,
    renderer: Renderer,
    models: OnBackend,
}

/// Milliseconds since page load.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Lets the browser paint and handle input before the next step.
pub async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(&resolve);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A float tensor read back asynchronously (WebGPU forbids synchronous reads).
pub async fn read<B: Backend, const D: usize>(t: Tensor<B, D>) -> Result<Vec<f32>, WebError> {
    Ok(model::batch::read_async(t).await?)
}

/// Runs one studio request on one backend.
#[allow(clippy::type_complexity)]
async fn studio_on<B: Backend>(
    models: &Models<B>,
    renderer: &Renderer,
    bundle: &Bundle,
    rule: Option<&OpenSetRule>,
    req: &StudioRequest,
    device: &B::Device,
) -> Result<(Vec<ModalityViews>, Vec<f64>, Option<bool>), WebError> {
    let example = req.example(&bundle.signal)?;
    let target = models.classifier.config.mae.target;
    let mut views = Vec::new();
    let pairs = match &models.autoencoder {
        Some(mae) => {
            let pairs = req.render(mae, renderer, &example)?;
            let out = mae.forward_with(
                &req.inputs::<B>(mae, &pairs, device)?,
                &req.masking(&mae.config),
            )?;
            for (pair, o) in pairs.iter().zip(out.modalities) {
                let v = Views::new(
                    pair.modality,
                    pair.input.clone(),
                    pair.target.clone(),
                    read(o.pred).await?,
                    &read(o.mask).await?,
                    mae.config.patch_size,
                    mae.config.loss_on_all_patches,
                )?;
                let (psnr_db, noisy_psnr_db) = v.psnr_db()?;
                views.push(ModalityViews {
                    views: v,
                    psnr_db,
                    noisy_psnr_db,
                });
            }
            pairs
        }
        None => vec![renderer
            .render_pair(target, &example)
            .map_err(StudioError::from)?],
    };
    let images = classifier_input::<B>(&pairs, target, device)?;
    let pooled = models.classifier.embed(images)?;
    let logits = read(models.classifier.head(pooled.clone())).await?;
    let k = bundle.classes.len();
    let Some(rule) = rule else {
        return Ok((views, mean_probabilities(&logits, k), None));
    };
    // the open-set rule on this burst, through the very steps `classify` takes for a
    // recording's window
    let seg = model::segment::Segment {
        sample_start: 0,
        samples: &example.noisy,
        label: None,
    };
    let facts = window_facts(renderer, &seg, rule)?;
    let mut votes = Votes::with_rule(k, Some(rule.clone()), facts);
    let features = match rule.needs_features() {
        true => Some(read(pooled).await?),
        false => None,
    };
    votes.add_windows(&logits, features.as_deref());
    let v = votes.verdict(&seg);
    Ok((views, v.probabilities, Some(v.unknown)))
}

/// Windows of window facts worked out between two yields to the browser.
const WINDOWS_PER_YIELD: usize = 64;

/// A segment's window facts for `rule` ([`window_facts`]), worked out
/// [`WINDOWS_PER_YIELD`] windows at a time with a yield to the browser between pieces, so
/// a long recording does not hold the page.
async fn window_facts_yielding(
    renderer: &Renderer,
    seg: &model::segment::Segment<'_>,
    rule: &OpenSetRule,
) -> Result<Vec<model::verdict::WindowFacts>, WebError> {
    let n = renderer.config().num_samples.max(1);
    let mut facts = Vec::new();
    for (i, samples) in seg.samples.chunks(WINDOWS_PER_YIELD * n).enumerate() {
        let piece = model::segment::Segment {
            sample_start: seg.sample_start + (i * WINDOWS_PER_YIELD * n) as u64,
            samples,
            label: None,
        };
        facts.extend(window_facts(renderer, &piece, rule)?);
        yield_to_browser().await;
    }
    Ok(facts)
}

/// Classifies every segment of one recording on one backend.
async fn classify_on<B: Backend>(
    model: &AmcClassifier<B>,
    engine: &Engine,
    name: &str,
    rec: &Recording,
    device: &B::Device,
) -> Result<Vec<Verdict>, WebError> {
    let (renderer, rule, classes) = (
        &engine.renderer,
        engine.rule.as_ref(),
        &engine.bundle.classes[..],
    );
    let segs =
        segments(rec, renderer.config().num_samples).map_err(|source| WebError::Segment {
            name: name.to_string(),
            source,
        })?;
    let target = model.config.mae.target;
    let mut out = Vec::with_capacity(segs.len());
    for seg in segs {
        let facts = match rule {
            Some(rule) => window_facts_yielding(renderer, &seg, rule).await?,
            None => Vec::new(),
        };
        // fixed-size batches of windows: memory does not grow with a burst's length
        let features = rule.is_some_and(OpenSetRule::needs_features);
        let mut votes = Votes::with_rule(classes.len(), rule.cloned(), facts);
        let mut offsets = Vec::new();
        for batch in segment_batches::<B>(renderer, target, &seg, device)? {
            let batch = batch?;
            offsets.extend(batch.offsets);
            let pooled = model.embed(batch.images)?;
            let logits = read(model.head(pooled.clone())).await?;
            let f = match features {
                true => Some(read(pooled).await?),
                false => None,
            };
            votes.add_windows(&logits, f.as_deref());
            yield_to_browser().await;
        }
        let v = votes.verdict(&seg);
        out.push(Verdict {
            recording: name.to_string(),
            sample_start: v.sample_start,
            sample_count: v.sample_count,
            predicted: classes.get(v.predicted).cloned().unwrap_or_default(),
            probability: v.confidence(),
            unknown: v.unknown,
            score: v.familiarity,
            carrier_offset: mean_offset(&offsets),
            label: v.label,
        });
        yield_to_browser().await;
    }
    Ok(out)
}

impl Engine {
    /// Parses and loads a bundle; with [`Preference::Auto`], also on WebGPU when the
    /// browser offers it. Errors say which file is wrong and how.
    pub async fn load(files: &BundleFiles, preference: Preference) -> Result<Self, WebError> {
        let bundle = Bundle::from_json(&files.bundle).map_err(|e| WebError::Json {
            file: "bundle.json".into(),
            reason: e.to_string(),
        })?;
        let renderer = Renderer::new(bundle.render.clone()).map_err(|e| WebError::Json {
            file: "bundle.json".into(),
            reason: format!("rendering settings: {e}"),
        })?;
        let (backend, models) = match preference {
            Preference::CpuOnly => (
                BackendChoice::Cpu("the CPU was requested".into()),
                OnBackend::Cpu(Box::new(Models::<Cpu>::load(files, &Default::default())?)),
            ),
            Preference::Auto => match crate::webgpu::init().await {
                Ok(adapter) => match Models::<Gpu>::load(files, &WgpuDevice::default()) {
                    Ok(m) => (BackendChoice::WebGpu(adapter), OnBackend::Gpu(Box::new(m))),
                    Err(e) => (
                        BackendChoice::Cpu(format!("loading on WebGPU failed: {e}")),
                        OnBackend::Cpu(Box::new(Models::<Cpu>::load(files, &Default::default())?)),
                    ),
                },
                Err(reason) => (
                    BackendChoice::Cpu(reason),
                    OnBackend::Cpu(Box::new(Models::<Cpu>::load(files, &Default::default())?)),
                ),
            },
        };
        let classifier = match &models {
            OnBackend::Cpu(m) => &m.classifier.config,
            OnBackend::Gpu(m) => &m.classifier.config,
        };
        bundle.check(classifier)?;
        let report = match &files.report {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice::<Report>(bytes)
                .map(Some)
                .map_err(|e| WebError::Json {
                    file: "report.json".into(),
                    reason: e.to_string(),
                }),
        };
        let rule =
            match &files.calibration {
                None => None,
                Some(bytes) => Some(serde_json::from_slice::<OpenSetRule>(bytes).map_err(|e| {
                    WebError::Json {
                        file: "calibration.json".into(),
                        reason: e.to_string(),
                    }
                })?),
            };
        Ok(Self {
            bundle,
            report,
            rule,
            backend,
            renderer,
            models,
        })
    }

    /// The autoencoder's configuration, if one is loaded.
    fn autoencoder_config(&self) -> Option<&model::config::FipMaeConfig> {
        match &self.models {
            OnBackend::Cpu(m) => m.autoencoder.as_ref().map(|a| &a.config),
            OnBackend::Gpu(m) => m.autoencoder.as_ref().map(|a| &a.config),
        }
    }

    /// Whether an autoencoder is loaded (the studio can reconstruct).
    pub fn has_autoencoder(&self) -> bool {
        self.autoencoder_config().is_some()
    }

    /// The autoencoder's mask ratio per present modality (the studio's defaults).
    pub fn default_ratios(&self) -> Vec<(Modality, f64)> {
        self.autoencoder_config().map_or(Vec::new(), |c| {
            c.modalities
                .iter()
                .filter(|m| m.present)
                .map(|m| (m.modality, m.mask_ratio))
                .collect()
        })
    }

    /// Runs a studio request: reconstruction (with an autoencoder) and classification, on
    /// the page's backend whatever the masking strategy.
    pub async fn studio(&self, req: &StudioRequest) -> Result<StudioResult, WebError> {
        let start = now_ms();
        let rule = self.rule.as_ref();
        let (views, probabilities, unknown) = match &self.models {
            OnBackend::Gpu(m) => {
                studio_on(
                    m,
                    &self.renderer,
                    &self.bundle,
                    rule,
                    req,
                    &WgpuDevice::default(),
                )
                .await?
            }
            OnBackend::Cpu(m) => {
                studio_on(
                    m,
                    &self.renderer,
                    &self.bundle,
                    rule,
                    req,
                    &Default::default(),
                )
                .await?
            }
        };
        Ok(StudioResult {
            views,
            probabilities,
            unknown,
            true_class: req.class.clone(),
            ms: now_ms() - start,
            backend: self.backend.describe(),
        })
    }

    /// Classifies each annotated burst (or window) of a recording.
    pub async fn classify(&self, name: &str, rec: &Recording) -> Result<Vec<Verdict>, WebError> {
        match &self.models {
            OnBackend::Gpu(m) => {
                classify_on(&m.classifier, self, name, rec, &WgpuDevice::default()).await
            }
            OnBackend::Cpu(m) => {
                classify_on(&m.classifier, self, name, rec, &Default::default()).await
            }
        }
    }
}
