//! A run folder, the one home of what `pretrain` and `finetune` keep on disk:
//! `run.json` (the run's description), `metrics.jsonl` (one line per finished epoch), the
//! weights (`model.fipmae` or `classifier.fipmae`), `checkpoint.bin` and `run.lock`.
//!
//! Invariants:
//! - **One writer per run folder.** A process that creates or resumes a run holds an
//!   advisory lock on `run.lock` (which holds its pid) until the run ends; a second writer
//!   is refused at once, naming the folder and the holder. Readers (`finetune
//!   --pretrained`, `eval --model`, `export`) take no lock: every file they read is
//!   written atomically. The lock dies with its process, however it ends.
//! - **A new run never replaces one**: a folder with a `run.json` is refused unless the run
//!   is resumed (checked again under the lock, so two starts at once cannot both pass).
//! - **An epoch ends with its weights, then its metrics line, then its checkpoint**
//!   ([`RunFolder::end_epoch`]; why, in [`super::checkpoint`]).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::checkpoint;
use crate::backend::{Device, TrainBackend};
use crate::fsutil::{append_line, create_dir, read, write_atomic};

/// The run's description: everything that defines it.
pub const RUN_JSON: &str = "run.json";
/// A classifier's open-set rule (`fipmae calibrate`), in its run or bundle folder.
pub const CALIBRATION_JSON: &str = "calibration.json";
/// Model and optimizer state after the last finished epoch.
pub const CHECKPOINT: &str = "checkpoint.bin";
/// One metrics line per finished epoch.
pub const METRICS: &str = "metrics.jsonl";
/// The writer's advisory lock; holds its pid.
pub const LOCK: &str = "run.lock";
/// A pretraining run's weights, after the last finished epoch.
pub const AUTOENCODER_WEIGHTS: &str = "model.fipmae";
/// A fine-tuning run's weights, of the best validation epoch.
pub const CLASSIFIER_WEIGHTS: &str = "classifier.fipmae";

/// Reads the run description `dir/run.json`; an error names the file and says it is not
/// `what` ("a pretraining run description", …). Takes no lock.
pub fn read_run<R: DeserializeOwned>(dir: &Path, what: &str) -> Result<R> {
    let path = dir.join(RUN_JSON);
    serde_json::from_slice(&read(&path)?)
        .with_context(|| format!("`{}` is not {what}", path.display()))
}

/// Refuses to start a new run in `dir` when it already holds one.
pub fn refuse_existing(dir: &Path) -> Result<()> {
    if dir.join(RUN_JSON).exists() {
        bail!(
            "`{}` already holds a run: continue it with --resume, or choose another --out",
            dir.display()
        );
    }
    Ok(())
}

/// Where training stands: the model, its optimizer, and what a checkpoint keeps with them.
pub struct TrainState<M, O, H> {
    /// The model being trained.
    pub model: M,
    /// Its optimizer.
    pub optim: O,
    /// Optimizer steps taken.
    pub step: usize,
    /// Epochs finished.
    pub epochs_done: usize,
    /// The finished epochs' metrics lines.
    pub history: Vec<H>,
}

impl<M, O, H> TrainState<M, O, H> {
    /// A run's start: no step taken, no epoch finished.
    pub fn new(model: M, optim: O) -> Self {
        Self {
            model,
            optim,
            step: 0,
            epochs_done: 0,
            history: Vec::new(),
        }
    }
}

/// A run folder held for writing (see the module's invariants): the lock is released when
/// the value is dropped.
#[derive(Debug)]
pub struct RunFolder {
    dir: PathBuf,
    weights: PathBuf,
    /// The hash of `run.json` that checkpoints carry ([`checkpoint::run_hash`]).
    hash: u64,
    /// Whether the run continues from this folder's checkpoint.
    resumed: bool,
    /// Holds the advisory lock while open.
    _lock: File,
}

impl RunFolder {
    /// Creates `dir` for the new run `run` (weights in `weights`, a file name) and writes its
    /// `run.json`; refused when another process writes there or the folder holds a run.
    pub fn create<R: Serialize>(dir: &Path, weights: &str, run: &R) -> Result<Self> {
        create_dir(dir)?;
        let lock = lock(dir)?;
        refuse_existing(dir)?;
        write_atomic(&dir.join(RUN_JSON), &serde_json::to_vec_pretty(run)?)?;
        Self::held(dir, weights, run, false, lock)
    }

    /// Holds `dir`, whose `run.json` describes `run` (read by the caller), to resume it;
    /// refused when another process writes there.
    pub fn resume<R: Serialize>(dir: &Path, weights: &str, run: &R) -> Result<Self> {
        let lock = lock(dir)?;
        Self::held(dir, weights, run, true, lock)
    }

