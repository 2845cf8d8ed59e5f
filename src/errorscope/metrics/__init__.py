"""The NumPy metric core.

Every function works on a whole population at once: predictions are an (M, n) int16 matrix (M models, n images,
-1 = no prediction), correctness an (M, n) bool matrix. Grouped counts (per factor, per metaclass, per class)
are one sparse matrix product, so thousands of models cost one pass.

Public functions validate their input; the private ``_``-helpers they call trust it.
"""

from ._accuracy import real_accuracy, top1_accuracy, topk_accuracy
from ._agreement import consistency_matrix, error_consistency, kappa_from_counts
from ._calibration import expected_calibration_error, grouped_calibration_error
from ._correctness import correctness
from ._correlation import binary_spearman
from ._grouped import GroupCounts, grouped_counts, worst_k_classes
from ._intervals import wilson_interval
from ._mcnemar import holm_adjust, mcnemar_exact
from ._prevalence import factor_prevalence, misclassification_shift, prevalence_shift
from ._ratios import error_ratio, error_ratio_interval
from ._regression import LineFit, fit_line

__all__ = [
    "correctness", "top1_accuracy", "topk_accuracy", "real_accuracy", "GroupCounts", "grouped_counts",
    "worst_k_classes", "wilson_interval", "error_ratio", "error_ratio_interval", "expected_calibration_error",
    "grouped_calibration_error", "binary_spearman", "factor_prevalence", "prevalence_shift",
    "misclassification_shift", "LineFit", "fit_line", "mcnemar_exact", "holm_adjust", "error_consistency",
    "kappa_from_counts", "consistency_matrix",
]
