//! Public datasets → SigMF recordings (what `fipmae import radioml2016` and `radioml2018`
//! run; their flags and summary line live in the trainer).
//!
//! RadioML 2018.01a (an HDF5 file) is read by [`radioml2018`] with the `hdf5` feature;
//! the rest of this module is RadioML 2016.10a.
//!
//! The file is a Python pickle (protocol 2, latin-1 strings) of a dict
//! `{(modulation, snr_db): float32 array [N, 2, L]}` (L = 128 in RML2016.10a: I in row 0,
//! Q in row 1). It is read with the `serde-pickle` crate: numpy arrays come back as their
//! pickled state `(version, shape, dtype, fortran_order, raw bytes)`, which is all we need.
//! Everything is parsed and checked before the first file is written; then one recording
//! per key, `<modulation>_<snr>dB.sigmf-meta/-data`, one annotation per frame (`core:label`
//! = the modulation, `fipmae:snr_db`, `fipmae:index` = the frame's row, `fipmae:profile` =
//! `radioml2016`).

use std::path::PathBuf;

use serde_pickle::{DeOptions, HashableValue, Value};
use signal::sigmf::{encode_cf32_le, write_metadata, BurstAnnotation};
use signal::C32;

use crate::error::{DatasetsError, Result};
use crate::fsutil::{create_dir, read_capped, write_atomic};

#[cfg(feature = "hdf5")]
pub mod radioml2018;

/// Largest pickle read, bytes (RML2016.10a is about 640 MB).
pub const MAX_PICKLE_BYTES: u64 = 4 << 30;
/// Longest modulation name accepted, bytes.
const MAX_LABEL_BYTES: usize = 64;

/// What to import from a RadioML 2016 pickle, and where to.
#[derive(Debug, Clone, PartialEq)]
pub struct RadioMl2016Options {
    /// The pickle (`RML2016.10a_dict.pkl` or a file in its format).
    pub file: PathBuf,
    /// Output folder (created; existing recordings of the same names are replaced).
    pub out: PathBuf,
    /// Sample rate written into the recordings, Hz.
    pub sample_rate: f64,
}

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// The recordings written (their `.sigmf-meta` halves), in order.
    pub recordings: Vec<PathBuf>,
    /// The folder they were written to.
    pub out: PathBuf,
}

/// One key of the dict: its frames, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Frames {
    /// Modulation name.
    pub label: String,
    /// SNR, dB.
    pub snr_db: i64,
    /// Samples per frame.
    pub len: usize,
    /// `[frames · len]` complex samples, frame after frame.
    pub samples: Vec<C32>,
}

/// Parses a RadioML 2016 pickle into its keys' frames, sorted by (label, SNR); the error
/// names what is wrong (not a dict, a key that is not `(str, int)`, an array that is not
/// float32 `[N, 2, L]`, a byte count that does not match the shape).
pub fn parse_radioml2016(bytes: &[u8]) -> Result<Vec<Frames>> {
    // no `decode_strings`: Python 2 wrote names and raw array data alike as STRING
    // opcodes, which arrive as bytes (names are latin-1, decoded below)
    let opts = DeOptions::new()
        .replace_unresolved_globals()
        .keep_restore_state();
    let value = serde_pickle::value_from_slice(bytes, opts).map_err(DatasetsError::Unpickle)?;
    let Value::Dict(dict) = value else {
        return Err(DatasetsError::NoDict);
    };
    if dict.is_empty() {
        return Err(DatasetsError::EmptyDict);
    }
    let mut out = Vec::with_capacity(dict.len());
    for (key, array) in dict {
        let (label, snr_db) = key_of(&key)?;
        let (len, samples) = frames_of(&array).map_err(|e| e.in_key(&label, snr_db))?;
        out.push(Frames {
            label,
            snr_db,
            len,
            samples,
        });
    }
    out.sort_by(|a, b| (a.label.as_str(), a.snr_db).cmp(&(b.label.as_str(), b.snr_db)));
    Ok(out)
}

