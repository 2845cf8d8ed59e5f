"""Error consistency of a population: the M x M kappa matrix, per factor, and its hierarchical ordering.

The matrix rests on the images every model covers (partial coverage warns); per factor on the covered images
with the factor. The ordering for the clustered heatmap is computed here (SciPy average linkage on the distance
``1 - kappa``), not in the plotting code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..constants import FACTORS
from ..exceptions import InvalidInputError, warn_partial_coverage
from ..metrics._agreement import consistency_matrix
from ..predictions import Population
from ..results._schema import CONSISTENCY
from . import _context as ctx

__all__ = ["ConsistencyResult", "error_consistency_matrix", "cluster_order"]


@dataclass(eq=False)
class ConsistencyResult:
    """Error consistency of every pair of models.

    Attributes
    ----------
    models : list of str (M)
    kappa, ci_low, ci_high : float32 (M, M)
        Cohen's kappa on trial-by-trial correctness (Geirhos et al. 2020), Wald interval with Cohen's
        large-sample standard error.
    n : int
        Images every model covers: what the matrix rests on.
    by_factor : dict factor -> float32 (M, M) kappa over the covered images with the factor.
    factor_n : dict factor -> int, images each factor matrix rests on.
    which : ImageNet-X annotation file of the factors.
    """

    models: list[str]
    kappa: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n: int
    by_factor: dict[str, np.ndarray] = field(default_factory=dict)
    factor_n: dict[str, int] = field(default_factory=dict)
    which: str = "top"

    def table(self) -> pd.DataFrame:
        """The long ``consistency`` table: one row per unordered pair (and factor).

        Returns
        -------
        DataFrame
            ``consistency`` schema, M (M - 1) / 2 rows per group.
        """
        i, j = np.triu_indices(len(self.models), k=1)
        names = np.array(self.models, dtype=object)
        frames = [pd.DataFrame({"model_a": names[i], "model_b": names[j], "group": "all",
                                "kappa": self.kappa[i, j], "ci_low": self.ci_low[i, j],
                                "ci_high": self.ci_high[i, j], "n": self.n})]
        for f, k in self.by_factor.items():
            frames.append(pd.DataFrame({"model_a": names[i], "model_b": names[j], "group": f, "kappa": k[i, j],
                                        "ci_low": np.nan, "ci_high": np.nan, "n": self.factor_n[f]}))
        return CONSISTENCY.validate(pd.concat(frames, ignore_index=True))

    def order(self) -> np.ndarray:
        """Row order of the clustered heatmap.

        Returns
        -------
        numpy.ndarray
            A permutation of the models (:func:`cluster_order` of :attr:`kappa`).
        """
        return cluster_order(self.kappa)


def cluster_order(kappa: np.ndarray) -> np.ndarray:
    """Leaf order of an average-linkage clustering on ``1 - kappa`` (undefined kappas count as 0).

    Parameters
    ----------
    kappa : float array (M, M), symmetric

    Returns
    -------
    int array (M,), a permutation of the rows
    """
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    m = len(kappa)
    if m < 3:
        return np.arange(m)
    k = np.nan_to_num(np.asarray(kappa, dtype=np.float64), nan=0.0)
    d = np.clip(1.0 - (k + k.T) / 2, 0.0, 2.0)
    np.fill_diagonal(d, 0.0)
    return leaves_list(linkage(squareform(d, checks=False), method="average"))


def error_consistency_matrix(population: Population, *, factors: bool = False, which: str = "top",
                             chunk: int = 8192, confidence: float = 0.95) -> ConsistencyResult:
    """The M x M error-consistency matrix of a population, as matrix products of its correctness matrix.

    Parameters
    ----------
    population : Population
        M models on the ImageNet validation images (top-1 against the original labels).
    factors : bool
        Also compute one kappa matrix per ImageNet-X factor (images with the factor only).
    which : {"top", "multi"}
        ImageNet-X annotation file of the factors.
    chunk : int
        Images per block of the matrix product: memory is O(M^2) float32 plus O(M * chunk).
    confidence : float
        Coverage of the intervals.

    Returns
    -------
    ConsistencyResult

    Examples
    --------
    >>> import numpy as np
    >>> from errorscope.predictions import Predictions
    >>> from errorscope.datasets import val_index
    >>> t = val_index().labels
    >>> a = Predictions.from_arrays("a", np.where(np.arange(50000) % 2 == 0, t, (t + 1) % 1000))
    >>> pop = Population.from_predictions([a, a.renamed("b")])
    >>> float(error_consistency_matrix(pop).kappa[0, 1])
    1.0
    """
    if not isinstance(population, Population):
        raise InvalidInputError(f"Expected a Population, but got {type(population).__name__}.")
    if which not in ("top", "multi"):
        raise InvalidInputError(f"Expected `which` to be 'top' or 'multi', but got {which!r}.")
    covered = population.top1 >= 0
    n_images = population.top1.shape[1]
    warn_partial_coverage(population.models, covered.sum(axis=1), n_images)
    common = covered.all(axis=0)
    if not common.any():
        raise InvalidInputError("The models of the population have no image in common.")
    t = np.asarray(population.index.labels)
    cols = np.flatnonzero(common)
    correct = population.top1[:, cols] == t[cols][None, :]
    kappa, lo, hi = consistency_matrix(correct, chunk=chunk, confidence=confidence)
    result = ConsistencyResult(list(population.models), kappa, lo, hi, len(cols), which=which)
    if factors:
        ctx.require_val(population.index)
        fm = ctx.factor_matrix(which)[cols]
        for f, name in enumerate(FACTORS):
            sel = np.flatnonzero(fm[:, f])
            if len(sel):
                result.by_factor[name] = consistency_matrix(correct[:, sel], chunk=chunk, intervals=False)
                result.factor_n[name] = len(sel)
    return result
