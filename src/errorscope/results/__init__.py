"""The results layer: one declared schema for every result table, one builder per table, from the counts.

Data flows one way: files -> :class:`~errorscope.Population` -> counts (:mod:`errorscope.imagenetx`,
:mod:`errorscope.taxonomy`) -> the tables built here -> figures, report, store and CLI, which only read them.
:func:`analyze` is the one-call entry point.
"""

from ._analyze import Analysis, analyze
from ._factors import tidy_factor_frame
from ._layout import to_published_layout
from ._summary import summary_table
from ._taxonomy import taxonomy_share_table, taxonomy_summary
from ._tree import write_table_tree

__all__ = ["Analysis", "analyze", "summary_table", "taxonomy_share_table", "taxonomy_summary", "tidy_factor_frame", "to_published_layout", "write_table_tree"]
