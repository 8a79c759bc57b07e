#!/usr/bin/env bash
# The browser tests of `web` (web/tests/browser.rs): wasm-bindgen-test in headless Chromium
# with WebGPU switched on (--enable-unsafe-webgpu: SwiftShader, no GPU needed), through
# chromedriver. Installs the wasm target, wasm-bindgen-cli and Chromium when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_wasm_target
ensure_wasm_bindgen
ensure_chromium
# FIPMAE_EXPECT_WEBGPU=1: the WebGPU tests fail instead of falling back when Chromium
# offers no adapter (set FIPMAE_EXPECT_WEBGPU=0 where WebGPU is known to be missing).
export FIPMAE_EXPECT_WEBGPU="${FIPMAE_EXPECT_WEBGPU:-1}"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-600}"
cargo test --release --locked -p fipmae-web --target wasm32-unknown-unknown
