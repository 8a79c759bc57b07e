//! Everything that can go wrong in the page, as one typed enum. Each variant keeps the
//! model's own error (`#[from]`) or the name of the file or request it concerns, and
//! displays as the message the page shows.

use model::batch::BatchError;
use model::bundle::BundleError;
use model::config::ConfigError;
use model::mae::ModelError;
use model::metrics::MetricError;
use model::modality::ModalityError;
use model::segment::SegmentError;
use model::sigmf::SigmfError;
use model::studio::StudioError;
use model::verdict::VerdictError;
use model::weights::WeightsError;

/// A failure the page reports (never a panic).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WebError {
    /// Downloading a file of the bundle failed (network, HTTP status, size limit).
    #[error("{0}")]
    Fetch(String),
    /// `bundle.json` or `report.json` is not what the page expects.
    #[error("{file}: {reason}")]
    Json {
        /// Which file.
        file: String,
        /// The parser's message.
        reason: String,
    },
    /// A weight file is corrupt, truncated or of the wrong kind.
    #[error("{file} weights: {source}")]
    Weights {
        /// `classifier` or `autoencoder`.
        file: &'static str,
        /// Why the bytes were refused.
        source: WeightsError,
    },
    /// Rendering a burst failed.
    #[error("rendering: {0}")]
    Render(#[from] ModalityError),
    /// The classifier does not fit `bundle.json`.
    #[error(transparent)]
    Fit(#[from] BundleError),
    /// A studio request is out of range.
    #[error("studio: {0}")]
    Studio(#[from] StudioError),
    /// The network refused its inputs.
    #[error("model: {0}")]
    Model(#[from] ModelError),
    /// A configuration is impossible.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// Images could not be batched, or a result could not be read back.
    #[error("tensors: {0}")]
    Batch(#[from] BatchError),
    /// A segment's windows could not be rendered or batched.
    #[error("segment: {0}")]
    Verdict(#[from] VerdictError),
    /// A reconstruction could not be compared with its target.
    #[error("reconstruction: {0}")]
    Metric(#[from] MetricError),
    /// A picked file is not one the page reads.
    #[error("{name}: {reason}")]
    Upload {
        /// The file's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A recording could not be read.
    #[error("{name}: {source}")]
    Recording {
        /// The recording's name.
        name: String,
        /// Why.
        source: SigmfError,
    },
    /// A recording could not be cut into segments.
    #[error("{name}: {source}")]
    Segment {
        /// The recording's name.
        name: String,
        /// Why.
        source: SegmentError,
    },
}
