//! A seeded mutation fuzzer for every reader of outside bytes, on stable Rust (no fuzzing
//! engine): SigMF metadata, recordings, archives, raw `cf32` captures, weight files,
//! `bundle.json`, `run.json` (both kinds) and checkpoints.
//!
//! Each target starts from valid inputs made here, mutates them (bit flips, interesting
//! bytes, insertions, deletions, truncation, duplication, splices, extreme JSON numbers;
//! for enveloped formats half of the mutations are made to the body and re-sealed, so they
//! pass the checksum and reach the parser), and feeds them to the reader under
//! `catch_unwind`. A **finding** is a panic, or a recording read without error whose
//! rendered image holds a non-finite value. Errors are the expected outcome for most
//! inputs; they are counted, not reported. Inputs are capped at 4 MiB, so memory stays
//! bounded by the readers' own limits.
//!
//! `fipmae bench fuzz --seconds N` runs it for a while; the test suite runs a short,
//! deterministic pass.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use anyhow::Result;
use burn::backend::Flex;
use clap::Args;
use model::bundle::Bundle;
use model::config::{ClassifierConfig, FipMaeConfig, Preset};
use model::modality::{Modality, RenderConfig, Renderer};
use model::rng::Rng;
use model::sigmf::{
    encode_cf32_le, read_archive, write_archive, write_metadata, BurstAnnotation, Recording,
};
use model::weights::{
    autoencoder_from_bytes, autoencoder_to_bytes, classifier_from_bytes, classifier_to_bytes, seal,
    unseal, Precision,
};
use model::{DatasetSpec, SnrSpec};

/// Options of `fipmae bench fuzz`.
#[derive(Debug, Clone, Args)]
pub struct FuzzArgs {
    /// Seconds to spend, shared equally by the targets.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Seed of the mutations (the same seed and input count give the same inputs).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// What one target saw.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetReport {
    /// The reader.
    pub name: &'static str,
    /// Inputs tried.
    pub inputs: u64,
    /// Inputs the reader accepted.
    pub accepted: u64,
    /// Findings (panics, non-finite renderings), with what happened; at most 10 kept.
    pub findings: Vec<String>,
    /// Findings in all.
    pub finding_count: u64,
}

/// How to stop.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    /// This many inputs per target.
    Inputs(u64),
    /// This long per target.
    Time(Duration),
}

/// What a reader did with one input.
enum Outcome {
    Accepted,
    Refused,
    /// Accepted, but with a result that must never happen.
    Wrong(String),
}

type Reader = Box<dyn Fn(&[u8]) -> Outcome>;

/// One reader under test: its valid starting inputs, the envelope magic when the format
/// is sealed, and the reader.
struct Target {
    name: &'static str,
    seeds: Vec<Vec<u8>>,
    sealed: Option<&'static [u8; 8]>,
    read: Reader,
}

const MAX_INPUT: usize = 4 << 20;

/// Renders the first burst of an accepted recording and checks every pixel is finite.
fn render_check(renderer: &Renderer, rec: &Recording) -> Outcome {
    let n = renderer.config().num_samples;
    let Ok(segments) = model::segment::segments(rec, n) else {
        return Outcome::Accepted;
    };
    for m in [
        Modality::Constellation,
        Modality::Scalogram,
        Modality::Signal,
    ] {
        match renderer.render(m, &segments[0].samples[..n]) {
            Ok(img) if img.data.iter().any(|v| !v.is_finite()) => {
                return Outcome::Wrong(format!("{m:?} image holds a non-finite value"));
            }
            _ => {}
        }
    }
    Outcome::Accepted
}

fn of<E>(r: std::result::Result<(), E>) -> Outcome {
    match r {
        Ok(()) => Outcome::Accepted,
        Err(_) => Outcome::Refused,
    }
}

/// The targets, with valid seeds made from the project's own writers.
fn targets() -> Result<Vec<Target>> {
    let spec = DatasetSpec::new(7, SnrSpec::default());
    let render = RenderConfig::for_signal(&spec.signal, 32);
    let mut all = recording_targets(&spec, &render)?;
    all.extend(file_targets(&spec, &render)?);
    Ok(all)
}

