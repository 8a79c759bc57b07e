//! SigMF metadata (`.sigmf-meta` JSON): parsed into [`Metadata`] by serde (with
//! `serde_path_to_error`, so every error names the field's full path), checked, and
//! written from [`BurstAnnotation`]s.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{Annotation, DataType, Metadata, SigmfError, NAMESPACE, SIGMF_VERSION};

fn field_err(field: impl Into<String>, reason: &str) -> SigmfError {
    SigmfError::Field {
        field: field.into(),
        reason: reason.to_string(),
    }
}

/// The metadata as SigMF lays it out (the fields we read; every other key is kept).
#[derive(Deserialize)]
struct RawMeta {
    global: RawGlobal,
    captures: Vec<RawCapture>,
    annotations: Vec<RawAnnotation>,
}

#[derive(Deserialize)]
struct RawGlobal {
    #[serde(rename = "core:datatype")]
    datatype: String,
    #[serde(rename = "core:version")]
    version: String,
    #[serde(rename = "core:sample_rate", default)]
    sample_rate: Option<f64>,
    #[serde(rename = "core:description", default)]
    description: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawCapture {
    #[serde(rename = "core:sample_start")]
    sample_start: u64,
    #[serde(rename = "core:header_bytes", default)]
    header_bytes: Option<u64>,
}

/// The most annotations a recording may carry (each becomes a verdict to compute).
pub const MAX_ANNOTATIONS: usize = 100_000;

#[derive(Deserialize)]
struct RawAnnotation {
    #[serde(rename = "core:sample_start")]
    sample_start: u64,
    #[serde(rename = "core:sample_count", default)]
    sample_count: Option<u64>,
    #[serde(rename = "core:label", default)]
    label: Option<String>,
    #[serde(rename = "fipmae:snr_db", default)]
    snr_db: Option<f64>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// A deserialisation error as a [`SigmfError`] naming the field's full path
/// (`global.core:version`, `annotations[3].core:sample_start`).
fn from_serde(e: serde_path_to_error::Error<serde_json::Error>) -> SigmfError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if !inner.is_data() {
        return SigmfError::Json(inner.to_string());
    }
    let message = inner.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    // serde reports a missing field at the path of the object that lacks it
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return SigmfError::Missing(if path == "." {
            name.to_string()
        } else {
            format!("{path}.{name}")
        });
    }
    let field = if path == "." {
        "(root)".to_string()
    } else {
        path
    };
    SigmfError::Field {
        field,
        reason: message,
    }
}

/// Parses and checks `.sigmf-meta` bytes.
pub fn parse_metadata(bytes: &[u8]) -> Result<Metadata, SigmfError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let raw: RawMeta = serde_path_to_error::deserialize(de).map_err(from_serde)?;
    let g = raw.global;
    let datatype = DataType::parse(&g.datatype)?;
    if !g.version.starts_with("1.") {
        return Err(field_err(
            "global.core:version",
            "only SigMF 1.x is supported",
        ));
    }
    if let Some(r) = g.sample_rate {
        if !(r.is_finite() && r > 0.0) {
            return Err(field_err("global.core:sample_rate", "must be positive"));
        }
    }
    if let Some(n) = g.extra.get("core:num_channels") {
        if n.as_u64() != Some(1) {
            return Err(field_err(
                "global.core:num_channels",
                "only single-channel recordings are supported",
            ));
        }
    }
    if let Some(i) = raw
        .captures
        .iter()
        .position(|c| c.header_bytes.is_some_and(|h| h > 0))
    {
        return Err(field_err(
            format!("captures[{i}].core:header_bytes"),
            "header bytes inside the data file are not supported: strip them first",
        ));
    }
    if raw.annotations.len() > MAX_ANNOTATIONS {
        return Err(field_err(
            "annotations",
            &format!("more than {MAX_ANNOTATIONS} annotations"),
        ));
    }
    let mut seen = std::collections::HashSet::with_capacity(raw.annotations.len());
    if let Some(i) = raw
        .annotations
        .iter()
        .position(|a| !seen.insert((a.sample_start, a.sample_count)))
    {
        return Err(field_err(
            format!("annotations[{i}]"),
            "repeats an earlier annotation's start and count",
        ));
    }
    let mut annotations = Vec::with_capacity(raw.annotations.len());
    for (i, a) in raw.annotations.into_iter().enumerate() {
        if a.snr_db.is_some_and(|x| !x.is_finite()) {
            return Err(field_err(
                format!("annotations[{i}].fipmae:snr_db"),
                "must be a finite number",
            ));
        }
        annotations.push(Annotation {
            sample_start: a.sample_start,
            sample_count: a.sample_count,
            label: a.label,
            snr_db: a.snr_db,
            extra: a.extra,
        });
    }
    Ok(Metadata {
        datatype,
        version: g.version,
        sample_rate: g.sample_rate,
        description: g.description,
        global_extra: g.extra,
        captures: raw.captures.into_iter().map(|c| c.sample_start).collect(),
        annotations,
    })
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sigmf::tests::sample_meta;
    use crate::sigmf::{encode_cf32_le, Recording};
    use crate::C32;

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
        // a wrong type names its full path, and a document that is no object says so
        let bad_rate = r#"{"global": {"core:datatype": "cf32_le", "core:version": "1.2.0", "core:sample_rate": "fast"}, "captures": [], "annotations": []}"#;
        assert!(matches!(
            Recording::from_bytes(bad_rate.as_bytes(), &x),
            Err(SigmfError::Field { field, .. }) if field == "global.core:sample_rate"
        ));
        assert!(matches!(
            Recording::from_bytes(b"[]", &x),
            Err(SigmfError::Field { field, .. }) if field == "(root)"
        ));
        // NaN samples
        let mut y = vec![C32::new(1.0, 0.0); 4];
        y[2].im = f32::NAN;
        let err = Recording::from_bytes(&sample_meta(), &encode_cf32_le(&y)).unwrap_err();
        assert_eq!(err, SigmfError::NonFinite { index: 2 });
    }
}
