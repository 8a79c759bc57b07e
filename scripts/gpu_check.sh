#!/usr/bin/env bash
# One-call GPU check for a borrowed GPU machine (see the README's "GPU check" section).
#
# Build the binaries on a machine with the package registries (a GPU machine may have
# none), then carry them and this script over and run it there:
#
#   bash scripts/gpu_check.sh --build            # here: builds gpu-bin/fipmae-{cuda,wgpu}
#   OUT=/some/folder bash scripts/gpu_check.sh   # there: runs every check
#
# Everything goes to $OUT (default: gpu-check-out/): summary.md (the one file to read),
# one log per step. No step stops the others; each failure it knows (no driver, no NVRTC,
# no Vulkan adapter, out of GPU memory, a time-out) is named in summary.md.
# Knobs: FIPMAE_CUDA / FIPMAE_WGPU / FIPMAE_CPU (binary paths; the CPU one measures the
# Flex backend's scaling on the GPU machine's cores), GPU_CHECK_QUICK=1 (skip `base` and
# the wgpu pass), GPU_CHECK_STEP_TIMEOUT (seconds per step, default 150),
# GPU_CHECK_PRETRAIN_SECONDS=N (then also pretrain `small` FIP-DenoMAE and DenoMAE at
# equal budgets sized to about N seconds each; the run folders, without checkpoints, go
# to $OUT/runs/ to be fine-tuned elsewhere).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="$root/gpu-bin"

if [ "${1:-}" = "--build" ]; then
  set -e
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}"
  mkdir -p "$bin_dir"
  for f in cuda wgpu cpu; do
    echo "building the trainer with --features $f (about 7 minutes cold on 2 cores)"
    if [ "$f" = cpu ]; then
      cargo build --release -q -p trainer
    else
      cargo build --release -q -p trainer --features "$f"
    fi
    cp "$CARGO_TARGET_DIR/release/fipmae" "$bin_dir/fipmae-$f"
    strip "$bin_dir/fipmae-$f" 2>/dev/null || true
  done
  ls -l "$bin_dir"
  echo "carry gpu-bin/ (and scripts/) to the GPU machine and run: bash scripts/gpu_check.sh"
  exit 0
fi

out="${OUT:-$root/gpu-check-out}"
mkdir -p "$out"
cuda_bin="${FIPMAE_CUDA:-$bin_dir/fipmae-cuda}"
wgpu_bin="${FIPMAE_WGPU:-$bin_dir/fipmae-wgpu}"
cpu_bin="${FIPMAE_CPU:-$bin_dir/fipmae-cpu}"
step_timeout="${GPU_CHECK_STEP_TIMEOUT:-150}"
summary="$out/summary.md"
work="$(mktemp -d)"
: >"$summary"

say() { echo "$*" | tee -a "$summary"; }

# Names the failure in a step's log, if it is one we know.
diagnose() {
  local log="$1" rc="$2"
  if [ "$rc" = 124 ]; then echo "timed out after ${step_timeout} s"; return; fi
  if grep -qiE 'out of memory|OutOfMemory|CUDA_ERROR_OUT_OF_MEMORY|alloc.*fail' "$log"; then
    echo "out of GPU memory (lower --batch-size)"; return; fi
  if grep -qiE 'nvrtc' "$log"; then
    echo "NVRTC missing or failing: the CUDA backend compiles its kernels at run time with libnvrtc"; return; fi
  if grep -qiE 'libcuda|CUDA driver|cuInit|DriverError' "$log"; then
    echo "no usable CUDA driver (libcuda.so.1)"; return; fi
  if grep -qiE 'No possible adapter|no adapter|AdapterNotFound|vulkan|libvulkan' "$log"; then
    echo "no wgpu adapter: no Vulkan loader/ICD for this GPU (libvulkan1 + the NVIDIA Vulkan ICD)"; return; fi
  if grep -qiE 'panicked' "$log"; then
    grep -m1 -iE 'panicked' "$log"; return; fi
  tail -n 1 "$log"
}

# run NAME CMD...: runs one step with a time limit into NAME.log; 0 when it succeeded.
run() {
  local name="$1"; shift
  local log="$out/$name.log" rc
  echo "== $name: $*" >"$log"
  local t0; t0=$(date +%s.%N)
  timeout "${GPU_CHECK_STEP_TIMEOUT:-$step_timeout}" "$@" >>"$log" 2>&1; rc=$?
  local t1; t1=$(date +%s.%N)
  local wall; wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
  if [ "$rc" = 0 ]; then
    say "- $name: ok (${wall} s)"
  else
    say "- $name: FAILED (exit $rc, ${wall} s): $(diagnose "$log" "$rc")"
  fi
  return "$rc"
}

