//! `bundle.json`: the index of a folder of exported weights (the trainer's `export` writes
//! it, the browser and the trainer's `classify` read it).

use serde::{Deserialize, Serialize};

use crate::config::ClassifierConfig;
use crate::modality::RenderConfig;
use crate::signal::SignalConfig;

/// The index of an exported folder; file names are relative to the folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// Class names, in label order.
    pub classes: Vec<String>,
    /// Signal generator settings of the training data.
    pub signal: SignalConfig,
    /// Rendering settings the classifier expects.
    pub render: RenderConfig,
    /// Classifier weight file name.
    pub classifier: String,
    /// Autoencoder weight file name, if shipped.
    pub autoencoder: Option<String>,
    /// Evaluation report file name, if shipped.
    pub report: Option<String>,
    /// Whether weights are stored as f16.
    pub half_precision: bool,
    /// The open-set rule's file name (`calibration.json`, a
    /// [`crate::openset::OpenSetRule`]), if shipped: calibrated probabilities and the
    /// "unknown" verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
}

/// Why a bundle's classifier does not fit its index.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BundleError {
    /// Output count and class list differ.
    #[error("the classifier has {outputs} outputs but bundle.json lists {classes} classes")]
    Classes {
        /// The classifier's outputs.
        outputs: usize,
        /// Classes in the index.
        classes: usize,
    },
    /// The rendering settings are not the ones the classifier's configuration derives from
    /// the signal settings (burst length, samples per symbol, filter, constellation
    /// channels...).
    #[error(
        "bundle.json's rendering settings differ from those the classifier was trained with ({0})"
    )]
    Render(String),
    /// Image sizes differ.
    #[error(
        "the classifier reads {model}×{model} images but bundle.json renders {render}×{render}"
    )]
    ImageSize {
        /// The classifier's image side.
        model: usize,
        /// The rendering settings' image side.
        render: usize,
    },
}

impl Bundle {
    /// Checks that a classifier built from `config` fits this index: class count, image
    /// size, and rendering settings equal to those its configuration derives from the
    /// index's signal settings.
    pub fn check(&self, config: &ClassifierConfig) -> Result<(), BundleError> {
        if config.num_classes != self.classes.len() {
            return Err(BundleError::Classes {
                outputs: config.num_classes,
                classes: self.classes.len(),
            });
        }
        if config.mae.image_size != self.render.image_size {
            return Err(BundleError::ImageSize {
                model: config.mae.image_size,
                render: self.render.image_size,
            });
        }
        let expected = config.mae.render_config(&self.signal);
        if expected != self.render {
            let what = [
                (
                    "burst length",
                    expected.num_samples != self.render.num_samples,
                ),
                (
                    "samples per symbol",
                    expected.samples_per_symbol != self.render.samples_per_symbol,
                ),
                (
                    "filter",
                    expected.rolloff != self.render.rolloff
                        || expected.filter_span != self.render.filter_span,
                ),
                (
                    "constellation",
                    expected.constellation != self.render.constellation,
                ),
            ]
            .iter()
            .filter(|(_, differs)| *differs)
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ");
            return Err(BundleError::Render(if what.is_empty() {
                "other settings".into()
            } else {
                what
            }));
        }
        Ok(())
    }

    /// Parses `bundle.json` bytes and checks what it names (see [`check_file_name`]) and
    /// its class list (2..=[`MAX_CLASSES`] names of at most [`MAX_CLASS_NAME`] bytes); the
    /// error says what is wrong with them.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        use serde::de::Error;
        let b: Self = serde_json::from_slice(bytes)?;
        let names = [
            ("classifier", Some(&b.classifier)),
            ("autoencoder", b.autoencoder.as_ref()),
            ("report", b.report.as_ref()),
            ("calibration", b.calibration.as_ref()),
        ];
        for (field, name) in names {
            if let Some(name) = name {
                check_file_name(name)
                    .map_err(|why| serde_json::Error::custom(format!("{field}: {why}")))?;
            }
        }
        if !(2..=MAX_CLASSES).contains(&b.classes.len()) {
            return Err(serde_json::Error::custom(format!(
                "classes: {} names, expected 2 to {MAX_CLASSES}",
                b.classes.len()
            )));
        }
        if let Some(c) = b
            .classes
            .iter()
            .find(|c| c.is_empty() || c.len() > MAX_CLASS_NAME)
        {
            return Err(serde_json::Error::custom(format!(
                "classes: the name {:?} is empty or longer than {MAX_CLASS_NAME} bytes",
                c.chars().take(40).collect::<String>()
            )));
        }
        Ok(b)
    }
}

