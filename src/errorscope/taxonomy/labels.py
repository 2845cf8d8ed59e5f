"""Multi-label sources of the taxonomy: the evaluated images, their label sets M and the problematic mask.

Three sources:

``shankar``
    The multi-label set of Shankar et al. (ICML 2020) as corrected in v3.0.0 (Vasudevan et al. 2022):
    ``human_accuracy_v3.0.0.json`` (manifest resource ``multilabel/human_accuracy_v3.0.0.json``, optional,
    200 MB). Read with the semantics of the TFDS builder ``imagenet2012_multilabel``: the keys of
    ``initial_annots`` that start with ``ILSVRC2012_val_`` (20,000 images), each with ``correct`` / ``wrong`` /
    ``unclear`` wnid lists (a missing key is an empty list); M = correct + unclear in that order;
    problematic = key of ``problematic_images`` (1,308); ImageNet-M = the ``imagenet_m`` files (68).
``real``
    The ReaL labels (Beyer et al. 2020) as the multi-label set, over all 50,000 validation images: M = the
    ReaL list; problematic = empty ReaL list (3,163) or original label not in it. This is errorscope's own
    extension (none of the source projects offers it): about 2.3 times as many non-problematic images as
    ``shankar``, but no ImageNet-M split.
``imagenet-a``
    ImageNet-A (Hendrycks et al. 2021), 7,500 images: M = [t], nothing problematic (Peychev et al. 2023).

Every output of the taxonomy records ``MultiLabels.source``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from collections.abc import Iterable
from typing import Literal

import numpy as np

from ..exceptions import IngestError, InvalidInputError, ResourceError
from ..datasets._index import ImageIndex, class_info, val_index

__all__ = ["MultiLabels", "load_multilabels", "read_shankar", "real_multilabels", "imagenet_a_multilabels",
           "LabelSource", "SHANKAR_RESOURCE", "shankar_available", "resolve_label_source"]

LabelSource = Literal["shankar", "real"]
SHANKAR_RESOURCE = "multilabel/human_accuracy_v3.0.0.json"
_PREFIX = "ILSVRC2012_val_"


@dataclass(frozen=True, eq=False)
class MultiLabels:
    """The evaluated images with their multi-label sets.

    Attributes
    ----------
    source : ``"shankar"``, ``"real"`` or ``"imagenet-a"`` (recorded in every output).
    index_name : name of the :class:`~errorscope.datasets.ImageIndex` the file names belong to.
    file_names : str array (n,)
    targets : int16 (n,) original labels t.
    labels : int16 (n, k) the sets M in source order, -1 padded.
    sizes : int16 (n,) |M|.
    problematic : bool (n,)
    imagenet_m : bool (n,) the ImageNet-M split (all False when the source has none).
    has_imagenet_m : True if the source defines the ImageNet-M split.
    """

    source: str
    index_name: str
    file_names: np.ndarray
    targets: np.ndarray
    labels: np.ndarray
    sizes: np.ndarray
    problematic: np.ndarray
    imagenet_m: np.ndarray
    has_imagenet_m: bool

    def __post_init__(self) -> None:
        n = len(self.file_names)
        for name in ("targets", "sizes", "problematic", "imagenet_m"):
            if getattr(self, name).shape != (n,):
                raise InvalidInputError(f"MultiLabels.{name} must have shape ({n},), got {getattr(self, name).shape}.")
        if self.labels.ndim != 2 or self.labels.shape[0] != n:
            raise InvalidInputError(f"MultiLabels.labels must have shape ({n}, k), got {self.labels.shape}.")
        in_m = (self.labels == self.targets[:, None]).any(axis=1)
        bad = ~self.problematic & ~in_m
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidInputError(
                f"Non-problematic image {self.file_names[i]!r} has target {int(self.targets[i])} outside its "
                f"multi-label set {self.labels[i, : self.sizes[i]].tolist()}; mark it problematic.")

    def __len__(self) -> int:
        return len(self.file_names)

    @property
    def n_non_problematic(self) -> int:
        """Number of rows not marked problematic."""
        return int((~self.problematic).sum())

    def without(self, file_names: Iterable[str]) -> "MultiLabels":
        """The same source without the given images (e.g. those held out to derive co-occurrence pairs).

        Parameters
        ----------
        file_names : iterable of file names (a leading ``<wnid>/`` is ignored); names not in the source are ignored.

        Returns
        -------
        MultiLabels over the remaining rows, same ``source``.
        """
        drop = {str(f).rsplit("/", 1)[-1] for f in file_names}
        keep = np.array([str(f).rsplit("/", 1)[-1] not in drop for f in self.file_names], dtype=bool)
        return MultiLabels(self.source, self.index_name, self.file_names[keep], self.targets[keep],
                           self.labels[keep], self.sizes[keep], self.problematic[keep], self.imagenet_m[keep],
                           self.has_imagenet_m)

    def label_set(self, i: int) -> list[int]:
        """M of row i as a list, in source order.

        Parameters
        ----------
        i : int
            Row number.

        Returns
        -------
        list of int
            The class ids of the row's label set.
        """
        return [int(x) for x in self.labels[i, : self.sizes[i]]]


def _pad(sets: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.array([len(s) for s in sets], dtype=np.int16)
    out = np.full((len(sets), max(1, int(sizes.max(initial=0)))), -1, dtype=np.int16)
    for i, s in enumerate(sets):
        out[i, : len(s)] = s
    return out, sizes


def read_shankar(path: str | Path) -> MultiLabels:
    """Read a ``human_accuracy_v3.0.0.json`` file (TFDS ``imagenet2012_multilabel`` semantics).

    Rows are in file-name order. Original labels come from :func:`~errorscope.datasets.val_index`.

    Parameters
    ----------
    path : str or Path
        The JSON file.

    Returns
    -------
    MultiLabels
        The ``shankar`` label source.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise IngestError(path, "no such file.", fix=f"fetch it with `errorscope data fetch {SHANKAR_RESOURCE}`.") from None
    except json.JSONDecodeError as exc:
        raise IngestError(path, f"not valid JSON ({exc.msg}).", row=exc.lineno) from None
    for key in ("initial_annots", "problematic_images", "imagenet_m"):
        if key not in data:
            raise IngestError(path, f"missing top-level key {key!r}; found {sorted(data)[:10]}.",
                              fix="pass the human_accuracy_v3.0.0.json file of imagenet2012_multilabel v3.0.0.")
    annots = data["initial_annots"]
    if not isinstance(annots, dict):
        raise IngestError(path, "'initial_annots' must be an object keyed by file name.", column="initial_annots")
    info = class_info()
    wnid_to_id = {str(w): i for i, w in enumerate(info.wnids)}
    names = sorted(k for k in annots if k.startswith(_PREFIX))
    if not names:
        raise IngestError(path, f"no 'initial_annots' key starts with {_PREFIX!r}.", column="initial_annots")
    val = val_index()
    pos = val.positions(names)
    if (pos < 0).any():
        bad = names[int(np.flatnonzero(pos < 0)[0])]
        raise IngestError(path, f"{bad!r} is not an ImageNet validation file.", column="initial_annots")
    sets = []
    for name in names:
        entry = annots[name]
        ids = []
        for field in ("correct", "unclear"):
            for wnid in entry.get(field, []) or []:
                if wnid not in wnid_to_id:
                    raise IngestError(path, f"{name}: {field} label {wnid!r} is not an ImageNet-1k wnid.",
                                      column=f"initial_annots/{name}/{field}")
                ids.append(wnid_to_id[wnid])
        sets.append(ids)
    labels, sizes = _pad(sets)
    problematic_keys = set(data["problematic_images"])
    m_keys = set(data["imagenet_m"])
    arr = np.array(names, dtype=object)
    return MultiLabels("shankar", val.name, arr, val.labels[pos].astype(np.int16), labels, sizes,
                       np.array([n in problematic_keys for n in names]), np.array([n in m_keys for n in names]),
                       True)


