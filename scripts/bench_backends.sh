#!/usr/bin/env bash
# Every CPU backend Burn 0.21 offers, side by side with PyTorch eager, on the same step:
# `fipmae bench model --json` built once per backend (Flex, the default; NdArray; NdArray
# with OpenBLAS when Debian's libopenblas is installed; Candle; LibTorch through burn-tch,
# linked against the benchmark venv's PyTorch) and bench/torch_twin.py, at each thread
# count, the sides alternating for several rounds; prints a Markdown table of medians.
#
#   bash scripts/bench_backends.sh [--preset small] [--rounds 3] [--steps 10] \
#        [--threads "1 2 $(nproc)"] [--backends "flex ndarray ndarray-openblas candle tch"]
#
# Benchmark only: the extra backends are cargo features of the trainer that the test
# command never builds. PyTorch is installed into its own venv when missing (see
# scripts/bench_vs_torch.sh).
set -euo pipefail
source "$(dirname "$0")/tools.sh"
cd "$fipmae_root"

preset=small rounds=3 steps=10 batch=32 threads="1 2 $(nproc)" backends="flex ndarray ndarray-openblas candle tch"
parse_options "$(basename "$0")" "preset rounds steps batch threads backends" "$@"
threads=$(echo "$threads" | tr ' ' '\n' | awk '!seen[$0]++' | tr '\n' ' ')

venv="$(ensure_torch_venv)"
torch_lib="$("$venv/bin/python" -c 'import torch, pathlib; print(pathlib.Path(torch.__file__).parent / "lib")')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

built=""
for b in $backends; do
  case "$b" in
    flex) features="" ;;
    ndarray) features="--features ndarray" ;;
    ndarray-openblas)
      if ! ldconfig -p | grep -q libopenblas; then
        echo "bench_backends.sh: skipping ndarray-openblas (no libopenblas; Debian: libopenblas-dev)" >&2
        continue
      fi
      features="--features ndarray-openblas" ;;
    candle) features="--features candle" ;;
    tch) features="--features tch" ;;
    *) echo "bench_backends.sh: unknown backend $b" >&2; exit 2 ;;
  esac
  echo "building the $b backend" >&2
  if [ "$b" = tch ]; then
    # burn-tch's torch-sys builds its C++ shim against the venv's PyTorch (a newer release
    # than the one it names, hence the bypass) and links its libraries
    if ! VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" LIBTORCH_USE_PYTORCH=1 LIBTORCH_BYPASS_VERSION_CHECK=1 \
        cargo build -q --release --locked -p trainer $features; then
      echo "bench_backends.sh: the tch backend did not build against this PyTorch; skipped" >&2
      echo "| tch | did not build against the venv's PyTorch $("$venv/bin/python" -c 'import torch; print(torch.__version__)') (torch-sys 0.22 is written for 2.9) |" >>"$work/failed"
      continue
    fi
  else
    cargo build -q --release --locked -p trainer $features
  fi
  cp "$CARGO_TARGET_DIR/release/fipmae" "$work/fipmae-$b"
  built="$built $b"
done
# leave the default build in place for the other scripts
cargo build -q --release --locked -p trainer

out="$work/rows"
for t in $threads; do
  export RAYON_NUM_THREADS="$t" OMP_NUM_THREADS="$t" MKL_NUM_THREADS="$t"
  for round in $(seq "$rounds"); do
    for b in $built; do
      echo "threads $t, round $round/$rounds: $b" >&2
      if ! LD_LIBRARY_PATH="$torch_lib:${LD_LIBRARY_PATH:-}" "$work/fipmae-$b" bench model --json --preset "$preset" \
          --method fip --batch-size "$batch" --steps "$steps" >"$work/one" 2>"$work/err"; then
        echo "bench_backends.sh: the $b backend failed on this network, dropped: $(grep -m1 -E 'panicked|Error|error' -A1 "$work/err" | tr '\n' ' ')" >&2
        echo "| $b | failed: $(grep -m1 -A1 'panicked' "$work/err" | tail -1 | cut -c1-120) |" >>"$work/failed"
        built=$(echo "$built" | tr ' ' '\n' | grep -vx "$b" | tr '\n' ' ')
        continue
      fi
      sed "s/^{/{\"build\":\"$b\",\"t\":$t,/" "$work/one" >>"$out"
    done
    echo "threads $t, round $round/$rounds: pytorch" >&2
    "$venv/bin/python" bench/torch_twin.py --preset "$preset" --method fip --batch-size "$batch" \
      --steps "$steps" --threads "$t" | sed "s/^{/{\"build\":\"pytorch\",\"t\":$t,/" >>"$out"
  done
done

[ -f "$work/failed" ] && { echo; echo "| backend | did not run |"; echo "|---|---|"; cat "$work/failed"; }
python3 - "$out" "$preset" "$batch" "$rounds" <<'PY'
import json, statistics, sys
path, preset, batch, rounds = sys.argv[1:5]
rows = [json.loads(l) for l in open(path) if l.startswith("{")]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"\n{cpu}; `{preset}`, batch {batch}, median of {rounds} alternating rounds; examples/s (ratio to PyTorch eager)\n")
print("| threads | backend | pretraining step | classifier forward |")
print("|---|---|---|---|")
for t in dict.fromkeys(r["t"] for r in rows):
    med = lambda b, k: statistics.median(r[k] for r in rows if r["t"] == t and r["build"] == b)
    ref = {k: med("pytorch", k) for k in ("pretrain_examples_per_s", "classify_examples_per_s")}
    for b in dict.fromkeys(r["build"] for r in rows):
        cells = [f"{med(b, k):.1f} ({med(b, k) / ref[k]:.2f}×)" for k in ref]
        name = "PyTorch eager" if b == "pytorch" else f"Burn {b}"
        print(f"| {t} | {name} | {cells[0]} | {cells[1]} |")
PY
