#!/usr/bin/env python3
"""A second, independent implementation of the ten classes, written from SPEC §2's table
(not from `signal/`'s code), with its own filters and timing; writes SigMF recordings that
`fipmae classify` judges. numpy only.

    python3 scripts/independent_bursts.py --out DIR [--per-class 40] [--snr 0 5 10 20]
        [--condition nominal cfo10x rolloff0.2 rolloff0.5 sps4 sps16 midsymbol] [--seed 1]
    fipmae classify --model RUN_OR_BUNDLE --json DIR/*.sigmf-meta > DIR/verdicts.jsonl
    python3 scripts/independent_bursts.py --out DIR --score DIR/verdicts.jsonl [--per-class]
        [--check REPORT [--within 5] [--snr 5 10 20]]

Without --condition it writes the seven conditions listed first below (nominal ... midsymbol);
the others (cfo0 ... field) only when named, e.g. `--condition cfo0 cfo1e-4 cfo1e-3 cfo1e-2
cfo5e-2 ranges field`. With --score, a bare --per-class adds two tables: accuracy per
(condition, class) over all SNRs, and per (condition, class) at each SNR.

--check compares the accuracy of --check-condition (default nominal; `field` for a model
trained on the parameter ranges and offsets) with REPORT's (a `fipmae eval` report.json) at
each SNR it checks: those of --snr when given, else every SNR >= 0 dB that has verdicts of
that condition and is in REPORT. It prints how many bursts it compared at each SNR, writes them with the
verdict to DIR/check.json, and fails when an SNR is more than --within points below
REPORT, when an SNR it was asked to check has no burst of it or is not in REPORT, or when
it compared no burst at all.

One recording per (condition, SNR): DIR/<condition>_snr<S>.sigmf-meta/-data, the bursts of
every class one after another, each annotated with its class (`core:label`) and SNR
(`fipmae:snr_db`). Conditions (what changes from the nominal channel of SPEC §2: 1024
samples, 8 samples per symbol, RRC roll-off 0.35, unit average power, random carrier
phase, frequency offset U[-5e-5, 5e-5] cycles/sample, fractional timing, AWGN):

- nominal: as above;
- cfo10x: a frequency offset 10 times the training range, U[-5e-4, 5e-4];
- rolloff0.2, rolloff0.5: another RRC roll-off;
- sps4, sps16: 4 or 16 samples per symbol;
- midsymbol: the burst starts exactly half a symbol into a symbol;
- cfo0: no frequency offset at all (exactly 0);
- cfo1e-4, cfo1e-3, cfo1e-2, cfo5e-2: a frequency offset U[-max, max] cycles/sample with
  max = 1e-4, 1e-3, 1e-2, 5e-2 (the burst times exp(j·2π·f·k), k the sample index);
- ranges: each burst draws its class's parameters uniformly from these ranges (the nominal
  value in brackets), everything else nominal:

  | class | parameter ranges |
  |---|---|
  | OOK, 4ASK, 8ASK, 4PAM, 16PAM, OQPSK, DQPSK | RRC roll-off in [0.2, 0.5] (0.35) |
  | CPFSK | modulation index h in [0.7, 1.0] (1.0), rectangular frequency pulse |
  | GFSK | h in [0.1, 0.4] (0.35), Gaussian BT in [0.1, 0.5] (0.5) |
  | GMSK | h = 0.5, BT in [0.1, 0.5] (0.3) |

- field: ranges, plus a frequency offset U[-1e-2, 1e-2] cycles/sample.

Each (condition, SNR) has its own random stream (seeded by --seed, the SNR and the
condition's place in the list above); the parameters of ranges/field are drawn from it only
by those conditions, so the other conditions' recordings do not depend on them.
"""

import argparse
import functools
import json
import os

import numpy as np

