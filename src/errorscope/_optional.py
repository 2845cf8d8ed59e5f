"""Optional heavy dependencies, imported on first use with an error that names the pip extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from .exceptions import MissingDependencyError


def require(module: str, *, extra: str, feature: str | None = None) -> ModuleType:
    """Import ``module`` or raise an error telling which ``errorscope[extra]`` installs it.

    Examples
    --------
    >>> np = require("numpy", extra="core")
    >>> np.__name__
    'numpy'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        what = feature or "This feature"
        raise MissingDependencyError(
            f"{what} requires the {module.split('.')[0]!r} package, which is not installed. "
            f"Install it with `pip install 'errorscope[{extra}]'`."
        ) from exc
