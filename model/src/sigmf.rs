//! SigMF recordings as bytes: metadata (JSON) and sample data in, typed values out, and back.
//!
//! This module does no I/O: callers read `.sigmf-meta` and `.sigmf-data` files (or browser
//! uploads) into byte slices and hand them over, so the trainer and the browser share one
//! parser. Reading checks what the SigMF schema requires (`global.core:datatype`,
//! `global.core:version`, `captures[*].core:sample_start`, `annotations[*].core:sample_start`),
//! the datatype, that the data is a whole number of samples, that every annotation lies
//! inside the data, and that every sample is finite. Each failure names the problem.
//!
//! Our own per-burst fields live in the `fipmae` namespace (declared in
//! `global.core:extensions`): `fipmae:snr_db` (SNR in dB), `fipmae:seed`, `fipmae:index`,
//! `fipmae:profile`.

use serde_json::{json, Map, Value};

use crate::signal::C32;

/// The SigMF version our writer declares.
pub const SIGMF_VERSION: &str = "1.2.0";
/// Our extension namespace for per-burst fields.
pub const NAMESPACE: &str = "fipmae";

/// Why a recording could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SigmfError {
    /// The metadata is not valid JSON.
    #[error("metadata is not valid JSON: {0}")]
    Json(String),
    /// A required field is absent.
    #[error("metadata lacks the required field `{0}`")]
    Missing(String),
    /// A field has the wrong JSON type or an invalid value.
    #[error("metadata field `{field}` is invalid: {reason}")]
    Field {
        /// Dotted path of the field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The datatype is one this reader does not handle.
    #[error("unsupported datatype `{0}` (supported: cf32_le, cf32_be, ci16_le, ci8)")]
    Datatype(String),
    /// The data length is not a whole number of samples.
    #[error("data file is truncated: {bytes} bytes is not a whole number of {sample_bytes}-byte `{datatype}` samples")]
    Truncated {
        /// Bytes in the data.
        bytes: usize,
        /// Bytes per complex sample.
        sample_bytes: usize,
        /// The datatype name.
        datatype: String,
    },
    /// An annotation or capture points past the end of the data.
    #[error("annotation {index} covers samples {start}..{end} but the data holds only {len} samples (truncated data file?)")]
    OutOfRange {
        /// Index of the annotation.
        index: usize,
        /// First sample.
        start: u64,
        /// One past the last sample.
        end: u64,
        /// Samples in the data.
        len: usize,
    },
    /// A `.sigmf` archive (tar) is malformed or holds no complete recording.
    #[error("invalid .sigmf archive: {0}")]
    Archive(String),
    /// A sample is NaN or infinite.
    #[error("sample {index} is not finite (NaN or infinity)")]
    NonFinite {
        /// Index of the first bad sample.
        index: usize,
    },
}

/// Complex sample formats this reader handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// 32-bit float I/Q, little-endian (what we write).
    Cf32Le,
    /// 32-bit float I/Q, big-endian.
    Cf32Be,
    /// 16-bit signed integer I/Q, little-endian, scaled to [−1, 1).
    Ci16Le,
    /// 8-bit signed integer I/Q, scaled to [−1, 1).
    Ci8,
}

impl DataType {
    /// Parses a SigMF datatype string.
    pub fn parse(s: &str) -> Result<Self, SigmfError> {
        match s {
            "cf32_le" => Ok(DataType::Cf32Le),
            "cf32_be" => Ok(DataType::Cf32Be),
            "ci16_le" => Ok(DataType::Ci16Le),
            "ci8" => Ok(DataType::Ci8),
            other => Err(SigmfError::Datatype(other.to_string())),
        }
    }

    /// The SigMF name (`"cf32_le"`, …).
    pub fn name(self) -> &'static str {
        match self {
            DataType::Cf32Le => "cf32_le",
            DataType::Cf32Be => "cf32_be",
            DataType::Ci16Le => "ci16_le",
            DataType::Ci8 => "ci8",
        }
    }

    /// Bytes per complex sample.
    pub fn sample_bytes(self) -> usize {
        match self {
            DataType::Cf32Le | DataType::Cf32Be => 8,
            DataType::Ci16Le => 4,
            DataType::Ci8 => 2,
        }
    }
}

