//! The backend comparison's reference numbers (`trainer::tools::devcheck`): recorded by the CPU
//! build in `tests/golden/device.json` (written when missing or `FIPMAE_BLESS=1`, never
//! under `CI`, where either fails the test: `fipmae_tests::recorded`), and
//! checked against every CPU run so they cannot go stale.
#![cfg(not(any(feature = "wgpu", feature = "cuda", feature = "ndarray")))]
#![allow(clippy::unwrap_used)]

mod common;

use trainer::tools::devcheck::{max_difference, run, DeviceRecord};

#[test]
fn the_cpu_pipeline_matches_its_recorded_numbers() {
    let tmp = common::Scratch::new();
    let now = run(&tmp.path("run")).unwrap();
    let path = common::repo_root().join("tests/golden/device.json");
    let now_bytes = serde_json::to_vec_pretty(&now).unwrap();
    let saved: DeviceRecord =
        serde_json::from_slice(&fipmae_tests::recorded(&path, &now_bytes)).unwrap();
    let (values, accuracy) = max_difference(&saved, &now).unwrap();
    // the same code on the same backend: threads may reorder sums, nothing more
    assert!(values < 1e-3 && accuracy < 1e-9, "CPU run strays from tests/golden/device.json: {values}, {accuracy} (rerun with FIPMAE_BLESS=1 if the pipeline changed on purpose)");
    assert_eq!(saved.eval_accuracy.len(), 3);
    assert_eq!(saved.classify_probabilities.len(), 4);
}
