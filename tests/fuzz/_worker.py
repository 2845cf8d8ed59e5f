"""Worker of the full fuzz corpus: reads case numbers on stdin, prints one JSON outcome per line.

Run by :func:`tests.fuzz.test_fuzz_readers.test_full_corpus` as a subprocess, so that a hang or a crash of
one case is seen (and the worker restarted) instead of taking the test run down.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path


def main() -> None:
    from ._outcome import classify
    from .corpus import build_corpus

    seed, n_random = int(sys.argv[1]), int(sys.argv[2])
    cases = build_corpus(seed, n_random)
    print(json.dumps({"ready": len(cases)}), flush=True)
    for line in sys.stdin:
        i = int(line)
        folder = Path(tempfile.mkdtemp(prefix="esfuzz"))
        try:
            path = cases[i].build(folder)
            outcome, detail = classify(cases[i], path)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(json.dumps({"i": i, "outcome": outcome, "detail": detail}), flush=True)


if __name__ == "__main__":
    main()
