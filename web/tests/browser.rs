//! Browser tests (wasm-bindgen-test in headless Chromium; `scripts/browser_tests.sh` runs
//! them): the model's outputs in the browser against the native golden values, the page
//! mounting, loading and predicting, corrupt bundles and uploads, and both backends.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use burn::backend::wgpu::WgpuDevice;
use burn::tensor::backend::Backend;
use fipmae_web::app::App;
use fipmae_web::engine::{read, BundleFiles, Cpu, Gpu, Preference};
use fipmae_web::Source;
use leptos::prelude::*;
use model::sigmf::{encode_cf32_le, write_archive, write_metadata, BurstAnnotation};
use model::studio::{classifier_input, max_abs_diff, Golden};
use model::weights::{autoencoder_from_bytes, classifier_from_bytes};
use model::C32;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const BUNDLE: &[u8] = include_bytes!("../../static/bundle.json");
const CLASSIFIER: &[u8] = include_bytes!("../../static/classifier.fipmae");
const AUTOENCODER: &[u8] = include_bytes!("../../static/autoencoder.fipmae");
const REPORT: &[u8] = include_bytes!("../../static/report.json");
const CALIBRATION: &[u8] = include_bytes!("../../static/calibration.json");
const GOLDEN: &str = include_str!("../../tests/golden/studio.json");

/// Browser CPU (Flex in wasm) vs native CPU (Flex, SIMD): same weights, same inputs
/// (measured: 8.5e-7 on reconstructions, 7.2e-7 on logits).
const CPU_TOLERANCE: f32 = 1e-4;
/// Browser WebGPU vs native CPU (measured on SwiftShader: 6.6e-7 and 7.2e-7; a hardware
/// GPU may sum in another order).
const GPU_TOLERANCE: f32 = 1e-3;
/// Whether the test run promises WebGPU (CI starts Chromium with --enable-unsafe-webgpu).
fn expect_webgpu() -> bool {
    option_env!("FIPMAE_EXPECT_WEBGPU") == Some("1")
}

fn files() -> BundleFiles {
    BundleFiles {
        bundle: BUNDLE.to_vec(),
        classifier: CLASSIFIER.to_vec(),
        autoencoder: Some(AUTOENCODER.to_vec()),
        report: Some(REPORT.to_vec()),
        calibration: Some(CALIBRATION.to_vec()),
    }
}

/// Max differences (reconstruction, mask, logits) of `B` against the golden record.
async fn golden_diffs<B: Backend>(device: &B::Device) -> (f32, f32, f32) {
    let g: Golden = serde_json::from_str(GOLDEN).unwrap();
    let mae = autoencoder_from_bytes::<B>(AUTOENCODER, None, device).unwrap();
    let cls = classifier_from_bytes::<B>(CLASSIFIER, None, device).unwrap();
    let req = g.request();
    let pairs = g.pairs();
    let out = mae
        .forward(&req.inputs::<B>(&mae, &pairs, device).unwrap())
        .unwrap();
    let (mut recon, mut mask) = (0.0f32, 0.0f32);
    for (want, o) in g.modalities.iter().zip(out.modalities) {
        assert_eq!(want.modality, o.modality);
        recon = recon.max(max_abs_diff(
            &read(o.pred).await.unwrap(),
            &want.reconstruction,
        ));
        mask = mask.max(max_abs_diff(&read(o.mask).await.unwrap(), &want.mask));
    }
    let images = classifier_input::<B>(&pairs, cls.config.mae.target, device).unwrap();
    let logits = read(cls.forward(images).unwrap()).await.unwrap();
    (recon, mask, max_abs_diff(&logits, &g.logits))
}

#[wasm_bindgen_test]
async fn cpu_outputs_equal_the_native_golden_values() {
    let (recon, mask, logits) = golden_diffs::<Cpu>(&Default::default()).await;
    web_sys::console::log_1(
        &format!("cpu vs native: reconstruction {recon:e}, mask {mask}, logits {logits:e}").into(),
    );
    assert_eq!(mask, 0.0, "the browser masked other patches");
    assert!(recon <= CPU_TOLERANCE, "reconstruction differs by {recon}");
    assert!(logits <= CPU_TOLERANCE, "logits differ by {logits}");
}

