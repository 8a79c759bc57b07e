//! `pretrain`: files, resume equality, corrupt checkpoints.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use trainer::pretrain::{run, EpochMetrics, PretrainArgs};

/// A tiny pretraining into `out`: 48 examples per epoch, three epochs, seed 3, two threads.
fn args(out: PathBuf) -> PretrainArgs {
    let set = [
        ("--examples", "48"),
        ("--epochs", "3"),
        ("--seed", "3"),
        ("--threads", "2"),
    ];
    common::parse(&common::tiny_pretrain(&set), &out)
}

/// Burn's parameter initialisation draws from one process-wide generator that `run` seeds;
/// runs in parallel test threads would interleave their draws.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn resumed_run_matches_an_uninterrupted_one() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let whole = tmpdir.path("whole");
    let s = run(&args(whole.clone()))?;
    assert_eq!(s.epochs.len(), 3);
    assert!(
        s.epochs[2].train_loss < s.epochs[0].train_loss,
        "{:?}",
        s.epochs
    );
    for f in [
        "run.json",
        "metrics.jsonl",
        "model.fipmae",
        "checkpoint.bin",
    ] {
        assert!(whole.join(f).exists(), "{f} missing");
    }
    // the weights load back as a model
    let bytes = std::fs::read(whole.join("model.fipmae"))?;
    model::weights::autoencoder_from_bytes::<burn::backend::Flex>(
        &bytes,
        None,
        &Default::default(),
    )?;

    let parts = tmpdir.path("parts");
    let mut a = args(parts.clone());
    a.run.stop_after = Some(1);
    assert_eq!(run(&a)?.epochs.len(), 1);
    // a second start without --resume is refused, not overwritten
    let err = run(&args(parts.clone())).unwrap_err();
    assert!(format!("{err:#}").contains("--resume"), "{err:#}");
    let mut a = args(parts.clone());
    a.run.resume = true;
    a.epochs = 99; // ignored: run.json decides
    let resumed = run(&a)?;
    assert_eq!(resumed.epochs.len(), 3);
    // everything but the measured speed must be identical
    let metrics = |dir: &PathBuf| -> anyhow::Result<Vec<EpochMetrics>> {
        let text = std::fs::read_to_string(dir.join("metrics.jsonl"))?;
        text.lines()
            .map(|l| {
                let mut m: EpochMetrics = serde_json::from_str(l)?;
                m.examples_per_s = 0.0;
                Ok(m)
            })
            .collect()
    };
    assert_eq!(
        metrics(&whole)?,
        metrics(&parts)?,
        "resumed and uninterrupted runs differ"
    );
    assert_eq!(
        std::fs::read(whole.join("model.fipmae"))?,
        std::fs::read(parts.join("model.fipmae"))?
    );
    Ok(())
}

#[test]
fn a_corrupt_checkpoint_is_named_and_nothing_is_overwritten() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tmpdir.path("corrupt");
    let mut a = args(dir.clone());
    a.run.stop_after = Some(1);
    run(&a)?;
    let ckpt = dir.join("checkpoint.bin");
    let mut bytes = std::fs::read(&ckpt)?;
    let n = bytes.len();
    bytes[n / 2] ^= 0x10;
    std::fs::write(&ckpt, &bytes)?;
    let weights_before = std::fs::read(dir.join("model.fipmae"))?;
    let mut a = args(dir.clone());
    a.run.resume = true;
    let err = format!("{:#}", run(&a).unwrap_err());
    assert!(
        err.contains("checkpoint.bin") && err.contains("corrupt"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&ckpt)?,
        bytes,
        "the corrupt checkpoint was replaced"
    );
    assert_eq!(std::fs::read(dir.join("model.fipmae"))?, weights_before);
    std::fs::write(&ckpt, &bytes[..100])?;
    assert!(format!("{:#}", run(&a).unwrap_err()).contains("corrupt"));
    // a missing run folder is named too
    let mut a = args(tmpdir.path("nowhere"));
    a.run.resume = true;
    assert!(format!("{:#}", run(&a).unwrap_err()).contains("run.json"));
    Ok(())
}

