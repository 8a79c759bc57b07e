//! Recordings as data: a folder of labelled SigMF recordings that the generator did not
//! write (BPSK/QPSK/8PSK/16QAM from a modulator in this file) fine-tuned on, evaluated per
//! SNR, classified and exported with its own class names; and the refusals.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use model::rng::{Rng, Stream};
use model::C32;
use trainer::data::recordings::RecordingSet;

/// Samples per burst (the presets' burst length) and per symbol.
const N: usize = 1024;
const SPS: usize = 8;

/// One burst of `class` (rectangular pulses, random carrier phase) at `snr_db`, unit power.
fn burst(class: &str, snr_db: f64, rng: &mut Rng) -> Vec<C32> {
    let phase = rng.uniform() * std::f64::consts::TAU;
    let symbols: Vec<(f64, f64)> = (0..N / SPS)
        .map(|_| {
            let u = rng.uniform();
            match class {
                "BPSK" => (if u < 0.5 { 1.0 } else { -1.0 }, 0.0),
                "QPSK" | "8PSK" => {
                    let m = if class == "QPSK" { 4.0 } else { 8.0 };
                    let a =
                        (u * m).floor() * std::f64::consts::TAU / m + std::f64::consts::FRAC_PI_4;
                    (a.cos(), a.sin())
                }
                _ => {
                    let level = |v: f64| ((v * 4.0).floor() * 2.0 - 3.0) / 10f64.sqrt();
                    (level(u), level(rng.uniform()))
                }
            }
        })
        .collect();
    let sigma = (10f64.powf(-snr_db / 10.0) / 2.0).sqrt();
    (0..N)
        .map(|t| {
            let (i, q) = symbols[t / SPS];
            let (c, s) = (phase.cos(), phase.sin());
            C32::new(
                (i * c - q * s + sigma * rng.normal()) as f32,
                (i * s + q * c + sigma * rng.normal()) as f32,
            )
        })
        .collect()
}

/// Writes, per class, `files` SigMF recordings of `bursts` bursts each, at SNRs 0 and
/// 10 dB alternately, the SNR in annotation field `snr_field`.
fn write_set(
    dir: &Path,
    classes: &[&str],
    files: usize,
    bursts: usize,
    seed: u64,
    snr_field: &str,
) {
    std::fs::create_dir_all(dir).unwrap();
    for (c, class) in classes.iter().enumerate() {
        for f in 0..files {
            let mut rng = Rng::for_example(seed, (c * 100 + f) as u64, Stream::Symbols);
            let mut samples = Vec::new();
            let mut annotations = Vec::new();
            for b in 0..bursts {
                let snr = if b % 2 == 0 { 0.0 } else { 10.0 };
                annotations.push(serde_json::json!({
                    "core:sample_start": samples.len(),
                    "core:sample_count": N,
                    "core:label": class,
                    snr_field: snr,
                }));
                samples.extend(burst(class, snr, &mut rng));
            }
            let meta = serde_json::json!({
                "global": {"core:datatype": "cf32_le", "core:version": "1.0.0", "core:sample_rate": 1e6},
                "captures": [{"core:sample_start": 0}],
                "annotations": annotations,
            });
            let stem = dir.join(format!("{class}_{f}"));
            std::fs::write(
                stem.with_extension("sigmf-meta"),
                serde_json::to_vec(&meta).unwrap(),
            )
            .unwrap();
            std::fs::write(
                stem.with_extension("sigmf-data"),
                model::sigmf::encode_cf32_le(&samples),
            )
            .unwrap();
        }
    }
}

const CLASSES: [&str; 4] = ["BPSK", "QPSK", "8PSK", "16QAM"];

