//! `import radioml2018` on small files in RadioML 2018.01a's HDF5 format, written by
//! `tests/radioml/make_hdf5.py` (h5py), good and malformed. Needs the `hdf5` feature
//! (the test command runs it with the system's libhdf5).
#![cfg(feature = "hdf5")]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use datasets::import::{radioml2018, RadioMl2018Options};
use signal::sigmf::Recording;

fn fixture(name: &str) -> PathBuf {
    // cargo's value at run time: the checkout being tested, also when this binary was
    // built from another one into a shared target folder
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("../tests/radioml")
        .join(name)
}

/// The options `fipmae import radioml2018 FILE --out OUT` gives (its defaults), changed
/// by `set`.
fn args(file: &str, out: &Path, set: impl FnOnce(&mut RadioMl2018Options)) -> RadioMl2018Options {
    let mut o = RadioMl2018Options {
        file: fixture(file),
        out: out.to_path_buf(),
        classes: None,
        frames_per_recording: 4096,
        limit: None,
        sample_rate: 1e6,
    };
    set(&mut o);
    o
}

fn read(dir: &Path, stem: &str) -> Recording {
    let meta = std::fs::read(dir.join(format!("{stem}.sigmf-meta"))).unwrap();
    let data = std::fs::read(dir.join(format!("{stem}.sigmf-data"))).unwrap();
    Recording::from_bytes(&meta, &data).unwrap()
}

#[test]
fn frames_become_recordings_with_one_annotation_each() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rml");
    // 6 frames, 4 per recording: two recordings, the second of 2 frames
    let written = radioml2018(&args("rml2018_good.hdf5", &out, |o| {
        o.frames_per_recording = 4;
    }))
    .unwrap();
    assert_eq!(written.recordings.len(), 2);
    assert_eq!(written.out, out);
    let (a, b) = (read(&out, "frames_0000000"), read(&out, "frames_0000004"));
    assert_eq!((a.samples.len(), b.samples.len()), (4 * 1024, 2 * 1024));
    // value j of the flat X array is (j % 89) / 89 − 0.5 + row, I then Q per sample
    let value = |j: usize| (((j % 89) as f64 / 89.0 - 0.5) + (j / 2048) as f64) as f32;
    for (row, t) in [(0usize, 0usize), (1, 7), (3, 1023)] {
        let z = a.samples[row * 1024 + t];
        let j = (row * 1024 + t) * 2;
        assert_eq!(
            (z.re, z.im),
            (value(j), value(j + 1)),
            "row {row}, sample {t}"
        );
    }
    let z = b.samples[1024 + 5];
    let j = (5 * 1024 + 5) * 2;
    assert_eq!((z.re, z.im), (value(j), value(j + 1)));
    let labels: Vec<(String, Option<f64>, u64)> = a
        .meta
        .annotations
        .iter()
        .chain(&b.meta.annotations)
        .map(|n| (n.label.clone().unwrap(), n.snr_db, n.sample_start))
        .collect();
    let expect = [
        ("BPSK", -20.0),
        ("BPSK", 30.0),
        ("QPSK", -20.0),
        ("QPSK", 30.0),
        ("GMSK", 0.0),
        ("GMSK", 10.0),
    ];
    for (k, ((label, snr, start), (l, s))) in labels.iter().zip(expect).enumerate() {
        assert_eq!((label.as_str(), *snr), (l, Some(s)), "frame {k}");
        assert_eq!(*start, (k % 4 * 1024) as u64);
    }
    // --limit takes the first frames only
    let few = tmp.path().join("few");
    assert_eq!(
        radioml2018(&args("rml2018_good.hdf5", &few, |o| o.limit = Some(3)))
            .unwrap()
            .recordings
            .len(),
        1
    );
    assert_eq!(read(&few, "frames_0000000").meta.annotations.len(), 3);
}

#[test]
fn malformed_files_are_refused_by_name_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let err = |file: &str, set: &dyn Fn(&mut RadioMl2018Options)| {
        let e = radioml2018(&args(file, &out, set)).unwrap_err();
        // the chain, as the trainer's `anyhow` prints it
        let mut text = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            text += &format!(": {c}");
            cause = c.source();
        }
        text
    };
    let none = |_: &mut RadioMl2018Options| {};
    let e = err("rml2018_bad_shape.hdf5", &none);
    assert!(e.contains("X has shape [6, 1024, 3]"), "{e}");
    let e = err("rml2018_not_onehot.hdf5", &none);
    assert!(e.contains("row 3 of Y is not one-hot"), "{e}");
    let e = err("rml2018_short_z.hdf5", &none);
    assert!(e.contains("Z has shape [5, 1]"), "{e}");
    let e = err("rml2018_no_z.hdf5", &none);
    assert!(e.contains("no dataset \"Z\""), "{e}");
    let e = err("rml2018_truncated.hdf5", &none);
    assert!(e.contains("not a readable HDF5 file"), "{e}");
    let e = err("rml2016_py3.pkl", &none);
    assert!(e.contains("not a readable HDF5 file"), "{e}");
    let e = err("missing.hdf5", &none);
    assert!(e.contains("is not a file"), "{e}");
    // labels outside the class list: Y's columns must match the names
    let e = err("rml2018_good.hdf5", &|o| {
        o.classes = Some(vec!["BPSK".into(), "QPSK".into()]);
    });
    assert!(e.contains("Y has shape [6, 24], expected [6, 2]"), "{e}");
    assert!(!out.exists(), "a refused import wrote its folder");
    // a non-finite sample in X is found block by block: the blocks before it are whole
    let e = err("rml2018_nan.hdf5", &|o| o.frames_per_recording = 2);
    assert!(
        e.contains("row 4 of X holds a non-finite sample") && e.contains("rows before 4"),
        "{e}"
    );
    assert_eq!(read(&out, "frames_0000002").meta.annotations.len(), 2);
    assert!(!out.join("frames_0000004.sigmf-meta").exists());
}
