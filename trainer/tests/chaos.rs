//! Chaos: `pretrain` and `finetune` processes killed with SIGKILL at arbitrary moments
//! (during a step, during a checkpoint or weights write) and continued with `--resume`
//! always end with the weights and metrics of an uninterrupted run.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fipmae() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fipmae"));
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    c
}

/// Runs `fipmae args` to the end; panics with its stderr on failure.
fn finish(args: &[String]) {
    let out = fipmae().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "fipmae {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts `fipmae args` and kills it (SIGKILL) after `delay`, unless it ends first.
/// Returns whether it ended by itself, successfully.
fn kill_after(args: &[String], delay: Duration) -> bool {
    let mut child = fipmae().args(args).spawn().unwrap();
    let started = Instant::now();
    while started.elapsed() < delay {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            assert!(status.success(), "fipmae {args:?} failed:\n{err}");
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// A small deterministic generator for the kill delays (xorshift).
struct Delays(u64);

impl Delays {
    fn next(&mut self, max_ms: u64) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        Duration::from_millis(1 + self.0 % max_ms.max(1))
    }
}

/// Metrics lines without the measured speed (the only field allowed to differ).
fn metrics(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if let Some(o) = v.as_object_mut() {
                o.remove("examples_per_s");
            }
            v
        })
        .collect()
}

/// Kills runs of `args` (+ `--out dir`) at seeded random moments, resuming each time,
/// until one finishes; then compares with an uninterrupted run. Returns the most kills an
/// attempt survived.
fn chaos(args: &[String], weights: &str, seed: u64, tmp: &common::Scratch) -> usize {
    let with_out = |dir: &PathBuf, resume: bool| -> Vec<String> {
        let mut v: Vec<String> = args.to_vec();
        v.extend(["--out".into(), dir.to_string_lossy().to_string()]);
        if resume {
            v.push("--resume".into());
        }
        v
    };
    let whole = tmp.path("whole");
    let t = Instant::now();
    finish(&with_out(&whole, false));
    let span = t.elapsed().as_millis() as u64;

    let chaos = tmp.path("chaos");
    let mut delays = Delays(seed);
    // attempts from scratch until one was killed at least 3 times on its way (timing
    // decides how many kills land); every finished attempt must match
    let mut most = 0;
    for attempt in 0..10 {
        let _ = std::fs::remove_dir_all(&chaos);
        let mut kills = 0;
        let mut started = false;
        loop {
            // a first start killed before it wrote run.json starts afresh
            let resume = started && chaos.join("run.json").exists();
            if !resume {
                let _ = std::fs::remove_dir_all(&chaos);
            }
            started = true;
            // delays up to half a run: most attempts die, but one that lives longer than
            // an epoch makes progress, so the run ends
            if kill_after(&with_out(&chaos, resume), delays.next(span / 2)) {
                break;
            }
            kills += 1;
            assert!(kills < 200, "never finished");
        }
        assert_eq!(
            metrics(&whole),
            metrics(&chaos),
            "metrics differ after {kills} kills (attempt {attempt})"
        );
        assert_eq!(
            std::fs::read(whole.join(weights)).unwrap(),
            std::fs::read(chaos.join(weights)).unwrap(),
            "weights differ after {kills} kills (attempt {attempt})"
        );
        most = most.max(kills);
        if most >= 3 {
            break;
        }
    }
    assert!(
        most >= 3,
        "no attempt was killed 3 times: the test proved little"
    );
    most
}

#[test]
fn killed_runs_resume_to_the_same_end() {
    let tmp = common::Scratch::new();
    let mut pretrain = vec!["pretrain".to_string()];
    pretrain.extend(common::tiny_pretrain(&[("--epochs", "4"), ("--seed", "2")]));
    let kills = chaos(&pretrain, "model.fipmae", 0x9E37_79B9, &tmp);
    eprintln!("pretrain: {kills} kills");

    let tmp = common::Scratch::new();
    let mut finetune = vec!["finetune".to_string()];
    let set = [
        ("--labels-per-class", "6"),
        ("--epochs", "4"),
        ("--seed", "3"),
    ];
    finetune.extend(common::tiny_vit(&set));
    let kills = chaos(&finetune, "classifier.fipmae", 0x85EB_CA6B, &tmp);
    eprintln!("finetune: {kills} kills");
}
