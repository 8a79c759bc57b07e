//! `generate` writes SigMF recordings that read back exactly and carry valid metadata.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use model::sigmf::SigmfError;
use model::{Modulation, Profile};
use trainer::data::recordings::files::read_recording;
use trainer::generate::{run, stem, GenerateArgs};

fn args(out: PathBuf, count: u64) -> GenerateArgs {
    let (out, count) = (out.to_string_lossy(), count.to_string());
    trainer::args_from(&[
        "--out",
        &out,
        "--count",
        &count,
        "--seed",
        "1",
        "--image-size",
        "32",
        "--threads",
        "2",
    ])
    .expect("valid flags")
}

#[test]
fn generated_recordings_round_trip_and_match_regeneration() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let out = tmpdir.path("gen");
    let a = args(out.clone(), 20);
    let summary = run(&a)?;
    assert_eq!(summary.recordings, 20);
    let spec = a.dataset()?;
    for i in 0..20 {
        let rec = read_recording(&out.join(format!("{}.sigmf-meta", stem(i))))?;
        let ex = spec.example(i);
        assert_eq!(
            rec.samples, ex.noisy,
            "example {i} differs from its regeneration"
        );
        assert_eq!(rec.meta.annotations.len(), 1);
        let ann = &rec.meta.annotations[0];
        assert_eq!(ann.label.as_deref(), Some(ex.class.name()));
        assert_eq!(ann.sample_count, Some(1024));
        let snr = ann.snr_db.unwrap_or(f64::NAN);
        assert!((snr - ex.snr_db).abs() < 1e-9 && (-10.0..=10.0).contains(&snr));
        assert_eq!(rec.meta.sample_rate, Some(1e6));
        assert_eq!(rec.meta.version, "1.2.0");
    }
    // the manifest rebuilds the same dataset
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("dataset.json"))?)?;
    let again: model::DatasetSpec = serde_json::from_value(manifest["dataset"].clone())?;
    assert_eq!(again, spec);
    Ok(())
}

#[test]
fn previews_and_options() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let out = tmpdir.path("prev");
    let mut a = args(out.clone(), 2);
    a.previews = true;
    a.snr_db = Some(-20.0);
    a.classes = "GMSK,ook".into();
    a.profile = Profile::Denomae;
    let s = run(&a)?;
    assert_eq!(s.previews, 2 * 4 * 2);
    let png = std::fs::read(
        out.join("previews")
            .join("example_000001_constellation_input.png"),
    )?;
    assert_eq!(&png[1..4], b"PNG");
    let rec = read_recording(&out.join("example_000001.sigmf-meta"))?;
    assert_eq!(
        rec.meta.annotations[0].label.as_deref(),
        Some(Modulation::Ook.name())
    );
    assert_eq!(rec.meta.annotations[0].snr_db, Some(-20.0));
    // bad options are named
    let mut bad = args(tmpdir.path("bad"), 1);
    bad.classes = "OOK,QAM1024".into();
    assert!(format!("{:#}", bad.dataset().unwrap_err()).contains("QAM1024"));
    let mut bad = args(tmpdir.path("bad"), 1);
    bad.snr.snr_min = 5.0;
    bad.snr.snr_max = -5.0;
    assert!(bad.dataset().is_err());
    Ok(())
}

#[test]
fn corrupt_recordings_are_rejected_with_the_file_named() -> anyhow::Result<()> {
    let tmpdir = common::Scratch::new();
    let out = tmpdir.path("corrupt");
    run(&args(out.clone(), 1))?;
    let meta = out.join("example_000000.sigmf-meta");
    let data = out.join("example_000000.sigmf-data");
    let good_meta = std::fs::read(&meta)?;
    let good_data = std::fs::read(&data)?;

    // truncated data file
    std::fs::write(&data, &good_data[..good_data.len() - 3])?;
    let err = read_recording(&meta).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("example_000000.sigmf-data") && msg.contains("truncated"),
        "{msg}"
    );
    assert!(matches!(
        err.downcast_ref::<SigmfError>(),
        Some(SigmfError::Truncated { .. })
    ));
    std::fs::write(&data, &good_data[..good_data.len() / 2])?;
    let err = read_recording(&meta).unwrap_err();
    assert!(matches!(
        err.downcast_ref::<SigmfError>(),
        Some(SigmfError::OutOfRange { .. })
    ));
    std::fs::write(&data, &good_data)?;

    // wrong datatype, malformed JSON, missing data file
    let text = String::from_utf8(good_meta.clone())?;
    std::fs::write(&meta, text.replace("cf32_le", "cu8"))?;
    assert!(
        format!("{:#}", read_recording(&meta).unwrap_err()).contains("unsupported datatype `cu8`")
    );
    std::fs::write(&meta, &good_meta[..good_meta.len() / 2])?;
    assert!(matches!(
        read_recording(&meta)
            .unwrap_err()
            .downcast_ref::<SigmfError>(),
        Some(SigmfError::Json(_))
    ));
    std::fs::write(&meta, &good_meta)?;
    std::fs::remove_file(&data)?;
    assert!(format!("{:#}", read_recording(&meta).unwrap_err()).contains("cannot read"));
    Ok(())
}
