//! The models in the browser: loads an exported bundle from bytes, picks the backend
//! (WebGPU when the browser offers it, else Burn's CPU backend compiled to wasm, with the
//! reason), and runs the studio and recording classification, reading every result back
//! asynchronously.

use burn::backend::wgpu::{Wgpu, WgpuDevice};
use burn::backend::Flex;
use burn::tensor::{backend::Backend, Tensor};
use model::batch::images_to_tensor;
use model::bundle::Bundle;
use model::classifier::AmcClassifier;
use model::config::MaskingStrategy;
use model::mae::FipMae;
use model::metrics::Views;
use model::report::Report;
use model::segment::{argmax, mean_probabilities, segments, window_images};
use model::sigmf::Recording;
use model::studio::{classifier_input, StudioRequest};
use model::weights::{autoencoder_from_bytes, classifier_from_bytes};
use model::{Modality, Renderer};

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
    fn load(files: &BundleFiles, device: &B::Device) -> Result<Self, String> {
        let classifier = classifier_from_bytes::<B>(&files.classifier, None, device)
            .map_err(|e| format!("classifier weights: {e}"))?;
        let autoencoder = match &files.autoencoder {
            Some(bytes) => Some(
                autoencoder_from_bytes::<B>(bytes, None, device)
                    .map_err(|e| format!("autoencoder weights: {e}"))?,
            ),
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
    /// Class probabilities, in the bundle's class order.
    pub probabilities: Vec<f64>,
    /// The burst's true class.
    pub true_class: String,
    /// Reconstruction + classification time, ms (including reading results back).
    pub ms: f64,
    /// The backend that ran it, and why when it is not the page's.
    pub backend: String,
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
    /// The most probable class.
    pub predicted: String,
    /// Its probability.
    pub probability: f64,
}

/// A loaded bundle with its models on the chosen backend.
pub struct Engine {
    /// The bundle index.
    pub bundle: Bundle,
    /// The evaluation report: absent, parsed, or why it could not be read.
    pub report: Result<Option<Report>, String>,
    /// The backend the page uses.
    pub backend: BackendChoice,
    renderer: Renderer,
    cpu: Models<Cpu>,
    gpu: Option<Models<Gpu>>,
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
pub async fn read<B: Backend, const D: usize>(t: Tensor<B, D>) -> Result<Vec<f32>, String> {
    model::batch::read_async(t).await.map_err(|e| e.to_string())
}

/// Runs one studio request on one backend.
async fn studio_on<B: Backend>(
    models: &Models<B>,
    renderer: &Renderer,
    bundle: &Bundle,
    req: &StudioRequest,
    device: &B::Device,
) -> Result<(Vec<ModalityViews>, Vec<f64>), String> {
    let example = req
        .example(&bundle.signal)
        .map_err(|e| format!("studio: {e}"))?;
    let target = models.classifier.config.mae.target;
    let mut views = Vec::new();
    let pairs = match &models.autoencoder {
        Some(mae) => {
            let pairs = req
                .render(mae, renderer, &example)
                .map_err(|e| format!("studio: {e}"))?;
            let out = mae
                .forward_with(
                    &req.inputs::<B>(mae, &pairs, device)
                        .map_err(|e| format!("studio: {e}"))?,
                    &req.masking(&mae.config),
                )
                .map_err(|e| format!("autoencoder: {e}"))?;
            for (pair, o) in pairs.iter().zip(out.modalities) {
                let v = Views::new(
                    pair.modality,
                    pair.input.clone(),
                    pair.target.clone(),
                    read(o.pred).await?,
                    &read(o.mask).await?,
                    mae.config.patch_size,
                    mae.config.loss_on_all_patches,
                )
                .map_err(|e| format!("reconstruction: {e}"))?;
                let (psnr_db, noisy_psnr_db) = v.psnr_db().map_err(|e| format!("PSNR: {e}"))?;
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
            .map_err(|e| format!("studio: {e}"))?],
    };
    let images = classifier_input::<B>(&pairs, target, device)
        .map_err(|e| format!("classifier input: {e}"))?;
    let logits = models
        .classifier
        .forward(images)
        .map_err(|e| format!("classifier: {e}"))?;
    let k = bundle.classes.len();
    Ok((views, mean_probabilities(&read(logits).await?, k)))
}

/// Classifies every segment of one recording on one backend.
async fn classify_on<B: Backend>(
    model: &AmcClassifier<B>,
    renderer: &Renderer,
    classes: &[String],
    name: &str,
    rec: &Recording,
    device: &B::Device,
) -> Result<Vec<Verdict>, String> {
    let segs = segments(rec, renderer.config().num_samples).map_err(|e| format!("{name}: {e}"))?;
    let target = model.config.mae.target;
    let mut out = Vec::with_capacity(segs.len());
    for seg in segs {
        let windows =
            window_images(renderer, target, seg.samples).map_err(|e| format!("{name}: {e}"))?;
        let images = images_to_tensor::<B>(&windows.iter().collect::<Vec<_>>(), device)
            .map_err(|e| format!("{name}: {e}"))?;
        let logits = model
            .forward(images)
            .map_err(|e| format!("classifier: {e}"))?;
        let probs = mean_probabilities(&read(logits).await?, classes.len());
        let best = argmax(&probs);
        out.push(Verdict {
            recording: name.to_string(),
            sample_start: seg.sample_start,
            sample_count: seg.samples.len() as u64,
            label: seg.label,
            predicted: classes.get(best).cloned().unwrap_or_default(),
            probability: probs.get(best).copied().unwrap_or(0.0),
        });
        yield_to_browser().await;
    }
    Ok(out)
}

impl Engine {
    /// Parses and loads a bundle; with [`Preference::Auto`], also on WebGPU when the
    /// browser offers it. Errors say which file is wrong and how.
    pub async fn load(files: &BundleFiles, preference: Preference) -> Result<Self, String> {
        let bundle = Bundle::from_json(&files.bundle).map_err(|e| format!("bundle.json: {e}"))?;
        let renderer = Renderer::new(bundle.render.clone())
            .map_err(|e| format!("bundle.json rendering settings: {e}"))?;
        let cpu = Models::<Cpu>::load(files, &Default::default())?;
        bundle
            .check(&cpu.classifier.config)
            .map_err(|e| e.to_string())?;
        let report = match &files.report {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice::<Report>(bytes)
                .map(Some)
                .map_err(|e| format!("report.json: {e}")),
        };
        let (backend, gpu) = match preference {
            Preference::CpuOnly => (BackendChoice::Cpu("the CPU was requested".into()), None),
            Preference::Auto => match crate::webgpu::init().await {
                Ok(adapter) => match Models::<Gpu>::load(files, &WgpuDevice::default()) {
                    Ok(m) => (BackendChoice::WebGpu(adapter), Some(m)),
                    Err(e) => (
                        BackendChoice::Cpu(format!("loading on WebGPU failed: {e}")),
                        None,
                    ),
                },
                Err(reason) => (BackendChoice::Cpu(reason), None),
            },
        };
        Ok(Self {
            bundle,
            report,
            backend,
            renderer,
            cpu,
            gpu,
        })
    }

    /// Whether an autoencoder is loaded (the studio can reconstruct).
    pub fn has_autoencoder(&self) -> bool {
        self.cpu.autoencoder.is_some()
    }

    /// The autoencoder's mask ratio per present modality (the studio's defaults).
    pub fn default_ratios(&self) -> Vec<(Modality, f64)> {
        self.cpu.autoencoder.as_ref().map_or(Vec::new(), |m| {
            m.config
                .modalities
                .iter()
                .filter(|c| c.present)
                .map(|c| (c.modality, c.mask_ratio))
                .collect()
        })
    }

    /// Runs a studio request: reconstruction (with an autoencoder) and classification.
    ///
    /// Adaptive masking runs on the CPU even when WebGPU is in use: choosing its visible
    /// counts reads the ratios back synchronously, which WebGPU forbids.
    pub async fn studio(&self, req: &StudioRequest) -> Result<StudioResult, String> {
        let start = now_ms();
        let adaptive = req.strategy == MaskingStrategy::Adaptive && self.has_autoencoder();
        let ((views, probabilities), backend) = match &self.gpu {
            Some(g) if !adaptive => (
                studio_on(g, &self.renderer, &self.bundle, req, &WgpuDevice::default()).await?,
                self.backend.describe(),
            ),
            gpu => (
                studio_on(
                    &self.cpu,
                    &self.renderer,
                    &self.bundle,
                    req,
                    &Default::default(),
                )
                .await?,
                if gpu.is_some() {
                    "CPU (adaptive masking reads its ratio back synchronously, which WebGPU \
                     forbids)"
                        .to_string()
                } else {
                    self.backend.describe()
                },
            ),
        };
        Ok(StudioResult {
            views,
            probabilities,
            true_class: req.class.clone(),
            ms: now_ms() - start,
            backend,
        })
    }

    /// Classifies each annotated burst (or window) of a recording.
    pub async fn classify(&self, name: &str, rec: &Recording) -> Result<Vec<Verdict>, String> {
        let classes = &self.bundle.classes;
        match &self.gpu {
            Some(g) => {
                classify_on(
                    &g.classifier,
                    &self.renderer,
                    classes,
                    name,
                    rec,
                    &WgpuDevice::default(),
                )
                .await
            }
            None => {
                classify_on(
                    &self.cpu.classifier,
                    &self.renderer,
                    classes,
                    name,
                    rec,
                    &Default::default(),
                )
                .await
            }
        }
    }
}
