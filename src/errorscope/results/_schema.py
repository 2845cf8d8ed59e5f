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

__all__ = ["Column", "TableSchema", "SUMMARY", "FACTORS", "TAXONOMY_SHARES", "PER_IMAGE", "DIFF_PER_IMAGE",
           "DIFF_GROUPS", "DIFF_TRANSITIONS", "CONSISTENCY", "HARD_IMAGES", "LABEL_ERROR_SUMMARY", "PER_CLASS",
           "CONFUSIONS", "SCHEMAS"]

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
    Column("share", "float", "count / the subset's top-1 errors on the non-problematic images, a fraction"),
    Column("n_errors", "int", "the subset's top-1 errors on the non-problematic images: what share rests on"),
    Column("n_images", "int", "the subset's non-problematic images the model covers"),
))

#: One row per (model, image) with a prediction: the taxonomy's per-image view.
PER_IMAGE = TableSchema("per_image", ("model", "file_name"), (
    _MODEL,
    Column("file_name", "str", "validation image"),
    Column("target", "int", "original label"),
    Column("predicted_class", "int", "top-1 prediction"),
    Column("category", "str", "taxonomy category"),
    Column("label_error", "bool", "cleanlab's MTurk study confirmed the original label as wrong (fewer than 3 of 5 "
           "workers kept it; Northcutt et al. 2021)", required=False),
    Column("real_rejects_label", "bool", "the image has ReaL labels and none is the original label",
           required=False),
))

_LABEL_FLAGS = (
    Column("label_error", "bool", "known label error: cleanlab MTurk study, fewer than 3 of 5 workers kept the "
           "original label (Northcutt et al. 2021)"),
    Column("real_rejects_label", "bool", "the image has ReaL labels and none is the original label"),
)

#: One row per image both models cover: the image-by-image diff of model A against model B.
DIFF_PER_IMAGE = TableSchema("diff_per_image", ("file_name",), (
    Column("file_name", "str", "validation image"),
    Column("target", "int", "original label"),
    Column("pred_a", "int", "model A's top-1 prediction"),
    Column("pred_b", "int", "model B's top-1 prediction"),
    Column("correct_a", "bool", "A's top-1 equals the original label"),
    Column("correct_b", "bool", "B's top-1 equals the original label"),
    Column("status", "str", "'both_correct', 'fixed' (A wrong, B right), 'broken' (A right, B wrong), 'both_wrong'"),
    Column("category_a", "str", "taxonomy category of A's prediction (multi-label source in the groups table)"),
    Column("category_b", "str", "taxonomy category of B's prediction"),
    Column("metaclass", "str", "ImageNet-X metaclass of the original label"),
    Column("factors", "str", "ImageNet-X factors of the image, comma separated ('' when not annotated)"),
    *_LABEL_FLAGS,
    Column("real_labels", "str", "ReaL label ids, comma separated ('' = no ReaL label)"),
))

#: One row per (group_type, group): paired counts and McNemar's exact test, Holm-adjusted within a group type.
DIFF_GROUPS = TableSchema("diff_groups", ("group_type", "group"), (
    Column("group_type", "str", "'overall', 'factor', 'metaclass', 'class' or 'category'"),
    Column("group", "str", "the factor, metaclass, class name or taxonomy category ('all' for overall)"),
    Column("n", "int", "images of the group both models cover: what the numbers rest on"),
    Column("both_correct", "int", "images both get right"),
    Column("fixed", "int", "images A gets wrong and B right (for a category: A's error is of the category)"),
    Column("broken", "int", "images A gets right and B wrong (for a category: B's error is of the category)"),
    Column("both_wrong", "int", "images both get wrong"),
    Column("acc_a", "float", "A's accuracy over the n images, a fraction"),
    Column("acc_b", "float", "B's accuracy over the n images, a fraction"),
    Column("p_value", "float", "two-sided exact McNemar p-value (binomial on fixed vs broken)"),
    Column("p_holm", "float", "Holm-adjusted p-value within the group type"),
))

#: One row per (from, to): how the images change between A's and B's taxonomy categories ('correct' included).
DIFF_TRANSITIONS = TableSchema("diff_transitions", ("from_category", "to_category"), (
    Column("from_category", "str", "A's category ('correct' when A is right)"),
    Column("to_category", "str", "B's category ('correct' when B is right)"),
    Column("count", "int", "images"),
    Column("both_wrong", "bool", "both models err on these images (the changed errors)"),
))

