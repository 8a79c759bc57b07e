//! The options of `fipmae finetune` and the run they describe ([`FinetuneArgs::run_config`]).

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use model::config::{ClassifierConfig, FipMaeConfig, Method, Preset};
use model::{DatasetSpec, Profile, SignalConfig};

use super::description::read_finetune_run;
use super::{FinetuneRun, LABELLED_SALT};
use crate::data::recordings::{RecordingSet, RecordingsSpec};
use crate::flags::{
    parse_fraction, parse_non_negative, parse_positive, BurstFlags, RunFlags, SnrRange,
};
use crate::fsutil::read;
use crate::pretrain::PretrainRun;
use crate::training::run_folder::{read_run, AUTOENCODER_WEIGHTS};

/// Options of `fipmae finetune`.
#[derive(Debug, Clone, Args)]
#[command(mut_arg("seed", |a| a.help("Seed of the labelled data, order and initialisation")))]
#[command(mut_arg("sync_every", |a| a.help(
    "Training steps between two reads of their losses and predictions back to the host (0 \
     or 1: every step). Reading waits for the device; on a GPU fewer reads keep its queue \
     full. Results do not depend on it")))]
pub struct FinetuneArgs {
    /// Pretraining run folder whose encoder to start from.
    #[arg(long, conflicts_with = "method")]
    pub pretrained: Option<PathBuf>,
    /// Fine-tuning run folder whose kept classifier to start from (its model, classes and
    /// generator settings), e.g. to go on training it on fresh labels at a lower rate.
    #[arg(long, conflicts_with_all = ["pretrained", "method", "freeze_encoder"])]
    pub init_from: Option<PathBuf>,
    /// `vit`: train the same classifier from scratch (the baseline).
    #[arg(long)]
    pub method: Option<Method>,
    /// Size preset for `--method vit` (a pretrained run brings its own).
    #[arg(long, default_value = "small")]
    pub preset: Preset,
    /// Labelled training examples per class (SNR ~ U[--snr-min, --snr-max]); per epoch
    /// with --fresh-labels.
    #[arg(long, default_value_t = 100)]
    pub labels_per_class: u64,
    /// Draw new labelled examples every epoch (generator only): epoch e trains on examples
    /// no other epoch sees, so the run uses labels-per-class × epochs per class in all, for
    /// the compute of the same labels repeated. Validation examples stay the same.
    #[arg(long, conflicts_with = "recordings")]
    pub fresh_labels: bool,
    /// SNR range of the labelled examples (training and validation).
    #[command(flatten)]
    pub snr: SnrRange,
    /// Generator definitions of the labelled data: `standard` or `denomae` (default: the
    /// pretraining run's generator settings, or `standard` from scratch).
    #[arg(long)]
    pub profile: Option<Profile>,
    /// Largest carrier frequency offset of the labelled data, cycles/sample, drawn
    /// U[−max, max] (default: the pretraining run's, or the profile's from scratch);
    /// wider ranges make the model hold up on recordings with more offset.
    #[arg(long, value_parser = parse_non_negative)]
    pub max_freq_offset: Option<f64>,
    /// Burst length and samples per symbol (default: the pretraining run's, or the
    /// profile's from scratch).
    #[command(flatten)]
    pub burst: BurstFlags,
    /// Validation examples per class, for model selection.
    #[arg(long, default_value_t = 20)]
    pub val_per_class: u64,
    /// Labelled recordings to train on instead of the generator: SigMF pairs, `.sigmf`
    /// archives, raw captures, or folders of them (labels from `core:label`; the class set
    /// is the labels found, or --classes). `--labels-per-class` windows per class are drawn
    /// with the seed, validation windows from other bursts.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub recordings: Vec<PathBuf>,
    /// The class names of --recordings, in output order, comma-separated (default: the
    /// sorted labels found).
    #[arg(long, requires = "recordings", value_delimiter = ',')]
    pub classes: Option<Vec<String>>,
    /// Annotation field holding a recorded burst's SNR, dB.
    #[arg(long, default_value = crate::data::recordings::DEFAULT_SNR_FIELD)]
    pub snr_field: String,
    /// Epochs.
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Peak learning rate (AdamW, warm-up of one epoch, cosine decay), finite and > 0.
    #[arg(long, default_value_t = 5e-4, value_parser = parse_positive)]
    pub lr: f64,
    /// Label smoothing in [0, 1).
    #[arg(long, default_value_t = 0.1, value_parser = parse_fraction)]
    pub label_smoothing: f64,
    /// Train the head only, encoder frozen.
    #[arg(long)]
    pub freeze_encoder: bool,
    /// Run folder, seed, resuming and stopping, threads, reads back (`--out`, `--seed`, …).
    #[command(flatten)]
    pub run: RunFlags,
}

