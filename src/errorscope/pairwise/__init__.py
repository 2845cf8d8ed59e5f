"""Models compared image by image: the diff of two models, error consistency, hard images, known label errors.

* :func:`diff`: fixed / broken images of model B against model A, McNemar's exact test overall and per factor,
  metaclass, class and taxonomy category (Holm-adjusted), category transitions, error consistency with its
  interval, a per-image table with the known label errors flagged.
* :func:`error_consistency_matrix`: the M x M kappa matrix of a population (and per factor), as matrix products;
  :func:`cluster_order` orders it for the clustered heatmap.
* :func:`hard_images`: the images most models get wrong, with factors, categories, ReaL labels and flags.
* :func:`label_error_summary`: per model, errors on known label errors and accuracy without / with them corrected.
* :func:`per_class_accuracy`, :func:`worst_classes`, :func:`top_confusions`: per-class views with class names
  that tell duplicates apart.
"""

from ._diff import STATUS, DiffResult, as_predictions, diff
from ._classes import per_class_accuracy, top_confusions, worst_classes
from ._hard import HardImages, hard_images
from ._kappa import ConsistencyResult, cluster_order, error_consistency_matrix
from ._labels import label_error_summary

__all__ = ["diff", "DiffResult", "as_predictions", "STATUS", "error_consistency_matrix", "ConsistencyResult",
           "cluster_order", "hard_images", "HardImages", "label_error_summary", "per_class_accuracy",
           "worst_classes", "top_confusions"]
