//! File helpers: atomic writes and reads that name the file on failure.

use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, then a rename,
/// so a crash never leaves a half-written file in place of a good one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("`{}` has no file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!(
            "cannot move `{}` into place as `{}`",
            tmp.display(),
            path.display()
        )
    })
}

/// Reads a whole file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
}

/// Creates a folder and its parents, naming it in the error.
pub fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path)
        .with_context(|| format!("cannot create folder `{}`", path.display()))
}

/// Appends one line to a text file (logs such as `metrics.jsonl` only grow).
pub fn append_line(path: &Path, line: &str) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open `{}`", path.display()))?;
    writeln!(f, "{line}").with_context(|| format!("cannot write `{}`", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("fipmae-fsutil-{}", std::process::id()));
        create_dir(&dir)?;
        let f = dir.join("a.txt");
        write_atomic(&f, b"one")?;
        write_atomic(&f, b"two")?;
        assert_eq!(read(&f)?, b"two");
        let leftovers = std::fs::read_dir(&dir)?.count();
        assert_eq!(leftovers, 1);
        let err = read(&dir.join("missing.bin")).unwrap_err();
        assert!(format!("{err:#}").contains("missing.bin"));
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