/// Burn's parameter initialisation draws from one process-wide generator that a run seeds:
/// runs in parallel test threads would interleave their draws.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn foreign_recordings_train_evaluate_classify_and_export_with_their_class_names(
) -> anyhow::Result<()> {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = common::Scratch::new();
    let (train_dir, test_dir) = (tmp.path("train"), tmp.path("test"));
    write_set(&train_dir, &CLASSES, 2, 8, 1, "fipmae:snr_db");
    write_set(&test_dir, &CLASSES, 1, 6, 2, "snr");
    let ft = tmp.path("ft");
    let train = train_dir.to_string_lossy();
    let set = [
        ("--recordings", train.as_ref()),
        ("--labels-per-class", "10"),
        ("--val-per-class", "4"),
        ("--epochs", "3"),
        ("--lr", "2e-3"),
        ("--seed", "4"),
        ("--threads", "2"),
    ];
    let args: trainer::finetune::FinetuneArgs = common::parse(&common::tiny_vit(&set), &ft);
    let summary = trainer::finetune::run(&args)?;
    assert_eq!(summary.epochs.len(), 3);
    let run: trainer::finetune::FinetuneRun =
        serde_json::from_slice(&std::fs::read(ft.join("run.json"))?)?;
    let names = ["16QAM", "8PSK", "BPSK", "QPSK"].map(String::from).to_vec();
    assert_eq!(run.class_names(), names, "the sorted labels found");
    assert_eq!((run.train, run.val), (40, 16));
    assert_eq!(run.classifier.num_classes, 4);

    // eval on other recordings, whose SNR is in a field the user names
    let ev = tmp.path("eval");
    let eargs: trainer::eval::EvalArgs = trainer::args_from(&[
        "--model",
        &ft.to_string_lossy(),
        "--out",
        &ev.to_string_lossy(),
        "--recordings",
        &test_dir.to_string_lossy(),
        "--snr-field",
        "snr",
    ])?;
    let report = trainer::eval::run(&eargs)?;
    assert_eq!(report.classes, names);
    let snrs: Vec<(f64, u64)> = report
        .per_snr
        .iter()
        .map(|a| (a.snr_db, a.examples))
        .collect();
    assert_eq!(snrs, vec![(0.0, 12), (10.0, 12)]);
    assert_eq!(report.confusion.iter().flatten().sum::<u64>(), 24);
    assert!((0.0..=1.0).contains(&report.overall));
    let md = std::fs::read_to_string(ev.join("report.md"))?;
    assert!(
        md.contains("| 16QAM |") && md.contains("Recordings"),
        "{md}"
    );
    // without the field named, the bursts have no SNR: overall and per class only
    let mut no_snr = eargs.clone();
    no_snr.snr_field = Some("fipmae:snr_db".into());
    no_snr.out = tmp.path("eval2");
    let r2 = trainer::eval::run(&no_snr)?;
    assert!(r2.per_snr.is_empty());
    assert_eq!(r2.overall, report.overall);

    // the generator's test set has none of these classes: refused, not misread
    let mut synthetic = eargs.clone();
    synthetic.recordings.clear();
    synthetic.out = tmp.path("eval3");
    let e = format!("{:#}", trainer::eval::run(&synthetic).unwrap_err());
    assert!(e.contains("evaluate it with --recordings"), "{e}");
    // classify and export speak the recordings' class names
    let cargs: trainer::classify::ClassifyArgs = trainer::args_from(&[
        "--model",
        &ft.to_string_lossy(),
        &test_dir.join("QPSK_0.sigmf-meta").to_string_lossy(),
    ])?;
    let verdicts = trainer::classify::run(&cargs)?;
    assert_eq!(verdicts.len(), 6);
    assert!(verdicts.iter().all(|v| names.contains(&v.predicted)
        && v.probabilities.keys().cloned().collect::<Vec<_>>() == names));
    let bundle_dir = tmp.path("bundle");
    let xargs: trainer::export::ExportArgs = trainer::args_from(&[
        "--model",
        &ft.to_string_lossy(),
        "--out",
        &bundle_dir.to_string_lossy(),
    ])?;
    let bundle = trainer::export::run(&xargs)?;
    assert_eq!(bundle.classes, names);
    let cargs: trainer::classify::ClassifyArgs = trainer::args_from(&[
        "--model",
        &bundle_dir.to_string_lossy(),
        &test_dir.join("BPSK_0.sigmf-meta").to_string_lossy(),
    ])?;
    assert!(trainer::classify::run(&cargs)?
        .iter()
        .all(|v| names.contains(&v.predicted)));

    // a killed run resumes to the same weights
    let parts = tmp.path("parts");
    let mut a = args.clone();
    a.run.out = parts.clone();
    a.run.stop_after = Some(1);
    trainer::finetune::run(&a)?;
    a.run.stop_after = None;
    a.run.resume = true;
    trainer::finetune::run(&a)?;
    assert!(
        std::fs::read(ft.join("classifier.fipmae"))?
            == std::fs::read(parts.join("classifier.fipmae"))?,
        "resumed and uninterrupted weights differ"
    );
    Ok(())
}

