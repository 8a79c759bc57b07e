#!/usr/bin/env python3
"""Groups a `perf report --no-children --sort symbol --stdio` (self time per symbol) of
`fipmae bench model` into the categories of the README's breakdown and prints a Markdown
table. Self time sums to 100 % of the sampled CPU time (both cores; an idle core is not
sampled). Used by scripts/profile_step.sh.

Usage: perf report ... | perf_breakdown.py
"""
import re
import sys

# (category, regex on the symbol), first match wins
CATEGORIES = [
    ("matrix products (gemm kernels + packing)", r"gemm|LocalKey"),
    ("GELU's erf (scalar libm erff, forward + backward)", r"erff|erfc"),
    ("exp (softmax, GELU backward)", r"expf|exp_"),
    ("moving memory: strided copies, to_contiguous, memcpy/memset, page faults",
     r"to_contiguous|StridedIter|memmove|memcpy|memset|clear_page|page_fault|do_anonymous_page|"
     r"alloc_pages|get_page_from_freelist|__handle_mm_fault|do_wp_page|from_iter|copy_|"
     r"strided|repeat_dim|cat::|folio|lruvec|memcg|_int_malloc|_int_free|malloc|free\b"),
    ("element-wise arithmetic (binary/unary/scalar ops, SIMD)",
     r"binary_op|unary_op|scalar_op|broadcast|macerator|run_vectorized|call_mut|mask"),
    ("reductions (sum, mean, layer norm, softmax rows)", r"reduce|sum_dim|layer_norm|softmax"),
    ("gather / scatter (masking, un-shuffling)", r"gather|scatter|read_indices|select"),
    ("threads waiting / scheduling", r"sched|futex|rayon|finish_task_switch|_raw_spin|"
     r"syscall|wait_until|yield|tick|irq|softirq|timer"),
]


def main():
    totals = {name: 0.0 for name, _ in CATEGORIES}
    other = 0.0
    other_top = []
    for line in sys.stdin:
        m = re.match(r"\s*([\d.]+)%\s+\[[.k]\]\s+(.*?)\s*$", line)
        if not m:
            continue
        pct, sym = float(m.group(1)), m.group(2)
        for name, rx in CATEGORIES:
            if re.search(rx, sym):
                totals[name] += pct
                break
        else:
            other += pct
            other_top.append((pct, sym))
    print("| where the CPU time goes (self time) | share |")
    print("|---|---|")
    for name, _ in CATEGORIES:
        print(f"| {name} | {totals[name]:.1f} % |")
    other_top.sort(reverse=True)
    names = ", ".join(s[:40] for _, s in other_top[:3])
    print(f"| other (largest: {names}) | {other:.1f} % |")


if __name__ == "__main__":
    main()
