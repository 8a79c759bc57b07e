//! pretrain → finetune → eval on the tiny preset, and the documentation of every flag.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

fn fipmae<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_fipmae"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "fipmae {args:?} failed:\n{text}");
    text
}

/// The flags of `fipmae eval` of the shipped bundle (`static/`) into `out`, plus the flags in
/// `extra` (separated by spaces).
fn eval_shipped(out: &std::path::Path, extra: &str) -> Vec<String> {
    let bundle = common::repo_root().join("static");
    let (bundle, out) = (bundle.to_string_lossy(), out.to_string_lossy());
    ["eval", "--model", &bundle, "--out", &out]
        .into_iter()
        .chain(extra.split_whitespace())
        .map(str::to_string)
        .collect()
}

/// The JSON file at `path`, parsed (the test fails naming the file when it cannot be).
fn read_json(path: &std::path::Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `fipmae args`, which must fail with `needle` in its error output; returns that output.
fn fipmae_fails<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S], needle: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_fipmae"))
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "fipmae {args:?} succeeded");
    assert!(
        err.contains(needle),
        "fipmae {args:?}: no `{needle}` in\n{err}"
    );
    err
}
#[test]
fn pretrain_finetune_eval_on_the_tiny_preset() {
    let tmpdir = common::Scratch::new();
    let (pre, ft, rep, scratch, rep2) = (
        tmpdir.path("pre"),
        tmpdir.path("ft"),
        tmpdir.path("rep"),
        tmpdir.path("vit"),
        tmpdir.path("rep2"),
    );
    let s = |p: &PathBuf| p.to_string_lossy().to_string();
    let mut flags = vec!["pretrain".to_string()];
    flags.extend(common::tiny_pretrain(&[
        ("--method", "fip"),
        ("--seed", "0"),
    ]));
    flags.extend(["--out".to_string(), s(&pre)]);
    fipmae(&flags.iter().map(String::as_str).collect::<Vec<_>>());
    fipmae(&[
        "finetune",
        "--pretrained",
        &s(&pre),
        "--labels-per-class",
        "4",
        "--val-per-class",
        "2",
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--out",
        &s(&ft),
    ]);
    for f in ["run.json", "metrics.jsonl", "classifier.fipmae"] {
        assert!(ft.join(f).exists(), "finetune wrote no {f}");
    }
    let out = fipmae(&[
        "eval",
        "--model",
        &s(&ft),
        "--out",
        &s(&rep),
        "--per-class",
        "2",
        "--snr-min",
        "-10",
        "--snr-max",
        "10",
        "--snr-step",
        "5",
    ]);
    assert!(out.contains("accuracy"), "{out}");
    let report = read_json(&rep.join("report.json"));
    assert_eq!(report["per_snr"].as_array().map(Vec::len), Some(5));
    assert_eq!(report["confusion"].as_array().map(Vec::len), Some(10));
    let total: u64 = report["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()))
        .sum();
    assert_eq!(total, 5 * 2 * 10);
    // per class at each SNR: two examples each, adding up to the confusion's diagonal
    for c in 0..10 {
        let right: f64 = report["per_snr"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| 2.0 * a["per_class"][c].as_f64().unwrap())
            .sum();
        assert_eq!(
            right.round() as u64,
            report["confusion"][c][c].as_u64().unwrap()
        );
    }
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    assert!(md.contains("| SNR (dB) |"), "{md}");
    assert!(md.contains("## Accuracy per class at each SNR"), "{md}");
    assert!(std::fs::read_to_string(rep.join("accuracy.svg"))
        .unwrap()
        .starts_with("<svg"));
    assert!(std::fs::read_to_string(rep.join("confusion.svg"))
        .unwrap()
        .contains("GMSK"));
    // fine-tuned from a pretraining run: the autoencoder's reconstructions are measured
    let recon = &report["reconstruction"];
    assert_eq!(recon["per_class"].as_array().map(Vec::len), Some(10));
    for q in recon["overall"].as_array().unwrap() {
        assert!(q["psnr_db"].as_f64().unwrap().is_finite(), "{q}");
        let ssim = q["ssim"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&ssim), "{q}");
    }
    // per SNR too: every SNR, and (equal counts per SNR) the overall PSNR is their mean
    let per_snr = recon["per_snr"].as_array().unwrap();
    assert_eq!(per_snr.len(), 5);
    for (j, q) in recon["overall"].as_array().unwrap().iter().enumerate() {
        let mean: f64 = per_snr
            .iter()
            .map(|at| at["modalities"][j]["psnr_db"].as_f64().unwrap())
            .sum::<f64>()
            / 5.0;
        let overall = q["psnr_db"].as_f64().unwrap();
        assert!((mean - overall).abs() < 1e-6, "{mean} vs {overall}");
    }
    let png = std::fs::read(rep.join("reconstructions.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    assert!(md.contains("## Reconstruction"));
    assert!(
        md.contains("PSNR by SNR") && md.contains("| -10 dB |"),
        "{md}"
    );

    // a classifier trained from scratch on 400 labels beats chance (10 %) clearly at 10 dB
    fipmae(&[
        "finetune",
        "--method",
        "vit",
        "--preset",
        "tiny",
        "--labels-per-class",
        "40",
        "--val-per-class",
        "5",
        "--epochs",
        "12",
        "--lr",
        "2e-3",
        "--batch-size",
        "32",
        "--out",
        &s(&scratch),
    ]);
    fipmae(&[
        "eval",
        "--model",
        &s(&scratch),
        "--out",
        &s(&rep2),
        "--per-class",
        "11",
        "--snr-min",
        "10",
        "--snr-max",
        "10",
    ]);
    let report = read_json(&rep2.join("report.json"));
    let acc = report["overall"].as_f64().unwrap();
    assert!(acc > 0.2, "accuracy at 10 dB {acc}");

    // classify generated recordings: one JSON object per annotated burst
    let rec = tmpdir.path("rec");
    fipmae(&[
        "generate",
        "--out",
        &s(&rec),
        "--count",
        "3",
        "--seed",
        "9",
        "--snr-db",
        "10",
    ]);
    let meta = rec.join("example_000001.sigmf-meta");
    let data = rec.join("example_000002.sigmf-data");
    let out = fipmae(&[
        "classify",
        "--model",
        &s(&scratch),
        "--json",
        &s(&meta),
        &s(&data),
    ]);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    for (l, want) in lines.iter().zip(["4ASK", "8ASK"]) {
        assert_eq!(l["label"].as_str(), Some(want));
        assert_eq!(l["sample_count"].as_u64(), Some(1024));
        let p: f64 = l["probabilities"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((p - 1.0).abs() < 1e-6);
        assert!(l["predicted"].is_string());
    }
    let table = fipmae(&["classify", "--model", &s(&scratch), &s(&meta)]);
    assert!(
        table.contains("predicted") && table.contains("4ASK"),
        "{table}"
    );
    std::fs::write(&data, b"short").unwrap();
    fipmae_fails(
        &["classify", "--model", &s(&scratch), &s(&data)],
        "truncated",
    );

    // export the pretrained + fine-tuned pair with its report, in half precision
    let bundle = tmpdir.path("static");
    fipmae(&[
        "export",
        "--model",
        &s(&ft),
        "--pretrained",
        &s(&pre),
        "--report",
        &s(&rep),
        "--half",
        "--out",
        &s(&bundle),
    ]);
    let index = read_json(&bundle.join("bundle.json"));
    assert_eq!(index["classes"].as_array().map(Vec::len), Some(10));
    for f in ["classifier.fipmae", "autoencoder.fipmae", "report.json"] {
        assert!(bundle.join(f).exists(), "export wrote no {f}");
    }
    let bytes = std::fs::read(bundle.join("classifier.fipmae")).unwrap();
    model::weights::classifier_from_bytes::<burn::backend::Flex>(&bytes, None, &Default::default())
        .unwrap();
    // a bad option is found before anything is written: the bundle stays as it was
    let before: Vec<Vec<u8>> = ["classifier.fipmae", "bundle.json", "report.json"]
        .iter()
        .map(|f| std::fs::read(bundle.join(f)).unwrap())
        .collect();
    let bad_export = [
        "export",
        "--model",
        &s(&ft),
        "--report",
        &s(&pre),
        "--out",
        &s(&bundle),
    ];
    fipmae_fails(&bad_export, "report.json");
    let after: Vec<Vec<u8>> = ["classifier.fipmae", "bundle.json", "report.json"]
        .iter()
        .map(|f| std::fs::read(bundle.join(f)).unwrap())
        .collect();
    assert!(before == after, "a failed export changed the bundle");

    // classify with the exported bundle: a `.sigmf` archive and a raw cf32 capture
    let rec = tmpdir.path("rec2");
    fipmae(&[
        "generate",
        "--out",
        &s(&rec),
        "--count",
        "2",
        "--seed",
        "4",
        "--snr-db",
        "10",
    ]);
    let read = |n: &str| std::fs::read(rec.join(n)).unwrap();
    let (m0, d0, m1, d1) = (
        read("example_000000.sigmf-meta"),
        read("example_000000.sigmf-data"),
        read("example_000001.sigmf-meta"),
        read("example_000001.sigmf-data"),
    );
    let archive = model::sigmf::write_archive("pair", &[("a", &m0, &d0), ("b", &m1, &d1)]);
    std::fs::write(rec.join("pair.sigmf"), archive).unwrap();
    let mut raw = d0.clone();
    raw.extend_from_slice(&d1);
    std::fs::write(rec.join("two.cf32"), raw).unwrap();
    let out = fipmae(&[
        "classify",
        "--model",
        &s(&bundle),
        "--json",
        &s(&rec.join("pair.sigmf")),
        &s(&rec.join("two.cf32")),
    ]);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0]["recording"]
        .as_str()
        .unwrap()
        .ends_with("pair.sigmf:pair/a"));
    assert_eq!(lines[1]["label"].as_str(), Some("4ASK"));
    // the raw capture has no annotations: two 1024-sample windows, no label
    assert_eq!(lines[3]["sample_start"].as_u64(), Some(1024));
    assert!(lines[3]["label"].is_null());
    std::fs::write(rec.join("bad.sigmf"), b"not a tar file at all").unwrap();
    fipmae_fails(
        &[
            "classify",
            "--model",
            &s(&bundle),
            &s(&rec.join("bad.sigmf")),
        ],
        "bad.sigmf",
    );

    // errors name what is wrong
    fipmae_fails(
        &["eval", "--model", "/nonexistent/run", "--out", &s(&rep2)],
        "/nonexistent/run/run.json",
    );
}

/// A scratch folder (kept alive by the first value) and the path `name` inside it, as a
/// path and as a flag's text.
fn scratch_out(name: &str) -> (common::Scratch, std::path::PathBuf, String) {
    let tmp = common::Scratch::new();
    let out = tmp.path(name);
    let s = out.to_string_lossy().into_owned();
    (tmp, out, s)
}

/// `compare` on a budget that only proves the plumbing, into `out`, plus the flags in
/// `extra` (separated by spaces).
fn tiny_compare<'a>(out: &'a str, extra: &'a str) -> Vec<&'a str> {
    let mut a = vec![
        "compare",
        "--preset",
        "tiny",
        "--examples",
        "32",
        "--pretrain-epochs",
        "1",
        "--labels-per-class",
        "2",
        "--finetune-epochs",
        "1",
        "--batch-size",
        "16",
        "--per-class",
        "1",
        "--out",
        out,
    ];
    a.extend(extra.split_whitespace());
    a
}

#[test]
fn compare_runs_the_three_methods_and_writes_table_and_plot() {
    let (_tmp, out, s) = scratch_out("compare");
    let small = tiny_compare(&s, "--seeds 1");
    let text = fipmae(&small);
    assert!(
        text.contains("| SNR (dB) | vit (n = 1) | denomae (n = 1) | fip (n = 1) |"),
        "{text}"
    );
    let curves = read_json(&out.join("compare.json"));
    let curves = curves.as_array().unwrap();
    assert_eq!(curves.len(), 3);
    for c in curves {
        assert_eq!(c["mean"].as_array().map(Vec::len), Some(21));
    }
    assert!(std::fs::read_to_string(out.join("compare.svg"))
        .unwrap()
        .contains("polyline"));
    let first = std::fs::read(out.join("compare.json")).unwrap();
    let timings = std::fs::read_to_string(out.join("timings.jsonl")).unwrap();
    assert_eq!(timings.lines().count(), 3 + 2 + 3, "{timings}");

    // a second start is refused; --resume keeps what is finished and redoes what is gone
    fipmae_fails(&small, "--resume");
    std::fs::remove_dir_all(out.join("seed-0/fip-eval")).unwrap();
    fipmae(&[&small[..], &["--resume"]].concat());
    assert_eq!(std::fs::read(out.join("compare.json")).unwrap(), first);
    assert!(out.join("seed-0/fip-eval/report.json").exists());

    // an ablation over p_target: one FIP curve per value
    let text = fipmae(&[&small[..], &["--sweep", "mask-target=0.5,0.9"]].concat());
    assert!(
        text.contains("| fip-mask-target-0.5 (n = 1) | fip-mask-target-0.9 (n = 1) |"),
        "{text}"
    );
    let run: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("seed-0/fip-mask-target-0.9-pre/run.json")).unwrap(),
    )
    .unwrap();
    let ratios: Vec<f64> = run["model"]["modalities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["modality"] == "constellation")
        .map(|m| m["mask_ratio"].as_f64().unwrap())
        .collect();
    assert_eq!(ratios, vec![0.9]);
    // one FIP knob alone on top of DenoMAE: the other knobs keep DenoMAE's values
    fipmae(
        &[
            &small[..],
            &["--sweep", "weight-target=2", "--sweep-base", "denomae"],
        ]
        .concat(),
    );
    let run: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("seed-0/denomae-weight-target-2-pre/run.json")).unwrap(),
    )
    .unwrap();
    let target: Vec<(f64, f64)> = run["model"]["modalities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["modality"] == "constellation")
        .map(|m| {
            (
                m["loss_weight"].as_f64().unwrap(),
                m["mask_ratio"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(target, vec![(2.0, 0.75)]);
    fipmae_fails(
        &["compare", "--sweep", "p_other=0.5", "--out", &s],
        "unknown knob `p_other`",
    );
}

#[test]
fn compare_per_snr_fine_tunes_validates_and_tests_at_each_snr() {
    let (tmp, out, s) = scratch_out("per-snr");
    let per_snr =
        "--protocol per-snr --snrs=-10,5 --methods vit,fip --encoder full,frozen --seeds 1";
    let args = tiny_compare(&s, per_snr);
    let text = fipmae(&args);
    assert!(text.contains("per-snr protocol"), "{text}");
    assert!(
        text.contains("| SNR (dB) | vit (n = 1) | fip (n = 1) | fip-frozen (n = 1) |"),
        "{text}"
    );
    for (snr, folder) in [(-10.0, "snr_-10dB"), (5.0, "snr_5dB")] {
        for name in ["vit", "fip", "fip-frozen"] {
            // labels and validation come from one dataset whose SNR is this one alone
            let run = read_json(&out.join(format!("seed-0/{folder}/{name}/run.json")));
            let spec = &run["dataset"]["snr"];
            assert_eq!(
                (spec["min_db"].as_f64(), spec["max_db"].as_f64()),
                (Some(snr), Some(snr)),
                "{name} at {snr} dB: {spec}"
            );
            assert!(run["val"].as_u64().unwrap() > 0);
            assert_eq!(
                run["classifier"]["freeze_encoder"].as_bool(),
                Some(name.ends_with("-frozen")),
                "{name}"
            );
            // tested at this SNR alone
            let report = read_json(&out.join(format!("seed-0/{folder}/{name}-eval/report.json")));
            let per_snr = report["per_snr"].as_array().unwrap();
            assert_eq!(per_snr.len(), 1, "{name} at {snr} dB");
            assert_eq!(per_snr[0]["snr_db"].as_f64(), Some(snr));
            assert_eq!(per_snr[0]["examples"].as_u64(), Some(10));
        }
    }
    // one pretraining per (method, seed), shared by both SNRs and by the frozen row
    let timings = std::fs::read_to_string(out.join("timings.jsonl")).unwrap();
    let stages = |stage: &str| timings.lines().filter(|l| l.contains(stage)).count();
    assert_eq!(
        (
            stages("\"pretrain\""),
            stages("\"finetune\""),
            stages("\"eval\"")
        ),
        (1, 6, 6),
        "{timings}"
    );
    let frozen = read_json(&out.join("seed-0/snr_5dB/fip-frozen/run.json"));
    assert_eq!(
        frozen["pretrained"],
        read_json(&out.join("seed-0/snr_-10dB/fip/run.json"))["pretrained"]
    );
    let curves = read_json(&out.join("compare.json"));
    for c in curves.as_array().unwrap() {
        assert_eq!(c["snr_db"], serde_json::json!([-10.0, 5.0]), "{c}");
        assert_eq!(c["n"], serde_json::json!([1, 1]), "{c}");
        assert_eq!(c["overall"].as_array().map(Vec::len), Some(1), "{c}");
    }

    // --collect after one cell is gone: that cell says so, the others keep their seed
    std::fs::remove_dir_all(out.join("seed-0/snr_5dB/vit-eval")).unwrap();
    let text = fipmae(&[&args[..], &["--collect"]].concat());
    let row = text.lines().find(|l| l.starts_with("| 5 |")).unwrap();
    assert!(row.starts_with("| 5 | – |"), "{row}");
    // --resume redoes only that evaluation
    fipmae(&[&args[..], &["--resume"]].concat());
    let timings = std::fs::read_to_string(out.join("timings.jsonl")).unwrap();
    assert_eq!(timings.lines().count(), 1 + 6 + 6 + 1 + 1, "{timings}");

    for (extra, needle) in [
        (
            vec!["--protocol", "mixed", "--snrs=0"],
            "--snrs sets the SNRs",
        ),
        (vec!["--protocol", "per-snr", "--snrs=0,0"], "at most once"),
        (vec!["--protocol", "per-snr", "--snrs=0.5"], "whole number"),
        (
            vec!["--methods", "vit", "--encoder", "frozen"],
            "no --encoder frozen",
        ),
    ] {
        let bad_out = tmp.path("bad");
        let b = bad_out.to_string_lossy().to_string();
        fipmae_fails(&tiny_compare(&b, &extra.join(" ")), needle);
    }
}

#[test]
fn compare_seeds_run_apart_merge_with_collect() {
    let (tmpdir, out, s) = scratch_out("camp");
    let base = tiny_compare(&s, "--profile denomae --methods fip,vit --embeddings");
    // seed 1 alone (as a separate process would run it): nothing of seed 0 is made
    fipmae(&[&base[..], &["--first-seed", "1", "--seeds", "1"]].concat());
    assert!(out.join("seed-1/fip-eval/report.json").exists());
    assert!(!out.join("seed-0").exists());
    // --embeddings: a t-SNE plot, the embeddings and a k-NN accuracy per run
    let svg = std::fs::read_to_string(out.join("seed-1/vit-eval/tsne.svg")).unwrap();
    assert!(svg.contains("<circle") && svg.contains("t-SNE"));
    let csv = std::fs::read_to_string(out.join("seed-1/vit-eval/embeddings.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 11 * 10,
        "one row per test example at 0..10 dB"
    );
    let report = read_json(&out.join("seed-1/vit-eval/report.json"));
    let knn = report["embeddings"]["knn_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&knn) && report["embeddings"]["dim"] == 64);
    let run = read_json(&out.join("seed-1/fip-pre/run.json"));
    assert_eq!(run["dataset"]["signal"]["profile"], "denomae");
    // the fine-tuned run inherits the profile, and so does its evaluation
    let ft = read_json(&out.join("seed-1/fip/run.json"));
    assert_eq!(ft["dataset"]["signal"]["profile"], "denomae");

    // --collect over seeds 0..2 trains nothing and counts the seeds it found
    let text = fipmae(&[&base[..], &["--seeds", "2", "--collect"]].concat());
    assert!(
        text.contains("| SNR (dB) | fip (n = 1) | vit (n = 1) |"),
        "{text}"
    );
    assert!(text.contains("| k-NN on embeddings (≥ 0 dB) |"), "{text}");
    assert!(!out.join("seed-0").exists());

    // the weights are not needed once a report exists (a campaign brings back reports)
    std::fs::remove_file(out.join("seed-1/fip/classifier.fipmae")).unwrap();
    let text = fipmae(
        &[
            &base[..],
            &["--first-seed", "1", "--seeds", "1", "--resume"],
        ]
        .concat(),
    );
    assert!(text.contains("fip (n = 1)"), "{text}");

    // nothing to collect, a method named twice: errors, not tables
    let empty = tmpdir.path("empty");
    let e = empty.to_string_lossy().to_string();
    for (args, needle) in [
        (
            vec!["compare", "--collect", "--out", e.as_str()],
            "no finished run",
        ),
        (
            vec!["compare", "--methods", "fip,fip", "--out", e.as_str()],
            "at most once",
        ),
    ] {
        fipmae_fails(&args, needle);
    }
}

#[test]
fn every_flag_of_every_subcommand_is_documented() {
    for cmd in [
        "generate",
        "pretrain",
        "finetune",
        "eval",
        "compare",
        "classify",
        "calibrate",
        "export",
        "import radioml2016",
        "info",
        "bench render",
        "bench model",
        "bench matmul",
        "bench fuzz",
        "import radioml2018",
    ] {
        let mut words: Vec<&str> = cmd.split(' ').collect();
        words.push("--help");
        let help = fipmae(&words);
        let mut flags = 0;
        for line in help.lines() {
            let t = line.trim_start();
            if t.starts_with("--")
                || (t.starts_with('-') && t.chars().nth(1).is_some_and(|c| c.is_alphabetic()))
            {
                flags += 1;
                // clap puts the doc on the same line or the next; either way the flag line
                // must not stand alone with nothing after its name and value
                let described = t.split("  ").filter(|p| !p.trim().is_empty()).count() > 1;
                let next_described = help
                    .lines()
                    .skip_while(|l| *l != line)
                    .nth(1)
                    .is_some_and(|n| n.starts_with("          ") && !n.trim().is_empty());
                assert!(
                    described || next_described,
                    "`fipmae {cmd}`: undocumented flag `{t}`"
                );
            }
        }
        assert!(flags >= 1, "`fipmae {cmd} --help` lists no flags:\n{help}");
    }
}

#[test]
fn eval_open_set_scores_never_trained_modulations_against_the_classes() {
    let (_tmp, out, _) = scratch_out("open-set");
    fipmae(&eval_shipped(
        &out,
        "--per-class 4 --snr-min 10 --snr-max 20 --snr-step 10 --recon-per-class 0 --open-set qpsk,16qam,noise",
    ));
    let r = read_json(&out.join("openset.json"));
    assert_eq!(r["kinds"], serde_json::json!(["QPSK", "16QAM", "noise"]));
    let t = r["temperature"].as_f64().unwrap();
    assert!((0.05..=20.0).contains(&t), "{t}");
    assert_eq!(r["calibration_bursts"].as_u64(), Some(2 * 4 * 10));
    let per_snr = r["per_snr"].as_array().unwrap();
    assert_eq!(per_snr.len(), 2);
    for a in per_snr {
        assert_eq!(
            (a["in_set"].as_u64(), a["out_of_set"].as_u64()),
            (Some(40), Some(12))
        );
        for sc in a["scores"].as_array().unwrap() {
            for key in ["auroc", "in_set_kept", "out_of_set_flagged"] {
                let v = sc[key].as_f64().unwrap();
                assert!((0.0..=1.0).contains(&v), "{key}: {v}");
            }
        }
    }
    // the shipped model tells noise alone and foreign modulations from its classes at
    // 20 dB better than chance
    assert!(per_snr[1]["scores"][0]["auroc"].as_f64().unwrap() > 0.6);
    assert!(std::fs::read_to_string(out.join("openset.md"))
        .unwrap()
        .contains("| 20 |"));
    // an unknown kind is named, before anything is written
    let bad_out = out.with_file_name("bad");
    fipmae_fails(&eval_shipped(&bad_out, "--open-set qpsk,qam256"), "qam256");
    assert!(!bad_out.exists());
}

#[test]
fn classify_reports_the_carrier_offset_it_removed() {
    // bursts of the shipped model's generator turned by a known 10⁻² cycles/sample: the
    // shipped bundle corrects offsets, so `classify --json` names what it removed
    let tmpdir = common::Scratch::new();
    let dir = tmpdir.path("cfo");
    let d = dir.to_str().unwrap();
    fipmae(&[
        "generate",
        "--out",
        d,
        "--count",
        "4",
        "--seed",
        "5",
        "--snr-db",
        "20",
        "--class-parameters",
        "fixed",
        "--max-freq-offset",
        "5e-5",
    ]);
    let shift = 0.01f64;
    let mut metas = Vec::new();
    for i in 0..4 {
        let data = dir.join(format!("example_{i:06}.sigmf-data"));
        let bytes = std::fs::read(&data).unwrap();
        let turned: Vec<u8> = bytes
            .chunks_exact(8)
            .enumerate()
            .flat_map(|(k, c)| {
                let re = f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
                let im = f64::from(f32::from_le_bytes([c[4], c[5], c[6], c[7]]));
                let (s, co) = (std::f64::consts::TAU * shift * k as f64).sin_cos();
                let (a, b) = ((re * co - im * s) as f32, (re * s + im * co) as f32);
                a.to_le_bytes().into_iter().chain(b.to_le_bytes())
            })
            .collect();
        std::fs::write(&data, turned).unwrap();
        metas.push(dir.join(format!("example_{i:06}.sigmf-meta")));
    }
    let model = common::repo_root().join("static");
    let mut args = vec![
        "classify".to_string(),
        "--model".into(),
        model.to_str().unwrap().into(),
        "--json".into(),
    ];
    args.extend(metas.iter().map(|m| m.to_str().unwrap().to_string()));
    let out = fipmae(&args);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{out}");
    for v in &lines {
        let f = v["carrier_offset"].as_f64().unwrap();
        // the generator's own offset (≤ 5·10⁻⁵) rides on top of the turn
        assert!(
            (f - shift).abs() < 2e-4,
            "removed {f}, turned by {shift}: {v}"
        );
        assert_eq!(v["best_class"], v["label"], "{v}");
    }
}

#[test]
fn a_calibrated_bundle_calls_out_of_set_recordings_unknown() {
    // `calibrate` on a copy of the shipped bundle writes calibration.json and names it in
    // bundle.json; `classify --json` then says "unknown" for 16QAM bursts at 18 dB (never
    // trained on) and keeps the verdicts on the classes it knows
    let tmpdir = common::Scratch::new();
    let bundle = tmpdir.path("bundle");
    std::fs::create_dir_all(&bundle).unwrap();
    for f in std::fs::read_dir(common::repo_root().join("static")).unwrap() {
        let f = f.unwrap();
        if f.file_type().unwrap().is_file() {
            std::fs::copy(f.path(), bundle.join(f.file_name())).unwrap();
        }
    }
    let b = bundle.to_str().unwrap();
    let said = fipmae(&[
        "calibrate",
        "--model",
        b,
        "--per-class",
        "6",
        "--snr-step",
        "2",
    ]);
    assert!(said.contains("calibration.json"), "{said}");
    let index = read_json(&bundle.join("bundle.json"));
    assert_eq!(index["calibration"], "calibration.json");
    let rule = read_json(&bundle.join("calibration.json"));
    assert_eq!(rule["calibration_bursts"].as_u64(), Some(6 * 10 * 16));
    assert_eq!(rule["thresholds"].as_array().unwrap().len(), 10);
    let (foreign, known) = (tmpdir.path("16qam"), tmpdir.path("known"));
    let (f, k) = (foreign.to_str().unwrap(), known.to_str().unwrap());
    let g = ["generate", "--snr-db", "18", "--count", "20", "--out"];
    fipmae(&[&g[..], &[f, "--out-of-set", "16QAM"]].concat());
    // the shipped model's generator: one parameter point per class, small offsets
    fipmae(
        &[
            &g[..],
            &[
                k,
                "--class-parameters",
                "fixed",
                "--max-freq-offset",
                "5e-5",
            ],
        ]
        .concat(),
    );
    let verdicts = |dir: &str| -> Vec<serde_json::Value> {
        let mut args = vec![
            "classify".to_string(),
            "--json".into(),
            "--model".into(),
            b.into(),
        ];
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "sigmf-meta") {
                args.push(p.to_str().unwrap().to_string());
            }
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        fipmae(&refs)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let unknown =
        |v: &[serde_json::Value]| v.iter().filter(|s| s["predicted"] == "unknown").count();
    let qam = verdicts(f);
    assert_eq!(qam.len(), 20);
    for s in &qam {
        assert!(s["score"].is_number() && s["best_class"].is_string(), "{s}");
        let best = s["best_class"].as_str().unwrap();
        assert_ne!(best, "unknown");
        assert!(s["probabilities"][best].is_number(), "{s}");
    }
    assert!(
        unknown(&qam) >= 15,
        "only {} of 20 16QAM bursts unknown",
        unknown(&qam)
    );
    let ours = verdicts(k);
    assert!(
        unknown(&ours) <= 2,
        "{} of 20 known bursts unknown",
        unknown(&ours)
    );
    assert!(ours
        .iter()
        .filter(|s| s["predicted"] != "unknown")
        .all(|s| s["predicted"] == s["label"]));
}

#[test]
fn eval_scores_the_shipped_bundle_as_shipped() {
    // the f16 bundle in static/ on a small test set of its own: each SNR's accuracy lies
    // within the sampling error of static/report.json's (which `eval --model static` wrote)
    let (_tmp, out, _) = scratch_out("static-eval");
    let bundle = common::repo_root().join("static");
    let text = fipmae(&eval_shipped(
        &out,
        "--per-class 8 --snr-min 0 --snr-max 20 --snr-step 10 --recon-per-class 1 --seed 77",
    ));
    assert!(text.contains("report in"), "{text}");
    let small = read_json(&out.join("report.json"));
    let shipped = read_json(&bundle.join("report.json"));
    let at = |r: &serde_json::Value, snr: f64| {
        r["per_snr"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["snr_db"].as_f64() == Some(snr))
            .map(|a| a["accuracy"].as_f64().unwrap())
            .unwrap()
    };
    for snr in [0.0, 10.0, 20.0] {
        let (p, got) = (at(&shipped, snr), at(&small, snr));
        let n = 80.0;
        let bound = 4.0 * (p * (1.0 - p) / n).sqrt() + 1.5 / n;
        assert!(
            (got - p).abs() <= bound,
            "{snr} dB: {got} on 80 bursts against the report's {p} (± {bound:.3})"
        );
    }
    // the autoencoder shipped in the bundle is measured too
    assert!(small["reconstruction"]["autoencoder"]
        .as_str()
        .unwrap()
        .ends_with("autoencoder.fipmae"));
    // the report the bundle ships is the bundle's own
    assert!(shipped["model"].as_str().unwrap().ends_with("static"));
}

#[test]
fn classify_renders_at_the_recordings_symbol_rate_when_told() {
    let tmpdir = common::Scratch::new();
    let s = |p: &std::path::Path| p.to_string_lossy().into_owned();
    let bundle = common::repo_root().join("static");
    let rec = tmpdir.path("sps16");
    // bursts at 16 samples per symbol, twice the shipped model's training rate
    fipmae(&[
        "generate",
        "--out",
        &s(&rec),
        "--count",
        "40",
        "--seed",
        "21",
        "--snr-db",
        "20",
        "--sps",
        "16",
        // the generator the shipped model was trained on
        "--class-parameters",
        "fixed",
        "--max-freq-offset",
        "5e-5",
    ]);
    let metas: Vec<String> = (0..40)
        .map(|i| s(&rec.join(format!("example_{i:06}.sigmf-meta"))))
        .collect();
    let correct = |extra: &[&str]| -> (usize, String) {
        let mut args = vec!["classify", "--model", bundle.to_str().unwrap(), "--json"];
        args.extend_from_slice(extra);
        args.extend(metas.iter().map(String::as_str));
        let out = fipmae(&args);
        // the closest class: the rendering rate is what is tested, not the open-set rule
        let n = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["label"] == v["best_class"])
            .count();
        (n, out)
    };
    let (told, told_out) = correct(&["--samples-per-symbol", "16"]);
    // the rule was fitted at 8 samples per symbol: at 16 (half the symbols per window)
    // more bursts look unfamiliar, most keep their verdict
    let unknown = told_out.matches("\"predicted\":\"unknown\"").count();
    assert!(
        unknown <= 14,
        "{unknown}/40 unknown at 16 samples per symbol"
    );
    let (untold, _) = correct(&[]);
    assert!(told >= 34, "{told}/40 right when told the rate");
    assert!(told > untold, "told {told}, not told {untold}");
    // the training rate itself changes nothing
    assert_eq!(correct(&["--samples-per-symbol", "8"]).1, correct(&[]).1);
    // and a rate of 0 is refused before anything is read
    let zero_rate = [
        "classify",
        "--model",
        &s(&bundle),
        "--samples-per-symbol",
        "0",
    ];
    let mut zero_rate: Vec<String> = zero_rate.iter().map(|a| a.to_string()).collect();
    zero_rate.push(metas[0].clone());
    fipmae_fails(&zero_rate, "samples-per-symbol");
}
