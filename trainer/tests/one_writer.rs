//! One writer per run folder: `pretrain` processes on the same `--out` while another writes
//! there are refused at once, naming the folder (a new run and `--resume` alike); readers
//! of the folder (`finetune --pretrained`) keep working.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A tiny pretraining into `out` that lasts a few seconds (`epochs` epochs of 128 examples).
fn pretrain(out: &Path, epochs: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fipmae"));
    c.arg("pretrain")
        .args(common::tiny_pretrain(&[
            ("--examples", "128"),
            ("--epochs", epochs),
        ]))
        .arg("--out")
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// A child process that is killed if the test ends before it does.
struct Running(Option<Child>);

impl Running {
    fn start(mut c: Command) -> Self {
        Self(Some(c.spawn().unwrap()))
    }

    fn id(&self) -> u32 {
        self.0.as_ref().unwrap().id()
    }

    fn finished(&mut self) -> bool {
        self.0.as_mut().unwrap().try_wait().unwrap().is_some()
    }

    fn wait(mut self) -> Output {
        self.0.take().unwrap().wait_with_output().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Waits until `path` exists (or `first` has ended); whether it exists.
fn wait_for(path: &Path, first: &mut Running) -> bool {
    let started = Instant::now();
    while !path.exists() && !first.finished() && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    path.exists()
}

#[test]
fn a_second_writer_is_refused_while_the_first_runs_and_readers_are_not() {
    let tmp = common::Scratch::new();
    let out = tmp.path("run");
    let mut first = Running::start(pretrain(&out, "20"));
    // the lock is taken before run.json is written and held until the process ends
    assert!(wait_for(&out.join("run.json"), &mut first), "no run.json");
    let run_json = std::fs::read(out.join("run.json")).unwrap();

    let resumed = pretrain(&out, "20").arg("--resume").output().unwrap();
    let was_running = !first.finished();
    assert!(!resumed.status.success());
    let err = stderr(&resumed);
    assert!(err.contains(&format!("`{}`", out.display())), "{err}");
    if was_running {
        assert!(err.contains("is in use"), "{err}");
        assert!(err.contains(&format!("pid {}", first.id())), "{err}");
    }
    let again = pretrain(&out, "20").output().unwrap();
    assert!(!again.status.success());
    assert!(stderr(&again).contains(&format!("`{}`", out.display())));

    // a reader takes no lock: fine-tuning from the folder works while it is written
    assert!(wait_for(&out.join("model.fipmae"), &mut first));
    let ft = tmp.path("ft");
    let read = Command::new(env!("CARGO_BIN_EXE_fipmae"))
        .args(["finetune", "--pretrained"])
        .arg(&out)
        .args(["--labels-per-class", "1", "--val-per-class", "1"])
        .args([
            "--epochs",
            "1",
            "--batch-size",
            "10",
            "--threads",
            "1",
            "--out",
        ])
        .arg(&ft)
        .output()
        .unwrap();
    assert!(read.status.success(), "{}", stderr(&read));

    let done = first.wait();
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(
        was_running,
        "the first run ended before the second started: nothing was tested"
    );
    // the refused processes changed nothing: one run, every epoch once
    assert_eq!(std::fs::read(out.join("run.json")).unwrap(), run_json);
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    assert_eq!(metrics.lines().count(), 20, "{metrics}");
}

#[test]
fn of_two_runs_started_at_once_on_one_folder_one_trains_and_the_other_is_refused() {
    let tmp = common::Scratch::new();
    let out = tmp.path("run");
    let a = Running::start(pretrain(&out, "4"));
    let b = Running::start(pretrain(&out, "4"));
    let (a, b) = (a.wait(), b.wait());
    let (won, lost) = match (a.status.success(), b.status.success()) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => panic!(
            "exactly one of two runs must train:\n{}\n{}",
            stderr(&a),
            stderr(&b)
        ),
    };
    let err = stderr(&lost);
    assert!(err.contains(&format!("`{}`", out.display())), "{err}");
    assert!(
        err.contains("is in use") || err.contains("already holds a run"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&won.stdout).contains("pretrained 4 epochs"));
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    assert_eq!(metrics.lines().count(), 4, "{metrics}");
}
