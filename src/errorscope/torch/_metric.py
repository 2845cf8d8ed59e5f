"""ImageNet-X analysis as a training-loop metric, in the torchmetrics style (update / compute / reset).

The state is one prediction per validation image: the top-1 class (int32, which gloo can gather; -1 = not seen yet), its probability
(float32, -1 = unknown) and the top-k classes. Batches may come in any order and from several processes:
merging two states takes the element-wise maximum, so an image seen by one rank and not by another keeps its
prediction. With torchmetrics installed the class is a ``torchmetrics.Metric`` (its distributed sync gathers
the states and takes that maximum); without it, a plain class that syncs with ``torch.distributed`` when a
process group is initialised. ``compute()`` builds a one-model :class:`~errorscope.predictions.Population`
and returns :func:`errorscope.results.analyze` of it, the same summary and factor tables as ``errorscope
analyze`` on a prediction file. The ImageNet-X annotations are CC BY-NC 4.0 (Idrissi et al., ICLR 2023).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..constants import N_CLASSES
from ..exceptions import InvalidInputError

FEATURE = "errorscope.torch.ImageNetXMetric"


@lru_cache(maxsize=1)
def metric_class() -> type:
    """Build the metric class on first use (torch is imported here, never when errorscope is imported)."""
    from .._optional import require

    torch = require("torch", extra="torch", feature=FEATURE)
    try:
        from torchmetrics import Metric as Base

        have_torchmetrics = True
    except ImportError:
        Base, have_torchmetrics = object, False

    class ImageNetXMetric(Base):  # type: ignore[misc, valid-type]
        """ImageNet-X, ReaL and top-1/top-5 analysis of one model, fed batch by batch.

        Parameters
        ----------
        model : the model's name in the returned tables.
        top_k : how many best classes to keep per image when ``update`` gets scores (5 gives top-5 accuracy).
        **analyze_kwargs
            Passed on to :func:`errorscope.results.analyze` (``which``, ``error_types``,
            ``filter_prototypes``, ``real_empty``, ``confidence``).

        Examples
        --------
        >>> metric = ImageNetXMetric("resnet50")            # doctest: +SKIP
        >>> for images, _, names in loader:                  # doctest: +SKIP
        ...     metric.update(model(images), names)
        >>> analysis = metric.compute()                      # doctest: +SKIP
        >>> analysis.summary.loc["resnet50", "top1"]         # doctest: +SKIP
        """

        full_state_update = False
        is_differentiable = False
        higher_is_better = True

        def __init__(self, model: str = "model", *, top_k: int = 5, **analyze_kwargs) -> None:
            if have_torchmetrics:
                super().__init__(dist_sync_on_step=False)
            if not isinstance(top_k, int) or not 1 <= top_k <= N_CLASSES:
                raise InvalidInputError(f"Expected `top_k` to be an int in 1..{N_CLASSES}, but got {top_k!r}.")
            from ..datasets import val_index

            self.model_name = str(model)
            self.top_k = top_k
            self.analyze_kwargs = analyze_kwargs
            self._index = val_index()
            n = len(self._index)
            defaults = {"top1": torch.full((n,), -1, dtype=torch.int32),
                        "prob": torch.full((n,), -1.0, dtype=torch.float32),
                        "topk": torch.full((n, top_k), -1, dtype=torch.int32)}
            for name, default in defaults.items():
                if have_torchmetrics:
                    self.add_state(name, default=default.clone(), dist_reduce_fx="max")
                else:
                    setattr(self, name, default.clone())  # the default itself stays untouched
            self._initial = {k: v.clone() for k, v in defaults.items()}

        def update(self, preds, images, prob=None) -> None:
            """Record the predictions of one batch.

            Parameters
            ----------
            preds : tensor or array of shape (n, 1000) (logits, or probabilities whose rows sum to 1), of shape
                (n,) (class ids), or (n, k) integers (the k best class ids, best first).
            images : the images of the batch: their file names (``ILSVRC2012_val_00000001.JPEG`` or paths ending
                in it) or their positions 0..49999 in the validation set (a tensor, array or list of ints).
            prob : with class ids, optionally the top-1 probability of each image (n,).

            Returns
            -------
            None
            """
            pos = self._positions(images)
            preds_t = torch.as_tensor(preds).detach()
            n = len(pos)
            if preds_t.shape[:1] != (n,):
                raise InvalidInputError(f"Expected `preds` to have one row per image ({n}), but got shape "
                                        f"{tuple(preds_t.shape)}.")
            topk = None
            if preds_t.is_floating_point():
                if preds_t.ndim != 2 or preds_t.shape[1] != N_CLASSES:
                    raise InvalidInputError(f"Expected float scores of shape (n, {N_CLASSES}), but got "
                                            f"{tuple(preds_t.shape)}; pass class ids as an integer tensor.")
                if not torch.isfinite(preds_t).all():
                    raise InvalidInputError("Expected finite scores, but the batch holds NaN or infinity.")
                scores = preds_t.double()
                is_prob = bool((scores >= 0).all()) and bool(torch.allclose(scores.sum(1), torch.ones(n, dtype=scores.dtype), atol=1e-3))
                probs = scores if is_prob else torch.softmax(scores, dim=1)
                # stable order: ties go to the lower class id, as errorscope's readers do
                order = torch.argsort(-probs, dim=1, stable=True)[:, :self.top_k]
                ids = order[:, 0]
                p = probs.gather(1, order[:, :1])[:, 0].float()
                topk = order
            else:
                ids = preds_t.long()
                if ids.ndim == 2:
                    topk, ids = ids, ids[:, 0]
                elif ids.ndim != 1:
                    raise InvalidInputError(f"Expected class ids of shape (n,) or (n, k), but got {tuple(ids.shape)}.")
                if ((ids < 0) | (ids >= N_CLASSES)).any() or (topk is not None and ((topk < 0) | (topk >= N_CLASSES)).any()):
                    raise InvalidInputError(f"Expected class ids in 0..{N_CLASSES - 1}.")
                p = None
                if prob is not None:
                    p = torch.as_tensor(prob).detach().float().reshape(-1)
                    if p.shape != (n,) or not bool(((p >= 0) & (p <= 1)).all()):
                        raise InvalidInputError(f"Expected `prob` of shape ({n},) with values in [0, 1].")
            dev = self.top1.device
            pos_t = torch.as_tensor(pos, device=dev)
            self.top1[pos_t] = ids.to(dev, torch.int32)
            if p is not None:
                self.prob[pos_t] = p.to(dev)
            if topk is not None:
                k = min(topk.shape[1], self.top_k)
                self.topk[pos_t] = -1
                self.topk[pos_t, :k] = topk[:, :k].to(dev, torch.int32)

        def compute(self):
            """The analysis of every image seen so far (on all processes).

            Returns
            -------
            errorscope.results.Analysis
                ``summary`` (top-1, top-5 when k >= 5, ReaL, ImageNet-X accuracies, ``n_covered``), ``factors``
                (the tidy factor table) and the published-layout ``tables``, as :func:`errorscope.results.analyze`.
            """
            if not have_torchmetrics:
                self._sync_plain()
            from ..predictions import Population
            from ..results import analyze

            top1 = self.top1.cpu().numpy().astype(np.int16)
            if not (top1 >= 0).any():
                raise InvalidInputError("ImageNetXMetric.compute() was called before any update(): no image seen.")
            prob = self.prob.cpu().numpy().astype(np.float32)
            prob = np.where(prob < 0, np.nan, prob).astype(np.float32)
            topk = self.topk.cpu().numpy().astype(np.int16)
            has_topk = (topk[top1 >= 0] >= 0).all() and self.top_k > 1
            pop = Population([self.model_name], top1[None], None if np.isnan(prob).all() else prob[None],
                             self._index, topk[None] if has_topk else None)
            return analyze(pop, **self.analyze_kwargs)

        def reset(self) -> None:
            """Forget every prediction (start of a new evaluation)."""
            if have_torchmetrics:
                super().reset()
                return
            for name, default in self._initial.items():
                setattr(self, name, default.clone().to(getattr(self, name).device))

        def _sync_plain(self) -> None:
            dist = torch.distributed
            if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
                return
            for name in self._initial:
                local = getattr(self, name)
                gathered = [torch.empty_like(local) for _ in range(dist.get_world_size())]
                dist.all_gather(gathered, local)
                setattr(self, name, torch.stack(gathered).max(dim=0).values)

        def _positions(self, images) -> np.ndarray:
            if hasattr(images, "detach"):
                images = images.detach().cpu().numpy()
            arr = np.asarray(images) if not isinstance(images, (list, tuple)) or not images or not isinstance(images[0], str) \
                else np.asarray(images, dtype=object)
            n = len(self._index)
            if arr.dtype.kind in "iu":
                pos = arr.astype(np.int64).reshape(-1)
                if ((pos < 0) | (pos >= n)).any():
                    raise InvalidInputError(f"Expected image positions in 0..{n - 1}, but got "
                                            f"{int(pos[(pos < 0) | (pos >= n)][0])}.")
                return pos
            pos = self._index.positions(arr.astype(object).reshape(-1))
            if (pos < 0).any():
                raise InvalidInputError(f"Unknown image {str(arr.reshape(-1)[int(np.argmax(pos < 0))])!r}; expected "
                                        "a validation file name such as 'ILSVRC2012_val_00000001.JPEG'.")
            return pos

    ImageNetXMetric.__module__ = "errorscope.torch"
    ImageNetXMetric.__qualname__ = "ImageNetXMetric"
    return ImageNetXMetric
