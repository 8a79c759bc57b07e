//! Helpers shared by the trainer's integration tests.

use std::path::PathBuf;

/// One test's scratch folder: a fresh temporary directory, removed with everything in it
/// when the value is dropped (also when the test fails).
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    /// A new, empty scratch folder.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(
            tempfile::Builder::new()
                .prefix("fipmae-test-")
                .tempdir()
                .expect("a temporary folder"),
        )
    }

    /// The path `name` inside the folder (not created).
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

/// The repository's root folder, from cargo's `CARGO_MANIFEST_DIR` at run time: the
/// checkout being tested, even when the test binary was built from another checkout into
/// a shared target folder (cargo may then find it fresh, and the path built in would be
/// that other checkout's).
#[allow(dead_code)]
pub fn repo_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("..")
}