/// The readers of recordings (SigMF metadata, pairs, archives, raw captures), seeded with
/// two of `spec`'s bursts; an accepted recording is rendered with `render`.
fn recording_targets(spec: &DatasetSpec, render: &RenderConfig) -> Result<Vec<Target>> {
    let n = render.num_samples;
    let renderer = std::rc::Rc::new(Renderer::new(render.clone())?);
    let bursts: Vec<BurstAnnotation> = (0..2u64)
        .map(|i| {
            let ex = spec.example(i);
            BurstAnnotation {
                sample_start: i * n as u64,
                sample_count: n as u64,
                label: spec.class_names()[ex.label].clone(),
                snr_db: Some(ex.snr_db),
                seed: 7,
                index: i,
            }
        })
        .collect();
    let samples: Vec<_> = (0..2).flat_map(|i| spec.example(i).noisy).collect();
    let meta = write_metadata(1e6, "fuzz", "standard", &bursts);
    let data = encode_cf32_le(&samples);
    let archive = write_archive("rec", &[("a", &meta, &data)]);

    let (r1, r2, r3) = (renderer.clone(), renderer.clone(), renderer);
    let meta_for_data = meta.clone();
    let data_for_meta = data.clone();
    Ok(vec![
        Target {
            name: "SigMF metadata",
            seeds: vec![meta.clone()],
            sealed: None,
            read: Box::new(|b| of(model::sigmf::parse_metadata(b).map(|_| ()))),
        },
        Target {
            name: "SigMF recording (metadata mutated)",
            seeds: vec![meta.clone()],
            sealed: None,
            read: Box::new(move |b| match Recording::from_bytes(b, &data_for_meta) {
                Ok(rec) => render_check(&r1, &rec),
                Err(_) => Outcome::Refused,
            }),
        },
        Target {
            name: "SigMF recording (data mutated)",
            seeds: vec![data.clone()],
            sealed: None,
            read: Box::new(move |b| match Recording::from_bytes(&meta_for_data, b) {
                Ok(rec) => render_check(&r2, &rec),
                Err(_) => Outcome::Refused,
            }),
        },
        Target {
            name: "SigMF archive",
            seeds: vec![archive],
            sealed: None,
            read: Box::new(|b| of(read_archive(b).map(|_| ()))),
        },
        Target {
            name: "raw cf32 capture",
            seeds: vec![data],
            sealed: None,
            read: Box::new(move |b| match Recording::from_raw_cf32(b) {
                Ok(rec) => render_check(&r3, &rec),
                Err(_) => Outcome::Refused,
            }),
        },
    ])
}

