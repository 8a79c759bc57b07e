#!/usr/bin/env bash
# The README's main command: builds the page (scripts/build_web.sh) and serves it with the
# shipped weights on http://127.0.0.1:${PORT:-8080}/ until you press Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build_web.sh
port="${PORT:-8080}"
echo
echo "FIP-DenoMAE demo: open http://127.0.0.1:${port}/ (Ctrl-C stops the server)"
echo "(add ?cpu to the URL to force the CPU backend)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory web/dist
