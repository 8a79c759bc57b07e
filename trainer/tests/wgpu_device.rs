//! The `wgpu` backend on a software Vulkan device (lavapipe; `scripts/wgpu_tests.sh`
//! installs it and runs this with `--features wgpu`): the shipped models' studio outputs,
//! and a short pretrain → finetune → eval → classify pipeline, against the CPU's recorded
//! numbers (`tests/golden/studio.json`, `tests/golden/device.json`).
#![cfg(feature = "wgpu")]
#![allow(clippy::unwrap_used)]

mod common;

use burn::backend::Wgpu;
use burn::tensor::{backend::Backend, Tensor};
use model::studio::{classifier_input, max_abs_diff, Golden};
use model::weights::{autoencoder_from_bytes, classifier_from_bytes};
use trainer::tools::devcheck::{
    max_difference, run, DeviceRecord, WGPU_ACCURACY_TOLERANCE, WGPU_TOLERANCE,
};

/// WebGPU (SwiftShader) against the CPU measured 6.6e-7 and 7.2e-7 in the browser tests.
const STUDIO_TOLERANCE: f32 = 1e-3;

fn root() -> std::path::PathBuf {
    common::repo_root()
}

fn host<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().into_vec::<f32>().unwrap()
}

#[test]
fn studio_outputs_on_wgpu_equal_the_cpu_golden_values() {
    let read = |p: &str| std::fs::read(root().join(p)).unwrap();
    let g: Golden = serde_json::from_slice(&read("tests/golden/studio.json")).unwrap();
    let device = Default::default();
    let mae =
        autoencoder_from_bytes::<Wgpu>(&read("static/autoencoder.fipmae"), None, &device).unwrap();
    let cls =
        classifier_from_bytes::<Wgpu>(&read("static/classifier.fipmae"), None, &device).unwrap();
    let req = g.request();
    let pairs = g.pairs();
    let out = mae
        .forward(&req.inputs::<Wgpu>(&mae, &pairs, &device).unwrap())
        .unwrap();
    for (want, o) in g.modalities.iter().zip(out.modalities) {
        let d = max_abs_diff(&host(o.pred), &want.reconstruction);
        assert!(
            d <= STUDIO_TOLERANCE,
            "{:?} reconstruction differs by {d}",
            want.modality
        );
        assert_eq!(
            max_abs_diff(&host(o.mask), &want.mask),
            0.0,
            "{:?} mask",
            want.modality
        );
    }
    let images = classifier_input::<Wgpu>(&pairs, cls.config.mae.target, &device).unwrap();
    let d = max_abs_diff(&host(cls.forward(images).unwrap()), &g.logits);
    assert!(d <= STUDIO_TOLERANCE, "logits differ by {d}");
}

#[test]
fn training_evaluation_and_classification_on_wgpu_follow_the_cpu() {
    let tmp = common::Scratch::new();
    let now = run(&tmp.path("run")).unwrap();
    assert_eq!(now.backend, "wgpu (burn-wgpu)");
    let saved: DeviceRecord =
        serde_json::from_slice(&std::fs::read(root().join("tests/golden/device.json")).unwrap())
            .unwrap();
    let (values, accuracy) = max_difference(&saved, &now).unwrap();
    eprintln!(
        "wgpu against the CPU: losses and probabilities {values:.2e}, accuracies {accuracy:.3}"
    );
    assert!(
        values <= WGPU_TOLERANCE,
        "losses/probabilities differ by {values}: {now:?}"
    );
    assert!(
        accuracy <= WGPU_ACCURACY_TOLERANCE,
        "accuracies differ by {accuracy}: {now:?}"
    );
}
