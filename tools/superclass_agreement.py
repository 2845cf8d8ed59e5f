"""Print how well a superclass file reproduces the published CLIP prompt counts (the table of docs/taxonomy.md).

``PYTHONPATH=src python tools/superclass_agreement.py [PATH]``: PATH is a superclass file (TOML or the authors'
JSON lines); default: the package's ``superclasses.toml``. Prints matched / entries / rate for the even-offset
half, the held-out odd-offset half and all 722 entries of ``most_common_fg-OOV.txt`` (the authors' proposal step), with the
superclass statistics docs/taxonomy.md reports. Building tools must not call this (it computes the odd half).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from errorscope.resources import resource_path  # noqa: E402
from errorscope.taxonomy._prompt_counts import prompt_count_agreement  # noqa: E402
from errorscope.taxonomy.listing import parse_listing  # noqa: E402
from errorscope.taxonomy.superclasses import load_superclasses  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    sc = load_superclasses(argv[0] if argv else None)
    agreement = prompt_count_agreement(sc)
    print(agreement.summary().drop(columns="basis").to_string(index=False))
    print(agreement.summary()["basis"].iloc[0])
    sizes = sc.membership.sum(axis=0)
    big = sizes[sizes > 1]
    fg = parse_listing(resource_path("eth_error_analysis/common_error_samples/most_common_fg.txt"))
    shared = sum(bool(sc.same[list(e.multi_labels), e.pred].any()) for e in fg)
    print(f"superclasses {sc.source}: {sc.n_non_singleton} non-singleton + {sc.n_singleton} singleton; sizes "
          f"{big.min()}..{big.max()}, median {np.median(big):g}, mean {big.mean():.3f}; {sc.n_same_pairs()} "
          f"same-superclass pairs; most_common_fg.txt entries sharing a superclass: {shared} / {len(fg)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
