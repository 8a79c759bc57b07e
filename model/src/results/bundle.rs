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
    /// Checks that a classifier built from `config` fits this index (class count, image size).
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
        Ok(())
    }

    /// Parses `bundle.json` bytes; the error says what is wrong with them.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
