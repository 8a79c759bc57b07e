//! The backend comparison's reference numbers (`trainer::tools::devcheck`): recorded by the CPU
//! build in `tests/golden/device.json` (written when missing or `FIPMAE_BLESS=1`, never
//! under `CI`, where either fails the test), and
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
    let bless = std::env::var("FIPMAE_BLESS").is_ok_and(|v| v == "1");
    // in CI a golden file is only ever compared with, never written: a missing file or a
    // bless request there is a failure, not a test that passes against itself
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
        assert!(
            path.exists() && !bless,
            "CI is set: `{}` must exist and FIPMAE_BLESS must not be 1 (bless on a development machine and commit the file)",
            path.display()
        );
    }
    if bless || !path.exists() {
        std::fs::write(&path, serde_json::to_vec_pretty(&now).unwrap()).unwrap();
        eprintln!("wrote {}", path.display());
    }
    let saved: DeviceRecord = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let (values, accuracy) = max_difference(&saved, &now).unwrap();
    // the same code on the same backend: threads may reorder sums, nothing more
    assert!(values < 1e-3 && accuracy < 1e-9, "CPU run strays from tests/golden/device.json: {values}, {accuracy} (rerun with FIPMAE_BLESS=1 if the pipeline changed on purpose)");
    assert_eq!(saved.eval_accuracy.len(), 3);
    assert_eq!(saved.classify_probabilities.len(), 4);
}
