"""The decision procedure of the taxonomy (Peychev et al., NeurIPS 2023), vectorised over a population of models.

For a chunk of models the predictions form an (m, n) matrix P aligned to the evaluated images. Every
label-only step is a table lookup: ``collapsed[t, P]``, ``P == M`` over the padded label sets, and
``same[M, P]`` / ``cooc[M, P]`` gathered only for the rows that reach the step. The optional out-of-vocabulary
step (4) asks an :class:`OOVDetector` about the unique (image, prediction) pairs that reach it, so the expensive
CLIP scoring runs once per pair however many models make the same error.

Two int8 code matrices come out (codes from :mod:`.categories`): ``codes`` holds the first label of each row;
``codes2`` the category that ended the procedure when a problematic-only label came first (``NO_CODE``
otherwise). For non-problematic images exactly one category results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..exceptions import InvalidInputError
from ..datasets._index import IMAGENET_A_INDEX
from ..predictions import Population
from . import categories as cat
from .knowledge import NONE, Knowledge, build_knowledge
from .labels import MultiLabels, imagenet_a_multilabels, load_multilabels
from .superclasses import Superclasses

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["classify", "TaxonomyResult", "OOVDetector", "IMAGENET_A_INDEX"]

#: Index name of an ImageNet-A population (file names ``<wnid>/<file>``, labels = 1000-class ids).

_C = {c.name: np.int8(c.code) for c in cat.CATEGORIES}


class OOVDetector(Protocol):
    """The out-of-vocabulary step of Peychev et al. (2023).

    It decides, per (image, prediction), whether the error is fine-grained out-of-vocabulary.
    """

    def describe(self) -> str:
        """One line naming the model and data used (written to every output)."""

    def decide(self, file_names: np.ndarray, targets: np.ndarray, preds: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Decide unique (file, target, prediction) triples.

        Parameters
        ----------
        file_names : str array (q,)
            Validation file names.
        targets : int array (q,)
            Their original labels.
        preds : int array (q,)
            The predicted classes.

        Returns
        -------
        flags : bool array (q,)
            True where the error is out-of-vocabulary.
        details : list of str
            One detail string per triple, written to the listings.
        """


@dataclass(eq=False)
class TaxonomyResult:
    """Per-image categories of a population.

    Attributes
    ----------
    models : list of str (M)
    knowledge : the tables used (labels source, superclasses, co-occurrence pairs).
    preds : int16 (M, n) predictions aligned to ``knowledge.labels`` rows (-1 = missing).
    codes, codes2 : int8 (M, n) first / second category codes.
    top1_val_acc : float (M,) 100 x accuracy over the images of the index each model covers.
    index_name : the population's index name.
    clip_step : ``"skipped"`` or the detector's description.
    oov_details : dict (row, pred) -> detail string of the OOV step.
    subset_200_acc : float (M,) or None, ImageNet-A 200-class accuracy when known.
    """

    models: list[str]
    knowledge: Knowledge
    preds: np.ndarray
    codes: np.ndarray
    codes2: np.ndarray
    top1_val_acc: np.ndarray
    index_name: str
    clip_step: str
    oov_details: dict[tuple[int, int], str] = field(default_factory=dict)
    subset_200_acc: np.ndarray | None = None

    @property
    def labels(self) -> MultiLabels:
        """The multi-label source of the result."""
        return self.knowledge.labels

    @property
    def label_source(self) -> str:
        """Name of the multi-label source (``shankar``, ``real`` or ``imagenet-a``)."""
        return self.knowledge.labels.source

    def final_codes(self) -> np.ndarray:
        """The category that ended the procedure for each row (= ``codes`` for non-problematic rows).

        Returns
        -------
        int8 array (M, n)
            Final category codes.
        """
        return np.where(self.codes2 == cat.NO_CODE, self.codes, self.codes2)

    def counts(self, *, problematic: bool = False) -> np.ndarray:
        """Rows per model and category code.

        Parameters
        ----------
        problematic : bool, default False
            Count the problematic rows too (by default only the non-problematic ones).

        Returns
        -------
        int64 array (M, n_categories)
            Counts, columns in category-code order.
        """
        keep = np.ones(self.codes.shape[1], dtype=bool) if problematic else ~self.knowledge.problematic
        c = self.codes[:, keep].astype(np.int64)
        n_cat = len(cat.CATEGORIES)
        flat = np.where(c >= 0, c + n_cat * np.arange(len(self.models))[:, None], -1)
        flat = flat[flat >= 0]
        return np.bincount(flat, minlength=n_cat * len(self.models)).reshape(len(self.models), n_cat)

    def stats(self, group: str = "all", **kwargs: Any) -> pd.DataFrame:
        """The ETH ``non_problematic_stats_<group>.csv`` table.

        Parameters
        ----------
        group : {"all", "organism", "artifact", "other"}
            The class group.
        **kwargs
            Passed to :func:`~errorscope.taxonomy.taxonomy_stats` (``metadata``, ``imagenet_reference``).

        Returns
        -------
        DataFrame
            One row per model.
        """
        from .stats import taxonomy_stats

        return taxonomy_stats(self, group, **kwargs)

    def per_image_frame(self, *, errors_only: bool = False) -> pd.DataFrame:
        """Long table, one row per (model, image) with a prediction.

        Parameters
        ----------
        errors_only : bool, default False
            Keep only the rows whose prediction differs from the original label.

        Returns
        -------
        DataFrame
            See :func:`errorscope.taxonomy.frames.per_image_frame`.
        """
        from .frames import per_image_frame

        return per_image_frame(self, errors_only=errors_only)


