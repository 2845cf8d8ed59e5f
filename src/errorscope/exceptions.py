"""Every error errorscope raises on purpose.

Messages follow one template: what was expected, what was found, where (file, row, column) and how to fix it.
"""

from __future__ import annotations

from pathlib import Path


class ErrorscopeError(Exception):
    """Base class of every error raised on purpose by errorscope."""


class InvalidInputError(ErrorscopeError, ValueError, TypeError):
    """An argument has the wrong type, shape or value."""


class IngestError(ErrorscopeError, ValueError):
    """A prediction file cannot be read.

    Parameters
    ----------
    path : path of the offending file.
    problem : what is wrong, in one sentence.
    row, column : where (1-based data row, as a text editor shows it after the header), when known.
    fix : how to repair the input.
    """

    def __init__(self, path: str | Path, problem: str, *, row: int | None = None,
                 column: str | None = None, fix: str | None = None):
        self.path = str(path)
        self.row = row
        self.column = column
        self.problem = problem
        self.fix = fix
        where = self.path
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        message = f"{where}: {problem}"
        if fix:
            message += f" Fix: {fix}"
        super().__init__(message)


class ResourceError(ErrorscopeError, OSError):
    """A data resource is missing, cannot be downloaded or is corrupt."""


class ChecksumError(ResourceError):
    """A data file does not have the sha256 recorded in the manifest."""

    def __init__(self, name: str, path: str | Path, expected: str, actual: str):
        self.name, self.path, self.expected, self.actual = name, str(path), expected, actual
        super().__init__(
            f"{path}: sha256 mismatch for resource {name!r}: expected {expected}, got {actual}. "
            "The file is corrupt or a different version; delete it (or run `errorscope data fetch --force`) "
            "so that it is downloaded again."
        )


class MissingDependencyError(ErrorscopeError, ImportError):
    """An optional dependency is not installed."""


class UndefinedMetricWarning(UserWarning):
    """A metric is undefined for the given input (for example no image has the factor) and is NaN."""


class PartialCoverageWarning(UserWarning):
    """A prediction file covers fewer images than its evaluation set: its numbers rest on the covered images only."""


def warn_partial_coverage(models, n_covered, n_images: int, *, stacklevel: int = 3) -> None:
    """Warn once, naming every model whose predictions cover fewer than ``n_images`` images.

    Parameters
    ----------
    models : sequence of str
        Model names.
    n_covered : sequence of int
        Images each model has a prediction for.
    n_images : int
        Size of the evaluation set.
    stacklevel : int
        Passed to :func:`warnings.warn`.
    """
    import warnings

    partial = [(m, int(c)) for m, c in zip(models, n_covered) if int(c) < n_images]
    if not partial:
        return
    shown = ", ".join(f"{m!r} covers {c:,} of {n_images:,} images ({c / n_images:.1%})" for m, c in partial[:5])
    more = f" and {len(partial) - 5} more models" if len(partial) > 5 else ""
    warnings.warn(f"Partial coverage: {shown}{more}. Every metric is computed over the covered images only "
                  "(missing='exclude'); pass missing='wrong' (CLI --missing wrong) to count the others as errors.",
                  PartialCoverageWarning, stacklevel=stacklevel)
