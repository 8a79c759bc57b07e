#!/usr/bin/env bash
# The trainer's wgpu backend on a software Vulkan device (Mesa's lavapipe: no GPU needed):
# trainer/tests/wgpu_device.rs against the CPU's recorded numbers. Installs Debian's
# mesa-vulkan-drivers when no lavapipe ICD is present.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}"
if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  echo "installing mesa-vulkan-drivers (lavapipe) and libvulkan1"
  sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_="sudo"
  $sudo_ apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -q mesa-vulkan-drivers libvulkan1 >/dev/null
fi
# only the software device: a machine with a GPU would otherwise pick it
export VK_ICD_FILENAMES="$(ls /usr/share/vulkan/icd.d/lvp_icd*.json | head -1)"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
cargo test --release --locked -p trainer --features wgpu --test wgpu_device -- --test-threads 1