#[test]
fn the_split_draws_validation_from_other_bursts_the_same_way_each_time() -> anyhow::Result<()> {
    let tmp = common::Scratch::new();
    let dir = tmp.path("rec");
    // bursts of 3 windows each: a long annotation is cut into whole windows
    std::fs::create_dir_all(&dir)?;
    let mut rng = Rng::for_example(9, 0, Stream::Symbols);
    for class in ["A", "B"] {
        let mut samples = Vec::new();
        let mut annotations = Vec::new();
        for _ in 0..6 {
            annotations.push(serde_json::json!({
                "core:sample_start": samples.len(), "core:sample_count": 3 * N + 100, "core:label": class,
            }));
            for _ in 0..3 {
                samples.extend(burst("BPSK", 10.0, &mut rng));
            }
            samples.extend(vec![C32::new(0.0, 0.0); 100]);
        }
        let meta = serde_json::json!({
            "global": {"core:datatype": "cf32_le", "core:version": "1.0.0"},
            "captures": [], "annotations": annotations,
        });
        std::fs::write(
            dir.join(format!("{class}.sigmf-meta")),
            serde_json::to_vec(&meta)?,
        )?;
        std::fs::write(
            dir.join(format!("{class}.sigmf-data")),
            model::sigmf::encode_cf32_le(&samples),
        )?;
    }
    let set = RecordingSet::open(std::slice::from_ref(&dir), N, None, "fipmae:snr_db")?;
    assert_eq!(set.classes, vec!["A".to_string(), "B".to_string()]);
    assert_eq!(set.windows.len(), 36);
    let (train, val) = set.split(9, 4, 7)?;
    assert_eq!((train.len(), val.len()), (18, 8));
    for c in 0..2 {
        let bursts = |ids: &[usize]| -> std::collections::BTreeSet<usize> {
            ids.iter()
                .filter(|&&i| set.windows[i].label == Some(c))
                .map(|&i| set.windows[i].burst)
                .collect()
        };
        assert!(
            bursts(&train).is_disjoint(&bursts(&val)),
            "class {c}: a burst on both sides"
        );
    }
    assert_eq!(set.split(9, 4, 7)?, (train.clone(), val));
    assert_ne!(
        set.split(9, 4, 8)?.0,
        train,
        "another seed draws another split"
    );
    let err = format!("{:#}", set.split(13, 4, 7).unwrap_err());
    assert!(err.contains("class \"A\" has 18 labelled windows"), "{err}");
    Ok(())
}

