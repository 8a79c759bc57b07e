#!/usr/bin/env bash
# One call on a borrowed GPU machine that trains a model worth shipping (issue #27): a
# `small` FIP-DenoMAE pretrained on the standard generator as it now is (the `standard`
# profile's defaults: class parameters drawn from their ranges, carrier offsets, offset
# correction), fine-tuned from it, fine-tuned again on fresh labels at a lower rate (the
# recipe of results/recipe-2026-12-05/r/run_r.sh, sized for the budget), evaluated
# -10..20 dB, exported as an f16 bundle with its report, and calibrated. What comes back
# is at most 8 files of at most 16 MiB each (the device tool's limit), in $OUT:
#   bundle.tgz      bundle/ as `export --half` writes it (weights, bundle.json, report.json)
#                   plus calibration.json and report/ (the eval's report.md, accuracy.svg,
#                   confusion.svg): what scripts/ship_model.sh puts in static/ (~13 MiB
#                   at `small`, measured with untrained weights)
#   runs.tgz        run.json, metrics.jsonl of every run, the eval folder, every step's
#                   log, `fipmae info`, nvidia-smi and GPU use every 5 s (no weights, no
#                   checkpoints; the eval folder has reconstructions.png)
#   eval-report.md, eval-report.json   the eval of the final classifier (f32)
#   summary.log     settings, the plan, each step's time, results, measured rates
# A file over 16 MiB is split into 15 MiB parts and the script fails (exit 3), as it does
# with more than 8 files.
#
#   bash scripts/gpu_check.sh --build                      # here: gpu-bin/fipmae-cuda
#   OUT=/some/folder bash scripts/gpu_train.sh             # there (carry gpu-bin/fipmae-cuda)
#   GPU_TRAIN_DRY=1 bash scripts/gpu_train.sh              # here: the dry run (below)
#
# The budget. `pretrain` and `finetune` have no wall-clock option, only epochs (and
# --stop-after, a number of epochs), so the script sizes each stage's examples from a
# rate: GPU_TRAIN_SECONDS (default 480: with the 30 s slack and about a minute of eval,
# export, calibration and packing the call stays under the device tool's 600 s per
# command) is split GPU_TRAIN_PRETRAIN_PCT (50) % to pretraining, the rest
# GPU_TRAIN_FT1_PCT (67) % to the first fine-tuning stage and the remainder to the
# fresh-labels stage (run_r.sh's 40:20 epochs). Each stage's examples = rate × (its
# seconds − GPU_TRAIN_STARTUP (20 s: the CUDA kernels are compiled at each process's
# start)) × 0.9 (validation, writes). Rates (examples/s, end to end, one process on an
# H100 with 16 cores): GPU_TRAIN_PRE_RATE (780: `pretrain --preset small --batch-size
# 128`, README "GPU check"), GPU_TRAIN_FT_RATE (1000: estimated from the 2026-11-26
# check's fine-tuning epoch, 500 examples + 200 validation in 0.4 s at batch 64, and the
# campaign's 6 processes at ~375 each, kept low; not measured for one process alone).
# summary.log prints the rates this run measured, to set these for the next one. As a
# guard, each stage is stopped (TERM) at its planned end + GPU_TRAIN_SLACK (30 s) counted
# from the start of training, and the script goes on with what the stage wrote: both
# commands write their weights after every epoch (fine-tuning: the best epoch's), so a
# stopped stage leaves a usable run (the exit status is still 1: a stage did not finish).
# A stage with no weights at all stops the chain; when the fresh-labels stage left none,
# the first stage's classifier is evaluated and exported instead.
#
# Other knobs (environment): FIPMAE (binary; default gpu-bin/fipmae-cuda, or in the dry
# run $CARGO_TARGET_DIR/release/fipmae), GPU_TRAIN_PRESET (small), GPU_TRAIN_THREADS
# (rendering threads, default all cores), GPU_TRAIN_DEVICES (pretrain --devices, default
# 1; fine-tuning runs on one device), GPU_TRAIN_PRE_EPOCHS (10), GPU_TRAIN_PRE_BATCH
# (128), GPU_TRAIN_PRE_VAL (500), GPU_TRAIN_FT_EPOCHS (20), GPU_TRAIN_FT2_EPOCHS (10),
# GPU_TRAIN_FT_BATCH (64), GPU_TRAIN_FT_LR (3e-3), GPU_TRAIN_FT2_LR (1e-3; both run_r's,
# tuned on `tiny`), GPU_TRAIN_FT_VAL (50 per class), GPU_TRAIN_PRE_EXAMPLES,
# GPU_TRAIN_FT_LABELS, GPU_TRAIN_FT2_LABELS (override the sizing), GPU_TRAIN_EVAL_PER_CLASS
# (20), GPU_TRAIN_CAL_PER_CLASS (20), GPU_TRAIN_STEP_TIMEOUT (90 s for eval, export,
# calibrate each), GPU_TRAIN_DEADLINE (seconds from the script's start by which those
# must be done; default GPU_TRAIN_SECONDS + 100), GPU_TRAIN_WORK (run folders; default
# a temporary folder, removed).
#
# Dry run: GPU_TRAIN_DRY=1 runs the same steps on the CPU binary with `tiny` and a few
# hundred examples (1 epoch per stage) into a temporary $OUT (or $OUT when set), checks
# the files and their limits, and removes the temporary folder (GPU_TRAIN_KEEP=1 keeps
# it). scripts/test.sh runs it.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
script_start=$(date +%s)
dry="${GPU_TRAIN_DRY:-0}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}"