# Peak GPU memory while a command runs, sampled by nvidia-smi every 100 ms (MiB, GPU 0).
peak_mem_start() {
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 -lms 100 \
      >"$work/mem.csv" 2>/dev/null &
    mem_pid=$!
  else
    mem_pid=""
  fi
}
peak_mem_stop() {
  if [ -n "${mem_pid:-}" ]; then
    kill "$mem_pid" 2>/dev/null; wait "$mem_pid" 2>/dev/null
    sort -n "$work/mem.csv" | tail -n 1
  else
    echo "n/a"
  fi
}

say "# GPU check, $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(hostname)"
say ""

# 1. The card and the driver.
gpu_name="unknown"
if command -v nvidia-smi >/dev/null && nvidia-smi >"$out/nvidia-smi.txt" 2>&1; then
  gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader -i 0 2>/dev/null | head -n 1)
  driver=$(nvidia-smi --query-gpu=driver_version,memory.total --format=csv,noheader -i 0 2>/dev/null | head -n 1)
  say "GPU: $gpu_name (driver, memory: $driver); nvidia-smi output in nvidia-smi.txt"
else
  say "GPU: none usable: nvidia-smi is missing or fails (no NVIDIA driver on this machine)"
fi

# FP32 (non-tensor-core) peak of the card, TFLOP/s, from NVIDIA's data sheets; the
# fraction below is of this peak (TF32 tensor cores would raise it ~7x).
case "$gpu_name" in
  *H200*) peak=67 ;;
  *H100*PCIe*) peak=51 ;;
  *H100*) peak=67 ;;
  *A100*) peak=19.5 ;;
  *L40S*) peak=91.6 ;;
  *) peak="" ;;
esac

# 2. The libraries the CUDA backend loads at run time.
lib_present() {
  ldconfig -p 2>/dev/null | grep -q "$1" && return 0
  local d
  for d in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }} /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
    /usr/lib/x86_64-linux-gnu /usr/local/nvidia/lib64; do
    ls "$d"/$1* >/dev/null 2>&1 && return 0
  done
  # pip's nvidia-cuda-nvrtc wheels
  ls /usr/local/lib/python3*/dist-packages/nvidia/cuda_nvrtc/lib/$1* >/dev/null 2>&1 && return 0
  return 1
}
if lib_present libcuda.so.1; then say "libcuda.so.1: found"; else say "libcuda.so.1: NOT found (no NVIDIA driver library)"; fi
if lib_present libnvrtc.so; then say "libnvrtc: found"; else say "libnvrtc: NOT found (the CUDA backend needs NVRTC at run time: install the CUDA toolkit's nvrtc, or add its folder to LD_LIBRARY_PATH)"; fi
if lib_present libvulkan.so.1; then say "libvulkan.so.1: found"; else say "libvulkan.so.1: NOT found (the wgpu backend needs a Vulkan loader)"; fi
say ""

if [ ! -x "$cuda_bin" ]; then
  say "no CUDA binary at $cuda_bin: build it with 'bash scripts/gpu_check.sh --build' on a machine with the package registries"
  exit 1
fi

# 3. The CUDA backend.
say "## CUDA backend ($cuda_bin)"
run cuda-info "$cuda_bin" info
cuda_ok=$?

bench_rows=()
bench() {
  local tag="$1" bin="$2"; shift 2
  local name="bench-$tag"
  peak_mem_start
  run "$name" "$bin" bench model "$@"
  local rc=$?
  local mem; mem=$(peak_mem_stop)
  if [ "$rc" = 0 ]; then
    # the last table row: | backend | preset | method | batch | params | pre | cls | GFLOP | TFLOP/s |
    local row; row=$(grep '^| ' "$out/$name.log" | tail -n 1)
    local frac=""
    if [ -n "$peak" ]; then
      frac=$(echo "$row" | awk -F'|' -v p="$peak" '{split($10, t, ","); printf "%.1f %%, %.1f %%", 100*t[1]/p, 100*t[2]/p}')
    fi
    bench_rows+=("${row} ${mem} MiB | ${frac:-n/a} |")
  fi
}

if [ "$cuda_ok" = 0 ]; then
  bench cuda-small-b32 "$cuda_bin" --preset small --batch-size 32 --steps 10
  bench cuda-small-b256 "$cuda_bin" --preset small --batch-size 256 --steps 10
  if [ "${GPU_CHECK_QUICK:-0}" != 1 ]; then
    bench cuda-base-b32 "$cuda_bin" --preset base --batch-size 32 --steps 5
  fi
  # A short small pretrain -> finetune -> eval.
  run cuda-pretrain "$cuda_bin" pretrain --preset small --method fip --examples 4096 --val-examples 256 \
    --epochs 1 --batch-size 128 --seed 1 --out "$work/pre" &&
    run cuda-finetune "$cuda_bin" finetune --pretrained "$work/pre" --labels-per-class 50 --epochs 2 \
      --lr 1e-3 --batch-size 64 --seed 1 --out "$work/fip" &&
    run cuda-eval "$cuda_bin" eval --model "$work/fip" --per-class 5 --out "$work/eval"
  [ -f "$work/eval/report.md" ] && cp "$work/eval/report.md" "$out/eval-report.md"
  for f in pre/metrics.jsonl fip/metrics.jsonl; do
    [ -f "$work/$f" ] && cp "$work/$f" "$out/${f//\//-}"
  done