#[test]
fn recordings_that_cannot_train_are_refused_before_anything_is_written() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = common::Scratch::new();
    let dir = tmp.path("rec");
    write_set(&dir, &["BPSK", "QPSK"], 1, 4, 3, "fipmae:snr_db");
    let out = tmp.path("ft");
    let finetune = |extra: &[&str]| -> String {
        let mut flags = vec![
            "--method",
            "vit",
            "--preset",
            "tiny",
            "--val-per-class",
            "1",
            "--epochs",
            "1",
        ];
        if !extra.contains(&"--labels-per-class") {
            flags.extend(["--labels-per-class", "2"]);
        }
        let out = out.to_string_lossy();
        flags.extend(["--out", &out]);
        flags.extend(extra);
        let args: trainer::finetune::FinetuneArgs = trainer::args_from(&flags).unwrap();
        format!("{:#}", trainer::finetune::run(&args).unwrap_err())
    };
    let d = dir.to_string_lossy().to_string();
    let e = finetune(&["--recordings", &d, "--classes", "BPSK,8PSK"]);
    assert!(
        e.contains("\"QPSK\"") && e.contains("not one of the classes BPSK, 8PSK"),
        "{e}"
    );
    let e = finetune(&["--recordings", &d, "--labels-per-class", "4"]);
    assert!(e.contains("lower --labels-per-class"), "{e}");
    let e = finetune(&["--recordings", &tmp.path("nowhere").to_string_lossy()]);
    assert!(e.contains("does not exist"), "{e}");
    let one = tmp.path("one");
    write_set(&one, &["BPSK"], 1, 4, 3, "fipmae:snr_db");
    let e = finetune(&["--recordings", &one.to_string_lossy()]);
    assert!(e.contains("at least 2"), "{e}");
    // a burst shorter than a window
    let short = tmp.path("short");
    std::fs::create_dir_all(&short).unwrap();
    let meta = serde_json::json!({
        "global": {"core:datatype": "cf32_le", "core:version": "1.0.0"},
        "captures": [], "annotations": [{"core:sample_start": 0, "core:sample_count": 500, "core:label": "X"}],
    });
    std::fs::write(
        short.join("s.sigmf-meta"),
        serde_json::to_vec(&meta).unwrap(),
    )
    .unwrap();
    std::fs::write(
        short.join("s.sigmf-data"),
        model::sigmf::encode_cf32_le(&vec![C32::new(1.0, 0.0); 600]),
    )
    .unwrap();
    let e = finetune(&["--recordings", &short.to_string_lossy()]);
    assert!(
        e.contains("has 500 samples") && e.contains("1024-sample windows"),
        "{e}"
    );
    assert!(!out.exists(), "a refused run wrote its folder");
}

#[test]
fn pretraining_mixes_recorded_and_generated_examples_in_one_batch() -> anyhow::Result<()> {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = common::Scratch::new();
    let dir = tmp.path("rec");
    write_set(&dir, &CLASSES, 1, 6, 5, "fipmae:snr_db");
    let d = dir.to_string_lossy().to_string();
    let parse = |out: &Path, fraction: &str| -> trainer::pretrain::PretrainArgs {
        let set = [
            ("--recordings", d.as_str()),
            ("--synthetic-fraction", fraction),
            ("--examples", "24"),
            ("--val-examples", "8"),
            ("--epochs", "2"),
            ("--batch-size", "8"),
            ("--seed", "2"),
            ("--threads", "2"),
        ];
        common::parse(&common::tiny_pretrain(&set), out)
    };
    let half = tmp.path("half");
    let s = trainer::pretrain::run(&parse(&half, "0.5"))?;
    assert!(s
        .epochs
        .iter()
        .all(|e| e.train_loss.is_finite() && e.val_loss.is_finite()));
    let run: trainer::pretrain::PretrainRun =
        serde_json::from_slice(&std::fs::read(half.join("run.json"))?)?;
    let rec = run.recordings.clone().unwrap();
    assert_eq!((rec.windows, rec.synthetic_fraction), (24, 0.5));
    // every other example id is generated; a batch holds both kinds
    let renderer = model::Renderer::new(run.render.clone())?;
    let modalities = run.model.present_modalities();
    let batch =
        run.unlabelled()?
            .render(&renderer, &(0..8).collect::<Vec<u64>>(), &modalities, 2)?;
    assert_eq!(batch.recorded, [true, false].repeat(4));
    // a recorded example's targets are its inputs and its noise image is empty
    for (m, c, input, target) in &batch.modalities {
        let one = c * batch.size * batch.size;
        let (i1, t1) = (&input[..one], &target[..one]);
        if *m == model::Modality::Noise {
            assert!(i1.iter().all(|v| *v == 0.0));
        } else {
            assert_eq!(i1, t1, "{m:?}");
            assert_ne!(
                &input[one..2 * one],
                &target[one..2 * one],
                "{m:?}: generated targets are clean"
            );
        }
    }
    // recordings only
    let only = tmp.path("only");
    trainer::pretrain::run(&parse(&only, "0"))?;
    // a killed run resumes to the same weights
    let parts = tmp.path("parts");
    let mut a = parse(&parts, "0.5");
    a.run.stop_after = Some(1);
    trainer::pretrain::run(&a)?;
    a.run.stop_after = None;
    a.run.resume = true;
    trainer::pretrain::run(&a)?;
    assert!(
        std::fs::read(half.join("model.fipmae"))? == std::fs::read(parts.join("model.fipmae"))?,
        "resumed and uninterrupted weights differ"
    );
    // and a classifier fine-tunes from it on the same recordings' labels
    let half_dir = half.to_string_lossy();
    let ft: trainer::finetune::FinetuneArgs = common::parse(
        &common::tiny_labels(&[
            ("--pretrained", &half_dir),
            ("--recordings", &d),
            ("--threads", "2"),
        ]),
        &tmp.path("ft"),
    );
    trainer::finetune::run(&ft)?;
    Ok(())
}