CLASSES = ["OOK", "4ASK", "8ASK", "4PAM", "16PAM", "OQPSK", "DQPSK", "CPFSK", "GFSK", "GMSK"]
N = 1024
CONDITIONS = {
    "nominal": {},
    "cfo10x": {"cfo": 5e-4},
    "rolloff0.2": {"beta": 0.2},
    "rolloff0.5": {"beta": 0.5},
    "sps4": {"sps": 4},
    "sps16": {"sps": 16},
    "midsymbol": {"offset": "half"},
    # Conditions added later: appended, so the earlier ones keep their place in this list
    # (it seeds their random streams) and their recordings stay bit for bit the same.
    "cfo0": {"cfo": 0.0},
    "cfo1e-4": {"cfo": 1e-4},
    "cfo1e-3": {"cfo": 1e-3},
    "cfo1e-2": {"cfo": 1e-2},
    "cfo5e-2": {"cfo": 5e-2},
    "ranges": {"ranges": True},
    "field": {"ranges": True, "cfo": 1e-2},
}
# What runs without --condition: the first seven, as before the others were added.
DEFAULT_CONDITIONS = ["nominal", "cfo10x", "rolloff0.2", "rolloff0.5", "sps4", "sps16", "midsymbol"]
# Nominal continuous-phase parameters: modulation index h, Gaussian BT (None: rectangle).
FSK = {"CPFSK": (1.0, None), "GFSK": (0.35, 0.5), "GMSK": (0.5, 0.3)}


@functools.lru_cache(maxsize=None)
def rrc_taps(beta, sps, span):
    """Root-raised-cosine impulse response over `span` symbols, unit energy."""
    t = np.arange(-span * sps / 2, span * sps / 2 + 1) / sps  # in symbols
    h = np.empty_like(t)
    for i, x in enumerate(t):
        if abs(x) < 1e-12:
            h[i] = 1.0 - beta + 4 * beta / np.pi
        elif beta > 0 and abs(abs(x) - 1 / (4 * beta)) < 1e-9:
            h[i] = beta / np.sqrt(2) * (
                (1 + 2 / np.pi) * np.sin(np.pi / (4 * beta))
                + (1 - 2 / np.pi) * np.cos(np.pi / (4 * beta))
            )
        else:
            num = np.sin(np.pi * x * (1 - beta)) + 4 * beta * x * np.cos(np.pi * x * (1 + beta))
            den = np.pi * x * (1 - (4 * beta * x) ** 2)
            h[i] = num / den
    return h / np.sqrt(np.sum(h**2))


def shaped(symbols, sps, beta, start):
    """Symbols as impulses every `sps` samples through an RRC filter; N samples from `start`."""
    x = np.zeros(len(symbols) * sps, dtype=complex)
    x[::sps] = symbols
    y = np.convolve(x, rrc_taps(beta, sps, 8))
    return y[start : start + N]


def fsk_phase(bits, sps, h, bt, start):
    """Continuous-phase FSK: each symbol turns the phase by ±π·h; the frequency pulse is a
    one-symbol rectangle, Gaussian-filtered when `bt` is given."""
    freq = np.repeat(bits.astype(float), sps)  # rectangle of one symbol
    if bt is not None:
        # the Gaussian over ±2 symbols, or ±4 standard deviations when wider (BT < ~0.2;
        # never for the nominal BTs 0.3 and 0.5, whose taps stay exactly as they were)
        half = max(2, int(np.ceil(4 * np.sqrt(np.log(2)) / (2 * np.pi * bt))))
        t = np.arange(-half * sps, half * sps + 1) / sps  # in symbols
        g = np.exp(-2 * (np.pi * bt * t) ** 2 / np.log(2))
        freq = np.convolve(freq, g / g.sum(), mode="same")
    phase = np.cumsum(np.pi * h * freq / sps)
    return np.exp(1j * phase[start : start + N])


