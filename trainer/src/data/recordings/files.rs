//! The one reader of recording files on disk: SigMF pairs (`.sigmf-meta` + `.sigmf-data`,
//! named by either half), `.sigmf` archives and raw `cf32_le` captures, whether given one
//! by one (`classify`, [`read_recording`]) or found in folders ([`find_files`]) and
//! streamed window by window ([`Samples`]) for training and evaluation.
//!
//! **Every error names the file**; what the bytes mean is checked by `model::sigmf`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use model::sigmf::{
    check_annotations, decode_samples, parse_metadata, read_archive, Annotation, DataType,
    FileKind, Recording,
};
use model::C32;

use crate::fsutil::{read, read_capped, MAX_NAMED_FILE};

/// The recording files in `paths`: files as given, folders searched recursively for
/// `.sigmf-meta` files, `.sigmf` archives and raw captures (sorted by path, so the order,
/// and with it every seeded draw, does not depend on the file system).
pub fn find_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("listing `{}`", dir.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("listing `{}`", dir.display()))?
                .path();
            if path.is_dir() {
                walk(&path, out)?;
            } else {
                match FileKind::of(&path.to_string_lossy()) {
                    // a pair is named by its metadata half
                    Some(FileKind::Data) | None => {}
                    Some(_) => out.push(path),
                }
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            bail!("`{}` does not exist", p.display());
        }
    }
    // a file given twice (a pair by both halves, a folder and a file in it) counts once:
    // its copies would be separate bursts, on both sides of the train/validation split
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| {
        let named = sigmf_pair(p).map_or_else(|| p.clone(), |(meta, _)| meta);
        seen.insert(std::fs::canonicalize(&named).unwrap_or(named))
    });
    if out.is_empty() {
        bail!(
            "no recordings (.sigmf-meta, .sigmf, .cf32) in {}",
            paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(out)
}

/// The recordings in one file given on the command line, each with the name to report
/// (`archive.sigmf:member` for an archive's): an archive's members, a raw capture, or a
/// SigMF pair named by either half (any other name is taken as the metadata's), all read
/// whole into memory.
pub fn recordings_in_file(given: &Path) -> Result<Vec<(PathBuf, Recording)>> {
    match FileKind::of(&given.to_string_lossy()) {
        Some(FileKind::Archive) => {
            let recs = read_archive(&read(given)?)
                .with_context(|| format!("reading `{}`", given.display()))?;
            Ok(recs
                .into_iter()
                .map(|(name, r)| (PathBuf::from(format!("{}:{name}", given.display())), r))
                .collect())
        }
        Some(FileKind::RawCf32) => {
            let r = Recording::from_raw_cf32(&read(given)?)
                .with_context(|| format!("invalid cf32 capture `{}`", given.display()))?;
            Ok(vec![(given.to_path_buf(), r)])
        }
        _ => {
            let (meta, data) = sigmf_pair(given)
                .unwrap_or_else(|| (given.to_path_buf(), given.with_extension("sigmf-data")));
            let r = read_pair(&meta, &data)?;
            Ok(vec![(meta, r)])
        }
    }
}

/// Reads one SigMF pair, named by its metadata file (`generate` writes them), whole.
pub fn read_recording(meta: &Path) -> Result<Recording> {
    read_pair(meta, &meta.with_extension("sigmf-data"))
}

/// A SigMF pair read whole and checked; the error names both files.
fn read_pair(meta: &Path, data: &Path) -> Result<Recording> {
    Recording::from_bytes(&read(meta)?, &read(data)?).with_context(|| {
        format!(
            "invalid SigMF recording `{}` / `{}`",
            meta.display(),
            data.display()
        )
    })
}

/// The `(metadata, data)` files of a SigMF pair named by either half.
pub fn sigmf_pair(file: &Path) -> Option<(PathBuf, PathBuf)> {
    match FileKind::of(&file.to_string_lossy()) {
        Some(FileKind::Meta) => Some((file.to_path_buf(), file.with_extension("sigmf-data"))),
        Some(FileKind::Data) => Some((file.with_extension("sigmf-meta"), file.to_path_buf())),
        _ => None,
    }
}

/// Where a recording's samples are.
#[derive(Debug, Clone)]
pub enum Samples {
    /// Decoded into memory (`.sigmf` archives, raw captures).
    Memory(Vec<C32>),
    /// A `.sigmf-data` file, read window by window.
    File {
        /// The data file.
        path: PathBuf,
        /// Its sample format.
        datatype: DataType,
    },
}

impl Samples {
    /// Samples `start..start + n` (read from the data file for a streamed recording).
    pub fn window(&self, start: usize, n: usize) -> Result<Cow<'_, [C32]>> {
        match self {
            Samples::Memory(s) => s
                .get(start..start + n)
                .map(Cow::Borrowed)
                .context("a window past its recording's end"),
            Samples::File { path, datatype } => {
                use std::io::{Read, Seek, SeekFrom};
                let sb = datatype.sample_bytes();
                let mut bytes = vec![0u8; n * sb];
                let mut read = || -> std::io::Result<()> {
                    let mut f = std::fs::File::open(path)?;
                    f.seek(SeekFrom::Start((start * sb) as u64))?;
                    f.read_exact(&mut bytes)
                };
                read().with_context(|| {
                    format!(
                        "reading samples {}..{} of `{}` (did it change since it was indexed?)",
                        start,
                        start + n,
                        path.display()
                    )
                })?;
                Ok(Cow::Owned(decode_samples(*datatype, &bytes)?))
            }
        }
    }
}

/// A SigMF pair opened for streaming: its annotations, where its samples are, and how
/// many there are. Checked as `Recording::from_bytes` checks (a whole number of samples,
/// annotations inside the data and covering it at most `MAX_COVERAGE` times), except for
/// non-finite samples, which are not scanned for (rendering zeroes them).
pub fn open_pair(meta: &Path, data: &Path) -> Result<(Vec<Annotation>, Samples, usize)> {
    let parsed = parse_metadata(&read_capped(meta, MAX_NAMED_FILE)?)
        .with_context(|| format!("invalid SigMF metadata `{}`", meta.display()))?;
    let bytes = std::fs::metadata(data)
        .with_context(|| format!("`{}` (the data of `{}`)", data.display(), meta.display()))?
        .len();
    let sb = parsed.datatype.sample_bytes() as u64;
    if bytes % sb != 0 {
        bail!(
            "`{}`: {bytes} bytes is not a whole number of {}-byte {} samples",
            data.display(),
            sb,
            parsed.datatype.name()
        );
    }
    let len = (bytes / sb) as usize;
    check_annotations(&parsed.annotations, len).with_context(|| {
        format!(
            "`{}` does not fit its data `{}`",
            meta.display(),
            data.display()
        )
    })?;
    let source = Samples::File {
        path: data.to_path_buf(),
        datatype: parsed.datatype,
    };
    Ok((parsed.annotations, source, len))
}