if [ "$dry" = 1 ]; then
  bin="${FIPMAE:-$CARGO_TARGET_DIR/release/fipmae}"
  preset="${GPU_TRAIN_PRESET:-tiny}"
  threads="${GPU_TRAIN_THREADS:-2}"
  budget="${GPU_TRAIN_SECONDS:-120}"
  startup="${GPU_TRAIN_STARTUP:-0}"
  : "${GPU_TRAIN_PRE_EXAMPLES:=256}" "${GPU_TRAIN_PRE_EPOCHS:=1}" "${GPU_TRAIN_PRE_BATCH:=32}"
  : "${GPU_TRAIN_PRE_VAL:=32}" "${GPU_TRAIN_FT_LABELS:=20}" "${GPU_TRAIN_FT_EPOCHS:=1}"
  : "${GPU_TRAIN_FT2_LABELS:=20}" "${GPU_TRAIN_FT2_EPOCHS:=1}" "${GPU_TRAIN_FT_BATCH:=32}"
  : "${GPU_TRAIN_FT_VAL:=5}" "${GPU_TRAIN_EVAL_PER_CLASS:=1}" "${GPU_TRAIN_CAL_PER_CLASS:=2}"
  : "${GPU_TRAIN_SLACK:=60}"
  if [ -n "${OUT:-}" ]; then out="$OUT"; own_out=0; else out="$(mktemp -d)"; own_out=1; fi
else
  bin="${FIPMAE:-$root/gpu-bin/fipmae-cuda}"
  preset="${GPU_TRAIN_PRESET:-small}"
  threads="${GPU_TRAIN_THREADS:-$(nproc)}"
  budget="${GPU_TRAIN_SECONDS:-480}"
  startup="${GPU_TRAIN_STARTUP:-20}"
  if [ -z "${OUT:-}" ]; then
    echo "gpu_train: set OUT to an empty folder (the device tool sets it)" >&2
    exit 2
  fi
  out="$OUT"
  own_out=0
fi
devices="${GPU_TRAIN_DEVICES:-1}"
slack="${GPU_TRAIN_SLACK:-30}"
step_timeout="${GPU_TRAIN_STEP_TIMEOUT:-90}"
deadline="${GPU_TRAIN_DEADLINE:-$((budget + 100))}"
pre_rate="${GPU_TRAIN_PRE_RATE:-780}"
ft_rate="${GPU_TRAIN_FT_RATE:-1000}"
pre_epochs="${GPU_TRAIN_PRE_EPOCHS:-10}"
pre_batch="${GPU_TRAIN_PRE_BATCH:-128}"
pre_val="${GPU_TRAIN_PRE_VAL:-500}"
ft1_epochs="${GPU_TRAIN_FT_EPOCHS:-20}"
ft2_epochs="${GPU_TRAIN_FT2_EPOCHS:-10}"
ft_batch="${GPU_TRAIN_FT_BATCH:-64}"
ft_val="${GPU_TRAIN_FT_VAL:-50}"
ft1_lr="${GPU_TRAIN_FT_LR:-3e-3}"
ft2_lr="${GPU_TRAIN_FT2_LR:-1e-3}"
eval_per_class="${GPU_TRAIN_EVAL_PER_CLASS:-20}"
cal_per_class="${GPU_TRAIN_CAL_PER_CLASS:-20}"
classes=10 # the standard profile's classes

