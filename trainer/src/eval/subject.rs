//! What `eval` scores: a fine-tuning run folder or an exported bundle, and where its
//! autoencoder is.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use model::classifier::AmcClassifier;
use model::mae::FipMae;
use model::{DatasetSpec, SnrSpec};

use super::EvalArgs;
use crate::backend::{self, Backend};
use crate::training::run_folder::{AUTOENCODER_WEIGHTS, RUN_JSON};

/// What `eval` scores, from a fine-tuning run or an exported bundle.
pub(super) struct Subject {
    /// Class names, in output order.
    pub(super) classes: Vec<String>,
    /// The generator of its training data (the test set draws from it, with its own seed).
    pub(super) dataset: DatasetSpec,
    /// Rendering settings it reads.
    pub(super) render: model::RenderConfig,
    /// The modality it reads.
    pub(super) target: model::Modality,
    /// Examples per forward pass.
    pub(super) batch_size: usize,
    /// The network.
    pub(super) model: AmcClassifier<Backend>,
    /// Where its autoencoder is, if anywhere.
    pub(super) autoencoder: Option<Autoencoder>,
    /// The labelled recordings it was fine-tuned on, if any.
    pub(super) recordings: Option<crate::data::recordings::RecordingsSpec>,
    /// Its stored open-set rule (`calibration.json`, from `fipmae calibrate`), if any.
    pub(super) rule: Option<model::openset::OpenSetRule>,
}

/// An autoencoder to measure reconstructions with.
pub(super) enum Autoencoder {
    /// A pretraining run folder.
    Run(PathBuf),
    /// A bundle's autoencoder weight file.
    File(PathBuf),
}

impl Subject {
    /// Loads `args.model` (see [`Subject::load`]) with the test set's generator: its
    /// training data's, with `--class-parameters` and `--max-freq-offset` applied; refuses
    /// a classifier of recorded classes without `--recordings`.
    pub(super) fn for_test(args: &EvalArgs, device: &backend::Device) -> Result<Self> {
        let mut ft = Self::load(args, device)?;
        if args.recordings.is_empty() && ft.classes != ft.dataset.class_names() {
            bail!(
                "`{}` was fine-tuned on recordings with the classes {}, which the generator's \
                 test set does not have: evaluate it with --recordings PATH",
                args.model.display(),
                ft.classes.join(", ")
            );
        }
        if let Some(p) = args.class_parameters {
            ft.dataset.signal.class_parameters = p;
        }
        if let Some(f) = args.max_freq_offset {
            ft.dataset.signal.channel.max_freq_offset = f;
        }
        ft.dataset
            .validate()
            .context("the test set's generator settings")?;
        Ok(ft)
    }

    /// The autoencoder whose reconstructions `eval` measures: none on recordings or with
    /// `--recon-per-class 0`.
    pub(super) fn autoencoder_to_measure(&self, args: &EvalArgs) -> Option<&Autoencoder> {
        match &self.autoencoder {
            _ if args.recon_per_class == 0 || !args.recordings.is_empty() => None,
            a => a.as_ref(),
        }
    }

    /// Loads `args.model`: a fine-tuning run folder (run.json) or a bundle folder
    /// (bundle.json); errors name the file.
    pub(super) fn load(args: &EvalArgs, device: &backend::Device) -> Result<Self> {
        let dir = &args.model;
        if dir.join(RUN_JSON).is_file() || !dir.join("bundle.json").is_file() {
            let (ft, model) = crate::finetune::load_run::<Backend>(dir, device)?;
            let autoencoder = match (&args.pretrained, &ft.pretrained) {
                (Some(d), _) => Some(Autoencoder::Run(d.clone())),
                (None, Some(d)) if d.join(AUTOENCODER_WEIGHTS).is_file() => {
                    Some(Autoencoder::Run(d.clone()))
                }
                (None, Some(d)) => {
                    if args.recon_per_class > 0 && args.recordings.is_empty() {
                        eprintln!(
                            "note: `{}` (the pretraining run of this classifier) is gone; \
                             no reconstruction metrics (pass --pretrained RUN)",
                            d.display()
                        );
                    }
                    None
                }
                (None, None) => None,
            };
            let calibration = crate::training::run_folder::CALIBRATION_JSON;
            // the rule is measured by --open-set only (and `calibrate` replaces it)
            let rule = match args.open_set.is_some() && dir.join(calibration).is_file() {
                true => Some(crate::classify::read_rule(
                    dir,
                    calibration,
                    ft.class_names().len(),
                )?),
                false => None,
            };
            return Ok(Self {
                rule,
                classes: ft.class_names(),
                dataset: ft.dataset.clone(),
                render: ft.render.clone(),
                target: ft.classifier.mae.target,
                batch_size: ft.batch_size,
                model,
                autoencoder,
                recordings: ft.recordings.clone(),
            });
        }
        let loaded = crate::classify::load(dir, device, args.open_set.is_some())?;
        let index = dir.join("bundle.json");
        let bundle = model::bundle::Bundle::from_json(&crate::fsutil::read(&index)?)
            .with_context(|| format!("`{}` is not a bundle index", index.display()))?;
        // the generator's class set when the bundle's classes are generator classes
        let classes: Vec<model::Modulation> = bundle
            .classes
            .iter()
            .filter_map(|c| c.parse().ok())
            .collect();
        let mut dataset = DatasetSpec::new(args.seed, SnrSpec::default());
        dataset.signal = bundle.signal.clone();
        if classes.len() == bundle.classes.len() {
            dataset.classes = classes;
        }
        let autoencoder = match (&args.pretrained, &bundle.autoencoder) {
            (Some(d), _) => Some(Autoencoder::Run(d.clone())),
            (None, Some(f)) => Some(Autoencoder::File(dir.join(f))),
            (None, None) => None,
        };
        Ok(Self {
            rule: loaded.rule,
            classes: loaded.classes,
            dataset,
            render: loaded.render,
            target: loaded.target,
            batch_size: 32,
            model: loaded.model,
            autoencoder,
            recordings: None,
        })
    }
}

impl Autoencoder {
    /// Loads the autoencoder; returns it with the path the report names.
    pub(super) fn load(&self, device: &backend::Device) -> Result<(FipMae<Backend>, &Path)> {
        match self {
            Autoencoder::Run(dir) => {
                Ok((crate::pretrain::load_run::<Backend>(dir, device)?.1, dir))
            }
            Autoencoder::File(file) => {
                let bytes = crate::fsutil::read_capped(file, crate::fsutil::MAX_NAMED_FILE)?;
                let mae = model::weights::autoencoder_from_bytes::<Backend>(&bytes, None, device)
                    .with_context(|| format!("loading `{}`", file.display()))?;
                Ok((mae, file))
            }
        }
    }
}