@lru_cache(maxsize=1)
def real_multilabels() -> MultiLabels:
    """ReaL labels as the multi-label set over the 50,000 validation images (errorscope's extension).

    Examples
    --------
    >>> ml = real_multilabels()
    >>> len(ml), int((ml.sizes == 0).sum())
    (50000, 3163)
    """
    from ..datasets._real import real_label_sets

    labels, sizes = real_label_sets()
    val = val_index()
    t = val.labels.astype(np.int16)
    in_m = (labels == t[:, None]).any(axis=1)
    problematic = (sizes == 0) | ~in_m
    return MultiLabels("real", val.name, val.file_names.copy(), t, labels, sizes.astype(np.int16), problematic,
                       np.zeros(len(t), dtype=bool), False)


def imagenet_a_multilabels(index: ImageIndex) -> MultiLabels:
    """ImageNet-A rows: M = [t] for each image of ``index``, nothing problematic.

    Parameters
    ----------
    index : ImageIndex
        The ImageNet-A index; its labels are the 1000-class ids of the wnid folders.

    Returns
    -------
    MultiLabels
        The ``imagenet-a`` label source.
    """
    t = np.asarray(index.labels).astype(np.int16)
    if (t < 0).any():
        raise InvalidInputError(f"ImageNet-A index {index.name!r} has images without a label; "
                                "labels must be 1000-class ids of the wnid folders.")
    n = len(t)
    return MultiLabels("imagenet-a", index.name, np.asarray(index.file_names, dtype=object), t, t[:, None].copy(),
                       np.ones(n, dtype=np.int16), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), False)


