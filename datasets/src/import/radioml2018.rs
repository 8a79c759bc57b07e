//! RadioML 2018.01a's HDF5 file → SigMF recordings (feature `hdf5`, the system's libhdf5).
//!
//! Datasets `X` (float32 `[N, L, 2]`, I and Q last), `Y` (one-hot `[N, classes]`, any
//! numeric type) and `Z` (SNR in dB, `[N, 1]` or `[N]`). The file is about 20 GB, so it is
//! never read whole: a first pass reads `Y` and `Z` (a few hundred MB) and checks every
//! row; only then is the output folder created and `X` streamed (each block checked for
//! non-finite samples before it is written), `frames_per_recording`
//! rows at a time, into `frames_<first row>.sigmf-meta/-data` with one annotation per frame
//! (`core:label`, `fipmae:snr_db`, `fipmae:index` = the row, `fipmae:profile` =
//! `radioml2018`).

use signal::sigmf::{encode_cf32_le, write_metadata, BurstAnnotation};
use signal::C32;

use super::{ImportSummary, RadioMl2018Options, CLASSES_2018};
use crate::error::{DatasetsError, Result};
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
        let rows =
            y.read_slice_2d::<f64, _>((a..b, ..))
                .map_err(|source| DatasetsError::Hdf5Read {
                    dataset: "Y",
                    rows: a..b,
                    source,
                })?;
        for (k, row) in rows.outer_iter().enumerate() {
            let ones: Vec<usize> = (0..row.len()).filter(|&j| row[j] == 1.0).collect();
            let zeros = row.iter().filter(|v| **v == 0.0).count();
            if ones.len() != 1 || zeros != classes - 1 {
                return Err(DatasetsError::NotOneHot {
                    row: a + k,
                    values: row.iter().take(classes).copied().collect(),
                });
            }
            out.class.push(ones[0] as u16);
        }
        let snr = if z_2d {
            z.read_slice_1d::<f64, _>((a..b, 0))
        } else {
            z.read_slice_1d::<f64, _>(a..b)
        }
        .map_err(|source| DatasetsError::Hdf5Read {
            dataset: "Z",
            rows: a..b,
            source,
        })?;
        for (k, s) in snr.iter().enumerate() {
            if !s.is_finite() {
                return Err(DatasetsError::NonFiniteSnr {
                    row: a + k,
                    snr_db: *s,
                });
            }
            out.snr_db.push(*s);
        }
    }
    Ok(out)
}

/// The class names: `classes`, or RadioML 2018.01a's; each non-empty and short.
fn class_names(args: &RadioMl2018Options) -> Result<Vec<String>> {
    let names: Vec<String> = match &args.classes {
        Some(c) => c.iter().map(|s| s.trim().to_string()).collect(),
        None => CLASSES_2018.iter().map(|s| s.to_string()).collect(),
    };
    if names.len() < 2 || names.len() > u16::MAX as usize {
        return Err(DatasetsError::ClassCount { count: names.len() });
    }
    if let Some(bad) = names
        .iter()
        .find(|n| n.is_empty() || n.len() > MAX_LABEL_BYTES)
    {
        return Err(DatasetsError::ClassName {
            name: bad.clone(),
            max: MAX_LABEL_BYTES,
        });
    }
    Ok(names)
}

/// See the module documentation.
pub fn run(args: &RadioMl2018Options) -> Result<ImportSummary> {
    if !(args.sample_rate.is_finite() && args.sample_rate > 0.0) {
        return Err(DatasetsError::SampleRate);
    }
    if args.frames_per_recording == 0 {
        return Err(DatasetsError::FramesPerRecording);
    }
    let classes = class_names(args)?;
    if !args.file.is_file() {
        return Err(DatasetsError::NotAFile {
            path: args.file.clone(),
        });
    }
    let file = hdf5::File::open(&args.file).map_err(|source| DatasetsError::Hdf5Open {
        path: args.file.clone(),
        source,
    })?;
    let dataset = |name: &'static str| {
        file.dataset(name)
            .map_err(|source| DatasetsError::Hdf5Dataset {
                path: args.file.clone(),
                name,
                source,
            })
    };
    let (x, y, z) = (dataset("X")?, dataset("Y")?, dataset("Z")?);
    let (xs, ys, zs) = (x.shape(), y.shape(), z.shape());
    let [n, len, two] = xs[..] else {
        return Err(DatasetsError::XShape { shape: xs });
    };
    if two != 2 || n == 0 || len < 16 {
        return Err(DatasetsError::XDims { shape: xs });
    }
    if ys != [n, classes.len()] {
        return Err(DatasetsError::YShape {
            shape: ys,
            rows: n,
            classes: classes.len(),
        });
    }
    if zs != [n, 1] && zs != [n] {
        return Err(DatasetsError::ZShape { shape: zs, rows: n });
    }
    let n = args.limit.map_or(n, |l| l.min(n));
    let labels = labels(&y, &z, n, classes.len())?;
    create_dir(&args.out)?;
    let mut written = Vec::new();
    for a in (0..n).step_by(args.frames_per_recording) {
        let b = (a + args.frames_per_recording).min(n);
        let frames = x
            .read_slice::<f32, _, ndarray::Ix3>((a..b, .., ..))
            .map_err(|source| DatasetsError::Hdf5Read {
                dataset: "X",
                rows: a..b,
                source,
            })?;
        if let Some(k) = frames.iter().position(|v| !v.is_finite()) {
            return Err(DatasetsError::NonFiniteFrame {
                row: a + k / (len * 2),
                block_start: a,
                out: args.out.clone(),
            });
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
    Ok(ImportSummary {
        recordings: written,
        out: args.out.clone(),
    })
}
