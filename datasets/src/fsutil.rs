//! File helpers: atomic writes and reads that name the file on failure.
//!
//! Errors are typed ([`DatasetsError`]: the path, with the I/O error as its source) and stay
//! here rather than in the trainer, because the importers write through them too; the
//! trainer's `?` and `.context` turn them into `anyhow` as they are, so none of its callers
//! changed.

use std::path::Path;

use crate::error::{DatasetsError, Result};

/// Writes `bytes` to `path` atomically and durably: a temporary file in the same folder,
/// flushed to disk (`fsync`), renamed over `path`, then the folder flushed, so a crash or a
/// power cut leaves either the old file or the new one, never a half-written one. The
/// temporary file is removed when any step fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| DatasetsError::NoFileName {
        path: path.to_path_buf(),
    })?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(DatasetsError::io("write", &tmp, e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(DatasetsError::Rename {
            from: tmp,
            to: path.to_path_buf(),
            source: e,
        });
    }
    // the rename itself is durable once the folder is flushed (not possible everywhere:
    // a folder that cannot be opened for it is left to the OS)
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Reads a whole file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| DatasetsError::io("read", path, e))
}

/// The largest file a bundle or run folder may name (weights included), bytes.
pub const MAX_NAMED_FILE: u64 = 2 << 30;

/// Reads a file that an index (`bundle.json`) names: it must be a regular file of at most
/// `cap` bytes; the error names it.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| DatasetsError::io("read", path, e))?;
    if !meta.is_file() {
        return Err(DatasetsError::NotRegularFile {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > cap {
        return Err(DatasetsError::TooLarge {
            path: path.to_path_buf(),
            len: meta.len(),
            cap,
        });
    }
    read(path)
}

/// Creates a folder and its parents, naming it in the error.
pub fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| DatasetsError::io("create folder", path, e))
}

/// Appends one line to a text file (logs such as `metrics.jsonl` only grow).
pub fn append_line(path: &Path, line: &str) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| DatasetsError::io("open", path, e))?;
    // one write per line: several processes may append to the same file (a campaign's
    // `timings.jsonl`), and O_APPEND keeps whole writes apart
    f.write_all(format!("{line}\n").as_bytes())
        .map_err(|e| DatasetsError::io("write", path, e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("fipmae-fsutil-{}", std::process::id()));
        create_dir(&dir)?;
        let f = dir.join("a.txt");
        write_atomic(&f, b"one")?;
        write_atomic(&f, b"two")?;
        assert_eq!(read(&f)?, b"two");
        let leftovers = std::fs::read_dir(&dir)?.count();
        assert_eq!(leftovers, 1);
        // a failed rename (the target is a folder) leaves no temporary file behind
        let sub = dir.join("sub");
        create_dir(&sub)?;
        std::fs::write(sub.join("x"), b"x")?;
        assert!(write_atomic(&sub, b"three").is_err());
        assert_eq!(std::fs::read_dir(&dir)?.count(), 2);
        std::fs::remove_dir_all(&sub)?;
        let err = read(&dir.join("missing.bin")).unwrap_err();
        assert!(err.to_string().contains("missing.bin"), "{err}");
        assert!(matches!(err, DatasetsError::Io { action: "read", .. }));
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
