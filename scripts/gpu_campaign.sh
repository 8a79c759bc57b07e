#!/usr/bin/env bash
# The method comparison (ViT from scratch, DenoMAE, FIP-DenoMAE) on a borrowed GPU machine
# in one call: every (profile, seed) is one `fipmae compare` process, all running at once
# (the GPU is shared; each process renders on its own CPU threads), into one folder per
# profile. At the deadline whatever has not finished is stopped; the reports, run.json
# and metrics.jsonl files (no weights) are packed into $OUT/campaign.tgz, and the tables
# are merged from the reports present (`compare --collect`).
#
#   bash scripts/gpu_check.sh --build                 # here: gpu-bin/fipmae-cuda
#   OUT=/some/folder bash scripts/gpu_campaign.sh     # there
#
# Then, here: tar xzf campaign.tgz and `fipmae compare --collect` with the same settings
# (CAMPAIGN_* below) rebuilds the tables. Knobs (environment): FIPMAE (binary, default
# gpu-bin/fipmae-cuda), CAMPAIGN_SECONDS (deadline, default 450), CAMPAIGN_SETS (one set
# of runs per line: a folder name, then the `compare` options it changes, e.g.
# "masking-amr --methods fip --masking amr"; default: one set per profile of
# CAMPAIGN_PROFILES, "standard denomae"), CAMPAIGN_SEEDS (3), CAMPAIGN_PRESET (small), CAMPAIGN_EXAMPLES
# (10000 pretraining examples per epoch), CAMPAIGN_PRETRAIN_EPOCHS (2),
# CAMPAIGN_PRETRAIN_BATCH (128), CAMPAIGN_LABELS (100 per class), CAMPAIGN_FT_EPOCHS (30),
# CAMPAIGN_PER_CLASS (test examples per class and SNR; default compare's: 20 mixed, 100
# per-snr), CAMPAIGN_PROTOCOL (mixed or per-snr, default mixed), CAMPAIGN_SNRS (per-snr's
# SNRs, e.g. -10,-5,0,5,10; default compare's, -10..10), CAMPAIGN_ENCODER (full, frozen or
# full,frozen; default full),
# CAMPAIGN_THREADS (2 rendering threads per process), CAMPAIGN_WORK (run folders,
# default a temporary folder).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${FIPMAE:-$root/gpu-bin/fipmae-cuda}"
out="${OUT:-$root/gpu-campaign-out}"
deadline="${CAMPAIGN_SECONDS:-450}"
profiles="${CAMPAIGN_PROFILES:-standard denomae}"
seeds="${CAMPAIGN_SEEDS:-3}"
work="${CAMPAIGN_WORK:-$(mktemp -d)}"
mkdir -p "$out" "$work"
log="$out/campaign.log"
: >"$log"
say() { echo "$*" | tee -a "$log"; }

if [ ! -x "$bin" ]; then
  say "no binary at $bin (build it with: bash scripts/gpu_check.sh --build)"
  exit 2
fi

common=(
  --preset "${CAMPAIGN_PRESET:-small}"
  --examples "${CAMPAIGN_EXAMPLES:-10000}"
  --pretrain-epochs "${CAMPAIGN_PRETRAIN_EPOCHS:-2}"
  --pretrain-batch-size "${CAMPAIGN_PRETRAIN_BATCH:-128}"
  --labels-per-class "${CAMPAIGN_LABELS:-100}"
  --finetune-epochs "${CAMPAIGN_FT_EPOCHS:-30}"
  --threads "${CAMPAIGN_THREADS:-2}"
  --protocol "${CAMPAIGN_PROTOCOL:-mixed}"
  --encoder "${CAMPAIGN_ENCODER:-full}"
)
[ -n "${CAMPAIGN_PER_CLASS:-}" ] && common+=(--per-class "$CAMPAIGN_PER_CLASS")
# written as one word so the leading minus of an SNR is not read as a flag
[ -n "${CAMPAIGN_SNRS:-}" ] && common+=("--snrs=$CAMPAIGN_SNRS" "")
say "campaign: $bin compare ${common[*]} (seeds 0..$((seeds - 1)); deadline ${deadline} s)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$log"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 5 >"$work/gpu-use.csv" 2>/dev/null &
  smi=$!
fi

# One set per line: a folder name, then the `compare` options that set changes (they
# replace the common ones of the same name). Default: the three methods on both profiles.
sets="${CAMPAIGN_SETS:-}"
if [ -z "$sets" ]; then
  for p in $profiles; do sets+="$p --profile $p"$'\n'; done
fi

# The common options minus those a set gives itself.
options_for() {
  local extra=("$@") out=() i=0 skip
  while [ $i -lt ${#common[@]} ]; do
    skip=0
    for e in "${extra[@]}"; do [ "${e%%=*}" = "${common[$i]%%=*}" ] && skip=1; done
    [ $skip = 0 ] && out+=("${common[$i]}" "${common[$((i + 1))]}")
    i=$((i + 2))
  done
  echo "${out[@]}" "${extra[@]}"
}

start=$(date +%s)
pids=()
while read -r name extra; do
  [ -z "$name" ] && continue
  # shellcheck disable=SC2086
  opts=$(options_for $extra)
  say "set $name: compare $opts"
  for ((s = 0; s < seeds; s++)); do
    # shellcheck disable=SC2086
    timeout --signal=KILL "$deadline" "$bin" compare $opts --first-seed "$s" --seeds 1 \
      --out "$work/$name" >"$work/$name-seed-$s.log" 2>&1 &
    pids+=("$!:$name:$s")
  done
done <<<"$sets"
for entry in "${pids[@]}"; do
  pid="${entry%%:*}"; rest="${entry#*:}"
  wait "$pid"; rc=$?
  case $rc in
    0) say "- ${rest/:/ seed }: finished ($(($(date +%s) - start)) s)" ;;
    137) say "- ${rest/:/ seed }: stopped at the ${deadline} s deadline" ;;
    *) say "- ${rest/:/ seed }: FAILED (exit $rc): $(tail -n 3 "$work/${rest%%:*}-seed-${rest#*:}.log" | tr '\n' ' ')" ;;
  esac
done
[ -n "${smi:-}" ] && kill "$smi" 2>/dev/null
say "wall time: $(($(date +%s) - start)) s"

while read -r name extra; do
  [ -z "$name" ] && continue
  # shellcheck disable=SC2086
  opts=$(options_for $extra)
  # shellcheck disable=SC2086
  if "$bin" compare $opts --seeds "$seeds" --collect --out "$work/$name" \
    >"$work/$name-collect.log" 2>&1; then
    tee -a "$log" <"$work/$name/compare.md"
  else
    say "$name: $(tail -n 2 "$work/$name-collect.log")"
  fi
done <<<"$sets"
cp "$log" "$work/"
(cd "$work" && tar czf "$out/campaign.tgz" --exclude='*.fipmae' --exclude='checkpoint.bin' --exclude='*.tmp*' --exclude='seed-[1-9]*/*/reconstructions.png' .)
ls -l "$out"
