#!/usr/bin/env bash
# What the offset correction itself costs on bursts that have no offset: a classifier (a
# bundle folder, e.g. static/, or a fine-tuning run folder) evaluated on the
# fixed-parameter, zero-offset test set (0..10 dB, 20 per class and dB) with the correction
# off and on, set in copies of it (bundle.json's signal and render `offset_correction`, or
# run.json's dataset.signal and render), once per fipmae binary given (e.g. builds before
# and after an estimator change). On these bursts "off" is an oracle: the true offset is 0.
# Prints one row per binary and setting, with per-class accuracy.
#
#   bash results/offsets-2026-12-05/correction-cost/run.sh MODEL BIN...
set -euo pipefail
model="$1"; shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for c in off on; do
  mkdir "$work/$c"
  # the description and the weights only (not a run's checkpoint or lock)
  for f in bundle.json run.json classifier.fipmae autoencoder.fipmae calibration.json; do
    [ -f "$model/$f" ] && cp "$model/$f" "$work/$c/"
  done
  python3 - "$work/$c" "$c" <<'PY'
import json, os, sys
d, on = sys.argv[1], sys.argv[2] == "on"
name = "bundle.json" if os.path.exists(os.path.join(d, "bundle.json")) else "run.json"
p = os.path.join(d, name)
j = json.load(open(p))
(j["signal"] if name == "bundle.json" else j["dataset"]["signal"])["offset_correction"] = on
j["render"]["offset_correction"] = on
json.dump(j, open(p, "w"), indent=1)
PY
done
echo "| binary | correction | 0 dB | 3 dB | 5 dB | mean 0..10 dB | per class (0..10 dB) |"
echo "|---|---|---|---|---|---|---|"
for bin in "$@"; do
  for c in off on; do
    "$bin" eval --model "$work/$c" --out "$work/e-$c" --snr-min 0 --snr-max 10 --recon-per-class 0 \
      --class-parameters fixed --max-freq-offset 0 >/dev/null
    python3 - "$work/e-$c/report.json" "$(basename "$bin")" "$c" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
acc = {a["snr_db"]: a["accuracy"] for a in r["per_snr"]}
c = r["confusion"]
per = " ".join(f"{n} {100 * c[i][i] / sum(c[i]):.0f}" for i, n in enumerate(r["classes"]))
print(f"| {sys.argv[2]} | {sys.argv[3]} | {100 * acc[0.0]:.1f} | {100 * acc[3.0]:.1f} | "
      f"{100 * acc[5.0]:.1f} | {100 * r['mean_0_to_10_db']:.1f} | {per} |")
PY
  done
done