#: One row per (model_a, model_b, group): error consistency (Geirhos et al. 2020) with its interval.
CONSISTENCY = TableSchema("consistency", ("model_a", "model_b", "group"), (
    Column("model_a", "str", "first model"),
    Column("model_b", "str", "second model"),
    Column("group", "str", "'all' or an ImageNet-X factor"),
    Column("kappa", "float", "error consistency: (c_obs - c_exp) / (1 - c_exp)"),
    Column("ci_low", "float", "Wald interval, Cohen's large-sample standard error, lower bound (NaN for factor "
           "rows: the per-factor matrices keep kappa only, to bound memory)"),
    Column("ci_high", "float", "upper bound"),
    Column("n", "int", "images both models cover (in the group)"),
))

#: One row per hard image: the images most models of a population get wrong.
HARD_IMAGES = TableSchema("hard_images", ("file_name",), (
    Column("file_name", "str", "validation image"),
    Column("target", "int", "original label"),
    Column("target_name", "str", "its class name (wnid appended where names collide)"),
    Column("n_models", "int", "models covering the image"),
    Column("error_rate", "float", "share of those models that get it wrong"),
    Column("top_prediction", "str", "the most frequent wrong prediction (class name)"),
    Column("top_category", "str", "the most frequent taxonomy category of the errors"),
    Column("factors", "str", "ImageNet-X factors, comma separated"),
    Column("real_labels", "str", "ReaL label names, ' | ' separated ('' = no ReaL label)"),
    *_LABEL_FLAGS,
))

#: One row per model: how many of its errors are known label errors, and accuracy without / with them corrected.
LABEL_ERROR_SUMMARY = TableSchema("label_error_summary", ("model",), (
    _MODEL,
    Column("n", "int", "images the model covers"),
    Column("errors", "int", "top-1 errors against the original labels"),
    Column("errors_on_label_errors", "int", "errors on cleanlab-confirmed label errors"),
    Column("share_label_errors", "float", "errors_on_label_errors / errors"),
    Column("errors_on_real_rejects", "int", "errors on images whose original label ReaL rejects"),
    Column("top1", "float", "top-1 accuracy against the original labels"),
    Column("top1_without_label_errors", "float", "top-1 over the covered images minus the confirmed label errors"),
    Column("n_without_label_errors", "int", "images top1_without_label_errors rests on"),
    Column("top1_corrected", "float", "top-1 with a confirmed label error counted correct when the prediction is "
           "cleanlab's guessed label (the label MTurk workers were offered), over all covered images"),
    Column("hard_share", "float", "share of the model's errors on the population's hard images", required=False),
))

#: One row per (model, class): per-class accuracy with its Wilson interval.
PER_CLASS = TableSchema("per_class", ("model", "class_id"), (
    _MODEL,
    Column("class_id", "int", "class id 0..999"),
    Column("class_name", "str", "class name, the wnid appended where names collide"),
    Column("correct", "int", "correct images of the class"),
    Column("total", "int", "covered images of the class"),
    Column("accuracy", "float", "correct / total"),
    Column("ci_low", "float", "Wilson interval, lower bound"),
    Column("ci_high", "float", "Wilson interval, upper bound"),
))

#: One row per (model, target, predicted): the most frequent confusions.
CONFUSIONS = TableSchema("confusions", ("model", "target", "predicted"), (
    _MODEL,
    Column("target", "int", "original label"),
    Column("predicted", "int", "top-1 prediction"),
    Column("target_name", "str", "class name, the wnid appended where names collide"),
    Column("predicted_name", "str", "class name, the wnid appended where names collide"),
    Column("count", "int", "images"),
    Column("share_of_class", "float", "count / covered images of the target class"),
    Column("label_errors", "int", "of them, cleanlab-confirmed label errors"),
))

SCHEMAS: dict[str, TableSchema] = {s.name: s for s in (SUMMARY, FACTORS, TAXONOMY_SHARES, PER_IMAGE, DIFF_PER_IMAGE,
                                                        DIFF_GROUPS, DIFF_TRANSITIONS, CONSISTENCY, HARD_IMAGES,
                                                        LABEL_ERROR_SUMMARY, PER_CLASS, CONFUSIONS)}
