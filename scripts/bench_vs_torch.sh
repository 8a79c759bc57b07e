#!/usr/bin/env bash
# Burn (this project's `fipmae bench model`) against its PyTorch eager twin
# (bench/torch_twin.py) on this machine: same presets, batch, thread count; the two sides
# alternate for several rounds and the medians are compared. Prints a Markdown table:
# pretraining step and classifier forward examples/s, the ratio Burn / PyTorch (> 1: Burn
# is faster), parameter counts (they must be equal) and peak resident memory above each
# process's memory at the start of its bench (PyTorch maps ~0.7 GB of libraries at import).
#
#   bash scripts/bench_vs_torch.sh [--threads N] [--rounds N] [--steps N] [--batch N] [--presets "tiny small"]
#
# PyTorch is a benchmark-only dependency: installed here, when missing, into its own venv
# ($FIPMAE_TORCH_VENV, default /var/tmp/fipmae-torch-venv; the index serves the CUDA build,
# ~5 GB, which runs on the CPU). The test command never installs or imports it.
set -euo pipefail
source "$(dirname "$0")/tools.sh"
cd "$fipmae_root"

threads=2 rounds=3 steps=10 batch=32 presets="tiny small" method=fip
parse_options "$(basename "$0")" "threads rounds steps batch presets method" "$@"

venv="$(ensure_torch_venv)"
cargo build -q --release -p trainer
fipmae="$CARGO_TARGET_DIR/release/fipmae"

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
export RAYON_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
for round in $(seq "$rounds"); do
  for p in $presets; do
    echo "round $round/$rounds: $p (burn, then pytorch)" >&2
    "$fipmae" bench model --json --preset "$p" --method "$method" --batch-size "$batch" --steps "$steps" >>"$out"
    "$venv/bin/python" bench/torch_twin.py --preset "$p" --method "$method" --batch-size "$batch" \
      --steps "$steps" --threads "$threads" >>"$out"
  done
done

python3 - "$out" "$threads" "$batch" "$rounds" <<'PY'
import json, statistics, sys, platform
path, threads, batch, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
rows = [json.loads(l) for l in open(path) if l.startswith("{")]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(f"\n{cpu}; batch {batch}, {threads} threads, median of {rounds} alternating rounds\n")
print("| preset | measure | Burn (Flex) ex/s | PyTorch eager ex/s | Burn / PyTorch | parameters Burn, PyTorch | peak memory MiB Burn, PyTorch |")
print("|---|---|---|---|---|---|---|")
for preset in dict.fromkeys(r["preset"] for r in rows):
    side = {s: [r for r in rows if r["preset"] == preset and r["side"] == s] for s in ("burn", "pytorch")}
    med = lambda s, k: statistics.median(r[k] for r in side[s])
    mem = lambda s: max((r["peak_rss_mib"] or 0) - (r["start_rss_mib"] or 0) for r in side[s])
    params = f'{side["burn"][0]["params"]:,}, {side["pytorch"][0]["params"]:,}'
    for key, name in (("pretrain_examples_per_s", "pretraining step"), ("classify_examples_per_s", "classifier forward")):
        b, t = med("burn", key), med("pytorch", key)
        print(f"| {preset} | {name} | {b:.1f} | {t:.1f} | **{b / t:.2f}** | {params} | {mem('burn'):.0f}, {mem('pytorch'):.0f} |")
    if side["burn"][0]["params"] != side["pytorch"][0]["params"]:
        print(f"\nWARNING: {preset}: parameter counts differ: the twin is not the same network", file=sys.stderr)
PY