max_files=8
max_bytes=$((16 * 1024 * 1024))

mkdir -p "$out"
if [ -n "$(ls -A "$out")" ]; then
  echo "gpu_train: $out is not empty" >&2
  exit 2
fi
if [ -n "${GPU_TRAIN_WORK:-}" ]; then work="$GPU_TRAIN_WORK"; own_work=0; else work="$(mktemp -d)"; own_work=1; fi
mkdir -p "$work/logs"
summary="$out/summary.log" # written as it goes: a call cut short still returns it
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }
since() { echo $(($(date +%s) - $1)); }
failed=0

mode="GPU run"
[ "$dry" = 1 ] && mode="DRY RUN (CPU binary, tiny counts)"
say "# gpu_train, $mode, $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(hostname), $(nproc) cores"
say "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" status --porcelain 2>/dev/null | grep -q . && echo ' (with local changes)')"
say "binary: $bin"
if [ ! -x "$bin" ]; then
  say "no binary at $bin: build it with 'bash scripts/gpu_check.sh --build' (the GPU run), or cargo build --release -p trainer (the dry run)"
  exit 2
fi
if command -v nvidia-smi >/dev/null && nvidia-smi >"$work/nvidia-smi.txt" 2>&1; then
  say "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -n 1)"
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 5 >"$work/gpu-use.csv" 2>/dev/null &
  smi_pid=$!
else
  say "GPU: none (no working nvidia-smi)"
fi

# --- the plan -----------------------------------------------------------------------------
t_pre=$((budget * ${GPU_TRAIN_PRETRAIN_PCT:-50} / 100))
t_ft=$((budget - t_pre))
t_ft1=$((t_ft * ${GPU_TRAIN_FT1_PCT:-67} / 100))
t_ft2=$((t_ft - t_ft1))
# examples a stage of T seconds can train at RATE examples/s
fits() {
  local t=$(($1 - startup))
  [ "$t" -lt 1 ] && t=1
  echo $(($2 * t * 9 / 10))
}
pre_examples="${GPU_TRAIN_PRE_EXAMPLES:-$(($(fits "$t_pre" "$pre_rate") / pre_epochs / pre_batch * pre_batch))}"
[ "$pre_examples" -lt "$pre_batch" ] && pre_examples=$pre_batch
ft1_labels="${GPU_TRAIN_FT_LABELS:-$(($(fits "$t_ft1" "$ft_rate") / ft1_epochs / classes))}"
ft2_labels="${GPU_TRAIN_FT2_LABELS:-$(($(fits "$t_ft2" "$ft_rate") / ft2_epochs / classes))}"
[ "$ft1_labels" -lt 10 ] && ft1_labels=10
[ "$ft2_labels" -lt 10 ] && ft2_labels=10
say "preset $preset, profile standard (its defaults: class-parameter ranges, offsets, offset correction); $threads rendering threads, pretrain --devices $devices"
say "budget ${budget} s of training (+${slack} s slack): pretrain ${t_pre} s, finetune ${t_ft1} s, fresh-labels finetune ${t_ft2} s; start-up ${startup} s each; rates ${pre_rate} (pretrain) and ${ft_rate} (finetune) examples/s"
say "plan: pretrain ${pre_epochs} x ${pre_examples} examples (batch ${pre_batch}); finetune ${ft1_labels} labels/class x ${ft1_epochs} epochs at lr ${ft1_lr}; then ${ft2_labels} fresh labels/class x ${ft2_epochs} epochs at lr ${ft2_lr} (batch ${ft_batch})"
say ""