def resolve_label_source(source: str = "auto", *, path: str | Path | None = None) -> LabelSource:
    """The label source a name stands for: ``"auto"`` is Shankar et al.'s when available, else ReaL.

    The one place where the fallback is decided; the library, the store and every command call it.

    Parameters
    ----------
    source : str
        ``"auto"``, ``"real"`` or ``"shankar"``.
    path : str or Path, optional
        A Shankar et al. file given by the user: ``"auto"`` then means ``"shankar"``.

    Returns
    -------
    str
        ``"real"`` or ``"shankar"``.
    """
    from ..options import check_labels

    check_labels(source)
    if source == "auto":
        return "shankar" if (path is not None or shankar_available()) else "real"
    return source  # type: ignore[return-value]


def load_multilabels(source: LabelSource | str = "auto", *, path: str | Path | None = None) -> MultiLabels:
    """Load a multi-label source by name.

    Parameters
    ----------
    source : str
        ``"auto"`` (default: :func:`resolve_label_source`), ``"shankar"`` (needs the optional 200 MB
        resource, or ``path``) or ``"real"``.
    path : str or Path, optional
        A ``human_accuracy_v3.0.0.json`` to read instead of the resource (``shankar`` only).

    Returns
    -------
    MultiLabels
        The label sets of the source's images.

    Raises
    ------
    ResourceError
        ``shankar`` without ``path`` when the resource is not on this machine (nothing is downloaded here;
        run ``errorscope data fetch multilabel/human_accuracy_v3.0.0.json`` first, or use ``source="real"``).
    """
    if source == "auto":
        source = resolve_label_source(source, path=path)
    if source == "real":
        if path is not None:
            raise InvalidInputError("`path` is only used with source='shankar'.")
        return real_multilabels()
    if source != "shankar":
        raise InvalidInputError(f"Expected `source` to be 'auto', 'shankar' or 'real', but got {source!r}.")
    if path is None:
        from ..resources import resource_path

        try:
            path = resource_path(SHANKAR_RESOURCE, download=False)
        except ResourceError as exc:
            raise ResourceError(f"{exc} Or run the taxonomy with the ReaL labels (`--labels real`).") from None
    return _read_shankar_cached(str(Path(path).resolve()))


@lru_cache(maxsize=2)
def _read_shankar_cached(path: str) -> MultiLabels:
    return read_shankar(path)


def shankar_available() -> bool:
    """True if the Shankar et al. file is on this machine (mirror or cache)."""
    from ..resources import local_path

    return local_path(SHANKAR_RESOURCE) is not None