/// A key's array as its frame length and its frames' samples, checked.
fn frames_of(array: &Value) -> Result<(usize, Vec<C32>)> {
    let (shape, raw) = array_of(array)?;
    let [n, two, len] = shape[..] else {
        return Err(DatasetsError::ArrayShape { shape });
    };
    if two != 2 || n == 0 || len == 0 {
        return Err(DatasetsError::ArrayDims { shape });
    }
    let want = n.checked_mul(2 * len).and_then(|v| v.checked_mul(4));
    if want != Some(raw.len()) {
        return Err(DatasetsError::ArrayBytes {
            bytes: raw.len(),
            shape,
        });
    }
    let values: Vec<f32> = raw
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if let Some(index) = values.iter().position(|v| !v.is_finite()) {
        return Err(DatasetsError::NonFinite { index });
    }
    let mut samples = Vec::with_capacity(n * len);
    for frame in values.chunks_exact(2 * len) {
        let (i, q) = frame.split_at(len);
        samples.extend(i.iter().zip(q).map(|(&re, &im)| C32::new(re, im)));
    }
    Ok((len, samples))
}

/// `(modulation, snr)` from a dict key.
fn key_of(key: &HashableValue) -> Result<(String, i64)> {
    let not_a_key = || DatasetsError::Key {
        key: format!("{key:?}"),
    };
    let HashableValue::Tuple(parts) = key else {
        return Err(not_a_key());
    };
    let name = match parts.first() {
        Some(HashableValue::String(m)) => Some(m.clone()),
        Some(HashableValue::Bytes(b)) => Some(latin1(b)),
        _ => None,
    };
    match (name, parts.get(1), parts.len()) {
        (Some(m), Some(HashableValue::I64(snr)), 2) => {
            let ok = !m.is_empty()
                && m.len() <= MAX_LABEL_BYTES
                && m.chars().all(|c| c.is_ascii_graphic() || c == ' ');
            if !ok {
                return Err(DatasetsError::Label {
                    name: m,
                    max: MAX_LABEL_BYTES,
                });
            }
            if !(-100..=100).contains(snr) {
                return Err(DatasetsError::Snr {
                    label: m,
                    snr_db: *snr,
                });
            }
            Ok((m, *snr))
        }
        _ => Err(not_a_key()),
    }
}

/// The shape and raw little-endian float32 bytes of a pickled numpy array (its
/// `__setstate__` tuple).
fn array_of(v: &Value) -> Result<(Vec<usize>, &[u8])> {
    let Value::Tuple(state) = v else {
        return Err(DatasetsError::NotAnArray);
    };
    let [_, Value::Tuple(shape), dtype, Value::Bool(fortran), data] = &state[..] else {
        return Err(DatasetsError::NotAnArray);
    };
    let raw: &[u8] = match data {
        Value::Bytes(b) => b,
        // a Python 3 `str` holding the data (latin-1) would need re-encoding: refuse
        _ => return Err(DatasetsError::ArrayDataNotBytes),
    };
    if *fortran {
        return Err(DatasetsError::FortranOrder);
    }
    // the dtype is either its constructor arguments ("f4", ...) or its state
    // (version, byte order, ...), depending on whether the pickle memoised it
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Bytes(b)) => Some(latin1(b)),
        _ => None,
    };
    let float32 = match dtype {
        Value::Tuple(d) => match d.first() {
            Some(Value::I64(_)) => matches!(text(d.get(1)).as_deref(), Some("<" | "=")),
            first => text(first).as_deref() == Some("f4"),
        },
        _ => false,
    };
    if !float32 {
        return Err(DatasetsError::Dtype {
            dtype: format!("{dtype:?}"),
        });
    }
    let shape = shape
        .iter()
        .map(|d| match d {
            Value::I64(x) if *x >= 0 => usize::try_from(*x).ok(),
            _ => None,
        })
        .collect::<Option<Vec<usize>>>()
        .ok_or(DatasetsError::MalformedShape)?;
    Ok((shape, raw))
}

/// Bytes as latin-1 text (every byte one character), as Python 2 wrote `str`.
fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

/// File stem of a key's recording: `<label>_<snr>dB`, with characters that do not belong
/// in a file name replaced by `_`.
pub fn stem(f: &Frames) -> String {
    let label: String = f
        .label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{label}_{}dB", f.snr_db)
}

