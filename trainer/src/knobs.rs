//! The FIP knobs as command-line options, defined once: flattened into `pretrain`, set by
//! `compare --sweep`. Every value goes through the model's own range checks
//! (`model::config::check_*`), which the config and the page use too.

use clap::Args;
use model::config::{check_decoder_depth, check_loss_weight, check_mask_ratio, FipMaeConfig};

/// Overrides of the method preset's FIP knobs (target modality vs the others).
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct FipKnobs {
    /// Override the target modality's mask ratio p_target, in [0, 1).
    #[arg(long, value_parser = parse_mask_ratio)]
    pub mask_target: Option<f64>,
    /// Override the other modalities' mask ratio p_other, in [0, 1).
    #[arg(long, value_parser = parse_mask_ratio)]
    pub mask_other: Option<f64>,
    /// Override the target decoder's depth L_target, blocks.
    #[arg(long, value_parser = parse_decoder_depth)]
    pub depth_target: Option<usize>,
    /// Override the other decoders' depth L_other, blocks.
    #[arg(long, value_parser = parse_decoder_depth)]
    pub depth_other: Option<usize>,
    /// Override the target loss weight w_target, ≥ 0.
    #[arg(long, value_parser = parse_loss_weight)]
    pub weight_target: Option<f64>,
    /// Override the other loss weights w_other, ≥ 0.
    #[arg(long, value_parser = parse_loss_weight)]
    pub weight_other: Option<f64>,
}

impl FipKnobs {
    /// Writes the given overrides into `config` (the target is `config.target`).
    pub fn apply(&self, config: &mut FipMaeConfig) {
        let target = config.target;
        for m in config.modalities.iter_mut() {
            let is_target = m.modality == target;
            let (mask, depth, weight) = if is_target {
                (self.mask_target, self.depth_target, self.weight_target)
            } else {
                (self.mask_other, self.depth_other, self.weight_other)
            };
            if let Some(v) = mask {
                m.mask_ratio = v;
            }
            if let Some(v) = depth {
                m.decoder_depth = v;
            }
            if let Some(v) = weight {
                m.loss_weight = v;
            }
        }
    }
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of the right kind"))
}

/// Parses a mask ratio and checks it (`model::config::check_mask_ratio`).
pub fn parse_mask_ratio(s: &str) -> Result<f64, String> {
    check_mask_ratio(number(s)?)
}

/// Parses a decoder depth and checks it (`model::config::check_decoder_depth`).
pub fn parse_decoder_depth(s: &str) -> Result<usize, String> {
    check_decoder_depth(number(s)?)
}

/// Parses a loss weight and checks it (`model::config::check_loss_weight`).
pub fn parse_loss_weight(s: &str) -> Result<f64, String> {
    check_loss_weight(number(s)?)
}