/// One annotated segment of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// First sample of the segment.
    pub sample_start: u64,
    /// Samples in the segment (`None`: to the end of the recording).
    pub sample_count: Option<u64>,
    /// `core:label`: the modulation class name when we wrote it.
    pub label: Option<String>,
    /// `fipmae:snr_db`: the SNR the burst was generated at, dB.
    pub snr_db: Option<f64>,
    /// Every other field of the annotation, as written.
    pub extra: Map<String, Value>,
}

/// The metadata of one recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// `core:datatype`.
    pub datatype: DataType,
    /// `core:version`.
    pub version: String,
    /// `core:sample_rate`, Hz, if given.
    pub sample_rate: Option<f64>,
    /// `core:description`, if given.
    pub description: Option<String>,
    /// Every other global field, as written.
    pub global_extra: Map<String, Value>,
    /// `sample_start` of each capture segment.
    pub captures: Vec<u64>,
    /// The annotations, in file order.
    pub annotations: Vec<Annotation>,
}

/// A recording: metadata plus its samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The parsed metadata.
    pub meta: Metadata,
    /// The samples, converted to complex `f32`.
    pub samples: Vec<C32>,
}

fn field_err(field: impl Into<String>, reason: &str) -> SigmfError {
    SigmfError::Field {
        field: field.into(),
        reason: reason.to_string(),
    }
}

fn get_u64(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<u64>, SigmfError> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| field_err(format!("{path}.{key}"), "must be a non-negative integer")),
    }
}

fn get_str(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>, SigmfError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(field_err(format!("{path}.{key}"), "must be a string")),
    }
}

fn get_f64(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<f64>, SigmfError> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|x| x.is_finite())
            .map(Some)
            .ok_or_else(|| field_err(format!("{path}.{key}"), "must be a finite number")),
    }
}

/// Parses and checks `.sigmf-meta` bytes.
pub fn parse_metadata(bytes: &[u8]) -> Result<Metadata, SigmfError> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| SigmfError::Json(e.to_string()))?;
    let root = root
        .as_object()
        .ok_or_else(|| field_err("(root)", "must be a JSON object"))?;
    let global = root
        .get("global")
        .ok_or_else(|| SigmfError::Missing("global".into()))?
        .as_object()
        .ok_or_else(|| field_err("global", "must be an object"))?;
    let datatype = get_str(global, "core:datatype", "global")?
        .ok_or_else(|| SigmfError::Missing("global.core:datatype".into()))?;
    let datatype = DataType::parse(&datatype)?;
    let version = get_str(global, "core:version", "global")?
        .ok_or_else(|| SigmfError::Missing("global.core:version".into()))?;
    if !version.starts_with("1.") {
        return Err(field_err(
            "global.core:version",
            "only SigMF 1.x is supported",
        ));
    }
    let sample_rate = get_f64(global, "core:sample_rate", "global")?;
    if let Some(r) = sample_rate {
        if r <= 0.0 {
            return Err(field_err("global.core:sample_rate", "must be positive"));
        }
    }
    if let Some(n) = get_u64(global, "core:num_channels", "global")? {
        if n != 1 {
            return Err(field_err(
                "global.core:num_channels",
                "only single-channel recordings are supported",
            ));
        }
    }
    let description = get_str(global, "core:description", "global")?;
    let mut global_extra = global.clone();
    for k in [
        "core:datatype",
        "core:version",
        "core:sample_rate",
        "core:description",
    ] {
        global_extra.remove(k);
    }

    let list = |key: &str| -> Result<&Vec<Value>, SigmfError> {
        root.get(key)
            .ok_or_else(|| SigmfError::Missing(key.into()))?
            .as_array()
            .ok_or_else(|| field_err(key, "must be an array"))
    };
    let mut captures = Vec::new();
    for (i, c) in list("captures")?.iter().enumerate() {
        let path = format!("captures[{i}]");
        let obj = c
            .as_object()
            .ok_or_else(|| field_err(&path, "must be an object"))?;
        let start = get_u64(obj, "core:sample_start", &path)?
            .ok_or_else(|| SigmfError::Missing(format!("{path}.core:sample_start")))?;
        captures.push(start);
    }
    let mut annotations = Vec::new();
    for (i, a) in list("annotations")?.iter().enumerate() {
        let path = format!("annotations[{i}]");
        let obj = a
            .as_object()
            .ok_or_else(|| field_err(&path, "must be an object"))?;
        let sample_start = get_u64(obj, "core:sample_start", &path)?
            .ok_or_else(|| SigmfError::Missing(format!("{path}.core:sample_start")))?;
        let sample_count = get_u64(obj, "core:sample_count", &path)?;
        let label = get_str(obj, "core:label", &path)?;
        let snr_db = get_f64(obj, "fipmae:snr_db", &path)?;
        let mut extra = obj.clone();
        for k in [
            "core:sample_start",
            "core:sample_count",
            "core:label",
            "fipmae:snr_db",
        ] {
            extra.remove(k);
        }
        annotations.push(Annotation {
            sample_start,
            sample_count,
            label,
            snr_db,
            extra,
        });
    }
    Ok(Metadata {
        datatype,
        version,
        sample_rate,
        description,
        global_extra,
        captures,
        annotations,
    })
}