/// Imports a RadioML 2016 pickle: parses and checks the whole file, then writes one
/// recording per key. Nothing is written when the file is refused.
pub fn radioml2016(args: &RadioMl2016Options) -> Result<ImportSummary> {
    if !(args.sample_rate.is_finite() && args.sample_rate > 0.0) {
        return Err(DatasetsError::SampleRate);
    }
    let bytes = read_capped(&args.file, MAX_PICKLE_BYTES)?;
    let keys = parse_radioml2016(&bytes).map_err(|e| DatasetsError::NotRadioMl2016 {
        path: args.file.clone(),
        source: Box::new(e),
    })?;
    let mut stems: Vec<String> = keys.iter().map(stem).collect();
    stems.sort();
    stems.dedup();
    if stems.len() != keys.len() {
        return Err(DatasetsError::StemClash);
    }
    create_dir(&args.out)?;
    let mut written = Vec::new();
    for f in &keys {
        let notes: Vec<BurstAnnotation> = (0..f.samples.len() / f.len)
            .map(|k| BurstAnnotation {
                sample_start: (k * f.len) as u64,
                sample_count: f.len as u64,
                label: f.label.clone(),
                snr_db: Some(f.snr_db as f64),
                seed: 0,
                index: k as u64,
            })
            .collect();
        let s = stem(f);
        let meta = write_metadata(
            args.sample_rate,
            &format!(
                "RadioML 2016 frames of {} at {} dB, imported by fipmae",
                f.label, f.snr_db
            ),
            "radioml2016",
            &notes,
        );
        write_atomic(
            &args.out.join(format!("{s}.sigmf-data")),
            &encode_cf32_le(&f.samples),
        )?;
        let path = args.out.join(format!("{s}.sigmf-meta"));
        write_atomic(&path, &meta)?;
        written.push(path);
    }
    Ok(ImportSummary {
        recordings: written,
        out: args.out.clone(),
    })
}

/// What to import from a RadioML 2018 HDF5 file, and where to.
#[derive(Debug, Clone, PartialEq)]
pub struct RadioMl2018Options {
    /// The HDF5 file (`GOLD_XYZ_OSC.0001_1024.hdf5` or a file in its format: X float32
    /// [N, L, 2], Y one-hot [N, classes], Z SNR [N, 1]).
    pub file: PathBuf,
    /// Output folder (created; existing recordings of the same names are replaced).
    pub out: PathBuf,
    /// Names of Y's columns (`None`: [`CLASSES_2018`]).
    pub classes: Option<Vec<String>>,
    /// Frames per written recording (the file is streamed in blocks of this many rows).
    pub frames_per_recording: usize,
    /// Import only the first N frames.
    pub limit: Option<usize>,
    /// Sample rate written into the recordings, Hz.
    pub sample_rate: f64,
}

/// RadioML 2018.01a's classes in the order of Y's columns: the corrected order, not the
/// one in the `classes.txt` shipped with the dataset, which does not match its labels
/// (pass `--classes` for another).
pub const CLASSES_2018: [&str; 24] = [
    "OOK",
    "4ASK",
    "8ASK",
    "BPSK",
    "QPSK",
    "8PSK",
    "16PSK",
    "32PSK",
    "16APSK",
    "32APSK",
    "64APSK",
    "128APSK",
    "16QAM",
    "32QAM",
    "64QAM",
    "128QAM",
    "256QAM",
    "AM-SSB-WC",
    "AM-SSB-SC",
    "AM-DSB-WC",
    "AM-DSB-SC",
    "FM",
    "GMSK",
    "OQPSK",
];

/// Imports a RadioML 2018 HDF5 file: checks the whole file's labels and SNRs, then
/// streams its frames into recordings of `frames_per_recording` frames. Without the
/// `hdf5` feature it returns [`DatasetsError::NoHdf5`], which says how to build with it.
pub fn radioml2018(args: &RadioMl2018Options) -> Result<ImportSummary> {
    #[cfg(feature = "hdf5")]
    {
        radioml2018::run(args)
    }
    #[cfg(not(feature = "hdf5"))]
    {
        let _ = args;
        Err(DatasetsError::NoHdf5)
    }
}
