"""The store's table layout and its version.

Tables (DuckDB, one file):

``meta(key, value)``
    ``schema_version``, ``index_name``, ``n_images``, ``created_by``.
``models``
    One row per stored model: name, when and from where it was added, its metadata (architecture, training
    data, parameter count, ImageNet-X model type) and the metric-suite tag its derived rows were computed with.
``predictions``
    One row per model: the codec name and the compressed top-1 vector (and top-1 probabilities) as BLOBs,
    and the compressed top-k matrix (``topk``, with its codec ``topk_codec``) when the model has one.
``tags``
    Free ``key=value`` tags, one row per (model, key).
``derived_<name>``
    Created on first use from a metric suite's frames; every row names its ``model``. The default suite
    writes ``factors`` (the tidy factor table of :func:`errorscope.results.tidy_factor_frame`, metaclass rows
    included), ``summary`` (one row per model, the columns of ``analyze().summary``), ``worst_classes`` and
    ``error_categories`` (see :mod:`errorscope.store.metrics`).
``reference_imagenetx``, ``reference_eth``
    The published populations (see :mod:`errorscope.store.reference`).

A model is present when it has a ``models`` row; adding or replacing one writes all its rows in a single
transaction, so a reader, or a store reopened after a killed write, sees it completely or not at all.
"""

from __future__ import annotations

__all__ = ["SCHEMA_VERSION", "MIGRATIONS", "DDL", "CORE_TABLES", "MODEL_COLUMNS"]

#: Bump when the DDL changes; :class:`~errorscope.store.backend.ResultStore` refuses versions it cannot read
#: and upgrades the ones in :data:`MIGRATIONS` when opened for writing.
SCHEMA_VERSION = "2"

#: from-version -> statements that bring a store to the next version (1 -> 2: the top-k columns).
MIGRATIONS = {
    "1": ["ALTER TABLE predictions ADD COLUMN IF NOT EXISTS topk BLOB",
          "ALTER TABLE predictions ADD COLUMN IF NOT EXISTS topk_codec VARCHAR"],
}

MODEL_COLUMNS = ["model", "added_at", "source", "index_name", "n_images", "n_covered", "architecture",
                 "training_data", "n_params", "model_type", "metric_version"]

DDL = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    """CREATE TABLE IF NOT EXISTS models (
        model VARCHAR PRIMARY KEY,
        added_at TIMESTAMP NOT NULL,
        source VARCHAR,
        index_name VARCHAR NOT NULL,
        n_images INTEGER NOT NULL,
        n_covered INTEGER NOT NULL,
        architecture VARCHAR,
        training_data VARCHAR,
        n_params BIGINT,
        model_type VARCHAR NOT NULL,
        metric_version VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS predictions (
        model VARCHAR PRIMARY KEY,
        codec VARCHAR NOT NULL,
        top1 BLOB NOT NULL,
        prob BLOB,
        topk BLOB,
        topk_codec VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS tags (
        model VARCHAR NOT NULL,
        key VARCHAR NOT NULL,
        value VARCHAR NOT NULL,
        PRIMARY KEY (model, key)
    )""",
]

#: Tables holding rows of stored models (besides ``derived_*``).
CORE_TABLES = ["models", "predictions", "tags"]
