//! The user's own recordings: which files make which recordings, with limits and clear
//! errors. Pure functions on names and bytes (the page reads the files).

use model::sigmf::{read_archive, FileKind as Kind, Recording};

/// Largest upload the page accepts, bytes per file (64 MiB ≈ 8 M complex `f32` samples).
pub const MAX_UPLOAD_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// Checks a file before reading it: a known kind and at most [`MAX_UPLOAD_BYTES`].
pub fn check(name: &str, size: f64) -> Result<Kind, String> {
    let k = Kind::of(name).ok_or_else(|| {
        format!("{name}: not a recording (pick .sigmf-meta + .sigmf-data, a .sigmf archive, or raw .cf32)")
    })?;
    if size > MAX_UPLOAD_BYTES {
        return Err(format!(
            "{name}: {:.1} MiB is over the {:.0} MiB limit of this page",
            size / 1048576.0,
            MAX_UPLOAD_BYTES / 1048576.0
        ));
    }
    Ok(k)
}

/// Turns picked files `(name, bytes)` into named recordings: each `.sigmf-meta` with the
/// `.sigmf-data` of the same stem, each member of each archive, each raw capture. Every
/// problem is reported, and the good recordings are kept.
pub fn recordings(files: &[(String, Vec<u8>)]) -> (Vec<(String, Recording)>, Vec<String>) {
    let (mut ok, mut errors) = (Vec::new(), Vec::new());
    let stem = |n: &str| {
        n.rsplit_once('.')
            .map_or(n.to_string(), |(s, _)| s.to_string())
    };
    // the other half of a SigMF pair: the file of kind `want` with stem `s`
    let partner = |want: Kind, s: &str| {
        files
            .iter()
            .find(|(n, _)| Kind::of(n) == Some(want) && stem(n) == s)
            .map(|(_, bytes)| bytes)
    };
    for (name, bytes) in files {
        match Kind::of(name) {
            Some(Kind::Meta) => {
                let s = stem(name);
                match partner(Kind::Data, &s) {
                    Some(data) => match Recording::from_bytes(bytes, data) {
                        Ok(r) => ok.push((s, r)),
                        Err(e) => errors.push(format!("{s}: {e}")),
                    },
                    None => errors.push(format!("{name}: pick its {s}.sigmf-data too")),
                }
            }
            Some(Kind::Data) => {
                let s = stem(name);
                if partner(Kind::Meta, &s).is_none() {
                    errors.push(format!("{name}: pick its {s}.sigmf-meta too"));
                }
            }
            Some(Kind::Archive) => match read_archive(bytes) {
                Ok(recs) => ok.extend(recs.into_iter().map(|(n, r)| (format!("{name}:{n}"), r))),
                Err(e) => errors.push(format!("{name}: {e}")),
            },
            Some(Kind::RawCf32) => match Recording::from_raw_cf32(bytes) {
                Ok(r) => ok.push((name.clone(), r)),
                Err(e) => errors.push(format!("{name}: {e}")),
            },
            None => errors.push(format!("{name}: not a recording (unknown extension)")),
        }
    }
    (ok, errors)
}
