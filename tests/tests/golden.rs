//! Golden values for the browser: the shipped bundle (`static/`) run natively on the Flex
//! backend through the studio path (`model::studio`), recorded in `tests/golden/studio.json`.
//! The browser test (`web/tests/browser.rs`) feeds the same recorded inputs to the same
//! weights in headless Chromium and must match these outputs.
//!
//! Writes the file when it is missing or `FIPMAE_BLESS=1` (never under `CI`, where either
//! fails the test); otherwise checks that the native
//! outputs still equal the recorded ones (so a change to the model or the shipped weights
//! cannot leave stale golden values behind).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use burn::backend::Flex;
use burn::tensor::{backend::Backend, Tensor};
use model::bundle::Bundle;
use model::studio::{classifier_input, max_abs_diff, Golden, GoldenImages};
use model::weights::{autoencoder_from_bytes, classifier_from_bytes};
use model::Renderer;

/// Native runs of the same code agree to this (threads may reorder sums).
const NATIVE_TOLERANCE: f32 = 1e-4;

fn root() -> PathBuf {
    // cargo's value at run time: the checkout being tested, also when this binary was
    // built from another one into a shared target folder
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("..")
}

fn host<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().into_vec::<f32>().unwrap()
}

/// Runs the shipped models on the request's rendered burst.
fn record(class: &str, snr_db: f64, seed: u64) -> Golden {
    let dir = root().join("static");
    let bundle = Bundle::from_json(&std::fs::read(dir.join("bundle.json")).unwrap()).unwrap();
    let device = Default::default();
    let cls = classifier_from_bytes::<Flex>(
        &std::fs::read(dir.join(&bundle.classifier)).unwrap(),
        None,
        &device,
    )
    .unwrap();
    let ae_file = bundle
        .autoencoder
        .clone()
        .expect("the shipped bundle has an autoencoder");
    let mae =
        autoencoder_from_bytes::<Flex>(&std::fs::read(dir.join(ae_file)).unwrap(), None, &device)
            .unwrap();
    let renderer = Renderer::new(bundle.render.clone()).unwrap();
    let mut g = Golden {
        class: class.into(),
        snr_db,
        seed,
        modalities: Vec::new(),
        logits: Vec::new(),
    };
    let req = g.request();
    let example = req.example(&bundle.signal).unwrap();
    let pairs = req.render(&mae, &renderer, &example).unwrap();
    let out = mae
        .forward(&req.inputs::<Flex>(&mae, &pairs, &device).unwrap())
        .unwrap();
    for (p, o) in pairs.iter().zip(out.modalities) {
        g.modalities.push(GoldenImages {
            modality: p.modality,
            channels: p.input.channels,
            size: p.input.size,
            input: p.input.data.clone(),
            target: p.target.data.clone(),
            reconstruction: host(o.pred),
            mask: host(o.mask),
        });
    }
    let images = classifier_input::<Flex>(&pairs, cls.config.mae.target, &device).unwrap();
    g.logits = host(cls.forward(images).unwrap());
    g
}

#[test]
fn golden_values_for_the_browser_match_the_native_run() {
    let path = root().join("tests/golden/studio.json");
    let now = record("8ASK", 5.0, 7);
    let saved: Golden = serde_json::from_slice(&fipmae_tests::recorded(
        &path,
        &serde_json::to_vec(&now).unwrap(),
    ))
    .unwrap();
    assert_eq!((saved.class.as_str(), saved.seed), ("8ASK", 7));
    assert_eq!(saved.modalities.len(), now.modalities.len());
    for (a, b) in saved.modalities.iter().zip(&now.modalities) {
        assert_eq!(a.modality, b.modality);
        for (what, x, y) in [
            ("input", &a.input, &b.input),
            ("target", &a.target, &b.target),
            ("reconstruction", &a.reconstruction, &b.reconstruction),
            ("mask", &a.mask, &b.mask),
        ] {
            let d = max_abs_diff(x, y);
            assert!(
                d <= NATIVE_TOLERANCE,
                "{:?} {what}: recorded and native differ by {d} (rerun with FIPMAE_BLESS=1 if the model or the shipped weights changed on purpose)",
                a.modality
            );
        }
        assert!(a.mask.iter().any(|&m| m > 0.5) && a.mask.iter().any(|&m| m < 0.5));
    }
    let d = max_abs_diff(&saved.logits, &now.logits);
    assert!(d <= NATIVE_TOLERANCE, "logits differ by {d}");
    assert_eq!(saved.logits.len(), 10);
}