# --- running a step -----------------------------------------------------------------------
# step NAME KILL_AT CMD...: runs CMD into logs/NAME.log, stopped (TERM) at the absolute
# time KILL_AT (seconds since the epoch). Returns its exit status (124: stopped).
step() {
  local name="$1" kill_at="$2"; shift 2
  local log="$work/logs/$name.log" t0 left rc
  t0=$(date +%s)
  left=$((kill_at - t0))
  echo "== $name: $*" >"$log"
  if [ "$left" -lt 1 ]; then
    say "- $name: FAILED: no time left before its deadline"
    return 124
  fi
  timeout --kill-after=10 "$left" "$@" >>"$log" 2>&1
  rc=$?
  if [ "$rc" = 0 ]; then
    say "- $name: ok ($(since "$t0") s): $(grep . "$log" | tail -n 1)"
  elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    say "- $name: STOPPED at its deadline ($(since "$t0") s)"
  else
    say "- $name: FAILED (exit $rc, $(since "$t0") s): $(grep -m1 -E 'panicked|[Ee]rror' "$log" || tail -n 1 "$log")"
  fi
  return "$rc"
}
# The examples/s the trainer logged per epoch (metrics.jsonl), mean over the epochs after
# the first (the first pays the kernels' compilation) when there are several.
trainer_rate() {
  grep -o '"examples_per_s":[0-9.e+-]*' "$1/metrics.jsonl" 2>/dev/null | cut -d: -f2 |
    awk '{r[NR]=$1} END {if (NR==0) {print "n/a"; exit} s=0; n=0; for (i=(NR>1?2:1); i<=NR; i++) {s+=r[i]; n++} printf "%.0f", s/n}'
}
epochs_done() { if [ -f "$1/metrics.jsonl" ]; then grep -c . "$1/metrics.jsonl"; else echo 0; fi; }
# after a stage: did it leave weights? Says so, with its measured rates.
stage_report() {
  local name="$1" dir="$2" weights="$3" rc="$4" wall="$5" examples="$6"
  local epochs; epochs=$(epochs_done "$dir")
  if [ ! -f "$dir/$weights" ]; then
    say "  $name left no $weights"
    failed=1
    return 1
  fi
  [ "$rc" != 0 ] && say "  $name: going on with what it wrote after $epochs epochs"
  say "  $name: $epochs epochs, trainer $(trainer_rate "$dir") examples/s; end to end $((examples * epochs)) examples in ${wall} s"
  [ "$rc" = 0 ] || failed=1
  return 0
}

pre="$work/pre" ft1="$work/ft" ft2="$work/ft2" ev="$work/eval" bundle="$work/bundle"
common_ft=(--val-per-class "$ft_val" --snr-min -10 --snr-max 20 --batch-size "$ft_batch" --threads "$threads")
train_start=$(date +%s)
chain=0

"$bin" info >"$work/logs/info.log" 2>&1 || {
  say "- info: FAILED: $(tail -n 3 "$work/logs/info.log" | tr '\n' ' ') (scripts/gpu_check.sh names the usual causes)"
  failed=1
  chain=1
}

if [ "$chain" = 0 ]; then
  t0=$(date +%s)
  step pretrain $((train_start + t_pre + slack)) "$bin" pretrain --preset "$preset" --method fip \
    --examples "$pre_examples" --val-examples "$pre_val" --epochs "$pre_epochs" --batch-size "$pre_batch" \
    --seed 1 --threads "$threads" --devices "$devices" --out "$pre"
  rc=$?
  stage_report pretrain "$pre" model.fipmae "$rc" "$(since "$t0")" "$pre_examples" ||
    { chain=1; say "  nothing to fine-tune: the chain stops here"; }
fi
if [ "$chain" = 0 ]; then
  t0=$(date +%s)
  step finetune $((train_start + t_pre + t_ft1 + slack)) "$bin" finetune --pretrained "$pre" \
    --labels-per-class "$ft1_labels" --epochs "$ft1_epochs" --lr "$ft1_lr" --seed 1 "${common_ft[@]}" --out "$ft1"
  rc=$?
  stage_report finetune "$ft1" classifier.fipmae "$rc" "$(since "$t0")" $((ft1_labels * classes)) ||
    { chain=1; say "  no classifier: the chain stops here"; }
fi
final="$ft2"
if [ "$chain" = 0 ]; then
  t0=$(date +%s)
  step finetune-fresh $((train_start + budget + slack)) "$bin" finetune --init-from "$ft1" --fresh-labels \
    --labels-per-class "$ft2_labels" --epochs "$ft2_epochs" --lr "$ft2_lr" --seed 2 "${common_ft[@]}" --out "$ft2"
  rc=$?
  if ! stage_report finetune-fresh "$ft2" classifier.fipmae "$rc" "$(since "$t0")" $((ft2_labels * classes)); then
    say "  the first stage's classifier is the one evaluated and exported"
    final="$ft1"
    chain=0
  fi
fi
say "training: $(since "$train_start") s"

