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
//!
//! [`meta`] reads and writes the JSON metadata; [`archive`] reads and writes `.sigmf`
//! archives (tar).

pub mod archive;
pub mod meta;

pub use archive::{read_archive, read_archive_within, write_archive};
pub use meta::{parse_metadata, write_metadata, BurstAnnotation};

use serde_json::{Map, Value};

use crate::C32;

/// The SigMF version our writer declares.
pub const SIGMF_VERSION: &str = "1.2.0";
/// Our extension namespace for per-burst fields.
pub const NAMESPACE: &str = "fipmae";

/// Why a recording could not be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
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
    /// The annotations cover the recording too many times over.
    #[error("the annotations cover {covered} samples of a {len}-sample recording, more than {MAX_COVERAGE} times its length")]
    Coverage {
        /// Samples covered, counted once per annotation.
        covered: u64,
        /// Samples in the recording.
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
    /// Decoding would exceed the sample budget of one archive or upload.
    #[error("{samples} decoded samples are over the budget of {budget} per archive or upload ({MAX_DECODED_SAMPLES} samples, 256 MiB as complex f32, unless the caller set less): split it")]
    Budget {
        /// Samples decoded when the budget ran out.
        samples: usize,
        /// The budget, samples.
        budget: usize,
    },
}

/// Most complex samples decoded from one `.sigmf` archive ([`read_archive`]), and from
/// one upload in the page: 2²⁵ ≈ 33.5 M samples, 256 MiB as complex `f32`. Formats of
/// fewer bytes per sample decode to more memory than they take on disk (8-bit I/Q: 4×),
/// so the budget counts samples, not bytes.
pub const MAX_DECODED_SAMPLES: usize = 1 << 25;

/// What is left of a decoded-sample budget ([`MAX_DECODED_SAMPLES`] for one archive or
/// upload): [`SampleBudget::spend`] takes each decoded recording's samples from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleBudget {
    /// The whole budget, samples.
    pub total: usize,
    /// Samples spent so far.
    pub spent: usize,
}

impl Default for SampleBudget {
    fn default() -> Self {
        Self::new(MAX_DECODED_SAMPLES)
    }
}

impl SampleBudget {
    /// A budget of `total` samples.
    pub fn new(total: usize) -> Self {
        Self { total, spent: 0 }
    }

    /// Takes `samples` from the budget, or fails (leaving it as it was) when they do not fit.
    pub fn spend(&mut self, samples: usize) -> Result<(), SigmfError> {
        let after = self.spent.saturating_add(samples);
        if after > self.total {
            return Err(SigmfError::Budget {
                samples: after,
                budget: self.total,
            });
        }
        self.spent = after;
        Ok(())
    }
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

impl Annotation {
    /// The samples it covers in a recording of `len` samples, clipped to the data (to the
    /// end when it has no count).
    pub fn range(&self, len: usize) -> std::ops::Range<usize> {
        let start = (self.sample_start as usize).min(len);
        let end = self
            .sample_count
            .map_or(len, |c| start.saturating_add(c as usize))
            .min(len);
        start..end
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

/// How many times over the annotations of a recording may cover its samples (overlaps
/// allowed, amplification not).
pub const MAX_COVERAGE: u64 = 4;

/// Checks `annotations` against a recording of `len` samples: each inside the data, and
/// together covering it at most [`MAX_COVERAGE`] times (overlaps allowed: each covered
/// sample is rendered once per annotation, so coverage must not grow without bound).
pub fn check_annotations(annotations: &[Annotation], len: usize) -> Result<(), SigmfError> {
    let covered: u64 = annotations
        .iter()
        .map(|a| a.sample_count.unwrap_or(len as u64))
        .fold(0u64, u64::saturating_add);
    if covered > MAX_COVERAGE.saturating_mul(len.max(1) as u64) {
        return Err(SigmfError::Coverage { covered, len });
    }
    for (index, a) in annotations.iter().enumerate() {
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
    Ok(())
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
        check_annotations(&meta.annotations, samples.len())?;
        Ok(Self { meta, samples })
    }

    /// The samples of annotation `a` (to the end of the data when it has no count).
    pub fn segment(&self, a: &Annotation) -> &[C32] {
        &self.samples[a.range(self.samples.len())]
    }
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
pub(crate) mod tests {
    use super::*;

    #[test]
    fn an_annotation_covers_its_count_or_the_rest_clipped_to_the_data() {
        let at = |start, count| Annotation {
            sample_start: start,
            sample_count: count,
            label: None,
            snr_db: None,
            extra: Map::new(),
        };
        assert_eq!(at(2, Some(3)).range(10), 2..5);
        assert_eq!(at(2, None).range(10), 2..10);
        assert_eq!(at(8, Some(5)).range(10), 8..10);
        assert_eq!(at(12, Some(5)).range(10), 10..10);
        assert_eq!(at(3, Some(u64::MAX)).range(10), 3..10);
    }

    /// Metadata of one 4-sample GMSK burst.
    pub(crate) fn sample_meta() -> Vec<u8> {
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
    fn header_bytes_repeated_and_amplifying_annotations_are_refused() {
        let data = encode_cf32_le(&[C32::new(1.0, 0.0); 100]);
        let meta = |captures: &str, annotations: &str| {
            format!(
                r#"{{"global": {{"core:datatype": "cf32_le", "core:version": "1.0.0"}}, "captures": [{captures}], "annotations": [{annotations}]}}"#
            )
        };
        let e = Recording::from_bytes(
            meta(r#"{"core:sample_start": 0, "core:header_bytes": 16}"#, "").as_bytes(),
            &data,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("header_bytes"), "{e}");
        let a = r#"{"core:sample_start": 10, "core:sample_count": 20}"#;
        let e = Recording::from_bytes(meta("", &format!("{a}, {a}")).as_bytes(), &data)
            .unwrap_err()
            .to_string();
        assert!(e.contains("annotations[1]") && e.contains("repeats"), "{e}");
        // overlaps are fine up to 4× coverage, not beyond
        let whole = |k: usize| {
            (0..k)
                .map(|i| format!(r#"{{"core:sample_start": {i}, "core:sample_count": 90}}"#))
                .collect::<Vec<_>>()
                .join(", ")
        };
        assert!(Recording::from_bytes(meta("", &whole(4)).as_bytes(), &data).is_ok());
        let e = Recording::from_bytes(meta("", &whole(5)).as_bytes(), &data).unwrap_err();
        assert!(matches!(e, SigmfError::Coverage { .. }), "{e}");
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
