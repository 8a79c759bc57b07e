#!/usr/bin/env bash
# Issue #22 item 4, the denoising claim: the constellation reconstructions of the
# FIP-DenoMAE and DenoMAE autoencoders of one campaign set (seeds 0-2), per SNR, against
# the noisy input's, with pictures at -10, 0 and 10 dB. Each autoencoder is measured
# through `eval` on one of its per-SNR classifiers (the classifier does not enter the
# reconstruction figures): 20 examples per class at -10, -5, 0, 5, 10 dB.
#
#   bash results/paper-protocol-2026-12-05/recon.sh SET_DIR OUT_DIR   # e.g. /var/tmp/campaign22/denomae-short results/paper-protocol-2026-12-05/denomae-short/recon
set -euo pipefail
set_dir="$1"; out="$2"
bin="${FIPMAE:-fipmae}"
mkdir -p "$out"
for seed in 0 1 2; do
  for m in fip denomae; do
    d="$out/seed-$seed-$m"
    [ -f "$d/report.json" ] && continue
    "$bin" eval --model "$set_dir/seed-$seed/snr_0dB/$m" --pretrained "$set_dir/seed-$seed/$m-pre" \
      --snr-min -10 --snr-max 10 --snr-step 5 --per-class 20 --recon-per-class 20 \
      --pictures-at=-10,0,10 --threads 2 --out "$d" >/dev/null
  done
done
python3 - "$out" <<'PY' | tee "$out/recon.md"
import json, sys, os
out = sys.argv[1]
rows = {}
for seed in (0, 1, 2):
    for m in ("fip", "denomae"):
        r = json.load(open(os.path.join(out, f"seed-{seed}-{m}", "report.json")))["reconstruction"]
        for at in r["per_snr"]:
            q = next(x for x in at["modalities"] if x["modality"] == "constellation")
            rows.setdefault((m, at["snr_db"]), []).append((q["psnr_db"], q["ssim"], q["input_psnr_db"], q["input_ssim"]))
def ms(v):
    n = len(v); mu = sum(v) / n
    sd = (sum((x - mu) ** 2 for x in v) / (n - 1)) ** 0.5 if n > 1 else 0.0
    return f"{mu:.2f} ± {sd:.2f}"
print("| SNR (dB) | FIP-DenoMAE PSNR (dB) | DenoMAE PSNR (dB) | noisy input PSNR (dB) | FIP-DenoMAE SSIM | DenoMAE SSIM | noisy input SSIM |")
print("|---|---|---|---|---|---|---|")
for snr in sorted({k[1] for k in rows}):
    f, d = rows[("fip", snr)], rows[("denomae", snr)]
    print(f"| {snr:g} | {ms([x[0] for x in f])} | {ms([x[0] for x in d])} | {ms([x[2] for x in f])} | {ms([x[1] for x in f])} | {ms([x[1] for x in d])} | {ms([x[3] for x in f])} |")
PY