/// The most classes a bundle may list.
pub const MAX_CLASSES: usize = 1024;
/// The longest class name a bundle may hold, bytes.
pub const MAX_CLASS_NAME: usize = 128;

/// Checks a file name taken from an index (`bundle.json`): one plain name inside the
/// index's own folder — not empty, at most 255 bytes, no path separator, no `..` or other
/// leading dot, no `:` (drive letters, URL schemes) and no control characters — so that
/// neither the trainer nor the page can be sent outside the folder (or, in the page, to
/// another host).
pub fn check_file_name(name: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("file name {name:?} {why}"));
    if name.is_empty() || name.len() > 255 {
        return bad("must have 1 to 255 bytes");
    }
    if name.contains(['/', '\\', ':']) || name.chars().any(char::is_control) {
        return bad(
            "must be a plain name in the bundle's folder (no /, \\, : or control characters)",
        );
    }
    if name.starts_with('.') {
        return bad("must not start with a dot");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn index(classifier: &str, classes: &[&str]) -> Vec<u8> {
        let signal = crate::signal::SignalConfig::standard();
        let b = Bundle {
            calibration: None,
            classes: classes.iter().map(|c| c.to_string()).collect(),
            render: RenderConfig::for_signal(&signal, 32),
            signal,
            classifier: classifier.into(),
            autoencoder: None,
            report: Some("report.json".into()),
            half_precision: false,
        };
        serde_json::to_vec(&b).unwrap()
    }

    #[test]
    fn file_names_stay_inside_the_folder() {
        assert!(Bundle::from_json(&index("classifier.fipmae", &["a", "b"])).is_ok());
        for name in [
            "../run.json",
            "/etc/passwd",
            "//evil.example/x",
            "https://evil.example/x",
            "sub/classifier.fipmae",
            "..",
            ".hidden",
            "",
            "C:\\w.bin",
            "a\u{0}b",
        ] {
            let err = Bundle::from_json(&index(name, &["a", "b"])).unwrap_err();
            assert!(
                err.to_string().contains("classifier: file name"),
                "{name}: {err}"
            );
        }
        let long = "x".repeat(300);
        assert!(Bundle::from_json(&index(&long, &["a", "b"])).is_err());
    }

    #[test]
    fn a_classifier_is_checked_against_the_rendering_settings() {
        let mae = crate::config::FipMaeConfig::preset(crate::config::Preset::Tiny);
        let config = ClassifierConfig::new(mae, 2);
        let good: Bundle = serde_json::from_slice(&index("c.bin", &["a", "b"])).unwrap();
        assert_eq!(good.check(&config), Ok(()));
        let mut b = good.clone();
        b.render.num_samples = 512;
        let e = b.check(&config).unwrap_err().to_string();
        assert!(e.contains("burst length"), "{e}");
        let mut b = good.clone();
        b.render.constellation.widths.push(0.1);
        let e = b.check(&config).unwrap_err().to_string();
        assert!(e.contains("constellation"), "{e}");
        let mut b = good;
        b.render.image_size = 64;
        assert!(b.check(&config).is_err());
    }

    #[test]
    fn class_lists_are_bounded() {
        assert!(Bundle::from_json(&index("c.bin", &["only"])).is_err());
        assert!(Bundle::from_json(&index("c.bin", &["a", ""])).is_err());
        let long = "n".repeat(MAX_CLASS_NAME + 1);
        assert!(Bundle::from_json(&index("c.bin", &["a", &long])).is_err());
        let many: Vec<String> = (0..=MAX_CLASSES).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let err = Bundle::from_json(&index("c.bin", &many)).unwrap_err();
        assert!(err.to_string().contains("classes"), "{err}");
    }
}
