//! The user's own recordings: which files make which recordings, with limits and clear
//! errors, and their classification (what the upload panel's action runs).

use js_sys::Uint8Array;
use model::sigmf::{read_archive_within, FileKind as Kind, Recording, SampleBudget};
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

use crate::engine::{Engine, Verdict};
use crate::error::WebError;

/// Largest upload the page accepts, bytes per file (64 MiB ≈ 8 M complex `f32` samples).
pub const MAX_UPLOAD_BYTES: f64 = 64.0 * 1024.0 * 1024.0;
/// Most bytes the page reads from one upload, all files together (256 MiB); files past it
/// are refused unread. Decoded samples are capped separately, per upload, by
/// [`model::sigmf::MAX_DECODED_SAMPLES`] (formats of 8-bit samples decode to 4× their size).
pub const MAX_UPLOAD_TOTAL_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// Checks picked files, `(name, size in bytes)`, before any is read: each as [`check`]
/// does, and the running total against [`MAX_UPLOAD_TOTAL_BYTES`] (a file that would
/// pass it is refused, later smaller ones may still fit).
pub fn admit(files: &[(String, f64)]) -> Vec<Result<Kind, WebError>> {
    let mut total = 0.0;
    files
        .iter()
        .map(|(name, size)| {
            let kind = check(name, *size)?;
            if total + size > MAX_UPLOAD_TOTAL_BYTES {
                return Err(upload(
                    name,
                    format!(
                        "the files picked before it already fill this page's {:.0} MiB per upload; pick it again on its own",
                        MAX_UPLOAD_TOTAL_BYTES / 1048576.0
                    ),
                ));
            }
            total += size;
            Ok(kind)
        })
        .collect()
}

/// Checks a file before reading it: a known kind and at most [`MAX_UPLOAD_BYTES`].
pub fn check(name: &str, size: f64) -> Result<Kind, WebError> {
    let bad = |reason: String| WebError::Upload {
        name: name.to_string(),
        reason,
    };
    let k = Kind::of(name).ok_or_else(|| {
        bad(
            "not a recording (pick .sigmf-meta + .sigmf-data, a .sigmf archive, or raw .cf32)"
                .into(),
        )
    })?;
    if size > MAX_UPLOAD_BYTES {
        return Err(bad(format!(
            "{:.1} MiB is over the {:.0} MiB limit of this page",
            size / 1048576.0,
            MAX_UPLOAD_BYTES / 1048576.0
        )));
    }
    Ok(k)
}

fn upload(name: &str, reason: String) -> WebError {
    WebError::Upload {
        name: name.to_string(),
        reason,
    }
}

/// Turns picked files `(name, bytes)` into named recordings: each `.sigmf-meta` with the
/// `.sigmf-data` of the same stem, each member of each archive, each raw capture, at most
/// [`model::sigmf::MAX_DECODED_SAMPLES`] samples in all (a recording that does not fit is
/// refused with a message; the ones decoded before it are kept). Every problem is
/// reported, and the good recordings are kept.
pub fn recordings(files: &[(String, Vec<u8>)]) -> (Vec<(String, Recording)>, Vec<WebError>) {
    let mut budget = SampleBudget::default();
    let budget = &mut budget;
    // a decoded recording, if its samples fit in what is left of the upload's budget
    let fits = |r: Recording, budget: &mut SampleBudget| budget.spend(r.samples.len()).map(|()| r);
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
                    Some(data) => {
                        match Recording::from_bytes(bytes, data).and_then(|r| fits(r, budget)) {
                            Ok(r) => ok.push((s, r)),
                            Err(source) => errors.push(WebError::Recording { name: s, source }),
                        }
                    }
                    None => errors.push(upload(name, format!("pick its {s}.sigmf-data too"))),
                }
            }
            Some(Kind::Data) => {
                let s = stem(name);
                if partner(Kind::Meta, &s).is_none() {
                    errors.push(upload(name, format!("pick its {s}.sigmf-meta too")));
                }
            }
            Some(Kind::Archive) => match read_archive_within(bytes, budget) {
                Ok(recs) => ok.extend(recs.into_iter().map(|(n, r)| (format!("{name}:{n}"), r))),
                Err(source) => errors.push(WebError::Recording {
                    name: name.clone(),
                    source,
                }),
            },
            Some(Kind::RawCf32) => {
                match Recording::from_raw_cf32(bytes).and_then(|r| fits(r, budget)) {
                    Ok(r) => ok.push((name.clone(), r)),
                    Err(source) => errors.push(WebError::Recording {
                        name: name.clone(),
                        source,
                    }),
                }
            }
            None => errors.push(upload(name, "not a recording (unknown extension)".into())),
        }
    }
    (ok, errors)
}

/// Reads, checks and classifies picked files: the verdicts, and one message per problem.
pub async fn classify_files(engine: &Engine, files: Vec<File>) -> (Vec<Verdict>, Vec<WebError>) {
    let mut errors = Vec::new();
    let mut loaded = Vec::new();
    let sizes: Vec<(String, f64)> = files.iter().map(|f| (f.name(), f.size())).collect();
    for (f, admitted) in files.into_iter().zip(admit(&sizes)) {
        let name = f.name();
        if let Err(e) = admitted {
            errors.push(e);
            continue;
        }
        match JsFuture::from(f.array_buffer()).await {
            Ok(buf) => loaded.push((name, Uint8Array::new(&buf).to_vec())),
            Err(e) => errors.push(WebError::Upload {
                name,
                reason: format!("could not be read ({e:?})"),
            }),
        }
    }
    let (verdicts, more) = classify_bytes(engine, &loaded).await;
    errors.extend(more);
    (verdicts, errors)
}

/// Classifies files already in memory, `(name, bytes)`.
pub async fn classify_bytes(
    engine: &Engine,
    files: &[(String, Vec<u8>)],
) -> (Vec<Verdict>, Vec<WebError>) {
    let (recs, mut errors) = recordings(files);
    let mut verdicts = Vec::new();
    for (name, rec) in recs {
        match engine.classify(&name, &rec).await {
            Ok(v) => verdicts.extend(v),
            Err(e) => errors.push(e),
        }
    }
    (verdicts, errors)
}