# eval, export, calibrate: each within GPU_TRAIN_STEP_TIMEOUT and the deadline (10 s kept
# for packing)
post_kill() {
  local a=$(($(date +%s) + step_timeout)) b=$((script_start + deadline - 10))
  echo $((a < b ? a : b))
}
if [ "$chain" = 0 ]; then
  step eval "$(post_kill)" "$bin" eval --model "$final" --pretrained "$pre" --out "$ev" \
    --snr-min -10 --snr-max 20 --per-class "$eval_per_class" --threads "$threads" || failed=1
  report=()
  [ -f "$ev/report.json" ] && report=(--report "$ev")
  step export "$(post_kill)" "$bin" export --model "$final" --pretrained "$pre" "${report[@]}" --half \
    --out "$bundle" || failed=1
  if [ -f "$bundle/bundle.json" ]; then
    step calibrate "$(post_kill)" "$bin" calibrate --model "$bundle" --per-class "$cal_per_class" \
      --threads "$threads" || failed=1
  fi
fi
if [ -n "${smi_pid:-}" ]; then
  kill "$smi_pid" 2>/dev/null
  wait "$smi_pid" 2>/dev/null
  say "peak GPU memory: $(cut -d, -f3 "$work/gpu-use.csv" | grep -o '[0-9]*' | sort -n | tail -n 1) MiB (sampled every 5 s)"
fi
[ -f "$ev/report.md" ] && say "result: $(grep -m1 'overall accuracy' "$ev/report.md")"

# --- packing: at most 8 files of at most 16 MiB ----------------------------------------------
if [ -d "$bundle" ]; then
  mkdir -p "$bundle/report"
  # reconstructions.png (~1 MB) stays in runs.tgz's eval/: bundle.tgz of `small` is ~14 MiB
  for f in report.md accuracy.svg confusion.svg; do
    [ -f "$ev/$f" ] && cp "$ev/$f" "$bundle/report/"
  done
  tar czf "$out/bundle.tgz" -C "$work" bundle
fi
[ -f "$ev/report.md" ] && cp "$ev/report.md" "$out/eval-report.md"
[ -f "$ev/report.json" ] && cp "$ev/report.json" "$out/eval-report.json"
cp "$summary" "$work/logs/summary.log"
members=()
for d in pre ft ft2 eval logs nvidia-smi.txt gpu-use.csv; do [ -e "$work/$d" ] && members+=("$d"); done
tar czf "$out/runs.tgz" -C "$work" --exclude='*.fipmae' --exclude='checkpoint*' --exclude='*.tmp*' \
  --exclude='*.lock' "${members[@]}"

# what a complete run returns
for f in bundle.tgz runs.tgz eval-report.md eval-report.json; do
  [ -f "$out/$f" ] || { say "missing from \$OUT: $f"; failed=1; }
done
if [ -f "$out/bundle.tgz" ]; then
  listing=$(tar tzf "$out/bundle.tgz")
  for m in bundle.json calibration.json classifier.fipmae autoencoder.fipmae report.json report/report.md; do
    grep -qx "bundle/$m" <<<"$listing" || { say "missing from bundle.tgz: $m"; failed=1; }
  done
fi
limits=0
while IFS= read -r f; do
  size=$(stat -c %s "$f")
  if [ "$size" -gt "$max_bytes" ]; then
    say "OUTPUT LIMIT: $(basename "$f") is $size bytes, over 16 MiB: split into 15 MiB parts (cat them back together)"
    (cd "$out" && split -b 15M -d "$(basename "$f")" "$(basename "$f").part-" && rm "$(basename "$f")")
    limits=1
  fi
done < <(find "$out" -type f ! -name summary.log)
count=$(find "$out" -type f | wc -l)
if [ "$count" -gt "$max_files" ]; then
  say "OUTPUT LIMIT: $count files in $out, over $max_files: the device tool will not return them all"
  limits=1
fi
say ""
say "returned ($count files): $(cd "$out" && find . -type f -printf '%P %s B, ' | sed 's/, $//')"
say "total: $(since "$script_start") s"
# the summary in runs.tgz is the one up to packing; this one is complete

[ "$own_work" = 1 ] && rm -rf "$work"
if [ "$dry" = 1 ] && [ "$own_out" = 1 ] && [ "${GPU_TRAIN_KEEP:-0}" != 1 ]; then
  rm -rf "$out"
elif [ "$dry" = 1 ]; then
  echo "gpu_train: dry run's files in $out"
fi
if [ "$limits" != 0 ]; then
  echo "gpu_train: FAILED: the output breaks the device tool's limits (8 files, 16 MiB each)" >&2
  exit 3
fi
if [ "$failed" != 0 ]; then
  echo "gpu_train: FAILED: a step failed or was stopped (see summary.log)" >&2
  exit 1
fi
echo "gpu_train: ok$( [ "$dry" = 1 ] && echo " (dry run)")"
