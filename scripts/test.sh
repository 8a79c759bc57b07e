#!/usr/bin/env bash
# The project's test command (README, .ci/run). On a fresh machine with only the Rust
# toolchain it installs what is missing (scripts/tools.sh), then: builds the web crate for
# wasm32, checks that the `cuda` trainer backend compiles, runs clippy, runs every native
# test in release mode, runs the `wgpu` backend's tests on lavapipe (scripts/wgpu_tests.sh),
# runs `import radioml2018` on HDF5 files (scripts/hdf5_tests.sh, Debian's libhdf5),
# runs the browser tests in headless Chromium
# (scripts/browser_tests.sh), builds the page with trunk and checks that the served page
# reaches "ready" (scripts/build_web.sh, scripts/e2e.sh), has the reference Python
# `sigmf` package validate generated recordings, checks the shipped model on the
# independent bursts (scripts/independent_check.sh), dry-runs the one-call GPU training
# script on the CPU with tiny counts (scripts/gpu_train.sh, GPU_TRAIN_DRY=1), and checks
# that every path the README names as a number table's source exists
# (scripts/readme_sources.py). Ends with one line:
# "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# One target directory outside the clone, shared by every build, so a rerun is warm.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
started=$(date +%s)
step() { echo "== $* (+$(( $(date +%s) - started )) s)"; }

step "toolchain"
source scripts/tools.sh
ensure_wasm_target

step "web: wasm32 release build"
cargo build --release --locked -p fipmae-web --target wasm32-unknown-unknown

step "trainer: the cuda backend compiles (the wgpu one is built and run below)"
cargo check --release --locked -p trainer --features cuda

step "lints: clippy, warnings are errors"
cargo clippy --release --locked --workspace --exclude fipmae-web --all-targets -- -D warnings
cargo clippy --release --locked --target wasm32-unknown-unknown -p fipmae-web --all-targets -- -D warnings

log=$(mktemp)
status=0
# Runs "$@" with its output shown and appended to the log; a failure is remembered (the
# first one's status is the command's) and the later steps still run.
logged() {
  set +e
  "$@" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  if [ "$status" -eq 0 ]; then status=$rc; fi
}

sigmf_check() (
  set -e
  out=$(mktemp -d)
  cargo run --release --locked -q -p trainer -- generate --out "$out" --count 20 --seed 1
  venv=$(ensure_py_venv)
  "$venv/bin/python" scripts/validate_sigmf.py "$out" 20
  rm -rf "$out"
)

page_check() (
  set -e
  bash scripts/build_web.sh
  bash scripts/e2e.sh
)

# One check: the script's own lines name no counts, this adds them.
readme_check() {
  if python3 scripts/readme_sources.py; then
    echo "readme sources: 1 passed, 0 failed"
  else
    echo "readme sources: 0 passed, 1 failed"
    return 1
  fi
}

# The one-call GPU training script's steps on the CPU binary with tiny counts; it checks
# its files and the device tool's limits (8 files, 16 MiB each). Prints one count line.
gpu_train_dry() {
  if cargo build --release --locked -q -p trainer && GPU_TRAIN_DRY=1 bash scripts/gpu_train.sh; then
    echo "gpu_train dry run: 1 passed, 0 failed"
  else
    echo "gpu_train dry run: 0 passed, 1 failed"
    return 1
  fi
}

step "native tests (release)"
logged cargo test --release --locked --workspace --exclude fipmae-web

step "browser tests (wasm-bindgen-test, headless Chromium, CPU and WebGPU)"
logged bash scripts/browser_tests.sh

step "wgpu backend on a software Vulkan device (lavapipe) against the CPU"
logged bash scripts/wgpu_tests.sh

step "RadioML 2018 import on HDF5 files (libhdf5)"
logged bash scripts/hdf5_tests.sh

step "end to end: the trunk-built page served on localhost reaches ready"
logged page_check

step "SigMF output checked by the reference Python package"
logged sigmf_check

step "independent bursts (scripts/independent_bursts.py, numpy) judged by the shipped model"
logged bash scripts/independent_check.sh

step "GPU training call, dry run on the CPU (scripts/gpu_train.sh with GPU_TRAIN_DRY=1)"
logged gpu_train_dry

step "README: the sources named for its number tables exist (scripts/readme_sources.py)"
logged readme_check

passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
rm -f "$log"
# A build failure or crash counts as a failure even when no test reported one.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
step "done"
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
