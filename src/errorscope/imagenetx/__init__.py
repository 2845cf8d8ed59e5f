"""ImageNet-X (Idrissi et al., ICLR 2023): factor annotations, counts, published-layout tables, statistics.

The ImageNet-X annotations are licensed CC BY-NC 4.0 (non-commercial use only); every output built on them says so.

* annotations: :func:`load_factor_annotations` (16 factors of variation per annotated validation image);
* counts: :func:`count_factors` / :func:`count_factor_sets` -> :class:`FactorCounts` (the input of every table);
* the published layouts: :func:`factor_accuracies`, :func:`metaclass_factor_accuracies`, :func:`error_ratios`;
* statistics: calibration per factor, prevalence and misclassification shifts, factor correlations;
* the published populations (:func:`published_table`, :func:`imagenetx_reference`, :data:`POPULATIONS`), model
  types and the group statistics of the paper (Alexander-Govern comparisons, augmentation effects);
* :mod:`errorscope.imagenetx.compat`: a drop-in replacement for the ``imagenet_x`` package's API.
"""

from ..resources.imagenetx import LICENSE_NOTE, NOTICE
from ._annotations import FactorAnnotations, load_factor_annotations, prototype_files
from ._counts import HUMAN, FactorCounts, annotated_predictions, count_factor_sets, count_factors
from ._groups import (
    AUGMENTATIONS,
    augmentation_curves,
    augmentation_effects,
    augmentation_points,
    augmentation_strength,
    check_factor_table,
    group_comparison,
    highlevel_population,
    parse_augmentation_hparams,
)
from ._model_types import BASE_MODEL_TYPES, MODEL_TYPE_ORDER, OTHER, model_type, model_type_names, model_types, selfsupervised_models
from ._published import (
    DEFAULT_POPULATION,
    IMAGENETX_GROUPS,
    POPULATIONS,
    imagenetx_reference,
    imagenetx_wide,
    published_table,
    reference_populations,
    resolve_groups,
    wide_from_long,
)
from ._stats import (
    factor_calibration,
    factor_correlations,
    metaclass_factor_calibration,
    metaclass_misclassification_shifts,
    metaclass_prevalence,
    metaclass_prevalence_shift,
    misclassification_shifts,
)
from ._tables import accuracy_table, error_ratios, factor_accuracies, metaclass_factor_accuracies, metaclass_table

__all__ = [
    "LICENSE_NOTE", "NOTICE", "FactorAnnotations", "load_factor_annotations", "prototype_files", "HUMAN",
    "FactorCounts", "annotated_predictions", "count_factors", "count_factor_sets", "factor_accuracies",
    "metaclass_factor_accuracies", "error_ratios", "accuracy_table", "metaclass_table", "factor_calibration",
    "metaclass_factor_calibration", "factor_correlations", "metaclass_prevalence", "metaclass_prevalence_shift",
    "misclassification_shifts", "metaclass_misclassification_shifts", "IMAGENETX_GROUPS", "POPULATIONS",
    "DEFAULT_POPULATION", "resolve_groups", "reference_populations", "published_table", "imagenetx_reference", "imagenetx_wide", "wide_from_long", "BASE_MODEL_TYPES", "MODEL_TYPE_ORDER", "OTHER", "model_type",
    "model_types", "model_type_names", "selfsupervised_models", "AUGMENTATIONS", "check_factor_table",
    "highlevel_population", "group_comparison", "parse_augmentation_hparams", "augmentation_strength",
    "augmentation_points", "augmentation_effects", "augmentation_curves",
]
