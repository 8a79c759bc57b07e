#!/usr/bin/env bash
# Builds the page with trunk into web/dist (the shipped weights in static/ are copied to
# web/dist/static). Installs the wasm target, wasm-bindgen-cli and trunk when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_wasm_target
ensure_wasm_bindgen
ensure_trunk
# trunk builds offline (web/Trunk.toml): fetch the locked crates first
cargo fetch --locked -q
(cd web && trunk build --release)
wasm=$(ls web/dist/*_bg.wasm)
echo "built web/dist: $(du -b "$wasm" | awk '{printf "%.1f MB", $1/1e6}') of wasm ($(basename "$wasm"))"
