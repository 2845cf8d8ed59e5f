"""The declared schema of every result table errorscope writes or returns.

One :class:`TableSchema` per table: its key columns, its value columns with their kind and meaning, and the
provenance columns that say what a number rests on (images used, labels, annotation file). :func:`analyze`,
the store, the report, the figures and every command build these tables with the builders of
:mod:`errorscope.results` and check them with :meth:`TableSchema.validate`, so a column name means one thing
everywhere (``top1`` is always the accuracy over the images a file covers, unless ``missing == "wrong"`` says
otherwise in the same row).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..exceptions import InvalidInputError

__all__ = ["Column", "TableSchema", "SUMMARY", "FACTORS", "TAXONOMY_SHARES", "PER_IMAGE", "SCHEMAS"]

_KINDS = {
    "str": lambda s: pd.api.types.is_string_dtype(s) or pd.api.types.is_object_dtype(s)
    or isinstance(s.dtype, pd.CategoricalDtype),
    "int": pd.api.types.is_integer_dtype,
    "float": lambda s: pd.api.types.is_float_dtype(s) or pd.api.types.is_integer_dtype(s),
    "bool": pd.api.types.is_bool_dtype,
}


@dataclass(frozen=True)
class Column:
    """One column of a result table.

    Parameters
    ----------
    name : str
        Column name.
    kind : {"str", "int", "float", "bool"}
        What the values are.
    doc : str
        What the column means, with its unit.
    required : bool
        False for columns only present when their input is (e.g. ``top5`` needs top-k predictions).
    """

    name: str
    kind: str
    doc: str
    required: bool = True


@dataclass(frozen=True)
class TableSchema:
    """The declared layout of one result table.

    Parameters
    ----------
    name : str
        Table name (also the file stem when written).
    keys : tuple of str
        Columns that identify a row; no two rows share them.
    columns : tuple of Column
        Every column, keys first.
    """

    name: str
    keys: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        """Column names in declared order."""
        return [c.name for c in self.columns]

    def validate(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Check ``frame`` against the schema and return it with the declared column order first.

        Parameters
        ----------
        frame : DataFrame
            A table claiming this schema (key columns as columns, not as the index).

        Returns
        -------
        DataFrame
            ``frame`` with the declared columns first (extra columns kept after them).

        Raises
        ------
        InvalidInputError
            A required column is missing, a column has the wrong kind, or two rows share their keys.
        """
        missing = [c.name for c in self.columns if c.required and c.name not in frame.columns]
        if missing:
            raise InvalidInputError(f"The {self.name!r} table lacks the column(s) {missing}; "
                                    f"its schema declares {self.names}.")
        for c in self.columns:
            if c.name in frame.columns and len(frame) and not _KINDS[c.kind](frame[c.name]):
                raise InvalidInputError(f"The {self.name!r} table's column {c.name!r} should hold {c.kind} values "
                                        f"({c.doc}), but has dtype {frame[c.name].dtype}.")
        if len(frame) and frame.duplicated(list(self.keys)).any():
            dup = frame[frame.duplicated(list(self.keys), keep=False)].iloc[0]
            raise InvalidInputError(f"The {self.name!r} table has two rows with the keys "
                                    f"{ {k: dup[k] for k in self.keys} }.")
        first = [n for n in self.names if n in frame.columns]
        return frame[first + [c for c in frame.columns if c not in first]]

    def describe(self) -> pd.DataFrame:
        """The schema as a table: column, kind, required, meaning (what the docs print)."""
        return pd.DataFrame({"column": self.names, "kind": [c.kind for c in self.columns],
                             "required": [c.required for c in self.columns], "meaning": [c.doc for c in self.columns]})


_MODEL = Column("model", "str", "model name")