fi

# 4. The wgpu backend over Vulkan.
if [ "${GPU_CHECK_QUICK:-0}" != 1 ]; then
  say ""
  say "## wgpu backend over Vulkan ($wgpu_bin)"
  if [ -x "$wgpu_bin" ]; then
    run wgpu-info "$wgpu_bin" info &&
      bench wgpu-small-b32 "$wgpu_bin" --preset small --batch-size 32 --steps 10
  else
    say "- no wgpu binary at $wgpu_bin (build it with 'bash scripts/gpu_check.sh --build')"
  fi
fi

# 5. The CPU backend (Flex) on this machine's cores, and on 2 of them.
if [ -x "$cpu_bin" ]; then
  say ""
  say "## CPU backend (Flex) on $(nproc) cores"
  bench cpu-small-all-cores "$cpu_bin" --preset small --batch-size 32 --steps 5
  RAYON_NUM_THREADS=2 bench cpu-small-2-threads "$cpu_bin" --preset small --batch-size 32 --steps 3
fi

# 6. Optional: equal-budget `small` pretraining of FIP-DenoMAE and DenoMAE on the GPU.
pre_secs="${GPU_CHECK_PRETRAIN_SECONDS:-0}"
if [ "$cuda_ok" = 0 ] && [ "$pre_secs" -gt 0 ]; then
  say ""
  say "## small pretraining on the GPU (FIP-DenoMAE and DenoMAE, equal budgets)"
  rate=$(grep '^| ' "$out/bench-cuda-small-b256.log" 2>/dev/null | tail -n 1 | awk -F'|' '{print int($7)}')
  [ -z "$rate" ] || [ "$rate" -lt 1 ] && rate=200
  epochs=8
  # about 70 % of the bench rate end to end (rendering, validation), rounded to batches
  per_epoch=$(( rate * pre_secs * 7 / 10 / epochs / 128 * 128 ))
  [ "$per_epoch" -lt 1024 ] && per_epoch=1024
  say "bench rate $rate ex/s -> $epochs epochs x $per_epoch examples per method"
  mkdir -p "$out/runs"
  for m in fip denomae; do
    GPU_CHECK_STEP_TIMEOUT=$(( pre_secs * 2 )) run "pretrain-small-$m" "$cuda_bin" pretrain --preset small \
      --method "$m" --examples "$per_epoch" --val-examples 512 --epochs "$epochs" --batch-size 128 \
      --seed 1 --out "$work/small-$m"
    mkdir -p "$out/runs/small-$m"
    for f in run.json metrics.jsonl model.fipmae; do
      [ -f "$work/small-$m/$f" ] && cp "$work/small-$m/$f" "$out/runs/small-$m/"
    done
  done
fi

say ""
say "## Throughput (bench model; peak memory sampled by nvidia-smi every 100 ms; fraction of the card's FP32 peak${peak:+ of $peak TFLOP/s})"
say ""
say "| backend | preset | method | batch | parameters (autoencoder) | pretrain examples/s | classify examples/s | GFLOP/example pretrain, classify | TFLOP/s pretrain, classify | peak GPU memory | fraction of FP32 peak |"
say "|---|---|---|---|---|---|---|---|---|---|---|"
for r in "${bench_rows[@]}"; do say "$r"; done
say ""
say "## Short small pretrain -> finetune -> eval"
for s in pretrain finetune eval; do
  [ -f "$out/cuda-$s.log" ] && say "- $s: $(grep -E '^(pretrained|fine-tuned|accuracy)' "$out/cuda-$s.log" | tail -n 1)"
done
rm -rf "$work"
# What comes back from a borrowed machine is limited (8 files, 16 MiB each): keep
# summary.md, pack the logs and run files into one archive, and split weight files.
if [ "${GPU_CHECK_PACK:-1}" = 1 ]; then
  (cd "$out" && find . -name '*.fipmae' -size +15M | while read -r f; do
    flat=$(echo "${f#./}" | tr / _)
    split -b 15M -d "$f" "$flat.part-" && rm "$f"; done)
  (cd "$out" && tar czf /tmp/gpu-check-logs.tgz --exclude=summary.md --exclude='*.part-*' . &&
    find . -type f ! -name summary.md ! -name '*.part-*' -delete && mv /tmp/gpu-check-logs.tgz logs.tgz)
  (cd "$out" && find . -mindepth 1 -type d -empty -delete)
fi
if [ "$cuda_ok" != 0 ]; then
  echo "GPU check failed: the CUDA backend does not run here (see $out/cuda-info.log)" >&2
  exit 1
fi