#[wasm_bindgen_test]
fn rendering_in_wasm_equals_the_native_rendering() {
    let g: Golden = serde_json::from_str(GOLDEN).unwrap();
    let bundle = model::bundle::Bundle::from_json(BUNDLE).unwrap();
    let mae = autoencoder_from_bytes::<Cpu>(AUTOENCODER, None, &Default::default()).unwrap();
    let renderer = model::Renderer::new(bundle.render.clone()).unwrap();
    let req = g.request();
    let ex = req.example(&bundle.signal).unwrap();
    let pairs = req.render(&mae, &renderer, &ex).unwrap();
    for (p, want) in pairs.iter().zip(&g.modalities) {
        let d = max_abs_diff(&p.input.data, &want.input)
            .max(max_abs_diff(&p.target.data, &want.target));
        assert!(
            d <= CPU_TOLERANCE,
            "{:?} rendered differently by {d}",
            p.modality
        );
    }
}

#[wasm_bindgen_test]
async fn webgpu_outputs_equal_the_native_golden_values() {
    match fipmae_web::webgpu::init().await {
        Ok(adapter) => {
            let (recon, mask, logits) = golden_diffs::<Gpu>(&WgpuDevice::default()).await;
            web_sys::console::log_1(
                &format!("webgpu ({adapter}) vs native: reconstruction {recon:e}, mask {mask}, logits {logits:e}")
                    .into(),
            );
            assert_eq!(mask, 0.0, "WebGPU masked other patches");
            assert!(recon <= GPU_TOLERANCE, "reconstruction differs by {recon}");
            assert!(logits <= GPU_TOLERANCE, "logits differ by {logits}");
        }
        Err(reason) => {
            assert!(!expect_webgpu(), "WebGPU was expected but: {reason}");
            web_sys::console::log_1(&format!("no WebGPU here: {reason}").into());
        }
    }
}

// ---- the page -------------------------------------------------------------------------

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A fresh element to mount one page into.
fn container() -> web_sys::HtmlElement {
    let div: web_sys::HtmlElement = document()
        .create_element("div")
        .unwrap()
        .dyn_into()
        .unwrap();
    document().body().unwrap().append_child(&div).unwrap();
    div
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// Waits (up to `secs`) until the element `selector` inside `root` satisfies `ok`.
async fn wait_for(
    root: &web_sys::HtmlElement,
    selector: &str,
    secs: u32,
    ok: impl Fn(&web_sys::Element) -> bool,
) -> web_sys::Element {
    for _ in 0..secs * 10 {
        if let Some(e) = root.query_selector(selector).unwrap() {
            if ok(&e) {
                return e;
            }
        }
        sleep(100).await;
    }
    panic!(
        "timed out waiting for {selector}; the page holds: {}",
        root.inner_html().chars().take(1500).collect::<String>()
    );
}

/// How many elements inside `root` match `selector`.
fn count(root: &web_sys::HtmlElement, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

/// The text of the element `selector` inside `root` (empty when absent).
fn text(root: &web_sys::HtmlElement, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

fn state(e: &web_sys::Element) -> String {
    e.get_attribute("data-state").unwrap_or_default()
}

/// Mounts the page on `files` and waits until it is ready or failed.
async fn mount(files: BundleFiles, preference: Preference) -> (web_sys::HtmlElement, String) {
    let root = container();
    let source = Source::Files(Arc::new(files));
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <App source=source preference=preference/> }
    });
    std::mem::forget(handle);
    let status = wait_for(&root, "#status", 240, |e| {
        matches!(state(e).as_str(), "ready" | "failed")
    })
    .await;
    (root, state(&status))
}

