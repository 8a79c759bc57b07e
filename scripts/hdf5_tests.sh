#!/usr/bin/env bash
# `import radioml2018` (feature `hdf5` of fipmae-datasets, the system's libhdf5): clippy and
# the tests on the small files of tests/radioml/make_hdf5.py. Installs Debian's
# libhdf5-dev when pkg-config does not find HDF5. Builds no Burn (seconds, not minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}"
if ! pkg-config --exists hdf5 2>/dev/null; then
  echo "installing libhdf5-dev"
  sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_="sudo"
  $sudo_ apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -q libhdf5-dev pkg-config >/dev/null
fi
cargo clippy --release --locked -p fipmae-datasets --features hdf5 --all-targets -- -D warnings
cargo test --release --locked -p fipmae-datasets --features hdf5
