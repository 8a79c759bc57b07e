//! Checkpoints and metrics logs shared by `pretrain` and `finetune`, so that any run can be
//! killed at any moment and continued with `--resume` to the same end.
//!
//! A checkpoint holds the model and optimizer records after the last finished epoch, the
//! epoch and step counters, and a hash of the run's `run.json` content, inside the
//! checksummed envelope weight files use (`model::weights::seal`).
//!
//! Invariants:
//! - **An epoch ends by writing, in order: its weights, its `metrics.jsonl` line, its
//!   checkpoint** (each atomically or appended whole). A crash between two of them leaves at
//!   most extra metrics lines past the checkpoint, which a resume drops; a torn last line is
//!   always past the checkpoint.
//! - **A checkpoint resumes only the run it was written for**: its run hash must match
//!   `run.json`, and it may not claim more epochs than the run has.

use std::path::Path;

use anyhow::{bail, Context, Result};
use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use model::weights::{fnv1a, seal, unseal};
use serde::{de::DeserializeOwned, Serialize};

use crate::backend::{Device, TrainBackend};
use crate::fsutil::{read, write_atomic};

/// Checkpoints written before run hashes existed (still read; their run is not checked).
const MAGIC_V1: &[u8; 8] = b"FIPCKPT1";
/// Checkpoints with the run hash.
const MAGIC_V2: &[u8; 8] = b"FIPCKPT2";

/// A decoded checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Epochs finished.
    pub epochs_done: usize,
    /// Optimizer steps taken.
    pub step: usize,
    /// [`run_hash`] of the run it belongs to (`None` in version-1 checkpoints).
    pub run_hash: Option<u64>,
    /// The model's record (Burn's named MessagePack).
    pub model: Vec<u8>,
    /// The optimizer's record.
    pub optim: Vec<u8>,
}

/// The hash that ties a checkpoint to its run: FNV-1a of the run description's JSON.
pub fn run_hash<T: Serialize>(run: &T) -> Result<u64> {
    Ok(fnv1a(&serde_json::to_vec(run)?))
}

/// Frames a checkpoint (version 2).
pub fn encode(c: &Checkpoint) -> Vec<u8> {
    let mut body = Vec::with_capacity(40 + c.model.len() + c.optim.len());
    body.extend_from_slice(&(c.epochs_done as u64).to_le_bytes());
    body.extend_from_slice(&(c.step as u64).to_le_bytes());
    body.extend_from_slice(&c.run_hash.unwrap_or(0).to_le_bytes());
    for part in [&c.model, &c.optim] {
        body.extend_from_slice(&(part.len() as u64).to_le_bytes());
        body.extend_from_slice(part);
    }
    seal(MAGIC_V2, &body)
}

/// Reads back [`encode`]'s framing (or version 1's); any damage is an error naming `path`.
pub fn decode(bytes: &[u8], path: &Path) -> Result<Checkpoint> {
    let bad = |why: &str| anyhow::anyhow!("checkpoint `{}` is corrupt: {why}", path.display());
    let (body, v2) = match unseal(MAGIC_V2, bytes) {
        Ok(body) => (body, true),
        Err(_) => (
            unseal(MAGIC_V1, bytes)
                .map_err(|e| bad(&format!("not a sound fipmae checkpoint ({e})")))?,
            false,
        ),
    };
    let mut pos = 0;
    let u64_at = |pos: &mut usize| -> Result<u64> {
        let b = body.get(*pos..*pos + 8).ok_or_else(|| bad("truncated"))?;
        *pos += 8;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    };
    let count = |v: u64, what: &str| usize::try_from(v).map_err(|_| bad(what));
    let epochs_done = count(u64_at(&mut pos)?, "epoch count out of range")?;
    let step = count(u64_at(&mut pos)?, "step count out of range")?;
    let run_hash = if v2 { Some(u64_at(&mut pos)?) } else { None };
    let mut parts = Vec::with_capacity(2);
    for _ in 0..2 {
        let n = count(u64_at(&mut pos)?, "length out of range")?;
        let part = body
            .get(pos..pos.saturating_add(n))
            .ok_or_else(|| bad("truncated"))?;
        parts.push(part.to_vec());
        pos += n;
    }
    let optim = parts.pop().unwrap_or_default();
    let model = parts.pop().unwrap_or_default();
    Ok(Checkpoint {
        epochs_done,
        step,
        run_hash,
        model,
        optim,
    })
}

/// Writes the checkpoint of `model` and `optim` after `epochs_done` epochs and `step` steps
/// of the run whose hash is `hash`, atomically.
pub fn save<M, O>(
    path: &Path,
    epochs_done: usize,
    step: usize,
    hash: u64,
    model: &M,
    optim: &O,
) -> Result<()>
where
    M: AutodiffModule<TrainBackend>,
    O: Optimizer<M, TrainBackend>,
{
    let recorder = NamedMpkBytesRecorder::<FullPrecisionSettings>::default();
    let model = Recorder::<TrainBackend>::record(&recorder, model.clone().into_record(), ())
        .context("serialising the model state")?;
    let optim = Recorder::<TrainBackend>::record(&recorder, optim.to_record(), ())
        .context("serialising the optimizer state")?;
    let c = Checkpoint {
        epochs_done,
        step,
        run_hash: Some(hash),
        model,
        optim,
    };
    write_atomic(path, &encode(&c))?;
    Ok(())
}