#[wasm_bindgen_test]
async fn the_page_loads_the_bundle_reconstructs_and_predicts_on_the_cpu() {
    let (root, st) = mount(files(), Preference::CpuOnly).await;
    assert_eq!(st, "ready", "{}", root.inner_html());
    let backend = root.query_selector("#backend").unwrap().unwrap();
    assert_eq!(
        backend.get_attribute("data-backend").as_deref(),
        Some("cpu")
    );
    assert!(backend
        .text_content()
        .unwrap_or_default()
        .contains("CPU fallback"));
    let p = wait_for(&root, "#prediction", 60, |e| {
        e.text_content().is_some_and(|t| t.starts_with("predicted"))
    })
    .await;
    assert!(p.text_content().unwrap().contains("true class OOK"));
    // four images per modality of the shipped autoencoder
    assert_eq!(count(&root, "#studio-result canvas"), 16);
    assert_eq!(count(&root, "#probabilities .bar-row"), 10);
    assert!(root
        .query_selector("#accuracy-chart polyline")
        .unwrap()
        .is_some());
    assert!(text(&root, "#studio-time").contains(" ms "));
    // a modulation it never saw: the shipped calibration.json calls it unknown
    let select: web_sys::HtmlSelectElement = root
        .query_selector("#studio-class")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    select.set_value("16QAM");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    let p = wait_for(&root, "#prediction", 60, |e| {
        e.text_content()
            .is_some_and(|t| t.contains("true class 16QAM"))
    })
    .await;
    let line = p.text_content().unwrap();
    assert!(line.starts_with("predicted unknown (closest "), "{line}");
    assert!(line.ends_with("right"), "{line}");
}

#[wasm_bindgen_test]
async fn a_corrupt_bundle_shows_an_error_and_the_page_survives() {
    let mut bad = files();
    bad.classifier.truncate(bad.classifier.len() / 2);
    let (root, st) = mount(bad, Preference::CpuOnly).await;
    assert_eq!(st, "failed");
    let msg = text(&root, "#status");
    assert!(msg.contains("classifier weights"), "{msg}");

    let mut bad_index = files();
    bad_index.bundle = b"{\"classes\": 3}".to_vec();
    let (root, st) = mount(bad_index, Preference::CpuOnly).await;
    assert_eq!(st, "failed");
    let msg = text(&root, "#status");
    assert!(msg.contains("bundle.json"), "{msg}");

    // the same page still mounts and runs a good bundle afterwards
    let (_, st) = mount(files(), Preference::CpuOnly).await;
    assert_eq!(st, "ready");
}

/// Puts `files` into the upload input and fires its change event.
fn pick(root: &web_sys::HtmlElement, files: &[(&str, Vec<u8>)]) {
    let ctor: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"DataTransfer".into())
        .unwrap()
        .dyn_into()
        .unwrap();
    let dt = js_sys::Reflect::construct(&ctor, &js_sys::Array::new()).unwrap();
    let items = js_sys::Reflect::get(&dt, &"items".into()).unwrap();
    let add: js_sys::Function = js_sys::Reflect::get(&items, &"add".into())
        .unwrap()
        .dyn_into()
        .unwrap();
    for (name, bytes) in files {
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
        let file = web_sys::File::new_with_u8_array_sequence(&parts, name).unwrap();
        add.call1(&items, &file).unwrap();
    }
    let input = root.query_selector("#upload-input").unwrap().unwrap();
    js_sys::Reflect::set(
        &input,
        &"files".into(),
        &js_sys::Reflect::get(&dt, &"files".into()).unwrap(),
    )
    .unwrap();
    let ev = web_sys::Event::new("change").unwrap();
    input.dispatch_event(&ev).unwrap();
}

