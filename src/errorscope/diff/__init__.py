"""Models compared image by image: the diff of two models, error consistency, hard images, known label errors.

* :func:`diff`: fixed / broken images of model B against model A, McNemar's exact test overall and per factor,
  metaclass, class and taxonomy category (Holm-adjusted), category transitions, error consistency with its
  interval, a per-image table with the known label errors flagged.
"""

from ._diff import STATUS, DiffResult, as_predictions, diff

__all__ = ["diff", "DiffResult", "as_predictions", "STATUS"]


# ``errorscope.diff`` names both this package and the function: once the package is imported, Python binds the
# package to the ``errorscope.diff`` attribute, shadowing the lazy export of the function. Calling the package
# therefore calls the function, so ``errorscope.diff(a, b)`` works either way.
import sys as _sys
import types as _types


class _CallablePackage(_types.ModuleType):
    def __call__(self, *args, **kwargs) -> DiffResult:
        return diff(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallablePackage
