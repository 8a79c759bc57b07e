#!/usr/bin/env bash
# The project's test command (README, .ci/run). On a fresh machine with only the Rust
# toolchain it installs what is missing, then: builds the web crate for wasm32, checks
# that the `cuda` and `wgpu` trainer backends compile, and runs every native test in
# release mode. Ends with one line: "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# One target directory outside the clone, shared by every build, so a rerun is warm.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
started=$(date +%s)
step() { echo "== $* (+$(( $(date +%s) - started )) s)"; }

step "toolchain"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

step "web: wasm32 release build"
cargo build --release --locked -p fipmae-web --target wasm32-unknown-unknown

step "trainer: the cuda and wgpu backends compile"
cargo check --release --locked -p fipmae-trainer --features cuda
cargo check --release --locked -p fipmae-trainer --features wgpu

step "native tests (release)"
log=$(mktemp)
set +e
cargo test --release --locked --workspace --exclude fipmae-web 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
rm -f "$log"
step "done"
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