#[wasm_bindgen_test]
async fn uploads_are_classified_and_bad_uploads_get_messages() {
    let (root, st) = mount(files(), Preference::CpuOnly).await;
    assert_eq!(st, "ready");
    let bundle = model::bundle::Bundle::from_json(BUNDLE).unwrap();
    let n = bundle.render.num_samples;
    // a good archive with three annotated bursts, one generated burst each, the last a
    // 16QAM burst (never trained on: the shipped calibration.json calls it unknown)
    let spec = model::DatasetSpec::new(3, model::SnrSpec::Fixed { db: 20.0 });
    let (a, b) = (spec.example(0), spec.example(1));
    let qam = model::signal::synthesize_foreign(
        model::signal::Foreign::Qam16,
        &bundle.signal,
        3,
        0,
        20.0,
    );
    let samples: Vec<C32> = a
        .noisy
        .iter()
        .chain(&b.noisy)
        .chain(&qam.noisy)
        .copied()
        .collect();
    let burst = |start: u64, class: &str| BurstAnnotation {
        sample_start: start,
        sample_count: n as u64,
        label: class.into(),
        snr_db: Some(20.0),
        seed: 3,
        index: 0,
    };
    let meta = write_metadata(
        1e6,
        "test",
        "standard",
        &[
            burst(0, a.class.name()),
            burst(n as u64, b.class.name()),
            burst(2 * n as u64, "16QAM"),
        ],
    );
    let data = encode_cf32_le(&samples);
    let archive = write_archive("rec", &[("two", &meta, &data)]);
    let mut nan = encode_cf32_le(&samples);
    nan[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
    pick(
        &root,
        &[
            ("good.sigmf", archive),
            ("short.cf32", data[..data.len() - 3].to_vec()),
            ("nan.cf32", nan),
            ("notes.txt", b"hello".to_vec()),
            ("lonely.sigmf-meta", meta.clone()),
        ],
    );
    wait_for(&root, "#upload-errors", 60, |e| {
        e.child_element_count() >= 4
    })
    .await;
    let errors = text(&root, "#upload-errors");
    assert!(
        errors.contains("short.cf32") && errors.contains("truncated"),
        "{errors}"
    );
    assert!(
        errors.contains("nan.cf32") && errors.contains("not finite"),
        "{errors}"
    );
    assert!(
        errors.contains("notes.txt") && errors.contains("not a recording"),
        "{errors}"
    );
    assert!(errors.contains("lonely.sigmf-data"), "{errors}");
    assert_eq!(count(&root, "#upload-table tbody tr"), 3);
    let table = text(&root, "#upload-table");
    assert!(table.contains("good.sigmf:rec/two"), "{table}");
    assert!(table.contains("unknown (closest "), "{table}");
    // the shipped bundle corrects carrier offsets and says what it removed
    assert!(
        table.contains("offset removed") && table.contains("e-"),
        "{table}"
    );
}

#[wasm_bindgen_test]
async fn a_weight_file_claiming_an_absurd_network_is_refused_at_once() {
    // the classifier's stored configuration, with an encoder of 10^9 layers
    let bytes = CLASSIFIER;
    let n = u32::from_le_bytes([bytes[10], bytes[11], bytes[12], bytes[13]]) as usize;
    let mut config: serde_json::Value = serde_json::from_slice(&bytes[14..14 + n]).unwrap();
    config["mae"]["encoder_depth"] = 1_000_000_000u64.into();
    let mut bad = files();
    bad.classifier = model::weights::replace_config(bytes, &config.to_string()).unwrap();
    let t = js_sys::Date::now();
    let (root, st) = mount(bad, Preference::CpuOnly).await;
    assert_eq!(st, "failed");
    let msg = text(&root, "#status");
    assert!(msg.contains("classifier") && msg.contains("limit"), "{msg}");
    // refused from the header, before anything of that size is built
    assert!(js_sys::Date::now() - t < 20_000.0);
}

#[wasm_bindgen_test]
async fn a_missing_bundle_names_the_http_error() {
    let root = container();
    let source = Source::Url("/no-such-bundle/".into());
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <App source=source preference=Preference::CpuOnly/> }
    });
    std::mem::forget(handle);
    let status = wait_for(&root, "#status", 60, |e| {
        matches!(state(e).as_str(), "ready" | "failed")
    })
    .await;
    assert_eq!(state(&status), "failed");
    let msg = text(&root, "#status");
    assert!(
        msg.contains("/no-such-bundle/bundle.json") && msg.contains("404"),
        "{msg}"
    );
}

