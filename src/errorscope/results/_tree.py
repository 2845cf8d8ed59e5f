"""The table tree of ``python -m imagenet_x aggregate``, written from the counts (``errorscope aggregate``)."""

from __future__ import annotations

from pathlib import Path

from .._io import atomic_open, write_frame
from .._safe import inside
from ..constants import ERROR_TYPES, WHICH_FACTORS
from ..imagenetx._counts import _drop_last_model, count_factor_sets
from ..imagenetx._tables import accuracy_table, metaclass_table
from ..predictions import Population
from ..resources.imagenetx import NOTICE
from ._factors import tidy_factor_frame

__all__ = ["write_table_tree"]


def write_table_tree(pop: Population, table_dir: str | Path, group: str, *,
                     error_types: tuple[str, ...] = ERROR_TYPES, which_factors: tuple[str, ...] = WHICH_FACTORS,
                     filter_prototypes: bool = True, parquet: bool = True, intervals: bool = True,
                     partition: str = "val", progress: bool = False) -> list[Path]:
    """Write the table tree of ``python -m imagenet_x aggregate`` for one group of models.

    ``TABLE_DIR/<partition>/<which>_factor/<group>/<error_type>/accuracies_per_factor.csv`` and
    ``accuracies_per_factor_metaclass.csv``, with the ``human`` row in ``real_class`` only; plus Parquet copies
    and ``factor_intervals.csv`` (Wilson 95% intervals of every factor accuracy and error ratio).
    ``partition="train"`` needs predictions on the 11,233 annotated training images (ImageNet-X itself loads the
    train annotations and writes nothing); the ReaL labels cover validation images only, so every train
    prediction is wrong under ``real_class``, as in ImageNet-X. Every file is written atomically.

    Parameters
    ----------
    pop : Population
        Predictions of the group's models.
    table_dir : str or Path
        Root of the table tree.
    group : str
        Group folder name (e.g. ``base``).
    error_types : tuple of str
        Correctness rules (default all three).
    which_factors : tuple of str
        Annotation files (default both).
    filter_prototypes : bool, default True
        Drop ImageNet-X's 3,000 prototypical images.
    parquet : bool, default True
        Also write Parquet copies.
    intervals : bool, default True
        Also write ``factor_intervals.csv``.
    partition : {"val", "train"}
        Validation or the annotated training images.
    progress : bool, default False
        Show a progress bar.

    Returns
    -------
    list of Path
        Every file written, the NOTICE first.
    """
    from tqdm.auto import tqdm

    written: list[Path] = []
    notice = Path(table_dir) / "NOTICE.txt"
    with atomic_open(notice) as fh:
        fh.write(f"These tables are derived from the ImageNet-X annotations. {NOTICE}\n")
    written.append(notice)
    all_counts = count_factor_sets(pop, whiches=which_factors, error_types=error_types, partition=partition,
                                   filter_prototypes=filter_prototypes, add_human=True)
    for (which, error_type), counts in tqdm(all_counts.items(), desc=f"tables {group}", disable=not progress):
        if error_type != "real_class":
            counts = _drop_last_model(counts)
        out = Path(table_dir) / partition / f"{which}_factor" / group / error_type
        inside(table_dir, out)  # the published layout names folders after the group verbatim: never outside
        per_factor = accuracy_table(counts)
        per_mc = metaclass_table(counts)
        written.append(write_frame(per_factor, out / "accuracies_per_factor.csv"))
        written.append(write_frame(per_mc, out / "accuracies_per_factor_metaclass.csv"))
        if parquet:
            written.append(write_frame(per_factor, out / "accuracies_per_factor.parquet"))
            written.append(write_frame(per_mc, out / "accuracies_per_factor_metaclass.parquet"))
        if intervals:
            written.append(write_frame(tidy_factor_frame(counts), out / "factor_intervals.csv", index=False))
    return written
