//! `finetune`: resume equality and refusals.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use trainer::finetune::{run, EpochMetrics, FinetuneArgs};

/// A tiny ViT fine-tuned from scratch into `out`: three epochs, seed 5, two threads.
fn args(out: PathBuf) -> FinetuneArgs {
    let set = [("--epochs", "3"), ("--seed", "5"), ("--threads", "2")];
    common::parse(&common::tiny_vit(&set), &out)
}

/// Burn's parameter initialisation draws from one process-wide generator that `run` seeds.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_killed_finetune_resumes_to_the_same_end() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let whole = tmpdir.path("whole");
    let s = run(&args(whole.clone()))?;
    assert_eq!(s.epochs.len(), 3);
    assert!(whole.join("checkpoint.bin").exists());

    let parts = tmpdir.path("parts");
    let mut a = args(parts.clone());
    a.run.stop_after = Some(1);
    assert_eq!(run(&a)?.epochs.len(), 1);
    let err = format!("{:#}", run(&args(parts.clone())).unwrap_err());
    assert!(err.contains("--resume"), "{err}");
    // a torn metrics line past the checkpoint (killed while appending) is dropped
    let log = parts.join("metrics.jsonl");
    let mut text = std::fs::read_to_string(&log)?;
    text.push_str("{\"epoch\": 2, \"train_lo");
    std::fs::write(&log, text)?;
    let mut a = args(parts.clone());
    a.run.resume = true;
    a.epochs = 99; // ignored: run.json decides
    let resumed = run(&a)?;
    assert_eq!(resumed.epochs.len(), 3);
    assert_eq!(resumed.best_val_accuracy, s.best_val_accuracy);
    // everything but the measured speed is identical (checkpoints differ in Burn's
    // random parameter ids, not in values)
    assert_eq!(
        std::fs::read(whole.join("classifier.fipmae"))?,
        std::fs::read(parts.join("classifier.fipmae"))?,
        "resumed and uninterrupted weights differ"
    );
    let metrics = |dir: &PathBuf| -> anyhow::Result<Vec<EpochMetrics>> {
        let text = std::fs::read_to_string(dir.join("metrics.jsonl"))?;
        text.lines()
            .map(|l| {
                let mut m: EpochMetrics = serde_json::from_str(l)?;
                assert!(m.examples_per_s > 0.0);
                m.examples_per_s = 0.0;
                Ok(m)
            })
            .collect()
    };
    assert_eq!(metrics(&whole)?, metrics(&parts)?);
    Ok(())
}

#[test]
fn resume_refuses_an_unsound_run_json_or_a_foreign_checkpoint() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let edits: [(&str, &str, &[&str]); 2] = [
        (
            "\"train\": 40",
            "\"train\": 0",
            &["run.json", "training examples"],
        ),
        ("\"num_classes\": 10", "\"num_classes\": 3", &["3 outputs"]),
    ];
    let (mine, other) = (tmpdir.path("mine"), tmpdir.path("other"));
    common::resume_refusals(&mine, &other, (5, 6), |d| args(d.to_path_buf()), &edits)
}