def _align(population: Population, labels: MultiLabels) -> np.ndarray:
    """Positions of the labelled images in the population's index; error if any is missing."""
    index = population.index
    if labels.source == "imagenet-a":
        if index.name != labels.index_name or len(index) != len(labels):
            raise InvalidInputError("ImageNet-A labels must come from the population's own index.")
        return np.arange(len(index))
    pos = index.positions(labels.file_names)
    if (pos < 0).any():
        missing = int((pos < 0).sum())
        raise InvalidInputError(
            f"{missing} of the {len(labels)} images of the {labels.source!r} label source are not in the "
            f"population's index {index.name!r} (first: {labels.file_names[int(np.flatnonzero(pos < 0)[0])]!r}). "
            "Collect predictions on the full ImageNet validation set.")
    return pos


def _label_only(P: np.ndarray, kn: Knowledge) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 1-3 and 5-7 for an (m, n) chunk; returns codes, codes2 and the mask of rows reaching step 4."""
    m, n = P.shape
    missing = P < 0
    p = np.where(missing, NONE, P).astype(np.int32)
    t = kn.t[None, :]
    eq = p == t
    empty = (kn.m_pad[:, 0] == NONE)[None, :]
    t_in_m = kn.t_in_m[None, :]
    coll = kn.collapsed_flat[t * (NONE + 1) + p]
    in_m = np.zeros((m, n), dtype=bool)
    for j in range(kn.m_pad.shape[1]):  # one (m, n) comparison per label slot: no (m, n, k) temporary
        in_m |= kn.m_pad[None, :, j] == p

    codes = np.full((m, n), cat.NO_CODE, dtype=np.int8)
    codes2 = np.full((m, n), cat.NO_CODE, dtype=np.int8)
    # step 1: early stage (stopping labels and problematic first labels)
    codes[~empty & eq & t_in_m] = _C["correct"]
    wrong = ~empty & ~eq
    codes[wrong & coll] = _C["correct_collapsed_mapping"]
    codes[wrong & ~coll & in_m] = _C["correct_multi_label"]
    first_prob = np.zeros((m, n), dtype=bool)
    for mask, name in ((empty & eq, "empty_multi_label_correct"),
                       (empty & ~eq & coll, "empty_multi_label_correct_collapsed_mapping"),
                       (empty & ~eq & ~coll, "empty_multi_label_wrong"),
                       (~empty & eq & ~t_in_m, "correct_but_wrong_label")):
        codes[mask] = _C[name]
        first_prob |= mask
    cont = (first_prob | (wrong & ~coll & ~in_m)) & ~missing
    final = np.full((m, n), cat.NO_CODE, dtype=np.int8)
    reach4 = np.zeros((m, n), dtype=bool)
    ri, ci = np.nonzero(cont)
    if len(ri):
        pr = p[ri, ci]
        mr = kn.m_pad[ci]
        flat = mr * (NONE + 1) + pr[:, None]
        fg = kn.same_flat[flat].any(axis=1)
        sc = kn.cooc_flat[flat].any(axis=1)
        tr = kn.t[ci]
        t_out = ~kn.t_in_m[ci]
        sim_t = t_out & ((pr == tr) | kn.same_flat[tr * (NONE + 1) + pr])
        cooc_t = t_out & ~sim_t & kn.cooc_flat[tr * (NONE + 1) + pr]
        out = np.full(len(ri), _C["not_classified"], dtype=np.int8)
        out[kn.nonproto[ci]] = _C["non_prototypical"]
        out[sc] = _C["common_co_occurrences"]
        late = ~fg & ~sim_t & ~cooc_t  # rows that reach step 4
        out[cooc_t] = _C["common_co_occurrences_with_target"]
        out[sim_t] = _C["OOV_similar_to_target"]
        out[fg] = _C["same_superclass"]
        final[ri, ci] = out
        reach4[ri[late], ci[late]] = True
    codes = np.where(first_prob, codes, np.where(cont, final, codes))
    codes2 = np.where(first_prob & ~missing, final, codes2)
    codes[missing] = cat.MISSING_CODE
    codes2[missing] = cat.NO_CODE
    return codes, codes2, reach4


def classify(population: Population, labels: MultiLabels | str | None = None, *,
             clip: OOVDetector | None = None, superclasses: Superclasses | str | Path | None = None,
             knowledge: Knowledge | None = None, pairs: str | None = None,
             held_out: Iterable[str] | None = None, chunk: int = 32, progress: bool = False,
             subset_200_acc: np.ndarray | None = None) -> TaxonomyResult:
    """Classify every prediction of ``population`` into the taxonomy.

    Parameters
    ----------
    population : predictions of M models on one index: the ImageNet validation index (for ``shankar`` /
        ``real``) or an ImageNet-A index named ``"imagenet-a"`` (file names ``<wnid>/<file>``, labels = the
        1000-class ids of the folders).
    labels : a :class:`~.labels.MultiLabels`, ``"auto"``, ``"shankar"`` or ``"real"``; default ``"auto"``
        (:func:`~.labels.resolve_label_source`: Shankar et al.'s when their file is here, else ReaL) for ImageNet,
        and always M = [t] for ImageNet-A.
    clip : the out-of-vocabulary step; None skips it (every output then says so) and OOV errors fall into
        spurious correlation, non-prototypical or model failure.
    superclasses : definitions to use instead of the package's own (a path or a loaded object).
    knowledge : prebuilt tables (to reuse across calls).
    pairs : the co-occurrence pair source (:data:`~.pair_sources.PAIR_SOURCES`): ``"published"`` (default,
        the authors' 1,019 pairs) or ``"derived"`` (needs ``held_out``).
    held_out : validation file names the ``derived`` pairs are learnt on; they are left out of the evaluation.
    chunk : models per vectorised block.
    progress : bool, default False
        Show a progress bar over the blocks.
    subset_200_acc : ImageNet-A only, (M,) 200-class accuracies in percent, copied into the stats.

    Returns
    -------
    TaxonomyResult

    Examples
    --------
    >>> import numpy as np
    >>> from errorscope.predictions import Population, Predictions
    >>> from errorscope.datasets import val_index
    >>> pop = Population.from_predictions([Predictions.from_arrays("oracle", val_index().labels)])
    >>> res = classify(pop, "real")
    >>> int(res.counts()[0, 0]) == res.labels.n_non_problematic   # every non-problematic row is correct
    True
    """
    if not isinstance(population, Population):
        raise InvalidInputError(f"Expected `population` to be a Population, but got {type(population).__name__}.")
    if chunk < 1:
        raise InvalidInputError(f"Expected `chunk` to be a positive integer, but got {chunk}.")
    if population.index.name == IMAGENET_A_INDEX:
        if labels is not None and not (isinstance(labels, MultiLabels) and labels.source == "imagenet-a"):
            raise InvalidInputError("An ImageNet-A population always uses M = [t]; do not pass `labels`.")
        labels = imagenet_a_multilabels(population.index)
    elif labels is None or isinstance(labels, str):
        labels = load_multilabels(labels or "auto")
    if held_out is not None:
        held_out = list(held_out)
        labels = labels.without(held_out)
    if knowledge is None or knowledge.labels is not labels:
        knowledge = build_knowledge(labels, superclasses=superclasses, pairs=pairs, held_out=held_out)
    elif pairs is not None:
        raise InvalidInputError("Give either `knowledge` or `pairs`, not both.")
    pos = _align(population, labels)
    top1 = population.top1
    index_labels = np.asarray(population.index.labels)
    covered = top1 >= 0  # images a file does not cover are left out (the coverage convention of every metric)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = 100.0 * ((top1 == index_labels[None, :]) & covered).sum(axis=1) / covered.sum(axis=1)
    preds = top1[:, pos]
    m, n = preds.shape
    codes = np.empty((m, n), dtype=np.int8)
    codes2 = np.empty((m, n), dtype=np.int8)
    reach = np.empty((m, n), dtype=bool)
    from tqdm.auto import tqdm

    for start in tqdm(range(0, m, chunk), desc="taxonomy", disable=not progress, unit="chunk"):
        sl = slice(start, start + chunk)
        codes[sl], codes2[sl], reach[sl] = _label_only(preds[sl], knowledge)
    details: dict[tuple[int, int], str] = {}
    clip_step = "skipped"
    if clip is not None:
        clip_step = clip.describe()
        details = _apply_oov(clip, knowledge, preds, reach, codes, codes2)
    if subset_200_acc is not None:
        subset_200_acc = np.asarray(subset_200_acc, dtype=float)
        if subset_200_acc.shape != (m,):
            raise InvalidInputError(f"Expected `subset_200_acc` of shape ({m},), got {subset_200_acc.shape}.")
    return TaxonomyResult(list(population.models), knowledge, preds, codes, codes2, acc, population.index.name,
                          clip_step, details, subset_200_acc)


def _apply_oov(clip: OOVDetector, kn: Knowledge, preds: np.ndarray, reach: np.ndarray, codes: np.ndarray,
               codes2: np.ndarray) -> dict[tuple[int, int], str]:
    mi, ci = np.nonzero(reach)
    if not len(mi):
        return {}
    key = ci.astype(np.int64) * 1001 + preds[mi, ci]
    uniq, inverse = np.unique(key, return_inverse=True)
    rows, ps = (uniq // 1001).astype(np.int64), (uniq % 1001).astype(np.int16)
    flags, texts = clip.decide(kn.labels.file_names[rows], kn.labels.targets[rows], ps)
    flags = np.asarray(flags, dtype=bool)
    if flags.shape != (len(uniq),) or len(texts) != len(uniq):
        raise InvalidInputError(f"OOV detector returned {flags.shape} flags for {len(uniq)} queries.")
    hit = flags[inverse]
    oov = np.int8(cat.BY_NAME["OOV_detected_by_clip"].code)
    first_prob = codes2[mi, ci] != cat.NO_CODE
    sel_m, sel_c = mi[hit], ci[hit]
    fp = first_prob[hit]
    codes2[sel_m[fp], sel_c[fp]] = oov
    codes[sel_m[~fp], sel_c[~fp]] = oov
    return {(int(r), int(p)): texts[i] for i, (r, p) in enumerate(zip(rows, ps)) if flags[i]}