/// Converts raw sample bytes of `datatype` to complex samples.
pub fn decode_samples(datatype: DataType, bytes: &[u8]) -> Result<Vec<C32>, SigmfError> {
    let sb = datatype.sample_bytes();
    if !bytes.len().is_multiple_of(sb) {
        return Err(SigmfError::Truncated {
            bytes: bytes.len(),
            sample_bytes: sb,
            datatype: datatype.name().into(),
        });
    }
    let half = sb / 2;
    let comp = |b: &[u8]| -> f32 {
        match datatype {
            DataType::Cf32Le => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            DataType::Cf32Be => f32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            DataType::Ci16Le => i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0,
            DataType::Ci8 => (b[0] as i8) as f32 / 128.0,
        }
    };
    Ok(bytes
        .chunks_exact(sb)
        .map(|s| C32::new(comp(&s[..half]), comp(&s[half..])))
        .collect())
}

/// Encodes samples as `cf32_le` bytes.
pub fn encode_cf32_le(samples: &[C32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples.len() * 8);
    for z in samples {
        out.extend_from_slice(&z.re.to_le_bytes());
        out.extend_from_slice(&z.im.to_le_bytes());
    }
    out
}

impl Recording {
    /// Reads a recording from its metadata and data bytes, checking everything listed in
    /// the module docs.
    pub fn from_bytes(meta: &[u8], data: &[u8]) -> Result<Self, SigmfError> {
        let meta = parse_metadata(meta)?;
        let samples = decode_samples(meta.datatype, data)?;
        if let Some(index) = samples
            .iter()
            .position(|z| !(z.re.is_finite() && z.im.is_finite()))
        {
            return Err(SigmfError::NonFinite { index });
        }
        let len = samples.len();
        for (index, a) in meta.annotations.iter().enumerate() {
            let end = a.sample_start.saturating_add(a.sample_count.unwrap_or(0));
            if a.sample_start >= len as u64 || end > len as u64 {
                return Err(SigmfError::OutOfRange {
                    index,
                    start: a.sample_start,
                    end: end.max(a.sample_start + 1),
                    len,
                });
            }
        }
        Ok(Self { meta, samples })
    }

    /// The samples of annotation `a` (to the end of the data when it has no count).
    pub fn segment(&self, a: &Annotation) -> &[C32] {
        let start = (a.sample_start as usize).min(self.samples.len());
        let end = a
            .sample_count
            .map(|c| start.saturating_add(c as usize))
            .unwrap_or(self.samples.len())
            .min(self.samples.len());
        &self.samples[start..end]
    }
}

/// What we record about one generated burst.
#[derive(Debug, Clone, PartialEq)]
pub struct BurstAnnotation {
    /// First sample of the burst in the recording.
    pub sample_start: u64,
    /// Samples in the burst.
    pub sample_count: u64,
    /// Class name (`core:label`).
    pub label: String,
    /// SNR in dB (`fipmae:snr_db`), when noise was added.
    pub snr_db: Option<f64>,
    /// Dataset seed (`fipmae:seed`).
    pub seed: u64,
    /// Example index (`fipmae:index`).
    pub index: u64,
}

