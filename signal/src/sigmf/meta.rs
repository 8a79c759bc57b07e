//! SigMF metadata (`.sigmf-meta` JSON): parsed into [`Metadata`], written from
//! [`BurstAnnotation`]s.

use serde_json::{json, Map, Value};

use super::{Annotation, DataType, Metadata, SigmfError, NAMESPACE, SIGMF_VERSION};

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
        // NaN samples
        let mut y = vec![C32::new(1.0, 0.0); 4];
        y[2].im = f32::NAN;
        let err = Recording::from_bytes(&sample_meta(), &encode_cf32_le(&y)).unwrap_err();
        assert_eq!(err, SigmfError::NonFinite { index: 2 });
    }
}
