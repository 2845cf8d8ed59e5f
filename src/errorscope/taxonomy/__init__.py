"""Automated classification of ImageNet model errors (Peychev et al., NeurIPS 2023).

Every top-1 prediction of every model is put in one category, in the decision order of the paper:
correct, collapsed class mapping, multi-label correct, fine-grained (same superclass), fine-grained
out-of-vocabulary (CLIP, optional), spurious correlation (common co-occurrence), non-prototypical, model
failure; problematic images get the problematic-only labels first.

>>> from errorscope.taxonomy import classify, load_multilabels      # doctest: +SKIP
>>> result = classify(population, load_multilabels("real"))          # doctest: +SKIP
>>> result.stats("organism")                                         # doctest: +SKIP

The superclasses are errorscope's own reconstruction (the authors' are not public); see ``docs/taxonomy.md``.
"""

from __future__ import annotations

from .categories import CATEGORIES, ErrorCategory, get_category, list_categories
from .cooccurrence import Cooccurrence, derive_cooccurrence
from ._published import ETH_CATEGORIES, category_shares, eth_reference, eth_stats
from .engine import IMAGENET_A_INDEX, OOVDetector, TaxonomyResult, classify
from .knowledge import Knowledge, build_knowledge
from .labels import (MultiLabels, imagenet_a_multilabels, load_multilabels, read_shankar, real_multilabels,
                     resolve_label_source)
from .stats import taxonomy_stats
from .superclasses import Superclasses, load_superclasses
from .wordnet import GROUPS, class_groups, wordnet

__all__ = [
    "CATEGORIES", "ErrorCategory", "get_category", "list_categories", "Cooccurrence", "derive_cooccurrence",
    "IMAGENET_A_INDEX", "OOVDetector", "TaxonomyResult", "classify", "Knowledge", "build_knowledge",
    "MultiLabels", "imagenet_a_multilabels", "load_multilabels", "read_shankar", "real_multilabels",
    "resolve_label_source", "ETH_CATEGORIES", "category_shares", "eth_reference", "eth_stats",
    "taxonomy_stats", "Superclasses", "load_superclasses", "GROUPS", "class_groups", "wordnet",
]
