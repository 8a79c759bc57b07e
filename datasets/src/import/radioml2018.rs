//! RadioML 2018.01a's HDF5 file → SigMF recordings (feature `hdf5`, the system's libhdf5).
//!
//! Datasets `X` (float32 `[N, L, 2]`, I and Q last), `Y` (one-hot `[N, classes]`, any
//! numeric type) and `Z` (SNR in dB, `[N, 1]` or `[N]`). The file is about 20 GB, so it is
//! never read whole: a first pass reads `Y` and `Z` (a few hundred MB) and checks every
//! row; only then is the output folder created and `X` streamed (each block checked for
//! non-finite samples before it is written), `--frames-per-recording`
//! rows at a time, into `frames_<first row>.sigmf-meta/-data` with one annotation per frame
//! (`core:label`, `fipmae:snr_db`, `fipmae:index` = the row, `fipmae:profile` =
//! `radioml2018`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use signal::sigmf::{encode_cf32_le, write_metadata, BurstAnnotation};
use signal::C32;

use super::{RadioMl2018Args, CLASSES_2018};
use crate::fsutil::{create_dir, write_atomic};

/// Rows of `Y` and `Z` read at a time in the checking pass.
const CHECK_ROWS: usize = 1 << 16;
/// Longest class name accepted, bytes.
const MAX_LABEL_BYTES: usize = 64;

/// Every row's class index and SNR, checked.
struct Labels {
    class: Vec<u16>,
    snr_db: Vec<f64>,
}

/// Reads and checks `Y` and `Z` for rows `0..n`: each `Y` row holds one 1 and otherwise
/// 0s, each SNR is finite; an error names the first row that is not.
fn labels(y: &hdf5::Dataset, z: &hdf5::Dataset, n: usize, classes: usize) -> Result<Labels> {
    let mut out = Labels {
        class: Vec::with_capacity(n),
        snr_db: Vec::with_capacity(n),
    };
    let z_2d = z.ndim() == 2;
    for a in (0..n).step_by(CHECK_ROWS) {
        let b = (a + CHECK_ROWS).min(n);
        let rows = y
            .read_slice_2d::<f64, _>((a..b, ..))
            .with_context(|| format!("reading Y rows {a}..{b}"))?;
        for (k, row) in rows.outer_iter().enumerate() {
            let ones: Vec<usize> = (0..row.len()).filter(|&j| row[j] == 1.0).collect();
            let zeros = row.iter().filter(|v| **v == 0.0).count();
            if ones.len() != 1 || zeros != classes - 1 {
                bail!(
                    "row {} of Y is not one-hot (a single 1 among 0s): {:?}",
                    a + k,
                    row.iter().take(classes).collect::<Vec<_>>()
                );
            }
            out.class.push(ones[0] as u16);
        }
        let snr = if z_2d {
            z.read_slice_1d::<f64, _>((a..b, 0))
        } else {
            z.read_slice_1d::<f64, _>(a..b)
        }
        .with_context(|| format!("reading Z rows {a}..{b}"))?;
        for (k, s) in snr.iter().enumerate() {
            if !s.is_finite() {
                bail!("row {} of Z holds the SNR {s}, not a finite number", a + k);
            }
            out.snr_db.push(*s);
        }
    }
    Ok(out)
}

/// The class names: `--classes`, or RadioML 2018.01a's; each non-empty and short.
fn class_names(args: &RadioMl2018Args) -> Result<Vec<String>> {
    let names: Vec<String> = match &args.classes {
        Some(c) => c.iter().map(|s| s.trim().to_string()).collect(),
        None => CLASSES_2018.iter().map(|s| s.to_string()).collect(),
    };
    if names.len() < 2 || names.len() > u16::MAX as usize {
        bail!("--classes: {} names, need 2 to 65535", names.len());
    }
    if let Some(bad) = names
        .iter()
        .find(|n| n.is_empty() || n.len() > MAX_LABEL_BYTES)
    {
        bail!("--classes: the name {bad:?} is empty or longer than {MAX_LABEL_BYTES} bytes");
    }
    Ok(names)
}

/// See the module documentation.
pub fn run(args: &RadioMl2018Args) -> Result<Vec<PathBuf>> {
    if !(args.sample_rate.is_finite() && args.sample_rate > 0.0) {
        bail!("--sample-rate must be a finite number > 0");
    }
    if args.frames_per_recording == 0 {
        bail!("--frames-per-recording must be at least 1");
    }
    let classes = class_names(args)?;
    let what = || format!("`{}`", args.file.display());
    if !args.file.is_file() {
        bail!("{} is not a file", what());
    }
    let file = hdf5::File::open(&args.file)
        .with_context(|| format!("{} is not a readable HDF5 file", what()))?;
    let dataset = |name: &str| {
        file.dataset(name).with_context(|| {
            format!(
                "{} has no dataset {name:?} (RadioML 2018 files hold X, Y and Z)",
                what()
            )
        })
    };
    let (x, y, z) = (dataset("X")?, dataset("Y")?, dataset("Z")?);
    let (xs, ys, zs) = (x.shape(), y.shape(), z.shape());
    let [n, len, two] = xs[..] else {
        bail!("X has shape {xs:?}, not [N, L, 2]");
    };
    if two != 2 || n == 0 || len < 16 {
        bail!("X has shape {xs:?}, not [N, L, 2] with N ≥ 1 and L ≥ 16");
    }
    if ys != [n, classes.len()] {
        bail!(
            "Y has shape {ys:?}, expected [{n}, {}] (one column per class name)",
            classes.len()
        );
    }
    if zs != [n, 1] && zs != [n] {
        bail!("Z has shape {zs:?}, expected [{n}, 1]");
    }
    let n = args.limit.map_or(n, |l| l.min(n));
    let labels = labels(&y, &z, n, classes.len())?;
    create_dir(&args.out)?;
    let mut written = Vec::new();
    for a in (0..n).step_by(args.frames_per_recording) {
        let b = (a + args.frames_per_recording).min(n);
        let frames = x
            .read_slice::<f32, _, ndarray::Ix3>((a..b, .., ..))
            .with_context(|| format!("reading X rows {a}..{b}"))?;
        if let Some(k) = frames.iter().position(|v| !v.is_finite()) {
            let row = a + k / (len * 2);
            bail!(
                "row {row} of X holds a non-finite sample{}",
                if a > 0 {
                    format!(
                        "; rows before {a} were written to `{}` and are sound",
                        args.out.display()
                    )
                } else {
                    String::new()
                }
            );
        }
        let samples: Vec<C32> = frames
            .outer_iter()
            .flat_map(|f| {
                f.outer_iter()
                    .map(|iq| C32::new(iq[0], iq[1]))
                    .collect::<Vec<_>>()
            })
            .collect();
        let notes: Vec<BurstAnnotation> = (a..b)
            .map(|r| BurstAnnotation {
                sample_start: ((r - a) * len) as u64,
                sample_count: len as u64,
                label: classes[labels.class[r] as usize].clone(),
                snr_db: Some(labels.snr_db[r]),
                seed: 0,
                index: r as u64,
            })
            .collect();
        let stem = format!("frames_{a:07}");
        let meta = write_metadata(
            args.sample_rate,
            &format!("RadioML 2018 frames {a}..{b}, imported by fipmae"),
            "radioml2018",
            &notes,
        );
        write_atomic(
            &args.out.join(format!("{stem}.sigmf-data")),
            &encode_cf32_le(&samples),
        )?;
        let path = args.out.join(format!("{stem}.sigmf-meta"));
        write_atomic(&path, &meta)?;
        written.push(path);
    }
    Ok(written)
}