    fn held<R: Serialize>(
        dir: &Path,
        weights: &str,
        run: &R,
        resumed: bool,
        lock: File,
    ) -> Result<Self> {
        Ok(Self {
            dir: dir.to_path_buf(),
            weights: dir.join(weights),
            hash: checkpoint::run_hash(run)?,
            resumed,
            _lock: lock,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The weights file.
    pub fn weights(&self) -> &Path {
        &self.weights
    }

    /// Where training stands: `start` for a new run; for a resumed one, the last checkpoint
    /// loaded into it (refused when it belongs to another run or claims more than `epochs`
    /// epochs) with the metrics lines it covers (later ones are dropped), or `start` again
    /// when no epoch had finished.
    pub fn restore<M, O, H>(
        &self,
        start: TrainState<M, O, H>,
        epochs: usize,
        device: &Device,
    ) -> Result<TrainState<M, O, H>>
    where
        M: AutodiffModule<TrainBackend>,
        O: Optimizer<M, TrainBackend>,
        H: DeserializeOwned,
    {
        if !self.resumed {
            return Ok(start);
        }
        let path = self.dir.join(CHECKPOINT);
        if !path.exists() {
            // the run never finished an epoch: start it over
            let _ = std::fs::remove_file(self.dir.join(METRICS));
            return Ok(start);
        }
        let (model, optim, epochs_done, step) =
            checkpoint::load(&path, self.hash, epochs, start.model, start.optim, device)?;
        let history = checkpoint::keep_history(&self.dir.join(METRICS), epochs_done)?;
        if epochs_done > 0 {
            eprintln!(
                "resuming `{}` after epoch {epochs_done}",
                self.dir.display()
            );
        }
        Ok(TrainState {
            model,
            optim,
            step,
            epochs_done,
            history,
        })
    }

    /// Ends an epoch of `state`: writes `weights` (when this epoch's are kept), appends
    /// `metrics` to the log, counts the epoch and writes the checkpoint, in this order.
    pub fn end_epoch<M, O, H>(
        &self,
        state: &mut TrainState<M, O, H>,
        weights: Option<&[u8]>,
        metrics: H,
    ) -> Result<()>
    where
        M: AutodiffModule<TrainBackend>,
        O: Optimizer<M, TrainBackend>,
        H: Serialize,
    {
        if let Some(bytes) = weights {
            write_atomic(&self.weights, bytes)?;
        }
        append_line(&self.dir.join(METRICS), &serde_json::to_string(&metrics)?)?;
        state.epochs_done += 1;
        checkpoint::save(
            &self.dir.join(CHECKPOINT),
            state.epochs_done,
            state.step,
            self.hash,
            &state.model,
            &state.optim,
        )?;
        state.history.push(metrics);
        Ok(())
    }
}

/// Takes the advisory lock of the run folder `dir` and writes this process's pid into it,
/// or refuses at once, naming the folder and the holder's pid.
pub fn lock(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open `{}`", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let holder = match pid.trim() {
                "" => "another process".to_string(),
                pid => format!("another process (pid {pid})"),
            };
            bail!(
                "`{}` is in use: {holder} is writing a run there; wait for it to end, or \
                 choose another --out",
                dir.display()
            );
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock `{}`", path.display()))
        }
    }
    // the pid is for the message above only: a stale one (its process gone) holds nothing
    file.set_len(0)
        .and_then(|()| file.write_all(format!("{}\n", std::process::id()).as_bytes()))
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(file)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_held_folder_refuses_a_second_writer_until_it_is_released() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        let first = RunFolder::create(&dir, AUTOENCODER_WEIGHTS, &"the run").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join(LOCK)).unwrap().trim(),
            std::process::id().to_string()
        );
        // a second writer, even in this process (another open file), is refused
        let err = RunFolder::resume(&dir, AUTOENCODER_WEIGHTS, &"the run").unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains(&format!("`{}` is in use", dir.display())),
            "{err}"
        );
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        // a new run is refused too, before it writes anything
        let err = RunFolder::create(&dir, AUTOENCODER_WEIGHTS, &"another").unwrap_err();
        assert!(format!("{err:#}").contains("is in use"), "{err:#}");
        assert_eq!(
            std::fs::read_to_string(dir.join(RUN_JSON)).unwrap(),
            "\"the run\""
        );
        // readers take no lock
        assert_eq!(read_run::<String>(&dir, "a run").unwrap(), "the run");
        drop(first);
        let again = RunFolder::resume(&dir, AUTOENCODER_WEIGHTS, &"the run").unwrap();
        assert_eq!(again.weights(), dir.join(AUTOENCODER_WEIGHTS));
        // released: a new run in a folder that holds one is refused for that reason
        drop(again);
        let err = RunFolder::create(&dir, AUTOENCODER_WEIGHTS, &"another").unwrap_err();
        assert!(
            format!("{err:#}").contains("already holds a run"),
            "{err:#}"
        );
    }
}