#[test]
fn generator_settings_come_from_the_flags_or_the_pretraining_run() -> anyhow::Result<()> {
    let tmp = common::Scratch::new();
    // from scratch: the standard generator, its frequency offset widened by the flag
    let mut a = args(tmp.path("vit"));
    a.max_freq_offset = Some(5e-4);
    let (run, _) = a.run_config()?;
    assert_eq!(run.dataset.signal.channel.max_freq_offset, 5e-4);
    assert_eq!(run.dataset.signal.profile, model::Profile::Standard);
    // an absurd offset is refused before anything is written
    a.max_freq_offset = Some(0.7);
    let e = a.run_config().unwrap_err();
    assert!(format!("{e:#}").contains("max_freq_offset"), "{e:#}");
    assert!(!tmp.path("vit").exists());
    let parsed = trainer::args_from::<FinetuneArgs>(&[
        "--method",
        "vit",
        "--max-freq-offset",
        "NaN",
        "--out",
        "x",
    ]);
    assert!(parsed.is_err());

    // fine-tuning a pretraining run inherits its generator (profile and channel)
    let pre = tmp.path("pre");
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let set = [
        ("--examples", "8"),
        ("--val-examples", "2"),
        ("--batch-size", "4"),
        ("--seed", "0"),
        ("--profile", "denomae"),
        ("--max-freq-offset", "1e-3"),
    ];
    let mut p: trainer::pretrain::PretrainArgs = common::parse(&common::tiny_pretrain(&set), &pre);
    trainer::pretrain::run(&p)?;
    let mut f = args(tmp.path("ft"));
    f.method = None;
    f.pretrained = Some(pre.clone());
    let (run, _) = f.run_config()?;
    assert_eq!(run.dataset.signal.profile, model::Profile::Denomae);
    assert_eq!(run.dataset.signal.channel.max_freq_offset, 1e-3);
    // ... unless another profile is asked for
    f.profile = Some(model::Profile::Standard);
    let (run, _) = f.run_config()?;
    assert_eq!(run.dataset.signal, model::SignalConfig::standard());
    p.run.resume = true;
    assert!(
        trainer::pretrain::run(&p).is_ok(),
        "a finished run resumes to its end"
    );
    Ok(())
}

#[test]
fn reading_values_every_step_or_in_groups_gives_the_same_run() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut every = args(tmpdir.path("every"));
    every.run.sync_every = 1;
    // 5 steps an epoch: groups of 3 leave a partial group to the end-of-epoch read
    let mut grouped = args(tmpdir.path("grouped"));
    grouped.run.sync_every = 3;
    let (a, b) = (run(&every)?, run(&grouped)?);
    for (x, y) in a.epochs.iter().zip(&b.epochs) {
        assert_eq!(
            (x.train_loss, x.train_accuracy, x.val_accuracy),
            (y.train_loss, y.train_accuracy, y.val_accuracy)
        );
    }
    assert!(a
        .epochs
        .iter()
        .all(|e| e.train_loss.is_finite() && e.train_accuracy > 0.0));
    assert_eq!(
        std::fs::read(tmpdir.path("every").join("classifier.fipmae"))?,
        std::fs::read(tmpdir.path("grouped").join("classifier.fipmae"))?
    );
    Ok(())
}

#[test]
fn a_diverging_run_stops_with_the_step_and_writes_no_weights() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut a = args(tmpdir.path("nan"));
    a.lr = 1e30;
    let err = format!("{:#}", run(&a).unwrap_err());
    assert!(
        err.contains("the loss became NaN at epoch 1, step "),
        "{err}"
    );
    assert!(err.contains("no weights were written"), "{err}");
    assert!(!tmpdir.path("nan").join("classifier.fipmae").exists());
    Ok(())
}

#[test]
fn fresh_labels_give_every_epoch_new_examples_apart_from_validation() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut a = args(tmpdir.path("fresh"));
    let (repeated, _) = a.run_config()?;
    a.fresh_labels = true;
    let (fresh, _) = a.run_config()?;
    let validation = fresh.train..fresh.train + fresh.val;
    let mut seen = std::collections::HashSet::new();
    for epoch in 0..fresh.epochs {
        let ids = fresh.epoch_ids(epoch)?;
        assert_eq!(ids.len() as u64, fresh.train);
        assert!(ids.iter().all(|i| !validation.contains(i)), "epoch {epoch}");
        assert!(
            ids.iter().all(|&i| seen.insert(i)),
            "epoch {epoch} repeats an id"
        );
        // without the flag every epoch reorders the same examples
        let mut same = repeated.epoch_ids(epoch)?;
        same.sort_unstable();
        assert_eq!(same, (0..repeated.train).collect::<Vec<_>>());
    }
    // the first epoch is the repeated run's, so a fresh run starts where the other does
    assert_eq!(fresh.epoch_ids(0)?, repeated.epoch_ids(0)?);

    // the run trains and writes the flag into run.json (old runs, without it, still load)
    let s = run(&a)?;
    assert_eq!(s.epochs.len(), 3);
    let written = std::fs::read_to_string(a.run.out.join("run.json"))?;
    assert!(written.contains("\"fresh_labels\": true"));
    let (plain, _) = args(tmpdir.path("plain")).run_config()?;
    assert!(!serde_json::to_string(&plain)?.contains("fresh_labels"));

    // recordings cannot be drawn afresh
    let mut bad = fresh.clone();
    bad.recordings = Some(trainer::data::recordings::RecordingsSpec {
        paths: vec![],
        classes: bad.class_names(),
        snr_field: "x".into(),
        windows: 0,
        train_per_class: 4,
        val_per_class: 2,
    });
    let e = bad.validate().unwrap_err();
    assert!(format!("{e:#}").contains("generator"), "{e:#}");
    Ok(())
}