/// The readers of the project's own files: weights, the RadioML 2016 pickle, `bundle.json`,
/// `run.json` (both kinds) and checkpoints.
fn file_targets(spec: &DatasetSpec, render: &RenderConfig) -> Result<Vec<Target>> {
    let device = Default::default();
    let mae_config = FipMaeConfig::preset(Preset::Tiny);
    let mae = mae_config.init::<Flex>(&device)?;
    let cls = ClassifierConfig::new(mae_config, 10).init::<Flex>(&device)?;
    let weights = vec![
        classifier_to_bytes(&cls, Precision::Half),
        autoencoder_to_bytes(&mae, Precision::Half),
    ];
    let bundle = serde_json::to_vec(&Bundle {
        calibration: None,
        classes: spec.class_names(),
        signal: spec.signal.clone(),
        render: render.clone(),
        classifier: "classifier.fipmae".into(),
        autoencoder: Some("autoencoder.fipmae".into()),
        report: None,
        half_precision: true,
    })?;
    let pre_args: crate::pretrain::PretrainArgs =
        crate::args_from(&["--preset", "tiny", "--out", "unused"])?;
    let ft_args: crate::finetune::FinetuneArgs =
        crate::args_from(&["--method", "vit", "--preset", "tiny", "--out", "unused"])?;
    let runs = vec![
        serde_json::to_vec_pretty(&pre_args.run_config()?)?,
        serde_json::to_vec_pretty(&ft_args.run_config()?.0)?,
    ];
    let checkpoint =
        crate::training::checkpoint::encode(&crate::training::checkpoint::Checkpoint {
            epochs_done: 2,
            step: 10,
            run_hash: Some(99),
            model: vec![1; 64],
            optim: vec![2; 32],
        });

    Ok(vec![
        Target {
            name: "weight file",
            seeds: weights,
            sealed: Some(model::weights::MAGIC),
            read: Box::new(move |b| {
                let device = Default::default();
                let a = classifier_from_bytes::<Flex>(b, None, &device).map(|_| ());
                let b = autoencoder_from_bytes::<Flex>(b, None, &device).map(|_| ());
                of(a.or(b))
            }),
        },
        Target {
            name: "RadioML 2016 pickle",
            seeds: vec![
                include_bytes!("../../../tests/radioml/rml2016_py2.pkl").to_vec(),
                include_bytes!("../../../tests/radioml/rml2016_py3.pkl").to_vec(),
            ],
            sealed: None,
            read: Box::new(|b| of(datasets::import::parse_radioml2016(b).map(|_| ()))),
        },
        Target {
            name: "bundle.json",
            seeds: vec![bundle],
            sealed: None,
            read: Box::new(|b| of(Bundle::from_json(b).map(|_| ()))),
        },
        Target {
            name: "run.json (pretrain, finetune)",
            seeds: runs,
            sealed: None,
            read: Box::new(|b| {
                let pre = serde_json::from_slice::<crate::pretrain::PretrainRun>(b)
                    .map_err(anyhow::Error::from)
                    .and_then(|r| r.validate());
                let ft = serde_json::from_slice::<crate::finetune::FinetuneRun>(b)
                    .map_err(anyhow::Error::from)
                    .and_then(|r| r.validate());
                of(pre.or(ft))
            }),
        },
        Target {
            name: "checkpoint",
            seeds: vec![checkpoint],
            sealed: Some(b"FIPCKPT2"),
            read: Box::new(|b| {
                of(
                    crate::training::checkpoint::decode(b, std::path::Path::new("fuzz"))
                        .map(|_| ()),
                )
            }),
        },
    ])
}

/// Numbers that break careless parsers, for JSON inputs.
const EXTREME_NUMBERS: [&str; 10] = [
    "0",
    "-1",
    "1e308",
    "-1e308",
    "1e-320",
    "18446744073709551615",
    "4294967296",
    "1000000000",
    "3.4e38",
    "0.5",
];

/// One mutation of `input` (with `other`, another seed, for splices).
fn mutate(r: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    let rounds = 1 + r.below(4);
    for _ in 0..rounds {
        let len = v.len();
        match r.below(9) {
            0 if len > 0 => {
                let i = r.below(len);
                v[i] ^= 1 << r.below(8);
            }
            1 if len > 0 => {
                let i = r.below(len);
                v[i] = [0u8, 0xFF, 0x7F, 0x80, b'"', b'-', b'9', b'{'][r.below(8)];
            }
            2 => {
                let i = r.below(len + 1);
                let k = 1 + r.below(16);
                let bytes: Vec<u8> = (0..k).map(|_| r.below(256) as u8).collect();
                v.splice(i..i, bytes);
            }
            3 if len > 0 => {
                let i = r.below(len);
                let k = (1 + r.below(64)).min(len - i);
                v.drain(i..i + k);
            }
            4 if len > 0 => v.truncate(r.below(len)),
            5 if len > 0 => {
                let i = r.below(len);
                let k = (1 + r.below(256)).min(len - i);
                let chunk = v[i..i + k].to_vec();
                let at = r.below(len + 1);
                v.splice(at..at, chunk);
            }
            6 if !other.is_empty() => {
                let at = r.below(len + 1);
                let from = r.below(other.len());
                let k = (1 + r.below(512)).min(other.len() - from);
                v.splice(at..len.min(at + k), other[from..from + k].iter().copied());
            }
            _ => {
                // replace a run of digits (a JSON number) with an extreme one
                let starts: Vec<usize> = (0..len)
                    .filter(|&i| v[i].is_ascii_digit() && (i == 0 || !v[i - 1].is_ascii_digit()))
                    .collect();
                if starts.is_empty() {
                    continue;
                }
                let s = starts[r.below(starts.len())];
                let e = (s..len).find(|&i| !v[i].is_ascii_digit()).unwrap_or(len);
                let n = EXTREME_NUMBERS[r.below(EXTREME_NUMBERS.len())];
                v.splice(s..e, n.bytes());
            }
        }
    }
    v.truncate(MAX_INPUT);
    v
}