#[wasm_bindgen_test]
async fn hostile_uploads_get_verdicts_or_messages_never_nan() {
    let (root, st) = mount(files(), Preference::CpuOnly).await;
    assert_eq!(st, "ready");
    let n = model::bundle::Bundle::from_json(BUNDLE)
        .unwrap()
        .render
        .num_samples;
    let spec = model::DatasetSpec::new(5, model::SnrSpec::Fixed { db: 20.0 });
    let burst = spec.example(0).noisy;
    // finite but absurd scales: 3·10^38 and 10^-40 (subnormal) per sample
    let scaled = |k: f32| -> Vec<u8> {
        let peak = burst
            .iter()
            .map(|z| z.re.abs().max(z.im.abs()))
            .fold(0.0, f32::max);
        let x: Vec<C32> = burst
            .iter()
            .map(|z| C32::new(z.re / peak * k, z.im / peak * k))
            .collect();
        encode_cf32_le(&x)
    };
    // an archive naming one member twice
    let meta = write_metadata(1e6, "test", "standard", &[]);
    let data = encode_cf32_le(&burst[..n]);
    let twice = write_archive("rec", &[("a", &meta, &data), ("a", &meta, &data)]);
    pick(
        &root,
        &[
            ("huge.cf32", scaled(3e38)),
            ("tiny.cf32", scaled(1e-40)),
            ("twice.sigmf", twice),
        ],
    );
    wait_for(&root, "#upload-errors", 60, |e| {
        e.child_element_count() >= 1
    })
    .await;
    let errors = text(&root, "#upload-errors");
    assert!(
        errors.contains("twice.sigmf") && errors.contains("appears twice"),
        "{errors}"
    );
    let table = wait_for(&root, "#upload-table", 60, |_| true).await;
    let table = table.text_content().unwrap_or_default();
    assert!(
        table.contains("huge.cf32") && table.contains("tiny.cf32"),
        "{table}"
    );
    assert!(!table.contains("NaN"), "{table}");

    // sizes are checked before anything is read: per file, then per upload
    let mib = 1048576.0;
    let verdicts = fipmae_web::upload::admit(&[
        ("a.cf32".into(), 60.0 * mib),
        ("b.cf32".into(), 65.0 * mib),
        ("c.cf32".into(), 60.0 * mib),
        ("d.cf32".into(), 60.0 * mib),
        ("e.cf32".into(), 60.0 * mib),
        ("f.cf32".into(), 60.0 * mib),
        ("g.cf32".into(), 10.0 * mib),
    ]);
    let text_of = |r: &Result<_, fipmae_web::error::WebError>| match r {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    };
    assert!(
        text_of(&verdicts[1]).contains("64 MiB limit"),
        "{}",
        text_of(&verdicts[1])
    );
    // 60 + 60 + 60 + 60 = 240 MiB fit; a fifth 60 MiB file would make 300
    assert!([0, 2, 3, 4].iter().all(|&i| verdicts[i].is_ok()));
    assert!(
        text_of(&verdicts[5]).contains("256 MiB per upload"),
        "{}",
        text_of(&verdicts[5])
    );
    assert!(verdicts[6].is_ok(), "a later small file still fits");
}

#[wasm_bindgen_test]
async fn the_page_runs_on_webgpu_when_the_browser_offers_it() {
    let (root, st) = mount(files(), Preference::Auto).await;
    assert_eq!(st, "ready", "{}", root.inner_html());
    let backend = root.query_selector("#backend").unwrap().unwrap();
    let kind = backend.get_attribute("data-backend").unwrap_or_default();
    let line = backend.text_content().unwrap_or_default();
    web_sys::console::log_1(&JsValue::from_str(&format!("page backend: {line}")));
    if expect_webgpu() {
        assert_eq!(kind, "webgpu", "{line}");
    } else if kind == "cpu" {
        // the fallback must say why
        assert!(
            line.contains("CPU fallback: ") || line.contains("CPU fallback (wasm): "),
            "{line}"
        );
    }
    wait_for(&root, "#prediction", 120, |e| {
        e.text_content().is_some_and(|t| t.starts_with("predicted"))
    })
    .await;
    // adaptive masking (AMR) runs on the page's backend too: no host read, no CPU copy
    let before = text(&root, "#studio-time");
    let select = root.query_selector("#studio-strategy").unwrap().unwrap();
    js_sys::Reflect::set(&select, &"value".into(), &"adaptive".into()).unwrap();
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    let time = wait_for(&root, "#studio-time", 240, |e| {
        e.text_content().is_some_and(|t| t != before)
    })
    .await;
    let time = time.text_content().unwrap_or_default();
    web_sys::console::log_1(&JsValue::from_str(&format!("adaptive masking: {time}")));
    assert!(root.query_selector("#studio-error").unwrap().is_none());
    if kind == "webgpu" {
        assert!(time.contains("WebGPU"), "{time}");
    }
}