/// Writes `.sigmf-meta` JSON for a `cf32_le` recording of `bursts`.
///
/// `sample_rate` is in Hz; `profile` is the generator profile name.
pub fn write_metadata(
    sample_rate: f64,
    description: &str,
    profile: &str,
    bursts: &[BurstAnnotation],
) -> Vec<u8> {
    let annotations: Vec<Value> = bursts
        .iter()
        .map(|b| {
            let mut a = json!({
                "core:sample_start": b.sample_start,
                "core:sample_count": b.sample_count,
                "core:label": b.label,
                "fipmae:seed": b.seed,
                "fipmae:index": b.index,
                "fipmae:profile": profile,
            });
            if let (Some(snr), Some(obj)) = (b.snr_db, a.as_object_mut()) {
                obj.insert("fipmae:snr_db".into(), json!(snr));
            }
            a
        })
        .collect();
    let meta = json!({
        "global": {
            "core:datatype": DataType::Cf32Le.name(),
            "core:version": SIGMF_VERSION,
            "core:sample_rate": sample_rate,
            "core:num_channels": 1,
            "core:description": description,
            "core:recorder": concat!("fipmae ", env!("CARGO_PKG_VERSION")),
            "core:extensions": [
                {"name": NAMESPACE, "version": env!("CARGO_PKG_VERSION"), "optional": true}
            ],
        },
        "captures": [{"core:sample_start": 0}],
        "annotations": annotations,
    });
    let mut out = serde_json::to_vec_pretty(&meta).unwrap_or_default();
    out.push(b'\n');
    out
}

/// What a recording file is, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `.sigmf-meta`.
    Meta,
    /// `.sigmf-data`.
    Data,
    /// `.sigmf` archive.
    Archive,
    /// Raw interleaved little-endian `f32` I/Q: `.cf32`, `.cfile`, `.iq`, `.raw`.
    RawCf32,
}

impl FileKind {
    /// The kind of a file named `name` (case-insensitive extension), if it is a recording.
    pub fn of(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "sigmf-meta" => Some(Self::Meta),
            "sigmf-data" => Some(Self::Data),
            "sigmf" => Some(Self::Archive),
            "cf32" | "cfile" | "iq" | "raw" => Some(Self::RawCf32),
            _ => None,
        }
    }
}

/// Tar block size, bytes.
const BLOCK: usize = 512;

/// Reads a `.sigmf` archive (a POSIX tar holding `.sigmf-meta` / `.sigmf-data` pairs) into
/// its recordings, named by their path without extension, in archive order. Each recording
/// is checked as [`Recording::from_bytes`] checks it; the error names the recording.
pub fn read_archive(bytes: &[u8]) -> Result<Vec<(String, Recording)>, SigmfError> {
    let bad = |m: String| SigmfError::Archive(m);
    let mut metas: Vec<(String, &[u8])> = Vec::new();
    let mut datas: Vec<(String, &[u8])> = Vec::new();
    let mut at = 0usize;
    while at + BLOCK <= bytes.len() {
        let h = &bytes[at..at + BLOCK];
        if h.iter().all(|&b| b == 0) {
            break;
        }
        let text = |r: std::ops::Range<usize>| -> String {
            let f = &h[r];
            let end = f.iter().position(|&b| b == 0).unwrap_or(f.len());
            String::from_utf8_lossy(&f[..end]).into_owned()
        };
        // the checksum counts its own field as spaces; old tars summed signed bytes
        let (mut unsigned, mut signed) = (0u32, 0i32);
        for (i, &b) in h.iter().enumerate() {
            let b = if (148..156).contains(&i) { b' ' } else { b };
            unsigned += u32::from(b);
            signed += i32::from(b as i8);
        }
        let want = u32::from_str_radix(text(148..156).trim(), 8).map_err(|_| {
            bad(format!(
                "header at byte {at} has no checksum (not a tar file?)"
            ))
        })?;
        if unsigned != want && i64::from(signed) != i64::from(want) {
            return Err(bad(format!(
                "header at byte {at} fails its checksum (not a tar file?)"
            )));
        }
        let size = u64::from_str_radix(text(124..136).trim(), 8)
            .map_err(|_| bad(format!("header at byte {at} has an invalid size")))?;
        let size =
            usize::try_from(size).map_err(|_| bad(format!("entry at byte {at} is too large")))?;
        let mut name = text(0..100);
        if &h[257..262] == b"ustar" {
            let prefix = text(345..500);
            if !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
        }
        let start = at + BLOCK;
        let end = start
            .checked_add(size)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| {
                bad(format!(
                    "`{name}` needs {size} bytes but the archive ends first (truncated)"
                ))
            })?;
        // regular files only ('0' or NUL); directories and links are skipped
        if matches!(h[156], b'0' | 0) {
            if let Some(stem) = name.strip_suffix(".sigmf-meta") {
                metas.push((stem.to_string(), &bytes[start..end]));
            } else if let Some(stem) = name.strip_suffix(".sigmf-data") {
                datas.push((stem.to_string(), &bytes[start..end]));
            }
        }
        at = start + size.div_ceil(BLOCK) * BLOCK;
    }
    if metas.is_empty() {
        return Err(bad("it holds no .sigmf-meta file".into()));
    }
    metas
        .into_iter()
        .map(|(stem, meta)| {
            let data = datas
                .iter()
                .find(|(s, _)| *s == stem)
                .map(|(_, d)| *d)
                .ok_or_else(|| {
                    bad(format!(
                        "`{stem}.sigmf-meta` has no `{stem}.sigmf-data` beside it"
                    ))
                })?;
            let rec = Recording::from_bytes(meta, data)
                .map_err(|e| bad(format!("recording `{stem}`: {e}")))?;
            Ok((stem, rec))
        })
        .collect()
}