#[test]
fn a_checkpoint_of_another_run_or_an_unsound_run_json_is_refused() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let edits: [(&str, &str, &[&str]); 2] = [
        (
            "\"batch_size\": 16",
            "\"batch_size\": 0",
            &["run.json", "batch size"],
        ),
        ("\"lr\": 0.001", "\"lr\": -1.0", &["learning rate"]),
    ];
    let (mine, other) = (tmpdir.path("mine"), tmpdir.path("other"));
    common::resume_refusals(&mine, &other, (3, 4), |d| args(d.to_path_buf()), &edits)
}

#[test]
fn data_parallel_steps_equal_single_device_steps() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Two replicas on the one CPU device: the same arithmetic as two GPUs (share-weighted
    // losses, gradients summed by the optimizer), checked against the plain step.
    let device = trainer::backend::device()?;
    let one = tmpdir.path("dp1");
    let mut a = args(one.clone());
    a.epochs = 2;
    let single = trainer::pretrain::run_on(&a, std::slice::from_ref(&device))?;
    let two = tmpdir.path("dp2");
    let mut b = args(two.clone());
    b.epochs = 2;
    // (devices are `Copy` on the CPU backend only)
    #[allow(clippy::clone_on_copy)]
    let double = trainer::pretrain::run_on(&b, &[device.clone(), device])?;
    for (x, y) in single.epochs.iter().zip(&double.epochs) {
        let rel = |p: f64, q: f64| (p - q).abs() / p.abs().max(1e-9);
        assert!(rel(x.train_loss, y.train_loss) < 1e-4, "{x:?} vs {y:?}");
        assert!(rel(x.val_loss, y.val_loss) < 1e-4, "{x:?} vs {y:?}");
    }
    // and the command line refuses more devices than the backend has
    let mut c = args(tmpdir.path("dp3"));
    c.devices = 2;
    let err = run(&c).unwrap_err().to_string();
    assert!(err.contains("--devices 2"), "{err}");
    Ok(())
}

#[test]
fn reading_losses_every_step_or_in_groups_gives_the_same_run() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut every = args(tmpdir.path("every"));
    every.run.sync_every = 1;
    // 3 steps an epoch: groups of 2 leave a partial group to the end-of-epoch read
    let mut grouped = args(tmpdir.path("grouped"));
    grouped.run.sync_every = 2;
    let (a, b) = (run(&every)?, run(&grouped)?);
    assert_eq!(a.epochs.len(), 3);
    for (x, y) in a.epochs.iter().zip(&b.epochs) {
        assert!(x.train_loss.is_finite());
        assert_eq!((x.train_loss, x.val_loss), (y.train_loss, y.val_loss));
    }
    assert_eq!(
        std::fs::read(tmpdir.path("every").join("model.fipmae"))?,
        std::fs::read(tmpdir.path("grouped").join("model.fipmae"))?
    );
    Ok(())
}

#[test]
fn loss_on_all_patches_is_a_flag_that_reaches_the_model_and_trains() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let out = tmpdir.path("all");
    let mut a: PretrainArgs =
        trainer::args_from(&["--loss-on-all-patches", "--out", &out.to_string_lossy()])?;
    assert!(a.run_config()?.model.loss_on_all_patches);
    assert!(!args(out.clone()).run_config()?.model.loss_on_all_patches);
    let b = args(out.clone());
    a = PretrainArgs {
        knobs: a.knobs,
        ..b
    };
    let s = run(&a)?;
    assert!(s.epochs.iter().all(|e| e.train_loss.is_finite()));
    let (written, _) =
        trainer::pretrain::load_run::<burn::backend::Flex>(&out, &Default::default())?;
    assert!(written.model.loss_on_all_patches);
    // the same run without the flag, same data, masks and initialisation: the loss it
    // trains on is another (the visible patches count with the flag)
    let plain = run(&args(tmpdir.path("plain")))?;
    assert_ne!(
        s.epochs[0].train_loss, plain.epochs[0].train_loss,
        "the flag does not reach the loss"
    );
    Ok(())
}
