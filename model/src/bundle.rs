//! `bundle.json`: the index of a folder of exported weights (the trainer's `export` writes
//! it, the browser and the trainer's `classify` read it).

use serde::{Deserialize, Serialize};

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

impl Bundle {
    /// Parses `bundle.json` bytes; the error says what is wrong with them.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