/// Reads the checkpoint at `path`, checks it against the run (`hash`, at most `epochs`
/// epochs) and loads it into `model` and `optim`. Returns them with `(epochs_done, step)`.
pub fn load<M, O>(
    path: &Path,
    hash: u64,
    epochs: usize,
    model: M,
    optim: O,
    device: &Device,
) -> Result<(M, O, usize, usize)>
where
    M: AutodiffModule<TrainBackend>,
    O: Optimizer<M, TrainBackend>,
{
    let c = decode(&read(path)?, path)?;
    if let Some(h) = c.run_hash {
        if h != hash {
            bail!(
                "checkpoint `{}` belongs to another run (its run.json differs from this folder's); \
                 refusing to resume from it",
                path.display()
            );
        }
    }
    if c.epochs_done > epochs {
        bail!(
            "checkpoint `{}` claims {} finished epochs but the run has {epochs}",
            path.display(),
            c.epochs_done
        );
    }
    let recorder = NamedMpkBytesRecorder::<FullPrecisionSettings>::default();
    let record = Recorder::<TrainBackend>::load(&recorder, c.model, device)
        .with_context(|| format!("checkpoint `{}`: model state", path.display()))?;
    let model = model.load_record(record);
    let record = Recorder::<TrainBackend>::load(&recorder, c.optim, device)
        .with_context(|| format!("checkpoint `{}`: optimizer state", path.display()))?;
    let optim = optim.load_record(record);
    Ok((model, optim, c.epochs_done, c.step))
}

/// The first `done` lines of a metrics log, parsed, and the log cut back to them (lines
/// past the checkpoint, a torn last line among them, are dropped). A missing log is
/// empty. A malformed line among the first `done` is an error naming the file.
pub fn keep_history<T: DeserializeOwned>(metrics: &Path, done: usize) -> Result<Vec<T>> {
    if !metrics.exists() {
        return Ok(Vec::new());
    }
    let text = String::from_utf8_lossy(&read(metrics)?).to_string();
    let mut history = Vec::with_capacity(done);
    let mut kept = String::new();
    for (i, line) in text.lines().take(done).enumerate() {
        history.push(serde_json::from_str(line).with_context(|| {
            format!(
                "`{}` line {} is malformed; the checkpoint covers {done} epochs",
                metrics.display(),
                i + 1
            )
        })?);
        kept.push_str(line);
        kept.push('\n');
    }
    if kept.len() != text.len() {
        write_atomic(metrics, kept.as_bytes())?;
    }
    Ok(history)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            epochs_done: 3,
            step: 42,
            run_hash: Some(7),
            model: vec![1, 2, 3],
            optim: vec![4, 5],
        }
    }

    #[test]
    fn checkpoints_round_trip_and_damage_is_named() {
        let p = Path::new("ckpt.bin");
        let bytes = encode(&sample());
        assert_eq!(decode(&bytes, p).unwrap(), sample());
        let mut broken = bytes.clone();
        let last = broken.len() - 1;
        broken[last] ^= 1;
        let err = decode(&broken, p).unwrap_err().to_string();
        assert!(err.contains("ckpt.bin") && err.contains("corrupt"), "{err}");
        assert!(decode(&bytes[..bytes.len() / 2], p).is_err());
    }

    #[test]
    fn version_one_checkpoints_still_read() {
        let mut body = Vec::new();
        for v in [2u64, 9] {
            body.extend_from_slice(&v.to_le_bytes());
        }
        for part in [&[7u8][..], &[8, 9][..]] {
            body.extend_from_slice(&(part.len() as u64).to_le_bytes());
            body.extend_from_slice(part);
        }
        let c = decode(&seal(MAGIC_V1, &body), Path::new("old.bin")).unwrap();
        assert_eq!((c.epochs_done, c.step, c.run_hash), (2, 9, None));
        assert_eq!((c.model, c.optim), (vec![7], vec![8, 9]));
    }

    #[test]
    fn history_drops_lines_past_the_checkpoint_and_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("metrics.jsonl");
        std::fs::write(&log, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":").unwrap();
        let h: Vec<serde_json::Value> = keep_history(&log, 2).unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "{\"a\":1}\n{\"a\":2}\n"
        );
        std::fs::write(&log, "{\"a\":1}\nnot json\n").unwrap();
        let err = keep_history::<serde_json::Value>(&log, 2).unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
        let none: Vec<serde_json::Value> = keep_history(&dir.path().join("no.jsonl"), 5).unwrap();
        assert!(none.is_empty());
    }
}