/// Writes a `.sigmf` archive (ustar) of `(name, meta, data)` recordings under folder
/// `folder`: `folder/name.sigmf-meta` and `folder/name.sigmf-data` for each.
pub fn write_archive(folder: &str, recordings: &[(&str, &[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut entry = |path: String, body: &[u8]| {
        let mut h = [0u8; BLOCK];
        let name = path.as_bytes();
        let n = name.len().min(99);
        h[..n].copy_from_slice(&name[..n]);
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        let size = format!("{:011o}\0", body.len());
        h[124..136].copy_from_slice(size.as_bytes());
        h[136..148].copy_from_slice(b"00000000000\0");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(body);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    };
    for (name, meta, data) in recordings {
        entry(format!("{folder}/{name}.sigmf-meta"), meta);
        entry(format!("{folder}/{name}.sigmf-data"), data);
    }
    out.resize(out.len() + 2 * BLOCK, 0);
    out
}

impl Recording {
    /// A headerless `cf32_le` capture (interleaved little-endian `f32` I/Q) as a recording
    /// with no annotations, checked for truncation and non-finite samples.
    pub fn from_raw_cf32(data: &[u8]) -> Result<Self, SigmfError> {
        let meta = format!(
            "{{\"global\": {{\"core:datatype\": \"cf32_le\", \"core:version\": \"{SIGMF_VERSION}\"}}, \"captures\": [], \"annotations\": []}}"
        );
        Self::from_bytes(meta.as_bytes(), data)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample_meta() -> Vec<u8> {
        write_metadata(
            1e6,
            "test",
            "standard",
            &[BurstAnnotation {
                sample_start: 0,
                sample_count: 4,
                label: "GMSK".into(),
                snr_db: Some(-3.5),
                seed: 9,
                index: 2,
            }],
        )
    }

    #[test]
    fn round_trip() {
        let x: Vec<C32> = (0..4).map(|k| C32::new(k as f32 * 0.5, -1.25)).collect();
        let rec = Recording::from_bytes(&sample_meta(), &encode_cf32_le(&x)).expect("valid");
        assert_eq!(rec.samples, x);
        assert_eq!(rec.meta.datatype, DataType::Cf32Le);
        assert_eq!(rec.meta.sample_rate, Some(1e6));
        let a = &rec.meta.annotations[0];
        assert_eq!(a.label.as_deref(), Some("GMSK"));
        assert_eq!(a.snr_db, Some(-3.5));
        assert_eq!(a.extra.get("fipmae:index").and_then(Value::as_u64), Some(2));
        assert_eq!(rec.segment(a), &x[..]);
    }

    #[test]
    fn integer_datatypes_decode() {
        let ci16 = [0x00u8, 0x40, 0x00, 0xC0]; // 16384, -16384
        let z = decode_samples(DataType::Ci16Le, &ci16).expect("ok");
        assert_eq!(z, vec![C32::new(0.5, -0.5)]);
        let z = decode_samples(DataType::Ci8, &[64u8, 192]).expect("ok");
        assert_eq!(z, vec![C32::new(0.5, -0.5)]);
        let be = [0x3F, 0x80, 0, 0, 0xBF, 0x80, 0, 0];
        assert_eq!(
            decode_samples(DataType::Cf32Be, &be),
            Ok(vec![C32::new(1.0, -1.0)])
        );
    }

    #[test]
    fn corrupt_inputs_are_named() {
        let x = encode_cf32_le(&[C32::new(1.0, 0.0); 4]);
        // truncated data: a partial sample
        let err = Recording::from_bytes(&sample_meta(), &x[..30]).unwrap_err();
        assert!(
            matches!(err, SigmfError::Truncated { bytes: 30, .. }),
            "{err}"
        );
        // truncated data: whole samples, but fewer than the annotation covers
        let err = Recording::from_bytes(&sample_meta(), &x[..24]).unwrap_err();
        assert!(
            matches!(err, SigmfError::OutOfRange { len: 3, .. }),
            "{err}"
        );
        // not JSON
        assert!(matches!(
            Recording::from_bytes(b"{nope", &x),
            Err(SigmfError::Json(_))
        ));
        // wrong datatype
        let meta = String::from_utf8(sample_meta())
            .unwrap_or_default()
            .replace("cf32_le", "rf32_le");
        let err = Recording::from_bytes(meta.as_bytes(), &x).unwrap_err();
        assert_eq!(err, SigmfError::Datatype("rf32_le".into()));
        assert!(err.to_string().contains("rf32_le"));
        // missing required fields
        let no_version =
            r#"{"global": {"core:datatype": "cf32_le"}, "captures": [], "annotations": []}"#;
        assert_eq!(
            Recording::from_bytes(no_version.as_bytes(), &x),
            Err(SigmfError::Missing("global.core:version".into()))
        );
        let no_ann =
            r#"{"global": {"core:datatype": "cf32_le", "core:version": "1.2.0"}, "captures": []}"#;
        assert_eq!(
            Recording::from_bytes(no_ann.as_bytes(), &x),
            Err(SigmfError::Missing("annotations".into()))
        );
        let bad_start = r#"{"global": {"core:datatype": "cf32_le", "core:version": "1.2.0"}, "captures": [], "annotations": [{"core:sample_start": -1}]}"#;
        let err = Recording::from_bytes(bad_start.as_bytes(), &x).unwrap_err();
        assert!(
            err.to_string().contains("annotations[0].core:sample_start"),
            "{err}"
        );
        // NaN samples
        let mut y = vec![C32::new(1.0, 0.0); 4];
        y[2].im = f32::NAN;
        let err = Recording::from_bytes(&sample_meta(), &encode_cf32_le(&y)).unwrap_err();
        assert_eq!(err, SigmfError::NonFinite { index: 2 });
    }

    #[test]
    fn archives_round_trip_and_corruption_is_named() {
        let data = encode_cf32_le(&[C32::new(1.0, -1.0); 4]);
        let meta = sample_meta();
        let tar = write_archive("rec", &[("a", &meta, &data), ("b", &meta, &data)]);
        let recs = read_archive(&tar).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].0, "rec/a");
        assert_eq!(recs[1].1.samples.len(), 4);
        assert_eq!(recs[1].1.meta.annotations[0].label.as_deref(), Some("GMSK"));

        let truncated = &tar[..BLOCK + 10];
        let e = read_archive(truncated).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        let mut flipped = tar.clone();
        flipped[3] ^= 0x55;
        let e = read_archive(&flipped).unwrap_err().to_string();
        assert!(e.contains("checksum"), "{e}");
        let e = read_archive(b"hello").unwrap_err().to_string();
        assert!(e.contains("no .sigmf-meta"), "{e}");
        let lone = write_archive("rec", &[]);
        assert!(read_archive(&lone).is_err());
        let mut nan = data.clone();
        nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
        let bad = write_archive("rec", &[("a", &meta, &nan)]);
        let e = read_archive(&bad).unwrap_err().to_string();
        assert!(e.contains("rec/a") && e.contains("not finite"), "{e}");
    }

    #[test]
    fn raw_cf32_is_checked() {
        let data = encode_cf32_le(&[C32::new(0.5, 0.25); 3]);
        let r = Recording::from_raw_cf32(&data).unwrap();
        assert_eq!(r.samples.len(), 3);
        assert!(r.meta.annotations.is_empty());
        assert!(matches!(
            Recording::from_raw_cf32(&data[..5]),
            Err(SigmfError::Truncated { .. })
        ));
    }
}
