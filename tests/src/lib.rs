//! Cross-crate tests live in `tests/tests/`; this library holds what the workspace's test
//! suites share across crates.

use std::path::Path;

/// The bytes of the recorded golden file at `path`, after writing `now` there (atomically)
/// when the file is missing or `FIPMAE_BLESS=1`. Under `CI` a golden file is only ever
/// compared with, never written: a missing file or a bless request there panics, so a test
/// never passes against itself.
///
/// # Panics
/// On a missing file or `FIPMAE_BLESS=1` under `CI`, and when the file cannot be written or read.
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub fn recorded(path: &Path, now: &[u8]) -> Vec<u8> {
    let bless = std::env::var("FIPMAE_BLESS").is_ok_and(|v| v == "1");
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
        assert!(
            path.exists() && !bless,
            "CI is set: `{}` must exist and FIPMAE_BLESS must not be 1 (bless on a development machine and commit the file)",
            path.display()
        );
    }
    if bless || !path.exists() {
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, now).expect("golden file written");
        std::fs::rename(&tmp, path).expect("golden file renamed into place");
        eprintln!("wrote {}", path.display());
    }
    std::fs::read(path).expect("golden file read")
}