def burst(cls, rng, sps, beta, offset, fsk=None):
    """One clean burst of class `cls`, unit average power; `fsk` = (h, bt) overrides the
    nominal continuous-phase parameters."""
    n_sym = N // sps + 16
    span_delay = 4 * sps  # RRC delay: half of its 8-symbol span
    start = span_delay + 4 * sps + offset
    if cls in ("OOK", "4ASK", "8ASK"):
        m = {"OOK": 2, "4ASK": 4, "8ASK": 8}[cls]
        s = shaped(rng.integers(0, m, n_sym).astype(complex), sps, beta, start)
    elif cls in ("4PAM", "16PAM"):
        m = 4 if cls == "4PAM" else 16
        s = shaped((2 * rng.integers(0, m, n_sym) - (m - 1)).astype(complex), sps, beta, start)
    elif cls == "OQPSK":
        i = 2 * rng.integers(0, 2, n_sym) - 1
        q = 2 * rng.integers(0, 2, n_sym) - 1
        si = shaped(i.astype(complex), sps, beta, start)
        sq = shaped(q.astype(complex), sps, beta, start - sps // 2)  # Q half a symbol late
        s = si + 1j * sq.real
    elif cls == "DQPSK":
        steps = rng.choice([np.pi / 4, 3 * np.pi / 4, -np.pi / 4, -3 * np.pi / 4], n_sym)
        s = shaped(np.exp(1j * np.cumsum(steps)), sps, beta, start)
    else:
        h, bt = fsk if fsk is not None else FSK[cls]
        s = fsk_phase(2 * rng.integers(0, 2, n_sym) - 1, sps, h, bt, start)
    return s / np.sqrt(np.mean(np.abs(s) ** 2))


def drawn_params(cls, rng, beta):
    """The `ranges` condition's class parameters for one burst: (roll-off, (h, bt) or None)."""
    if cls == "CPFSK":
        return beta, (rng.uniform(0.7, 1.0), None)
    if cls == "GFSK":
        return beta, (rng.uniform(0.1, 0.4), rng.uniform(0.1, 0.5))
    if cls == "GMSK":
        return beta, (0.5, rng.uniform(0.1, 0.5))
    return rng.uniform(0.2, 0.5), None


def channel(s, rng, snr_db, cfo):
    """Carrier phase, frequency offset (cycles/sample), AWGN at `snr_db` (signal power 1)."""
    n = np.arange(len(s))
    s = s * np.exp(1j * (rng.uniform(0, 2 * np.pi) + 2 * np.pi * rng.uniform(-cfo, cfo) * n))
    sigma = np.sqrt(10 ** (-snr_db / 10) / 2)
    return s + sigma * (rng.standard_normal(len(s)) + 1j * rng.standard_normal(len(s)))


def recording(condition, snr_db, per_class, seed):
    """Samples and annotations of one recording."""
    c = CONDITIONS[condition]
    sps, beta, cfo = c.get("sps", 8), c.get("beta", 0.35), c.get("cfo", 5e-5)
    rng = np.random.default_rng([seed, int(snr_db * 10) + 1000, list(CONDITIONS).index(condition)])
    parts, notes = [], []
    for cls in CLASSES:
        for _ in range(per_class):
            offset = sps // 2 if c.get("offset") == "half" else int(rng.integers(0, sps))
            b, fsk = drawn_params(cls, rng, beta) if c.get("ranges") else (beta, None)
            x = channel(burst(cls, rng, sps, b, offset, fsk), rng, snr_db, cfo)
            notes.append({
                "core:sample_start": len(parts) * N,
                "core:sample_count": N,
                "core:label": cls,
                "fipmae:snr_db": snr_db,
            })
            parts.append(x)
    return np.concatenate(parts).astype(np.complex64), notes


def write(out, name, samples, notes, condition):
    """A SigMF pair (cf32_le)."""
    meta = {
        "global": {
            "core:datatype": "cf32_le",
            "core:sample_rate": 1e6,
            "core:version": "1.0.0",
            "core:description": f"independent bursts ({condition}), scripts/independent_bursts.py",
        },
        "captures": [{"core:sample_start": 0}],
        "annotations": notes,
    }
    with open(os.path.join(out, name + ".sigmf-data"), "wb") as f:
        f.write(samples.astype("<c8").tobytes())
    with open(os.path.join(out, name + ".sigmf-meta"), "w") as f:
        json.dump(meta, f, indent=1)


def verdicts(path):
    """(condition, SNR, label, predicted) of each `fipmae classify --json` line; the condition
    and SNR from the recording's name (<condition>_snr<S>.sigmf-meta). `predicted` is the
    closest class (`best_class`), as `eval`'s accuracy counts it: a model with an open-set
    rule may call a burst `unknown`, which `eval --open-set` measures apart."""
    with open(path) as f:
        for line in f:
            v = json.loads(line)
            name = os.path.basename(v["recording"]).split(".sigmf")[0]
            cond, snr = name.rsplit("_snr", 1)
            yield cond, float(snr), v["label"], v.get("best_class", v["predicted"])


def score(path):
    """Accuracy per (condition, SNR) from `fipmae classify --json` lines: a Markdown table."""
    hits = {}
    for cond, snr, label, predicted in verdicts(path):
        h = hits.setdefault((cond, snr), [0, 0])
        h[0] += predicted == label
        h[1] += 1
    snrs = sorted({s for _, s in hits})
    conds = [c for c in CONDITIONS if any(k[0] == c for k in hits)]
    rows = ["| condition | " + " | ".join(f"{s:g} dB" for s in snrs) + " |",
            "|---|" + "---|" * len(snrs)]
    for c in conds:
        cells = [f"{100 * hits[(c, s)][0] / hits[(c, s)][1]:.1f} %" if (c, s) in hits else "" for s in snrs]
        rows.append(f"| {c} | " + " | ".join(cells) + " |")
    table = {f"{c}@{s:g}": hits[(c, s)][0] / hits[(c, s)][1] for (c, s) in hits}
    return "\n".join(rows), table, hits


def score_per_class(path):
    """Accuracy per (condition, class) from the same lines: over all SNRs (a row per
    condition, a column per class), then at each SNR (a row per (condition, class), a column
    per SNR); two Markdown tables under a title each."""
    hits = {}  # (condition, label, SNR) -> [right, all]
    for cond, snr, label, predicted in verdicts(path):
        label = label if label is not None else "-"
        h = hits.setdefault((cond, label, snr), [0, 0])
        h[0] += predicted == label
        h[1] += 1
    if not hits:
        return "Accuracy per (condition, class): no verdicts."
    conds = [c for c in CONDITIONS if any(k[0] == c for k in hits)]
    conds += sorted({k[0] for k in hits} - set(conds))
    labels = [c for c in CLASSES if any(k[1] == c for k in hits)]
    labels += sorted({k[1] for k in hits} - set(labels))
    snrs = sorted({k[2] for k in hits})

    def cell(keys):
        right = sum(hits[k][0] for k in keys if k in hits)
        n = sum(hits[k][1] for k in keys if k in hits)
        return f"{100 * right / n:.1f} %" if n else ""

    rows = ["Accuracy per (condition, class) over all SNRs:", "",
            "| condition | " + " | ".join(labels) + " | all |",
            "|---|" + "---|" * (len(labels) + 1)]
    for c in conds:
        cells = [cell([(c, l, s) for s in snrs]) for l in labels]
        cells.append(cell([(c, l, s) for l in labels for s in snrs]))
        rows.append(f"| {c} | " + " | ".join(cells) + " |")
    rows += ["", "Accuracy per (condition, class) at each SNR:", "",
             "| condition | class | " + " | ".join(f"{s:g} dB" for s in snrs) + " | all |",
             "|---|---|" + "---|" * (len(snrs) + 1)]
    for c in conds:
        for l in labels:
            if any((c, l, s) in hits for s in snrs):
                cells = [cell([(c, l, s)]) for s in snrs] + [cell([(c, l, s) for s in snrs])]
                rows.append(f"| {c} | {l} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def check(hits, report, within, snrs=None, condition="nominal"):
    """`condition`'s accuracy against `report` (report.json's per_snr) at each SNR of `snrs`
    (None: every SNR >= 0 dB with verdicts of `condition` that the report has). Prints a line
    per SNR and the bursts compared; returns (summary for check.json, list of problems)."""
    with open(report) as f:
        own = {float(r["snr_db"]): r["accuracy"] for r in json.load(f)["per_snr"]}
    of_condition = {snr: h for (cond, snr), h in hits.items() if cond == condition}
    if snrs is None:
        snrs = sorted(s for s in of_condition if s >= 0 and s in own)
    else:
        snrs = sorted({float(s) for s in snrs})
    summary, problems = {}, []
    for snr in snrs:
        right, n = of_condition.get(snr, (0, 0))
        row = {"bursts": n, "ok": False}
        if snr not in own:
            print(f"{condition} {snr:g} dB: {n} bursts, but {report} has no accuracy at {snr:g} dB")
            problems.append(f"{snr:g} dB: not in {report}")
        elif n == 0:
            print(f"{condition} {snr:g} dB: no bursts to compare")
            problems.append(f"{snr:g} dB: no {condition} bursts")
        else:
            acc = right / n
            gap = 100 * (own[snr] - acc)
            print(f"{condition} {snr:g} dB: independent {100 * acc:.1f} %, own test set "
                  f"{100 * own[snr]:.1f} % ({gap:+.1f} points; {n} bursts compared)")
            row.update(independent=acc, own=own[snr], gap_points=gap, ok=gap <= within)
            if gap > within:
                problems.append(f"{snr:g} dB: more than {within:g} points below {report}")
        summary[f"{snr:g}"] = row
    total = sum(r["bursts"] for r in summary.values())
    per_snr = ", ".join(f"{k} dB: {r['bursts']}" for k, r in summary.items())
    print(f"check: {total} {condition} bursts compared at {len(summary)} SNRs"
          + (f" ({per_snr})" if summary else ""))
    if total == 0:
        problems.append(f"no {condition} burst compared")
    return {"report": report, "condition": condition, "within": within, "bursts": total, "snrs": summary,
            "ok": not problems, "problems": problems}, problems


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--score", metavar="VERDICTS", help="score `fipmae classify --json` output instead")
    p.add_argument("--check", metavar="REPORT",
                   help="with --score: fail when the --check-condition's accuracy at an SNR it checks (those of "
                        "--snr when given, else every SNR >= 0 dB present) is more "
                        "than --within points below this report.json's at the same SNR, or when "
                        "it compares no burst there")
    p.add_argument("--check-condition", default="nominal", choices=list(CONDITIONS),
                   help="with --check: the condition compared with the report (default nominal; "
                        "`field` for a model trained on the parameter ranges and offsets)")
    p.add_argument("--within", type=float, default=5.0)
    p.add_argument("--out", required=True)
    p.add_argument("--per-class", type=int, nargs="?", const=-1, metavar="N",
                   help="bursts per class to write (default 40); with --score (no number "
                        "needed): add tables of accuracy per (condition, class)")
    p.add_argument("--snr", type=float, nargs="+",
                   help="SNRs to write (default 0 5 10 20); with --score --check: the SNRs to "
                        "check, each must have bursts of --check-condition")
    p.add_argument("--condition", nargs="+", default=DEFAULT_CONDITIONS, choices=list(CONDITIONS))
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.score:
        md, table, hits = score(a.score)
        if a.per_class is not None:
            md += "\n\n" + score_per_class(a.score)
        print(md)
        with open(os.path.join(a.out, "mismatch.json"), "w") as f:
            json.dump(table, f, indent=1, sort_keys=True)
        with open(os.path.join(a.out, "mismatch.md"), "w") as f:
            f.write(md + "\n")
        if a.check:
            summary, problems = check(hits, a.check, a.within, a.snr, a.check_condition)
            with open(os.path.join(a.out, "check.json"), "w") as f:
                json.dump(summary, f, indent=1)
            if problems:
                raise SystemExit("independent check: " + "; ".join(problems))
        return
    per_class = 40 if a.per_class is None else a.per_class
    if per_class < 1:
        p.error("--per-class: give the number of bursts per class to write (1 or more)")
    os.makedirs(a.out, exist_ok=True)
    snrs = [0, 5, 10, 20] if a.snr is None else a.snr
    for cond in a.condition:
        for snr in snrs:
            samples, notes = recording(cond, snr, per_class, a.seed)
            write(a.out, f"{cond}_snr{snr:g}", samples, notes, cond)
    print(f"{len(a.condition) * len(snrs)} recordings in {a.out}")


if __name__ == "__main__":
    main()