#[test]
fn init_from_starts_from_the_kept_classifier_and_refuses_a_changed_one() -> anyhow::Result<()> {
    use burn::backend::Flex;
    let tmpdir = common::Scratch::new();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let source = tmpdir.path("source");
    run(&args(source.clone()))?;

    // one epoch at a vanishing learning rate: the weights it keeps are the source's
    let next = tmpdir.path("next");
    let src = source.to_string_lossy();
    let mut flags =
        common::tiny_labels(&[("--init-from", &src), ("--lr", "1e-12"), ("--seed", "5")]);
    flags.push("--fresh-labels".into());
    let a: FinetuneArgs = common::parse(&flags, &next);
    run(&a)?;
    let device = Default::default();
    let (_, before) = trainer::finetune::load_run::<Flex>(&source, &device)?;
    let (ran, after) = trainer::finetune::load_run::<Flex>(&next, &device)?;
    assert_eq!(ran.init_from.as_deref(), Some(source.as_path()));
    // the encoder's pretraining run is the source's (none: it was trained from scratch)
    assert_eq!(ran.pretrained, None);
    let (mut pretrained_source, _) = args(source.clone()).run_config()?;
    pretrained_source.pretrained = Some("/runs/pre".into());
    let src2 = tmpdir.path("src2");
    std::fs::create_dir_all(&src2)?;
    std::fs::write(
        src2.join("run.json"),
        serde_json::to_vec(&pretrained_source)?,
    )?;
    let mut b = a.clone();
    b.init_from = Some(src2);
    let (through, bytes) = b.run_config()?;
    assert_eq!(
        through.pretrained.as_deref(),
        Some(std::path::Path::new("/runs/pre"))
    );
    assert!(
        bytes.is_none(),
        "the weights come from the classifier, not the autoencoder"
    );
    let size = ran.classifier.mae.image_size;
    let x = burn::tensor::Tensor::<Flex, 4>::ones([2, 3, size, size], &device);
    let (l0, l1) = (before.forward(x.clone())?, after.forward(x)?);
    let gap: f32 = (l0 - l1).abs().max().into_scalar();
    assert!(gap < 1e-4, "logits moved by {gap}");

    // a source whose classifier changed: resuming names it, a new run names the weights
    let mut other = args(tmpdir.path("other"));
    other.preset = model::config::Preset::Small;
    let (changed, _) = other.run_config()?;
    std::fs::write(source.join("run.json"), serde_json::to_vec(&changed)?)?;
    let mut resumed = a.clone();
    resumed.run.resume = true;
    let e = run(&resumed).unwrap_err();
    assert!(format!("{e:#}").contains("no longer holds"), "{e:#}");
    let mut again = a.clone();
    again.run.out = tmpdir.path("again");
    let e = run(&again).unwrap_err();
    assert!(format!("{e:#}").contains("classifier.fipmae"), "{e:#}");
    assert!(!again.run.out.exists(), "a refused run wrote its folder");
    // and --init-from with --pretrained is refused by the flags
    assert!(trainer::args_from::<FinetuneArgs>(&[
        "--init-from",
        "a",
        "--pretrained",
        "b",
        "--out",
        "c"
    ])
    .is_err());
    Ok(())
}
