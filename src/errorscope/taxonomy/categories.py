"""The error categories of the taxonomy, as a registry (Peychev et al., NeurIPS 2023).

Each :class:`ErrorCategory` has an int8 ``code`` (the value stored in the per-image code matrices), a
``name`` (the key of the authors' code), the exact ``label`` string of their output, the ``cli_name`` used by
the published ``most_common_<cli_name>.txt`` listings and by ``errorscope taxonomy --most-common``, the
``order`` (step of the decision procedure in :mod:`.engine`), whether it only occurs on problematic images, and the stats
column counting it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..exceptions import InvalidInputError

__all__ = ["ErrorCategory", "CATEGORIES", "BY_CODE", "BY_NAME", "get_category", "list_categories",
           "MISSING_CODE", "NO_CODE", "ERROR_CODES", "MINOR_CODES", "EXPLAINABLE_CODES", "NO_ERROR_CODES"]


@dataclass(frozen=True)
class ErrorCategory:
    """One category of the taxonomy.

    Attributes
    ----------
    code : int
        Code in the per-image code arrays (0 = correct).
    name : str
        Identifier of the category.
    label : str
        The label string the authors' listings print.
    cli_name : str
        Name taken by the CLI and :func:`get_category`.
    order : int
        Step of the decision procedure that assigns it.
    problematic_only : bool
        Only assigned on problematic images.
    stats_column : str or None
        Its count column in ``non_problematic_stats_<group>.csv``.
    paper_name : str
        Its name in the paper.
    """

    code: int
    name: str
    label: str
    cli_name: str
    order: int
    problematic_only: bool = False
    stats_column: str | None = None
    paper_name: str = ""


CATEGORIES: tuple[ErrorCategory, ...] = (
    ErrorCategory(0, "correct", "correct", "correct", 1, stats_column="num_group_correct"),
    ErrorCategory(1, "correct_collapsed_mapping", "correct (collapsed mapping)", "overlapping_classes", 1,
                  stats_column="num_collapsed_mappings", paper_name="collapsed mapping"),
    ErrorCategory(2, "correct_multi_label", "correct wrt multi label (ambiguous/multi-object)", "multi_label", 1,
                  stats_column="num_ambiguous", paper_name="multi-label"),
    ErrorCategory(3, "same_superclass", "same superclass (fine-grained)", "fg", 2,
                  stats_column="num_same_superclass", paper_name="fine-grained"),
    ErrorCategory(4, "OOV_detected_by_clip", "potentially OOV, detected by CLIP", "fg-OOV", 4,
                  stats_column="num_OOV_clip", paper_name="fine-grained OOV"),
    ErrorCategory(5, "common_co_occurrences", "common co-occurrences (spurious correlations)",
                  "spurious_correlation", 5, stats_column="num_common_co_occ", paper_name="spurious correlation"),
    ErrorCategory(6, "non_prototypical", "non-prototypical (DoughBagel)", "non-proto", 6,
                  stats_column="num_non_prototypical", paper_name="non-prototypical"),
    ErrorCategory(7, "not_classified", "error not classified", "model_failure", 7,
                  stats_column="num_not_classified", paper_name="model failure"),
    ErrorCategory(8, "correct_but_wrong_label", "correct (top-1=target) but target is wrong/unclear",
                  "correct_but_wrong_label", 1, True),
    ErrorCategory(9, "empty_multi_label_correct", "empty (problematic) multi-label, correct (top-1=target)",
                  "empty_multi_label_correct", 1, True),
    ErrorCategory(10, "empty_multi_label_correct_collapsed_mapping",
                  "empty (problematic) multi-label, correct wrt collapsed mappings",
                  "empty_multi_label_correct_collapsed_mapping", 1, True),
    ErrorCategory(11, "empty_multi_label_wrong", "empty (problematic) multi label, wrong (top-1 != target)",
                  "empty_multi_label_wrong", 1, True),
    ErrorCategory(12, "OOV_similar_to_target",
                  "fine-grained/OOV, same superset as target, but target not in multi-label",
                  "OOV_similar_to_target", 3, True),
    ErrorCategory(13, "common_co_occurrences_with_target",
                  "common co-occurrences with target (spurious correlations), but target not in multi-label",
                  "common_co_occurrences_with_target", 3, True),
)

#: Code of a row whose model has no prediction for the image (excluded from every statistic).
MISSING_CODE = -1
#: Code of "no second label" in the secondary code matrix.
NO_CODE = -2

BY_CODE = {c.code: c for c in CATEGORIES}
BY_NAME = {c.name: c for c in CATEGORIES}
_BY_ANY = {**BY_NAME, **{c.cli_name: c for c in CATEGORIES}, **{c.label: c for c in CATEGORIES}}

#: The seven error categories of a non-problematic top-1 error (their counts sum to the top-1 errors).
ERROR_CODES = (1, 2, 3, 4, 5, 6, 7)
#: Rows counting as correct for plain MLA (``no_error``).
NO_ERROR_CODES = (0, 1, 2)
#: ... for ``minor_error`` MLA: also fine-grained and fine-grained OOV.
MINOR_CODES = (0, 1, 2, 3, 4)
#: ... for ``explainable_error`` MLA: every row except model failure.
EXPLAINABLE_CODES = (0, 1, 2, 3, 4, 5, 6)


def get_category(key: str) -> ErrorCategory:
    """Look a category up by name, CLI name or exact label string.

    Parameters
    ----------
    key : str
        A category's ``name``, ``cli_name`` or ``label``.

    Returns
    -------
    ErrorCategory
        The category.
    """
    try:
        return _BY_ANY[key]
    except KeyError:
        raise InvalidInputError(
            f"Unknown error category {key!r}; expected one of {[c.cli_name for c in CATEGORIES]}.") from None


def list_categories(*, problematic: bool = True) -> list[ErrorCategory]:
    """Categories in code order.

    Parameters
    ----------
    problematic : bool, default True
        Include the categories that occur on problematic images only.

    Returns
    -------
    list of ErrorCategory
        The categories.
    """
    return [c for c in CATEGORIES if problematic or not c.problematic_only]