#: One row per model: the headline numbers, each with the images it rests on.
SUMMARY = TableSchema("summary", ("model",), (
    _MODEL,
    Column("n_images", "int", "images of the evaluation set (50,000 ImageNet validation images)"),
    Column("n_covered", "int", "images the model has a prediction for"),
    Column("coverage", "float", "n_covered / n_images, a fraction"),
    Column("missing", "str", "how uncovered images count: 'exclude' (left out) or 'wrong' (errors)"),
    Column("top1", "float", "top-1 accuracy against the original labels, a fraction"),
    Column("top1_n", "int", "images top1 rests on"),
    Column("top5", "float", "top-5 accuracy (NaN without top-k predictions)", required=False),
    Column("real", "float", "ReaL accuracy (Beyer et al. 2020), images without a ReaL label left out"),
    Column("real_n", "int", "images real rests on"),
    Column("real_imagenetx", "float", "ReaL accuracy with label-less images counted as wrong (ImageNet-X tables)"),
    Column("mla", "float", "multi-label accuracy over the non-problematic covered images (the taxonomy's, "
           "collapsed mappings count as correct)", required=False),
    Column("mla_n", "int", "images mla rests on", required=False),
    Column("mla_shankar", "float", "multi-label accuracy of Shankar et al. / TFDS: prediction in the label set, "
           "over the same mla_n images (collapsed mappings not forgiven)", required=False),
    Column("label_source", "str", "multi-label source of mla and the taxonomy ('real' or 'shankar')",
           required=False),
    Column("imagenetx_n", "int", "ImageNet-X annotated images (prototypes removed) the model covers"),
    Column("worst_factor", "str", "the factor with the lowest accuracy (first annotation file, first error type)"),
    Column("worst_factor_accuracy", "float", "its accuracy"),
    Column("ece", "float", "expected calibration error over the annotated images", required=False),
))

#: One row per (model, which, error_type, metaclass, factor): counts, accuracy, error ratio, intervals.
FACTORS = TableSchema("factors", ("model", "which", "error_type", "metaclass", "factor"), (
    _MODEL,
    Column("which", "str", "ImageNet-X annotation file: 'top' (one factor per image) or 'multi'"),
    Column("error_type", "str", "correctness rule: 'class', 'metaclass' or 'real_class'"),
    Column("metaclass", "str", "one of the 17 metaclasses, or 'all'"),
    Column("factor", "str", "one of the 16 factors"),
    Column("correct", "int", "correct images of the factor (and metaclass)"),
    Column("total", "int", "images of the factor the model covers: what accuracy rests on"),
    Column("accuracy", "float", "correct / total"),
    Column("ci_low", "float", "Wilson interval of accuracy, lower bound"),
    Column("ci_high", "float", "Wilson interval of accuracy, upper bound"),
    Column("average", "float", "accuracy over all covered annotated images of the group (metaclass or all)"),
    Column("average_correct", "int", "correct images of the group"),
    Column("average_total", "int", "covered images of the group"),
    Column("error_ratio", "float", "(1 - accuracy) / (1 - average)"),
    Column("er_low", "float", "interval of the error ratio, lower bound"),
    Column("er_high", "float", "interval of the error ratio, upper bound"),
))

#: One row per (model, subset, category): how a model's multi-label errors split into the taxonomy.
TAXONOMY_SHARES = TableSchema("taxonomy_shares", ("model", "subset", "category"), (
    _MODEL,
    Column("subset", "str", "image subset: all, organism, artifact or other"),
    Column("category", "str", "error category (paper order)"),
    Column("label_source", "str", "multi-label source ('real' or 'shankar')"),
    Column("clip_step", "str", "'skipped' or the out-of-vocabulary detector used"),
    Column("count", "int", "errors of the category"),
    Column("share", "float", "count / the subset's multi-label errors, a fraction"),
))

#: One row per (model, image) with a prediction: the taxonomy's per-image view.
PER_IMAGE = TableSchema("per_image", ("model", "file_name"), (
    _MODEL,
    Column("file_name", "str", "validation image"),
    Column("target", "int", "original label"),
    Column("predicted_class", "int", "top-1 prediction"),
    Column("category", "str", "taxonomy category"),
))

SCHEMAS: dict[str, TableSchema] = {s.name: s for s in (SUMMARY, FACTORS, TAXONOMY_SHARES, PER_IMAGE)}
