"""The results database: stored predictions of many models, published reference populations, comparisons
against them and the group statistics of the ImageNet-X paper.

Modules: :mod:`~.codec` (compact vectors), :mod:`~.schema` (tables), :mod:`~.backend` (:class:`ResultStore`),
:mod:`~.metrics` (derived metrics), :mod:`~.info` (metadata; model types come from :mod:`errorscope.imagenetx`),
:mod:`~.reference` (published populations), :mod:`~.compare` (a model against a population),
:mod:`~.groupstats` (model-type and augmentation statistics), :mod:`~.export` (partitioned Parquet).

ImageNet-X annotations and result tables are CC BY-NC 4.0.
"""

from .backend import ResultStore, StoreError
from .info import ModelInfo, parse_tags
from .metrics import MetricSuite, imagenetx_suite
from ..imagenetx._model_types import model_type

__all__ = ["ResultStore", "StoreError", "ModelInfo", "parse_tags", "MetricSuite", "imagenetx_suite", "model_type"]
