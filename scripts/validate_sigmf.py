"""Validates SigMF recordings with the reference `sigmf` package (schema + samples).

Usage: python3 scripts/validate_sigmf.py DIR [EXPECTED_COUNT]
Prints "sigmf: N passed, M failed" and exits non-zero on any failure.
"""
import glob
import sys

import numpy as np
from sigmf import sigmffile


def main() -> int:
    folder = sys.argv[1]
    expected = int(sys.argv[2]) if len(sys.argv) > 2 else None
    passed, failed = 0, 0
    for meta in sorted(glob.glob(f"{folder}/*.sigmf-meta")):
        try:
            rec = sigmffile.fromfile(meta)  # schema validation happens here
            rec.validate()
            samples = rec.read_samples()
            ann = rec.get_annotations()
            assert samples.dtype == np.complex64, samples.dtype
            assert len(ann) == 1 and ann[0]["core:label"], ann
            assert ann[0]["core:sample_count"] == len(samples), (ann, len(samples))
            assert np.isfinite(samples).all()
            passed += 1
        except Exception as exc:  # report every bad file, not just the first
            print(f"{meta}: {exc}")
            failed += 1
    if expected is not None and passed + failed != expected:
        print(f"expected {expected} recordings, found {passed + failed}")
        failed += 1
    print(f"sigmf: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
