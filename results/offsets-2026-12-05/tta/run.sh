#!/usr/bin/env bash
# Test-time augmentation probe (issue #25): the independent implementation's bursts (cfo0 and
# field, 60 per class at 0, 2, ..., 10 dB, seed 11) classified as they are, conjugated,
# time-reversed and both (each keeps every class's distribution), scored alone and with the
# four views' probabilities averaged. Columns: condition/SNR:accuracy %.
#
#   bash results/offsets-2026-12-05/tta/run.sh MODEL [FIPMAE_BINARY] > OUT.txt    # ~20 s
set -eu
MODEL=$1
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BIN=${2:-${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}/release/fipmae}
source "$ROOT/scripts/tools.sh"
PY="$(ensure_py_venv)/bin/python"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
"$PY" "$ROOT/scripts/independent_bursts.py" --out "$W/v0" --per-class 60 --snr 0 2 4 6 8 10 --condition cfo0 field --seed 11 >/dev/null
"$PY" - "$W" <<'PY'
import glob, os, shutil, sys
import numpy as np
w = sys.argv[1]
for v, (cj, rv) in {"v1": (1, 0), "v2": (0, 1), "v3": (1, 1)}.items():
    os.makedirs(f"{w}/{v}", exist_ok=True)
    for m in glob.glob(f"{w}/v0/*.sigmf-meta"):
        shutil.copy(m, f"{w}/{v}/")
        x = np.fromfile(m.replace("-meta", "-data"), dtype=np.complex64).reshape(-1, 1024)
        if cj:
            x = np.conj(x)
        if rv:
            x = x[:, ::-1]
        np.ascontiguousarray(x).tofile(f"{w}/{v}/" + os.path.basename(m).replace("-meta", "-data"))
PY
for v in v0 v1 v2 v3; do (cd "$W/$v" && "$BIN" classify --model "$MODEL" --json ./*.sigmf-meta > "../$v.jsonl"); done
"$PY" - "$W" <<'PY'
import collections, json, os, sys
w = sys.argv[1]
P = {}
for v in ["v0", "v1", "v2", "v3"]:
    for line in open(f"{w}/{v}.jsonl"):
        d = json.loads(line)
        k = (d["recording"], d["sample_start"])
        P.setdefault(k, {"label": d["label"], "p": {}})["p"][v] = d["probabilities"]
def acc(views):
    res = collections.defaultdict(lambda: [0, 0])
    for (rec, _), e in P.items():
        cond, snr = os.path.basename(rec).split(".sigmf")[0].split("_snr")
        avg = collections.Counter()
        for v in views:
            for c, p in e["p"][v].items():
                avg[c] += p
        pred = max(avg, key=avg.get)
        for key in [(cond, int(snr)), (cond, 99)]:
            res[key][0] += pred == e["label"]
            res[key][1] += 1
    return res
for name, views in [("as is", ["v0"]), ("conjugated", ["v1"]), ("reversed", ["v2"]),
                    ("as is + conjugated", ["v0", "v1"]), ("all four", ["v0", "v1", "v2", "v3"])]:
    r = acc(views)
    cells = " ".join(f"{c}/{'all' if s == 99 else s}:{100 * a / n:.1f}" for (c, s), (a, n) in sorted(r.items()))
    print(f"{name:20s} {cells}")
PY
