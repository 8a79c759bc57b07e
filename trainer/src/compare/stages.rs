//! The stages of one cell of a comparison, each through the command it names
//! (`pretrain`, `finetune`, `eval`) with its options built by [`args_from`], each timed into
//! `timings.jsonl`.

use std::path::Path;

use anyhow::Result;
use model::config::Method;

use super::plan::{snr_folder, Knob, Variant};
use super::table::Cell;
use super::{CompareArgs, Timing};
use crate::fsutil::append_line;
use crate::{args_from, eval, finetune, pretrain};

/// Where one process stands in a campaign: its timings log and the pretrainings it has run
/// (or resumed), which full and frozen rows share.
pub(super) struct Campaign<'a> {
    /// The options.
    pub(super) args: &'a CompareArgs,
    /// `timings.jsonl`.
    pub(super) timings: &'a Path,
    /// Pretrainings run here, by seed and name.
    pub(super) pretrained: Vec<(u64, String)>,
}

impl Campaign<'_> {
    /// Variant `v`'s cell for `seed` (at `snr` under the per-SNR protocol): its report read
    /// back when it exists and `--resume` or `--collect` is given; otherwise, unless
    /// collecting, pretraining (once per seed and pretraining), fine-tuning and evaluation.
    pub(super) fn cell(
        &mut self,
        v: &Variant,
        seed: u64,
        snr: Option<i32>,
    ) -> Result<Option<Cell>> {
        let args = self.args;
        let dir = args.out.join(format!("seed-{seed}"));
        let sub = snr.map_or(dir.clone(), |s| dir.join(snr_folder(s)));
        let eval_dir = sub.join(format!("{}-eval", v.name));
        if (args.resume || args.collect) && eval_dir.join("report.json").exists() {
            // The report is the run's end product: its weights need not be here (a
            // campaign run elsewhere brings back its reports only).
            let report = eval::read_report(&eval_dir)?;
            return Ok(Some(Cell {
                seed,
                snr_db: snr,
                report,
            }));
        }
        if args.collect {
            return Ok(None);
        }
        let pretrained = if v.method == Method::Vit {
            None
        } else {
            let pre = dir.join(format!("{}-pre", v.pretraining));
            let key = (seed, v.pretraining.clone());
            if !self.pretrained.contains(&key) {
                self.pretrain(v, seed, &pre)?;
                self.pretrained.push(key);
            }
            Some(pre)
        };
        let ft = sub.join(&v.name);
        self.finetune(v, seed, snr, pretrained, &ft)?;
        let report = self.eval(v, seed, snr, &ft, &eval_dir)?;
        Ok(Some(Cell {
            seed,
            snr_db: snr,
            report,
        }))
    }

    /// Pretrains (or resumes) variant `v`'s autoencoder for `seed` into `pre`.
    fn pretrain(&self, v: &Variant, seed: u64, pre: &Path) -> Result<()> {
        let args = self.args;
        let mut a: pretrain::PretrainArgs = args_from(&["--out", &pre.to_string_lossy()])?;
        a.preset = args.preset;
        a.method = v.method;
        a.examples = args.examples;
        a.val_examples = (args.examples / 20).max(1);
        a.epochs = args.pretrain_epochs;
        a.batch_size = args.pretrain_batch_size.unwrap_or(args.batch_size);
        a.profile = args.profile;
        a.masking = args.masking;
        a.run.threads = args.threads;
        a.run.seed = seed;
        a.run.resume = args.resume && pre.join("run.json").exists();
        match v.knob {
            Some((Knob::MaskTarget, x)) => a.knobs.mask_target = Some(x),
            Some((Knob::DepthTarget, x)) => a.knobs.depth_target = Some(x as usize),
            Some((Knob::WeightTarget, x)) => a.knobs.weight_target = Some(x),
            None => {}
        }
        timed(self.timings, seed, &v.pretraining, "pretrain", None, || {
            pretrain::run(&a)
        })?;
        Ok(())
    }

    /// Fine-tunes (or resumes) variant `v` for `seed` into `ft`, from `pretrained` or from
    /// scratch; at `snr` alone under the per-SNR protocol.
    fn finetune(
        &self,
        v: &Variant,
        seed: u64,
        snr: Option<i32>,
        pretrained: Option<std::path::PathBuf>,
        ft: &Path,
    ) -> Result<()> {
        let args = self.args;
        let mut f: finetune::FinetuneArgs = args_from(&["--out", &ft.to_string_lossy()])?;
        f.method = pretrained.is_none().then_some(Method::Vit);
        f.pretrained = pretrained;
        f.freeze_encoder = v.frozen;
        f.preset = args.preset;
        f.labels_per_class = args.labels_per_class;
        f.val_per_class = (args.labels_per_class / 5).max(1);
        if let Some(s) = snr {
            // labels and validation at this SNR alone
            f.snr = crate::flags::SnrRange::at(f64::from(s));
        }
        f.epochs = args.finetune_epochs;
        f.batch_size = args.batch_size;
        f.lr = args.lr;
        f.profile = Some(args.profile);
        f.run.threads = args.threads;
        f.run.seed = seed;
        f.run.resume = args.resume && ft.join("run.json").exists();
        timed(self.timings, seed, &v.name, "finetune", snr, || {
            finetune::run(&f)
        })?;
        Ok(())
    }

    /// Evaluates the fine-tuned `ft` into `out`: at every SNR, or at `snr` alone (without
    /// reconstructions) under the per-SNR protocol.
    fn eval(
        &self,
        v: &Variant,
        seed: u64,
        snr: Option<i32>,
        ft: &Path,
        out: &Path,
    ) -> Result<eval::Report> {
        let args = self.args;
        let mut e: eval::EvalArgs = args_from(&[
            "--model",
            &ft.to_string_lossy(),
            "--out",
            &out.to_string_lossy(),
        ])?;
        e.per_class = args.per_class();
        e.threads = args.threads;
        e.embeddings = args.embeddings;
        if let Some(s) = snr {
            // tested at this SNR alone; reconstructions are not this table's measure
            e.snr = crate::flags::SnrGrid::at(s);
            e.recon_per_class = 0;
        }
        timed(self.timings, seed, &v.name, "eval", snr, || eval::run(&e))
    }
}

/// Runs one stage and appends its wall time to `timings` (`timings.jsonl`).
fn timed<T>(
    timings: &Path,
    seed: u64,
    variant: &str,
    stage: &str,
    snr_db: Option<i32>,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let t = std::time::Instant::now();
    let out = f()?;
    let line = Timing {
        seed,
        variant: variant.to_string(),
        stage: stage.to_string(),
        seconds: t.elapsed().as_secs_f64(),
        snr_db,
    };
    append_line(timings, &serde_json::to_string(&line)?)?;
    Ok(out)
}