#[test]
fn sigmf_pairs_are_read_window_by_window_like_the_same_recording_in_memory() -> anyhow::Result<()> {
    let tmp = common::Scratch::new();
    let dir = tmp.path("pairs");
    write_set(&dir, &["BPSK", "QPSK"], 1, 3, 8, "fipmae:snr_db");
    // the same two recordings in one archive, which is decoded into memory
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    let (m0, d0, m1, d1) = (
        read("BPSK_0.sigmf-meta"),
        read("BPSK_0.sigmf-data"),
        read("QPSK_0.sigmf-meta"),
        read("QPSK_0.sigmf-data"),
    );
    let archive = model::sigmf::write_archive("set", &[("BPSK_0", &m0, &d0), ("QPSK_0", &m1, &d1)]);
    let packed = tmp.path("packed");
    std::fs::create_dir_all(&packed)?;
    std::fs::write(packed.join("set.sigmf"), archive)?;
    let streamed = RecordingSet::open(std::slice::from_ref(&dir), N, None, "fipmae:snr_db")?;
    let in_memory = RecordingSet::open(std::slice::from_ref(&packed), N, None, "fipmae:snr_db")?;
    assert_eq!(streamed.windows, in_memory.windows);
    assert_eq!(streamed.windows.len(), 6);
    for w in &streamed.windows {
        assert_eq!(streamed.window(w)?, in_memory.window(w)?);
    }
    // a pair named twice (by both halves, and through its folder) counts once
    let twice = [
        dir.clone(),
        dir.join("BPSK_0.sigmf-meta"),
        dir.join("BPSK_0.sigmf-data"),
    ];
    assert_eq!(
        RecordingSet::open(&twice, N, None, "fipmae:snr_db")?
            .windows
            .len(),
        6
    );
    // annotations covering the data many times over are refused (no window flood)
    let flood = tmp.path("flood");
    std::fs::create_dir_all(&flood)?;
    let notes: Vec<_> = (0..9)
        .map(|k| serde_json::json!({"core:sample_start": k, "core:label": "X"}))
        .collect();
    let meta = serde_json::json!({
        "global": {"core:datatype": "cf32_le", "core:version": "1.0.0"},
        "captures": [], "annotations": notes,
    });
    std::fs::write(flood.join("f.sigmf-meta"), serde_json::to_vec(&meta)?)?;
    std::fs::write(flood.join("f.sigmf-data"), &d0)?;
    let err = format!(
        "{:#}",
        RecordingSet::open(&[flood], N, None, "fipmae:snr_db").unwrap_err()
    );
    assert!(err.contains("more than 4 times its length"), "{err}");
    // a data file cut after indexing: the read names the file
    std::fs::write(dir.join("QPSK_0.sigmf-data"), &d1[..d1.len() / 2])?;
    let last = streamed.windows.last().unwrap();
    let err = format!("{:#}", streamed.window(last).unwrap_err());
    assert!(
        err.contains("QPSK_0.sigmf-data") && err.contains("did it change"),
        "{err}"
    );
    // and a data file that is not a whole number of samples is refused when indexing
    std::fs::write(dir.join("QPSK_0.sigmf-data"), &d1[..d1.len() - 3])?;
    let err = format!(
        "{:#}",
        RecordingSet::open(&[dir], N, None, "fipmae:snr_db").unwrap_err()
    );
    assert!(
        err.contains("not a whole number of 8-byte cf32_le samples"),
        "{err}"
    );
    Ok(())
}
