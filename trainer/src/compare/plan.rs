//! What a comparison runs: its variants (methods, or one knob's values, each full or
//! frozen), its cells (one per SNR under the per-SNR protocol), and the options checked.

use anyhow::{bail, Result};
use model::config::Method;

use super::{CompareArgs, EncoderMode, Protocol, DEFAULT_PER_CLASS, DEFAULT_PER_SNR};
use crate::flags::{parse_decoder_depth, parse_loss_weight, parse_mask_ratio};

/// A FIP knob `compare --sweep` varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Knob {
    /// p_target, the target modality's mask ratio.
    MaskTarget,
    /// L_target, the target decoder's depth.
    DepthTarget,
    /// w_target, the target loss weight.
    WeightTarget,
}

impl Knob {
    /// The flag-style name (`mask-target`, …).
    pub fn name(self) -> &'static str {
        match self {
            Knob::MaskTarget => "mask-target",
            Knob::DepthTarget => "depth-target",
            Knob::WeightTarget => "weight-target",
        }
    }
}

/// `--sweep KNOB=V1,V2,…`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The knob.
    pub knob: Knob,
    /// Its values, in order.
    pub values: Vec<f64>,
}

impl std::str::FromStr for Sweep {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, list) = s.split_once('=').ok_or_else(|| {
            format!("`{s}`: expected KNOB=V1,V2,… (e.g. mask-target=0.5,0.75,0.9)")
        })?;
        let knob = match name {
            "mask-target" | "p_target" => Knob::MaskTarget,
            "depth-target" | "L_target" => Knob::DepthTarget,
            "weight-target" | "w_target" => Knob::WeightTarget,
            other => {
                return Err(format!(
                    "unknown knob `{other}` (expected mask-target, depth-target or weight-target)"
                ))
            }
        };
        let values = list
            .split(',')
            .map(|v| {
                match knob {
                    Knob::MaskTarget => parse_mask_ratio(v),
                    Knob::DepthTarget => parse_decoder_depth(v).map(|d| d as f64),
                    Knob::WeightTarget => parse_loss_weight(v),
                }
                .map_err(|e| format!("{name}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { knob, values })
    }
}

/// One line of the comparison: a method, for sweeps one knob setting, and whether the
/// encoder is frozen at fine-tuning.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Variant {
    /// Row and folder name (`fip`, `fip-frozen`, `fip-mask-target-0.9`, …).
    pub(super) name: String,
    /// Name of its pretraining (`NAME-pre`), shared by the full and frozen rows.
    pub(super) pretraining: String,
    pub(super) method: Method,
    pub(super) knob: Option<(Knob, f64)>,
    pub(super) frozen: bool,
}

impl CompareArgs {
    /// The rows of the comparison, in table order: each method (or knob value), then, with
    /// `--encoder frozen`, the same rows frozen (no ViT).
    fn variants(&self) -> Vec<Variant> {
        // (name, method, the swept knob's value)
        type Base = (String, Method, Option<(Knob, f64)>);
        let bases: Vec<Base> = match &self.sweep {
            None => self
                .methods
                .iter()
                .map(|&m| (format!("{m:?}").to_lowercase(), m, None))
                .collect(),
            Some(sw) => sw
                .values
                .iter()
                .map(|&v| {
                    let base = format!("{:?}", self.sweep_base).to_lowercase();
                    (
                        format!("{base}-{}-{v}", sw.knob.name()),
                        self.sweep_base,
                        Some((sw.knob, v)),
                    )
                })
                .collect(),
        };
        let mut modes = self.encoder.clone();
        modes.dedup();
        modes
            .iter()
            .flat_map(|&mode| {
                let frozen = mode == EncoderMode::Frozen;
                bases
                    .iter()
                    // a ViT from scratch has no pretrained encoder to freeze
                    .filter(move |(_, m, _)| !(frozen && *m == Method::Vit))
                    .map(move |(name, method, knob)| Variant {
                        name: if frozen {
                            format!("{name}-frozen")
                        } else {
                            name.clone()
                        },
                        pretraining: name.clone(),
                        method: *method,
                        knob: *knob,
                        frozen,
                    })
            })
            .collect()
    }

    /// The SNR of each fine-tuning of one (variant, seed): `None` for the mixed protocol's
    /// one classifier, else each SNR of `--snrs`.
    fn cells(&self) -> Vec<Option<i32>> {
        match self.protocol {
            Protocol::Mixed => vec![None],
            Protocol::PerSnr => self
                .snrs
                .clone()
                .unwrap_or_else(|| DEFAULT_PER_SNR.collect())
                .into_iter()
                .map(Some)
                .collect(),
        }
    }

    /// Test examples per (class, SNR).
    pub(super) fn per_class(&self) -> u64 {
        self.per_class.unwrap_or(match self.protocol {
            Protocol::Mixed => DEFAULT_PER_CLASS.0,
            Protocol::PerSnr => DEFAULT_PER_CLASS.1,
        })
    }
}

/// The folder of one SNR's runs under the per-SNR protocol (`snr_-10dB`, `snr_5dB`).
pub fn snr_folder(snr_db: i32) -> String {
    format!("snr_{snr_db}dB")
}

impl CompareArgs {
    /// The variants and the cells of a comparison, after refusing options that contradict
    /// each other, name a method or an SNR twice, or leave nothing to run.
    pub(super) fn plan(&self) -> Result<(Vec<Variant>, Vec<Option<i32>>)> {
        if self.sweep.is_some() && self.sweep_base == Method::Vit {
            bail!("--sweep-base must be fip or denomae: a ViT from scratch has no FIP knobs");
        }
        if self.protocol == Protocol::Mixed && self.snrs.is_some() {
            bail!(
                "--snrs sets the SNRs of --protocol per-snr; the mixed protocol trains on −10..10 dB \
                 and tests at every SNR of it"
            );
        }
        if self.protocol == Protocol::PerSnr && self.embeddings {
            bail!("--embeddings is implemented for --protocol mixed only");
        }
        if self.per_class == Some(0) {
            bail!("--per-class must be at least 1");
        }
        let cells = self.cells();
        let mut snrs: Vec<Option<i32>> = cells.clone();
        snrs.sort_unstable();
        snrs.dedup();
        if snrs.len() != cells.len() || cells.is_empty() {
            bail!("each SNR of --snrs may appear at most once, and at least one is needed");
        }
        let variants = self.variants();
        let mut names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        if names.len() != variants.len() || variants.is_empty() {
            bail!(
                "each method (--methods) or knob value (--sweep) may appear at most once, and at \
                 least one is needed (a ViT from scratch has no --encoder frozen row)"
            );
        }
        Ok((variants, cells))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn frozen_rows_share_the_pretraining_and_skip_the_vit() {
        let args: CompareArgs = crate::args_from(&[
            "--out",
            "x",
            "--methods",
            "vit,fip",
            "--encoder",
            "full,frozen",
        ])
        .unwrap();
        let v = args.variants();
        let names: Vec<(&str, &str, bool)> = v
            .iter()
            .map(|v| (v.name.as_str(), v.pretraining.as_str(), v.frozen))
            .collect();
        assert_eq!(
            names,
            vec![
                ("vit", "vit", false),
                ("fip", "fip", false),
                ("fip-frozen", "fip", true)
            ]
        );
        assert_eq!(args.cells(), vec![None]);
        assert_eq!(args.per_class(), 20);
        let args: CompareArgs = crate::args_from(&["--out", "x", "--protocol", "per-snr"]).unwrap();
        assert_eq!(args.cells().len(), 21);
        assert_eq!(args.per_class(), 100);
    }
}
