//! Helpers shared by the trainer's integration tests.

use std::path::{Path, PathBuf};

use trainer::flags::RunFlags;

/// One test's scratch folder: a fresh temporary directory, removed with everything in it
/// when the value is dropped (also when the test fails).
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    /// A new, empty scratch folder.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(
            tempfile::Builder::new()
                .prefix("fipmae-test-")
                .tempdir()
                .expect("a temporary folder"),
        )
    }

    /// The path `name` inside the folder (not created).
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

/// The repository's root folder, from cargo's `CARGO_MANIFEST_DIR` at run time: the
/// checkout being tested, even when the test binary was built from another checkout into
/// a shared target folder (cargo may then find it fresh, and the path built in would be
/// that other checkout's).
#[allow(dead_code)]
pub fn repo_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("..")
}

/// A tiny pretraining's flags (no subcommand, no `--out`): the tiny preset, 64 examples per
/// epoch and 16 for validation, one epoch, batches of 16, seed 1, one thread.
const TINY_PRETRAIN: [(&str, &str); 7] = [
    ("--preset", "tiny"),
    ("--examples", "64"),
    ("--val-examples", "16"),
    ("--epochs", "1"),
    ("--batch-size", "16"),
    ("--seed", "1"),
    ("--threads", "1"),
];

/// A tiny fine-tuning's labels and schedule (no method, no subcommand, no `--out`): 4 labels
/// and 2 validation examples per class, one epoch, batches of 8.
const TINY_LABELS: [(&str, &str); 4] = [
    ("--labels-per-class", "4"),
    ("--val-per-class", "2"),
    ("--epochs", "1"),
    ("--batch-size", "8"),
];

/// A tiny fine-tuning from scratch on top of [`TINY_LABELS`]: a ViT on the tiny preset, a
/// peak learning rate of 1e-3, seed 1, one thread.
const TINY_VIT: [(&str, &str); 5] = [
    ("--method", "vit"),
    ("--preset", "tiny"),
    ("--lr", "1e-3"),
    ("--seed", "1"),
    ("--threads", "1"),
];

/// `base` with each flag of `set` given its value there, or added when `base` lacks it.
fn flags(base: &[(&str, &str)], set: &[(&str, &str)]) -> Vec<String> {
    let mut pairs: Vec<(&str, &str)> = base.to_vec();
    for &(flag, value) in set {
        match pairs.iter_mut().find(|(f, _)| *f == flag) {
            Some(pair) => pair.1 = value,
            None => pairs.push((flag, value)),
        }
    }
    pairs
        .into_iter()
        .flat_map(|(f, v)| [f.to_string(), v.to_string()])
        .collect()
}

/// The flags of a tiny pretraining ([`TINY_PRETRAIN`]) with `set` changed or added:
/// `tiny_pretrain(&[("--epochs", "4")])`.
#[allow(dead_code)]
pub fn tiny_pretrain(set: &[(&str, &str)]) -> Vec<String> {
    flags(&TINY_PRETRAIN, set)
}

/// The flags of a tiny fine-tuning from scratch ([`TINY_LABELS`] and [`TINY_VIT`]) with
/// `set` changed or added.
#[allow(dead_code)]
pub fn tiny_vit(set: &[(&str, &str)]) -> Vec<String> {
    flags(&[&TINY_LABELS[..], &TINY_VIT[..]].concat(), set)
}

/// The flags of a tiny fine-tuning's labels and schedule ([`TINY_LABELS`]) with `set`
/// changed or added: the method, its source and the rest come from `set`.
#[allow(dead_code)]
pub fn tiny_labels(set: &[(&str, &str)]) -> Vec<String> {
    flags(&TINY_LABELS, set)
}

/// A subcommand's options for `flags` and `--out out` (every other at its default).
#[allow(dead_code)]
pub fn parse<A: clap::Args>(flags: &[String], out: &Path) -> A {
    let out = out.to_string_lossy();
    let mut all: Vec<&str> = flags.iter().map(String::as_str).collect();
    all.extend(["--out", &out]);
    trainer::args_from(&all).expect("valid flags")
}

/// A training command's options, as the shared fixtures drive them.
#[allow(dead_code)]
pub trait Training {
    /// The run folder, seed, resume and stop flags.
    fn flags(&mut self) -> &mut RunFlags;
    /// Runs the command.
    fn train(&self) -> anyhow::Result<()>;
}

impl Training for trainer::pretrain::PretrainArgs {
    fn flags(&mut self) -> &mut RunFlags {
        &mut self.run
    }
    fn train(&self) -> anyhow::Result<()> {
        trainer::pretrain::run(self).map(|_| ())
    }
}

impl Training for trainer::finetune::FinetuneArgs {
    fn flags(&mut self) -> &mut RunFlags {
        &mut self.run
    }
    fn train(&self) -> anyhow::Result<()> {
        trainer::finetune::run(self).map(|_| ())
    }
}

/// What a resume must refuse, for `pretrain` and `finetune` alike. `args(dir)` are a run's
/// options into `dir`; the first epoch of a run with seed `seeds.0` is trained into `mine`,
/// and with `seeds.1` into `other`. The other run's checkpoint (same shapes) copied into
/// `mine` is refused as another run's; then each `(from, to, needles)` edit of the other
/// run's `run.json` is refused on resume with an error holding every needle.
#[allow(dead_code)]
pub fn resume_refusals<A: Training>(
    mine: &Path,
    other: &Path,
    seeds: (u64, u64),
    args: impl Fn(&Path) -> A,
    edits: &[(&str, &str, &[&str])],
) -> anyhow::Result<()> {
    for (dir, seed) in [(mine, seeds.0), (other, seeds.1)] {
        let mut a = args(dir);
        a.flags().seed = seed;
        a.flags().stop_after = Some(1);
        a.train()?;
    }
    let resume = |dir: &Path| {
        let mut a = args(dir);
        a.flags().resume = true;
        a.train().map_err(|e| format!("{e:#}"))
    };
    std::fs::copy(other.join("checkpoint.bin"), mine.join("checkpoint.bin"))?;
    let err = resume(mine).expect_err("a foreign checkpoint resumed");
    assert!(err.contains("another run"), "{err}");
    let run_json = other.join("run.json");
    let text = std::fs::read_to_string(&run_json)?;
    for &(from, to, needles) in edits {
        assert!(text.contains(from), "run.json has no `{from}`:\n{text}");
        std::fs::write(&run_json, text.replace(from, to))?;
        let err = resume(other).expect_err("an edited run.json resumed");
        for needle in needles {
            assert!(err.contains(needle), "`{from}` → `{to}`: {err}");
        }
    }
    Ok(())
}
