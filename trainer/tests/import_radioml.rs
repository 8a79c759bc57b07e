//! `fipmae import radioml2016` on small pickles in the real file's format, written by
//! `tests/radioml/make_pickles.py` (Python 2's protocol 2 emulated, and Python 3's), and
//! on malformed ones.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use model::sigmf::Recording;
use trainer::import::{radioml2016, RadioMl2016Args};

fn fixture(name: &str) -> PathBuf {
    common::repo_root().join("tests/radioml").join(name)
}

fn args(file: &str, out: PathBuf) -> RadioMl2016Args {
    trainer::args_from(&[
        fixture(file).to_string_lossy().as_ref(),
        "--out",
        &out.to_string_lossy(),
    ])
    .unwrap()
}

#[test]
fn pickles_in_the_radioml_format_become_annotated_recordings() {
    let tmp = common::Scratch::new();
    for (file, out) in [("rml2016_py2.pkl", "py2"), ("rml2016_py3.pkl", "py3")] {
        let written = radioml2016(&args(file, tmp.path(out))).unwrap();
        assert_eq!(
            written.recordings.len(),
            6,
            "{file}: 3 modulations × 2 SNRs"
        );
    }
    // key number k of the script: QPSK, 8PSK, AM-DSB × −2, 18 dB; value j of its flat
    // [3, 2, 128] array is ((j % 97) / 97 − 0.5) + k, I in row 0 and Q in row 1
    for (label, snr, k) in [("QPSK", -2, 0.0f32), ("8PSK", 18, 3.0), ("AM-DSB", 18, 5.0)] {
        let stem = format!("{label}_{snr}dB");
        let read = |dir: &str| {
            let d = tmp.path(dir);
            let meta = std::fs::read(d.join(format!("{stem}.sigmf-meta"))).unwrap();
            let data = std::fs::read(d.join(format!("{stem}.sigmf-data"))).unwrap();
            Recording::from_bytes(&meta, &data).unwrap()
        };
        let rec = read("py2");
        assert_eq!(
            rec.samples,
            read("py3").samples,
            "{stem}: both pickle dialects agree"
        );
        assert_eq!(rec.samples.len(), 3 * 128);
        // computed in f64 and rounded once, as numpy did
        let value = |j: usize| (((j % 97) as f64 / 97.0 - 0.5) + f64::from(k)) as f32;
        for (frame, t) in [(0usize, 0usize), (1, 5), (2, 127)] {
            let z = rec.samples[frame * 128 + t];
            assert_eq!(z.re, value(frame * 256 + t), "{stem} I[{frame}][{t}]");
            assert_eq!(z.im, value(frame * 256 + 128 + t), "{stem} Q[{frame}][{t}]");
        }
        let notes = &rec.meta.annotations;
        assert_eq!(notes.len(), 3, "one annotation per frame");
        assert!(notes.iter().all(|a| a.label.as_deref() == Some(label)
            && a.sample_count == Some(128)
            && a.snr_db == Some(f64::from(snr))));
        assert_eq!(notes[2].sample_start, 256);
    }
}

#[test]
fn malformed_pickles_are_refused_before_anything_is_written() {
    let tmp = common::Scratch::new();
    for (file, needle) in [
        ("truncated.pkl", "pickle"),
        ("bad_shape.pkl", "not [N, 2, L]"),
        ("bad_dtype.pkl", "float32"),
        ("bad_key.pkl", "(modulation, snr)"),
        ("not_a_dict.pkl", "no dict"),
    ] {
        let out = tmp.path(file);
        let e = radioml2016(&args(file, out.clone())).unwrap_err();
        assert!(format!("{e:#}").contains(needle), "{file}: {e:#}");
        assert!(!out.exists(), "{file}: nothing written");
    }
    let e = radioml2016(&args("no_such.pkl", tmp.path("x"))).unwrap_err();
    assert!(format!("{e:#}").contains("no_such.pkl"), "{e:#}");
}

#[test]
fn imported_frames_fine_tune_and_evaluate_per_snr_at_their_own_length() -> anyhow::Result<()> {
    let tmp = common::Scratch::new();
    let data = tmp.path("rml");
    radioml2016(&args("rml2016_py3.pkl", data.clone()))?;
    let (ft, ev) = (tmp.path("ft"), tmp.path("ev"));
    let d = data.to_string_lossy().to_string();
    // 128-sample frames: the classifier's window is set to them
    let f: trainer::finetune::FinetuneArgs = trainer::args_from(&[
        "--method",
        "vit",
        "--preset",
        "tiny",
        "--burst-length",
        "128",
        "--recordings",
        &d,
        "--labels-per-class",
        "3",
        "--val-per-class",
        "1",
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--threads",
        "1",
        "--out",
        &ft.to_string_lossy(),
    ])?;
    trainer::finetune::run(&f)?;
    let e: trainer::eval::EvalArgs = trainer::args_from(&[
        "--model",
        &ft.to_string_lossy(),
        "--out",
        &ev.to_string_lossy(),
        "--recordings",
        &d,
    ])?;
    let report = trainer::eval::run(&e)?;
    assert_eq!(
        report.classes,
        ["8PSK", "AM-DSB", "QPSK"].map(String::from).to_vec()
    );
    let snrs: Vec<(f64, u64)> = report
        .per_snr
        .iter()
        .map(|a| (a.snr_db, a.examples))
        .collect();
    assert_eq!(snrs, vec![(-2.0, 9), (18.0, 9)]);
    // the default 1024-sample window is longer than a frame: named, not guessed
    let mut long = f.clone();
    long.burst.burst_length = None;
    long.run.out = tmp.path("ft2");
    let err = format!("{:#}", trainer::finetune::run(&long).unwrap_err());
    assert!(
        err.contains("has 128 samples") && err.contains("1024-sample windows"),
        "{err}"
    );
    Ok(())
}
