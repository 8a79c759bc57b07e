#!/usr/bin/env bash
# Where the time of a `small` pretraining step goes, Burn beside PyTorch, on this machine:
#  1. phases (forward, backward, AdamW) of both, from `fipmae bench model --json` and
#     bench/torch_twin.py;
#  2. Burn's CPU time by kind of work, from `perf record` of `fipmae bench model`
#     (Debian's linux-perf, installed when missing), grouped by bench/perf_breakdown.py;
#  3. PyTorch's operators by self CPU time (torch.profiler);
#  4. the step's matrix products alone, GFLOP/s on both sides (`fipmae bench matmul`).
#
#   bash scripts/profile_step.sh [--threads N] [--steps N]
set -euo pipefail
source "$(dirname "$0")/tools.sh"
cd "$fipmae_root"
threads=2 steps=5
parse_options "$(basename "$0")" "threads steps" "$@"
venv="$(ensure_torch_venv)"
if ! command -v perf >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq linux-perf >/dev/null
fi
cargo build -q --release -p trainer
fipmae="$CARGO_TARGET_DIR/release/fipmae"
export RAYON_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "## Phases of one step (ms), small, batch 32, $threads threads"
echo
"$fipmae" bench model --json --preset small --steps "$steps" >"$work/phases"
"$venv/bin/python" bench/torch_twin.py --preset small --steps "$steps" --threads "$threads" \
  --profile >>"$work/phases" 2>"$work/torch_profile"
python3 - "$work/phases" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print("| side | forward | backward | optimizer | examples/s |")
print("|---|---|---|---|---|")
for r in rows:
    print(f'| {r["side"]} | {r["forward_ms"]:.0f} | {r["backward_ms"]:.0f} | {r["optimizer_ms"]:.0f} | {r["pretrain_examples_per_s"]:.1f} |')
PY

echo
echo "## Burn: CPU time by kind of work (perf, self time, both cores)"
echo
perf record -q -e cpu-clock -F 999 -o "$work/perf.data" "$fipmae" bench model --preset small --steps "$steps" >/dev/null 2>&1
perf report -i "$work/perf.data" --no-children --sort symbol --stdio 2>/dev/null | python3 bench/perf_breakdown.py

echo
echo "## PyTorch: operators by self CPU time (torch.profiler, the same steps)"
echo
echo '```'
grep -E '^ *(Name|aten::|Optimizer|-)' "$work/torch_profile" | head -24
echo '```'

echo
echo "## The step's matrix products alone (GFLOP/s)"
echo
"$fipmae" bench matmul --json >"$work/mm"
"$venv/bin/python" bench/torch_twin.py --matmul "$work/mm" --threads "$threads" >>"$work/mm.torch"
cat "$work/mm.torch" >>"$work/mm"
python3 - "$work/mm" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
names = list(dict.fromkeys(r["name"] for r in rows))
g = {(r["side"], r["name"]): r["gflops"] for r in rows}
print("| product | Burn (Flex) | PyTorch | Burn / PyTorch |")
print("|---|---|---|---|")
for n in names:
    b, t = g[("burn", n)], g[("pytorch", n)]
    print(f"| {n} | {b:.0f} | {t:.0f} | {b / t:.2f} |")
PY
