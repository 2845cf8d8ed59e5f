"""``errorscope.diff(a, b)``: two models compared image by image.

On the images both models cover: which images B fixes (A wrong, B right) and breaks (A right, B wrong); McNemar's
exact test overall and per ImageNet-X factor, metaclass, class and taxonomy category, Holm-adjusted within each
group type; where the taxonomy categories of the changed images move; the error consistency (Cohen's kappa on
trial-by-trial correctness, Geirhos et al. 2020) with its interval; and a per-image table flagging the known
label errors. Correctness is top-1 against the original labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..constants import FACTORS, METACLASSES
from ..datasets._names import distinct_class_names
from ..exceptions import InvalidInputError, warn_partial_coverage
from ..metrics._agreement import error_consistency
from ..predictions import Population, Predictions
from ..results._schema import DIFF_PER_IMAGE, DIFF_TRANSITIONS
from . import _context as ctx
from ._mcnemar import category_rows, group_table, paired_rows

__all__ = ["DiffResult", "diff", "as_predictions", "STATUS"]

#: Paired outcome names, indexed by the status code (0..3).
STATUS = ("both_correct", "fixed", "broken", "both_wrong")


def as_predictions(x, what: str = "model") -> Predictions:
    """A :class:`Predictions`, or read one from a prediction file or a folder holding exactly one prediction file.

    Parameters
    ----------
    x : Predictions, str or Path
        The model.
    what : str
        How to name it in messages ("model A").

    Returns
    -------
    Predictions
    """
    if isinstance(x, Predictions):
        return x
    if isinstance(x, (str, Path)):
        from ..readers import read_population, read_predictions

        path = Path(x)
        if path.is_dir():
            pop = read_population(path)
            if len(pop) != 1:
                from ..exceptions import IngestError

                raise IngestError(path, f"the folder holds {len(pop)} models ({', '.join(pop.models[:5])}), "
                                  f"expected one for {what}.", fix="pass one prediction file instead of the folder.")
            return pop[pop.models[0]]
        return read_predictions(path)
    raise InvalidInputError(f"Expected {what} to be Predictions or a path, but got {type(x).__name__}.")


@dataclass(eq=False)
class DiffResult:
    """Model A against model B on the images both cover.

    Attributes
    ----------
    model_a, model_b : str
    n : int
        Images both models cover: every number rests on them (``n_images`` is the evaluation set).
    n_images : int
    kappa, ci_low, ci_high : float
        Error consistency and its Wald interval (Cohen's large-sample standard error).
    confidence : float
        Coverage of the interval.
    per_image : DataFrame (``diff_per_image`` schema)
    groups : DataFrame (``diff_groups`` schema)
    transitions : DataFrame (``diff_transitions`` schema)
    label_source : str
        Multi-label source of the taxonomy categories.
    which : str
        ImageNet-X annotation file of the factor rows.
    notes : list of str
        Remarks on the inputs.
    """

    model_a: str
    model_b: str
    n: int
    n_images: int
    kappa: float
    ci_low: float
    ci_high: float
    confidence: float
    per_image: pd.DataFrame
    groups: pd.DataFrame
    transitions: pd.DataFrame
    label_source: str
    which: str
    notes: list[str] = field(default_factory=list)

    @property
    def fixed(self) -> list[str]:
        """File names of the images A gets wrong and B right."""
        return self.per_image.loc[self.per_image["status"] == "fixed", "file_name"].astype(str).tolist()

    @property
    def broken(self) -> list[str]:
        """File names of the images A gets right and B wrong."""
        return self.per_image.loc[self.per_image["status"] == "broken", "file_name"].astype(str).tolist()

    def overall(self) -> pd.Series:
        """The overall row of :attr:`groups`.

        Returns
        -------
        pandas.Series
            The ``group_type == "overall"`` row.
        """
        return self.groups[self.groups["group_type"] == "overall"].iloc[0]

    def factor_table(self) -> pd.DataFrame:
        """The per-factor rows of :attr:`groups`.

        Returns
        -------
        DataFrame
            The ``group_type == "factor"`` rows.
        """
        return self.groups[self.groups["group_type"] == "factor"].reset_index(drop=True)

    def header(self) -> str:
        """What every number rests on, in one paragraph.

        Returns
        -------
        str
            Models, n, label sources, the test and the ImageNet-X licence.
        """
        from ..resources.imagenetx import LICENSE_NOTE

        o = self.overall()
        return (f"diff A={self.model_a} B={self.model_b}: n={self.n:,} images both cover (of {self.n_images:,}); "
                f"top-1 vs original labels; A {o.acc_a:.2%}, B {o.acc_b:.2%}; fixed {int(o.fixed):,}, broken "
                f"{int(o.broken):,}, McNemar exact p={o.p_value:.3g}; error consistency kappa={self.kappa:.4f} "
                f"[{self.ci_low:.4f}, {self.ci_high:.4f}] ({self.confidence:.0%} Wald, Cohen's SE); taxonomy "
                f"categories with {self.label_source} labels; factors from ImageNet-X '{self.which}' "
                f"(prototypes removed). {LICENSE_NOTE}.")

    def write(self, folder: str | Path) -> list[Path]:
        """Write ``diff_per_image.parquet``, ``diff_groups.parquet`` and ``diff_transitions.parquet`` to ``folder``.

        Each file is written to a temporary name and renamed.

        Parameters
        ----------
        folder : str or Path
            Created when missing; refused when it is a file.

        Returns
        -------
        list of Path
        """
        from .._io import write_frame

        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise InvalidInputError(f"{folder} is a file; --out names a folder for the diff tables.")
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for name, frame in (("diff_per_image", self.per_image), ("diff_groups", self.groups),
                            ("diff_transitions", self.transitions)):
            out.append(write_frame(frame, folder / f"{name}.parquet", index=False))
        return out


def _categories(a: Predictions, b: Predictions, labels: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Taxonomy category names of A's and B's prediction per validation image ('' where not categorised).

    The taxonomy's categories are of the top-1 prediction against the multi-label set, so an error against the
    original label can still be ``correct_multi_label`` (the prediction is one of the image's ReaL labels).
    """
    from ..taxonomy import categories as cat
    from ..taxonomy.engine import classify

    res = classify(Population.from_predictions([a, b]), labels)
    # an error gets the category that ended the procedure; a correct top-1 keeps its first label (for a
    # problematic image "correct (top-1=target) but target is wrong/unclear", not the category after it)
    wrong = res.preds != res.labels.targets[None, :]
    codes = np.where(wrong, res.final_codes(), res.codes)
    names = np.array([cat.BY_CODE[c].name for c in sorted(cat.BY_CODE)] + [""], dtype=object)
    n = len(a.index)
    out = np.full((2, n), len(names) - 1, dtype=np.int64)
    pos = a.index.positions(res.labels.file_names)
    out[:, pos] = np.where(codes >= 0, codes, len(names) - 1)
    return names[out[0]], names[out[1]], res.label_source


def diff(a, b, *, labels: str = "auto", which: str = "top", confidence: float = 0.95,
         taxonomy: bool = True) -> DiffResult:
    """Compare model A with model B image by image.

    Parameters
    ----------
    a, b : Predictions, or a path to a prediction file (or a folder holding one)
        The two models, on the ImageNet validation images. Only images both cover are used; partial coverage
        warns (:class:`~errorscope.exceptions.PartialCoverageWarning`) and every output gives ``n``.
    labels : {"auto", "real", "shankar"}
        Multi-label source of the taxonomy categories: "real" covers all 50,000 images, "shankar" the 20,000 of
        Shankar et al. (the other images get no category), "auto" (default) Shankar's when installed, else ReaL.
    which : {"top", "multi"}
        ImageNet-X annotation file of the per-factor rows.
    confidence : float
        Coverage of the kappa interval.
    taxonomy : bool
        False skips the taxonomy (no category rows, empty category columns).

    Returns
    -------
    DiffResult

    Examples
    --------
    >>> import numpy as np
    >>> from errorscope.datasets import val_index
    >>> from errorscope.predictions import Predictions
    >>> t = val_index().labels
    >>> a = Predictions.from_arrays("a", np.where(np.arange(50000) < 100, (t + 1) % 1000, t))
    >>> b = Predictions.from_arrays("b", np.where(np.arange(50000) < 40, (t + 1) % 1000, t))
    >>> r = diff(a, b, taxonomy=False)
    >>> len(r.fixed), len(r.broken), r.n
    (60, 0, 50000)
    """
    if which not in ("top", "multi"):
        raise InvalidInputError(f"Expected `which` to be 'top' or 'multi', but got {which!r}.")
    from ..taxonomy.labels import resolve_label_source

    labels = resolve_label_source(labels)
    a = as_predictions(a, "model A")
    b = as_predictions(b, "model B")
    ctx.require_val(a.index)
    ctx.require_val(b.index)
    if a.model == b.model:
        b = b.renamed(b.model + " (B)")
    n_images = len(a.index)
    warn_partial_coverage([a.model, b.model], [a.n_covered, b.n_covered], n_images)
    both = a.covered & b.covered
    if not both.any():
        raise InvalidInputError(f"Models {a.model!r} and {b.model!r} have no image in common.")
    rows = np.flatnonzero(both)
    t = np.asarray(a.index.labels)
    ca = (a.top1 == t)[rows]
    cb = (b.top1 == t)[rows]
    status = (~ca & cb) * 1 + (ca & ~cb) * 2 + (~ca & ~cb) * 3
    kappa, lo, hi, n = error_consistency(ca, cb, confidence=confidence)

    if taxonomy:
        cat_a, cat_b, label_source = _categories(a, b, labels)
        cat_a, cat_b = cat_a[rows], cat_b[rows]
    else:
        cat_a = cat_b = np.full(len(rows), "", dtype=object)
        label_source = "skipped"
    mc = ctx.metaclass_names()[rows]
    errs, rejects = ctx.label_flags()
    per_image = pd.DataFrame({
        "file_name": np.asarray(a.index.file_names)[rows],
        "target": t[rows].astype(np.int16),
        "pred_a": a.top1[rows], "pred_b": b.top1[rows],
        "correct_a": ca, "correct_b": cb,
        "status": pd.Categorical.from_codes(status, categories=list(STATUS)),
        "category_a": cat_a, "category_b": cat_b,
        "metaclass": mc,
        "factors": ctx.factor_strings(which)[rows],
        "label_error": errs[rows], "real_rejects_label": rejects[rows],
        "real_labels": ctx.real_label_strings()[rows],
    })
    per_image = DIFF_PER_IMAGE.validate(per_image)

    fm = ctx.factor_matrix(which)[rows]
    cls = np.zeros((len(rows), 1000), dtype=bool)
    cls[np.arange(len(rows)), t[rows]] = True
    mc_member = np.asarray(mc)[:, None] == np.array(METACLASSES, dtype=object)[None, :]
    frames = [paired_rows("overall", ["all"], np.ones((len(rows), 1), dtype=bool), status),
              paired_rows("factor", FACTORS, fm, status),
              paired_rows("metaclass", METACLASSES, mc_member, status),
              paired_rows("class", list(distinct_class_names()), cls, status)]
    if taxonomy:
        present = sorted(set(cat_a[~ca]) | set(cat_b[~cb]) - {""})
        frames.append(category_rows(present, cat_a, cat_b, status))
    groups = group_table(frames)

    from_state = np.where(ca, "correct", cat_a)
    to_state = np.where(cb, "correct", cat_b)
    changed = (from_state != to_state) | (status == 3) & (per_image["pred_a"].to_numpy() != per_image["pred_b"].to_numpy())
    tr = pd.DataFrame({"from_category": from_state[changed], "to_category": to_state[changed],
                       "both_wrong": (status == 3)[changed]})
    transitions = (tr.groupby(["from_category", "to_category", "both_wrong"]).size().rename("count").reset_index()
                   .sort_values("count", ascending=False, kind="stable").reset_index(drop=True))
    transitions = DIFF_TRANSITIONS.validate(transitions[["from_category", "to_category", "count", "both_wrong"]])
    return DiffResult(a.model, b.model, n, n_images, kappa, lo, hi, confidence, per_image, groups, transitions,
                      label_source, which)
