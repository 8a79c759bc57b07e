#!/usr/bin/env bash
# Installs, when missing, what the browser build and tests need on a fresh machine that has
# only the Rust toolchain, Python and npm: the wasm32 target, wasm-bindgen-cli at the
# version Cargo.lock pins, trunk 0.21.14, and Debian's chromium + chromium-driver.
# Source it, then call the ensure_* functions you need.

fipmae_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One target directory outside the clone, shared by every build, so a rerun is warm.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}"

# parse_options SCRIPT "NAME..." "$@": each `--NAME VALUE` pair whose NAME is in the list
# sets the shell variable NAME to VALUE; anything else stops with an error naming SCRIPT.
parse_options() {
  local script="$1" allowed=" $2 " name
  shift 2
  while [ $# -gt 0 ]; do
    name="${1#--}"
    if [ "$name" = "$1" ] || [[ "$allowed" != *" $name "* ]] || [ $# -lt 2 ]; then
      echo "$script: unknown option or missing value: $1 (options:${allowed% })" >&2
      exit 2
    fi
    printf -v "$name" '%s' "$2"
    shift 2
  done
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_wasm_bindgen() {
  local want
  want=$(grep -A1 '^name = "wasm-bindgen"$' "$fipmae_root/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    # without --locked: the tool's own lock file names an entry the registry lacks
    echo "installing wasm-bindgen-cli $want (a few minutes, once)"
    cargo install -q wasm-bindgen-cli --version "=$want"
  fi
}

ensure_trunk() {
  if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "0.21.14" ]; then
    # 0.22 needs a newer rustc than this toolchain
    echo "installing trunk 0.21.14 (about 8 minutes, once)"
    cargo install -q --locked trunk --version 0.21.14
  fi
}

# The test command's Python venv ($FIPMAE_VENV, default /var/tmp/fipmae-venv): the reference
# `sigmf` package (it brings numpy, which scripts/independent_bursts.py needs). Prints the
# venv's folder.
ensure_py_venv() {
  ensure_venv "${FIPMAE_VENV:-/var/tmp/fipmae-venv}" "sigmf, numpy" sigmf numpy
}

# PyTorch for the CPU benchmarks only (bench/torch_twin.py), in its own venv
# ($FIPMAE_TORCH_VENV, default /var/tmp/fipmae-torch-venv; the index serves the CUDA build,
# ~5 GB, which runs on the CPU). Prints the venv's folder. Never used by the test command.
ensure_torch_venv() {
  ensure_venv "${FIPMAE_TORCH_VENV:-/var/tmp/fipmae-torch-venv}" "torch" torch numpy
}

# A Python venv at $1 in which `import $2` works, made with pip packages $3... when it does
# not. Prints the venv's folder.
ensure_venv() {
  local venv="$1" imports="$2"
  shift 2
  if ! "$venv/bin/python" -c "import $imports" 2>/dev/null; then
    echo "installing $* into $venv" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q "$@" >&2
  fi
  echo "$venv"
}

ensure_chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
}

# Chromium flags for a machine with no display, no sandbox and a closed network.
chromium_flags=(--headless --no-sandbox --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --disable-quic)