/// Runs every target for `budget`, seeded by `seed`.
pub fn run(seed: u64, budget: Budget) -> Result<Vec<TargetReport>> {
    let targets = targets()?;
    // panics are expected findings here: keep them off the terminal while fuzzing
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut reports = Vec::with_capacity(targets.len());
    for (k, t) in targets.iter().enumerate() {
        let mut r = Rng::from_seed(seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut rep = TargetReport {
            name: t.name,
            inputs: 0,
            accepted: 0,
            findings: Vec::new(),
            finding_count: 0,
        };
        let started = Instant::now();
        loop {
            match budget {
                Budget::Inputs(n) if rep.inputs >= n => break,
                Budget::Time(d) if started.elapsed() >= d => break,
                _ => {}
            }
            let seed_input = &t.seeds[r.below(t.seeds.len())];
            let other = &t.seeds[r.below(t.seeds.len())];
            let input = match t.sealed {
                Some(magic) if r.below(2) == 0 => {
                    let body = unseal(magic, seed_input).unwrap_or_default();
                    seal(magic, &mutate(&mut r, body, other))
                }
                _ => mutate(&mut r, seed_input, other),
            };
            rep.inputs += 1;
            let what = match catch_unwind(AssertUnwindSafe(|| (t.read)(&input))) {
                Ok(Outcome::Accepted) => {
                    rep.accepted += 1;
                    None
                }
                Ok(Outcome::Refused) => None,
                Ok(Outcome::Wrong(why)) => Some(why),
                Err(p) => Some(format!(
                    "panic: {}",
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                )),
            };
            if let Some(why) = what {
                rep.finding_count += 1;
                if rep.findings.len() < 10 {
                    rep.findings.push(format!(
                        "input {} ({} bytes): {why}",
                        rep.inputs,
                        input.len()
                    ));
                }
            }
        }
        reports.push(rep);
    }
    std::panic::set_hook(hook);
    Ok(reports)
}

/// Runs `fipmae bench fuzz` and prints the table; fails when anything was found.
pub fn main(args: &FuzzArgs) -> Result<()> {
    let per_target = Duration::from_secs_f64(args.seconds as f64 / 9.0);
    let reports = run(args.seed, Budget::Time(per_target))?;
    println!("| reader | inputs | accepted | findings |");
    println!("|---|---|---|---|");
    for r in &reports {
        println!(
            "| {} | {} | {} | {} |",
            r.name, r.inputs, r.accepted, r.finding_count
        );
    }
    let found: Vec<String> = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| format!("{}: {f}", r.name)))
        .collect();
    if !found.is_empty() {
        anyhow::bail!("the fuzzer found:\n{}", found.join("\n"));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_seeded_and_change_the_input() {
        let input = br#"{"a": 12, "b": [1, 2, 3]}"#;
        let mut a = Rng::from_seed(5);
        let mut b = Rng::from_seed(5);
        let x: Vec<Vec<u8>> = (0..50).map(|_| mutate(&mut a, input, b"xyz")).collect();
        let y: Vec<Vec<u8>> = (0..50).map(|_| mutate(&mut b, input, b"xyz")).collect();
        assert_eq!(x, y);
        assert!(x.iter().filter(|m| m.as_slice() != input).count() > 40);
    }
}
