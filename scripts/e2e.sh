#!/usr/bin/env bash
# End-to-end check of the trunk-built page: serves web/dist on localhost, opens it in
# headless Chromium (Debian's), and checks that the page loaded the shipped bundle, ran its
# warm-up inference and says "ready". Prints the page's own timings.
# FIPMAE_E2E_WEBGPU=1 also opens it with WebGPU switched on (SwiftShader).
# Needs scripts/build_web.sh first (scripts/test.sh runs it). Prints "e2e: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_chromium
[ -f web/dist/index.html ] || { echo "web/dist is missing: run scripts/build_web.sh"; exit 1; }
profile=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$profile"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory web/dist >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break; sleep 0.1; done

passed=0; failed=0
check() { # name, extra chromium flags...
  local name=$1; shift
  local dom status
  dom=$(timeout 300 chromium "${chromium_flags[@]}" "$@" --user-data-dir="$profile/$name" \
    --virtual-time-budget=120000 --dump-dom "http://127.0.0.1:$port/" 2>/dev/null || true)
  status=$(printf '%s' "$dom" | grep -o '<p id="status"[^>]*>[^<]*' | sed 's/.*>//' || true)
  if printf '%s' "$dom" | grep -q 'id="status" data-state="ready"'; then
    echo "$name: $status"
    printf '%s' "$dom" | grep -o '<p id="backend"[^>]*>.*</p>' | sed 's/<[^>]*>//g' | head -1 || true
    printf '%s' "$dom" | grep -o '<p id="prediction">[^<]*' | sed 's/.*>//' || true
    printf '%s' "$dom" | grep -o '<p id="studio-time">[^<]*' | sed 's/.*>//' || true
    passed=$((passed + 1))
  else
    echo "$name: the page did not reach ready; status: ${status:-none}"
    printf '%s\n' "$dom" | head -c 3000
    failed=$((failed + 1))
  fi
}
check cpu --disable-gpu
if [ "${FIPMAE_E2E_WEBGPU:-0}" = "1" ]; then
  check webgpu --enable-unsafe-webgpu
fi
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
