#!/usr/bin/env bash
# Loads the wasm32 build of `web` in headless Chromium (Debian's package) from a local
# static server and checks that the page ran the model crate and Burn's CPU backend.
# Installs wasm-bindgen-cli (the version Cargo.lock pins) and Chromium when missing.
# Needs the wasm32 release build of fipmae-web first (scripts/test.sh does it).
# Prints "browser: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}"

want=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
  # without --locked: the tool's own lock file names an entry the registry lacks
  cargo install -q wasm-bindgen-cli --version "=$want"
fi
if ! command -v chromium >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/fipmae-web.wasm"
[ -f "$wasm" ] || { echo "missing $wasm: build fipmae-web for wasm32 first"; exit 1; }
site=$(mktemp -d)
profile=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$site" "$profile"; }
trap cleanup EXIT

wasm-bindgen --target web --no-typescript --out-dir "$site" --out-name app "$wasm"
cat > "$site/index.html" <<'HTML'
<!doctype html>
<html><head><meta charset="utf-8"><title>fipmae smoke</title></head>
<body><script type="module">import init from './app.js'; init();</script></body></html>
HTML
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$site" >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break; sleep 0.1; done

dom=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --disable-quic \
  --user-data-dir="$profile" --virtual-time-budget=20000 --dump-dom "http://127.0.0.1:$port/" 2>/dev/null || true)
summary=$(printf '%s' "$dom" | grep -o '<p id="burst-summary">[^<]*' | sed 's/.*>//' || true)
if printf '%s' "$summary" | grep -q 'constellation tensor \[1, 3, 32, 32\] on the CPU backend'; then
  echo "page says: $summary"
  echo "browser: 1 passed, 0 failed"
else
  echo "the page did not show the burst summary; its DOM was:"
  printf '%s\n' "$dom" | head -c 2000
  echo "browser: 0 passed, 1 failed"
  exit 1
fi