impl FinetuneArgs {
    /// The run these options describe, validated, and the pretrained weights it starts
    /// from (read, not yet decoded). Writes nothing.
    pub fn run_config(&self) -> Result<(FinetuneRun, Option<Vec<u8>>)> {
        let source = self
            .init_from
            .as_deref()
            .map(read_finetune_run)
            .transpose()?;
        let (mae_config, pretrained_bytes, pretrained_signal) =
            self.starting_point(source.as_ref())?;
        self.check_training()?;
        let dataset = self.dataset(pretrained_signal)?;
        let render = mae_config.render_config(&dataset.signal);
        let recordings = self.recordings_spec(render.num_samples)?;
        let classes = recordings
            .as_ref()
            .map_or(dataset.classes.len(), |r| r.classes.len()) as u64;
        let classifier = ClassifierConfig::new(mae_config.clone(), classes as usize)
            .with_freeze_encoder(self.freeze_encoder);
        if let Some(src) = &source {
            if src.classifier.num_classes != classifier.num_classes {
                bail!(
                    "--init-from's classifier has {} outputs but the data has {classes} classes",
                    src.classifier.num_classes
                );
            }
        }
        let run = FinetuneRun {
            render,
            recordings,
            classifier,
            pretrained: match &source {
                Some(src) => src.pretrained.clone(),
                None => self.pretrained.clone(),
            },
            init_from: self.init_from.clone(),
            fresh_labels: self.fresh_labels,
            train: self.labels_per_class * classes,
            val: self.val_per_class * classes,
            dataset,
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            label_smoothing: self.label_smoothing,
            seed: self.run.seed,
        };
        run.validate()?;
        Ok((run, pretrained_bytes))
    }

    /// Where the classifier starts: its network settings, the pretrained autoencoder's
    /// weights (read, not decoded) and the generator settings of the data before it
    /// (`--init-from`'s run, `--pretrained`'s run, or a ViT from scratch).
    fn starting_point(
        &self,
        source: Option<&FinetuneRun>,
    ) -> Result<(FipMaeConfig, Option<Vec<u8>>, SignalConfig)> {
        Ok(match (source, &self.pretrained, self.method) {
            (Some(src), _, _) => (src.classifier.mae.clone(), None, src.dataset.signal.clone()),
            (None, Some(dir), _) => {
                let pre: PretrainRun = read_run(dir, "a pretraining run description")?;
                let weights = read(&dir.join(AUTOENCODER_WEIGHTS))?;
                (pre.model, Some(weights), pre.dataset.signal)
            }
            (None, None, Some(Method::Vit)) => (
                FipMaeConfig::preset(self.preset),
                None,
                SignalConfig::standard(),
            ),
            (None, None, Some(m)) => {
                bail!("--method {m:?} needs pretraining: pass --pretrained RUN (or --method vit)")
            }
            (None, None, None) => {
                bail!("pass --pretrained RUN, or --method vit to train from scratch")
            }
        })
    }

    /// Refuses rates, counts and SNR ranges that cannot train.
    fn check_training(&self) -> Result<()> {
        if !(0.0..1.0).contains(&self.label_smoothing) {
            bail!("--label-smoothing must be in [0, 1)");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            bail!("--lr must be a finite number > 0");
        }
        if self.labels_per_class == 0 || self.batch_size == 0 || self.epochs == 0 {
            bail!("--labels-per-class, --batch-size and --epochs must be at least 1");
        }
        self.snr.check()
    }

    /// The labelled data's generator: its own seed, the SNR range, and `pretrained`'s
    /// generator settings unless another profile is asked for, with the overrides.
    fn dataset(&self, pretrained: SignalConfig) -> Result<DatasetSpec> {
        let mut dataset = DatasetSpec::new(self.run.seed ^ LABELLED_SALT, self.snr.spec());
        dataset.signal = match self.profile {
            Some(p) if p != pretrained.profile => SignalConfig::for_profile(p),
            _ => pretrained,
        };
        if let Some(f) = self.max_freq_offset {
            dataset.signal.channel.max_freq_offset = f;
        }
        self.burst.apply(&mut dataset.signal)?;
        dataset.validate()?;
        Ok(dataset)
    }

    /// `--recordings` cut into `n`-sample windows and split now (a class with too few
    /// windows is refused before anything is written), as the run description keeps them.
    fn recordings_spec(&self, n: usize) -> Result<Option<RecordingsSpec>> {
        if self.recordings.is_empty() {
            return Ok(None);
        }
        let set = RecordingSet::open(
            &self.recordings,
            n,
            self.classes.as_deref(),
            &self.snr_field,
        )?;
        if set.classes.len() < 2 {
            bail!(
                "the recordings have {} class label(s) ({}); a classifier needs at least 2 \
                 (labels come from each annotation's core:label)",
                set.classes.len(),
                set.classes.join(", ")
            );
        }
        set.split(self.labels_per_class, self.val_per_class, self.run.seed)?;
        Ok(Some(RecordingsSpec {
            paths: self.recordings.clone(),
            classes: set.classes.clone(),
            snr_field: self.snr_field.clone(),
            windows: set.labelled() as u64,
            train_per_class: self.labels_per_class,
            val_per_class: self.val_per_class,
        }))
    }
}
