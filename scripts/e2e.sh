#!/usr/bin/env bash
# End-to-end check of the trunk-built page: serves web/dist on localhost, opens it in
# headless Chromium (Debian's, driven by playwright-core from npm, installed under
# /var/tmp/fipmae-node when missing) on the CPU path and on WebGPU (Chromium's software
# adapter), and checks that the page loads the shipped bundle, says "ready" on the backend
# the run names (`#backend`'s data-backend: cpu, webgpu), and runs the studio on five more
# bursts without an error. Prints the page's own timings.
# Needs scripts/build_web.sh first (scripts/test.sh runs it). Prints "e2e: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_chromium
[ -f web/dist/index.html ] || { echo "web/dist is missing: run scripts/build_web.sh"; exit 1; }
node_dir="${FIPMAE_NODE:-/var/tmp/fipmae-node}"
if [ ! -d "$node_dir/node_modules/playwright-core" ]; then
  mkdir -p "$node_dir"
  npm install --silent --prefix "$node_dir" playwright-core@1 >/dev/null
fi
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; true; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory web/dist >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break; sleep 0.1; done

passed=0; failed=0
for mode in cpu webgpu; do
  if NODE_PATH="$node_dir/node_modules" node scripts/e2e.cjs "http://127.0.0.1:$port/" "$mode"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
