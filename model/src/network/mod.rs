//! The network: configuration, masking, the shared encoder, the autoencoder, the
//! classifier, and weights as bytes. Reads beside MAE's `models_mae.py`.

pub mod checks;
pub mod classifier;
pub mod config;
pub mod encoder;
pub mod mae;
pub mod masking;
pub mod presets;
pub mod weights;
